import sys

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from recruitment import namesakes
from recruitment.models import Organisation
from recruitment.pipeline import keep_deadlines, keep_trained_on
from recruitment.rollups import differences, recompute_rollups

SHOWN = 20


class Command(BaseCommand):
    help = (
        "Recount the kept counts (admissions, pipeline by stage, make-up, dropouts by "
        "year of admission, trained cohorts) and the namesakes from the records and compare: exit "
        "status 1 on any difference. --repair also writes the recount."
    )

    def add_arguments(self, parser):
        parser.add_argument("--unit", help="the code of a unit: its subtree only")
        parser.add_argument(
            "--repair", action="store_true", help="write the recounted values where they differ"
        )

    def handle(self, *args, unit=None, repair=False, **options):
        root = None
        if unit:
            root = Organisation.objects.filter(code=unit).first()
            if root is None:
                raise CommandError(f"No unit with the code {unit!r}.", returncode=2)
        differed = self._counts(root, repair)
        if root is None:  # the namesakes are the country's: a key shared wherever
            differed = self._namesakes(repair) or differed
        if differed:
            sys.exit(1)
        self.stdout.write("The kept counts equal a recount.")

    def _counts(self, root, repair: bool) -> bool:
        """Report (and with ``repair`` write) the kept counts that differ; whether any did."""
        found = differences(root.path if root else "")
        if not found:
            return False
        names = dict(
            Organisation.objects.filter(
                pk__in={key[0] for key, _k, _r in found[:SHOWN]}
            ).values_list("pk", "code")
        )
        for (unit_id, year, key), kept, recounted in found[:SHOWN]:
            self.stdout.write(
                f"{names.get(unit_id, unit_id)} {year or 'now'} {key}: "
                f"kept {kept}, recounted {recounted}"
            )
        self._more(len(found))
        if repair:
            with transaction.atomic():  # the recount and what it keeps: all or nothing
                recompute_rollups([root] if root else None)
                if root is None:  # recompute_rollups keeps these for the subtrees it is given
                    keep_deadlines("")
                    keep_trained_on("")
            self.stdout.write(f"{len(found)} counts differed; written from the recount.")
        else:
            self.stdout.write(f"{len(found)} counts differ from a recount (--repair writes it).")
        return True

    def _namesakes(self, repair: bool) -> bool:
        """The same for the namesakes (``recruitment.namesakes``)."""
        missing, extra = namesakes.differences()
        found = [
            *((key, "kept no namesake, recounted one") for key in sorted(missing)),
            *((key, "kept a namesake, recounted none") for key in sorted(extra)),
        ]
        if not found:
            return False
        for (name, born), what in found[:SHOWN]:
            self.stdout.write(f"{name} {born.isoformat()}: {what}")
        self._more(len(found))
        if repair:
            namesakes.recount()
            self.stdout.write(f"{len(found)} namesakes differed; written from the recount.")
        else:
            self.stdout.write(f"{len(found)} namesakes differ from a recount (--repair writes it).")
        return True

    def _more(self, count: int) -> None:
        if count > SHOWN:
            self.stdout.write(f"… and {count - SHOWN} more")
