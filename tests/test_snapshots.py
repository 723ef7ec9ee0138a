"""Snapshots kept on disk between runs (tests/snapshots.py): read back, not rebuilt, while
nothing they come from has changed; rebuilt when something has; never on PostgreSQL."""

import pickle

import pytest
from django.db import connection

from recruitment.models import Organisation
from tests import snapshots
from tests.factories import build_tree

BUILDS = []


def tree():
    BUILDS.append(1)
    return build_tree()


@pytest.fixture
def kept_dir(tmp_path, monkeypatch):
    """An empty place to keep snapshots, and no snapshot of ``tree`` in this process."""
    monkeypatch.setattr(snapshots, "KEPT", tmp_path)
    BUILDS.clear()
    snapshots.kept_snapshot.cache_clear()
    snapshots.snapshot.cache_clear()
    yield tmp_path
    snapshots.kept_snapshot.cache_clear()
    snapshots.snapshot.cache_clear()


def next_run():
    """What a new test process starts with: nothing remembered in memory."""
    snapshots.kept_snapshot.cache_clear()
    snapshots.snapshot.cache_clear()


@pytest.mark.django_db
def test_the_next_run_reads_the_snapshot_back_instead_of_building_it(kept_dir):
    first = snapshots.kept_snapshot(tree)
    next_run()
    again = snapshots.kept_snapshot(tree)
    if connection.vendor == "sqlite":
        assert BUILDS == [1]
        assert len(list(kept_dir.iterdir())) == 1
        assert again.rows == first.rows
        assert {k: u.pk for k, u in again.result.items()} == {
            k: u.pk for k, u in first.result.items()
        }
    else:  # its sequences would not have passed the kept keys: built in each process
        assert BUILDS == [1, 1]
        assert list(kept_dir.iterdir()) == []
    again.restore()
    assert set(Organisation.objects.values_list("code", flat=True)) == {
        unit.code for unit in first.result.values()
    }


@pytest.mark.django_db
def test_a_change_in_what_it_comes_from_builds_it_again_and_drops_the_old_one(
    kept_dir, monkeypatch
):
    snapshots.kept_snapshot(tree)
    next_run()
    monkeypatch.setattr(snapshots, "fingerprint", lambda: "another-source")
    snapshots.kept_snapshot(tree)
    assert BUILDS == [1, 1]
    if connection.vendor == "sqlite":
        assert [path.name for path in kept_dir.iterdir()] == [
            f"{__name__}.tree-another-source.pickle"
        ]


def test_the_fingerprint_follows_the_code_and_the_day(tmp_path, monkeypatch):
    (tmp_path / "app").mkdir()
    code = tmp_path / "app" / "models.py"
    code.write_text("A = 1\n")
    monkeypatch.setattr(snapshots, "ROOT", tmp_path)
    monkeypatch.setattr(snapshots, "SOURCES", ("app",))
    first = snapshots.fingerprint()
    assert snapshots.fingerprint() == first
    code.write_text("A = 2\n")
    changed = snapshots.fingerprint()
    assert changed != first
    monkeypatch.setattr(snapshots.timezone, "localdate", lambda: "2031-01-01")
    assert snapshots.fingerprint() != changed


def test_the_files_the_demo_reads_are_in_its_fingerprint():
    from recruitment import demo

    for data in (demo.FIXTURE, demo.REORGANISATION_FIXTURE):
        relative = data.resolve().relative_to(snapshots.ROOT).as_posix()
        assert any(relative.startswith(source) for source in snapshots.SOURCES), relative


@pytest.mark.django_db
def test_an_unreadable_snapshot_is_taken_again(kept_dir, monkeypatch):
    monkeypatch.setattr(snapshots, "fingerprint", lambda: "today")
    (kept_dir / f"{__name__}.tree-today.pickle").write_bytes(b"torn")
    snapshots.kept_snapshot(tree)
    assert BUILDS == [1]
    if connection.vendor == "sqlite":  # and written again, whole
        assert pickle.loads((kept_dir / f"{__name__}.tree-today.pickle").read_bytes())["rows"]


class MemoryDatabase:
    """What ``kept_migrations`` asks of a test database's connection: an empty SQLite
    database in memory, as a worker's starts."""

    def __init__(self):
        import sqlite3

        self.connection = sqlite3.connect(":memory:")

    def ensure_connection(self):
        pass

    def tables(self):
        rows = self.connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        return [name for (name,) in rows]


def test_the_migrated_schema_is_copied_back_from_the_second_run_on(kept_dir, monkeypatch):
    migrations = []

    def call_command(name, *args, database, **options):
        migrations.append(name)
        databases[database].connection.execute("CREATE TABLE migrated (n)")

    monkeypatch.setattr(snapshots, "fingerprint", lambda: "today")
    for run in range(2):
        databases = {"default": MemoryDatabase()}
        monkeypatch.setattr(snapshots, "connections", databases)
        snapshots._kept_migrate(call_command)("migrate", database="default")
        assert databases["default"].tables() == ["migrated"], run
    assert migrations == ["migrate"]  # the second run copied the first's
    assert [path.name for path in kept_dir.iterdir()] == ["migrated-today.sqlite3"]

    # Another fingerprint (a migration changed): migrated again, the old copy dropped.
    monkeypatch.setattr(snapshots, "fingerprint", lambda: "tomorrow")
    databases["default"] = MemoryDatabase()
    snapshots._kept_migrate(call_command)("migrate", database="default")
    assert migrations == ["migrate", "migrate"]
    assert [path.name for path in kept_dir.iterdir()] == ["migrated-tomorrow.sqlite3"]


def test_only_the_migrate_of_the_creation_is_replaced(kept_dir, monkeypatch):
    calls = []
    kept = snapshots._kept_migrate(lambda name, *args, **options: calls.append(name))
    kept("createcachetable", database="default")
    assert calls == ["createcachetable"]
    assert list(kept_dir.iterdir()) == []
