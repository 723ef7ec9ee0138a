"""The quota figures of a unit and its children in one year (DESIGN.md §4). Reads only.

Each function answers in a fixed number of queries whatever the size of the tree: the
subtree of a unit is one prefix filter on its materialised path, and roll-ups are grouped
by the path prefix of each child in the database. Every function takes a unit the caller
has already fetched through the user's scope, so it reads nothing outside that scope.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction

from django.db.models import Count, F, Q
from django.db.models.functions import ExtractMonth, ExtractYear, Substr
from django.utils.translation import gettext_lazy as _

from recruitment import stages
from recruitment.models import MAJORITY_ETHNICITY, Candidate, Gender, Organisation, Quota
from recruitment.regulation import rule

RETENTION_YEARS = 5


def half_up(value: Fraction) -> int:
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
        """Active candidates per stage, in the order of ``stages.ACTIVE``."""
        return [self.pipeline.get(stage, 0) for stage in stages.ACTIVE]

    @property
    def active(self) -> int:
        return sum(self.pipeline.get(stage, 0) for stage in stages.ACTIVE)

    @property
    def no_source(self) -> bool:
        """No active candidate anywhere in the subtree: the unit has no source left."""
        return self.active == 0

    @property
    def behind(self) -> bool:
        return self.quota is not None and self.admitted < self.quota


def child_prefix(unit: Organisation, lookup: str = "unit__path") -> Substr:
    return Substr(lookup, 1, len(unit.path) + Organisation.steplen)


def child_stage_counts(unit: Organisation, year: int) -> dict[str, dict[str, int]]:
    """Per child path: today's active candidates by stage, and ``"admitted"`` in ``year``.

    One query grouped by child prefix and stage.
    """
    rows = (
        Candidate.objects.filter(unit__path__startswith=unit.path)
        .filter(Q(stage__in=stages.ACTIVE) | Q(stage__in=stages.ADMITTED, decision_on__year=year))
        .annotate(prefix=child_prefix(unit))
        .values("prefix", "stage")
        .annotate(n=Count("id"))
        .order_by()
    )
    counts: dict[str, dict[str, int]] = {}
    for row in rows:
        per_stage = counts.setdefault(row["prefix"], {})
        key = "admitted" if row["stage"] in stages.ADMITTED else row["stage"]
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
    quotas = Quota.objects.targets(units, [year, year - 1])
    counts = child_stage_counts(unit, year)

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
        return None if self.expected is None else half_up(self.expected)


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
        .filter(stage__in=stages.ADMITTED, decision_on__year__gte=first)
        .filter(decision_on__year__lte=year)
        .annotate(y=ExtractYear("decision_on"))
        .values("y")
        .annotate(admitted=Count("id"), left=Count("id", filter=Q(stage__in=stages.LEFT)))
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
