"""What the templates are filled with: every value the app knows about a candidate, as text,
and a dotted line for every value it does not know (DESIGN.md §6: never invented, never
"None"). The names below are those a clerk uses in a template (README, "Paperwork").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.utils import translation

from recruitment.dates import add_months
from recruitment.documents.models import PaperworkSetting
from recruitment.models import Candidate, Enrolment, Organisation, Sponsorship
from recruitment.regulation import rule

DOTS = "……………………"  # a value to write by hand
SHORT_DOTS = "……"  # a day or a month to write by hand

COMMITTEE_KINDS = (Organisation.Kind.COMMITTEE, Organisation.Kind.GRASSROOTS_CELL)


def text(value) -> str:
    """``value`` as it is printed: a dotted line when the app does not know it."""
    if value is None or value == "":
        return DOTS
    if isinstance(value, date):
        return f"{value:%d/%m/%Y}"
    return str(value)


def dated(day: date | None, number: str = "") -> dict[str, str]:
    """A document's date and number, ready for "Số …" and "ngày … tháng … năm …"."""
    if day is None:
        parts = {"day": SHORT_DOTS, "month": SHORT_DOTS, "year": SHORT_DOTS, "date": DOTS}
    else:
        parts = {"day": f"{day:%d}", "month": f"{day:%m}", "year": f"{day:%Y}", "date": text(day)}
    return {**parts, "number": text(number)}


@dataclass(frozen=True)
class Letterhead:
    """A unit as it heads and signs a document."""

    name: str  # as at the head of a document, in capitals
    place: str
    capacity: str  # "T/M BAN THƯỜNG VỤ"
    title: str  # "PHÓ BÍ THƯ"
    signer: str
    recipients: list[str]
    report_number: str

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "place": self.place,
            "capacity": self.capacity,
            "title": self.title,
            "signer": self.signer,
            "recipients": self.recipients,
            "report_number": self.report_number,
        }


def letterhead(unit: Organisation | None, setting: PaperworkSetting | None) -> Letterhead:
    """The unit's letterhead from its paperwork setting; what is not set is a dotted line."""
    if unit is None:
        return Letterhead(DOTS, DOTS, DOTS, DOTS, DOTS, [DOTS], DOTS)
    if setting is None:
        capacity = PaperworkSetting._meta.get_field("signer_capacity").default
        return Letterhead(unit.name.upper(), DOTS, capacity, DOTS, DOTS, [DOTS], DOTS)
    recipients = [line.strip() for line in setting.recipients.splitlines() if line.strip()]
    return Letterhead(
        name=(setting.issuer_name or unit.name).upper(),
        place=text(setting.place),
        capacity=text(setting.signer_capacity),
        title=text(setting.signer_title),
        signer=text(setting.signer_name),
        recipients=recipients or [DOTS],
        report_number=text(setting.report_number),
    )


def letterheads(units: list[Organisation]) -> dict[int, Letterhead]:
    """The letterheads of ``units`` by unit id. One query."""
    settings = {s.unit_id: s for s in PaperworkSetting.objects.filter(unit__in=units)}
    return {unit.pk: letterhead(unit, settings.get(unit.pk)) for unit in units}


def _line_of(unit: Organisation) -> list[Organisation]:
    """The unit and every unit above it, top first. One query (none for a root)."""
    above = Organisation.objects.filter(path__in=Organisation.ancestor_paths(unit.path))
    return [*above.order_by("path"), unit] if unit.depth > 1 else [unit]


def _person(sponsorship: Sponsorship | None) -> dict[str, str]:
    if sponsorship is None:
        return {"name": DOTS, "unit": DOTS, "since": DOTS, "known_since": DOTS, "reference": DOTS}
    return {
        "name": sponsorship.member.full_name,
        "unit": sponsorship.member.unit.name,
        "since": text(sponsorship.assigned_on),
        "known_since": text(sponsorship.known_since),
        "reference": text(sponsorship.reference),
    }


def _probation_end(candidate: Candidate) -> date | None:
    """Twelve months (the rule's number) from the ceremony, as PartyMember counts it."""
    start = candidate.ceremony_on or candidate.decision_on
    return add_months(start, rule("PROBATION_MONTHS")) if start else None


def candidate_context(candidate: Candidate) -> dict:
    """Everything a dossier template may print about ``candidate``. A fixed number of queries.

    The units are the candidate's cell, the grassroots committee above it (the nearest
    committee or grassroots cell, which may be the unit itself) and the level above that,
    which decides on admission and recognition.
    """
    line = _line_of(candidate.unit)
    committee_index = max(
        (i for i, unit in enumerate(line) if unit.kind in COMMITTEE_KINDS), default=len(line) - 1
    )
    cell = line[-1]
    committee = line[committee_index]
    superior = line[committee_index - 1] if committee_index > 0 else None
    heads = letterheads([u for u in (cell, committee, superior) if u is not None])
    cell_head = heads[cell.pk]
    committee_head = heads[committee.pk]
    superior_head = heads[superior.pk] if superior else letterhead(None, None)
    # Where the documents are dated: the first of the cell's, the committee's or the level
    # above's paperwork settings that says it.
    place = next(
        (h.place for h in (cell_head, committee_head, superior_head) if h.place != DOTS), DOTS
    )

    sponsorships, passed = [], None  # a candidate not saved (``sample_context``) has none
    if candidate.pk is not None:
        sponsorships = list(
            candidate.sponsorships.filter(ended_on__isnull=True)
            .select_related("member__unit")
            .order_by("assigned_on", "pk")
        )
        passed = (
            candidate.enrolments.filter(result=Enrolment.Result.PASSED)
            .order_by("-certificate_on", "-pk")
            .select_related("training_class")
            .first()
        )
    introducers = [s for s in sponsorships if s.role == Sponsorship.Role.INTRODUCER]
    mentors = [s for s in sponsorships if s.role == Sponsorship.Role.MENTOR]
    member = getattr(candidate, "member", None)  # the member the admission made, if any

    votes_for, votes_total = candidate.votes_for, candidate.votes_total
    votes = {"for": text(votes_for), "total": text(votes_total), "against": DOTS, "percent": DOTS}
    if votes_for is not None and votes_total:
        votes["against"] = str(votes_total - votes_for)
        votes["percent"] = f"{votes_for * 100 // votes_total}%"

    with translation.override("vi"):
        gender = str(candidate.get_gender_display())
        education = str(candidate.get_education_display())
        source = str(candidate.get_source_display())

    return {
        "name": candidate.full_name,
        "name_upper": candidate.full_name.upper(),
        "birth": dated(candidate.date_of_birth),
        "gender": gender,
        "ethnicity": text(candidate.ethnicity),
        "religion": candidate.religion or "Không",
        "residence": text(candidate.residence),
        "occupation": text(candidate.occupation),
        "workplace": text(candidate.workplace),
        "education": education,
        "source": source,
        "youth_union_member": candidate.youth_union_member,
        "cell": cell.name,
        "cell_upper": cell.name.upper(),
        "committee": committee.name,
        "committee_upper": committee.name.upper(),
        "superior": superior.name if superior else DOTS,
        "superior_upper": superior.name.upper() if superior else DOTS,
        "place": place,
        "cell_head": cell_head.as_dict(),
        "committee_head": committee_head.as_dict(),
        "superior_head": superior_head.as_dict(),
        "certificate": dated(
            passed.certificate_on if passed else None,
            passed.certificate_number if passed else "",
        ),
        "class_title": text(passed.training_class.title if passed else ""),
        "introducers": [_person(s) for s in introducers] or [_person(None)],
        "introducer": _person(introducers[0] if introducers else None),
        "mentor": _person(mentors[0] if mentors else None),
        "application": dated(candidate.application_on, candidate.application_ref),
        "personal_history": dated(candidate.personal_history_on, candidate.personal_history_ref),
        "verification": dated(candidate.background_check_on, candidate.background_check_ref),
        "youth_union_resolution": dated(
            candidate.youth_union_resolution_on, candidate.youth_union_resolution_ref
        ),
        "cell_resolution": dated(candidate.cell_resolution_on, candidate.cell_resolution_ref),
        "votes": votes,
        "decision": dated(candidate.decision_on, candidate.decision_number),
        "ceremony": dated(candidate.ceremony_on),
        "recognition_resolution": dated(candidate.recognition_resolution_on),
        "official": dated(member.official_on if member else None),
        "probation_end": text(_probation_end(candidate)),
    }
