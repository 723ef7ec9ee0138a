"""The dashboard's figures, steering table and warnings, kept in Django's cache per unit,
year and day (docs/scaling.md).

Every staff member of a city opening its dashboard asks for the same panels; they change
only when a write changes a candidate (``Candidate.save``, and the few bulk updates of
candidates: kept deadlines, training dates, certificates), the kept counts
(``rollups._upsert``, every recount goes through it), a quota, a unit or the pipeline
recorded at a year's end. Those writes call ``bump()`` once their transaction commits, which
changes a version that the keys hold: the panels cached before are never read again (and
expire on their own).

Two kinds of version. A write of rows of some units (a candidate, a quota, kept counts)
changes the *region* versions of those units' line down to their district: the nation's,
the province's and the district's (``REGION_DEPTH``). A dashboard reads the version of its
own unit, or of its district for a unit below one. A dashboard shows its unit's subtree and
nothing else, so a write in one district leaves the panels of every other district, and of
the provinces it is not in, as they were: at national scale, where someone writes every few
seconds, one version for the whole country would make every dashboard recompute on nearly
every request. Writes that may change what a whole subtree shows (a unit renamed, moved or
deleted, a day off of a province, the pipeline recorded at a year's end) change the *site*
version, which every key holds.

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
from django.core.cache import cache, caches
from django.db import transaction
from django.utils.translation import get_language

from config.replica import reading_replica

if TYPE_CHECKING:
    from recruitment.reports.deadlines import WarningGroup
    from recruitment.reports.figures import UnitFigures
    from recruitment.reports.steering import Steering

T = TypeVar("T")

VERSION_KEY = "figures:version"
# The version of the trees' roots: which units are at the top, changed by a unit saved at
# the top, and by any unit moved or deleted (``bump(roots=True)``); not by the other writes
# that change the site's version (a unit renamed below, a day off, a reorganisation's links).
ROOTS_KEY = f"{VERSION_KEY}:roots"
PANELS = "kept"  # the cache the panels are kept in: the default's, read once per process
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
    the dashboard's view and templates, the stages, the URLs and the translations of their
    labels. Part of every key, so that after a deploy (or while one app server still runs
    the release before) no process reads panels or HTML kept by other code: their shape,
    markup and wording may have changed."""
    here = Path(__file__).parent
    sources = [
        Path(__file__),
        *sorted((here / "reports").glob("*.py")),
        here / "views" / "dashboard.py",  # the page's context (its headline's words)
        here / "stages.py",  # the stages' names
        here / "urls.py",  # the page's links
        settings.BASE_DIR / "config" / "urls.py",
        *sorted((settings.BASE_DIR / "templates" / "recruitment" / "dashboard").glob("*.html")),
        settings.BASE_DIR / "templates" / "recruitment" / "_due_item.html",
        *sorted(mo for path in settings.LOCALE_PATHS for mo in Path(path).glob("*/*/*.mo")),
    ]
    return f"{zlib.crc32(b''.join(path.read_bytes() for path in sources)):08x}"


def version() -> int:
    """The site's version: the time of the latest write that changed it, in nanoseconds."""
    return current([VERSION_KEY])[0]


def current(keys: list[str]) -> list[int]:
    """The versions under ``keys``.

    Each is a new value on every bump, never one used before: a version that went back (an
    ``incr`` that lost its key, as the file cache's get-then-set does after its default
    timeout, or a key culled) would serve figures cached before the writes since. A key
    that is gone starts again from the time it is read."""
    found = cache.get_many(keys)
    missing = [key for key in keys if key not in found]
    if missing:
        now = time.time_ns()
        for key in missing:
            cache.add(key, now, timeout=None)
        found.update(cache.get_many(missing))
    return [found.get(key, 0) for key in keys]


# A write bumps the versions of its unit's line down to this depth: the nation (1), a
# province (2), a district (3). Below it, the units of a district share the district's: a
# few hundred keys for the country, however many units it has.
REGION_DEPTH = 3
STEPLEN = 4  # of a unit's path (treebeard's steplen, ``Organisation.steplen``)
EVERYWHERE = f"{VERSION_KEY}:*"  # bumped with every region: what a user without a unit reads


def _line_keys(path: str) -> list[str]:
    """The region versions of the unit at ``path``: its line's, down to its district."""
    depth = min(len(path) // STEPLEN, REGION_DEPTH)
    return [f"{VERSION_KEY}:{path[: STEPLEN * k]}" for k in range(1, depth + 1)]


def versions_of(unit) -> str:
    """What a key kept for ``unit``'s subtree holds: the site's version and its region's
    (``EVERYWHERE``'s for no unit: a superuser's whole tree)."""
    region = EVERYWHERE if unit is None else _line_keys(unit.path)[-1]
    return ".".join(str(version) for version in current([VERSION_KEY, region]))


def bump(*, units=(), candidates=(), subtree: str | None = None, roots: bool = False) -> None:
    """Make cached panels stale, once the current transaction commits (at once outside one):
    a rolled-back write leaves the cache as it was. Once per transaction, however many rows
    it writes.

    With no argument, every panel (the site's version). Otherwise those of the dashboards
    that can show what was written: ``units``, ids of the units whose rows were written;
    ``candidates``, ids of candidates written (their units'); ``subtree``, the path of a unit
    every row below which may have changed (a district or deeper: its district's region;
    above a district, the site's version, since its districts each have their own).
    ``roots``: which units are at the top may have changed too (``ROOTS_KEY``)."""
    connection = transaction.get_connection()
    # The hooks waiting for the commit (those of a savepoint rolled back are gone from it).
    waiting = connection.run_on_commit if connection.in_atomic_block else []
    hook = next((h for _sids, h, _robust in waiting if isinstance(h, _Bump) and not h.done), None)
    new = hook is None
    if new:
        hook = _Bump()
    if not (units or candidates or subtree is not None):
        hook.everywhere = True
    hook.roots |= roots
    hook.units.update(units)
    hook.candidates.update(candidates)
    if subtree is not None:
        if len(subtree) >= STEPLEN * REGION_DEPTH:
            hook.paths.add(subtree)
        else:
            hook.everywhere = True
    if new:
        transaction.on_commit(hook)


class _Bump:
    """The versions to bump once the transaction commits; ``done`` when it has run (a test
    running the hooks keeps them in the list, the transaction still open)."""

    done = False

    def __init__(self):
        self.everywhere = False
        self.units: set[int] = set()
        self.candidates: set[int] = set()
        self.paths: set[str] = set()
        self.roots = False

    def __call__(self) -> None:
        self.done = True
        if self.roots:
            cache.set(ROOTS_KEY, time.time_ns(), timeout=None)
        if self.everywhere:
            _bump()
            return
        from recruitment.models import Candidate, Organisation  # the models import this

        paths = set(self.paths)
        if self.units:
            units = Organisation.objects.filter(pk__in=self.units)
            paths.update(units.values_list("path", flat=True))
        if self.candidates:
            rows = Candidate.objects.filter(pk__in=self.candidates)
            paths.update(rows.values_list("unit__path", flat=True))
        keys = {EVERYWHERE, *(key for path in paths for key in _line_keys(path))}
        now = time.time_ns()
        cache.set_many(dict.fromkeys(keys, now), timeout=None)


def _bump() -> None:
    cache.set(VERSION_KEY, time.time_ns(), timeout=None)


def cached(
    name: str,
    unit,
    year: int,
    today: date,
    compute: Callable[[str], T],
    versions: str | None = None,
) -> T:
    """``compute(key)``, a panel of the dashboard of ``unit`` in ``year`` seen on ``today``,
    from the cache when it was computed at this version before. ``key`` is the one it is
    kept under ("" when it is not kept): the page's fragments drawn from it may be kept under
    it too (``dashboard.html``), they are as fresh as it is.

    The key holds the code's ``release()``, the language (panels carry labels) and the
    regulation's numbers in force (``settings.RECRUITMENT``: a server restarted with other
    rules computes again). ``versions``: ``versions_of(unit)``, when already read."""
    rules = zlib.crc32(repr(sorted(getattr(settings, "RECRUITMENT", {}).items())).encode())
    if versions is None:
        versions = versions_of(unit)
    parts = [name, release(), versions, unit.pk, year, today.isoformat(), get_language(), rules]
    key = ":".join(str(part) for part in parts)
    return kept_or_computed(key, lambda kept: compute(key if kept else ""))


def site_cached(name: str, compute: Callable[[], T], *, of: str = VERSION_KEY) -> T:
    """``compute()``, something of the whole tree that only the writes changing the site's
    version change (units, reorganisations), from the cache when it was computed at this
    version before. ``of``: another version it follows instead (``ROOTS_KEY``)."""
    key = f"{name}:{release()}:{current([of])[0]}"
    return kept_or_computed(key, lambda kept: compute())


def kept_or_computed(key: str, compute: Callable[[bool], T]) -> T:
    """What the cache holds under ``key``, else ``compute(kept)`` kept there if ``kept``:
    read from a replica, it may be older than the version says, so not for others. Kept in
    this process once read (``config.cache.ReadOnceCache``): the same object for every
    request that asks at this version, which none may change."""
    panels = caches[PANELS]
    found = panels.get(key)
    if found is None:
        kept = not reading_replica()
        found = compute(kept)
        if kept:
            panels.set(key, found, timeout=TIMEOUT)
    return found


@dataclass
class DashboardWarnings(_Kept):
    groups: list[WarningGroup]
    key: str  # as ``DashboardFigures.key``


def dashboard_warnings(unit, today: date, versions: str | None = None) -> DashboardWarnings:
    """What falls due in ``unit``'s subtree (``reports.deadlines.due_items``), whatever the
    year the dashboard shows."""
    from recruitment.reports.deadlines import due_items

    def compute(key: str) -> DashboardWarnings:
        return DashboardWarnings(due_items(unit, today), key)

    return cached("warnings", unit, 0, today, compute, versions)


def dashboard_figures(
    unit, year: int, today: date, versions: str | None = None
) -> DashboardFigures:
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

    return cached("figures", unit, year, today, compute, versions)
