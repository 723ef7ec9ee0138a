from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from recruitment.reminders import send_all


class Command(BaseCommand):
    help = (
        "Send each user's reminder digest of the day (what falls due in their units), once: "
        "daily users every day, weekly users from the week's day (REMINDER_WEEKDAY), only "
        "when something is due. Run it from cron or a systemd timer (docs/deploy.md); "
        "running it again the same day sends nothing twice. A digest the mail server "
        "refused is retried on the next run; exit status 1 if any failed."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--date",
            type=date.fromisoformat,
            help="the day to send for, YYYY-MM-DD (default: today in the site's time zone)",
        )

    def handle(self, *args, date=None, **options):
        today = date or timezone.localdate()
        sent, failed = send_all(today, log=self.stderr.write)
        self.stdout.write(f"{today.isoformat()}: {sent} digests sent, {failed} failed.")
        if failed:
            raise CommandError(
                f"{failed} digests could not be sent; the next run retries them.", returncode=1
            )
