"""Apply, preview and undo a reorganisation (``models.Reorganisation``).

Nothing that holds history moves: a unit that changes place or merges is closed on the
effective date and a successor is opened where the tree now needs it (``UnitSuccession``).
What is still open moves to the successor: candidates on their way (admitted ones keep the
unit that admitted them), members, users, classes not yet over, and quotas of the effective
year and later (moved, or summed into a *draft* where units merge: never counted twice).
Every write is logged in ``Reorganisation.changes`` so that undo can check that nothing was
written since and put every row back exactly; a preview is an apply rolled back that counts
the people and work it would move instead of moving them.
"""

from __future__ import annotations

import datetime
import json
from collections import defaultdict
from dataclasses import dataclass, field

from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from accounts.models import User
from recruitment import figures_cache, stages
from recruitment.models import (
    Candidate,
    Organisation,
    PartyMember,
    Quota,
    Tally,
    TrainingClass,
)
from recruitment.reorganisation.models import (
    Reorganisation,
    ReorganisationStep,
    UnitChangeNotice,
    UnitSuccession,
)

Kind = ReorganisationStep.Kind
# The models whose rows follow a unit, with the rows of a unit that still count.
PEOPLE_AND_WORK = ("candidates", "members", "users", "classes")


class ReorganisationError(ValidationError):
    """A step cannot be applied, or the reorganisation cannot be undone: nothing was saved."""


@dataclass
class Effects:
    """What applying did (or would do), in words, step by step (the preview)."""

    steps: dict[int, list[str]] = field(default_factory=lambda: defaultdict(list))

    def add(self, position: int, text: str) -> None:
        self.steps[position].append(text)

    def as_list(self) -> list[tuple[int, list[str]]]:
        return sorted(self.steps.items())


class _Encoder(DjangoJSONEncoder):
    """Datetimes to the microsecond (Django's encoder keeps milliseconds): undo restores
    the row exactly."""

    def default(self, o):
        if isinstance(o, datetime.datetime):
            return o.isoformat()
        return super().default(o)


def _label(obj) -> str:
    return obj._meta.label_lower


def _check(obj, position: int, names=None) -> None:
    """Validate ``obj`` (only the fields ``names`` if given) as the reorganisation writes
    it: a value out of range refuses the step by its number, nothing saved."""
    exclude = None
    if names is not None:
        exclude = [f.name for f in obj._meta.concrete_fields if f.name not in names]
    try:
        obj.clean_fields(exclude=exclude)
        obj.validate_constraints(exclude=exclude)
    except ValidationError as error:
        raise ReorganisationError(
            _("Step %(n)s: %(row)s: %(errors)s")
            % {"n": position, "row": obj, "errors": " ".join(error.messages)}
        ) from error


def _row(obj) -> dict:
    """The instance's values by column, JSON-ready."""
    row = {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}
    return json.loads(json.dumps(row, cls=_Encoder))


def _dump(obj) -> dict:
    """The row's stored values, JSON-ready."""
    return _row(type(obj)._base_manager.get(pk=obj.pk))


# Columns that change without anyone editing the row: treebeard's bookkeeping of the tree
# (its own writes keep it; undo never writes it back) and the time of a user's last sign-in.
TREE_COLUMNS = frozenset({"path", "depth", "numchild"})
UNWATCHED = {"recruitment.organisation": TREE_COLUMNS, "accounts.user": frozenset({"last_login"})}


class _Run:
    """One application of a reorganisation's steps, logging every write."""

    def __init__(self, reorganisation: Reorganisation, *, preview: bool = False):
        self.reorganisation = reorganisation
        # A preview writes the units and quotas (rolled back) but moves no person or work:
        # where each row would be is kept here, by kind and id (``previewed_rows``).
        self.preview = preview
        self.preview_units: dict[str, dict[int, int | None]] = defaultdict(dict)
        self.on = reorganisation.effective_on
        self.reason = (_("Reorganisation #%(pk)s") % {"pk": reorganisation.pk})[:100]
        self.new_units: dict[str, Organisation] = {}
        self.dest: dict[int, Organisation] = {}  # a closed unit → where its work went
        self.closed: list[Organisation] = []
        self.carried: set[int] = set()  # closed units whose people moved already
        # A dissolved unit → where its users go (a step's "users_to"); None: to no unit.
        self.users_to: dict[int, Organisation | None] = {}
        self.log: dict[str, list] = {"changed": [], "created": [], "deleted": []}
        self.effects = Effects()
        self.position = 0
        # A staff member's reorganisation changes units below their own unit only.
        owner = reorganisation.unit
        self.scope = owner.path if owner is not None else ""

    def check_scope(self, unit: Organisation, *, as_parent: bool = False) -> Organisation:
        inside = unit.path.startswith(self.scope) and (as_parent or unit.path != self.scope)
        if self.scope and not inside:
            raise ReorganisationError(
                _("Step %(n)s: %(unit)s is not below the unit that decides this reorganisation.")
                % {"n": self.position, "unit": unit}
            )
        return unit

    # --- units ------------------------------------------------------------------------

    def unit(self, code: str, *, closed_here: bool = False) -> Organisation:
        """The unit of ``code`` as it stands in this run: a new one, or an existing one open
        on the effective date (one carried by an earlier step: its successor). With
        ``closed_here``, also one an earlier step closed (a parent, a subtree to look in)."""
        if code in self.new_units:
            return self.new_units[code]
        found = Organisation.objects.filter(code=code).first()
        if found is None:
            raise ReorganisationError(
                _("Step %(n)s: there is no unit with the code %(code)s.")
                % {"n": self.position, "code": code}
            )
        if found.pk in self.dest and found.pk in self.carried:
            return self.resolve(found)
        self.check_scope(found, as_parent=closed_here)
        if found.pk in self.dest and closed_here:
            return found
        if (
            found.pk in self.dest
            or not found.active
            or (found.closed_on and found.closed_on <= self.on)
        ):
            raise ReorganisationError(
                _("Step %(n)s: %(unit)s is not open on %(day)s.")
                % {"n": self.position, "unit": found, "day": self.on.strftime("%d/%m/%Y")}
            )
        return found

    def open_children(self, unit: Organisation) -> list[Organisation]:
        return list(Organisation.objects.get_children(unit).open_on(self.on).filter(active=True))

    def parent_of(self, unit: Organisation) -> Organisation | None:
        """The unit above ``unit`` as the tree stands in this run: where an earlier step
        closed it, the unit its work went to."""
        parent = Organisation.objects.get_parent(unit)
        return self.resolve(parent) if parent is not None else None

    def resolve(self, unit: Organisation) -> Organisation:
        while unit.pk in self.dest:
            unit = self.dest[unit.pk]
        return unit

    def open_unit(self, *, code: str, name: str, kind: str, parent: Organisation | None):
        if not code or not name or kind not in Organisation.Kind.values:
            raise ReorganisationError(
                _("Step %(n)s: a new unit needs a code, a name and a kind.") % {"n": self.position}
            )
        if code in self.new_units or Organisation.objects.filter(code=code).exists():
            raise ReorganisationError(
                _("Step %(n)s: the code %(code)s is already taken.")
                % {"n": self.position, "code": code}
            )
        values = {"code": code, "name": name, "kind": kind, "opened_on": self.on}
        if parent is None and self.scope:
            raise ReorganisationError(
                _("Step %(n)s: a new unit needs a parent.") % {"n": self.position}
            )
        if parent is None:
            unit = Organisation.objects.add_root(values)
        else:
            parent = Organisation.objects.get(pk=parent.pk)  # treebeard needs a fresh parent
            unit = Organisation.objects.add_child(parent, values)
        self.new_units[code] = unit
        self.log["created"].append([_label(unit), unit.pk])
        self.effects.add(
            self.position,
            _("Opens %(unit)s (%(code)s) under %(parent)s.")
            % {"unit": name, "code": code, "parent": parent or "—"},
        )
        return unit

    def close(self, unit: Organisation, dest: Organisation) -> None:
        self.set(unit, closed_on=self.on, active=False)
        self.dest[unit.pk] = dest
        self.closed.append(unit)
        self.effects.add(self.position, _("Closes %(unit)s.") % {"unit": unit})

    def succeed(self, predecessor: Organisation, successor: Organisation) -> None:
        link = UnitSuccession.objects.create(
            predecessor=predecessor, successor=successor, reorganisation=self.reorganisation
        )
        self.log["created"].append([_label(link), link.pk])

    def successor_code(self, unit: Organisation) -> str:
        base = f"{unit.code}-{self.on.year}"[:30]
        code, n = base, 1
        while code in self.new_units or Organisation.objects.filter(code=code).exists():
            n += 1
            code = f"{base[: 30 - len(str(n)) - 1]}.{n}"
        return code

    def carry(self, unit: Organisation, parent: Organisation | None) -> Organisation:
        """Continue ``unit`` and its open subtree under ``parent`` as successor units."""
        successor = self.open_unit(
            code=self.successor_code(unit), name=unit.name, kind=unit.kind, parent=parent
        )
        self.succeed(unit, successor)
        self.move_work(unit, lambda _model, _pk: successor)
        self.move_quotas(unit, successor)
        children = self.open_children(unit)
        self.close(unit, successor)
        self.carried.add(unit.pk)
        for child in children:
            if child.pk not in self.dest:
                self.carry(child, successor)
        return successor

    # --- writes -------------------------------------------------------------------------

    def set(self, obj, **values) -> None:
        """Write ``values`` on ``obj`` through its ``save`` (kept counts, history), logging
        the row as it was and what was written."""
        before = _dump(obj)
        for name, value in values.items():
            setattr(obj, name, value)
        obj._change_reason = self.reason
        names = [obj._meta.get_field(name).name for name in values]
        _check(obj, self.position, names)
        obj.save(update_fields=names)
        after = _dump(obj)
        written = {obj._meta.get_field(n).attname for n in names}
        self.log["changed"].append(
            {
                "model": _label(obj),
                "pk": obj.pk,
                "before": before,
                "after": {k: v for k, v in after.items() if k in written},
                "version": after.get("version"),
                "row": after,  # the whole row as applying left it: undo checks it is still so
            }
        )

    def delete(self, obj) -> None:
        """Delete ``obj``, logging the row so that undo can put it back."""
        row, pk = _dump(obj), obj.pk
        obj._change_reason = self.reason
        obj.delete()
        self.log["deleted"].append({"model": _label(obj), "pk": pk, "row": row})

    def open_rows(self, kind: str, unit: Organisation):
        """The rows of ``kind`` in ``unit`` that follow it (what is still open)."""
        if kind == "candidates":
            return Candidate.objects.filter(unit=unit).exclude(stage__in=stages.SETTLED)
        if kind == "members":
            return PartyMember.objects.filter(unit=unit, left_on__isnull=True)
        if kind == "users":
            return User.objects.filter(unit=unit)
        return TrainingClass.objects.filter(unit=unit, ends_on__gte=self.on)

    def previewed_rows(self, kind: str, unit: Organisation) -> list[int]:
        """A preview moves no row: the ids of the rows of ``kind`` in ``unit`` as the steps
        so far would have left them (one query)."""
        where = self.preview_units[kind]
        stored = self.open_rows(kind, unit).values_list("pk", flat=True)
        pks = [pk for pk in stored if pk not in where]
        return sorted(pks + [pk for pk, at in where.items() if at == unit.pk])

    def move_row(self, kind: str, obj, unit: Organisation, target: Organisation | None) -> None:
        values = {"unit": target}
        if kind == "candidates":
            if obj.stage in stages.ADMITTED and obj.admitted_unit_id is None:
                values["admitted_unit"] = unit  # the admission stays where it happened
        self.set(obj, **values)
        if kind == "users":
            notice = UnitChangeNotice.objects.create(
                user=obj, reorganisation=self.reorganisation, from_unit=unit, to_unit=target
            )
            self.log["created"].append([_label(notice), notice.pk])

    def move_work(self, unit: Organisation, target_for) -> None:
        """Re-point what is still open in ``unit``; ``target_for(kind, pk)`` says where (for
        users, None: to no unit). A preview counts the rows instead, a few queries whatever
        their number."""
        moved: dict[tuple[str, int], int] = defaultdict(int)
        detached = 0
        for kind in PEOPLE_AND_WORK:
            if self.preview:
                rows = self.previewed_rows(kind, unit)
            else:
                rows = list(self.open_rows(kind, unit).order_by("pk"))
            for row in rows:
                pk = row if self.preview else row.pk
                target = target_for(kind, pk)
                if self.preview:
                    self.preview_units[kind][pk] = target.pk if target is not None else None
                else:
                    self.move_row(kind, row, unit, target)
                if target is None:
                    detached += 1
                else:
                    moved[(kind, target.pk)] += 1
        names = {
            "candidates": _("open candidates"),
            "members": _("members"),
            "users": _("users"),
            "classes": _("classes not yet over"),
        }
        targets = Organisation.objects.in_bulk({pk for _kind, pk in moved})
        for (kind, pk), n in sorted(moved.items()):
            self.effects.add(
                self.position,
                _("%(n)s %(what)s of %(unit)s go to %(target)s.")
                % {"n": n, "what": names[kind], "unit": unit, "target": targets[pk]},
            )
        if detached:
            self.effects.add(
                self.position,
                _(
                    "%(n)s users of %(unit)s are attached to no unit (they see nothing) "
                    "until an administrator gives them one."
                )
                % {"n": detached, "unit": unit},
            )

    def quotas_from(self, unit: Organisation) -> list[Quota]:
        return list(Quota.objects.filter(unit=unit, year__gte=self.on.year).order_by("year"))

    def move_quotas(self, unit: Organisation, successor: Organisation) -> None:
        """A unit continued whole hands its quotas of the effective year and later to its
        successor (moved, not copied: the year's tree would count them twice)."""
        for quota in self.quotas_from(unit):
            self.effects.add(
                self.position,
                _("Quota %(year)s of %(unit)s (%(target)s) continues for %(successor)s.")
                % {
                    "year": quota.year,
                    "unit": unit,
                    "target": quota.target,
                    "successor": successor,
                },
            )
            self.set(quota, unit=successor)

    def sum_quotas(self, sources: list[Organisation], target: Organisation) -> None:
        """Merged units' quotas of the effective year and later, summed into a draft quota
        of the successor, which whoever sets it must confirm."""
        by_year: dict[int, list[Quota]] = defaultdict(list)
        for source in sources:
            for quota in self.quotas_from(source):
                quota.unit = source  # read below: not loaded again per quota
                by_year[quota.year].append(quota)
        for year, quotas in sorted(by_year.items()):
            parts = " + ".join(f"{q.unit.code} {q.target}" for q in quotas)
            total = sum(q.target for q in quotas)
            existing = Quota.objects.filter(unit=target, year=year).first()
            if existing is not None:
                parts = f"{target.code} {existing.target} + {parts}"
                total += existing.target
            note = (
                _("Draft from %(reason)s: %(parts)s") % {"reason": self.reason, "parts": parts}
            )[:300]
            if existing is not None:
                self.set(existing, target=total, draft=True, note=note)
            else:
                quota = Quota(unit=target, year=year, target=total, note=note, draft=True)
                _check(quota, self.position)
                quota.save()
                self.log["created"].append([_label(quota), quota.pk])
            for quota in quotas:  # summed into the successor's: not counted twice
                self.delete(quota)
            self.effects.add(
                self.position,
                _("Draft quota %(year)s for %(target)s: %(total)s (%(parts)s), to be confirmed.")
                % {"year": year, "target": target, "total": total, "parts": parts},
            )

    # --- steps --------------------------------------------------------------------------

    def param(self, params: dict, name: str):
        value = params.get(name)
        if value in (None, "", []):
            raise ReorganisationError(
                _("Step %(n)s: %(name)s is missing.") % {"n": self.position, "name": name}
            )
        return value

    def parent_for(self, params: dict, default: Organisation | None) -> Organisation | None:
        code = params.get("parent")
        return self.resolve(self.unit(code, closed_here=True)) if code else default

    def merge(self, params: dict) -> None:
        sources = [self.unit(code) for code in self.param(params, "sources")]
        code = self.param(params, "target")
        if "new" in params:
            new = params["new"]
            parent = self.parent_for(new, self.parent_of(sources[0]))
            target = self.open_unit(
                code=code, name=new.get("name"), kind=new.get("kind"), parent=parent
            )
        else:
            target = self.unit(code)
        if target in sources or len(set(sources)) != len(sources):
            raise ReorganisationError(
                _("Step %(n)s: a unit is merged into itself or listed twice.")
                % {"n": self.position}
            )
        self.sum_quotas(sources, target)
        for source in sources:
            self.succeed(source, target)
            self.close(source, target)

    def split(self, params: dict) -> None:
        source = self.unit(self.param(params, "source"))
        parent = self.parent_of(source)
        targets = {}
        for spec in self.param(params, "targets"):
            targets[spec.get("code")] = self.open_unit(
                code=spec.get("code"),
                name=spec.get("name"),
                kind=spec.get("kind") or source.kind,
                parent=self.parent_for(spec, parent),
            )
        first = next(iter(targets.values()))
        assign = params.get("assign", {})
        for kind in assign:
            if kind not in (*PEOPLE_AND_WORK, "units"):
                raise ReorganisationError(
                    _("Step %(n)s: unknown assignment %(kind)s.")
                    % {"n": self.position, "kind": kind}
                )
            unknown = set(assign[kind].values()) - set(targets)
            if unknown:
                raise ReorganisationError(
                    _("Step %(n)s: %(code)s is not one of the split's new units.")
                    % {"n": self.position, "code": ", ".join(sorted(unknown))}
                )

        def target_for(kind: str, pk) -> Organisation:
            return targets.get(assign.get(kind, {}).get(str(pk)), first)

        for target in targets.values():
            self.succeed(source, target)
        self.move_work(source, target_for)
        if self.quotas_from(source):
            self.effects.add(
                self.position,
                _("The quotas of %(unit)s from %(year)s stay with it: set those of the new units.")
                % {"unit": source, "year": self.on.year},
            )
        children = self.open_children(source)
        self.close(source, first)
        self.carried.add(source.pk)  # its people have moved already
        for child in children:
            self.carry(child, target_for("units", child.code))

    def move(self, params: dict) -> None:
        unit = self.unit(self.param(params, "unit"))
        parent = self.parent_for({"parent": self.param(params, "parent")}, None)
        if parent.path.startswith(unit.path):
            raise ReorganisationError(
                _("Step %(n)s: a unit cannot move under itself.") % {"n": self.position}
            )
        self.carry(unit, parent)

    def rename(self, params: dict) -> None:
        unit = self.unit(self.param(params, "unit"))
        name = self.param(params, "name")
        self.effects.add(
            self.position, _("Renames %(unit)s to %(name)s.") % {"unit": unit, "name": name}
        )
        self.set(unit, name=name)

    def dissolve(self, unit: Organisation, users_to: Organisation | None = None) -> None:
        """Close ``unit``: its children and work go to its parent, its users to
        ``users_to`` if the step names it, otherwise to no unit (the parent's subtree is
        more than they could see)."""
        parent = Organisation.objects.get_parent(unit)
        if parent is None:
            raise ReorganisationError(
                _("Step %(n)s: %(unit)s has no unit above it to take its units and people.")
                % {"n": self.position, "unit": unit}
            )
        for quota in self.quotas_from(unit):
            self.effects.add(
                self.position,
                _("Quota %(year)s of %(unit)s (%(target)s) stays with it: it is not carried.")
                % {"year": quota.year, "unit": unit, "target": quota.target},
            )
        self.close(unit, parent)
        self.users_to[unit.pk] = users_to

    def users_target(self, params: dict) -> Organisation | None:
        code = params.get("users_to")
        return self.unit(code, closed_here=True) if code else None

    def close_step(self, params: dict) -> None:
        unit = self.unit(self.param(params, "unit"))
        self.dissolve(unit, self.users_target(params))

    def level_removed(self, params: dict) -> None:
        under = self.unit(self.param(params, "under"), closed_here=True)
        kind = self.param(params, "kind")
        users_to = self.users_target(params)
        units = Organisation.objects.in_subtree(under).filter(kind=kind, active=True)
        units = list(units.exclude(pk=under.pk).open_on(self.on).order_by("path"))
        if not units:
            raise ReorganisationError(
                _("Step %(n)s: there is no open unit of that kind under %(unit)s.")
                % {"n": self.position, "unit": under}
            )
        for unit in units:
            if unit.pk not in self.dest:
                self.dissolve(unit, users_to)

    def finish(self) -> None:
        """What the steps closed hands on: open child units are continued under where their
        parent's work went, and the people and work of units closed without a successor of
        their own follow the same way; their users go where the step said, or to no unit."""
        self.position = 0
        for unit in list(self.closed):
            dest = self.resolve(unit)
            for child in self.open_children(unit):
                if child.pk not in self.dest:
                    self.carry(child, dest)
            if unit.pk not in self.carried:
                users = self.users_to.get(unit.pk, dest)  # dissolved: the step says
                users = self.resolve(users) if users is not None else None

                def target_for(kind, _pk, dest=dest, users=users):
                    return users if kind == "users" else dest

                self.move_work(unit, target_for)
                self.carried.add(unit.pk)

    def run(self) -> None:
        handlers = {
            Kind.MERGE: self.merge,
            Kind.SPLIT: self.split,
            Kind.MOVE: self.move,
            Kind.RENAME: self.rename,
            Kind.CLOSE: self.close_step,
            Kind.LEVEL_REMOVED: self.level_removed,
        }
        steps = list(self.reorganisation.steps.all())
        if not steps:
            raise ReorganisationError(_("A reorganisation needs at least one step."))
        for step in steps:
            self.position = step.position
            handlers[step.kind](step.params or {})
        self.finish()


# --- Services --------------------------------------------------------------------------------


def _locked(reorganisation: Reorganisation) -> Reorganisation:
    return Reorganisation.objects.select_for_update().get(pk=reorganisation.pk)


# The step parameters that name a unit that changes (its subtree with it), or one that only
# gains a child or users.
_CHANGED_PARAMS = ("sources", "source", "unit", "under")
_NAMED_PARAMS = ("target", "parent", "users_to")


def _affected_units(reorganisation: Reorganisation):
    """The existing units the steps change, with their subtrees, and those they name as a
    target or parent, as well as the parents of the changed ones (successors may open
    there): what applying locks, in path order."""
    changed, named = set(), set()
    for step in reorganisation.steps.all():
        params = step.params or {}
        for name in _CHANGED_PARAMS:
            value = params.get(name)
            changed.update(value if isinstance(value, list) else [value] if value else [])
        for spec in [params, params.get("new") or {}, *(params.get("targets") or [])]:
            named.update(spec[name] for name in _NAMED_PARAMS if spec.get(name))
    paths = list(Organisation.objects.filter(code__in=changed).values_list("path", flat=True))
    condition = Q(code__in=changed | named)
    for path in paths:
        condition |= Q(path__startswith=path)
    parents = [Organisation.ancestor_paths(path)[-1:] for path in paths]
    condition |= Q(path__in=[parent for found in parents for parent in found])
    return Organisation.objects.filter(condition).order_by("path")


def _lock_units(reorganisation: Reorganisation) -> None:
    """Lock the units applying changes, always in path order (two reorganisations of the same
    units wait for each other instead of both closing a unit, and cannot deadlock)."""
    list(_affected_units(reorganisation).select_for_update().values_list("pk", flat=True))


@transaction.atomic
def apply_reorganisation(*, reorganisation: Reorganisation, by) -> Effects:
    """Apply every step at once, or nothing: returns what it did."""
    reorganisation = _locked(reorganisation)
    if reorganisation.status != Reorganisation.Status.DRAFT:
        raise ReorganisationError(_("Only a draft reorganisation can be applied."))
    if reorganisation.effective_on > timezone.localdate():
        # Applied now, it would close today's units while every dated page still reads
        # today's tree: this year's figures would lose the units before the day.
        raise ReorganisationError(
            _("This reorganisation takes effect on %(day)s: apply it on or after that day.")
            % {"day": reorganisation.effective_on.strftime("%d/%m/%Y")}
        )
    _lock_units(reorganisation)
    run = _Run(reorganisation)
    run.run()
    reorganisation.changes = {**run.log, "effects": run.effects.as_list()}
    reorganisation.status = Reorganisation.Status.APPLIED
    reorganisation.applied_at = timezone.now()
    reorganisation.applied_by = by
    reorganisation.save()
    return run.effects


class _Rollback(Exception):
    pass


def preview_reorganisation(*, reorganisation: Reorganisation) -> Effects:
    """What applying would do, step by step: the steps are applied and rolled back, the
    people and work of each unit counted rather than moved (a few queries per unit)."""
    run = _Run(reorganisation, preview=True)
    try:
        with transaction.atomic():
            run.run()
            raise _Rollback
    except _Rollback:
        pass
    return run.effects


def _value(model, attname: str, value):
    field_ = next(f for f in model._meta.concrete_fields if f.attname == attname)
    return field_.to_python(value) if value is not None else None


def _pointing_at_units() -> list[tuple[type, list[str]]]:
    """Every model with a foreign key to a unit, and those keys: what undo would delete
    with the new units (or be stopped by), but kept counts (``Tally``, recounted by the
    saves) and history records (which keep pointing at a deleted unit's id)."""
    found = []
    for model in apps.get_models(include_auto_created=True):
        if model is Tally or hasattr(model, "instance_type"):  # simple_history's records
            continue
        lookups = [
            f.name
            for f in model._meta.concrete_fields
            if f.is_relation and f.related_model is Organisation
        ]
        if lookups:
            found.append((model, lookups))
    return found


def _last_writes(changes: dict) -> dict[tuple[str, int], dict]:
    """The last log entry of each row applying wrote (a row may be written twice, e.g. a
    unit renamed then closed): what the row must still be for undo."""
    return {(entry["model"], entry["pk"]): entry for entry in changes.get("changed", [])}


def _restored(entry: dict):
    """The deleted row of a log entry, as an unsaved instance."""
    model = apps.get_model(entry["model"])
    return model(**{k: _value(model, k, v) for k, v in entry["row"].items()})


def _written_since(changes: dict) -> list[str]:
    """Rows the reorganisation wrote or created that something changed or used since."""
    found = []
    deleted = {(entry["model"], entry["pk"]): entry for entry in changes.get("deleted", [])}
    by_model: dict[str, dict[int, dict]] = defaultdict(dict)
    ours: dict[str, set[int]] = defaultdict(set)  # every row applying wrote, by model
    for (label, pk), entry in _last_writes(changes).items():
        ours[label].add(pk)
        if (label, pk) not in deleted:  # checked below, as a row to put back
            by_model[label][pk] = entry
    for label, entries in by_model.items():
        model = apps.get_model(label)
        rows = model._base_manager.in_bulk(list(entries))
        unwatched = UNWATCHED.get(label, frozenset())
        for pk, entry in entries.items():
            obj = rows.get(pk)
            if obj is None:  # deleted since: named as it was, in words
                row = entry.get("row")
                was = str(_restored({"model": label, "row": row})) if row else ""
                found.append(
                    _("%(what)s “%(row)s” (deleted since)")
                    % {"what": capfirst(model._meta.verbose_name), "row": was or pk}
                )
                continue
            now = _row(obj)
            # Logs written before the whole row was kept: the written fields and version.
            expected = entry.get("row") or {**entry["after"], "version": entry["version"]}
            if any(now.get(k) != v for k, v in expected.items() if k not in unwatched):
                found.append(str(obj))
    # Rows applying deleted (quotas summed into a successor's): their place is still free.
    for entry in deleted.values():
        obj = _restored(entry)
        try:
            if type(obj)._base_manager.filter(pk=obj.pk).exists():
                raise ValidationError("taken")
            obj.validate_constraints()
        except ValidationError:
            found.append(str(obj))
    created = defaultdict(set)
    for label, pk in changes.get("created", []):
        created[label].add(pk)
    units = created.get(_label(Organisation), set())
    # Rows that point at a new unit and that the reorganisation did not put there.
    for model, lookups in _pointing_at_units():
        condition = Q()
        for lookup in lookups:
            condition |= Q(**{f"{lookup}__in": units})
        rows = model._base_manager.filter(condition).exclude(
            pk__in=ours.get(_label(model), set()) | created.get(_label(model), set())
        )
        found.extend(str(row) for row in rows[:5])
    # A quota created and not written again since (one a later step wrote is checked above).
    new_quotas = created.get(_label(Quota), set()) - ours.get(_label(Quota), set())
    for quota in Quota.objects.filter(pk__in=new_quotas):
        if quota.version != 1:
            found.append(str(quota))
    # Units added under a new unit since (one query).
    below = Q()
    for path in Organisation.objects.filter(pk__in=units).values_list("path", flat=True):
        below |= Q(path__startswith=path)
    if below:
        strangers = Organisation.objects.filter(below).exclude(pk__in=units)
        found.extend(str(unit) for unit in strangers[:5])
    return found


@transaction.atomic
def undo_reorganisation(*, reorganisation: Reorganisation, by) -> None:
    """Put every row the reorganisation wrote back as it was and delete what it created,
    if nothing was written to them since; otherwise refuse and change nothing."""
    reorganisation = _locked(reorganisation)
    if reorganisation.status != Reorganisation.Status.APPLIED:
        raise ReorganisationError(_("Only an applied reorganisation can be undone."))
    changes = reorganisation.changes
    since = _written_since(changes)
    if since:
        raise ReorganisationError(
            _("Written to since the reorganisation, it can no longer be undone: %(rows)s.")
            % {"rows": ", ".join(since[:10])}
        )
    reason = (_("Undo of reorganisation #%(pk)s") % {"pk": reorganisation.pk})[:100]
    for entry in reversed(changes.get("deleted", [])):
        obj = _restored(entry)
        obj._change_reason = reason
        obj.save(force_insert=True)  # as it was when deleted; earlier writes undone below
    for entry in reversed(changes.get("changed", [])):
        model = apps.get_model(entry["model"])
        obj = model._base_manager.get(pk=entry["pk"])
        before = entry["before"]
        for attname in entry["after"]:
            setattr(obj, attname, _value(model, attname, before[attname]))
        obj._change_reason = reason
        names = [f.name for f in model._meta.concrete_fields if f.attname in entry["after"]]
        obj.save(update_fields=names)  # through save: kept counts and history follow
        # Then the other columns applying changed (version, update times, derived fields)
        # as they were; nothing else, and never the tree's path, depth and numchild.
        if "row" in entry:
            columns = {k for k, v in entry["row"].items() if before.get(k) != v}
        else:
            columns = {*entry["after"], "version"} & set(before)
        columns -= TREE_COLUMNS
        model._base_manager.filter(pk=entry["pk"]).update(
            **{k: _value(model, k, before[k]) for k in columns}
        )
    for label, pk in reversed(changes.get("created", [])):
        model = apps.get_model(label)
        if model is Organisation:
            Organisation.objects.filter(pk=pk).delete()  # treebeard: the parent's numchild too
        else:
            model._base_manager.filter(pk=pk).delete()
    figures_cache.bump()  # its successions gone: every dashboard's ``linked_units``
    reorganisation.status = Reorganisation.Status.UNDONE
    reorganisation.undone_at = timezone.now()
    reorganisation.save(update_fields=["status", "undone_at"])
