"""Record each unit's pipeline for the year-on-year comparison (``recruitment.yearend``).

Run daily by the scheduler, beside ``send_reminders`` (docs/deploy.md): the year's last run
leaves where the pipeline stood at its end. ``--from-history`` works out, from the stage
changes, the past years that were never recorded, e.g. after the first deployment; a year
already recorded is kept as the tree stood then, even after an import of past records.
"""

from django.core.management.base import BaseCommand
from django.utils import timezone

from recruitment import yearend


class Command(BaseCommand):
    help = (
        "Record each unit's pipeline (candidates in the active stages) for the current year; "
        "with --from-history, first work out the past years never recorded."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--from-history",
            action="store_true",
            help=(
                "also work out from the stage changes each past year that has no record, "
                "counting each candidate in their unit today; years already recorded are kept"
            ),
        )

    def handle(self, *args, from_history=False, **options):
        today = timezone.localdate()
        if from_history:
            done = yearend.record_all()
            for year in sorted({*done.filled, *done.kept}):
                if year in done.kept:
                    self.stdout.write(f"{year}: kept, recorded on {done.kept[year].isoformat()}")
                else:
                    units = done.filled[year]
                    self.stdout.write(f"{year}: worked out from the stage changes, {units} units")
            year, units = done.current
        else:
            year, units = today.year, yearend.record()
        self.stdout.write(f"{year}: {units} units")
        self.stdout.write(self.style.SUCCESS(f"Recorded as of {today}."))
