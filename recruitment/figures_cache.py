"""The dashboard's figures, steering table and warnings, kept in Django's cache per unit,
year and day (docs/scaling.md).

Every staff member of a city opening its dashboard asks for the same panels; they change
only when a write changes a candidate (``Candidate.save``, and the few bulk updates of
candidates: kept deadlines, training dates, certificates), the kept counts
(``rollups._upsert``, every recount goes through it), a quota, a unit or the pipeline
recorded at a year's end. Those writes call ``bump()`` once their transaction commits, which
changes the version that every key holds: the panels cached before are never read again (and
expire on their own). One version for the whole site is
coarse (a write in one ward makes every dashboard recompute once) but cannot miss a unit
above or below the write; the figures are cheap to recompute, what the cache saves is doing
it on every request.

The cache is Django's ``default``: a file cache on the server (one per machine, shared by
gunicorn's processes) or Redis with ``REDIS_URL`` (shared by several app servers).
"""

from __future__ import annotations

import functools
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils.translation import get_language

from config.replica import reading_replica

if TYPE_CHECKING:
    from recruitment.reports.deadlines import WarningGroup
    from recruitment.reports.figures import UnitFigures
    from recruitment.reports.steering import Steering

T = TypeVar("T")

VERSION_KEY = "figures:version"
TIMEOUT = 60 * 60  # an hour: a version not bumped still gives way to a new day


class _Kept:
    """Panels kept under ``key`` ("" when they are not kept: read from a replica)."""

    key: str

    @property
    def timeout(self) -> int:
        """How long the HTML drawn from them may be kept beside them (0: not at all)."""
        return TIMEOUT if self.key else 0


@dataclass
class DashboardFigures(_Kept):
    rows: list[UnitFigures]
    months: list[int]
    composition: list
    retention: list
    steering: list[Steering]  # of the rows: in the same entry, computed at the same version
    key: str  # the cache's key for these figures, "" if they are not kept (``cached``)


@functools.cache
def release() -> str:
    """A fingerprint of the code that makes what is cached here: this module, the reports,
    the dashboard's templates and the translations of their labels. Part of every key, so
    that after a deploy (or while one app server still runs the release before) no process
    reads panels or HTML kept by other code: their shape, markup and wording may have
    changed."""
    sources = [
        Path(__file__),
        *sorted((Path(__file__).parent / "reports").glob("*.py")),
        *sorted((settings.BASE_DIR / "templates" / "recruitment" / "dashboard").glob("*.html")),
        settings.BASE_DIR / "templates" / "recruitment" / "_due_item.html",
        *sorted(mo for path in settings.LOCALE_PATHS for mo in Path(path).glob("*/*/*.mo")),
    ]
    return f"{zlib.crc32(b''.join(path.read_bytes() for path in sources)):08x}"


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
    """Make every cached panel stale, once the current transaction commits (at once outside
    one): a rolled-back write leaves the cache as it was. Once per transaction, however many
    rows it writes."""
    connection = transaction.get_connection()
    # The hooks waiting for the commit (those of a savepoint rolled back are gone from it).
    waiting = connection.run_on_commit if connection.in_atomic_block else []
    if not any(isinstance(hook, _Bump) and not hook.done for _sids, hook, _robust in waiting):
        transaction.on_commit(_Bump())


class _Bump:
    """``_bump`` once the transaction commits; ``done`` when it has run (a test running the
    hooks keeps them in the list, the transaction still open)."""

    done = False

    def __call__(self) -> None:
        self.done = True
        _bump()


def _bump() -> None:
    cache.set(VERSION_KEY, time.time_ns(), timeout=None)


def cached(name: str, unit, year: int, today: date, compute: Callable[[str], T]) -> T:
    """``compute(key)``, a panel of the dashboard of ``unit`` in ``year`` seen on ``today``,
    from the cache when it was computed at this version before. ``key`` is the one it is
    kept under ("" when it is not kept): the page's fragments drawn from it may be kept under
    it too (``dashboard.html``), they are as fresh as it is.

    The key holds the code's ``release()``, the language (panels carry labels) and the
    regulation's numbers in force (``settings.RECRUITMENT``: a server restarted with other
    rules computes again)."""
    rules = zlib.crc32(repr(sorted(getattr(settings, "RECRUITMENT", {}).items())).encode())
    parts = [name, release(), version(), unit.pk, year, today.isoformat(), get_language(), rules]
    key = ":".join(str(part) for part in parts)
    found = cache.get(key)
    if found is None:
        # Read from a replica, it may be older than the version says: not for others.
        kept = not reading_replica()
        found = compute(key if kept else "")
        if kept:
            cache.set(key, found, timeout=TIMEOUT)
    return found


@dataclass
class DashboardWarnings(_Kept):
    groups: list[WarningGroup]
    key: str  # as ``DashboardFigures.key``


def dashboard_warnings(unit, today: date) -> DashboardWarnings:
    """What falls due in ``unit``'s subtree (``reports.deadlines.due_items``), whatever the
    year the dashboard shows."""
    from recruitment.reports.deadlines import due_items

    return cached(
        "warnings", unit, 0, today, lambda key: DashboardWarnings(due_items(unit, today), key)
    )


def dashboard_figures(unit, year: int, today: date) -> DashboardFigures:
    """What ``recruitment.reports.figures`` computes for the dashboard of ``unit``, and the
    steering table of its rows (``reports.steering``)."""
    from recruitment.reports import figures, steering  # they import the models, which bump()

    def compute(key: str) -> DashboardFigures:
        rows = figures.quota_figures(unit, year)
        return DashboardFigures(
            rows=rows,
            months=figures.monthly_admissions(unit, year),
            composition=figures.composition(unit, year),
            retention=figures.retention(unit, year),
            steering=steering.steering(rows, today),
            key=key,
        )

    return cached("figures", unit, year, today, compute)
