"""Working-day arithmetic for the deadlines of DESIGN.md §3.

A working day is a day of work in Viet Nam's national calendar, as the ``holidays`` package
computes it for any year: weekends off; the national days off of the Labour Code, the lunar
Tết and Hùng Kings' day included; the days off in lieu of a holiday on a weekend and the
government's announced swaps; and the Saturdays worked in exchange for such a swap. On top of
it come the local days off (``recruitment.models.Holiday``) a unit declared for itself and the
units below it. Those are read once (:func:`calendar_for`) and the calendar then answers in
memory, so a dashboard that computes hundreds of deadlines still issues one query.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from functools import lru_cache
from typing import NamedTuple

import holidays

from recruitment.models import Holiday, Organisation


class _Year(NamedTuple):
    """What the library computes for one year."""

    days_off: frozenset[date]  # a day off in lieu may fall in the next year
    worked: frozenset[date]  # Saturdays worked in exchange: one may fall in the year before
    weekend: frozenset[int]  # its week days


@lru_cache(maxsize=256)
def _national_year(year: int) -> _Year:
    """The library's ``year``. Computing a year takes milliseconds: once per process."""
    computed = holidays.country_holidays("VN", years=year)
    return _Year(
        frozenset(computed), frozenset(computed.weekend_workdays), frozenset(computed.weekend)
    )


class NationalCalendar:
    """Viet Nam's national calendar for any year, computed by the ``holidays`` package.

    It keeps nothing of its own (the years computed are shared by the process, and never
    change), so one calendar serves every request and thread. A day is read against its own
    year and the years either side (a day off in lieu, or a Saturday worked, of another).
    """

    def _years(self, day: date) -> list[_Year]:
        return [_national_year(year) for year in (day.year - 1, day.year, day.year + 1)]

    def __contains__(self, day: date) -> bool:
        """Whether ``day`` is a national day off (not a weekend as such)."""
        return any(day in year.days_off for year in self._years(day))

    def is_working_day(self, day: date) -> bool:
        years = self._years(day)
        if day.weekday() in years[1].weekend:
            # The library knows the Saturdays worked in exchange for a day off.
            return any(day in year.worked for year in years)
        return not any(day in year.days_off for year in years)


class WorkCalendar:
    """The national calendar and a fixed set of local days off."""

    def __init__(self, national: NationalCalendar, local_days_off: Iterable[date] = ()):
        self.national = national
        self.local_days_off = frozenset(local_days_off)
        # Deadlines repeat (a cell's candidates share a resolution date): answer each once.
        self.add = lru_cache(maxsize=4096)(self._add)

    def is_working_day(self, day: date) -> bool:
        return day not in self.local_days_off and self.national.is_working_day(day)

    def _add(self, start: date, days: int) -> date:
        """The ``days``-th working day after ``start`` (``start`` itself does not count).

        "Within 60 working days of the resolution" ends on ``add(resolution_on, 60)``.
        A negative ``days`` counts backwards; 0 gives ``start`` back.
        """
        step = timedelta(days=1 if days >= 0 else -1)
        remaining = abs(days)
        day = start
        while remaining:
            day += step
            if self.is_working_day(day):
                remaining -= 1
        return day


class UnitCalendars:
    """One :class:`WorkCalendar` per unit path: the national calendar and local days off.

    A local day off of a unit applies to that unit and every unit below it.
    """

    def __init__(self, national: NationalCalendar, local: dict[str, set[date]]):
        self.national = national
        self.local = local  # unit path -> its own declared days off
        self._by_days: dict[frozenset, WorkCalendar] = {}

    def for_path(self, path: str) -> WorkCalendar:
        days = set()
        for unit_path, local_days in self.local.items():
            if path.startswith(unit_path):
                days |= local_days
        key = frozenset(days)
        if key not in self._by_days:
            self._by_days[key] = WorkCalendar(self.national, key)
        return self._by_days[key]


def calendar_for(unit: Organisation, start: date, end: date) -> UnitCalendars:
    """The calendars of ``unit``'s subtree between ``start`` and ``end``. One query.

    Reads the local days off declared by ``unit``, its ancestors and the units below it; the
    national calendar holds for any date.
    """
    rows = (
        Holiday.objects.filter(day__gte=start, day__lte=end)
        .above_or_under(unit.path)
        .values_list("day", "unit__path")
    )
    local: dict[str, set[date]] = {}
    for day, path in rows:
        local.setdefault(path, set()).add(day)
    return UnitCalendars(NationalCalendar(), local)
