"""Cell values as offices type them, read strictly: a value that cannot be read is an error
in words (``Invalid``), never a guess.

Dates are day/month/year (dd/mm/yyyy, d/m/yy), ISO (yyyy-mm-dd) or an Excel serial number;
never month/day: "12/31/1990" is an error, not 31 December. A citizen ID may carry spaces,
dots or Excel's leading apostrophe; a 9-digit number is an old ID card (CMND), recognised as
such.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from recruitment.text import search_key

EXCEL_EPOCH = date(1899, 12, 30)
# Excel serials from 18 May 1927 (five digits: a four-digit number is a year, not a date)
# to 31 December 2100; a number outside is no date.
SERIAL_MIN, SERIAL_MAX = 10000, 73415
DMY = re.compile(r"^(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{4}|\d{2})$")
ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00(?:\.0+)?)?)?$")
SERIAL = re.compile(r"^\d{5}(?:\.0+)?$")
TRUE = {"co", "x", "yes", "y", "true", "1", "dung", "phai", "v"}
FALSE = {"khong", "no", "n", "false", "0", "sai", "-"}


class Invalid(ValueError):
    """A cell that cannot be read; ``message`` says why, naming the value."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def is_empty(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime | date):
        return value.strftime("%d/%m/%Y")
    return " ".join(str(value).split())


# The earliest date a file may hold: the oldest members' births.
EARLIEST = date(1900, 1, 1)


def parse_date(value) -> date:
    """A date from a cell, of what has happened (from 1900 to today); raises ``Invalid``.
    Every date an import reads is one: a birth, an admission, a paper, a certificate."""
    day = read_date(value)
    if day > timezone.localdate():
        raise Invalid(
            _("%(value)s is in the future: the file records what has happened")
            % {"value": _short(day)}
        )
    if day < EARLIEST:
        raise Invalid(_("%(value)s is before 1900: check the year") % {"value": _short(day)})
    return day


def _short(day: date) -> str:
    return f"{day.day:02d}/{day.month:02d}/{day.year:04d}"


def read_date(value) -> date:
    """A date from a cell, whatever its year (the templates' examples); raises ``Invalid``."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool):
        raise Invalid(_("%(value)s is not a date") % {"value": value})
    if isinstance(value, int | float):
        return _serial(value, str(value))
    raw = str(value).strip().lstrip("'")
    match = DMY.match(raw)
    if match:
        day, month, year = (int(part) for part in match.groups())
        if len(match.group(3)) == 2:
            year = _century(year)
        return _make(year, month, day, raw)
    match = ISO.match(raw)
    if match:
        year, month, day = (int(part) for part in match.groups())
        return _make(year, month, day, raw)
    if SERIAL.match(raw):
        return _serial(float(raw), raw)
    raise Invalid(
        _("%(value)s is not a date: write it as day/month/year, e.g. 31/01/1990") % {"value": raw}
    )


def _century(year: int) -> int:
    """A two-digit year is the latest one that is not in the future: 98 → 1998, 05 → 2005."""
    this_year = timezone.localdate().year
    full = 2000 + year
    return full if full <= this_year else full - 100


def _make(year: int, month: int, day: int, raw: str) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        if month > 12 and day <= 12:
            raise Invalid(
                _(
                    "%(value)s is not a valid date: dates are day/month/year, and there is "
                    "no month %(month)s"
                )
                % {"value": raw, "month": month}
            ) from None
        raise Invalid(_("%(value)s is not a valid date") % {"value": raw}) from None


def _serial(number: float, raw: str) -> date:
    if not float(number).is_integer() or not SERIAL_MIN <= number <= SERIAL_MAX:
        raise Invalid(_("%(value)s is not a date") % {"value": raw})
    return EXCEL_EPOCH + timedelta(days=int(number))


def parse_citizen_id(value) -> tuple[str, str]:
    """(12-digit CCCD, "") or ("", 9-digit CMND); raises ``Invalid``.

    A number cell lost its leading zeros (every CCCD starts with a province code 0xx):
    they are put back.
    """
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        digits = str(value)
        if len(digits) in (10, 11):
            digits = digits.zfill(12)
        elif len(digits) == 8:
            digits = digits.zfill(9)
    else:
        raw = str(value).strip().lstrip("'‘’`")
        digits = re.sub(r"[\s.\-]", "", raw)
    if re.fullmatch(r"[0-9]{12}", digits):
        return digits, ""
    if re.fullmatch(r"[0-9]{9}", digits):
        return "", digits
    raise Invalid(
        _("%(value)s is not a citizen ID: a CCCD has 12 digits (an old ID card, CMND, 9 digits)")
        % {"value": text(value)}
    )


def parse_bool(value) -> bool:
    if isinstance(value, bool):
        return value
    key = search_key(text(value))
    if key in TRUE:
        return True
    if key in FALSE or key == "":
        return False
    raise Invalid(_("%(value)s is not yes or no (có / không)") % {"value": text(value)})


def parse_int(value, *, minimum: int = 0, maximum: int = 1_000_000) -> int:
    if isinstance(value, bool):
        raise Invalid(_("%(value)s is not a whole number") % {"value": value})
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        number = value
    else:
        raw = text(value).replace(" ", "")
        # At most 18 digits: past 4,300 Python refuses to read them at all.
        if not re.fullmatch(r"[0-9]{1,18}", raw):
            raise Invalid(_("%(value)s is not a whole number") % {"value": text(value)[:40]})
        number = int(raw)
    if not minimum <= number <= maximum:
        raise Invalid(
            _("%(value)s is outside %(min)s–%(max)s")
            % {"value": number, "min": minimum, "max": maximum}
        )
    return number


def choice_reader(choices, *, extra: dict[str, str] | None = None):
    """A reader of one of ``choices`` (a TextChoices class): by value or by its label in
    Vietnamese or English, diacritics and case ignored."""
    from django.utils import translation

    names: dict[str, str] = {}
    for value, label in choices.choices:
        names[search_key(value)] = value
        names[search_key(value.replace("_", " "))] = value
        for language in ("vi", "en"):
            with translation.override(language):
                names[search_key(str(label))] = value
    for alias, value in (extra or {}).items():
        names[search_key(alias)] = value

    def read(cell) -> str:
        key = search_key(text(cell))
        if key in names:
            return names[key]
        labels = []
        for _value, label in choices.choices:
            labels.append(str(label))
        raise Invalid(
            _("%(value)s is not one of: %(choices)s")
            % {"value": text(cell), "choices": ", ".join(labels)}
        )

    read.labels = lambda: [str(label) for _v, label in choices.choices]
    return read
