import csv
import json

from django.core.management.base import BaseCommand, CommandError

from recruitment.models import MAX_YEAR, MIN_YEAR, Organisation
from recruitment.reports.exports import csv_cell, table_row
from recruitment.reports.figures import quota_figures

# The figures of the dashboard's export (recruitment.exports), without the pipeline.
COLUMNS = [
    "code",
    "unit",
    "quota",
    "previous_quota",
    "quota_change",
    "admitted",
    "percent",
    "ratio",
    "ratio_decimal",
]


def _row(figures) -> dict:
    row = table_row(figures)
    return {key: row[key] for key in COLUMNS}


def _text(value) -> str:
    """A cell for people: "—" where there is nothing to show (no quota, no ratio)."""
    return "—" if value is None else str(value)


class Command(BaseCommand):
    help = (
        "Admissions against quota for a unit and its child units in one year: "
        "the unit's own row first, then its children."
    )

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--unit", help="unit code (default: every top-level unit)")
        parser.add_argument("--format", choices=["table", "csv", "json"], default="table")

    def handle(self, *args, year, unit, format, **options):
        if not MIN_YEAR <= year <= MAX_YEAR:
            raise CommandError(
                f"Year {year} is out of range ({MIN_YEAR}–{MAX_YEAR}).", returncode=2
            )
        if unit:
            units = list(Organisation.objects.filter(code=unit))
            if not units:
                raise CommandError(f"No unit has the code {unit!r}.", returncode=2)
        else:
            units = list(Organisation.objects.get_root_nodes())
        rows = [_row(f) for u in units for f in quota_figures(u, year)]

        if format == "json":
            self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2))
        elif format == "csv":
            writer = csv.DictWriter(self.stdout, fieldnames=COLUMNS, lineterminator="\n")
            writer.writeheader()
            for row in rows:
                # As the dashboard's CSV: unit names are typed by people, so text that starts
                # a formula is neutralised; numbers (a change of -2) stay numbers.
                writer.writerow({k: "—" if v is None else csv_cell(k, v) for k, v in row.items()})
        else:
            self._table(rows)

    def _table(self, rows):
        headers = ["Code", "Unit", "Quota", "Prev.", "Change", "Admitted", "%"]
        keys = ["code", "unit", "quota", "previous_quota", "quota_change", "admitted", "percent"]
        cells = [[_text(row[k]) for k in keys] for row in rows]
        widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(headers)]
        line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
        self.stdout.write(line)
        self.stdout.write("  ".join("-" * w for w in widths))
        for c in cells:
            self.stdout.write("  ".join(v.ljust(w) for v, w in zip(c, widths, strict=True)))
