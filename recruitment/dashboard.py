"""Reads for the quota dashboard and reports (DESIGN.md §4). Nothing here writes.

Each function answers in a fixed number of queries whatever the size of the tree: the
subtree of a unit is one prefix filter on its materialised path, and roll-ups are grouped
by the path prefix of each child in the database. Every function takes a unit the caller
has already fetched through the user's scope, so it reads nothing outside that scope.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, timedelta
from fractions import Fraction

from django.db.models import Count, F, Max, Q
from django.db.models.functions import ExtractMonth, ExtractYear, Substr
from django.utils.translation import gettext_lazy as _

from recruitment.dates import add_months, add_years
from recruitment.models import (
    ACTIVE_STAGES,
    ADMITTED_STAGES,
    LEFT_STAGES,
    MAJORITY_ETHNICITY,
    Candidate,
    Enrolment,
    Gender,
    Organisation,
    Quota,
    Stage,
    StageChange,
)
from recruitment.pipeline import certificate_valid_until
from recruitment.settings import rule
from recruitment.workdays import calendar_for

# The stages a planned quota draws on: candidates who could be admitted within a year.
LATE_STAGES = [Stage.TRAINED, Stage.DOSSIER, Stage.PROPOSED]
# Warnings listed per kind; the total is always given.
WARNING_LIMIT = 50
RETENTION_YEARS = 5


def _half_up(value: Fraction) -> int:
    return int(value + Fraction(1, 2)) if value >= 0 else -int(-value + Fraction(1, 2))


@dataclass
class UnitFigures:
    """Quota against admissions for one unit in one year (admissions of its whole subtree).

    ``pipeline`` counts today's active candidates of the subtree by stage.
    """

    unit: Organisation
    year: int
    quota: int | None
    previous_quota: int | None
    admitted: int
    pipeline: dict[str, int] = field(default_factory=dict)

    @property
    def ratio(self) -> Fraction | None:
        """The exact achievement ratio; None where there is no quota (or a quota of 0)."""
        if not self.quota:
            return None
        return Fraction(self.admitted, self.quota)

    @property
    def ratio_text(self) -> str:
        """The exact ratio as written in reports, unreduced: "48/43"; "" without a quota."""
        return f"{self.admitted}/{self.quota}" if self.quota else ""

    @property
    def percent(self) -> int | None:
        """Achievement as a whole percent rounded down, as official reports show it."""
        if not self.quota:
            return None
        return self.admitted * 100 // self.quota

    @property
    def quota_change(self) -> int | None:
        if self.quota is None or self.previous_quota is None:
            return None
        return self.quota - self.previous_quota

    @property
    def stage_counts(self) -> list[int]:
        """Active candidates per stage, in the order of ``ACTIVE_STAGES``."""
        return [self.pipeline.get(stage, 0) for stage in ACTIVE_STAGES]

    @property
    def active(self) -> int:
        return sum(self.pipeline.get(stage, 0) for stage in ACTIVE_STAGES)

    @property
    def no_source(self) -> bool:
        """No active candidate anywhere in the subtree: the unit has no source left."""
        return self.active == 0

    @property
    def behind(self) -> bool:
        return self.quota is not None and self.admitted < self.quota


def _prefix(unit: Organisation, lookup: str = "unit__path") -> Substr:
    return Substr(lookup, 1, len(unit.path) + Organisation.steplen)


def _child_prefix_counts(queryset, unit: Organisation) -> dict[str, int]:
    """Count rows of ``queryset`` (candidates) by the child of ``unit`` they fall under.

    The key is the child's path; rows of ``unit`` itself come under ``unit.path``.
    """
    rows = (
        queryset.filter(unit__path__startswith=unit.path)
        .annotate(prefix=_prefix(unit))
        .values("prefix")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {row["prefix"]: row["n"] for row in rows}


def _child_stage_counts(unit: Organisation, year: int) -> dict[str, dict[str, int]]:
    """Per child path: today's active candidates by stage, and ``"admitted"`` in ``year``.

    One query grouped by child prefix and stage.
    """
    rows = (
        Candidate.objects.filter(unit__path__startswith=unit.path)
        .filter(Q(stage__in=ACTIVE_STAGES) | Q(stage__in=ADMITTED_STAGES, decision_on__year=year))
        .annotate(prefix=_prefix(unit))
        .values("prefix", "stage")
        .annotate(n=Count("id"))
        .order_by()
    )
    counts: dict[str, dict[str, int]] = {}
    for row in rows:
        per_stage = counts.setdefault(row["prefix"], {})
        key = "admitted" if row["stage"] in ADMITTED_STAGES else row["stage"]
        per_stage[key] = per_stage.get(key, 0) + row["n"]
    return counts


def _total(counts: dict[str, dict[str, int]]) -> dict[str, int]:
    total: dict[str, int] = {}
    for per_stage in counts.values():
        for key, n in per_stage.items():
            total[key] = total.get(key, 0) + n
    return total


def quota_figures(unit: Organisation, year: int) -> list[UnitFigures]:
    """The unit's own figures first, then one row per child unit. Three queries.

    Admissions are those of ``year``; the pipeline counts are today's.
    """
    children = list(Organisation.objects.get_children(unit))
    units = [unit, *children]
    quotas = {
        (q.unit_id, q.year): q.target
        for q in Quota.objects.filter(unit__in=units, year__in=[year, year - 1])
    }
    counts = _child_stage_counts(unit, year)

    def figures(u: Organisation, per_stage: dict[str, int]) -> UnitFigures:
        return UnitFigures(
            unit=u,
            year=year,
            quota=quotas.get((u.pk, year)),
            previous_quota=quotas.get((u.pk, year - 1)),
            admitted=per_stage.get("admitted", 0),
            pipeline={s: n for s, n in per_stage.items() if s != "admitted"},
        )

    return [figures(unit, _total(counts))] + [
        figures(child, counts.get(child.path, {})) for child in children
    ]


# --- Header ----------------------------------------------------------------------------------


def latest_quota_year(quotas) -> int | None:
    """The latest year with a quota among ``quotas`` (a scoped queryset). One query."""
    return quotas.aggregate(year=Max("year"))["year"]


@dataclass
class Pace:
    """Admissions against the straight-line pace to the quota at a point of the year."""

    share: Fraction  # of the year elapsed, 0 to 1
    expected: Fraction | None  # quota × share

    @property
    def share_percent(self) -> int:
        return int(self.share * 100)

    @property
    def expected_rounded(self) -> int | None:
        return None if self.expected is None else _half_up(self.expected)


def pace(figures: UnitFigures, today: date) -> Pace:
    """Where the straight-line pace to the quota stands on ``today`` (no query)."""
    year = figures.year
    if year < today.year:
        share = Fraction(1)
    elif year > today.year:
        share = Fraction(0)
    else:
        days = 366 if calendar.isleap(year) else 365
        share = Fraction(today.timetuple().tm_yday, days)
    expected = None if figures.quota is None else figures.quota * share
    return Pace(share=share, expected=expected)


def ancestors_in_scope(unit: Organisation, units) -> list[Organisation]:
    """The units above ``unit`` that ``units`` (a scoped queryset) holds, top first."""
    paths = Organisation.ancestor_paths(unit.path)
    if not paths:
        return []
    return list(units.filter(path__in=paths).order_by("path"))


# --- Charts' data ----------------------------------------------------------------------------


def monthly_admissions(unit: Organisation, year: int) -> list[int]:
    """Admissions in the subtree in each month of ``year`` (12 numbers). One query."""
    rows = (
        Candidate.objects.in_subtree(unit)
        .admitted_in(year)
        .annotate(month=ExtractMonth("decision_on"))
        .values("month")
        .annotate(n=Count("id"))
        .order_by()
    )
    months = [0] * 12
    for row in rows:
        months[row["month"] - 1] = row["n"]
    return months


# --- Composition and retention ---------------------------------------------------------------


@dataclass
class Share:
    key: str
    label: str
    count: int
    total: int

    @property
    def percent(self) -> int | None:
        return self.count * 100 // self.total if self.total else None


def composition(unit: Organisation, year: int) -> list[Share]:
    """The make-up of the year's admissions, as official reports break it down. One query.

    Youth: aged ``YOUTH_UNION_MAX_AGE`` or less on the day of the decision. The decision
    falls in ``year``, so only those born ``max_age + 1`` years before it need the day
    compared.
    """
    max_age = rule("YOUTH_UNION_MAX_AGE")
    edge = year - max_age - 1  # born this year: 30 until the birthday, 31 after it
    before_birthday = Q(decision_on__month__lt=F("date_of_birth__month")) | Q(
        decision_on__month=F("date_of_birth__month"),
        decision_on__day__lt=F("date_of_birth__day"),
    )
    youth = Q(date_of_birth__year__gt=edge) | (Q(date_of_birth__year=edge) & before_birthday)
    minority = ~Q(ethnicity="") & ~Q(ethnicity__iexact=MAJORITY_ETHNICITY)
    counts = (
        Candidate.objects.in_subtree(unit)
        .admitted_in(year)
        .aggregate(
            total=Count("id"),
            women=Count("id", filter=Q(gender=Gender.FEMALE)),
            youth=Count("id", filter=youth),
            minority=Count("id", filter=minority),
            religious=Count("id", filter=~Q(religion="")),
            private_enterprise=Count("id", filter=Q(private_enterprise=True)),
            youth_union=Count("id", filter=Q(youth_union_member=True)),
        )
    )
    labels = [
        ("women", _("Women")),
        ("youth", _("Youth (%(age)s or less)") % {"age": max_age}),
        ("minority", _("Ethnic minorities")),
        ("religious", _("Religious followers")),
        ("private_enterprise", _("Private-enterprise workers")),
        ("youth_union", _("Youth Union members")),
    ]
    return [Share(key, label, counts[key], counts["total"]) for key, label in labels]


@dataclass
class RetentionYear:
    year: int
    admitted: int
    left: int

    @property
    def remaining(self) -> int:
        return self.admitted - self.left

    @property
    def left_percent(self) -> int | None:
        return self.left * 100 // self.admitted if self.admitted else None


def retention(unit: Organisation, year: int, years: int = RETENTION_YEARS) -> list[RetentionYear]:
    """For ``year`` and the years before it: admitted, and since dropped out or struck off.

    Oldest year first. One query.
    """
    first = year - years + 1
    rows = (
        Candidate.objects.in_subtree(unit)
        .filter(stage__in=ADMITTED_STAGES, decision_on__year__gte=first)
        .filter(decision_on__year__lte=year)
        .annotate(y=ExtractYear("decision_on"))
        .values("y")
        .annotate(admitted=Count("id"), left=Count("id", filter=Q(stage__in=LEFT_STAGES)))
        .order_by()
    )
    by_year = {row["y"]: row for row in rows}
    return [
        RetentionYear(
            year=y,
            admitted=by_year.get(y, {}).get("admitted", 0),
            left=by_year.get(y, {}).get("left", 0),
        )
        for y in range(first, year + 1)
    ]


# --- Warnings --------------------------------------------------------------------------------


class WarningKind:
    DECISION = "decision"
    CEREMONY = "ceremony"
    RECOGNITION = "recognition"
    DOSSIER = "dossier"
    CERTIFICATE = "certificate"
    STUCK = "stuck"

    LABELS = {
        DECISION: _("Admission decision due"),
        CEREMONY: _("Admission ceremony due"),
        RECOGNITION: _("Due for recognition"),
        DOSSIER: _("Dossier expiring"),
        CERTIFICATE: _("Certificate lapsing"),
        STUCK: _("Stuck in one stage"),
    }
    ORDER = [DECISION, CEREMONY, RECOGNITION, DOSSIER, CERTIFICATE, STUCK]


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

    - decision within ``DECISION_WITHIN_WORKING_DAYS`` of the cell resolution (proposed),
      listed once due within the ``WARN_AHEAD_DAYS`` rule, as every deadline below;
    - ceremony within ``CEREMONY_WITHIN_WORKING_DAYS`` of the decision;
    - recognition within ``RECOGNITION_WITHIN_WORKING_DAYS`` after ``PROBATION_MONTHS``
      (probation ending within the ``WARN_AHEAD_DAYS`` rule);
    - a dossier older than ``DOSSIER_VALID_MONTHS`` without a cell resolution;
    - a certificate lapsing within ``CERTIFICATE_LAPSE_WARNING_DAYS``;
    - in one active stage for more than ``STUCK_AFTER_DAYS``.
    Deadlines in working days skip weekends and the holidays of the candidate's unit.
    """
    ahead = today + timedelta(days=rule("WARN_AHEAD_DAYS"))
    probation = rule("PROBATION_MONTHS")
    dossier_months = rule("DOSSIER_VALID_MONTHS")
    # Loose bounds in SQL (three days' slack for month-end clamping); exact tests below.
    probation_started_by = add_months(ahead, -probation) + timedelta(days=3)
    applied_by = add_months(ahead, -dossier_months) + timedelta(days=3)
    subtree = Candidate.objects.in_subtree(unit)
    fields = ["id", "full_name", "unit__name", "unit__path", "stage"]
    dated = ["cell_resolution_on", "decision_on", "ceremony_on", "application_on"]
    rows = list(
        subtree.filter(
            Q(stage=Stage.PROPOSED, cell_resolution_on__isnull=False)
            | Q(stage=Stage.ADMITTED, decision_on__isnull=False, ceremony_on__isnull=True)
            | Q(stage=Stage.ADMITTED, ceremony_on__lte=probation_started_by)
            | Q(stage=Stage.DOSSIER, application_on__lte=applied_by)
        )
        .values(*fields, *dated)
        .order_by()
    )
    starts = [d for row in rows for d in (row[name] for name in dated) if d]
    calendars = calendar_for(
        unit, min(starts, default=today), max([*starts, today]) + timedelta(days=400)
    )

    def warning(kind, row, due, since) -> DueItem:
        return DueItem(
            kind=kind,
            candidate_id=row["id"],
            full_name=row["full_name"],
            unit_name=row["unit__name"],
            stage=row["stage"],
            due=due,
            since=since,
            overdue=due is not None and due < today,
        )

    found: dict[str, list[Warning]] = {kind: [] for kind in WarningKind.ORDER}
    for row in rows:
        work = calendars.for_path(row["unit__path"])
        if row["stage"] == Stage.PROPOSED:
            start = row["cell_resolution_on"]
            due = work.add(start, rule("DECISION_WITHIN_WORKING_DAYS"))
            if due <= ahead:
                found[WarningKind.DECISION].append(warning(WarningKind.DECISION, row, due, start))
        elif row["stage"] == Stage.DOSSIER:
            expires = add_months(row["application_on"], dossier_months)
            if expires <= ahead:
                found[WarningKind.DOSSIER].append(
                    warning(WarningKind.DOSSIER, row, expires, row["application_on"])
                )
        elif row["ceremony_on"] is None:
            start = row["decision_on"]
            due = work.add(start, rule("CEREMONY_WITHIN_WORKING_DAYS"))
            if due <= ahead:
                found[WarningKind.CEREMONY].append(warning(WarningKind.CEREMONY, row, due, start))
        else:
            ends = add_months(row["ceremony_on"], probation)
            if ends <= ahead:
                due = work.add(ends, rule("RECOGNITION_WITHIN_WORKING_DAYS"))
                found[WarningKind.RECOGNITION].append(
                    warning(WarningKind.RECOGNITION, row, due, ends)
                )

    # Certificates: the latest pass of each candidate who still needs it.
    lapse_by = today + timedelta(days=rule("CERTIFICATE_LAPSE_WARNING_DAYS"))
    certified_by = add_years(lapse_by, -rule("CERTIFICATE_VALID_YEARS")) + timedelta(days=3)
    passed = Q(enrolments__result=Enrolment.Result.PASSED) & ~Q(enrolments__certificate_number="")
    certified = (
        subtree.filter(stage__in=LATE_STAGES)
        .annotate(certificate_on=Max("enrolments__certificate_on", filter=passed))
        .filter(certificate_on__lte=certified_by)
        .values(*fields, "certificate_on")
        .order_by()
    )
    for row in certified:
        valid_until = certificate_valid_until(row["certificate_on"])
        if valid_until <= lapse_by:
            found[WarningKind.CERTIFICATE].append(
                warning(WarningKind.CERTIFICATE, row, valid_until, row["certificate_on"])
            )

    # Stuck: could be many; the oldest first, and the total.
    stuck_since = today - timedelta(days=rule("STUCK_AFTER_DAYS"))
    stuck_rows = subtree.active().filter(stage_since__lt=stuck_since)
    stuck_total = stuck_rows.count()
    stuck = [
        warning(WarningKind.STUCK, row, None, row["stage_since"])
        for row in stuck_rows.values(*fields, "stage_since").order_by("stage_since", "id")[
            :WARNING_LIMIT
        ]
    ]
    groups = [_group(kind, found[kind]) for kind in WarningKind.ORDER[:-1]]
    return [*groups, _group(WarningKind.STUCK, stuck, stuck_total)]


# --- Planning --------------------------------------------------------------------------------


@dataclass
class PlanRow:
    """One child unit's case for next year's quota."""

    unit: Organisation
    year: int  # this year; the plan is for year + 1
    quota: int | None
    admitted: int
    next_quota: int | None
    pipeline: dict[str, int]  # late stages, today
    # Of the candidates who passed training in the history years (a cohort): how many were
    # admitted since, and how many of them are decided (admitted or withdrawn). Those still
    # on their way are left out: they are neither a success nor a failure yet.
    history_admitted: int
    history_decided: int

    @property
    def late_pipeline(self) -> int:
        return sum(self.pipeline.get(stage, 0) for stage in LATE_STAGES)

    @property
    def rate(self) -> Fraction | None:
        """The share of the trained cohort admitted, among those decided; None without any."""
        if not self.history_decided:
            return None
        return min(Fraction(self.history_admitted, self.history_decided), Fraction(1))

    @property
    def rate_percent(self) -> int | None:
        return None if self.rate is None else int(self.rate * 100)

    @property
    def suggested(self) -> int | None:
        """Late pipeline × conversion rate, rounded half up; None without history."""
        if self.rate is None:
            return None
        return _half_up(self.late_pipeline * self.rate)


def planning(unit: Organisation, year: int, history_years: int | None = None) -> list[PlanRow]:
    """Suggested quotas for ``year + 1``, one row per child unit of ``unit``. Four queries.

    A child's conversion rate follows the candidates who passed training (entered "trained")
    in the ``history_years`` ending with ``year`` (default: the ``PLANNING_HISTORY_YEARS``
    rule): how many of those since decided were admitted rather than withdrawn. Its
    suggestion applies that rate to today's trained, dossier and proposed candidates.
    """
    if history_years is None:
        history_years = rule("PLANNING_HISTORY_YEARS")
    children = list(Organisation.objects.get_children(unit))
    quotas = {
        (q.unit_id, q.year): q.target
        for q in Quota.objects.filter(unit__in=children, year__in=[year, year + 1])
    }
    counts = _child_stage_counts(unit, year)
    first = year - history_years + 1
    cohort_rows = (
        StageChange.objects.filter(
            candidate__unit__path__startswith=unit.path,
            to_stage=Stage.TRAINED,
            on__year__gte=first,
            on__year__lte=year,
        )
        .annotate(prefix=_prefix(unit, "candidate__unit__path"))
        .values("prefix")
        .annotate(
            admitted=Count(
                "candidate", distinct=True, filter=Q(candidate__stage__in=ADMITTED_STAGES)
            ),
            decided=Count(
                "candidate",
                distinct=True,
                filter=Q(candidate__stage__in=[*ADMITTED_STAGES, Stage.WITHDRAWN]),
            ),
        )
        .order_by()
    )
    cohort = {row["prefix"]: row for row in cohort_rows}
    return [
        PlanRow(
            unit=child,
            year=year,
            quota=quotas.get((child.pk, year)),
            admitted=counts.get(child.path, {}).get("admitted", 0),
            next_quota=quotas.get((child.pk, year + 1)),
            pipeline={s: counts.get(child.path, {}).get(s, 0) for s in LATE_STAGES},
            history_admitted=cohort.get(child.path, {}).get("admitted", 0),
            history_decided=cohort.get(child.path, {}).get("decided", 0),
        )
        for child in children
    ]


# --- Quota editing ---------------------------------------------------------------------------


def quotas_by_unit(units: list[Organisation], year: int) -> dict[int, Quota]:
    """The quotas of ``units`` in ``year``, by unit id. One query."""
    return {q.unit_id: q for q in Quota.objects.filter(unit__in=units, year=year)}


def quota_years(quotas) -> list[int]:
    """Years that have a quota among ``quotas`` (a scoped queryset), latest first. One query."""
    return list(quotas.order_by("-year").values_list("year", flat=True).distinct())
