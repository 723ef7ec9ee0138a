from django.contrib.auth.management import create_permissions
from django.db import migrations

# The groups as this migration first made them, frozen: ``accounts.roles`` moves on (a later
# migration grants what is added there), and may name models created after this one ran.
_ORGANISER = [
    "recruitment.view_organisation",
    "recruitment.view_candidate",
    "recruitment.add_candidate",
    "recruitment.change_candidate",
    "recruitment.view_enrolment",
    "recruitment.add_enrolment",
    "recruitment.change_enrolment",
    "recruitment.view_sponsorship",
    "recruitment.add_sponsorship",
    "recruitment.change_sponsorship",
    "recruitment.view_partymember",
    "recruitment.view_trainingclass",
    "recruitment.view_stagechange",
]
GROUP_PERMISSIONS = {
    "organiser": _ORGANISER,
    "staff": [
        *_ORGANISER,
        "recruitment.view_quota",
        "recruitment.add_quota",
        "recruitment.change_quota",
        "recruitment.delete_quota",
        "recruitment.add_trainingclass",
        "recruitment.change_trainingclass",
        "recruitment.view_holiday",
        "recruitment.add_holiday",
        "recruitment.change_holiday",
        "recruitment.delete_holiday",
        "recruitment.change_partymember",
    ],
}


def create_groups(apps, schema_editor):
    # Permissions are normally created after all migrations; make sure they exist now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GROUP_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        permissions = []
        for dotted in codenames:
            app_label, codename = dotted.split(".")
            permissions.append(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
        group.permissions.set(permissions)


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=GROUP_PERMISSIONS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_initial"),
        ("recruitment", "0002_holiday"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
