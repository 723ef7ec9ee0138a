"""Checking and writing an import job: the same pass, rolled back or kept.

The preview is the import itself, run in a transaction that is rolled back: what it counts
(new, changed, unchanged, duplicate, errors) is exactly what writing would do, through the
same services and rules. Writing runs it again in one transaction, kept only if no row has
an error, or if the user chose to write only the valid rows (rows with errors are then
skipped, never half-written).

Rows are read and processed in batches, so memory stays bounded whatever the file's length;
only the first ``MAX_SAMPLE`` rows' outcomes and ``MAX_PROBLEMS`` messages are kept.
"""

from __future__ import annotations

import logging
import re
from itertools import islice

from django.conf import settings
from django.db import OperationalError, connection, connections, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from recruitment.imports import kinds
from recruitment.imports.columns import known_headers, match_header, missing_columns, read_row
from recruitment.imports.models import MAX_PROBLEMS, MAX_SAMPLE, ImportJob
from recruitment.imports.outcome import ACTIONS, ERROR
from recruitment.imports.reading import Refused, read_table
from recruitment.text import search_key

logger = logging.getLogger(__name__)
BATCH = 500
# A run that another transaction aborted (PostgreSQL ended one of two that waited on each
# other: two imports writing the same people, locked in opposite orders) wrote nothing, and
# is run again from the start, this many times at most.
ATTEMPTS = 3
_ABORTED_BY_ANOTHER = {"40P01", "40001"}  # deadlock detected, serialization failure


def reason_for(job: ImportJob) -> str:
    """The history's reason for every row the job writes: which import, which file. Kept
    to the history's 100 characters, in the site's language (data, not interface)."""
    with translation.override(settings.LANGUAGE_CODE):
        text = _("Import #%(id)s from file %(file)s") % {"id": job.pk, "file": job.file_name}
    return text[:100]


def check(job: ImportJob) -> None:
    """The preview: every row checked and counted, nothing kept."""
    _run(job, commit=False)


def commit(job: ImportJob) -> None:
    """Write the file: all or nothing, unless the job says to write only the valid rows."""
    _run(job, commit=True)


class _Rollback(Exception):
    pass


ABORTED_EVERY_TIME = gettext_lazy(
    "Another import or edit was writing the same people at the same moment, several times "
    "over; nothing was written. Run the import again."
)
UNEXPECTED_ERROR = gettext_lazy(
    "The import stopped on an unexpected error; nothing was written. The administrators have "
    "the details."
)


def _failed(job: ImportJob, message) -> None:
    """The job stopped on an error (logged with its traceback); nothing was written."""
    logger.exception("Import %s failed", job.pk)
    job.status = ImportJob.Status.FAILED
    with translation.override(job.language):
        job.refusal = str(message)


class _Aborted(Exception):
    """The database ended the run's own transaction for another's sake: nothing of it was
    kept, and running it again is the remedy."""


def _run(job: ImportJob, *, commit: bool, attempt: int = 1) -> None:
    Status = ImportJob.Status
    job.status = Status.COMMITTING if commit else Status.CHECKING
    job.counts, job.problems, job.problem_count, job.sample = {}, [], 0, []
    job.done_rows = 0
    job.refusal = ""
    job.save(update_fields=_progress_fields() + ["status", "refusal"])
    progress = _Progress(job)
    try:
        with translation.override(job.language):
            kind = kinds.get(job.kind)
            columns = kind.columns()
            try:
                content = bytes(job.content)
                if not content and job.size:  # dropped by `manage.py cleanup`
                    raise Refused(
                        _(
                            "This file is no longer kept (the files of imports left unused "
                            "are deleted after a while): upload it again."
                        )
                    )
                table = read_table(content, job.file_name, known_headers(columns))
                positions = match_header(table.header, columns)
                missing = missing_columns(positions, columns)
                if missing:
                    raise Refused(
                        _("The file has no column %(columns)s, which must be filled in.")
                        % {"columns": ", ".join(f"“{c.header(job.language)}”" for c in missing)}
                    )
                headers = {column.key: table.header[p] for p, column in positions.items()}
                _note_left_out(job, table, positions, columns)
                job.total_rows = table.estimated_rows
                importer = kind.Importer(
                    user=job.by,
                    reason=reason_for(job),
                    namesakes_confirmed=job.namesakes_confirmed,
                    year=job.year or _year_of(table.sheet_title, job.file_name),
                )
                try:
                    with transaction.atomic():
                        _process(job, table, positions, headers, importer, progress)
                        keep = commit and (not job.counts.get(ERROR) or job.only_valid)
                        if not keep:
                            raise _Rollback
                        if hasattr(importer, "written"):  # what waits for the whole file
                            importer.written()
                except _Rollback:
                    pass
                except OperationalError as error:
                    # Only the run's own transaction, rolled back whole, is run again: an
                    # error outside it may leave an enclosing transaction unusable.
                    if getattr(error.__cause__, "pgcode", None) in _ABORTED_BY_ANOTHER:
                        raise _Aborted from error
                    raise
                else:
                    job.status = Status.DONE
            except Refused as refused:
                job.status = Status.REFUSED
                job.refusal = refused.message
                job.problems = []
            if job.status in (Status.CHECKING, Status.COMMITTING):
                job.status = Status.NOT_WRITTEN if commit else Status.CHECKED
    except _Aborted as aborted:
        if attempt < ATTEMPTS:  # the status stays "checking" or "committing": run again
            logger.warning("Import %s: %s; run again", job.pk, aborted.__cause__)
        else:
            _failed(job, ABORTED_EVERY_TIME)
    except Exception:
        _failed(job, UNEXPECTED_ERROR)
    finally:
        progress.close()
    if job.status in (Status.CHECKING, Status.COMMITTING):  # aborted: run again
        return _run(job, commit=commit, attempt=attempt + 1)
    job.finished_at = timezone.now()
    job.total_rows = max(job.done_rows, 0)
    fields = _progress_fields() + ["status", "refusal", "finished_at"]
    if job.status in (Status.DONE, Status.REFUSED):
        # Nothing more will be read from the file (names, citizen IDs): it is not kept.
        job.content = b""
        fields.append("content")
    job.save(update_fields=fields)


def _note_left_out(job, table, positions, columns) -> None:
    """Say which columns of the file are not read, on the header's row: a heading the
    import does not know ("Ghi chú"), or a second column of a known one (only the first is
    read). Their values are left out; the preview says so before anything is written."""
    known = known_headers(columns)
    for position, name in enumerate(table.header):
        if not name or position in positions:
            continue
        if search_key(name) in known:
            message = _("a second column of this name: only the first one is read")
        else:
            message = _("not a column this import reads: its values are left out")
        job.problem_count += 1
        if len(job.problems) < MAX_PROBLEMS:
            job.problems.append([table.header_row, name, message, False])


def _year_of(*names: str) -> int | None:
    """The year an export is of: its sheet's title ("2021") or its file name
    ("quota-2021-VT-20260615.csv")."""
    for name in names:
        match = re.search(r"(?<!\d)(19[3-9]\d|20\d\d)(?!\d)", name or "")
        if match:
            return int(match.group(1))
    return None


def _progress_fields() -> list[str]:
    return ["counts", "problems", "problem_count", "sample", "done_rows", "total_rows"]


def _process(job, table, positions, headers, importer, progress) -> None:
    counts = dict.fromkeys(ACTIONS, 0)
    rows = (read_row(number, cells, positions, headers) for number, cells in table.rows)
    while True:
        batch = list(islice(rows, BATCH))
        if not batch:
            break
        outcomes = importer.process(batch)
        importer.finish()
        for outcome in outcomes:
            counts[outcome.action] += 1
            if len(job.sample) < MAX_SAMPLE:
                job.sample.append([outcome.row, outcome.action, outcome.label])
            for column, message, is_error in outcome.messages:
                job.problem_count += 1
                if len(job.problems) < MAX_PROBLEMS:
                    job.problems.append([outcome.row, column, message, is_error])
        job.done_rows += len(batch)
        job.counts = counts
        progress.publish()
    job.counts = counts


class _Progress:
    """The rows done so far, for the progress bar, written where other connections see it.

    The import runs in one transaction, whose writes nobody sees before it ends; on
    PostgreSQL a second connection writes the count as it goes. SQLite allows one writer
    at a time, so there the page shows the count at the end.
    """

    def __init__(self, job: ImportJob):
        self.job = job
        self.side = None
        # Not inside a transaction (an import run during a request): the second connection
        # would wait for the request's lock on the job's row, which waits for it.
        if connection.vendor == "postgresql" and job.pk and not connection.in_atomic_block:
            self.side = connections.create_connection("default")

    def publish(self) -> None:
        if self.side is None:
            return
        try:
            with self.side.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {ImportJob._meta.db_table} SET done_rows = %s, total_rows = %s "
                    "WHERE id = %s",
                    [self.job.done_rows, max(self.job.total_rows, self.job.done_rows), self.job.pk],
                )
        except Exception:  # the bar is a courtesy: an import never fails for it
            logger.warning("Import %s: progress not published", self.job.pk, exc_info=True)
            self.close()

    def close(self) -> None:
        if self.side is not None:
            self.side.close()
            self.side = None
