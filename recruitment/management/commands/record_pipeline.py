"""Record each unit's pipeline for the year-on-year comparison (``recruitment.yearend``).

Run daily by the scheduler, beside ``send_reminders`` (docs/deploy.md): the year's last run
leaves where the pipeline stood at its end. ``--from-history`` works past years out once
from the stage changes, e.g. after importing a unit's records.
"""

from django.core.management.base import BaseCommand
from django.utils import timezone

from recruitment import yearend


class Command(BaseCommand):
    help = "Record each unit's pipeline (candidates in the active stages) for the current year."

    def add_arguments(self, parser):
        parser.add_argument(
            "--from-history",
            action="store_true",
            help="also work out every past year from the stage changes",
        )

    def handle(self, *args, from_history=False, **options):
        today = timezone.localdate()
        written = yearend.record_all() if from_history else {today.year: yearend.record()}
        for year, units in written.items():
            self.stdout.write(f"{year}: {units} units")
        self.stdout.write(self.style.SUCCESS(f"Recorded as of {today}."))
