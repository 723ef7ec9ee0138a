"""Importing quotas: unit code, year, target (chỉ tiêu), note; keyed by unit and year.

Reads the dashboard's own CSV and XLSX exports as they are (their "Code" and "Quota"
columns; the year is the sheet's title or in the file's name), so that an export edited in a
spreadsheet imports back, and one left as it was changes nothing. An empty target leaves the
unit's quota as it is. Writes go through ``services.set_quotas``.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from recruitment import pipeline, services
from recruitment.imports import values
from recruitment.imports.columns import Column, Row
from recruitment.imports.outcome import Outcome, attribute, validation_errors
from recruitment.models import MAX_QUOTA, MAX_YEAR, MIN_YEAR, Organisation, Quota


def _year(cell) -> int:
    return values.parse_int(cell, minimum=MIN_YEAR, maximum=MAX_YEAR)


def _target(cell) -> int:
    return values.parse_int(cell, maximum=MAX_QUOTA)


def columns() -> list[Column]:
    return [
        Column(
            "unit",
            gettext_lazy("unit code"),
            required=True,
            aliases=(gettext_lazy("Code"), "Mã đơn vị", "Mã"),
            example="VT-P1",
        ),
        Column("year", Quota._meta.get_field("year").verbose_name, read=_year, example=2026),
        Column(
            "target",
            Quota._meta.get_field("target").verbose_name,
            read=_target,
            must_exist=True,
            aliases=(gettext_lazy("Quota"), "Chỉ tiêu kết nạp"),
            example=3,
        ),
        Column("note", Quota._meta.get_field("note").verbose_name),
    ]


class Importer:
    def __init__(self, *, user, reason: str, year: int | None = None, **_kwargs):
        self.user = user
        self.reason = reason
        self.year = year
        self.started = timezone.now()
        self.seen: dict[tuple, int] = {}
        self.touched: set[int] = set()

    def process(self, rows: list[Row]) -> list[Outcome]:
        codes = {str(row.values["unit"]) for row in rows if "unit" in row.values}
        units = {u.code: u for u in Organisation.objects.for_user(self.user).filter(code__in=codes)}
        existing = {
            (q.unit_id, q.year): q
            for q in Quota.objects.filter(unit__in=units.values()).select_related("unit")
        }
        return [self._one(row, units, existing) for row in rows]

    def _one(self, row: Row, units, existing) -> Outcome:
        v = row.values
        unit = units.get(str(v.get("unit", "")))
        label = unit.name if unit else str(v.get("unit", ""))
        if unit is None and "unit" in v:
            row.error("unit", _("%(value)s is not one of your units") % {"value": v["unit"]})
        year = v.get("year") or self.year
        if year is None:
            row.error(
                "year" if "year" in row.headers else None,
                _("no year: add a “Year” column, or choose the year on the upload page"),
            )
        if not row.errors:
            for broken in pipeline.unit_of_year_rules(unit, year):
                row.error(broken.field, str(broken))
        if row.errors:
            return Outcome.error(row, label)
        key = (unit.pk, year)
        if key in self.seen:
            return Outcome.duplicate(
                row,
                label,
                _("the same unit and year as row %(row)s; this row is skipped")
                % {"row": self.seen[key]},
            )
        self.seen[key] = row.number
        if "target" not in v:
            return Outcome.unchanged(row, label)
        quota = existing.get(key)
        note = v.get("note")
        if (
            quota is not None
            and quota.target == v["target"]
            and (note is None or note == quota.note)
            and not quota.draft  # the same number confirms a reorganisation's draft
        ):
            return Outcome.unchanged(row, label)
        if not self.user.sets_quota_of(unit):
            row.error(
                "target",
                _("the quota of %(unit)s is set by the level above") % {"unit": unit.name},
            )
            return Outcome.error(row, label)
        change = services.QuotaChange(unit=unit, target=v["target"], note=note)
        try:
            with transaction.atomic():
                result = services.set_quotas(year=year, changes=[change])
        except ValidationError as error:
            validation_errors(row, error)
            return Outcome.error(row, label)
        for saved in result.created + result.updated:
            self.touched.add(saved.pk)
        return Outcome.new(row, label) if result.created else Outcome.changed(row, label)

    def finish(self) -> None:
        user = self.user if getattr(self.user, "pk", None) else None
        attribute(Quota, self.touched, user, self.reason, self.started)
        self.touched = set()
