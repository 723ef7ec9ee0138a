"""The query parameters that several pages share: which unit and which year they show.

One reading of each, so that every page refuses a bad value the same way (400) and falls
back to the same default.
"""

from __future__ import annotations

from django.core.exceptions import BadRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone

from recruitment.models import MAX_YEAR, MIN_YEAR, Organisation, Quota


def year_param(request, default: int) -> int:
    """``?year=``: a year from MIN_YEAR to MAX_YEAR (400 otherwise), else ``default``."""
    raw = request.GET.get("year")
    if not raw:
        return default
    try:
        year = int(raw)
    except ValueError:
        raise BadRequest("year") from None
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise BadRequest("year")
    return year


def unit_for_request(request, units) -> Organisation | None:
    """``?unit=``: the unit asked for (404 outside the user's scope), else the user's own.

    A superuser, who works in no unit, starts at the first root unit.
    """
    raw = request.GET.get("unit")
    if raw:
        if not raw.isdigit():
            raise BadRequest("unit")
        return get_object_or_404(units, pk=int(raw))
    if request.user.unit_id is not None:
        return request.user.unit  # already read by the scope; in it by definition
    return units.filter(depth=1).first()


def year_for_request(request) -> int:
    """``?year=``, else the latest year with quotas in the user's scope, not counting
    quotas already set for years to come."""
    today = timezone.localdate()
    if request.GET.get("year"):
        return year_param(request, today.year)
    quotas = Quota.objects.for_user(request.user)
    return quotas.filter(year__lte=today.year).latest_year() or quotas.latest_year() or today.year
