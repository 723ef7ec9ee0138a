"""Data built once per test run and inserted again wherever a test needs it.

Loading the demo goes through the pipeline and takes seconds; building a tree through
treebeard takes tens of milliseconds. Inserting the rows they leave behind costs one query
per table. ``snapshot(build)`` runs ``build()`` once per process, in a transaction that it
rolls back, and keeps the rows that ``build()`` added; ``restore()`` inserts them again, keys
and all, inside the caller's transaction (a test's, or a TestCase class's). Every test still
gets its own copy, rolled back with it, and can change it without touching the others'.
"""

import functools

from django.apps import apps
from django.db import models, transaction


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

    def __init__(self, build):
        self.rows = {}
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
