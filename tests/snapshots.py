"""Data built once per test run and inserted again wherever a test needs it.

Loading the demo goes through the pipeline and takes seconds; building a tree through
treebeard takes tens of milliseconds. Inserting the rows they leave behind costs one query
per table. ``snapshot(build)`` runs ``build()`` once per process, in a transaction that it
rolls back, and keeps the rows that ``build()`` added; ``restore()`` inserts them again, keys
and all, inside the caller's transaction (a test's, or a TestCase class's). Every test still
gets its own copy, rolled back with it, and can change it without touching the others'.

``kept_snapshot(build)`` also keeps the rows on disk between runs (SQLite, as ``make test``
runs), under a key of everything they come from: the demo, ~18 s of one worker's time,
is read back in a fraction of a second from the second run on.
"""

import functools
import hashlib
import importlib.metadata
import os
import pickle
import sys
from pathlib import Path

from django.apps import apps
from django.db import connection, models, transaction
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
    path = KEPT / f"{build.__module__}.{build.__qualname__}-{fingerprint()}.pickle"
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
    written = path.with_suffix(f".{os.getpid()}.tmp")
    try:
        KEPT.mkdir(parents=True, exist_ok=True)
        for old in KEPT.glob(f"{build.__module__}.{build.__qualname__}-*"):
            if not old.name.startswith(path.stem):
                old.unlink(missing_ok=True)  # another day's or version's, or a torn write
        written.write_bytes(pickle.dumps(kept))
        os.replace(written, path)
    except OSError:
        pass  # kept in this process only: the next run takes it again
    finally:
        written.unlink(missing_ok=True)
    return taken
