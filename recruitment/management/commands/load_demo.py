from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from recruitment.demo import DEMO_PASSWORD, load_demo


class Command(BaseCommand):
    help = "Load the Vị Thanh demo scenario (fixtures/vi_thanh.json). Safe to run twice."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="load even with DEBUG off (never on a production database)",
        )

    def handle(self, *args, force=False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "Refusing to load demo data with DEBUG off: it creates users with the "
                "password 'demo'. Run it from `make run` (DEBUG on), or pass --force on a "
                "database that is not production."
            )
        created = load_demo()
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
