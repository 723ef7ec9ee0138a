"""The file cache of a server without Redis (config/cache.py): it lists its directory to
count its entries on one write in ``CULL_EVERY``, not on every write, and still keeps them
near ``MAX_ENTRIES``."""

import random
from unittest import mock

from config import cache as file_cache
from config.cache import AmortisedFileBasedCache


def make(tmp_path, max_entries: int) -> AmortisedFileBasedCache:
    return AmortisedFileBasedCache(str(tmp_path), {"OPTIONS": {"MAX_ENTRIES": max_entries}})


def test_a_write_does_not_list_the_directory_each_time(tmp_path):
    """Django's lists it before every write: 29 ms a write with 19,000 entries."""
    cache = make(tmp_path, 20000)
    random.seed(7)
    with mock.patch.object(
        AmortisedFileBasedCache, "_list_cache_files", autospec=True, return_value=[]
    ) as listed:
        for i in range(1000):
            cache.set(f"key{i}", i)
    assert 0 < listed.call_count < 1000 / file_cache.CULL_EVERY * 3


def test_the_entries_stay_near_the_limit(tmp_path):
    """A cull removes a third of the entries once there are ``MAX_ENTRIES``; between two
    counts, about ``CULL_EVERY`` writes."""
    cache = make(tmp_path, 1000)
    random.seed(7)
    for i in range(5000):
        cache.set(f"key{i}", i)
    entries = len(list(tmp_path.glob("*.djcache")))
    assert entries < 1000 + 5 * file_cache.CULL_EVERY
    assert cache.get("key4999") == 4999  # the newest write is there
