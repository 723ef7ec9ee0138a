from django.db import migrations, models


def keep_trained_on(apps, schema_editor):
    """Each candidate's last entry into "trained", from its stage history."""
    Candidate = apps.get_model("recruitment", "Candidate")
    StageChange = apps.get_model("recruitment", "StageChange")
    last = (
        StageChange.objects.filter(candidate=models.OuterRef("pk"), to_stage="trained")
        .order_by()
        .values("candidate")
        .annotate(last=models.Max("on"))
        .values("last")
    )
    Candidate.objects.update(trained_on=models.Subquery(last))


def count_everything(apps, schema_editor):
    """The kept counts of the rows already there, the trained cohorts included. The recount
    is the app's own (it reads the models of today), as ``manage.py verify_rollups --repair``
    does it: 0013, which first counted them, leaves it to this one. A later migration that
    changes what the counts read takes it over in turn."""
    if not apps.get_model("recruitment", "Candidate").objects.exists():
        return
    from recruitment.rollups import recompute_rollups

    recompute_rollups()


class Migration(migrations.Migration):
    dependencies = [
        ("recruitment", "0025_unit_change_notice_to_no_unit"),
    ]

    operations = [
        migrations.AddField(
            model_name="candidate",
            name="trained_on",
            field=models.DateField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(keep_trained_on, migrations.RunPython.noop),
        migrations.RunPython(count_everything, migrations.RunPython.noop),
    ]
