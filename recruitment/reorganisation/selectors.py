"""Reads about reorganisations: which units a unit continues and what they admitted, the
comparison line of a successor's page ("predecessors, 2024: 57")."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Q

from recruitment import figures_cache, rollups
from recruitment.models import Organisation, UnitSuccession


def predecessors(unit: Organisation, before: int) -> list[Organisation]:
    """The units ``unit`` continues, followed back through every reorganisation: those
    that existed in ``before`` (a year)."""
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
            if pred.opened_on is None or pred.opened_on.year <= before:
                found.append(pred)
            else:
                frontier.append(pred.pk)
    # A unit and one below it would count the same admissions twice: keep the higher.
    paths = [u.path for u in found]
    return [u for u in found if not any(u.path.startswith(p) and u.path != p for p in paths)]


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


def linked_units() -> frozenset[int]:
    """The ids of the units a reorganisation links, as predecessor or successor. Kept at the
    site's version, which every write of a succession changes (``UnitSuccession.save``,
    ``undo_reorganisation``): the dashboard of a unit outside them, nearly every unit, asks
    nothing more about reorganisations (two queries fewer on every view of it)."""

    def compute() -> frozenset[int]:
        pairs = UnitSuccession.objects.values_list("predecessor_id", "successor_id")
        return frozenset(pk for pair in pairs for pk in pair)

    return figures_cache.site_cached("linked-units", compute)


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
    queries: one, plus two per year shown for a unit that continues others; none for a
    unit that no reorganisation links (``linked_units``)."""
    if unit.pk not in linked_units():
        return Lineage(predecessors=[], successors=[], lines=[])
    links = sorted(
        UnitSuccession.objects.filter(Q(successor=unit) | Q(predecessor=unit))
        .select_related("predecessor", "successor")
        # What the dashboard names; sorted here, as an ORDER BY costs Django a hash of
        # every column selected (and every dashboard asks).
        .only(
            "predecessor__name",
            "predecessor__code",
            "successor__name",
            "successor__code",
        ),
        key=lambda link: link.pk,
    )
    before = [link.predecessor for link in links if link.successor_id == unit.pk]
    after = [link.successor for link in links if link.predecessor_id == unit.pk]
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


def _within(path: str, covered: list[str]) -> bool:
    return any(path.startswith(prefix) for prefix in covered)


def continued_paths(unit: Organisation) -> tuple[list[str], list[str]]:
    """The units ``unit`` continues, followed back through every reorganisation, as paths:
    (whole, alone). A predecessor all of whose successors lie within what the user reads
    (``unit``'s subtree, or a predecessor read whole) is read whole, with its subtree: a
    merge, a move. One that also continued elsewhere (a split) is read alone, with those of
    the subtrees below it that continue wholly within what the user reads: the cells the
    other new unit took stay out. Two queries per reorganisation passed, three for a split;
    none for a unit that no reorganisation links (``linked_units``)."""
    covered, alone = [unit.path], []
    whole: list[str] = []
    if unit.pk not in linked_units():
        return whole, alone
    seen = {unit.pk}
    frontier = [unit.pk]
    while frontier:
        links = UnitSuccession.objects.filter(successor__in=frontier).select_related("predecessor")
        found = {link.predecessor for link in links if link.predecessor_id not in seen}
        if not found:
            break
        seen.update(pred.pk for pred in found)
        successors = defaultdict(list)
        pairs = UnitSuccession.objects.filter(predecessor__in=found)
        for pred_id, path in pairs.values_list("predecessor_id", "successor__path"):
            successors[pred_id].append(path)
        split = []
        for pred in sorted(found, key=lambda u: u.path):
            if all(_within(path, covered) for path in successors[pred.pk]):
                whole.append(pred.path)
                covered.append(pred.path)
            else:
                alone.append(pred.path)
                split.append(pred)
        if split:
            below = Q()
            for pred in split:
                below |= Q(predecessor__path__startswith=pred.path)
            parts = defaultdict(list)
            rows = UnitSuccession.objects.filter(below).exclude(predecessor__in=split)
            for pred_path, path in rows.values_list("predecessor__path", "successor__path"):
                parts[pred_path].append(path)
            for pred_path, paths in sorted(parts.items()):
                if all(_within(path, covered) for path in paths):
                    whole.append(pred_path)
        frontier = [pred.pk for pred in found]
    return whole, alone


def with_predecessors(user):
    """The units of the user's scope and of those their unit continues (``continued_paths``):
    a staff member of a unit that a reorganisation opened reads the figures of the units it
    replaced (the dashboard's past years), not those another successor took over. One query
    when the unit continues none, plus two per reorganisation passed (three for a split)."""
    units = Organisation.objects.for_user(user)
    unit = getattr(user, "unit", None)
    if user.is_superuser or unit is None:
        return units
    whole, alone = continued_paths(unit)
    if not whole and not alone:
        return units
    condition = Q(path__startswith=user.scope_path) | Q(path__in=alone)
    for path in whole:
        condition |= Q(path__startswith=path)
    return Organisation.objects.filter(condition)


@dataclass
class DescribedStep:
    step: object  # a ReorganisationStep
    text: str


def describe_steps(steps) -> list[DescribedStep]:
    """Each step of a reorganisation in words, its units by name and code (one query for
    the units named): what the staff check before applying, not the stored parameters."""
    from django.utils.translation import gettext as _

    from recruitment.reorganisation.models import ReorganisationStep

    steps = list(steps)
    codes = set()
    for step in steps:
        p = step.params
        codes |= {*p.get("sources", []), p.get("target"), p.get("source"), p.get("unit")}
        codes |= {p.get("parent"), p.get("users_to"), p.get("under")}
        codes |= {(p.get("new") or {}).get("parent")} | {
            t.get("parent") for t in p.get("targets", [])
        }
    names = dict(Organisation.objects.filter(code__in=codes - {None}).values_list("code", "name"))

    def unit(code, new_name=None) -> str:
        name = new_name or names.get(code)
        return f"{name} ({code})" if name else str(code)

    def kind(value) -> str:
        return str(Organisation.Kind(value).label) if value in Organisation.Kind.values else value

    Kind = ReorganisationStep.Kind
    described = []
    for step in steps:
        p = step.params
        users_to = unit(p["users_to"]) if p.get("users_to") else _("no unit")
        if step.kind == Kind.MERGE:
            new = p.get("new") or {}
            target = unit(p.get("target"), new.get("name"))
            if new:
                target = _("%(unit)s, a new %(kind)s under %(parent)s") % {
                    "unit": target,
                    "kind": kind(new.get("kind")),
                    "parent": unit(new.get("parent")),
                }
            text = _("Merge %(units)s into %(target)s") % {
                "units": ", ".join(unit(c) for c in p.get("sources", [])),
                "target": target,
            }
        elif step.kind == Kind.SPLIT:
            text = _("Split %(unit)s into %(targets)s") % {
                "unit": unit(p.get("source")),
                "targets": ", ".join(
                    unit(t.get("code"), t.get("name")) for t in p.get("targets", [])
                ),
            }
            assigned = sum(len(v) for v in (p.get("assign") or {}).values())
            if assigned:
                text += " · " + _("%(n)s people and units assigned by hand") % {"n": assigned}
        elif step.kind == Kind.MOVE:
            text = _("Move %(unit)s under %(parent)s") % {
                "unit": unit(p.get("unit")),
                "parent": unit(p.get("parent")),
            }
        elif step.kind == Kind.RENAME:
            text = _("Rename %(unit)s “%(name)s”") % {
                "unit": unit(p.get("unit")),
                "name": p.get("name"),
            }
        elif step.kind == Kind.CLOSE:
            text = _("Close %(unit)s; its users go to %(users)s") % {
                "unit": unit(p.get("unit")),
                "users": users_to,
            }
        elif step.kind == Kind.LEVEL_REMOVED:
            text = _("Remove every %(kind)s under %(unit)s; their users go to %(users)s") % {
                "kind": kind(p.get("kind")),
                "unit": unit(p.get("under")),
                "users": users_to,
            }
        else:
            text = step.get_kind_display()
        described.append(DescribedStep(step, text))
    return described
