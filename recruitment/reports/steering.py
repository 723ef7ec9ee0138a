"""Steering the year: pace against today, the two years before, overdue work and ranking, for
a unit and each of its children (the dashboard's table and its exports). Reads only.

Every function answers in a fixed number of queries whatever the size of the tree: kept
counts (``recruitment.rollups``) for admissions, quotas by unit and year, and the deadlines
kept on each candidate (``pipeline.keep_deadline``) counted per child in the database.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Count, Q
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from recruitment import pipeline, rollups, stages, yearend
from recruitment.dates import add_years
from recruitment.models import Candidate, Organisation, Quota
from recruitment.pipeline import DeadlineKind
from recruitment.reports.figures import (
    Share,
    UnitFigures,
    child_prefix,
    expected_by,
    half_up,
    shares,
)

YEARS_BACK = 2
# Candidates who could close a gap this year: past the class, with a dossier or proposed.
NEAR_ADMISSION = [stages.Stage.DOSSIER, stages.Stage.PROPOSED]


class Overdue:
    """What the drill-down table counts per unit, each linking to the candidate list
    filtered by ``?overdue=<kind>``."""

    DECISION = DeadlineKind.DECISION
    CEREMONY = DeadlineKind.CEREMONY
    RECOGNITION = DeadlineKind.RECOGNITION
    CERTIFICATE = "certificate"

    ORDER = [DECISION, CEREMONY, RECOGNITION, CERTIFICATE]
    LABELS = {
        DECISION: _("Decision overdue"),
        CEREMONY: _("Ceremony overdue"),
        RECOGNITION: _("Recognition overdue"),
        CERTIFICATE: _("Certificate expired"),
    }

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        return [(kind, cls.LABELS[kind]) for kind in cls.ORDER]


def overdue_candidates(queryset, kind: str, today: date):
    """The candidates of ``queryset`` whose ``kind`` of work (``Overdue``) is overdue on
    ``today``: a statutory deadline past its last day, or a training certificate that has
    lapsed while the candidate still needs it. Indexed (kind and day) whatever the scope."""
    if kind == Overdue.CERTIFICATE:
        return queryset.filter(pipeline.certificate_lapsed(today))
    return past_deadlines(queryset, [kind], today)


def past_deadlines(queryset, kinds: list[str], today: date):
    """The candidates of ``queryset`` whose kept deadline of one of ``kinds`` is past its
    last day on ``today``: read from the index of (kind, last day), which carries the unit,
    so that a count per child unit reads no candidate's row."""
    return queryset.filter(deadline_kind__in=kinds, deadline_due_on__lt=today)


@dataclass
class YearFigures:
    year: int
    quota: int | None
    admitted: int
    pipeline: int | None = None  # at the year's end, where recorded (``recruitment.yearend``)

    @property
    def percent(self) -> int | None:
        return self.admitted * 100 // self.quota if self.quota else None


@dataclass
class Steering:
    """One row of the table: the year's figures, and what steering it needs.

    ``expected`` is the straight-line share of the quota due by today (None without a quota
    or outside the current year); ``by_now_last_year`` what the unit had admitted by the
    same day a year before (current year only).
    """

    figures: UnitFigures
    expected: int | None
    by_now_last_year: int | None
    earlier: list[YearFigures]  # the years before, the latest first
    overdue: dict[str, int] = field(default_factory=dict)
    composition: list[Share] = field(default_factory=list)  # of the year's admissions
    quota_id: int | None = None  # the year's quota
    plan: list[int] = field(default_factory=list)  # its monthly plan; empty: the even pace
    year_over: bool = False

    @property
    def planned(self) -> bool:
        """The pace follows the quota's monthly plan, not an even line."""
        return bool(self.plan)

    @property
    def flagged(self) -> bool:
        """Behind: below the quota once the year is over, below the pace while it runs,
        never before it begins."""
        return self.behind_pace or (self.year_over and self.figures.behind)

    @property
    def unit(self) -> Organisation:
        return self.figures.unit

    @property
    def gap(self) -> int | None:
        """Admissions against the pace: −3 means three behind where the quota needs."""
        return None if self.expected is None else self.figures.admitted - self.expected

    @property
    def behind_pace(self) -> bool:
        return self.gap is not None and self.gap < 0

    @property
    def near(self) -> int:
        """Candidates with a dossier or proposed: who could close the gap this year."""
        return sum(self.figures.pipeline.get(s, 0) for s in NEAR_ADMISSION)

    @property
    def overdue_total(self) -> int:
        return sum(self.overdue.values())

    @property
    def overdue_counts(self) -> list[tuple[str, int]]:
        return [(kind, self.overdue.get(kind, 0)) for kind in Overdue.ORDER]


SORTS = ("achievement", "pace", "no_source", "overdue")


def sort_choices() -> list[tuple[str, str]]:
    """The rankings the table offers (``?sort=``), the tree's order first."""
    return [
        ("", _("Tree order")),
        ("achievement", _("Lowest achievement first")),
        ("pace", _("Furthest behind the pace first")),
        ("no_source", _("No source left first")),
        ("overdue", _("Most overdue work first")),
    ]


def _sort_key(sort: str):
    def key(row: Steering):
        figures = row.figures
        if sort == "achievement":  # the lowest achievement first; no quota last
            ratio = figures.ratio
            return (ratio is None, ratio if ratio is not None else 0, figures.unit.path)
        if sort == "pace":  # the furthest behind first
            return (row.gap is None, row.gap if row.gap is not None else 0, figures.unit.path)
        if sort == "overdue":
            return (-row.overdue_total, figures.unit.path)
        return (not figures.no_source, figures.unit.path)  # no source left first

    return key


def rank(children: list[Steering], sort: str) -> list[Steering]:
    """The children in the order ``?sort=`` asks for (``SORTS``); the tree's order else."""
    if sort not in SORTS:
        return children
    return sorted(children, key=_sort_key(sort))


def steering(rows: list[UnitFigures], today: date) -> list[Steering]:
    """``Steering`` for each of ``rows`` (``figures.quota_figures``: the unit, then its
    children), in their order. Six queries: the quotas of the year (their monthly plans)
    and of the two years before, the kept admissions and make-up of the year and the two
    before, the pipeline recorded at the end of the two before, the admissions of this month a
    year ago (in the current year only) and the overdue work (two)."""
    units = [row.unit for row in rows]
    year = rows[0].year
    earlier_years = [year - n for n in range(1, YEARS_BACK + 1)]
    quotas, this_year = {}, {}
    rows_of_quotas = Quota.objects.filter(unit__in=units, year__in=[year, *earlier_years])
    for pk, unit_id, y, target, plan in rows_of_quotas.values_list(
        "pk", "unit_id", "year", "target", "monthly_plan"
    ):
        quotas[(unit_id, y)] = target
        if y == year:
            this_year[unit_id] = (pk, plan)
    keys = [rollups.ADMITTED, *rollups.MONTHS, *rollups.COMPOSITION]
    kept = rollups.read(units, [year, *earlier_years], keys)
    pipelines = yearend.read(units, earlier_years)
    current = year == today.year
    ids = {u.path: u.pk for u in units[1:]}
    partial = _this_month_a_year_ago(rows[0].unit, today, ids) if current else {}
    overdue = overdue_by_child(rows[0].unit, today, ids)

    def one(row: UnitFigures) -> Steering:
        counts = kept.get(row.unit.pk, {})
        by_now = None
        if current:
            months = rollups.MONTHS[: today.month - 1]
            by_now = sum(counts.get((year - 1, m), 0) for m in months)
            by_now += partial.get(row.unit.pk, 0)
        quota_id, plan = this_year.get(row.unit.pk, (None, []))
        expected = None
        if current and row.quota is not None:
            expected = half_up(expected_by(row.quota, year, today, plan))
        return Steering(
            figures=row,
            expected=expected,
            by_now_last_year=by_now,
            earlier=[
                YearFigures(
                    y,
                    quotas.get((row.unit.pk, y)),
                    counts.get((y, rollups.ADMITTED), 0),
                    pipelines.get((row.unit.pk, y)),
                )
                for y in earlier_years
            ],
            overdue=overdue.get(row.unit.pk, {}),
            quota_id=quota_id,
            plan=plan,
            year_over=year < today.year,
            composition=shares(
                {key: n for (y, key), n in counts.items() if y == year and key in keys}
            ),
        )

    return [one(row) for row in rows]


def _by_child(unit: Organisation, queryset, lookup, ids: dict[str, int], *group) -> dict:
    """``queryset`` counted per child of ``unit`` (``ids``: unit id by path), grouped by the
    child's path prefix in the database, and by the fields ``group`` where given: ``{unit id:
    n}`` or ``{unit id: {group value: n}}``. ``unit`` counts its whole subtree. One query."""
    rows = (
        queryset.order_by()
        .annotate(child=child_prefix(unit, lookup))
        .values_list("child", *group)
        .annotate(n=Count("*"))  # not a column: an index-only scan where the index allows
    )
    found: dict = defaultdict(dict) if group else defaultdict(int)
    for path, *value, n in rows:
        for pk in {ids.get(path), unit.pk} - {None}:
            if group:
                found[pk][value[0]] = found[pk].get(value[0], 0) + n
            else:
                found[pk] += n
    return found


def _this_month_a_year_ago(unit: Organisation, today: date, ids: dict[str, int]) -> dict:
    """Admissions from the first of this month a year ago to the same day, per child, in
    the unit that admitted them (its own where none was recorded), as the kept counts."""
    day = add_years(today, -1)
    admitted_in = Coalesce("admitted_unit__path", "unit__path")
    admitted = Candidate.objects.filter(
        Q(admitted_unit__path__startswith=unit.path)
        | Q(admitted_unit__isnull=True, unit__path__startswith=unit.path),
        stage__in=stages.ADMITTED,
        decision_on__gte=day.replace(day=1),
        decision_on__lte=day,
    )
    return _by_child(unit, admitted, admitted_in, ids)


def overdue_by_child(unit: Organisation, today: date, ids: dict[str, int]) -> dict:
    """Overdue work (``Overdue``) per unit: ``{unit id: {kind: n}}`` for ``unit`` (its whole
    subtree) and each child. Two queries: the deadlines kept on the candidates, grouped by
    kind, and the lapsed certificates."""
    subtree = Candidate.objects.in_subtree(unit)
    deadlines = [k for k in Overdue.ORDER if k != Overdue.CERTIFICATE]
    late = past_deadlines(subtree, deadlines, today)
    found = _by_child(unit, late, "unit__path", ids, "deadline_kind")
    lapsed = overdue_candidates(subtree, Overdue.CERTIFICATE, today)
    for pk, n in _by_child(unit, lapsed, "unit__path", ids).items():
        found[pk][Overdue.CERTIFICATE] = n
    return found
