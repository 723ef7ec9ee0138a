"""The template of each kind: an XLSX to fill in and import back.

Headers in Vietnamese (in the user's language), one example row, a drop-down list on every
column of choices (stage, source, gender, education, result), dates formatted dd/mm/yyyy and
citizen IDs as text (so that Excel keeps their leading zero).
"""

from __future__ import annotations

import io
from datetime import date

from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from recruitment.imports import kinds, values

DATE_FORMAT = "DD/MM/YYYY"
MAX_ROWS = 10_000  # rows the drop-downs and formats cover


def template(kind: str, *, unit_code: str = "") -> bytes:
    """The template of ``kind``; its example row names ``unit_code`` (the user's unit)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    language = get_language() or "vi"
    columns = kinds.get(kind).columns()
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Data")[:31]
    lists = workbook.create_sheet(_("Lists")[:31])
    lists.sheet_state = "hidden"
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="FDE9D9")
    list_column = 0
    for position, column in enumerate(columns, start=1):
        letter = get_column_letter(position)
        cell = sheet.cell(row=1, column=position, value=column.header(language))
        cell.font = bold
        if column.required:
            cell.fill = fill
        sheet.column_dimensions[letter].width = max(14, min(40, len(cell.value) + 4))
        example = column.example
        if column.is_date and isinstance(example, str):
            example = values.read_date(example)
        if column.key == "unit" and unit_code:
            example = unit_code
        if column.key == "citizen_id" and isinstance(example, str):
            example = example.lstrip("'")
        if example is not None and not isinstance(example, str | int | float | date):
            example = str(example)  # a lazy label
        target = sheet.cell(row=2, column=position, value=example)
        span = f"{letter}2:{letter}{MAX_ROWS}"
        if column.is_date:
            target.number_format = DATE_FORMAT
            validation = DataValidation(
                type="date",
                operator="greaterThan",
                formula1="1",
                allow_blank=True,
                showErrorMessage=True,
                error=_("Write a date as day/month/year, e.g. 31/01/1990."),
            )
            validation.add(span)
            sheet.add_data_validation(validation)
        elif column.key == "citizen_id":
            target.number_format = "@"
        if column.choices is not None:
            list_column += 1
            choice_letter = get_column_letter(list_column)
            labels = column.choices()
            for row, label in enumerate(labels, start=1):
                lists.cell(row=row, column=list_column, value=label)
            validation = DataValidation(
                type="list",
                formula1=f"'{lists.title}'!${choice_letter}$1:${choice_letter}${len(labels)}",
                allow_blank=not column.required,
                showErrorMessage=True,
                error=_("Choose a value from the list."),
            )
            validation.add(span)
            sheet.add_data_validation(validation)
            if column.example is not None:
                target.value = str(column.example)
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def filename(kind: str) -> str:
    return f"mau-nhap-{kind}-{timezone.localdate():%Y%m%d}.xlsx"
