from django.contrib.auth.management import create_permissions
from django.db import migrations

PERMISSION = ("recruitment", "view_transfer")


def grant(apps, schema_editor):
    # Permissions are normally created after all migrations; make sure this one exists now.
    app_config = apps.get_app_config(PERMISSION[0])
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permission = Permission.objects.get(
        content_type__app_label=PERMISSION[0], codename=PERMISSION[1]
    )
    for group in Group.objects.filter(name="staff"):
        group.permissions.add(permission)


def take_back(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permission = Permission.objects.filter(
        content_type__app_label=PERMISSION[0], codename=PERMISSION[1]
    ).first()
    if permission is not None:
        for group in Group.objects.filter(name="staff"):
            group.permissions.remove(permission)


class Migration(migrations.Migration):
    """Staff see transfers in the admin (read-only there; recorded on the member's page)."""

    dependencies = [
        ("accounts", "0003_role_groups"),
        ("recruitment", "0011_transfers"),
    ]

    operations = [migrations.RunPython(grant, take_back)]
