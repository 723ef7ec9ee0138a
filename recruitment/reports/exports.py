"""The dashboard's table as a file: CSV, XLSX or JSON, with the same figures as the page.

One row per unit (the unit itself first, then its children): quota, previous quota, change,
admissions, the percent rounded down and the exact ratio beside it, today's pipeline by stage
and the "no source left" flag. Numbers are written as numbers; only text is neutralised
against spreadsheet formulas.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import date

from django.http import HttpResponse
from django.utils.translation import gettext as _

from recruitment import stages
from recruitment.models import Organisation
from recruitment.reports.figures import Pace, UnitFigures
from recruitment.stages import Stage

FORMATS = ("csv", "xlsx", "json")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
}
# A spreadsheet treats text starting with these as a formula (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
RATIO_PLACES = 4


@dataclass(frozen=True)
class Column:
    key: str
    label: str


def columns() -> list[Column]:
    """The table's columns, labels in the active language."""
    return [
        Column("code", _("Code")),
        Column("unit", _("Unit")),
        Column("quota", _("Quota")),
        Column("previous_quota", _("Previous quota")),
        Column("quota_change", _("Quota change on the previous year")),
        Column("admitted", _("Admitted")),
        Column("percent", _("Percent (rounded down)")),
        Column("ratio", _("Exact ratio")),
        Column("ratio_decimal", _("Ratio (decimal)")),
        *(Column(stage.value, str(Stage(stage).label)) for stage in stages.ACTIVE),
        Column("no_source", _("No source left")),
    ]


def table_row(figures: UnitFigures) -> dict:
    """One row as plain values: numbers as numbers, None where there is nothing."""
    ratio = figures.ratio
    return {
        "code": figures.unit.code,
        "unit": figures.unit.name,
        "quota": figures.quota,
        "previous_quota": figures.previous_quota,
        "quota_change": figures.quota_change,
        "admitted": figures.admitted,
        "percent": figures.percent,
        "ratio": figures.ratio_text or None,
        "ratio_decimal": None if ratio is None else round(float(ratio), RATIO_PLACES),
        **{stage.value: figures.pipeline.get(stage, 0) for stage in stages.ACTIVE},
        "no_source": figures.no_source,
    }


def neutralise(value):
    """A cell safe to open in a spreadsheet: text that would start a formula gets a ``'``.

    Numbers (a quota change of -2) stay numbers; only text is touched.
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return neutralise(value)


def write_csv(rows: list[UnitFigures]) -> bytes:
    """UTF-8 with a BOM, so that Excel shows Vietnamese correctly."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    cols = columns()
    writer.writerow([neutralise(c.label) for c in cols])
    for figures in rows:
        row = table_row(figures)
        writer.writerow([_cell(row[c.key]) for c in cols])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def write_xlsx(rows: list[UnitFigures], *, year: int) -> bytes:
    """One sheet named after the year: the header row in bold, then the table's rows."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = f"{year}"
    cols = columns()
    sheet.append([neutralise(c.label) for c in cols])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for figures in rows:
        row = table_row(figures)
        sheet.append([_cell(row[c.key]) if row[c.key] is not None else None for c in cols])
    ratio_letter = get_column_letter([c.key for c in cols].index("ratio") + 1)
    for cell in sheet[ratio_letter][1:]:  # the exact ratio is text ("4/3"), never a date
        cell.data_type = "s"
        cell.number_format = "@"
    sheet.freeze_panes = "C2"
    sheet.column_dimensions["B"].width = 40
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def header_data(figures: UnitFigures, pace: Pace | None = None) -> dict:
    data = table_row(figures)
    if pace is not None:
        data["year_elapsed_percent"] = pace.share_percent
        data["expected_by_now"] = pace.expected_rounded
    return data


def write_json(
    rows: list[UnitFigures], *, unit: Organisation, year: int, pace: Pace | None = None
) -> bytes:
    payload = {
        "unit": {"id": unit.pk, "code": unit.code, "name": unit.name},
        "year": year,
        "header": header_data(rows[0], pace),
        "columns": [c.key for c in columns()],
        "rows": [table_row(figures) for figures in rows],
    }
    return json.dumps(payload, ensure_ascii=False, indent=2).encode("utf-8")


def filename(unit: Organisation, year: int, fmt: str, today: date) -> str:
    """``quota-2021-VT-20260615.csv``: year and unit code, ASCII only."""
    code = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_") else "_" for ch in unit.code)
    return f"quota-{year}-{code}-{today:%Y%m%d}.{fmt}"


def response(
    fmt: str,
    rows: list[UnitFigures],
    *,
    unit: Organisation,
    year: int,
    today: date,
    pace: Pace | None = None,
) -> HttpResponse:
    """The export as a download."""
    if fmt == "csv":
        content = write_csv(rows)
    elif fmt == "xlsx":
        content = write_xlsx(rows, year=year)
    else:
        content = write_json(rows, unit=unit, year=year, pace=pace)
    response = HttpResponse(content, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{filename(unit, year, fmt, today)}"'
    return response
