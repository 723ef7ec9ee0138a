"""Delete what is no longer needed: the uploaded files of imports left unused, expired
sessions and old finished background task results (docs/deploy.md "Old files, sessions
and task results").

An import's file holds names and citizen IDs of people who may never be written (a preview
abandoned, an import that failed or was not written); DESIGN.md §3 keeps personal data only
while a step needs it; an import the worker has still to check or write keeps its file. The
job's row stays, with its counts and problems, so the import list still says what happened;
writing it later is refused with a clear reason (``recruitment/imports/runner.py``).
"""

from datetime import datetime, timedelta

from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db.models.functions import Coalesce
from django.utils import timezone
from django_tasks import task_backends
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.models import DBTaskResult

from recruitment.imports.models import RUNNING, ImportJob


class Command(BaseCommand):
    help = (
        "Delete the files of imports unused for --days days (their rows stay), expired "
        "sessions, and finished task results older than --days days."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=30,
            help="how long an unused import's file and a finished task's result are kept "
            "(30 by default)",
        )

    def handle(self, *args, days, **options):
        if days < 1:
            raise CommandError("--days must be at least 1.")
        cutoff = timezone.now() - timedelta(days=days)
        self.stdout.write(f"{self.drop_import_files(cutoff)} import file(s) deleted.")
        self.stdout.write(f"{self.clear_sessions()} expired session(s) deleted.")
        self.stdout.write(self.prune_task_results(days))

    def drop_import_files(self, cutoff: datetime) -> int:
        """Empty the file of every import at rest (checked and left, not written, failed,
        done or refused) last checked or written (or, never finished, uploaded) before
        ``cutoff``. An import waiting for the worker or in its hands (to check or to write)
        keeps its file, however old its last check: a preview queued to be written a month
        later is still written."""
        return (
            ImportJob.objects.alias(last_used=Coalesce("finished_at", "created_at"))
            .filter(last_used__lt=cutoff)
            .exclude(status__in=RUNNING)
            .exclude(content=b"")
            .update(content=b"")
        )

    def clear_sessions(self) -> int:
        expired = Session.objects.filter(expire_date__lt=timezone.now()).count()
        call_command("clearsessions")
        return expired

    def prune_task_results(self, days: int) -> str:
        """Through django_tasks_db's own command, when the tasks run on the database."""
        if not isinstance(task_backends["default"], DatabaseBackend):
            return "Task results: the tasks backend keeps no task results; nothing to prune."
        finished = DBTaskResult.objects.finished()
        before = finished.count()
        call_command(
            "prune_db_task_results", "--queue-name=*", f"--min-age-days={days}", verbosity=0
        )
        return f"{before - finished.count()} finished task result(s) deleted."
