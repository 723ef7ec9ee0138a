"""Cache backends: Django's file cache culled less often, and a process's copy of another
cache's versioned entries (``ReadOnceCache``).

``AmortisedFileBasedCache`` is Django's file cache, culled on one write in ``CULL_EVERY``
instead of on every write.

``FileBasedCache.set`` lists the whole cache directory to count its entries before each
write (``_cull``), to keep them under ``MAX_ENTRIES``: a write's cost grows with the number
of entries. Measured on a 2-core machine: 0.3 ms per write with 100 entries, 3.3 ms with
2,000, 29 ms with 19,000. The file cache is the default of a server without Redis, and at
national scale it fills up (a badge count per user per minute, the sessions, the dashboards'
panels): every write would then cost tens of milliseconds of CPU. Counted on one write in
``CULL_EVERY`` at random, the count costs about as much spread over those writes; the
directory may hold a few hundred entries more than ``MAX_ENTRIES`` between two counts.
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections import OrderedDict

from django.core.cache import caches
from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache
from django.core.cache.backends.filebased import FileBasedCache
from django.core.signals import setting_changed
from django.dispatch import receiver

CULL_EVERY = 200


class AmortisedFileBasedCache(FileBasedCache):
    def _cull(self):
        if random.randrange(CULL_EVERY) == 0:
            super()._cull()


class ReadOnceCache(BaseCache):
    """What another cache (``OPTIONS["BEHIND"]``, an alias) holds, kept in this process's
    memory once read from it, for keys that name one version of what they hold: set once,
    never again to something else (the dashboard's panels and fragments, whose keys hold the
    versions of what they show: ``recruitment.figures_cache``). A read found here costs no
    file, no trip to Redis and no unpickling: a district's figures took 2.1 ms to unpickle
    on every view of its dashboard.

    Only what was read back from the other cache is kept here, never what is set: with a
    dummy cache behind (the tests'), nothing is. The values are shared by the requests of
    the process, not copied: they must not be changed.

    One store per process (``LOCATION`` and ``BEHIND``), whichever thread asks: Django makes
    a cache object per thread. No counters (``incr``): a counter changes. At most
    ``MAX_ENTRIES``, the least recently read dropped first, and each for ``TIMEOUT`` seconds
    from when it was read at most: a write whose version bump did not reach the cache behind
    (a server with its own file cache beside another's) shows then, as it did when the
    entry expired there.
    """

    def __init__(self, location, params):
        super().__init__(params)
        self._behind = params.get("OPTIONS", {})["BEHIND"]
        self._store = _stores.setdefault((location, self._behind), _Store())
        # Django's TIMEOUT None: "never expires"; here, kept until dropped for room.
        self._lifetime = math.inf if self.default_timeout is None else self.default_timeout

    @property
    def behind(self) -> BaseCache:
        return caches[self._behind]

    def get(self, key, default=None, version=None):
        name, store = (key, version), self._store
        with store.lock:
            found = store.kept.get(name)
            if found is not None and found[1] > time.monotonic():
                store.kept.move_to_end(name)
                return found[0]
            generation = store.generation
        value = self.behind.get(key, _ABSENT, version=version)
        if value is _ABSENT:
            return default
        with store.lock:
            # Not kept if a write of this process went by while it was read: what was read
            # may be what that write replaced.
            if store.generation == generation:
                store.kept[name] = (value, time.monotonic() + self._lifetime)
                store.kept.move_to_end(name)
                while len(store.kept) > self._max_entries:
                    store.kept.popitem(last=False)
        return value

    def _forget(self, key, version) -> None:
        with self._store.lock:
            self._store.generation += 1
            self._store.kept.pop((key, version), None)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        self._forget(key, version)
        self.behind.set(key, value, timeout=timeout, version=version)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        self._forget(key, version)
        return self.behind.add(key, value, timeout=timeout, version=version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        self._forget(key, version)
        return self.behind.touch(key, timeout=timeout, version=version)

    def has_key(self, key, version=None):
        return self.get(key, _ABSENT, version=version) is not _ABSENT

    def incr(self, key, delta=1, version=None):
        """A counter changes, in other processes too: it is no key of one version."""
        raise NotImplementedError("ReadOnceCache keeps values that never change: no counter")

    def decr(self, key, delta=1, version=None):
        raise NotImplementedError("ReadOnceCache keeps values that never change: no counter")

    def delete(self, key, version=None):
        self._forget(key, version)
        return self.behind.delete(key, version=version)

    def clear(self):
        with self._store.lock:
            self._store.kept.clear()
        self.behind.clear()


class _Store:
    def __init__(self):
        self.kept: OrderedDict = OrderedDict()  # (key, version) -> (value, kept until)
        self.lock = threading.Lock()
        self.generation = 0  # one more on each write through this store


_stores: dict[tuple[str, str], _Store] = {}  # by (LOCATION, BEHIND)


@receiver(setting_changed)
def _forget_stores(*, setting, **kwargs):
    """Tests that give the caches other settings start with nothing kept."""
    if setting == "CACHES":
        _stores.clear()


_ABSENT = object()
