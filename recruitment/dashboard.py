"""Reads for the quota dashboard and reports (DESIGN.md §4). Nothing here writes.

Each function answers in a fixed number of queries whatever the size of the tree: the
subtree of a unit is one prefix filter on its materialised path, and roll-ups are grouped
by the path prefix of each child in the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from django.db.models import Count
from django.db.models.functions import Substr

from recruitment.models import Candidate, Organisation, Quota


@dataclass
class UnitFigures:
    """Quota against admissions for one unit in one year (admissions of its whole subtree)."""

    unit: Organisation
    year: int
    quota: int | None
    previous_quota: int | None
    admitted: int

    @property
    def ratio(self) -> Fraction | None:
        """The exact achievement ratio; None where there is no quota (or a quota of 0)."""
        if not self.quota:
            return None
        return Fraction(self.admitted, self.quota)

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


def _child_prefix_counts(queryset, unit: Organisation) -> dict[str, int]:
    """Count rows of ``queryset`` (candidates) by the child of ``unit`` they fall under.

    The key is the child's path; rows of ``unit`` itself come under ``unit.path``.
    """
    child_length = len(unit.path) + Organisation.steplen
    rows = (
        queryset.filter(unit__path__startswith=unit.path)
        .annotate(prefix=Substr("unit__path", 1, child_length))
        .values("prefix")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {row["prefix"]: row["n"] for row in rows}


def quota_figures(unit: Organisation, year: int) -> list[UnitFigures]:
    """The unit's own figures first, then one row per child unit. Three queries."""
    children = list(unit.get_children())
    units = [unit, *children]
    quotas = {
        (q.unit_id, q.year): q.target
        for q in Quota.objects.filter(unit__in=units, year__in=[year, year - 1])
    }
    per_prefix = _child_prefix_counts(Candidate.objects.admitted_in(year), unit)
    own_total = sum(per_prefix.values())

    def figures(u: Organisation, admitted: int) -> UnitFigures:
        return UnitFigures(
            unit=u,
            year=year,
            quota=quotas.get((u.pk, year)),
            previous_quota=quotas.get((u.pk, year - 1)),
            admitted=admitted,
        )

    return [figures(unit, own_total)] + [
        figures(child, per_prefix.get(child.path, 0)) for child in children
    ]
