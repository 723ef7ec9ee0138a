"""The admission pipeline: which moves are allowed, what each needs, what each does.

This module alone decides (DESIGN.md §3). Views, forms, the admin, imports and the demo
loader all call :func:`move`; none repeats a rule. A refused move raises
:class:`MoveRefused` carrying every broken rule, and saves nothing.

Every number comes from ``recruitment.regulation.rule`` so that a change of regulation is a
change of setting.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, NamedTuple

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Max, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import capfirst

from recruitment import figures_cache, stages
from recruitment.dates import add_months, add_years, age_in_months
from recruitment.models import (
    DEADLINE_FIELDS,
    Candidate,
    Education,
    Enrolment,
    Organisation,
    PartyMember,
    Sponsorship,
    StageChange,
    TrainingClass,
)
from recruitment.regulation import rule
from recruitment.stages import EXITS, FORWARD, Stage
from recruitment.text import lazy_message as _

# The paperwork each step records, in the order a form shows it.
STEP_FIELDS: dict[str, list[str]] = {
    Stage.SOURCE: [],
    Stage.TRAINING: [],
    Stage.TRAINED: [],
    Stage.DOSSIER: [
        "application_on",
        "application_ref",
        "personal_history_on",
        "personal_history_ref",
        "background_check_on",
        "background_check_ref",
        "youth_union_resolution_on",
        "youth_union_resolution_ref",
    ],
    Stage.PROPOSED: ["cell_resolution_on", "cell_resolution_ref", "votes_for", "votes_total"],
    Stage.ADMITTED: ["decision_number", "decision_on", "ceremony_on"],
    Stage.RECOGNISED: ["recognition_resolution_on"],
    Stage.WITHDRAWN: [],
    Stage.DROPPED_OUT: [],
    Stage.STRUCK_OFF: [],
}


class Move:
    FORWARD = "forward"
    BACK = "back"
    EXIT = "exit"


@dataclass(frozen=True)
class BrokenRule:
    """One rule a move breaks: a stable code, a message for people, the field it concerns."""

    code: str
    message: Any  # a lazy translation; str() it in the active language
    field: str | None = None
    # A doubt rather than a rule: the move goes ahead once the user confirms it (``check``'s
    # ``confirmed`` names the codes they confirmed).
    confirmable: bool = False

    def __str__(self) -> str:
        return str(self.message)


class MoveRefused(Exception):
    """A move broke one or more rules; nothing was saved."""

    def __init__(self, broken: list[BrokenRule]):
        self.broken = broken
        super().__init__("; ".join(str(b) for b in broken))

    @property
    def messages(self) -> list[str]:
        return [str(b) for b in self.broken]

    @property
    def confirmable(self) -> list[str]:
        """The codes of the refusal's doubts, when nothing else stands in the way."""
        if all(b.confirmable for b in self.broken):
            return [b.code for b in self.broken]
        return []


def _d(day: date) -> str:
    return date_format(day, "SHORT_DATE_FORMAT")


def kind_of_move(from_stage: str, to_stage: str) -> str | None:
    """``Move.FORWARD``, ``Move.BACK``, ``Move.EXIT`` or None if the move is not allowed."""
    if FORWARD.get(from_stage) == to_stage:
        return Move.FORWARD
    if to_stage in EXITS and from_stage in EXITS[to_stage]:
        return Move.EXIT
    # Back to an earlier step before admission. A withdrawn candidate is reinstated in the
    # source list only: every step after it is checked again on the way forward.
    if to_stage in stages.ACTIVE:
        if from_stage in stages.ACTIVE and stages.ACTIVE.index(to_stage) < stages.ACTIVE.index(
            from_stage
        ):
            return Move.BACK
        if from_stage == Stage.WITHDRAWN and to_stage == Stage.SOURCE:
            return Move.BACK
    return None


def allowed_moves(candidate: Candidate) -> list[str]:
    """Every stage the candidate may be moved to from where it is, forward first."""
    moves: list[str] = []
    forward = [FORWARD[candidate.stage]] if candidate.stage in FORWARD else []
    for stage in [*forward, *reversed(stages.ACTIVE), *EXITS]:
        if stage not in moves and kind_of_move(candidate.stage, stage):
            moves.append(stage)
    return moves


def next_stage(candidate: Candidate) -> str | None:
    return FORWARD.get(candidate.stage)


# What the cell voted on: fixed once it has voted, so that the admission counts where and for
# whom it happened. Corrections go through an administrator. The education too: the proposal
# checks it (``_RULES_OF_FIELD``), and the edit page could lower it after the vote unchecked.
FIXED_AFTER_VOTE = ["unit", "date_of_birth", "youth_union_member", "education"]


def fixed_fields(candidate: Candidate) -> list[str]:
    """The candidate's fields that an edit form must not change any more."""
    if candidate.pk and candidate.stage in stages.VOTED:
        return list(FIXED_AFTER_VOTE)
    return []


def is_active(candidate: Candidate) -> bool:
    """On the way to admission (in a unit's source pipeline)."""
    return candidate.stage in stages.ACTIVE


def suggested_paperwork(candidate: Candidate, to: str) -> dict[str, Any]:
    """Values a move form may start from: what is recorded, and for the cell's resolution
    the number of official members of the candidate's cell today (who may vote)."""
    values = {name: getattr(candidate, name) for name in STEP_FIELDS[to]}
    if to == Stage.PROPOSED and not candidate.votes_total:
        official = PartyMember.objects.filter(unit=candidate.unit).official_on(timezone.localdate())
        values["votes_total"] = official.count() or None
    return values


def certificate_valid_until(certificate_on: date) -> date:
    """The last day a certificate counts ("older than N years does not count")."""
    return add_years(certificate_on, rule("CERTIFICATE_VALID_YEARS"))


def certificates_lapsed_before(today: date) -> date:
    """The day before which a certificate has lapsed on ``today``: ``c < the day`` exactly
    when ``certificate_valid_until(c) < today``, for a query. On 29 February the day is 1
    March: a certificate of 28 February counted until the 28th."""
    bound = add_years(today, -rule("CERTIFICATE_VALID_YEARS"))
    if certificate_valid_until(bound) < today:
        bound += timedelta(days=1)
    return bound


def _read(candidate: Candidate, name: str):
    """The candidate's ``name`` rows (a related name) as a page has read them already
    (``prefetch_related``), or None: the candidate page checks the next step's rules on the
    sponsorships and enrolments it shows, without reading them a second time."""
    cache = getattr(candidate, "_prefetched_objects_cache", {})
    return list(cache[name]) if name in cache else None


def _sponsorships(candidate: Candidate) -> list[Sponsorship]:
    """The candidate's sponsorships, with their members."""
    read = _read(candidate, "sponsorships")
    return read if read is not None else list(candidate.sponsorships.select_related("member"))


def _passed_enrolment(candidate: Candidate) -> Enrolment | None:
    """The most recent passed enrolment with its certificate, if any."""
    read = _read(candidate, "enrolments")
    if read is not None:
        passed = [
            e
            for e in read
            if e.result == Enrolment.Result.PASSED and e.certificate_number and e.certificate_on
        ]
        return max(passed, key=lambda e: e.certificate_on, default=None)
    return (
        candidate.enrolments.filter(result=Enrolment.Result.PASSED)
        .select_related("training_class")
        .exclude(certificate_number="")
        .exclude(certificate_on__isnull=True)
        .order_by("-certificate_on")
        .first()
    )


def _certificate_rules(candidate: Candidate, on: date) -> list[BrokenRule]:
    enrolment = _passed_enrolment(candidate)
    if enrolment is None:
        return [
            BrokenRule(
                "certificate_missing",
                _(
                    "The candidate needs a pass in a party-awareness class, with the "
                    "certificate number and date recorded."
                ),
            )
        ]
    if enrolment.certificate_on < enrolment.training_class.ends_on:
        return _certificate_date_rules(enrolment.training_class, enrolment.certificate_on, on)
    if enrolment.certificate_on > on:
        return [
            BrokenRule(
                "certificate_future",
                _("The certificate is dated %(date)s, after %(on)s.")
                % {"date": _d(enrolment.certificate_on), "on": _d(on)},
            )
        ]
    valid_until = certificate_valid_until(enrolment.certificate_on)
    if valid_until < on:
        return [
            BrokenRule(
                "certificate_lapsed",
                _(
                    "The certificate of %(date)s lapsed on %(until)s (valid %(years)s years); "
                    "the candidate must attend a class again."
                )
                % {
                    "date": _d(enrolment.certificate_on),
                    "until": _d(valid_until),
                    "years": rule("CERTIFICATE_VALID_YEARS"),
                },
            )
        ]
    return []


def _required(candidate: Candidate, fields: list[str]) -> list[BrokenRule]:
    broken = []
    for name in fields:
        if getattr(candidate, name) in (None, ""):
            label = Candidate._meta.get_field(name).verbose_name
            broken.append(
                BrokenRule(
                    f"{name}_missing",
                    _("%(field)s is required for this step.") % {"field": capfirst(label)},
                    name,
                )
            )
    return broken


def _not_in_future(candidate: Candidate, fields: list[str], today: date) -> list[BrokenRule]:
    broken = []
    for name in fields:
        value = getattr(candidate, name)
        if isinstance(value, date) and value > today:
            label = Candidate._meta.get_field(name).verbose_name
            broken.append(
                BrokenRule(
                    f"{name}_future",
                    _("%(field)s cannot be in the future.") % {"field": capfirst(label)},
                    name,
                )
            )
    return broken


def _mentor_rules(candidate: Candidate, on: date) -> list[BrokenRule]:
    mentors = [
        s.member
        for s in _sponsorships(candidate)
        if s.role == Sponsorship.Role.MENTOR and s.ended_on is None
    ]
    if not any(member.is_official(on) for member in mentors):
        return [
            BrokenRule(
                "mentor_missing",
                _("An official party member must be assigned as the candidate's mentor."),
            )
        ]
    return []


def _introducer_rules(candidate: Candidate, on: date, from_paper: bool = False) -> list:
    """Two official introducers (or one and the Youth Union's resolution) who have known
    the candidate long enough. A record from paper is checked where its introducers are
    recorded; old files often name them only on paper."""
    sponsorships = _sponsorships(candidate)
    if from_paper and not any(s.role == Sponsorship.Role.INTRODUCER for s in sponsorships):
        return []
    required = rule("OFFICIAL_INTRODUCERS_REQUIRED")
    known_months = rule("INTRODUCER_KNOWN_MONTHS")
    broken = []
    qualified = 0
    for sponsorship in sponsorships:
        # An introducer counts for the step taken while the role ran (a dossier corrected
        # later is judged by its own date).
        ended = sponsorship.ended_on is not None and sponsorship.ended_on <= on
        if sponsorship.role != Sponsorship.Role.INTRODUCER or ended:
            continue
        member = sponsorship.member
        if not member.is_official(on):
            broken.append(
                BrokenRule(
                    "introducer_not_official",
                    _("Introducer %(name)s is not an official party member.")
                    % {"name": member.full_name},
                )
            )
        elif (
            sponsorship.known_since is None
            or add_months(sponsorship.known_since, known_months) > on
        ):
            broken.append(
                BrokenRule(
                    "introducer_not_known_long_enough",
                    _(
                        "Introducer %(name)s must have worked or lived with the candidate "
                        "for at least %(months)s months."
                    )
                    % {"name": member.full_name, "months": known_months},
                )
            )
        else:
            qualified += 1

    # "Aged 30 or less" counted by month on the day the cell meets, as the age rule counts
    # (``_age_rules``): one is 30 up to the month before the 31st birthday. The regulation
    # (Quy định 24-QĐ/TW, guidance 12-HD/BTCTW) counts admission ages by month; if a later
    # text says otherwise, this is the one line to change.
    youth_route = candidate.youth_union_member and is_youth(candidate, on)
    if youth_route and candidate.youth_union_resolution_on:
        needed = required - 1
    else:
        needed = required
    if qualified < needed:
        broken.append(
            BrokenRule(
                "introducers_missing",
                _(
                    "The application needs %(required)s official introducers, or one plus the "
                    "Youth Union's resolution for a Youth Union member aged %(age)s or less; "
                    "it has %(count)s."
                )
                % {
                    "required": required,
                    "age": rule("YOUTH_UNION_MAX_AGE"),
                    "count": qualified,
                },
            )
        )
    return broken


def sponsorship_rules(sponsorship: Sponsorship, today: date | None = None) -> list[BrokenRule]:
    """A mentor or an introducer as every page attaches one (the candidate page, the admin):
    an official member when assigned, an introducer who says since when they have known the
    candidate, no date ahead of today, not the same active role twice."""
    today = today or timezone.localdate()
    member = sponsorship.member if sponsorship.member_id else None
    broken = []
    if member is not None and not member.is_official(sponsorship.assigned_on or today):
        broken.append(
            BrokenRule(
                "sponsor_not_official",
                _("Only official party members can mentor or introduce: %(name)s is not one.")
                % {"name": member.full_name},
                "member",
            )
        )
    known_since = sponsorship.known_since
    if known_since and known_since > today:
        broken.append(
            BrokenRule("known_since_ahead", _("This date cannot be in the future."), "known_since")
        )
    if sponsorship.role == Sponsorship.Role.INTRODUCER and not known_since:
        broken.append(
            BrokenRule(
                "known_since_missing",
                _("Say since when the introducer has worked or lived with the candidate."),
                "known_since",
            )
        )
    if member is not None and sponsorship.candidate_id and sponsorship.ended_on is None:
        twice = Sponsorship.objects.filter(
            candidate_id=sponsorship.candidate_id,
            member=member,
            role=sponsorship.role,
            ended_on__isnull=True,
        ).exclude(pk=sponsorship.pk)
        if twice.exists():
            broken.append(
                BrokenRule(
                    "sponsor_twice", _("This member already has this role for the candidate.")
                )
            )
    return broken


def end_sponsorship_rules(candidate: Candidate, sponsorship: Sponsorship) -> list[BrokenRule]:
    """Whether ``sponsorship`` may end now. An introducer signed the dossier the cell voted
    on: once it has voted, the role stays on the record (and on Mẫu 3-KNĐ); a mistake in it
    is a correction, with a reason."""
    if sponsorship.role == Sponsorship.Role.INTRODUCER and candidate.stage in stages.VOTED:
        return [
            BrokenRule(
                "introducer_after_vote",
                _(
                    "%(member)s introduced %(name)s in the dossier the cell voted on: an "
                    "introducer's role is not ended after the vote."
                )
                % {"member": sponsorship.member.full_name, "name": candidate.full_name},
            )
        ]
    return []


def is_youth(candidate: Candidate, on: date) -> bool:
    """Aged ``YOUTH_UNION_MAX_AGE`` or less on ``on``, counted by month."""
    return age_in_months(candidate.date_of_birth, on) < (rule("YOUTH_UNION_MAX_AGE") + 1) * 12


def _age_rules(candidate: Candidate, on: date) -> list[BrokenRule]:
    months = age_in_months(candidate.date_of_birth, on)
    low, high = rule("MIN_AGE_YEARS"), rule("MAX_AGE_YEARS")
    if candidate.date_of_birth > on:
        return [
            BrokenRule(
                "meeting_before_birth",
                _("The cell's meeting on %(on)s comes before the date of birth, %(born)s.")
                % {"on": _d(on), "born": _d(candidate.date_of_birth)},
                "date_of_birth",
            )
        ]
    if months < low * 12 or months > high * 12:
        return [
            BrokenRule(
                "age_out_of_range",
                _(
                    "On %(on)s the candidate is %(years)s years %(months)s months old; "
                    "admission needs an age from %(low)s to %(high)s (counted by month)."
                )
                % {
                    "on": _d(on),
                    "years": months // 12,
                    "months": months % 12,
                    "low": low,
                    "high": high,
                },
                "date_of_birth",
            )
        ]
    return []


def _proposal_rules(candidate: Candidate, today: date, from_paper: bool = False) -> list:
    """The cell's resolution: votes, and the candidate's age, certificate, education and
    dossier on the day of the meeting. Checked again at admission, so a later edit of the
    candidate cannot slip past them."""
    broken: list[BrokenRule] = []
    broken += _required(candidate, ["cell_resolution_on", "votes_for", "votes_total"])
    broken += _not_in_future(candidate, ["cell_resolution_on"], today)
    meeting = candidate.cell_resolution_on
    if meeting:
        broken += _age_rules(candidate, meeting)
        broken += _certificate_rules(candidate, meeting)
        broken += _introducer_rules(candidate, meeting, from_paper)
        broken += _cell_member_rules(candidate, meeting)
        if candidate.application_on:
            valid_months = rule("DOSSIER_VALID_MONTHS")
            if add_months(candidate.application_on, valid_months) < meeting:
                broken.append(
                    BrokenRule(
                        "dossier_expired",
                        _(
                            "The dossier of %(date)s is more than %(months)s months old "
                            "without a cell resolution; it must be redone."
                        )
                        % {"date": _d(candidate.application_on), "months": valid_months},
                        "cell_resolution_on",
                    )
                )
            if meeting < candidate.application_on:
                broken.append(
                    BrokenRule(
                        "resolution_before_application",
                        _("The cell resolution cannot come before the application."),
                        "cell_resolution_on",
                    )
                )
    votes_for, votes_total = candidate.votes_for, candidate.votes_total
    if votes_for is not None and votes_total is not None:
        num, den = rule("VOTE_SHARE_NUMERATOR"), rule("VOTE_SHARE_DENOMINATOR")
        if votes_total == 0 or votes_for > votes_total or votes_for * den < votes_total * num:
            broken.append(
                BrokenRule(
                    "votes_short",
                    _(
                        "%(for)s of %(total)s official members in favour is less than "
                        "the %(num)s/%(den)s required."
                    )
                    % {"for": votes_for, "total": votes_total, "num": num, "den": den},
                    "votes_for",
                )
            )
    min_education = rule("MIN_EDUCATION")
    if Education.rank(candidate.education) < Education.rank(min_education):
        broken.append(
            BrokenRule(
                "education_too_low",
                _("Admission needs an education of at least %(level)s.")
                % {"level": Education(min_education).label},
                "education",
            )
        )
    return broken


def cell_members_on(candidate: Candidate, day: date) -> int:
    """Official members of the candidate's cell on record on ``day`` (0: none recorded)."""
    return PartyMember.objects.filter(unit=candidate.unit_id).official_on(day).count()


def _cell_member_rules(candidate: Candidate, meeting: date) -> list[BrokenRule]:
    """The typed number of official members must be the cell's, where the cell's members are
    on record; where none is, the total cannot be checked (the move page says so)."""
    if candidate.votes_total is None:
        return []
    official = cell_members_on(candidate, meeting)
    if official and candidate.votes_total != official:
        return [
            BrokenRule(
                "votes_total_not_members",
                _(
                    "On %(on)s the cell had %(count)s official members on record, not %(total)s: "
                    "the share in favour counts all of them."
                )
                % {"on": _d(meeting), "count": official, "total": candidate.votes_total},
                "votes_total",
            )
        ]
    return []


def _left_before(candidate: Candidate) -> list[BrokenRule]:
    """Someone recorded as dropped out or struck off under the same name and date of birth.

    A member who left cannot be admitted again. Their own record cannot move back (see
    ``kind_of_move``), and a citizen ID is on one record only; but the ID is optional, so
    the same person may have a second record. Two different IDs are two people; where
    either record has none, the user is asked to confirm it is another person.
    """
    twins = (
        Candidate.objects.namesakes(candidate.full_name, candidate.date_of_birth)
        .filter(stage__in=stages.LEFT)
        .exclude(pk=candidate.pk)
    )
    if candidate.citizen_id:
        twins = twins.filter(citizen_id__isnull=True)
    if twins.exists():
        return [
            BrokenRule(
                "maybe_left_before",
                _(
                    "Someone named %(name)s, born on %(born)s, dropped out or was struck off; "
                    "a member who left cannot be admitted again. If this is another person, "
                    "confirm it."
                )
                % {"name": candidate.full_name, "born": _d(candidate.date_of_birth)},
                confirmable=True,
            )
        ]
    return []


def _check_forward(
    candidate: Candidate, to: str, on: date, today: date, from_paper: bool = False
) -> list[BrokenRule]:
    broken: list[BrokenRule] = []
    if to == Stage.TRAINING:
        if not from_paper:  # the mentor of years ago is seldom on record
            broken += _mentor_rules(candidate, on)
        read = _read(candidate, "enrolments")
        if not (read if read is not None else candidate.enrolments.exists()):
            broken.append(
                BrokenRule(
                    "not_enrolled",
                    _("The candidate must be enrolled in a party-awareness class."),
                )
            )
    elif to == Stage.TRAINED:
        broken += _certificate_rules(candidate, on)
    elif to == Stage.DOSSIER:
        fields = ["application_on", "personal_history_on", "background_check_on"]
        broken += _required(candidate, fields)
        broken += _not_in_future(candidate, STEP_FIELDS[Stage.DOSSIER], today)
        broken += _certificate_rules(candidate, on)
        broken += _introducer_rules(candidate, on, from_paper)
    elif to == Stage.PROPOSED:
        broken += _proposal_rules(candidate, today, from_paper)
    elif to == Stage.ADMITTED:
        broken += _proposal_rules(candidate, today, from_paper)
        broken += _left_before(candidate)
        broken += _required(candidate, ["decision_number", "decision_on"])
        broken += _not_in_future(candidate, ["decision_on", "ceremony_on"], today)
        decision = candidate.decision_on
        # The unit that admits (recorded at the admission: a reorganisation may move the
        # person on to a unit opened since, where the admission's paperwork stays
        # correctable), or, for the move itself, the candidate's. The admission counts in
        # it on the decision's date (the paper record's form says so too).
        unit = candidate.admitted_unit if candidate.admitted_unit_id else candidate.unit
        if decision and unit is not None:
            broken += unit_open_rules(
                unit, decision, today, code="unit_not_open_on_decision", field="decision_on"
            )
        if decision and candidate.cell_resolution_on and decision < candidate.cell_resolution_on:
            broken.append(
                BrokenRule(
                    "decision_before_resolution",
                    _("The admission decision cannot come before the cell resolution (%(date)s).")
                    % {"date": _d(candidate.cell_resolution_on)},
                    "decision_on",
                )
            )
        if decision and candidate.ceremony_on and candidate.ceremony_on < decision:
            broken.append(
                BrokenRule(
                    "ceremony_before_decision",
                    _("The admission ceremony cannot come before the decision."),
                    "ceremony_on",
                )
            )
    elif to == Stage.RECOGNISED:
        broken += _required(candidate, ["ceremony_on", "recognition_resolution_on"])
        broken += _not_in_future(candidate, ["recognition_resolution_on"], today)
        if candidate.ceremony_on and candidate.recognition_resolution_on:
            months = rule("PROBATION_MONTHS")
            earliest = add_months(candidate.ceremony_on, months)
            if candidate.recognition_resolution_on < earliest:
                broken.append(
                    BrokenRule(
                        "probation_too_short",
                        _(
                            "Recognition needs at least %(months)s months of probation after "
                            "the ceremony: not before %(date)s."
                        )
                        % {"months": months, "date": _d(earliest)},
                        "recognition_resolution_on",
                    )
                )
    return broken


def enrolment_rules(training_class: TrainingClass, *, today: date | None = None) -> list:
    """What stands against enrolling candidates in ``training_class`` now (empty: allowed)."""
    today = today or timezone.localdate()
    if training_class.ends_on < today:
        return [
            BrokenRule(
                "class_ended", _("This class has ended; enrol candidates in a coming class.")
            )
        ]
    return []


def unit_open_rules(
    unit: Organisation,
    day: date,
    today: date | None = None,
    *,
    code: str = "unit_not_open",
    field: str = "unit",
) -> list[BrokenRule]:
    """Whether ``unit`` was open on ``day``: no one is put in a unit before a reorganisation
    opened it or once one closed it (the forms, the imports, the admin, an admission)."""
    today = today or timezone.localdate()
    if unit.is_open_on(day):
        return []
    if day >= today:
        message = _("%(unit)s is no longer open: choose the unit that continues it.") % {
            "unit": unit.name
        }
    else:
        message = _("%(unit)s was not open on %(day)s: choose the unit of that date.") % {
            "unit": unit.name,
            "day": _d(day),
        }
    return [BrokenRule(code, message, field)]


def unit_of_year_rules(unit: Organisation, year: int) -> list[BrokenRule]:
    """Whether ``unit`` existed on a day of ``year``: a quota is set for the units of its
    year (the quota page, its import, the admin); a closed unit's went to its successor."""
    if unit.is_open_during(year):
        return []
    return [
        BrokenRule(
            "unit_not_open",
            _("%(unit)s did not exist in %(year)s: set the quota of the unit of that year")
            % {"unit": unit.name, "year": year},
            "unit",
        )
    ]


def certificate_lapsed(today: date) -> Q:
    """The candidates who still need their certificate and whose latest one has lapsed on
    ``today``: overdue (``steering``), and free to attend a class again (``enrollable``)."""
    return Q(stage__in=stages.LATE, latest_certificate_on__lt=certificates_lapsed_before(today))


def enrollable(today: date) -> Q:
    """Who may be enrolled in a class: those on the source list or in training
    (``stages.ENROLLABLE``), and those further on whose certificate has lapsed."""
    return Q(stage__in=stages.ENROLLABLE) | certificate_lapsed(today)


def enrollable_rules(candidate: Candidate, today: date | None = None) -> list[BrokenRule]:
    """A class is for those on the source list or in training, or further on with a
    certificate that has lapsed (``enrollable``)."""
    today = today or timezone.localdate()
    if candidate.stage in stages.ENROLLABLE:
        return []
    certified = candidate.latest_certificate_on
    if candidate.stage in stages.LATE and certified and certificate_valid_until(certified) < today:
        return []  # ``certificate_lapsed``, for one candidate
    return [
        BrokenRule(
            "not_enrollable",
            _("%(name)s is “%(stage)s”: a class result is recorded before that.")
            % {"name": candidate.full_name, "stage": Stage(candidate.stage).label},
            "candidate",
        )
    ]


class Locked(NamedTuple):
    """What a locked candidate's row holds of what the pipeline reads (``lock_candidates``)."""

    stage: str
    stage_since: date | None
    version: int

    def onto(self, candidate: Candidate) -> None:
        """Give ``candidate`` (an object read before the lock) the values read under it."""
        candidate.stage, candidate.stage_since, candidate.version = self


def lock_candidates(pks: Iterable[int], *, no_key: bool = False) -> dict[int, Locked]:
    """Lock the candidates ``pks`` until the transaction ends, in id order; their stages
    (``Locked``), read from the locked rows (a candidate deleted meanwhile is missing). The
    writes of enrolments that lock several candidates lock them all first, in this order (a
    class's results page, the admin's enrolment rows, ``enrol``, ``unenrol_rules``): two of
    them then wait for each other instead of deadlocking.
    ``no_key``: a lock that does not keep a new row pointing at them (an enrolment) waiting.
    Outside a transaction, only the values."""
    rows = Candidate.objects.filter(pk__in=set(pks)).order_by("pk")
    if transaction.get_connection().in_atomic_block:
        rows = rows.select_for_update(no_key=no_key)
    fields = rows.values_list("pk", *Locked._fields)
    return {pk: Locked(*values) for pk, *values in fields}


def unenrol_rules(enrolments: Iterable[Enrolment]) -> list[BrokenRule]:
    """Why ``enrolments`` may not all be deleted: a candidate in training stays enrolled in
    a class, as the move into training needed (``_check_forward``); to take them out of
    their last one, enrol them elsewhere or move them back to the source list first. Two
    queries at most.

    In a transaction (the admin's requests), the enrolments' candidates are locked until it
    ends, and their stage is read from the locked rows: two admins deleting a candidate's
    two classes at once each counted the other's class still there, and both went; a
    delete beside a move into training read the stage before the move committed. Each now
    waits for the other to commit, then reads what it wrote."""
    enrolments = list(enrolments)
    candidates = {e.candidate_id: e.candidate for e in enrolments}
    if not candidates:
        return []
    # NO KEY: two checks wait for each other; a new enrolment of theirs does not wait.
    locked = lock_candidates(candidates, no_key=True)
    training = {pk: candidates[pk] for pk, row in locked.items() if row.stage == Stage.TRAINING}
    if not training:
        return []
    leaving = [e.pk for e in enrolments]
    rows = Enrolment.objects.filter(candidate__in=list(training)).exclude(pk__in=leaving)
    enrolled = set(rows.values_list("candidate_id", flat=True))
    return [
        BrokenRule(
            "training_without_class",
            _(
                "%(name)s is in training: enrol them in another class, or move them back to "
                "the source list, before taking them out of their last class."
            )
            % {"name": candidate.full_name},
        )
        for pk, candidate in training.items()
        if pk not in enrolled
    ]


def past_result_rules(
    candidate: Candidate,
    training_class: TrainingClass,
    *,
    result: str,
    certificate_number: str = "",
    certificate_on: date | None = None,
    today: date | None = None,
) -> list:
    """What stands against recording ``candidate``'s result in ``training_class``, a class
    that has ended (issue 10 §2): allowed for a past result, given at once, passed or
    failed; a new enrolment in an ended class is refused (``enrolment_rules``)."""
    today = today or timezone.localdate()
    if training_class.ends_on >= today:
        return [
            BrokenRule(
                "class_not_ended",
                _(
                    "This class has not ended: enrol the candidates, and record their results "
                    "once it ends."
                ),
            )
        ]
    broken = enrollable_rules(candidate, today)
    # A class being created (the admin's class page with its rows) has no enrolment yet.
    saved = candidate.pk is not None and training_class.pk is not None
    if saved and candidate.enrolments.filter(training_class=training_class).exists():
        broken.append(
            BrokenRule(
                "already_enrolled",
                _("%(name)s is already enrolled in this class: record the result there.")
                % {"name": candidate.full_name},
                "candidate",
            )
        )
    if result not in (Enrolment.Result.PASSED, Enrolment.Result.FAILED):
        broken.append(
            BrokenRule(
                "result_missing",
                _("A past class is recorded with its result: passed or failed."),
                "result",
            )
        )
    enrolment = Enrolment(candidate=candidate, training_class=training_class)
    return broken + result_rules(
        enrolment,
        result=result,
        certificate_number=certificate_number,
        certificate_on=certificate_on,
        today=today,
    )


def class_dates_rules(training_class: TrainingClass, starts_on, ends_on) -> list[BrokenRule]:
    """A class's dates as every page sets them (its form, the admin): it ends on or after
    it starts, and not after a certificate it has already given (those certificates'
    candidates were checked against its end)."""
    broken = []
    if starts_on and ends_on and ends_on < starts_on:
        broken.append(
            BrokenRule(
                "class_ends_before_start", _("A class cannot end before it starts."), "ends_on"
            )
        )
    if training_class.pk and ends_on:
        first = (
            Enrolment.objects.filter(training_class=training_class, certificate_on__isnull=False)
            .order_by("certificate_on")
            .values_list("certificate_on", flat=True)
            .first()
        )
        if first is not None and ends_on > first:
            broken.append(
                BrokenRule(
                    "class_ends_after_certificates",
                    _(
                        "The class has given certificates dated from %(day)s: it cannot end "
                        "after that."
                    )
                    % {"day": _d(first)},
                    "ends_on",
                )
            )
    return broken


def result_rules(
    enrolment: Enrolment,
    *,
    result: str,
    certificate_number: str = "",
    certificate_on: date | None = None,
    today: date | None = None,
) -> list:
    """Every rule that recording this class result would break (empty: allowed).

    A pass needs the certificate's number and date; a certificate is dated on or after the
    class's last day and not after today. Taking back the pass of a candidate who has moved
    on with it is refused: move them back first, with a reason, so the history tells why.
    """
    today = today or timezone.localdate()
    broken: list[BrokenRule] = []
    candidate = enrolment.candidate
    if (
        enrolment.result == Enrolment.Result.PASSED
        and result != Enrolment.Result.PASSED
        and candidate.stage not in stages.BEFORE_TRAINED
    ):
        broken.append(
            BrokenRule(
                "pass_in_use",
                _(
                    "%(name)s has moved on with this pass (now “%(stage)s”); move the "
                    "candidate back to training first."
                )
                % {"name": candidate.full_name, "stage": Stage(candidate.stage).label},
                "result",
            )
        )
    elif (
        enrolment.result == Enrolment.Result.PASSED
        and result == Enrolment.Result.PASSED
        and candidate.stage not in stages.BEFORE_TRAINED
        and certificate_on != enrolment.certificate_on
    ):
        # The later steps were checked against this date (DESIGN.md §3): it is not moved
        # under them.
        broken.append(
            BrokenRule(
                "certificate_in_use",
                _(
                    "%(name)s has moved on with this certificate (now “%(stage)s”): its date "
                    "stays as the later steps were checked against it. Move the candidate "
                    "back to training first to correct it."
                )
                % {"name": candidate.full_name, "stage": Stage(candidate.stage).label},
                "certificate_on",
            )
        )
    if result == Enrolment.Result.PASSED:
        if not certificate_number:
            broken.append(
                BrokenRule(
                    "certificate_number_missing",
                    _("A pass needs the certificate number."),
                    "certificate_number",
                )
            )
        if not certificate_on:
            broken.append(
                BrokenRule(
                    "certificate_on_missing",
                    _("A pass needs the certificate date."),
                    "certificate_on",
                )
            )
    elif certificate_number or certificate_on:
        # A failed or pending candidate holds no certificate: the class page would show one.
        broken.append(
            BrokenRule(
                "certificate_without_pass",
                _("A certificate goes with a pass only: choose “%(passed)s” or leave it empty.")
                % {"passed": Enrolment.Result.PASSED.label},
                "certificate_number" if certificate_number else "certificate_on",
            )
        )
    if result != Enrolment.Result.PENDING and enrolment.training_class.ends_on > today:
        broken.append(
            BrokenRule(
                "result_before_class_end",
                _("A class's results are recorded from its last day (%(day)s).")
                % {"day": _d(enrolment.training_class.ends_on)},
                "result",
            )
        )
    if certificate_on:
        broken += _certificate_date_rules(enrolment.training_class, certificate_on, today)
    return broken


def _certificate_date_rules(
    training_class: TrainingClass, certificate_on: date, today: date
) -> list[BrokenRule]:
    broken = []
    if certificate_on > today:
        broken.append(
            BrokenRule(
                "certificate_future",
                _("The certificate date cannot be after today."),
                "certificate_on",
            )
        )
    if certificate_on < training_class.ends_on:
        broken.append(
            BrokenRule(
                "certificate_before_class_end",
                _("A certificate is dated on or after the last day of the class (%(day)s).")
                % {"day": _d(training_class.ends_on)},
                "certificate_on",
            )
        )
    return broken


def effective_date(candidate: Candidate, to: str, on: date) -> date:
    """The date a move takes effect: the paperwork's own date where the step has one."""
    if to == Stage.ADMITTED and candidate.decision_on:
        return candidate.decision_on
    if to == Stage.RECOGNISED and candidate.recognition_resolution_on:
        return candidate.recognition_resolution_on
    if to == Stage.PROPOSED and candidate.cell_resolution_on:
        return candidate.cell_resolution_on
    return on


REASON_MAX_LENGTH = StageChange._meta.get_field("reason").max_length


def check(
    candidate: Candidate,
    to: str,
    *,
    on: date | None = None,
    reason: str = "",
    confirmed: frozenset[str] | set[str] = frozenset(),
    from_paper: bool = False,
) -> list:
    """Every rule that moving ``candidate`` to ``to`` on ``on`` would break (empty: allowed).

    Reads the candidate as it is in memory, so a form can set the step's paperwork first.
    Doubts (``BrokenRule.confirmable``) whose codes are in ``confirmed`` are let through.
    ``from_paper``: a step of the past recorded from the paper file (DESIGN.md §6, "recorded,
    not replayed"): dates in order, age, certificate, votes and introducers where recorded
    are checked as of the step's own date; the mentor of the time is not asked for.
    """
    broken = [
        b
        for b in _check(
            candidate, to, on=on or timezone.localdate(), reason=reason, from_paper=from_paper
        )
        if not (b.confirmable and b.code in confirmed)
    ]
    return broken


def _move_date_rules(candidate: Candidate, to: str, on: date, today: date) -> list[BrokenRule]:
    """A move is not dated in the future, nor before the step it follows began."""
    when = effective_date(candidate, to, on)
    if when > today:
        return [BrokenRule("move_in_future", _("A move cannot be dated in the future."), "on")]
    if candidate.pk and when < candidate.stage_since:
        return [
            BrokenRule(
                "move_before_stage",
                _(
                    "This move cannot be dated %(on)s, before the candidate entered "
                    "“%(stage)s” on %(since)s."
                )
                % {
                    "on": _d(when),
                    "stage": Stage(candidate.stage).label,
                    "since": _d(candidate.stage_since),
                },
                "on",
            )
        ]
    return []


def _check(
    candidate: Candidate, to: str, *, on: date, reason: str, from_paper: bool = False
) -> list[BrokenRule]:
    today = timezone.localdate()
    if to not in Stage.values:
        return [BrokenRule("unknown_stage", _("There is no such stage."))]
    kind = kind_of_move(candidate.stage, to)
    if kind is None:
        if candidate.stage in stages.LEFT:
            # One record per person (the citizen ID is unique), so this is the whole rule.
            message = _("A member who dropped out or was struck off cannot be admitted again.")
        else:
            message = _("%(name)s cannot move from “%(from)s” to “%(to)s”.") % {
                "name": candidate.full_name,
                "from": Stage(candidate.stage).label,
                "to": Stage(to).label,
            }
        return [BrokenRule("move_not_allowed", message)]
    if kind in (Move.BACK, Move.EXIT):
        reason_rules = _reason_rules(reason, _("Give a reason for this move."))
    else:
        reason_rules = _reason_rules(reason, None)
    if reason_rules:
        return reason_rules
    broken = _move_date_rules(candidate, to, on, today)
    if kind in (Move.BACK, Move.EXIT):
        return broken
    return broken + _check_forward(candidate, to, on, today, from_paper)


def _reason_rules(reason: str, required) -> list[BrokenRule]:
    """A reason fits the history (a DataError on PostgreSQL otherwise); ``required`` is the
    message for a missing one where the step needs one."""
    reason = reason.strip()
    if len(reason) > REASON_MAX_LENGTH:
        return [
            BrokenRule(
                "reason_too_long",
                _("Keep the reason to %(max)s characters (it has %(count)s).")
                % {"max": REASON_MAX_LENGTH, "count": len(reason)},
                "reason",
            )
        ]
    if required is not None and not reason:
        return [BrokenRule("reason_missing", required, "reason")]
    return []


def _apply_or_refuse(candidate: Candidate, changes: Mapping[str, Any], find_broken) -> None:
    """Set ``changes`` on the in-memory candidate, then check them: ``find_broken()`` and the
    model's own validation. On any broken rule restore the candidate and raise
    :class:`MoveRefused`: nothing is saved, and a form can show the candidate as it was."""
    originals = {name: getattr(candidate, name) for name in changes}
    for name, value in changes.items():
        setattr(candidate, name, value)
    broken = find_broken()
    if not broken:
        try:
            candidate.full_clean(exclude=["unit"])
        except ValidationError as error:
            broken = [
                BrokenRule("invalid", message, None if field == "__all__" else field)
                for field, messages in error.message_dict.items()
                for message in messages
            ]
    if broken:
        for name, value in originals.items():
            setattr(candidate, name, value)
        raise MoveRefused(broken)


# --- Corrections -------------------------------------------------------------------------------

# The steps whose rules a field takes part in, besides the step that records it.
_RULES_OF_FIELD: dict[str, list[str]] = {
    "date_of_birth": stages.CHECK_THE_PERSON,
    "youth_union_member": stages.CHECK_THE_PERSON,
    "unit": stages.CHECK_THE_VOTE,
    "education": stages.CHECK_THE_VOTE,
    "application_on": stages.CHECK_THE_VOTE,
    "cell_resolution_on": [Stage.ADMITTED],
    "votes_for": [Stage.ADMITTED],
    "votes_total": [Stage.ADMITTED],
    "ceremony_on": [Stage.RECOGNISED],
}


def correctable_fields(candidate: Candidate) -> list[str]:
    """The paperwork of every step the candidate has taken (and of the step it is in), and
    what the cell voted on once it has: entered late or corrected through ``correct``."""
    if candidate.stage in stages.PIPELINE:
        taken = stages.PIPELINE[: stages.PIPELINE.index(candidate.stage) + 1]
    elif candidate.stage in stages.LEFT:
        taken = list(stages.PIPELINE)
    else:  # withdrawn: what it had reached is in its paperwork
        taken = list(stages.ACTIVE)
    fields = [name for step in taken for name in STEP_FIELDS[step]]
    if candidate.stage in stages.VOTED:
        fields += FIXED_AFTER_VOTE
    return list(dict.fromkeys(fields))


def _steps_taken(candidate: Candidate) -> list[str]:
    if candidate.stage in stages.PIPELINE:
        return stages.PIPELINE[1 : stages.PIPELINE.index(candidate.stage) + 1]
    if candidate.stage in stages.LEFT:
        # Left as a probationary member, or after recognition: the record says which.
        admitted = stages.PIPELINE[1 : stages.PIPELINE.index(Stage.ADMITTED) + 1]
        return [*admitted, Stage.RECOGNISED] if candidate.recognition_resolution_on else admitted
    return []


def correction_rules(candidate: Candidate, changed: list[str], today: date | None = None) -> list:
    """The rules the ``changed`` fields take part in, re-run for the steps already taken,
    each as of the day the candidate took it (empty: the correction may be saved)."""
    today = today or timezone.localdate()
    affected = set()
    for name in changed:
        affected.update(step for step, fields in STEP_FIELDS.items() if name in fields)
        affected.update(_RULES_OF_FIELD.get(name, []))
    taken_on = dict(
        StageChange.objects.filter(candidate=candidate.pk, merged_from__isnull=True)
        .order_by("at", "pk")
        .values_list("to_stage", "on")
    )
    broken: list[BrokenRule] = []
    for step in _steps_taken(candidate):
        if step in affected:
            on = effective_date(candidate, step, taken_on.get(step, today))
            broken += _check_forward(candidate, step, min(on, today), today)
    broken += _before_exit_rules(candidate, changed)
    # One refusal per rule, even where two steps check it; a doubt was settled at the move.
    unique = {(b.code, str(b)): b for b in broken if not b.confirmable}
    return list(unique.values())


def _before_exit_rules(candidate: Candidate, changed: list[str]) -> list[BrokenRule]:
    """A member who left was admitted (and recognised) before leaving: a corrected date of
    those steps does not come after the exit."""
    if candidate.exit_on is None:
        return []
    broken = []
    for name in ("decision_on", "ceremony_on", "recognition_resolution_on"):
        day = getattr(candidate, name)
        if name in changed and day and day > candidate.exit_on:
            broken.append(
                BrokenRule(
                    "after_exit",
                    _("%(field)s cannot come after the day the member left (%(date)s).")
                    % {
                        "field": capfirst(Candidate._meta.get_field(name).verbose_name),
                        "date": _d(candidate.exit_on),
                    },
                    name,
                )
            )
    return broken


@transaction.atomic
def correct(candidate: Candidate, changes: Mapping[str, Any], *, by=None, reason: str) -> list:
    """Enter late or correct the paperwork of steps already taken, with a reason.

    Only ``correctable_fields``; the rules those fields take part in are run again (see
    ``correction_rules``), and on any broken rule :class:`MoveRefused` is raised and nothing
    is saved. The candidate's history records old → new, who, and the reason; the party
    member the candidate became, and the date of the current step, follow the paperwork.
    Returns the names of the fields that changed.
    """
    allowed = set(correctable_fields(candidate))
    changed = [name for name, value in changes.items() if getattr(candidate, name) != value]
    outside = [name for name in changed if name not in allowed]
    if outside:
        raise MoveRefused(
            [
                BrokenRule(
                    "not_correctable",
                    _("%(field)s cannot be corrected at this step.")
                    % {"field": capfirst(Candidate._meta.get_field(name).verbose_name)},
                    name,
                )
                for name in outside
            ]
        )
    if not changed:
        return []
    broken = _reason_rules(reason, _("Say why the record is corrected."))
    if broken:
        raise MoveRefused(broken)
    today = timezone.localdate()
    dated = [name for name in changed if isinstance(changes[name], date)]
    _apply_or_refuse(
        candidate,
        {name: changes[name] for name in changed},
        lambda: (
            _not_in_future(candidate, dated, today) + correction_rules(candidate, changed, today)
        ),
    )
    if candidate.stage in stages.PIPELINE:
        since = effective_date(candidate, candidate.stage, candidate.stage_since)
        if since != candidate.stage_since:
            StageChange.objects.filter(
                candidate=candidate,
                to_stage=candidate.stage,
                on=candidate.stage_since,
                merged_from__isnull=True,  # a merged record's steps keep their dates
            ).update(on=since)
            candidate.stage_since = since
            if candidate.stage == Stage.TRAINED:
                candidate.trained_on = since
    if "unit" in changed and candidate.admitted_unit_id is not None:
        # A corrected unit says the record was wrong from the start: the admission is
        # counted where the person was admitted. (A later move of the unit or the person
        # leaves past years as they were; that is no correction.)
        candidate.admitted_unit_id = candidate.unit_id
    candidate._change_reason = reason.strip()
    if getattr(by, "pk", None):
        candidate._history_user = by
    candidate.save()
    _follow_member(candidate, reason.strip(), unit="unit" in changed)
    return changed


def _follow_member(candidate: Candidate, reason: str, *, unit: bool = True) -> None:
    """Keep the party member the candidate became in step with the corrected paperwork, or
    with the candidate's record once linked to it; its unit only when the correction is of
    the unit (``unit``): a reorganisation moves the member, not a recognised candidate's
    record, which stays in the closed unit."""
    member = PartyMember.objects.filter(candidate=candidate).first()
    if member is None:
        return
    if unit and candidate.unit.active:
        member.unit_id = candidate.unit_id
    member.full_name = candidate.full_name  # a member linked since (``link_member``)
    member.admitted_on = candidate.decision_on or member.admitted_on
    if candidate.stage == Stage.RECOGNISED:
        member.official_on = candidate.recognition_resolution_on
    member._change_reason = reason
    member.full_clean()
    member.save()


# --- Deadlines ---------------------------------------------------------------------------------


class DeadlineKind:
    """The statutory deadlines of DESIGN.md §3."""

    DECISION = "decision"  # the admission decision after the cell's resolution
    CEREMONY = "ceremony"  # the ceremony after the decision
    RECOGNITION = "recognition"  # recognition considered after the probation
    DOSSIER = "dossier"  # a dossier without a cell resolution must be redone


@dataclass(frozen=True)
class Deadline:
    """One deadline running for a candidate: ``due`` is its last day, counted from ``since``."""

    kind: str
    due: date
    since: date

    @property
    def watch_on(self) -> date:
        """The day from which the deadline needs acting on: its last day, or, for
        recognition, the end of the probation, from which the cell may meet."""
        return self.since if self.kind == DeadlineKind.RECOGNITION else self.due


def deadlines(candidate: Candidate, calendar) -> list[Deadline]:
    """The statutory deadlines running for ``candidate`` (no query).

    ``calendar`` counts working days for the candidate's unit (``recruitment.workdays``):
    - the decision within ``DECISION_WITHIN_WORKING_DAYS`` of the cell's resolution;
    - the ceremony within ``CEREMONY_WITHIN_WORKING_DAYS`` of the decision;
    - recognition within ``RECOGNITION_WITHIN_WORKING_DAYS`` after ``PROBATION_MONTHS``
      counted from the ceremony;
    - a dossier older than ``DOSSIER_VALID_MONTHS`` without a cell resolution is redone.
    """
    stage = candidate.stage
    if stage == Stage.PROPOSED and candidate.cell_resolution_on:
        start = candidate.cell_resolution_on
        due = calendar.add(start, rule("DECISION_WITHIN_WORKING_DAYS"))
        return [Deadline(DeadlineKind.DECISION, due, start)]
    if stage == Stage.DOSSIER and candidate.application_on:
        start = candidate.application_on
        expires = add_months(start, rule("DOSSIER_VALID_MONTHS"))
        return [Deadline(DeadlineKind.DOSSIER, expires, start)]
    if stage == Stage.ADMITTED and candidate.ceremony_on is None and candidate.decision_on:
        start = candidate.decision_on
        due = calendar.add(start, rule("CEREMONY_WITHIN_WORKING_DAYS"))
        return [Deadline(DeadlineKind.CEREMONY, due, start)]
    if stage == Stage.ADMITTED and candidate.ceremony_on:
        ends = add_months(candidate.ceremony_on, rule("PROBATION_MONTHS"))
        due = calendar.add(ends, rule("RECOGNITION_WITHIN_WORKING_DAYS"))
        return [Deadline(DeadlineKind.RECOGNITION, due, ends)]
    return []


def keep_deadline(candidate: Candidate, calendars=None) -> bool:
    """Set the candidate's stored deadline (``deadline_kind``, ``deadline_watch_on``,
    ``deadline_due_on``) from ``deadlines``; ``Candidate.save`` calls it. Returns whether
    it changed. One query (the unit's days off) where a deadline runs, none otherwise.

    ``calendars`` (``workdays.UnitCalendars``) spares the query when many are kept at once.
    """
    found = None
    days = [
        d
        for d in (
            candidate.cell_resolution_on,
            candidate.application_on,
            candidate.decision_on,
            candidate.ceremony_on,
        )
        if d
    ]
    if candidate.stage in stages.WITH_DEADLINES and days:
        if calendars is None:
            from recruitment.workdays import calendar_for

            calendars = calendar_for(candidate.unit, min(days), max(days) + timedelta(days=500))
        work = calendars.for_path(candidate.unit.path)
        found = next(iter(deadlines(candidate, work)), None)
    values = (found.kind, found.watch_on, found.due) if found else ("", None, None)
    stored = (candidate.deadline_kind, candidate.deadline_watch_on, candidate.deadline_due_on)
    if values == stored:
        return False
    candidate.deadline_kind, candidate.deadline_watch_on, candidate.deadline_due_on = values
    return True


def keep_deadlines(unit_path: str) -> int:
    """``keep_deadline`` for every candidate under ``unit_path`` whose stage may have one,
    after writes that bypassed ``Candidate.save`` (``rollups.recompute_rollups`` calls it).
    Returns how many changed; a query for the days off, one to read, one per change."""
    from recruitment.workdays import calendar_for

    running = Candidate.objects.filter(
        unit__path__startswith=unit_path, stage__in=stages.WITH_DEADLINES
    ).select_related("unit")
    unit = Organisation.objects.filter(path=unit_path).first() if unit_path else None
    today = timezone.localdate()
    calendars = None
    changed = 0
    for candidate in running.iterator(chunk_size=2000):
        if calendars is None:
            top = unit or Organisation(path="")
            calendars = calendar_for(top, date(today.year - 10, 1, 1), date(today.year + 3, 1, 1))
        if keep_deadline(candidate, calendars):
            Candidate.objects.filter(pk=candidate.pk).update(
                **{name: getattr(candidate, name) for name in DEADLINE_FIELDS}
            )
            changed += 1
    if changed:
        figures_cache.bump(subtree=unit_path)  # the dashboard's warnings and overdue counts
    return changed


def last_trained_on() -> Subquery:
    """The day of a candidate's last stage change into "trained", from its history (an
    expression on a candidate queryset; NULL if it never passed)."""
    return Subquery(
        StageChange.objects.filter(candidate=OuterRef("pk"), to_stage=Stage.TRAINED)
        .order_by()
        .values("candidate")
        .annotate(last=Max("on"))
        .values("last")
    )


def keep_trained_on(unit_path: str) -> int:
    """Set ``Candidate.trained_on`` from the stage history of the candidates under
    ``unit_path`` where it differs, after writes that bypassed the pipeline (an import's
    bulk inserts, a merge of histories); ``rollups.recompute_rollups`` calls it. Rows
    already right are not written (a unit move recounts its subtree). Returns how many
    rows it wrote."""
    rows = Candidate.objects.filter(unit__path__startswith=unit_path)
    rows = rows.annotate(last=last_trained_on())
    differs = (
        Q(trained_on__isnull=True, last__isnull=False)
        | Q(trained_on__isnull=False, last__isnull=True)
        | Q(trained_on__lt=F("last"))
        | Q(trained_on__gt=F("last"))
    )
    stale = rows.filter(differs).values("pk")
    written = Candidate.objects.filter(pk__in=stale).update(trained_on=last_trained_on())
    if written:
        figures_cache.bump(subtree=unit_path)
    return written


# --- Moves -------------------------------------------------------------------------------------


def _member_of(candidate: Candidate) -> tuple[PartyMember, bool]:
    """The party member the candidate became, created if missing; and whether it was."""
    return PartyMember.objects.get_or_create(
        candidate=candidate,
        defaults={
            "full_name": candidate.full_name,
            "unit": candidate.unit,
            "admitted_on": candidate.decision_on or candidate.ceremony_on,
        },
    )


def _apply_side_effects(candidate: Candidate, to: str, on: date, reason: str) -> None:
    if to == Stage.ADMITTED:
        # The admission counts where it happens, wherever the person goes later.
        candidate.admitted_unit_id = candidate.unit_id
        member, created = _member_of(candidate)
        if not created:
            member.admitted_on = candidate.decision_on
            member.official_on = None
            member.left_on = None
            member.full_clean()
            member.save(update_fields=["admitted_on", "official_on", "left_on"])
    elif to == Stage.RECOGNISED:
        member, _created = _member_of(candidate)
        member.official_on = candidate.recognition_resolution_on
        member.full_clean()
        member.save(update_fields=["official_on"])
    elif to in stages.LEFT:
        candidate.exit_on, candidate.exit_reason = on, reason
        member = getattr(candidate, "member", None)
        if member is not None:
            member.left_on, member.left_reason = on, reason
            member.save(update_fields=["left_on", "left_reason"])
    elif to == Stage.WITHDRAWN:
        candidate.exit_on, candidate.exit_reason = on, reason
    elif candidate.stage == Stage.WITHDRAWN:
        candidate.exit_on, candidate.exit_reason = None, ""


@transaction.atomic
def move(
    candidate: Candidate,
    to: str,
    *,
    by=None,
    on: date | None = None,
    reason: str = "",
    changes: Mapping[str, Any] | None = None,
    confirmed: frozenset[str] | set[str] = frozenset(),
    from_paper: bool = False,
    version: int | None = None,
) -> StageChange:
    """Move ``candidate`` to stage ``to``, recording who, when and why.

    ``changes`` sets the step's paperwork (``STEP_FIELDS[to]``) before the rules are
    checked; ``confirmed`` lets through the doubts the user confirmed, and ``from_paper``
    records a past step from the paper file (see ``check``); its stage change says so. On
    any broken rule raises :class:`MoveRefused`, restores the in-memory candidate and saves
    nothing. ``version``: the record's version the page was opened on (a move page), refused
    if the record was saved since.
    """
    if candidate.pk:
        # Two requests moving the same candidate at once: the second waits here for the
        # first to commit, then finds the stage it was shown has gone.
        row = (
            Candidate.objects.select_for_update()
            .filter(pk=candidate.pk)
            .values_list("stage", "version")
            .first()
        )
        stored, stored_version = row if row else (None, None)
        if stored is None:
            raise MoveRefused(
                [BrokenRule("gone", _("This candidate was deleted meanwhile; nothing was saved."))]
            )
        if stored != candidate.stage:
            raise MoveRefused(
                [
                    BrokenRule(
                        "already_moved",
                        _(
                            "%(name)s was moved to “%(stage)s” meanwhile, by someone else or "
                            "another tab; nothing was saved. Reload the page."
                        )
                        % {"name": candidate.full_name, "stage": Stage(stored).label},
                    )
                ]
            )
        if version is not None and version != stored_version:
            raise MoveRefused(
                [
                    BrokenRule(
                        "changed_meanwhile",
                        _(
                            "%(name)s's record was changed after you opened this page, by "
                            "someone else or another tab; nothing was saved. Reload the page "
                            "to see the changes."
                        )
                        % {"name": candidate.full_name},
                    )
                ]
            )
    on = on or timezone.localdate()
    _apply_or_refuse(
        candidate,
        changes or {},
        lambda: check(
            candidate, to, on=on, reason=reason, confirmed=confirmed, from_paper=from_paper
        ),
    )

    when = effective_date(candidate, to, on)
    from_stage = candidate.stage
    _apply_side_effects(candidate, to, when, reason)
    candidate.stage = to
    candidate.stage_since = when
    if to == Stage.TRAINED:
        candidate.trained_on = when
    candidate.save()
    return StageChange.objects.create(
        candidate=candidate,
        from_stage=from_stage,
        to_stage=to,
        on=when,
        by=by if getattr(by, "pk", None) else None,
        reason=reason.strip(),
        from_paper=from_paper,
    )


# --- Two records of one person ------------------------------------------------------------------
#
# Merging keeps one record and the history of both (``services.merge_candidates``,
# ``merge_members``, ``link_member``). These rules refuse what would leave the pipeline
# inconsistent: a lost admission, a lost step, a changed vote, two people made one.


def _progress(candidate: Candidate) -> int:
    """How far a record has gone: its place in the pipeline; withdrawn before all."""
    if candidate.stage in stages.PIPELINE:
        return stages.PIPELINE.index(candidate.stage)
    if candidate.stage in stages.LEFT:
        return len(stages.PIPELINE)
    return -1


def identity_rules(first, second) -> list[BrokenRule]:
    """Two different citizen IDs (or old ID numbers) are two people, whatever the names."""
    from recruitment.text import mask_citizen_id

    broken = []
    for name, text in (
        ("citizen_id", _("The two records carry different citizen IDs (%(a)s, %(b)s): they "
                         "are two people, not one.")),
        ("old_id_number", _("The two records carry different old ID numbers (%(a)s, %(b)s): "
                            "they are two people, not one.")),
    ):  # fmt: skip
        a, b = getattr(first, name), getattr(second, name)
        if a and b and a != b:
            values = {"a": mask_citizen_id(a), "b": mask_citizen_id(b)}
            broken.append(BrokenRule(f"different_{name}", text % values, name))
    return broken


def _with_values(record, values: Mapping[str, Any], check) -> list[BrokenRule]:
    """``check()`` run on ``record`` holding ``values``; the record is restored after."""
    originals = {name: getattr(record, name) for name in values}
    try:
        for name, value in values.items():
            setattr(record, name, value)
        return check()
    finally:
        for name, value in originals.items():
            setattr(record, name, value)


def candidate_merge_rules(
    kept: Candidate, removed: Candidate, values: Mapping[str, Any]
) -> list[BrokenRule]:
    """What stands against merging ``removed`` into ``kept`` with the chosen ``values``
    (empty: allowed).

    The record kept carries the pipeline (stage, paperwork, the steps' dates), so it must be
    the one that went further: an admission counts in the figures of its year, and a member
    who left is never admitted again. Values the cell voted on are fixed; a changed birth
    date or Youth Union membership runs the rules of the steps taken again.
    """
    if kept.pk == removed.pk:
        return [BrokenRule("same_record", _("A record cannot be merged with itself."))]
    broken = identity_rules(kept, removed)
    words = {"name": removed.full_name, "pk": removed.pk, "stage": Stage(removed.stage).label}
    if removed.stage in stages.ADMITTED and kept.stage in stages.ADMITTED:
        broken.append(
            BrokenRule(
                "both_admitted",
                _(
                    "Both records were admitted, and each admission counts in the figures of "
                    "its year: they cannot be merged here. Ask an administrator to correct "
                    "them."
                ),
            )
        )
    elif removed.stage in stages.ADMITTED:
        broken.append(
            BrokenRule(
                "keep_admitted",
                _(
                    "Record #%(pk)s of %(name)s is “%(stage)s”: keep that record, so that its "
                    "admission stays on record and in the figures."
                )
                % words,
            )
        )
    elif _progress(removed) > _progress(kept):
        broken.append(
            BrokenRule(
                "keep_further",
                _(
                    "Record #%(pk)s of %(name)s has gone further (“%(stage)s”): keep that "
                    "record, so that its steps stay on record."
                )
                % words,
            )
        )
    changed = [name for name, value in values.items() if getattr(kept, name) != value]
    broken += _fixed_rules(kept, changed)
    if not broken and changed:
        broken = _with_values(kept, values, lambda: correction_rules(kept, changed))
    return broken


def _fixed_rules(candidate: Candidate, changed: list[str]) -> list[BrokenRule]:
    """What the cell voted on stays as it voted: a merge cannot change it."""
    broken = []
    for name in fixed_fields(candidate):
        if name in changed:
            label = capfirst(Candidate._meta.get_field(name).verbose_name)
            broken.append(
                BrokenRule(
                    "fixed_after_vote",
                    _(
                        "%(field)s is fixed once the cell has voted: keep the value of the "
                        "candidate's record."
                    )
                    % {"field": label},
                    name,
                )
            )
    return broken


def record_to_keep(first, second):
    """The record a merge keeps unless the user chooses otherwise: the one admitted
    through the pipeline, or gone further along it; else the first."""
    if isinstance(first, PartyMember):
        return second if second.candidate_id and not first.candidate_id else first
    if second.stage in stages.ADMITTED and first.stage not in stages.ADMITTED:
        return second
    return second if _progress(second) > _progress(first) else first


def member_merge_rules(
    kept: PartyMember, removed: PartyMember, values: Mapping[str, Any]
) -> list[BrokenRule]:
    """What stands against merging member ``removed`` into ``kept`` with ``values``.

    A member admitted through the pipeline follows the candidate's record: that record is
    the one kept, and two such records are two admissions, not merged here.
    """
    if kept.pk == removed.pk:
        return [BrokenRule("same_record", _("A record cannot be merged with itself."))]
    broken = identity_rules(kept, removed)
    if kept.candidate_id and removed.candidate_id:
        broken.append(
            BrokenRule(
                "both_admitted",
                _(
                    "Both records were admitted through the pipeline, and each admission "
                    "counts in the figures of its year: they cannot be merged here. Ask an "
                    "administrator to correct them."
                ),
            )
        )
    elif kept.candidate_id:
        # The kept record follows the candidate's, which says who the person is: the
        # removed record's numbers go to it (``services.merge_members``) unless they differ.
        candidate = kept.candidate
        broken += identity_rules(candidate, removed) + _transfers_rules(removed)
        born, theirs = candidate.date_of_birth, removed.date_of_birth
        if born and theirs and born != theirs:
            broken.append(
                BrokenRule(
                    "birth_dates_differ",
                    _(
                        "The record to remove says born on %(removed)s, the candidate's record "
                        "%(kept)s: correct one of them first."
                    )
                    % {"removed": _d(theirs), "kept": _d(born)},
                    "date_of_birth",
                )
            )
    elif removed.candidate_id:
        broken.append(
            BrokenRule(
                "keep_pipeline_member",
                _(
                    "Record #%(pk)s of %(name)s was admitted through the pipeline: keep that "
                    "record, whose dates follow the candidate's."
                )
                % {"pk": removed.pk, "name": removed.full_name},
            )
        )

    def dates():
        found = []
        admitted, official, left = kept.admitted_on, kept.official_on, kept.left_on
        if official and admitted and official < admitted:
            found.append(
                BrokenRule(
                    "official_before_admitted",
                    _("A member cannot be official before being admitted."),
                    "official_on",
                )
            )
        if left and admitted and left < admitted:
            found.append(
                BrokenRule(
                    "left_before_admitted",
                    _("A member cannot leave before being admitted."),
                    "left_on",
                )
            )
        if bool(left) != bool(kept.left_reason):
            found.append(
                BrokenRule(
                    "left_without_reason",
                    _("Keep the date the member left and the reason together."),
                    "left_on",
                )
            )
        return found

    return broken + _with_values(kept, values, dates)


def link_rules(
    candidate: Candidate, member: PartyMember, values: Mapping[str, Any] | None = None
) -> list[BrokenRule]:
    """What stands against recording that party member ``member`` is the member that
    ``candidate`` became, the candidate taking the identity ``values`` (empty: allowed): the
    candidate was admitted, on the date the member's record says, what the cell voted on
    stays, and neither record is linked to another already."""
    broken = identity_rules(candidate, member)
    values = values or {}
    broken += _fixed_rules(
        candidate, [name for name, value in values.items() if getattr(candidate, name) != value]
    )
    if member.candidate_id and member.candidate_id != candidate.pk:
        broken.append(
            BrokenRule(
                "member_has_candidate",
                _(
                    "This member record follows another candidate record (#%(pk)s): merge "
                    "the two candidate records instead."
                )
                % {"pk": member.candidate_id},
            )
        )
    own = PartyMember.objects.filter(candidate=candidate).exclude(pk=member.pk).first()
    if own is not None:
        broken.append(
            BrokenRule(
                "candidate_has_member",
                _(
                    "%(name)s already has a member record from the pipeline (#%(pk)s): merge "
                    "the two member records instead."
                )
                % {"name": candidate.full_name, "pk": own.pk},
            )
        )
    if candidate.stage not in stages.ADMITTED:
        broken.append(
            BrokenRule(
                "not_admitted",
                _(
                    "%(name)s is recorded as a party member, but the candidate record is at "
                    "“%(stage)s”: a member is not a candidate. Withdraw the candidate record, "
                    "or take it through the pipeline, first."
                )
                % {"name": candidate.full_name, "stage": Stage(candidate.stage).label},
            )
        )
    elif candidate.decision_on != member.admitted_on:
        broken.append(
            BrokenRule(
                "admission_dates_differ",
                _(
                    "The member record says admitted on %(member)s, the admission decision is "
                    "dated %(decision)s: correct one of them first."
                )
                % {
                    "member": _d(member.admitted_on),
                    "decision": _d(candidate.decision_on) if candidate.decision_on else "—",
                },
                "admitted_on",
            )
        )
    return broken + _transfers_rules(member)


def _transfers_rules(member: PartyMember) -> list[BrokenRule]:
    """A member admitted through the pipeline follows the candidate's unit: a record with
    transfers of its own cannot become one (a link, or a merge into one)."""
    if member.pk and member.transfers.exists():
        return [
            BrokenRule(
                "member_has_transfers",
                _(
                    "The member record has transfers, while a member admitted through the "
                    "pipeline follows the candidate's unit: ask an administrator."
                ),
            )
        ]
    return []
