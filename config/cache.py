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

import random
import threading
from collections import OrderedDict

from django.core.cache import caches
from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache
from django.core.cache.backends.filebased import FileBasedCache

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
    the process, not copied: they must not be changed. At most ``MAX_ENTRIES``, the least
    recently read dropped first; gone from here when gone from there only by ``delete``
    or ``clear`` (their keys are not asked for again once their versions have changed).
    """

    def __init__(self, location, params):
        super().__init__(params)
        self._behind = params.get("OPTIONS", {})["BEHIND"]
        self._kept: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    @property
    def behind(self) -> BaseCache:
        return caches[self._behind]

    def get(self, key, default=None, version=None):
        name = (key, version)
        with self._lock:
            if name in self._kept:
                self._kept.move_to_end(name)
                return self._kept[name]
        value = self.behind.get(key, _ABSENT, version=version)
        if value is _ABSENT:
            return default
        with self._lock:
            self._kept[name] = value
            while len(self._kept) > self._max_entries:
                self._kept.popitem(last=False)
        return value

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        self.behind.set(key, value, timeout=timeout, version=version)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self.behind.add(key, value, timeout=timeout, version=version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self.behind.touch(key, timeout=timeout, version=version)

    def has_key(self, key, version=None):
        return self.behind.has_key(key, version=version)

    def delete(self, key, version=None):
        with self._lock:
            self._kept.pop((key, version), None)
        return self.behind.delete(key, version=version)

    def clear(self):
        with self._lock:
            self._kept.clear()
        self.behind.clear()


_ABSENT = object()
