"""The cache backends of config/cache.py. The file cache of a server without Redis lists its
directory to count its entries on one write in ``CULL_EVERY``, not on every write, and still
keeps them near ``MAX_ENTRIES``. ``ReadOnceCache`` keeps in the process what it read from
another cache."""

import random
import threading
import time
from unittest import mock

import pytest
from django.core.cache import caches

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


# --- ReadOnceCache: another cache's versioned entries, kept in the process once read ---


@pytest.fixture
def kept(settings):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "r"},
        "kept": {
            "BACKEND": "config.cache.ReadOnceCache",
            "TIMEOUT": 60,
            "OPTIONS": {"BEHIND": "default", "MAX_ENTRIES": 3},
        },
    }
    caches["default"].clear()
    return caches["kept"]


def test_what_it_read_is_served_from_memory_as_the_same_object(kept):
    kept.set("panel:v1", {"rows": [1, 2]})
    first = kept.get("panel:v1")
    caches["default"].delete("panel:v1")  # gone behind: read from the process's copy
    assert kept.get("panel:v1") is first == {"rows": [1, 2]}


def test_only_what_it_read_back_is_kept_never_what_it_was_given(kept):
    kept.set("panel:v1", "drawn")
    caches["default"].delete("panel:v1")
    assert kept.get("panel:v1") is None
    assert kept.get("panel:v1", "absent") == "absent"


def test_with_the_tests_dummy_cache_behind_nothing_is_kept(settings):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"},
        "kept": {"BACKEND": "config.cache.ReadOnceCache", "OPTIONS": {"BEHIND": "default"}},
    }
    caches["kept"].set("panel:v1", "drawn")
    assert caches["kept"].get("panel:v1") is None


def test_it_keeps_at_most_max_entries_the_least_recently_read_dropped(kept):
    for n in range(4):
        kept.set(f"panel:{n}", n)
    for n in (0, 1, 2, 0, 3):  # 1 is now the least recently read
        assert kept.get(f"panel:{n}") == n
    caches["default"].clear()
    assert [kept.get(f"panel:{n}") for n in range(4)] == [0, None, 2, 3]


def test_delete_and_clear_forget_it_here_and_behind(kept):
    kept.set("a", 1)
    kept.set("b", 2)
    assert kept.get("a") == 1 and kept.get("b") == 2
    kept.delete("a")
    assert kept.get("a") is None and caches["default"].get("a") is None
    kept.clear()
    assert kept.get("b") is None and caches["default"].get("b") is None


def test_what_it_read_is_kept_for_its_timeout_at_most(kept):
    """A write whose version bump did not reach the cache behind shows after the timeout,
    as it did once the entry expired there."""
    kept.set("panel:v1", "drawn")
    assert kept.get("panel:v1") == "drawn"
    caches["default"].set("panel:v1", "drawn again")
    now = time.monotonic()
    with mock.patch("config.cache.time.monotonic", return_value=now + 59):
        assert kept.get("panel:v1") == "drawn"
    with mock.patch("config.cache.time.monotonic", return_value=now + 61):
        assert kept.get("panel:v1") == "drawn again"


def test_every_thread_of_the_process_reads_the_same_copy(kept):
    """Django makes a cache object per thread; what one read, the others find."""
    kept.set("panel:v1", {"rows": [1]})
    first = kept.get("panel:v1")
    caches["default"].delete("panel:v1")
    found = []
    thread = threading.Thread(target=lambda: found.append(caches["kept"].get("panel:v1")))
    thread.start()
    thread.join()
    assert found == [first] and found[0] is first


def test_it_refuses_counters_which_change(kept):
    """A counter changes, in other processes too: a copy kept here would go stale."""
    kept.set("n", 1)
    with pytest.raises(NotImplementedError):
        kept.incr("n")
    with pytest.raises(NotImplementedError):
        kept.decr("n")


def test_a_write_while_a_value_is_read_is_not_undone_by_keeping_what_was_read(kept):
    kept.set("panel:v1", "before")
    behind = caches["default"]
    read = behind.get

    def read_then_deleted(*args, **kwargs):
        value = read(*args, **kwargs)
        kept.delete("panel:v1")  # another thread, between the read and the keeping
        return value

    with mock.patch.object(behind, "get", side_effect=read_then_deleted):
        assert kept.get("panel:v1") == "before"
    assert kept.get("panel:v1") is None


def test_two_caches_in_front_of_different_caches_keep_apart(settings):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "a"},
        "other": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "b"},
        "kept": {
            "BACKEND": "config.cache.ReadOnceCache",
            "LOCATION": "kept",
            "OPTIONS": {"BEHIND": "default"},
        },
        "kept_other": {
            "BACKEND": "config.cache.ReadOnceCache",
            "LOCATION": "kept",  # the same name, another cache behind
            "OPTIONS": {"BEHIND": "other"},
        },
    }
    caches["kept"].set("panel:v1", "of default")
    assert caches["kept"].get("panel:v1") == "of default"
    assert caches["kept_other"].get("panel:v1") is None


def test_with_no_timeout_an_entry_is_kept_until_dropped_for_room(settings):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "c"},
        "kept": {
            "BACKEND": "config.cache.ReadOnceCache",
            "TIMEOUT": None,
            "OPTIONS": {"BEHIND": "default"},
        },
    }
    caches["kept"].set("panel:v1", "drawn")
    assert caches["kept"].get("panel:v1") == "drawn"
    caches["default"].delete("panel:v1")
    assert caches["kept"].get("panel:v1") == "drawn"
