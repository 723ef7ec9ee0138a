"""The dashboard's table as a file: CSV, XLSX or JSON, with the same figures as the page.

One row per unit (the unit itself first, then its children): quota, previous quota, change,
admissions, the percent rounded down and the exact ratio beside it, today's pipeline by stage
and the "no source left" flag; then what steering the year needs (``reports.steering``):
the pace, the two years before, overdue work and the make-up of the year's admissions. The
first line (of each sheet in XLSX) names the unit, the year and the time of the export; for
a unit that continues others (a reorganisation), the lines under it say what they admitted,
as the page does (``reorganisation.selectors.lineage``). Numbers are written as numbers;
only text is neutralised against spreadsheet formulas.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from datetime import date, datetime

from django.http import HttpResponse
from django.utils.translation import gettext as _

from recruitment import stages
from recruitment.models import Organisation
from recruitment.reorganisation.selectors import Lineage
from recruitment.reports import steering
from recruitment.reports.figures import Pace, UnitFigures, composition_labels
from recruitment.stages import Stage
from recruitment.text import printable

FORMATS = ("csv", "xlsx", "json")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
}
# A spreadsheet treats text starting with these as a formula (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
RATIO_PLACES = 4
MAX_WIDTH = 60  # characters: a column no wider than this, however long a unit's name


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
    if not isinstance(value, str):
        return value
    value = printable(value)  # a control character is no cell's (openpyxl refuses it)
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return neutralise(value)


def csv_cell(key: str, value):
    """A cell of a CSV file (``_cell``). A CSV has no types, and a spreadsheet opening it
    reads an exact ratio such as "4/3" as a date (4 March): it is written "4 / 3", which no
    spreadsheet takes for one (the XLSX writer marks the cell as text instead)."""
    if key == "ratio" and value:
        value = value.replace("/", " / ")
    return _cell(value)


def pace_columns(year: int) -> list[Column]:
    return [
        Column("expected_by_now", _("Expected by today")),
        Column("against_pace", _("Against the pace")),
        Column("near_admission", _("With a dossier or proposed")),
        Column(
            "by_now_last_year",
            _("Admitted by the same day of %(year)s") % {"year": year - 1},
        ),
    ]


def year_columns(year: int) -> list[Column]:
    """The two years before: ``admitted_1``, ``quota_1``, ``percent_1`` and ``pipeline_1``
    (at its end) for the year before."""
    found = []
    for back in range(1, steering.YEARS_BACK + 1):
        values = {"year": year - back}
        found += [
            Column(f"admitted_{back}", _("Admitted %(year)s") % values),
            Column(f"quota_{back}", _("Quota %(year)s") % values),
            Column(f"percent_{back}", _("Percent %(year)s") % values),
            Column(f"pipeline_{back}", _("In the pipeline at the end of %(year)s") % values),
        ]
    return found


def overdue_columns() -> list[Column]:
    return [Column(f"overdue_{kind}", str(label)) for kind, label in steering.Overdue.choices()]


def composition_columns() -> list[Column]:
    return [Column(key, str(label)) for key, label in composition_labels()]


def share_columns() -> list[Column]:
    return [Column(f"{key}_percent", f"{label} (%)") for key, label in composition_labels()]


def steering_row(row: steering.Steering) -> dict:
    """What steering the year needs, as plain values (``pace_columns`` to ``share_columns``)."""
    values = {
        "expected_by_now": row.expected,
        "against_pace": row.gap,
        "near_admission": row.near,
        "by_now_last_year": row.by_now_last_year,
    }
    for back, earlier in enumerate(row.earlier, start=1):
        values |= {
            f"admitted_{back}": earlier.admitted,
            f"quota_{back}": earlier.quota,
            f"percent_{back}": earlier.percent,
            f"pipeline_{back}": earlier.pipeline,
        }
    values |= {f"overdue_{kind}": n for kind, n in row.overdue_counts}
    for share in row.composition:
        values[share.key] = share.count
        values[f"{share.key}_percent"] = None if share.percent is None else float(share.percent)
    return values


@dataclass
class Export:
    """What an export holds: the unit's table, what steering it needs, and when it was made."""

    unit: Organisation
    year: int
    exported_at: datetime
    rows: list[UnitFigures]
    steered: list[steering.Steering]
    pace: Pace | None = None
    lineage: Lineage = field(default_factory=lambda: Lineage([], [], []))

    def title(self) -> list[str]:
        """The first line: the unit, the year and the time of the export."""
        return [
            _("Unit: %(name)s (%(code)s)") % {"name": self.unit.name, "code": self.unit.code},
            _("Year: %(year)s") % {"year": self.year},
            _("Exported at: %(time)s")
            % {"time": self.exported_at.isoformat(sep=" ", timespec="minutes")},
        ]

    def heading(self) -> list[list[str]]:
        """The lines above the header: the title, then for a unit that continues others
        what they admitted, one line a year, in the page's words."""
        return [
            self.title(),
            *(
                [_("Predecessors, %(year)s: %(n)s admitted") % {"year": year, "n": n}]
                for year, n in self.lineage.lines
            ),
        ]

    def all_columns(self) -> list[Column]:
        return [
            *columns(),
            *pace_columns(self.year),
            *year_columns(self.year),
            *overdue_columns(),
            *composition_columns(),
            *share_columns(),
        ]

    def all_rows(self) -> list[dict]:
        return [
            table_row(figures) | steering_row(steered)
            for figures, steered in zip(self.rows, self.steered, strict=True)
        ]


def write_csv(export: Export) -> bytes:
    """UTF-8 with a BOM, so that Excel shows Vietnamese correctly. The first line names the
    unit, the year and the time of export, the predecessors' lines follow (``heading``);
    then the header."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    cols = export.all_columns()
    for line in export.heading():
        writer.writerow([neutralise(text) for text in line])
    writer.writerow([neutralise(c.label) for c in cols])
    for row in export.all_rows():
        writer.writerow([csv_cell(c.key, row[c.key]) for c in cols])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _sheet(workbook, name: str, heading: list[list[str]], cols: list[Column], rows: list[dict]):
    """A sheet: the export's heading on the first rows, the header in bold under it (frozen
    with the unit's code and name), columns as wide as what they hold."""
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    sheet = workbook.create_sheet(name)
    for line in heading:
        sheet.append([neutralise(text) for text in line])
    sheet.append([neutralise(c.label) for c in cols])
    header = len(heading) + 1
    for cell in sheet[header]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([_cell(row[c.key]) if row[c.key] is not None else None for c in cols])
    sheet.freeze_panes = f"C{header + 1}"
    for index, col in enumerate(cols, start=1):
        longest = max([len(col.label), *(len(str(row[col.key] or "")) for row in rows)])
        sheet.column_dimensions[get_column_letter(index)].width = min(longest + 2, MAX_WIDTH)
    return sheet


def write_xlsx(export: Export) -> bytes:
    """The year's table on the first sheet, then pace, year on year, overdue work and
    composition on sheets of their own; each starts with the unit, year and time of export."""
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    workbook.remove(workbook.active)
    rows = export.all_rows()
    heading = export.heading()
    unit = columns()[:2]
    table = _sheet(workbook, f"{export.year}", heading, columns(), rows)
    ratio_letter = get_column_letter([c.key for c in columns()].index("ratio") + 1)
    header = len(heading) + 1
    for cell in table[ratio_letter][header:]:  # the exact ratio is text ("4/3"), never a date
        cell.data_type = "s"
        cell.number_format = "@"
    admitted = [c for c in columns() if c.key in ("quota", "admitted", "percent")]
    sheets = [
        (_("Pace"), [*unit, *admitted, *pace_columns(export.year)]),
        (_("Year on year"), [*unit, *admitted, *year_columns(export.year)]),
        (_("Overdue"), [*unit, *overdue_columns()]),
        (_("Composition"), [*unit, admitted[1], *composition_columns(), *share_columns()]),
    ]
    for name, cols in sheets:
        _sheet(workbook, str(name)[:31], heading, cols, rows)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def header_data(figures: UnitFigures, pace: Pace | None = None) -> dict:
    data = table_row(figures)
    if pace is not None:
        data["year_elapsed_percent"] = pace.share_percent
        data["expected_by_now"] = pace.expected_rounded
    return data


def _unit_data(unit: Organisation) -> dict:
    return {"id": unit.pk, "code": unit.code, "name": unit.name}


def lineage_data(lineage: Lineage) -> dict:
    """The reorganisations the unit is part of: the units it continues and those that
    continue it, and its predecessors' admissions in the years the page shows."""
    return {
        "predecessors": [_unit_data(u) for u in lineage.predecessors],
        "successors": [_unit_data(u) for u in lineage.successors],
        "predecessors_admitted": [{"year": y, "admitted": n} for y, n in lineage.lines],
    }


def write_json(export: Export) -> bytes:
    cols = export.all_columns()
    payload = {
        "unit": _unit_data(export.unit),
        "year": export.year,
        "exported_at": export.exported_at.isoformat(timespec="seconds"),
        "lineage": lineage_data(export.lineage),
        "header": header_data(export.rows[0], export.pace),
        "columns": [c.key for c in cols],
        "rows": export.all_rows(),
    }
    return json.dumps(payload, ensure_ascii=False, indent=2).encode("utf-8")


def filename(unit: Organisation, year: int, fmt: str, today: date) -> str:
    """``quota-2021-VT-20260615.csv``: year and unit code, ASCII only."""
    code = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_") else "_" for ch in unit.code)
    return f"quota-{year}-{code}-{today:%Y%m%d}.{fmt}"


def response(fmt: str, export: Export, *, today: date) -> HttpResponse:
    """The export as a download."""
    if fmt == "csv":
        content = write_csv(export)
    elif fmt == "xlsx":
        content = write_xlsx(export)
    else:
        content = write_json(export)
    response = HttpResponse(content, content_type=CONTENT_TYPES[fmt])
    name = filename(export.unit, export.year, fmt, today)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
