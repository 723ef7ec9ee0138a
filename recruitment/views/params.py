"""Query parameters, read in one place: which unit and which year a page shows, and the
integers that views, list filters and the admin read from a request.

Numbers are read strictly: ASCII digits within bounds. ``str.isdigit()`` accepts "²", which
``int()`` then refuses (a 500), and ``int()`` itself accepts "٣", " 3" and "1_000", and any
number of digits, which a date or the database then refuses. A page refuses a bad parameter
with a 400 that says which one and why (``BadParameter``, shown by ``config.views.bad_request``),
or ignores it; it never fails with a 500.
"""

from __future__ import annotations

import re

from django.core.exceptions import BadRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from recruitment.models import MAX_YEAR, MIN_YEAR, Organisation, Quota
from recruitment.reorganisation.selectors import linked_units

MAX_ID = 2**63 - 1  # the largest primary key (BigAutoField) on SQLite and PostgreSQL
_INTEGER = re.compile(r"-?[0-9]{1,19}")  # [0-9] is ASCII only; 19 digits hold MAX_ID


class BadParameter(BadRequest):
    """A request parameter the page cannot read: a 400 whose page shows ``message``."""

    def __init__(self, name: str, message: str):
        super().__init__(message)
        self.name = name
        self.message = message


def could_be_id(value) -> bool:
    """Whether ``value`` can be an integer key (64 bits on both databases): one past that,
    looked up as it comes, fails in the database instead of matching nothing."""
    return parse_int(str(value), low=-MAX_ID, high=MAX_ID) is not None


def parse_int(raw: str | None, *, low: int, high: int) -> int | None:
    """``raw`` as an integer from ``low`` to ``high``; None for anything else."""
    if raw is None or not _INTEGER.fullmatch(raw):
        return None
    value = int(raw)
    return value if low <= value <= high else None


def int_param(request, name: str, *, low: int, high: int, default=None, message: str = ""):
    """``?name=``: an integer from ``low`` to ``high`` (400 otherwise), else ``default``."""
    raw = request.GET.get(name, "")
    if raw == "":
        return default
    value = parse_int(raw, low=low, high=high)
    if value is None:
        raise BadParameter(
            name,
            message
            or _("“%(name)s” must be a whole number from %(low)s to %(high)s.")
            % {"name": name, "low": low, "high": high},
        )
    return value


def choice_param(request, name: str, choices) -> str:
    """``?name=``: one of ``choices``, in any case (400 otherwise), else ""."""
    value = request.GET.get(name, "").lower()
    if value and value not in choices:
        raise BadParameter(
            name,
            _("“%(name)s” must be one of: %(choices)s.")
            % {"name": name, "choices": ", ".join(choices)},
        )
    return value


def flag_param(request, name: str) -> bool:
    """``?name=1`` (or true, yes); anything else is off."""
    return request.GET.get(name, "").lower() in {"1", "true", "yes"}


def year_message() -> str:
    return _("The year must be from %(low)s to %(high)s.") % {"low": MIN_YEAR, "high": MAX_YEAR}


def year_param(request, default: int) -> int:
    """``?year=``: a year from MIN_YEAR to MAX_YEAR (400 otherwise), else ``default``."""
    return int_param(
        request, "year", low=MIN_YEAR, high=MAX_YEAR, default=default, message=year_message()
    )


def unit_param(request, units) -> Organisation | None:
    """``?unit=``: the unit asked for (404 outside ``units``, the user's scope), or None.
    The user's own unit, which every scope holds, is the one read with the user: no query."""
    pk = int_param(
        request, "unit", low=1, high=MAX_ID, message=_("The unit must be given by its number.")
    )
    if pk is not None and pk == getattr(request.user, "unit_id", None):
        return request.user.unit
    return None if pk is None else get_object_or_404(units, pk=pk)


def unit_for_request(request, units) -> Organisation | None:
    """``?unit=``: the unit asked for (404 outside the user's scope), else the user's own.

    A superuser, who works in no unit, starts at the first root unit.
    """
    unit = unit_param(request, units)
    if unit is not None:
        return unit
    if request.user.unit_id is not None:
        return request.user.unit  # already read by the scope; in it by definition
    return units.filter(depth=1).first()


def breadcrumbs_for(request, units, unit) -> list[Organisation]:
    """The units above ``unit`` that the user may open, top first (``ancestors_of``). For
    the user's own unit, none and no query: its ancestors lie outside the user's subtree, and
    only a reorganisation (the units the user's unit continues, read with it) adds others.
    Not so for a superuser, who reads every unit whichever is theirs."""
    user = request.user
    if unit.pk == user.unit_id and not user.is_superuser and unit.pk not in linked_units():
        return []
    return units.ancestors_of(unit)


def year_for_request(request) -> int:
    """``?year=``, else the latest year with quotas at the top of the user's scope (their
    unit and the units below it: ``QuotaQuerySet.near_top``), not counting quotas already
    set for years to come."""
    today = timezone.localdate()
    if request.GET.get("year"):
        return year_param(request, today.year)
    quotas = Quota.objects.near_top(request.user)
    return quotas.filter(year__lte=today.year).latest_year() or quotas.latest_year() or today.year
