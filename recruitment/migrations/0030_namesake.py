from django.db import migrations, models
from django.db.models import F
from django.db.models.functions import Coalesce


def keep_namesakes(apps, schema_editor):
    """The keys two people or more carry already, from the records (``recruitment.namesakes``;
    written out here with this migration's models, which do not change under it)."""
    Candidate = apps.get_model("recruitment", "Candidate")
    PartyMember = apps.get_model("recruitment", "PartyMember")
    Namesake = apps.get_model("recruitment", "Namesake")
    people = [
        queryset.filter(date_of_birth__isnull=False)
        .exclude(search_name="")
        .order_by()
        .annotate(person=person)
        .values_list("search_name", "date_of_birth", "person")
        for queryset, person in (
            (Candidate.objects.all(), F("pk")),
            (PartyMember.objects.all(), Coalesce("candidate_id", F("pk") * -1)),
        )
    ]
    sql, params = people[0].union(people[1], all=True).query.sql_with_params()
    table = schema_editor.connection.ops.quote_name(Namesake._meta.db_table)
    schema_editor.execute(
        f"INSERT INTO {table} (search_name, date_of_birth) "
        f"SELECT search_name, date_of_birth FROM ({sql}) people "
        "GROUP BY search_name, date_of_birth HAVING MIN(person) <> MAX(person)",
        params,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("recruitment", "0029_quota_year_newest_index"),
    ]

    operations = [
        migrations.CreateModel(
            name="Namesake",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("search_name", models.CharField(max_length=200)),
                ("date_of_birth", models.DateField()),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("search_name", "date_of_birth"), name="namesake_once"
                    )
                ],
            },
        ),
        migrations.RunPython(keep_namesakes, migrations.RunPython.noop),
    ]
