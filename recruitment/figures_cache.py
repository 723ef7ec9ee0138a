"""The dashboard's figures, kept in Django's cache per unit and year (docs/scaling.md).

Every staff member of a city opening its dashboard asks for the same figures; they change
only when a write changes the kept counts (``rollups._upsert``, every candidate write and
recount goes through it), a quota or a unit. Those writes call ``bump()`` once their
transaction commits, which changes the version that every key holds: the figures cached
before are never read again (and expire on their own). One version for the whole site is
coarse (a write in one ward makes every dashboard recompute once) but cannot miss a unit
above or below the write; the figures are cheap to recompute, what the cache saves is doing
it on every request.

The cache is Django's ``default``: a file cache on the server (one per machine, shared by
gunicorn's processes) or Redis with ``REDIS_URL`` (shared by several app servers).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from django.core.cache import cache
from django.db import transaction
from django.utils.translation import get_language

from config.replica import reading_replica

if TYPE_CHECKING:
    from recruitment.reports.figures import UnitFigures

VERSION_KEY = "figures:version"
TIMEOUT = 60 * 60  # an hour: a version not bumped still gives way to a new day


@dataclass
class DashboardFigures:
    rows: list[UnitFigures]
    months: list[int]
    composition: list
    retention: list


def version() -> int:
    """The figures' current version: the time of the latest write, in nanoseconds.

    A new value on every bump, never one used before: a version that went back (an
    ``incr`` that lost its key, as the file cache's get-then-set does after its default
    timeout) would serve figures cached before the writes since."""
    current = cache.get(VERSION_KEY)
    if current is None:
        cache.add(VERSION_KEY, time.time_ns(), timeout=None)
        current = cache.get(VERSION_KEY, 0)
    return current


def bump() -> None:
    """Make every cached figure stale, once the current transaction commits (at once
    outside one): a rolled-back write leaves the cache as it was."""
    transaction.on_commit(_bump)


def _bump() -> None:
    cache.set(VERSION_KEY, time.time_ns(), timeout=None)


def dashboard_figures(unit, year: int, today: date) -> DashboardFigures:
    """What ``recruitment.reports.figures`` computes for the dashboard of ``unit``, from
    the cache when these figures of this version were computed before."""
    from recruitment.reports import figures  # imports the models, which bump()

    # The language too: the figures carry labels (the composition's groups).
    key = f"figures:{version()}:{unit.pk}:{year}:{today.isoformat()}:{get_language()}"
    found = cache.get(key)
    if found is None:
        found = DashboardFigures(
            rows=figures.quota_figures(unit, year),
            months=figures.monthly_admissions(unit, year),
            composition=figures.composition(unit, year),
            retention=figures.retention(unit, year),
        )
        # Read from a replica, they may be older than the version says: not for others.
        if not reading_replica():
            cache.set(key, found, timeout=TIMEOUT)
    return found
