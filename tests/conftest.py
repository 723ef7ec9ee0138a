"""The named cast every test starts from (as in healthchecks' alice/bob/charlie).

Hậu Giang ─┬─ Vị Thanh (city) ─┬─ Ward I ── Area 3 cell
           │                   └─ Ward III ── Area 1 cell
           └─ Ngã Bảy (city) ── Lái Hiếu ward ── Area 1 cell
"""

import pytest
from django.test import Client

from recruitment.models import Organisation
from tests.factories import add_cast_member, build_tree
from tests.snapshots import kept_migrations, snapshot


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """pytest-django's (a database per xdist worker), with the migrated SQLite schema kept
    between runs (tests/snapshots.py): each worker starts ~5 s sooner."""
    with kept_migrations():
        yield


@pytest.fixture(scope="session")
def _tree_snapshot(django_db_setup, django_db_blocker):
    """The tree built once, on the database as the migrations leave it (tests/snapshots.py):
    treebeard takes ~30 ms to build it, inserting its rows again ~1 ms."""
    with django_db_blocker.unblock():
        return snapshot(build_tree)


@pytest.fixture
def tree(_tree_snapshot, db):
    _tree_snapshot.restore()
    built = _tree_snapshot.result
    units = Organisation.objects.in_bulk([unit.pk for unit in built.values()])
    return {key: units[unit.pk] for key, unit in built.items()}


@pytest.fixture
def organiser(tree):
    """Alice: organiser of Ward I."""
    return add_cast_member("organiser", tree)


@pytest.fixture
def other_organiser(tree):
    """Bob: organiser of Ward III, a neighbour who must not see Ward I."""
    return add_cast_member("other_organiser", tree)


@pytest.fixture
def staff(tree):
    """Charlie: Organisation Board staff of Vị Thanh city."""
    return add_cast_member("staff", tree)


@pytest.fixture
def other_staff(tree):
    """Dana: staff of Ngã Bảy city."""
    return add_cast_member("other_staff", tree)


@pytest.fixture
def admin_user(db):
    return add_cast_member("admin")


def _client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def organiser_client(organiser):
    return _client_for(organiser)


@pytest.fixture
def other_organiser_client(other_organiser):
    return _client_for(other_organiser)


@pytest.fixture
def staff_client(staff):
    return _client_for(staff)


@pytest.fixture
def other_staff_client(other_staff):
    return _client_for(other_staff)


@pytest.fixture
def admin_client_(admin_user):
    return _client_for(admin_user)


@pytest.fixture
def fake_pg(monkeypatch):
    """pg_dump writes a file of its arguments; pg_restore --list reads anything. The
    commands run, in order (tests/test_backups.py, tests/test_ops_fixes.py)."""
    import subprocess
    from pathlib import Path

    from recruitment import backups

    calls = []

    def run(command, **kwargs):
        calls.append(command)
        if command[0] == "pg_dump":
            target = next(a for a in command if a.startswith("--file="))[len("--file=") :]
            Path(target).write_text(" ".join(command))
        return subprocess.CompletedProcess(command, 0, "", "")

    monkeypatch.setattr(backups.subprocess, "run", run)
    monkeypatch.setattr(backups.connections["default"], "vendor", "postgresql")
    return calls
