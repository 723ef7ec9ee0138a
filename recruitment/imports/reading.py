"""Reading the files offices really have: a table of rows out of CSV or XLSX bytes.

What comes in is checked before it is parsed, and refused quickly with a message that names
the problem (``Refused``): a file over the size limit, an empty one, a binary (a picture, a
PDF, an old .xls), a zip bomb renamed .xlsx, text typed in the legacy TCVN3 (.VnTime) or VNI
fonts. Text may be UTF-8 with or without a BOM, UTF-16 (Excel's "Unicode text") or
Windows-1258. XLSX cells are read as their stored values: formulas are never evaluated
(openpyxl reads the value Excel saved with them).

Rows are yielded one at a time (XLSX in openpyxl's read-only mode), so a 100,000-row file is
read in bounded memory. The header row is the first of the first rows that names at least
two known columns: title rows and merged group headers above it are skipped, as are blank
rows and a trailing totals row.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import chain, islice

from django.conf import settings
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from recruitment import archives
from recruitment.text import search_key

HEADER_SEARCH_ROWS = 15
CHUNK = 1024 * 1024
# A totals row at the bottom of a sheet or between groups. Its first cell is the word alone
# ("Tổng cộng", "Cộng:"), whatever is beside it; or begins with it and says a count or a
# totals phrase ("Tổng số: 12", "Tổng số quần chúng"), with only counts beside it. Names
# begin with the same letters ("Tống Thị Hoa", "Công Tằng Tôn Nữ Minh") but hold no digit
# and no totals phrase: a person's row, however little of it is filled, is never skipped.
TOTALS_WORD = r"(tong cong|tong so|tong|cong|total|sum)"
TOTALS_ALONE = re.compile(TOTALS_WORD + r"\W*$")
TOTALS_START = re.compile(TOTALS_WORD + r"\b")
TOTALS_PHRASE = re.compile(r"(tong cong|tong so|total)\b")
COUNT = re.compile(r"[\d\s.,%\-]+")

# Signatures of files that are certainly not a spreadsheet of text.
BINARY_MAGIC = {
    b"%PDF": "PDF",
    b"\x89PNG": "PNG",
    b"\xff\xd8\xff": "JPEG",
    b"GIF8": "GIF",
    b"\x7fELF": "ELF",
    b"MZ": "EXE",
    b"\x1f\x8b": "gzip",
    b"7z\xbc\xaf": "7z",
    b"Rar!": "RAR",
}
# What a sheet may hold: the templates have about 25 columns; 100,000 rows import in the
# background (see the benchmark), twice that is refused rather than read for minutes.
MAX_COLUMNS = 100
MAX_ROWS = 200_000
OLD_EXCEL = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP = b"PK\x03\x04"

# Latin-1 characters that no Vietnamese text in Unicode or Windows-1258 contains, but that
# the legacy TCVN3 (.VnTime) font uses for Vietnamese letters: "NguyÔn V¨n §øc".
VIETNAMESE_LATIN1 = set("àáâãèéêìíòóôõùúýÀÁÂÃÈÉÊÌÍÒÓÔÕÙÚÝ")
CP1258_LETTERS = set("ĂăĐđƠơƯư")
TCVN3_MARKS = {
    chr(code) for code in range(0xA1, 0x100) if chr(code) not in VIETNAMESE_LATIN1
} - CP1258_LETTERS
# VNI typing: a vowel followed by the character the VNI font draws as its tone or hat
# ("Nguyeãn", "Ñöùc", "Toaøn").
VNI_PATTERN = re.compile(r"[aeiouyAEIOUY][øùúûõïÙØÛÕÏ]|[Ññö]")


class Refused(Exception):
    """The file cannot be imported; ``message`` says why in words."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class Table:
    """The rows of a file: ``header`` (the cells of the header row, as written), then
    ``rows`` yielding (spreadsheet row number, cells)."""

    header: list[str]
    header_row: int
    rows: Iterator[tuple[int, list]]
    sheet_title: str = ""
    estimated_rows: int = 0  # for the progress bar; the rows read are what counts


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}".rstrip("0").rstrip(".")


def check_size(size: int) -> None:
    limit = settings.IMPORT_MAX_BYTES
    if size > limit:
        raise Refused(
            _("The file is %(size)s MB; files of up to %(limit)s MB can be imported.")
            % {"size": _mb(size), "limit": _mb(limit)}
        )


def read_table(content: bytes, file_name: str, known_headers: set[str]) -> Table:
    """The table in ``content``; raises ``Refused`` for a file that is not one."""
    check_size(len(content))
    if not content.strip():
        raise Refused(_("The file is empty."))
    if content.startswith(OLD_EXCEL):
        raise Refused(
            _(
                "This is an old Excel 97-2003 file (.xls) or another Office document. Open it "
                "in Excel and save it as an Excel Workbook (.xlsx) or CSV (UTF-8), then upload "
                "that file."
            )
        )
    for magic, kind in BINARY_MAGIC.items():
        if content.startswith(magic):
            raise Refused(
                _("This is a %(kind)s file, not a spreadsheet: upload a .xlsx or .csv file.")
                % {"kind": kind}
            )
    if content.startswith(ZIP):
        return _read_xlsx(content, known_headers)
    if file_name.lower().endswith((".xlsx", ".xlsm")):
        raise Refused(_("The file is named .xlsx but is not an Excel workbook: it may be damaged."))
    return _read_csv(content, known_headers)


# --- XLSX ------------------------------------------------------------------------------------


def _check_zip(content: bytes) -> None:
    archive = archives.open_zip(content)
    if archive is None:
        raise Refused(_("The file looks like an Excel workbook but is damaged."))
    if archives.unpacks_too_far(archive, settings.IMPORT_MAX_UNPACKED_BYTES):
        raise Refused(
            _(
                "The workbook unpacks to far more data than a spreadsheet holds (a “zip "
                "bomb”); it was not opened."
            )
        )
    entries = archive.infolist()
    names = {entry.filename for entry in entries}
    if "xl/workbook.xml" not in names:
        raise Refused(
            _(
                "The file is a zip archive or another Office document, not an Excel workbook "
                "(.xlsx)."
            )
        )


def _read_xlsx(content: bytes, known_headers: set[str]) -> Table:
    from openpyxl import load_workbook

    _check_zip(content)
    try:
        # data_only: a formula cell gives the value Excel saved with it; nothing is evaluated.
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        sheet = next(
            (
                ws
                for ws in workbook.worksheets
                if getattr(ws, "sheet_state", "visible") == "visible"
            ),
            workbook.worksheets[0],
        )
        # The size a sheet declares (<dimension>) is not trusted: read-only openpyxl would pad
        # every row to it, and a few kilobytes can declare 16,384 columns and a million rows.
        declared_rows = getattr(sheet, "max_row", 0) or 0
        sheet.reset_dimensions()
        rows = sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS)
    except Refused:
        raise
    except Exception:  # openpyxl raises many kinds on a damaged file
        raise Refused(_("The Excel workbook could not be read: it may be damaged.")) from None

    def numbered():
        try:
            for number, cells in enumerate(rows, start=1):
                if number > MAX_ROWS:
                    raise Refused(
                        _("The sheet has more than %(rows)s rows: split it into several files.")
                        % {"rows": f"{MAX_ROWS:,}".replace(",", ".")}
                    )
                yield number, [_clean(cell) for cell in cells]
        except Refused:
            raise
        except Exception:
            raise Refused(_("The Excel workbook could not be read: it may be damaged.")) from None
        finally:
            workbook.close()

    rows_read = numbered()
    head = list(islice(rows_read, HEADER_SEARCH_ROWS + 50))
    _check_legacy(" ".join(c for _n, cells in head for c in cells if isinstance(c, str)))
    table = _find_header(chain(head, rows_read), known_headers)
    table.sheet_title = sheet.title or ""
    table.estimated_rows = max(min(declared_rows, MAX_ROWS) - table.header_row, 0)
    return table


def _clean(cell):
    if isinstance(cell, str):
        return unicodedata.normalize("NFC", cell).strip()
    return cell


# --- CSV -------------------------------------------------------------------------------------


def _encoding(content: bytes) -> tuple[str, int]:
    """The encoding of a CSV file and the length of its BOM: UTF-8 (BOM or not), UTF-16
    (BOM or not), Windows-1258. The whole file is checked, a chunk at a time, so that a
    bad byte is refused here and not in the middle of an import."""
    if content.startswith(b"\xef\xbb\xbf"):
        return _valid(content, "utf-8", 3), 3
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16-le" if content.startswith(b"\xff\xfe") else "utf-16-be"
        return _valid(content, encoding, 2), 2
    head = content[:4096]
    if b"\x00" in head:
        if head[1::2].count(0) > len(head) // 4:
            return _valid(content, "utf-16-le", 0), 0
        if head[0::2].count(0) > len(head) // 4:
            return _valid(content, "utf-16-be", 0), 0
        raise Refused(_("This is a binary file, not a spreadsheet: upload a .xlsx or .csv file."))
    if _decodes(content, "utf-8"):
        return "utf-8", 0
    if _decodes(content, "cp1258"):
        return "cp1258", 0
    raise Refused(
        _(
            "The file's characters are in no known encoding (UTF-8, UTF-16, Windows-1258): "
            "save it again as CSV UTF-8."
        )
    )


def _decodes(content: bytes, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        for start in range(0, len(content), CHUNK):
            decoder.decode(content[start : start + CHUNK])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _valid(content: bytes, encoding: str, bom: int) -> str:
    if not _decodes(content[bom:], encoding):
        raise Refused(
            _("The file says it is %(encoding)s but is not: save it again as CSV UTF-8.")
            % {"encoding": encoding.upper()}
        )
    return encoding


def _read_csv(content: bytes, known_headers: set[str]) -> Table:
    """Rows decoded as they are read (``TextIOWrapper``): the text of the whole file is never
    held beside its bytes."""
    encoding, bom = _encoding(content)
    sample = content[bom : bom + 256 * 1024].decode(encoding, errors="ignore")
    controls = sum(1 for ch in sample[:4096] if ord(ch) < 32 and ch not in "\t\r\n")
    if controls > 8:
        raise Refused(_("This is a binary file, not a spreadsheet: upload a .xlsx or .csv file."))
    _check_legacy(sample)
    try:
        dialect = csv.Sniffer().sniff(sample[:8192], delimiters=",;\t")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = "\t" if sample.count("\t") > sample.count(",") else ","
    stream = io.BytesIO(content)
    stream.seek(bom)
    text = io.TextIOWrapper(stream, encoding=encoding, newline="")
    reader = csv.reader(text, delimiter=delimiter)

    def numbered():
        try:
            for number, cells in enumerate(reader, start=1):
                if any("\x00" in cell for cell in cells):  # the csv module lets it through
                    raise Refused(
                        _("Line %(line)s holds a NUL character: the file is not plain text.")
                        % {"line": reader.line_num}
                    )
                yield number, [unicodedata.normalize("NFC", cell).strip() for cell in cells]
        except csv.Error as error:
            raise Refused(_csv_problem(error, reader.line_num)) from None

    table = _find_header(numbered(), known_headers)
    table.estimated_rows = max(content.count(b"\n") - table.header_row, 0)
    return table


def _is_totals(cells: list) -> bool:
    filled = [c for c in cells if c not in (None, "")]
    if not filled or not isinstance(filled[0], str):
        return False
    key = search_key(filled[0])
    if TOTALS_ALONE.match(key):
        return True
    if not TOTALS_START.match(key) or not all(_is_count(c) for c in filled[1:]):
        return False
    return TOTALS_PHRASE.match(key) is not None or any(ch.isdigit() for ch in key)


def _is_count(cell) -> bool:
    if isinstance(cell, bool):
        return False
    return isinstance(cell, int | float) or COUNT.fullmatch(str(cell)) is not None


def _csv_problem(error: csv.Error, line: int) -> str:
    """What the csv module refused, in words (its own text is English and technical)."""
    text = str(error)
    if "field larger than field limit" in text:
        return _(
            "Line %(line)s holds a cell of more than %(limit)s characters: this is not a list "
            "of people. Check that the file is the one you meant to send."
        ) % {"line": line, "limit": number_format(csv.field_size_limit(), force_grouping=True)}
    return _(
        "The CSV file could not be read at line %(line)s: a quote or a line break is out of "
        "place. Save it again from the spreadsheet as CSV UTF-8."
    ) % {"line": line}


# --- Legacy fonts ----------------------------------------------------------------------------


def legacy_font(text: str) -> str | None:
    """ "TCVN3" or "VNI" if ``text`` looks typed in that legacy font, else None."""
    if len(VNI_PATTERN.findall(text)) >= 3:
        return "VNI"
    marks = sum(1 for ch in text if ch in TCVN3_MARKS)
    if marks >= 3:
        non_ascii = sum(1 for ch in text if ord(ch) > 127)
        if marks * 5 >= non_ascii:
            return "TCVN3"
    return None


def _check_legacy(text: str) -> None:
    font = legacy_font(text)
    if font == "TCVN3":
        raise Refused(
            _(
                "The text was typed in the old TCVN3 (.VnTime) font, not in Unicode: names "
                "would be garbled. Convert the file to Unicode (for example with Unikey's "
                "converter, from TCVN3 to Unicode), then upload it again."
            )
        )
    if font == "VNI":
        raise Refused(
            _(
                "The text was typed in the old VNI font, not in Unicode: names would be "
                "garbled. Convert the file to Unicode (for example with Unikey's converter, "
                "from VNI Windows to Unicode), then upload it again."
            )
        )


# --- Header and body -------------------------------------------------------------------------


def _is_blank(cells: list) -> bool:
    return all(cell is None or cell == "" for cell in cells)


def _find_header(rows: Iterator[tuple[int, list]], known_headers: set[str]) -> Table:
    for number, cells in rows:
        if number > HEADER_SEARCH_ROWS:
            break
        names = [str(cell).strip() if cell is not None else "" for cell in cells]
        matches = sum(1 for name in names if name and search_key(name) in known_headers)
        if matches >= 2:
            return Table(header=names, header_row=number, rows=_body(rows, len(names)))
    raise Refused(
        _(
            "No header row was found in the first %(rows)s rows: the file must have a row "
            "naming its columns, as the template does (download it on the import page)."
        )
        % {"rows": HEADER_SEARCH_ROWS}
    )


def _body(rows: Iterator[tuple[int, list]], width: int) -> Iterator[tuple[int, list]]:
    for number, cells in rows:
        if _is_blank(cells):
            continue
        if _is_totals(cells):
            continue
        cells = list(cells[:width]) + [None] * (width - len(cells))
        yield number, cells
