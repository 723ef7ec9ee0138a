from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from recruitment.demo import DEMO_PASSWORD, apply_reorganisation_2025, load_demo


class Command(BaseCommand):
    help = "Load the Vị Thanh demo scenario (fixtures/vi_thanh.json). Safe to run twice."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="load even with DEBUG off (never on a production database)",
        )
        parser.add_argument(
            "--reorganised",
            action="store_true",
            help="also apply the 2025 reorganisation and add the 2026 part in the new tree",
        )

    def handle(self, *args, force=False, reorganised=False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "Refusing to load demo data with DEBUG off: it creates users with the "
                "password 'demo'. Run it from `make run` (DEBUG on), or pass --force on a "
                "database that is not production."
            )
        created = load_demo()
        if reorganised:
            for kind, count in apply_reorganisation_2025().items():
                created[kind] = created.get(kind, 0) + count
        if created:
            for kind, count in created.items():
                self.stdout.write(f"  created {count} {kind}")
        else:
            self.stdout.write("Demo data already loaded; nothing changed.")
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo logins (password '{DEMO_PASSWORD}', demo only): admin (superuser), "
                "staff (Vị Thanh Organisation Board), organiser (Ward I), "
                "organiser_p3 (Ward III), staff_ngabay (Ngã Bảy city)."
            )
        )
