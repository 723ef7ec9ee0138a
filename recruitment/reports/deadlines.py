"""What falls due in a unit's subtree: the dashboard's warnings (DESIGN.md §4). Reads only.

The deadlines themselves are the pipeline's (``pipeline.deadlines``); this module finds the
candidates they run for, in a fixed number of queries, and groups what falls due by kind.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Count, F, Max, Q, Window
from django.db.models.functions import RowNumber
from django.utils.translation import gettext_lazy as _

from recruitment import pipeline, stages
from recruitment.dates import add_years
from recruitment.models import DEADLINE_FIELDS, Candidate, Enrolment, Organisation
from recruitment.pipeline import DeadlineKind
from recruitment.regulation import rule
from recruitment.stages import Stage

# Warnings listed per kind; the total is always given.
WARNING_LIMIT = 50


class WarningKind(DeadlineKind):
    """The pipeline's deadlines, and two alerts of the dashboard's own."""

    CERTIFICATE = "certificate"
    STUCK = "stuck"

    LABELS = {
        DeadlineKind.DECISION: _("Admission decision due"),
        DeadlineKind.CEREMONY: _("Admission ceremony due"),
        DeadlineKind.RECOGNITION: _("Due for recognition"),
        DeadlineKind.DOSSIER: _("Dossier expiring"),
        CERTIFICATE: _("Certificate lapsing"),
        STUCK: _("Stuck in one stage"),
    }
    ORDER = [
        DeadlineKind.DECISION,
        DeadlineKind.CEREMONY,
        DeadlineKind.RECOGNITION,
        DeadlineKind.DOSSIER,
        CERTIFICATE,
        STUCK,
    ]


# The day each deadline counts from (``pipeline.deadlines``); recognition, from the end of
# the probation, which is the day it is watched from.
COUNTS_FROM = {
    DeadlineKind.DECISION: "cell_resolution_on",
    DeadlineKind.DOSSIER: "application_on",
    DeadlineKind.CEREMONY: "decision_on",
    DeadlineKind.RECOGNITION: "deadline_watch_on",
}


@dataclass
class DueItem:
    """One thing to act on for one candidate; ``due`` is the deadline, where there is one."""

    kind: str
    candidate_id: int
    full_name: str
    unit_name: str
    stage: str
    due: date | None
    since: date | None  # the date the deadline counts from, or the date the stage began
    overdue: bool

    @property
    def stage_label(self) -> str:
        return Stage(self.stage).label


@dataclass
class WarningGroup:
    kind: str
    label: str
    total: int
    items: list[DueItem]

    @property
    def more(self) -> int:
        return self.total - len(self.items)


def _group(kind: str, items: list[DueItem], total: int | None = None) -> WarningGroup:
    items = sorted(items, key=lambda w: (w.due or date.max, w.since or date.max, w.full_name))
    return WarningGroup(
        kind=kind,
        label=WarningKind.LABELS[kind],
        total=len(items) if total is None else total,
        items=items[:WARNING_LIMIT],
    )


def due_items(unit: Organisation, today: date) -> list[WarningGroup]:
    """Deadlines and alerts for the candidates of ``unit``'s subtree, by kind. Five queries,
    each bounded: at most ``WARNING_LIMIT`` rows of each kind are read, and the totals are
    counted in the database.

    - the pipeline's deadlines, kept on each candidate by ``pipeline.keep_deadline`` (an
      index on kind and the day it needs acting on), listed once they need acting on within
      the ``WARN_AHEAD_DAYS`` rule, or are overdue; the nearest due first;
    - a certificate lapsing within ``CERTIFICATE_LAPSE_WARNING_DAYS``;
    - in one active stage for more than ``STUCK_AFTER_DAYS``.
    Deadlines in working days skip weekends and the days off of the candidate's unit.
    """
    ahead = today + timedelta(days=rule("WARN_AHEAD_DAYS"))
    subtree = Candidate.objects.in_subtree(unit)
    watched = subtree.filter(deadline_watch_on__lte=ahead).exclude(deadline_kind="")
    totals = dict(
        watched.order_by()
        .values("deadline_kind")
        .annotate(n=Count("id"))
        .values_list("deadline_kind", "n")
    )
    first = (
        watched.annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("deadline_kind")],
                order_by=[F("deadline_due_on").asc(), F("id").asc()],
            )
        )
        .filter(rank__lte=WARNING_LIMIT)
        .select_related("unit")
        .only("full_name", "stage", "unit__name", *DEADLINE_FIELDS, *COUNTS_FROM.values())
        .order_by()
    )

    def warning(kind, candidate, due, since) -> DueItem:
        return DueItem(
            kind=kind,
            candidate_id=candidate.pk,
            full_name=candidate.full_name,
            unit_name=candidate.unit.name,
            stage=candidate.stage,
            due=due,
            since=since,
            overdue=due is not None and due < today,
        )

    found: dict[str, list[DueItem]] = {kind: [] for kind in WarningKind.ORDER}
    for candidate in first:
        kind = candidate.deadline_kind
        since = getattr(candidate, COUNTS_FROM[kind])
        found[kind].append(warning(kind, candidate, candidate.deadline_due_on, since))

    # Certificates: the latest pass of each candidate who still needs it.
    lapse_by = today + timedelta(days=rule("CERTIFICATE_LAPSE_WARNING_DAYS"))
    certified_by = add_years(lapse_by, -rule("CERTIFICATE_VALID_YEARS")) + timedelta(days=3)
    passed = Q(enrolments__result=Enrolment.Result.PASSED) & ~Q(enrolments__certificate_number="")
    certified = (
        subtree.filter(stage__in=stages.LATE)
        .select_related("unit")
        .only("full_name", "stage", "unit__name")
        .annotate(certificate_on=Max("enrolments__certificate_on", filter=passed))
        .filter(certificate_on__lte=certified_by)
        .order_by()
    )
    for candidate in certified:
        valid_until = pipeline.certificate_valid_until(candidate.certificate_on)
        if valid_until <= lapse_by:
            found[WarningKind.CERTIFICATE].append(
                warning(WarningKind.CERTIFICATE, candidate, valid_until, candidate.certificate_on)
            )

    # Stuck: could be many; the oldest first, and the total.
    stuck_since = today - timedelta(days=rule("STUCK_AFTER_DAYS"))
    stuck_rows = subtree.active().filter(stage_since__lt=stuck_since)
    stuck_total = stuck_rows.count()
    stuck = [
        warning(WarningKind.STUCK, candidate, None, candidate.stage_since)
        for candidate in stuck_rows.select_related("unit")
        .only("full_name", "stage", "stage_since", "unit__name")
        .order_by("stage_since", "id")[:WARNING_LIMIT]
    ]
    groups = [
        _group(kind, found[kind], totals.get(kind, 0))
        for kind in WarningKind.ORDER
        if kind not in (WarningKind.CERTIFICATE, WarningKind.STUCK)
    ]
    groups.append(_group(WarningKind.CERTIFICATE, found[WarningKind.CERTIFICATE]))
    return [*groups, _group(WarningKind.STUCK, stuck, stuck_total)]
