"""The dossier checklist of a candidate: each document of the admission and recognition
dossier (``catalogue.FORMS``), with the date and reference the app holds for it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from recruitment.documents.catalogue import FORMS, Form
from recruitment.models import Candidate, Enrolment, Sponsorship


@dataclass(frozen=True)
class Entry:
    form: Form
    on: date | None
    reference: str

    @property
    def recorded(self) -> bool:
        """The app holds the document's date (its reference alone does not make it)."""
        return self.on is not None


def _recorded(candidate: Candidate, introducers, passed, member) -> dict[str, tuple]:
    """(date, reference) of each document, by form slug; what the app does not track is
    absent."""
    c = candidate
    return {
        "1-knd": (c.application_on, c.application_ref),
        "2-knd": (c.personal_history_on, c.personal_history_ref),
        "certificate": (
            passed.certificate_on if passed else None,
            passed.certificate_number if passed else "",
        ),
        "verification": (c.background_check_on, c.background_check_ref),
        "3-knd": (
            introducers[0].assigned_on if introducers else None,
            "; ".join(s.reference for s in introducers if s.reference),
        ),
        "4-knd": (c.youth_union_resolution_on, c.youth_union_resolution_ref),
        "6-knd": (c.cell_resolution_on, c.cell_resolution_ref),
        "9-knd": (c.decision_on, c.decision_number),
        "13-knd": (c.recognition_resolution_on, ""),
        "16-knd": (member.official_on if member else None, ""),
    }


def checklist(candidate: Candidate) -> list[Entry]:
    """Every document of the dossier in the guidance's order. Three queries."""
    introducers = list(
        candidate.sponsorships.filter(ended_on__isnull=True, role=Sponsorship.Role.INTRODUCER)
    )
    passed = (
        candidate.enrolments.filter(result=Enrolment.Result.PASSED)
        .order_by("-certificate_on")
        .first()
    )
    member = getattr(candidate, "member", None)
    recorded = _recorded(candidate, introducers, passed, member)
    return [Entry(form, *recorded.get(form.slug, (None, ""))) for form in FORMS]
