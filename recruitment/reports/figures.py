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
from decimal import Decimal
from fractions import Fraction

from django.db.models.functions import Substr
from django.utils.translation import gettext_lazy as _

from recruitment import rollups, stages
from recruitment.models import Organisation, Quota
from recruitment.regulation import rule

RETENTION_YEARS = 5
TENTH = Decimal("0.1")


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


def quota_figures(unit: Organisation, year: int) -> list[UnitFigures]:
    """The unit's own figures first, then one row per child unit. Three queries.

    Admissions are those of ``year``; the pipeline counts are today's. Both are kept counts
    (``recruitment.rollups``): one row per unit and count, whatever the size of the subtree.
    """
    # The tree of that year: units closed before it or opened after it are not its rows.
    children = list(Organisation.objects.get_children(unit).open_during(year))
    units = [unit, *children]
    quotas = Quota.objects.targets(units, [year, year - 1])
    keys = [rollups.ADMITTED, *(rollups.stage_key(s) for s in stages.ACTIVE)]
    kept = rollups.read(units, [rollups.NOW, year], keys)

    def figures(u: Organisation) -> UnitFigures:
        counts = kept.get(u.pk, {})
        return UnitFigures(
            unit=u,
            year=year,
            quota=quotas.get((u.pk, year)),
            previous_quota=quotas.get((u.pk, year - 1)),
            admitted=counts.get((year, rollups.ADMITTED), 0),
            pipeline={
                s: counts[(rollups.NOW, rollups.stage_key(s))]
                for s in stages.ACTIVE
                if counts.get((rollups.NOW, rollups.stage_key(s)))
            },
        )

    return [figures(u) for u in units]


@dataclass
class Pace:
    """Admissions against the straight-line pace to the quota at a point of the year."""

    share: Fraction  # of the year elapsed, 0 to 1
    expected: Fraction | None  # quota × share, or as the unit's monthly plan has it
    planned: bool = False  # ``expected`` follows a monthly plan

    @property
    def share_percent(self) -> int:
        return int(self.share * 100)

    @property
    def expected_rounded(self) -> int | None:
        return None if self.expected is None else half_up(self.expected)


def expected_by(target: int, year: int, today: date, plan: list[int] | None = None) -> Fraction:
    """Admissions ``target`` expects by ``today`` in ``year``: the share of the year passed
    (the even pace), or, with a monthly ``plan``, its share planned up to today (the months
    before in full, this month by the share of its days passed). No query."""
    if not plan or year != today.year:
        return target * pace_share(year, today)
    days = calendar.monthrange(year, today.month)[1]
    planned = sum(plan[: today.month - 1]) + Fraction(plan[today.month - 1] * today.day, days)
    return target * planned / sum(plan)


def pace_share(year: int, today: date) -> Fraction:
    """How much of ``year`` has passed on ``today``: 0 before it, 1 after it."""
    if year < today.year:
        return Fraction(1)
    if year > today.year:
        return Fraction(0)
    days = 366 if calendar.isleap(year) else 365
    return Fraction(today.timetuple().tm_yday, days)


def pace(figures: UnitFigures, today: date, plan: list[int] | None = None) -> Pace:
    """Where the pace to the quota stands on ``today``: straight-line, or the unit's monthly
    ``plan`` in the current year (``expected_by``). No query."""
    share = pace_share(figures.year, today)
    if figures.quota is None:
        return Pace(share=share, expected=None)
    planned = bool(plan) and figures.year == today.year
    expected = expected_by(figures.quota, figures.year, today, plan)
    return Pace(share=share, expected=expected, planned=planned)


# --- Charts' data ----------------------------------------------------------------------------


def monthly_admissions(unit: Organisation, year: int) -> list[int]:
    """Admissions in the subtree in each month of ``year`` (12 numbers). One query."""
    kept = rollups.read([unit], [year], rollups.MONTHS).get(unit.pk, {})
    return [kept.get((year, key), 0) for key in rollups.MONTHS]


# --- Composition and retention ---------------------------------------------------------------


@dataclass
class Share:
    key: str
    label: str
    count: int
    total: int

    @property
    def percent(self) -> Decimal | None:
        """The share to one decimal, rounded half up: 47.9 and 48.4 are not both "48 %"."""
        if not self.total:
            return None
        return (Decimal(half_up(Fraction(self.count * 1000, self.total))) / 10).quantize(TENTH)


def composition(unit: Organisation, year: int) -> list[Share]:
    """The make-up of the year's admissions, as official reports break it down. One query.

    Youth: aged ``YOUTH_UNION_MAX_AGE`` or less on the day of the decision
    (``rollups.is_youth``). Kept counts, like every figure here.
    """
    kept = rollups.read([unit], [year], [rollups.ADMITTED, *rollups.COMPOSITION]).get(unit.pk, {})
    return shares({key: n for (_year, key), n in kept.items()})


def composition_labels() -> list[tuple[str, str]]:
    """The groups of ``composition``, in the order official reports list them."""
    return [
        ("women", _("Women")),
        ("youth", _("Youth (%(age)s or less)") % {"age": rule("YOUTH_UNION_MAX_AGE")}),
        ("minority", _("Ethnic minorities")),
        ("religious", _("Religious followers")),
        ("private_enterprise", _("Private-enterprise workers")),
        ("youth_union", _("Youth Union members")),
    ]


def shares(counts: dict[str, int]) -> list[Share]:
    """``Share`` of each group, from kept counts by key (``admitted`` is the total)."""
    total = counts.get(rollups.ADMITTED, 0)
    # Labels as text, not lazy translations: the dashboard's cache (keyed by language)
    # unpickles a lazy one in a quarter of a millisecond.
    return [
        Share(key, str(label), counts.get(key, 0), total) for key, label in composition_labels()
    ]


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
    kept = rollups.read([unit], range(first, year + 1), [rollups.ADMITTED, rollups.LEFT])
    counts = kept.get(unit.pk, {})
    return [
        RetentionYear(
            year=y,
            admitted=counts.get((y, rollups.ADMITTED), 0),
            left=counts.get((y, rollups.LEFT), 0),
        )
        for y in range(first, year + 1)
    ]
