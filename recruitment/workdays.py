"""Working-day arithmetic for the deadlines of DESIGN.md §3.

A working day is a weekday that is not a holiday (``recruitment.models.Holiday``): national
holidays, Tết included, and the local days off a unit declared for itself and the units below
it. The calendar is read once (:func:`calendar_for`) and then answers in memory, so a
dashboard that computes hundreds of deadlines still issues one query.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from functools import lru_cache

from django.db.models import Q

from recruitment.models import Holiday, Organisation

SATURDAY = 5


class WorkCalendar:
    """Weekends and a fixed set of holidays."""

    def __init__(self, holidays: Iterable[date] = ()):
        self.holidays = frozenset(holidays)
        # Deadlines repeat (a cell's candidates share a resolution date): answer each once.
        self.add = lru_cache(maxsize=4096)(self._add)

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < SATURDAY and day not in self.holidays

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
    """One :class:`WorkCalendar` per unit path, from holidays read in a single query.

    A local holiday of a unit applies to that unit and every unit below it; national
    holidays apply everywhere.
    """

    def __init__(self, national: set[date], local: dict[str, set[date]]):
        self.national = national
        self.local = local  # unit path -> its own declared days off
        self._by_days: dict[frozenset, WorkCalendar] = {}

    def for_path(self, path: str) -> WorkCalendar:
        days = set(self.national)
        for unit_path, local_days in self.local.items():
            if path.startswith(unit_path):
                days |= local_days
        key = frozenset(days)
        if key not in self._by_days:
            self._by_days[key] = WorkCalendar(key)
        return self._by_days[key]


def calendar_for(unit: Organisation, start: date, end: date) -> UnitCalendars:
    """The calendars of ``unit``'s subtree between ``start`` and ``end``. One query.

    Reads national holidays and those declared by ``unit``, its ancestors and the units
    below it.
    """
    ancestors = [*Organisation.ancestor_paths(unit.path), unit.path]
    rows = (
        Holiday.objects.filter(day__gte=start, day__lte=end)
        .filter(
            Q(unit__isnull=True) | Q(unit__path__in=ancestors) | Q(unit__path__startswith=unit.path)
        )
        .values_list("day", "unit__path")
    )
    national: set[date] = set()
    local: dict[str, set[date]] = {}
    for day, path in rows:
        if path is None:
            national.add(day)
        else:
            local.setdefault(path, set()).add(day)
    return UnitCalendars(national, local)
