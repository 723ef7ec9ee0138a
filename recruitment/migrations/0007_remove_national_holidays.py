"""Delete the national holidays that the removed 0003 copied into the table; keep local ones.

National days off and the Saturdays worked in exchange now come from the ``holidays``
package (``recruitment.workdays``), for any year; the table holds local days off only, and
0008 makes their unit required. A national row is one without a unit, including any a
superuser added in the admin: the package knows those days too.
"""

from django.db import migrations


def delete_national_holidays(apps, schema_editor):
    Holiday = apps.get_model("recruitment", "Holiday")
    Holiday.objects.filter(unit__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("recruitment", "0006_citizen_id_ascii_digits"),
    ]

    operations = [
        # Nothing to put back: going back to 0006, the package still gives the national days.
        migrations.RunPython(delete_national_holidays, migrations.RunPython.noop),
    ]
