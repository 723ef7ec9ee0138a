from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from config.env import env_int, env_str
from recruitment.backups import BackupError, backup, backups


class Command(BaseCommand):
    help = (
        "Back up the PostgreSQL database with pg_dump -Fc into BACKUP_DIR, with a SHA-256 "
        "checksum file beside it, and keep the newest BACKUP_KEEP backups (docs/deploy.md)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dir",
            default=env_str("BACKUP_DIR", str(settings.BASE_DIR / "backups")),
            help="where the backups are kept (BACKUP_DIR; ./backups by default)",
        )
        parser.add_argument(
            "--keep",
            type=int,
            default=env_int("BACKUP_KEEP", 14, minimum=1),
            help="how many backups to keep, the newest (BACKUP_KEEP; 14 by default)",
        )

    def handle(self, *args, dir, keep, **options):
        directory = Path(dir)
        try:
            dump = backup(directory=directory, keep=keep)
        except BackupError as error:
            raise CommandError(str(error)) from error
        size = dump.stat().st_size
        self.stdout.write(
            f"{dump} ({size:,} bytes), checksum in {dump.name}.sha256; "
            f"{len(backups(directory))} backup(s) kept."
        )
