"""Reads about reorganisations: which units a unit continues and what they admitted, the
comparison line of a successor's page ("predecessors, 2024: 57")."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from recruitment import rollups
from recruitment.models import Organisation, UnitSuccession


def predecessors(unit: Organisation, before: int | None = None) -> list[Organisation]:
    """The units ``unit`` continues, followed back through every reorganisation: those
    that existed in ``before`` (a year) if given, otherwise the direct predecessors."""
    found: list[Organisation] = []
    seen = {unit.pk}
    frontier = [unit.pk]
    while frontier:
        links = UnitSuccession.objects.filter(successor__in=frontier).select_related("predecessor")
        frontier = []
        for link in links:
            pred = link.predecessor
            if pred.pk in seen:
                continue
            seen.add(pred.pk)
            if before is None:
                found.append(pred)
            elif pred.opened_on is None or pred.opened_on.year <= before:
                found.append(pred)
            else:
                frontier.append(pred.pk)
        if before is None:
            break
    # A unit and one below it would count the same admissions twice: keep the higher.
    paths = [u.path for u in found]
    return [u for u in found if not any(u.path.startswith(p) and u.path != p for p in paths)]


def every_predecessor(unit: Organisation) -> list[Organisation]:
    """Every unit ``unit`` continues, through every reorganisation back. One query each."""
    found: list[Organisation] = []
    seen = {unit.pk}
    frontier = [unit.pk]
    while frontier:
        links = UnitSuccession.objects.filter(successor__in=frontier).select_related("predecessor")
        frontier = [link.predecessor.pk for link in links if link.predecessor.pk not in seen]
        seen.update(frontier)
        found.extend(link.predecessor for link in links if link.predecessor.pk in frontier)
    return found


def predecessors_admitted(unit: Organisation, year: int) -> tuple[int, list[Organisation]] | None:
    """Admissions in ``year`` of the units ``unit`` continues, summed (the comparison line
    "predecessors, 2024: 57"), and those units; None when it continues none. Kept counts:
    two queries and one per reorganisation passed."""
    units = predecessors(unit, before=year)
    if not units:
        return None
    kept = rollups.read(units, [year], [rollups.ADMITTED])
    total = sum(kept.get(u.pk, {}).get((year, rollups.ADMITTED), 0) for u in units)
    return total, units


@dataclass
class Lineage:
    """What the dashboard of a unit shows about reorganisations."""

    predecessors: list[Organisation]
    successors: list[Organisation]
    lines: list[tuple[int, int]]  # (year, predecessors' admissions that year)

    def __bool__(self) -> bool:
        return bool(self.predecessors or self.successors)


def lineage(unit: Organisation, year: int) -> Lineage:
    """The unit's direct predecessors and successors, and its predecessors' admissions in
    ``year - 1`` (and in ``year`` too when the unit opened during or after it). A few
    queries: two, plus two per year shown for a unit that continues others."""
    links = UnitSuccession.objects.filter(successor=unit).select_related("predecessor")
    before = [link.predecessor for link in links]
    after = [
        link.successor
        for link in UnitSuccession.objects.filter(predecessor=unit).select_related("successor")
    ]
    lines = []
    if before:
        years = [year - 1]
        if unit.opened_on is not None and unit.opened_on.year >= year:
            years.append(year)
        for shown in years:
            found = predecessors_admitted(unit, shown)
            if found is not None:
                lines.append((shown, found[0]))
    return Lineage(predecessors=before, successors=after, lines=lines)


def with_predecessors(user):
    """The units of the user's scope and of the subtrees their unit continues: a staff
    member of a unit that a reorganisation opened reads the figures of the units it
    replaced (the dashboard's past years). Two queries, plus one per reorganisation passed."""
    units = Organisation.objects.for_user(user)
    unit = getattr(user, "unit", None)
    if user.is_superuser or unit is None:
        return units
    paths = [u.path for u in every_predecessor(unit)]
    if not paths:
        return units
    condition = Q(path__startswith=user.scope_path)
    for path in paths:
        condition |= Q(path__startswith=path)
    return Organisation.objects.filter(condition)
