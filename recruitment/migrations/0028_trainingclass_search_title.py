from django.db import migrations, models

from recruitment.text import search_key

BATCH = 1000


def fill_search_titles(apps, schema_editor):
    """The diacritic-free title of the classes already there (and of their history), as
    ``TrainingClass.save`` keeps it from now on: without it they would never be found."""
    for name in ("TrainingClass", "HistoricalTrainingClass"):
        model = apps.get_model("recruitment", name)
        rows = []
        for row in model.objects.only("pk", "title").iterator(chunk_size=BATCH):
            row.search_title = search_key(row.title)
            rows.append(row)
            if len(rows) == BATCH:
                model.objects.bulk_update(rows, ["search_title"])
                rows = []
        model.objects.bulk_update(rows, ["search_title"])


class Migration(migrations.Migration):
    dependencies = [
        ("recruitment", "0027_candidate_due_unit_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="historicaltrainingclass",
            name="search_title",
            field=models.CharField(default="", editable=False, max_length=200),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="trainingclass",
            name="search_title",
            field=models.CharField(default="", editable=False, max_length=200),
            preserve_default=False,
        ),
        migrations.RunPython(fill_search_titles, migrations.RunPython.noop),
    ]
