"""What falls due in a unit's subtree: the dashboard's warnings (DESIGN.md §4). Reads only.

The deadlines themselves are the pipeline's (``pipeline.deadlines``); this module finds the
candidates they run for, in a fixed number of queries, and groups what falls due by kind.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Q
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from recruitment import pipeline
from recruitment.models import DEADLINE_FIELDS, Candidate, CandidateQuerySet, Organisation
from recruitment.pipeline import DeadlineKind
from recruitment.regulation import rule
from recruitment.stages import Stage

# Warnings listed per kind, the most pressing first; the total is always given, counted up to
# COUNT_LIMIT, and the reminders list the rest a page at a time.
WARNING_LIMIT = 10
COUNT_LIMIT = 10_000


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

    @property
    def when(self) -> str:
        """ "due by 03/05/2024", "valid until …" or, with no deadline, "since …": one string
        made here rather than three translated blocks per row of a list."""
        if self.due is None:
            return gettext("since %(since)s") % {"since": _short_date(self.since)}
        if self.kind in (WarningKind.CERTIFICATE, WarningKind.DOSSIER):
            return gettext("valid until %(due)s") % {"due": _short_date(self.due)}
        return gettext("due by %(due)s") % {"due": _short_date(self.due)}


def _short_date(day: date | None) -> str:
    return date_format(day, "SHORT_DATE_FORMAT") if day else ""


@dataclass
class WarningGroup:
    """``total`` is exact up to ``COUNT_LIMIT``; past it, ``capped`` says "more than"."""

    kind: str
    label: str
    total: int
    items: list[DueItem]
    capped: bool = False

    @property
    def more(self) -> int:
        return self.total - len(self.items)


def _group(kind: str, items: list[DueItem], total: int) -> WarningGroup:
    return WarningGroup(
        kind=kind,
        label=str(WarningKind.LABELS[kind]),  # text, cached per language (figures_cache)
        total=min(total, COUNT_LIMIT),
        items=items[:WARNING_LIMIT],
        capped=total > COUNT_LIMIT,
    )


def _capped_count(queryset) -> int:
    """The rows of ``queryset``, counted up to ``COUNT_LIMIT`` + 1 (one query)."""
    return queryset.order_by()[: COUNT_LIMIT + 1].count()


def due_condition(kind: str, today: date, *, certificate_days: int | None = None) -> Q:
    """Whom warning ``kind`` runs for on ``today``: the condition ``watched`` filters with.
    The navigation bar's badge joins every kind's with OR, in one WHERE clause.

    ``certificate_days`` (by default the ``CERTIFICATE_LAPSE_WARNING_DAYS`` rule) is how far
    ahead a lapsing certificate is announced; the reminders announce it nearer.
    """
    if kind in COUNTS_FROM:  # the pipeline's, kept on each candidate
        ahead = today + timedelta(days=rule("WARN_AHEAD_DAYS"))
        return Q(deadline_kind=kind, deadline_watch_on__lte=ahead)
    if kind == WarningKind.CERTIFICATE:  # the latest pass, while the candidate needs it
        if certificate_days is None:
            certificate_days = rule("CERTIFICATE_LAPSE_WARNING_DAYS")
        lapse_by = today + timedelta(days=certificate_days)
        # Lapsed by the day after ``lapse_by`` (its last day on or before it), by the
        # pipeline's own rule: a certificate of 29 February counts until 28 February.
        return pipeline.certificate_lapsed(lapse_by + timedelta(days=1))
    stuck_since = today - timedelta(days=rule("STUCK_AFTER_DAYS"))
    return CandidateQuerySet.ACTIVE & Q(stage_since__lt=stuck_since)


def watched(kind: str, subtree, today: date, *, certificate_days: int | None = None):
    """The candidates of ``subtree`` for whom warning ``kind`` runs on ``today``
    (``due_condition``), the most pressing first (a queryset: read a page of it, or count it
    up to a limit)."""
    rows = subtree.filter(due_condition(kind, today, certificate_days=certificate_days))
    if kind in COUNTS_FROM:
        return rows.only(
            "full_name", "stage", "unit__name", *DEADLINE_FIELDS, COUNTS_FROM[kind]
        ).order_by("deadline_watch_on", "id")
    if kind == WarningKind.CERTIFICATE:
        return rows.only("full_name", "stage", "unit__name", "latest_certificate_on").order_by(
            "latest_certificate_on", "id"
        )
    # Stuck: the oldest first.
    return rows.only("full_name", "stage", "stage_since", "unit__name").order_by(
        "stage_since", "id"
    )


def due_item(kind: str, candidate: Candidate, today: date) -> DueItem:
    """What falls due for ``candidate``, a row of ``watched(kind, …)``."""
    if kind in COUNTS_FROM:
        due, since = candidate.deadline_due_on, getattr(candidate, COUNTS_FROM[kind])
    elif kind == WarningKind.CERTIFICATE:
        since = candidate.latest_certificate_on
        due = pipeline.certificate_valid_until(since)
    else:
        due, since = None, candidate.stage_since
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


def candidates_under(unit: Organisation):
    """The candidates of ``unit``'s subtree. Under the root of the only tree, every
    candidate: no filter on the units' paths, so that what falls due nationally is counted
    from an index alone instead of joining a million rows to their units (whether there are
    other roots: ``root_ids``, kept at the roots' own version)."""
    if unit.depth == 1 and Organisation.objects.root_ids() == {unit.pk}:
        return Candidate.objects.all()
    return Candidate.objects.in_subtree(unit)


def due_items(
    unit: Organisation,
    today: date,
    *,
    candidates=None,
    certificate_days: int | None = None,
) -> list[WarningGroup]:
    """Deadlines and alerts for the candidates of ``unit``'s subtree, by kind: the first
    ``WARNING_LIMIT`` of each, the most pressing first, and how many there are (counted in
    the database up to ``COUNT_LIMIT``). Two queries per kind (and one at a root:
    ``candidates_under``), each read from an index whatever the size of the subtree;
    nothing else is loaded.

    - the pipeline's deadlines, kept on each candidate by ``pipeline.keep_deadline``
      (indexed by kind and the day they need acting on), listed once they need acting on
      within the ``WARN_AHEAD_DAYS`` rule, or are overdue; the earliest first;
    - a certificate lapsing within ``CERTIFICATE_LAPSE_WARNING_DAYS``: the candidate's
      latest pass, while it still needs it;
    - in one active stage for more than ``STUCK_AFTER_DAYS``: the oldest first.
    Deadlines in working days skip weekends and the days off of the candidate's unit.
    ``candidates`` (a user's scope, for the reminders) stands for ``unit``'s subtree.
    """
    subtree = candidates if candidates is not None else candidates_under(unit)
    subtree = subtree.select_related("unit")
    groups = []
    for kind in WarningKind.ORDER:
        rows = watched(kind, subtree, today, certificate_days=certificate_days)
        items = [due_item(kind, c, today) for c in rows[:WARNING_LIMIT]]
        groups.append(_group(kind, items, _capped_count(rows)))
    return groups
