"""Importing party members: name, unit, admission and official dates, leaving.

Keyed by name and admission date (diacritics and spacing ignored): members have no citizen
ID in the app. A member already in another unit is moved by a transfer on the member's page,
never by a file; one admitted through the pipeline follows the candidate's record.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from recruitment import pipeline
from recruitment.forms import member_date_errors, member_leaving_errors
from recruitment.imports.candidates import unit_column
from recruitment.imports.columns import Column, Row, date_column
from recruitment.imports.outcome import Outcome, attribute, validation_errors
from recruitment.models import Organisation, PartyMember
from recruitment.text import search_key

CHANGEABLE = ["official_on", "left_on", "left_reason"]


def _label(name: str):
    return PartyMember._meta.get_field(name).verbose_name


def columns() -> list[Column]:
    return [
        Column("full_name", _label("full_name"), required=True, aliases=("Họ tên", "Name"),
               example="Trần Văn Bình"),
        unit_column(),
        date_column("admitted_on", _label("admitted_on"), required=True, example="03/02/2015",
                    aliases=("Ngày vào Đảng",)),
        date_column("official_on", _label("official_on"), example="03/02/2016",
                    aliases=("Ngày chính thức",)),
        date_column("left_on", _label("left_on")),
        Column("left_reason", _label("left_reason")),
    ]  # fmt: skip


class Importer:
    def __init__(self, *, user, reason: str, **_kwargs):
        self.user = user
        self.reason = reason
        self.started = timezone.now()
        self.seen: dict[tuple, int] = {}
        self.touched: set[int] = set()

    def process(self, rows: list[Row]) -> list[Outcome]:
        codes = {str(row.values["unit"]) for row in rows if "unit" in row.values}
        units = {u.code: u for u in Organisation.objects.for_user(self.user).filter(code__in=codes)}
        names = {search_key(row.values.get("full_name", "")) for row in rows}
        existing: dict[tuple, list[PartyMember]] = {}
        for member in PartyMember.objects.filter(search_name__in=names).select_related("unit"):
            existing.setdefault((member.search_name, member.admitted_on), []).append(member)
        return [self._one(row, units, existing) for row in rows]

    def _one(self, row: Row, units, existing) -> Outcome:
        v = row.values
        name = v.get("full_name", "")
        unit = units.get(str(v.get("unit", "")))
        if unit is None and "unit" in v:
            row.error("unit", _("%(value)s is not one of your units") % {"value": v["unit"]})
        if row.errors:
            return Outcome.error(row, name)
        key = (search_key(name), v["admitted_on"])
        if key in self.seen:
            return Outcome.duplicate(
                row,
                name,
                _("the same person as row %(row)s; this row is skipped") % {"row": self.seen[key]},
            )
        self.seen[key] = row.number
        twins = existing.get(key, [])
        mine = [m for m in twins if self.user.can_change(m.unit)]
        if twins and not mine:
            return Outcome.duplicate(
                row,
                name,
                _(
                    "a member of this name admitted on this day is registered in another "
                    "unit; ask the Organisation Board"
                ),
            )
        member = mine[0] if mine else PartyMember(unit=unit, full_name=name)
        is_new = member.pk is None
        if is_new and not v.get("left_on"):
            # As the member form: a member today belongs to a unit open today.
            for broken in pipeline.unit_open_rules(unit, timezone.localdate()):
                row.error("unit", str(broken))
                return Outcome.error(row, name)
        if not is_new and member.unit_id != unit.pk:
            row.error(
                "unit",
                _("%(name)s is in %(unit)s: record a transfer on the member's page")
                % {"name": member.full_name, "unit": member.unit.name},
            )
            return Outcome.error(row, name)
        changed = [k for k in ["admitted_on", *CHANGEABLE] if k in v and getattr(member, k) != v[k]]
        if not is_new and not changed:
            return Outcome.unchanged(row, name)
        if not is_new and member.candidate_id:
            row.error(
                None,
                _(
                    "%(name)s was admitted through the pipeline: the dates follow the "
                    "candidate's record, where they are corrected"
                )
                % {"name": member.full_name},
            )
            return Outcome.error(row, name)
        for key_ in changed:
            setattr(member, key_, v[key_])
        # The member form's rules: dates in order, a leaving with its reason.
        values = {name: getattr(member, name) for name in ("admitted_on", *CHANGEABLE)}
        errors = {**member_date_errors(values, []), **member_leaving_errors(values)}
        for field, error in errors.items():
            row.error(field, error)
        if row.errors:
            return Outcome.error(row, name)
        try:
            with transaction.atomic():
                member.full_clean()
                member._change_reason = self.reason
                member._history_user = self.user if getattr(self.user, "pk", None) else None
                member.save()
        except ValidationError as error:
            validation_errors(row, error)
            return Outcome.error(row, name)
        self.touched.add(member.pk)
        return Outcome.new(row, name) if is_new else Outcome.changed(row, name)

    def finish(self) -> None:
        user = self.user if getattr(self.user, "pk", None) else None
        attribute(PartyMember, self.touched, user, self.reason, self.started)
        self.touched = set()
