"""What falls due in a unit's subtree: the dashboard's warnings (DESIGN.md §4). Reads only.

The deadlines themselves are the pipeline's (``pipeline.deadlines``); this module finds the
candidates they run for, in a fixed number of queries, and groups what falls due by kind.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Max, Q
from django.utils.translation import gettext_lazy as _

from recruitment import pipeline, stages
from recruitment.dates import add_months, add_years
from recruitment.models import Candidate, Enrolment, Organisation
from recruitment.pipeline import DeadlineKind
from recruitment.regulation import rule
from recruitment.stages import Stage
from recruitment.workdays import calendar_for

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
    """Deadlines and alerts for the candidates of ``unit``'s subtree, by kind. Five queries.

    - the pipeline's deadlines (``pipeline.deadlines``), listed once they need acting on
      within the ``WARN_AHEAD_DAYS`` rule, or are overdue;
    - a certificate lapsing within ``CERTIFICATE_LAPSE_WARNING_DAYS``;
    - in one active stage for more than ``STUCK_AFTER_DAYS``.
    Deadlines in working days skip weekends and the days off of the candidate's unit.
    """
    ahead = today + timedelta(days=rule("WARN_AHEAD_DAYS"))
    # Loose bounds in SQL (three days' slack for month-end clamping); exact tests below.
    probation_started_by = add_months(ahead, -rule("PROBATION_MONTHS")) + timedelta(days=3)
    applied_by = add_months(ahead, -rule("DOSSIER_VALID_MONTHS")) + timedelta(days=3)
    subtree = Candidate.objects.in_subtree(unit)
    dated = ["cell_resolution_on", "decision_on", "ceremony_on", "application_on"]
    candidates = list(
        subtree.filter(
            Q(stage=Stage.PROPOSED, cell_resolution_on__isnull=False)
            | Q(stage=Stage.ADMITTED, decision_on__isnull=False, ceremony_on__isnull=True)
            | Q(stage=Stage.ADMITTED, ceremony_on__lte=probation_started_by)
            | Q(stage=Stage.DOSSIER, application_on__lte=applied_by)
        )
        .select_related("unit")
        .only("full_name", "stage", "unit__name", "unit__path", *dated)
        .order_by()
    )
    starts = [d for c in candidates for d in (getattr(c, name) for name in dated) if d]
    calendars = calendar_for(
        unit, min(starts, default=today), max([*starts, today]) + timedelta(days=400)
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
    for candidate in candidates:
        work = calendars.for_path(candidate.unit.path)
        for deadline in pipeline.deadlines(candidate, work):
            if deadline.watch_on <= ahead:
                found[deadline.kind].append(
                    warning(deadline.kind, candidate, deadline.due, deadline.since)
                )

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
    groups = [_group(kind, found[kind]) for kind in WarningKind.ORDER[:-1]]
    return [*groups, _group(WarningKind.STUCK, stuck, stuck_total)]
