"""Data built once per test run and inserted again wherever a test needs it.

Loading the demo goes through the pipeline and takes seconds; building a tree through
treebeard takes tens of milliseconds. Inserting the rows they leave behind costs one query
per table. ``snapshot(build)`` runs ``build()`` once per process, in a transaction that it
rolls back, and keeps the rows that ``build()`` added; ``restore()`` inserts them again, keys
and all, inside the caller's transaction (a test's, or a TestCase class's). Every test still
gets its own copy, rolled back with it, and can change it without touching the others'.

``kept_snapshot(build)`` also keeps the rows on disk between runs (SQLite, as ``make test``
runs), under a key of everything they come from: the demo, ~18 s of one worker's time,
is read back in a fraction of a second from the second run on. ``kept_migrations()`` does the
same for the test database as the migrations leave it: 84 migrations, ~5 s of each worker's
start, copied back in a few milliseconds.
"""

import contextlib
import functools
import hashlib
import importlib.metadata
import os
import pickle
import sqlite3
import sys
from pathlib import Path
from unittest import mock

from django.apps import apps
from django.core import management
from django.db import connection, connections, models, transaction
from django.db.backends.base.creation import BaseDatabaseCreation
from django.utils import timezone

ROOT = Path(__file__).resolve().parent.parent
KEPT = ROOT / ".pytest_cache" / "snapshots"
# What a snapshot's rows come from: the project's code, migrations and data (the demo's
# fixtures), the dependencies it asks for, and this module; ``fingerprint`` adds the versions
# installed and the settings read from the environment.
SOURCES = ("accounts", "config", "recruitment", "fixtures", "pyproject.toml", "tests/snapshots.py")


def _tables() -> list[type[models.Model]]:
    return [
        model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
    ]


def _columns(model) -> list[str]:
    return [field.attname for field in model._meta.concrete_fields]


def _rows(model) -> dict:
    """Every row of ``model``'s table, by primary key."""
    key = _columns(model).index(model._meta.pk.attname)
    return {row[key]: row for row in model._base_manager.values_list(*_columns(model))}


class Snapshot:
    """The rows ``build()`` adds to the database, and what it returned (``result``).

    Take it on the database as the migrations leave it: the rows are kept with their keys,
    and ``build()`` may not change rows that were there before (it fails loudly if it does).
    On PostgreSQL the sequences have already passed the kept keys while building, so rows
    that tests add after a restore get new keys; on SQLite the inserts move them on.
    """

    def __init__(self, build=None, *, rows=None, result=None):
        self.rows, self.result = rows or {}, result
        if build is None:
            return
        with transaction.atomic():
            before = {model: _rows(model) for model in _tables()}
            self.result = build()
            for model, old in before.items():
                new = _rows(model)
                if any(new.get(key) != row for key, row in old.items()):
                    raise RuntimeError(
                        f"{build.__name__}() changed rows of {model._meta.label} that were "
                        "there before it; a snapshot can only insert rows again."
                    )
                added = [row for key, row in new.items() if key not in old]
                if added:
                    self.rows[model] = added
            transaction.set_rollback(True)

    def restore(self) -> None:
        """Insert the rows again, one query per table (foreign keys are deferred constraints,
        so the order of the tables does not matter)."""
        for model, rows in self.rows.items():
            columns = _columns(model)
            model._base_manager.bulk_create(
                [model(**dict(zip(columns, row, strict=True))) for row in rows]
            )


@functools.cache
def snapshot(build) -> Snapshot:
    """The snapshot of ``build()``, taken the first time it is asked for in this process."""
    return Snapshot(build)


def fingerprint() -> str:
    """A digest of what a snapshot depends on: every file under ``SOURCES``, Python's and
    every installed package's version (the ``holidays`` package moves the stored deadlines),
    the project's settings from the environment (``RECRUITMENT_*`` rules, ``DJANGO_*``), the
    database's engine and today's date as the tests see it (the demo's dates count from
    today, which ``--clock-shift-years`` moves)."""
    installed = sorted(
        f"{dist.metadata['Name']}=={dist.version}" for dist in importlib.metadata.distributions()
    )
    settings_from_environment = sorted(
        f"{name}={value}"
        for name, value in os.environ.items()
        if name.startswith(("RECRUITMENT_", "DJANGO_"))
    )
    digest = hashlib.sha256(
        "|".join(
            [
                sys.version,
                *installed,
                *settings_from_environment,
                connection.vendor,
                str(timezone.localdate()),
            ]
        ).encode()
    )
    for source in SOURCES:
        top = ROOT / source
        files = [top] if top.is_file() else sorted(top.rglob("*"))
        for path in files:
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:24]


@functools.cache
def kept_snapshot(build) -> Snapshot:
    """``snapshot(build)``, kept on disk between runs on SQLite: read back when an earlier
    run left it under the same ``fingerprint()``, else taken and written (atomically: two
    workers may write it at once). Not on PostgreSQL, whose sequences would not have passed
    the keys of rows taken by another run."""
    if connection.vendor != "sqlite":
        return snapshot(build)
    name = f"{build.__module__}.{build.__qualname__}"
    path = KEPT / f"{name}-{fingerprint()}.pickle"
    try:
        kept = pickle.loads(path.read_bytes())
        return Snapshot(
            rows={apps.get_model(label): rows for label, rows in kept["rows"].items()},
            result=kept["result"],
        )
    except (OSError, EOFError, LookupError, pickle.UnpicklingError):
        pass
    taken = snapshot(build)
    kept = {
        "rows": {model._meta.label: rows for model, rows in taken.rows.items()},
        "result": taken.result,
    }
    _keep(path, name, lambda written: written.write_bytes(pickle.dumps(kept)))
    return taken


def _keep(path: Path, what: str, write) -> None:
    """Keep the file at ``path`` (``KEPT/<what>-<fingerprint>.<suffix>``) that ``write(to)``
    writes, atomically (two workers may write it at once), dropping the copies of ``what``
    kept under another fingerprint. On failure nothing is kept: the next run builds it again."""
    written = path.with_suffix(f".{os.getpid()}.tmp")
    try:
        KEPT.mkdir(parents=True, exist_ok=True)
        for old in KEPT.glob(f"{what}-*"):
            if not old.name.startswith(path.stem):
                old.unlink(missing_ok=True)  # another day's or version's, or a torn write
        write(written)
        os.replace(written, path)
    except (OSError, sqlite3.Error):
        pass
    finally:
        written.unlink(missing_ok=True)


@contextlib.contextmanager
def kept_migrations():
    """While it is open, a test database that SQLite keeps in memory (``make test``'s) is
    created from a copy of the migrated schema kept on disk under ``fingerprint()``, and
    the copy is written after the first run's migrations. Only the ``migrate`` of the test
    database's creation is replaced; PostgreSQL's test databases migrate as before."""
    create_test_db = BaseDatabaseCreation.create_test_db

    def creating(creation, *args, **kwargs):
        if creation.connection.vendor != "sqlite" or not creation.is_in_memory_db(
            creation._get_test_db_name()
        ):
            return create_test_db(creation, *args, **kwargs)
        with mock.patch.object(management, "call_command", _kept_migrate(management.call_command)):
            return create_test_db(creation, *args, **kwargs)

    with mock.patch.object(BaseDatabaseCreation, "create_test_db", creating):
        yield


def _kept_migrate(call_command):
    def call(name, *args, database="default", **options):
        if name != "migrate":
            return call_command(name, *args, database=database, **options)
        test_database = connections[database]
        test_database.ensure_connection()
        path = KEPT / f"migrated-{fingerprint()}.sqlite3"
        try:
            with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as kept:
                kept.backup(test_database.connection)
            return None
        except sqlite3.Error:
            pass  # none kept yet (or a torn one): migrate, then keep it
        call_command(name, *args, database=database, **options)

        def write(written):
            with contextlib.closing(sqlite3.connect(written)) as copy:
                test_database.connection.backup(copy)

        _keep(path, "migrated", write)
        return None

    return call
