"""Inserting a batch of new source-list candidates: the rows, their history, their first
stage change.

What ``services.create_candidate`` writes for one candidate, for hundreds at a time: the
importer has already checked each row (``full_clean``, the unit in the user's scope, the
citizen ID and namesakes for the whole batch). On PostgreSQL the rows are copied in
(``COPY … FROM STDIN``): Django's ``bulk_create``, and even psycopg2's ``execute_values``,
prepare every value in Python, which at 90 values a candidate (the row and its history row)
was most of an import's time. Elsewhere (SQLite: development and tests) ``bulk_create`` does it.

Whatever ``Candidate.save`` writes besides the row and its history must be written here too,
for the whole batch: this function is the one place that skips ``save``. That is the stored
deadline (``pipeline.keep_deadline``: none yet on the source list, and no query to say so),
the kept counts and the namesakes: the counts are returned, and both are added by the
importer once the whole file is written (``candidates.Importer.written``), so that the
units' rows of kept counts, up to the nation, and the namesakes' rows are not locked for as
long as a large file takes, nor by a preview that is rolled back.
"""

from __future__ import annotations

import io
from collections import Counter
from datetime import date, datetime

from django.db import connection
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from recruitment import rollups
from recruitment.models import Candidate, StageChange
from recruitment.pipeline import keep_deadline
from recruitment.stages import Stage

PAGE = 500


def insert_candidates(
    candidates: list[Candidate], *, from_paper: list[bool], user, reason: str
) -> Counter:
    """Insert ``candidates`` (setting their ``pk``), one history row each (who, which file)
    and their entry into the source list, dated ``stage_since``. Returns what they add to
    the kept counts (``rollups.counts_of``), not added yet."""
    counts: Counter = Counter()
    if not candidates:
        return counts
    now = timezone.now()
    for candidate in candidates:
        candidate.created_at = candidate.updated_at = now
        keep_deadline(candidate)
        counts.update(
            rollups.counts_of({name: getattr(candidate, name) for name in rollups.FIELDS})
        )
    user_id = getattr(user, "pk", None)
    if connection.vendor == "postgresql":
        _insert_pg(candidates, now=now, user_id=user_id, reason=reason)
    else:
        bulk_create_with_history(
            candidates,
            Candidate,
            batch_size=PAGE,
            default_user=user if user_id else None,
            default_change_reason=reason,
            default_date=now,
        )
    changes = [
        ("", Stage.SOURCE, now, candidate.stage_since, candidate.pk, user_id, "", paper)
        for candidate, paper in zip(candidates, from_paper, strict=True)
    ]
    names = ["from_stage", "to_stage", "at", "on", "candidate_id", "by_id", "reason", "from_paper"]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            _copy(cursor, StageChange, names, changes)
    else:
        StageChange.objects.bulk_create(
            [StageChange(**dict(zip(names, change, strict=True))) for change in changes],
            batch_size=PAGE,
        )
    return counts


def _insert_pg(candidates: list[Candidate], *, now, user_id, reason: str) -> None:
    """COPY the rows in: PostgreSQL parses them, nothing is prepared value by value in
    Python. The candidates' ids are drawn from their sequence first."""
    table = Candidate._meta.db_table
    fields = Candidate._meta.concrete_fields
    history = Candidate.history.model
    tracked = [f.attname for f in history.tracked_fields]
    extra = ["history_date", "history_change_reason", "history_type", "history_user_id"]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [table, len(candidates)],
        )
        for candidate, (pk,) in zip(candidates, cursor.fetchall(), strict=True):
            candidate.pk = pk
        # Each value is written as text once, for the row and for its history row.
        names = [f.attname for f in fields]
        tail = [_copy_text(now), _copy_text(reason), "+", _copy_text(user_id)]
        rows, histories = [], []
        for candidate in candidates:
            texts = {name: _copy_text(getattr(candidate, name)) for name in names}
            rows.append([texts[name] for name in names])
            histories.append([*(texts[name] for name in tracked), *tail])
        _copy(cursor, Candidate, names, rows, texts=True)
        _copy(cursor, history, tracked + extra, histories, texts=True)


def _copy(cursor, model, attnames: list[str], rows, *, texts: bool = False) -> None:
    """COPY ``rows`` (values, or values already in COPY's text format) into ``model``."""
    quote = connection.ops.quote_name
    columns = ", ".join(quote(model._meta.get_field(name).column) for name in attnames)
    buffer = io.StringIO()
    for row in rows:
        buffer.write("\t".join(row if texts else map(_copy_text, row)))
        buffer.write("\n")
    buffer.seek(0)
    cursor.cursor.copy_expert(f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN", buffer)


_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value) -> str:
    """A value in COPY's text format."""
    if value is None:
        return "\\N"
    if type(value) is str:
        return value.translate(_ESCAPES)
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, str):
        return value.translate(_ESCAPES)
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)
