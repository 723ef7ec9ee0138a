"""Columns of an import: how a header is recognised and how a cell is read.

A column is recognised by its Vietnamese or English label (the same labels the template
writes, diacritics, case and spacing ignored) or by one of its aliases, such as the labels
of the app's own exports. Labels come from the models' verbose names where a model field
stands behind the column, so that the template, the forms and the importer say the same.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.utils import translation
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from recruitment.imports import values
from recruitment.text import search_key


@dataclass(frozen=True)
class Column:
    key: str
    label: Any  # a lazy string: shown in the active language
    read: Callable[[Any], Any] = values.text
    required: bool = False
    aliases: tuple = ()
    choices: Callable[[], list[str]] | None = None  # drop-down list of the template
    example: Any = None
    is_date: bool = False
    must_exist: bool = False  # the column must be in the file, though a cell may be empty

    def labels(self) -> list[str]:
        names = []
        for language in ("vi", "en"):
            with translation.override(language):
                names.append(capfirst(str(self.label)))
                names += [str(alias) for alias in self.aliases]
        return names

    def header(self, language: str) -> str:
        with translation.override(language):
            return capfirst(str(self.label))


def date_column(key, label, **kwargs) -> Column:
    return Column(key, label, read=values.parse_date, is_date=True, **kwargs)


def choice_column(key, label, choices_class, *, extra=None, **kwargs) -> Column:
    reader = values.choice_reader(choices_class, extra=extra)
    return Column(key, label, read=reader, choices=reader.labels, **kwargs)


def known_headers(columns: list[Column]) -> set[str]:
    return {search_key(name) for column in columns for name in column.labels()}


def match_header(header: list[str], columns: list[Column]) -> dict[int, Column]:
    """The file's column positions of each known column (the first one wins)."""
    by_name = {}
    for column in columns:
        for name in column.labels():
            by_name.setdefault(search_key(name), column)
    found: dict[int, Column] = {}
    taken = set()
    for position, name in enumerate(header):
        column = by_name.get(search_key(name))
        if column is not None and column.key not in taken:
            found[position] = column
            taken.add(column.key)
    return found


@dataclass
class Row:
    """One row of the file, read: ``values`` by column key (only cells that are not empty)
    and ``errors`` as (column header as written in the file, message)."""

    number: int
    values: dict = field(default_factory=dict)
    errors: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    headers: dict = field(default_factory=dict)  # column key → header as written

    def error(self, key: str | None, message: str) -> None:
        self.errors.append((self.headers.get(key, "") if key else "", str(message)))

    def note(self, key: str | None, message: str) -> None:
        self.notes.append((self.headers.get(key, "") if key else "", str(message)))


def read_row(number: int, cells: list, positions: dict[int, Column], headers: dict) -> Row:
    row = Row(number=number, headers=headers)
    for position, column in positions.items():
        cell = cells[position] if position < len(cells) else None
        if values.is_empty(cell):
            if column.required:
                row.error(column.key, _("empty; this column must be filled in"))
            continue
        try:
            row.values[column.key] = column.read(cell)
        except values.Invalid as invalid:
            row.error(column.key, invalid.message)
    return row


def missing_columns(positions: dict[int, Column], columns: list[Column]) -> list[Column]:
    present = {column.key for column in positions.values()}
    return [
        column
        for column in columns
        if (column.required or column.must_exist) and column.key not in present
    ]
