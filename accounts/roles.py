"""Roles as Django groups: what each role may do in the admin (the views check the role).

The data migration ``accounts/0003_role_groups`` created the groups, and each change to this
table since has its own migration granting or taking back what changed (a test compares the
migrated groups with this table); ``User.save()`` keeps each user in the group of its role.
"""

ORGANISER_GROUP = "organiser"
STAFF_GROUP = "staff"

ORGANISER_PERMISSIONS = [
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

# Models added after accounts/0003 get their permissions from the migration that adds them
# (0003 runs before those models exist): staff set their units' paperwork in the admin.
PAPERWORK_STAFF_PERMISSIONS = [
    f"recruitment.{action}_{model}"
    for model in ("documenttemplate", "paperworksetting")
    for action in ("view", "add", "change", "delete")
]

STAFF_PERMISSIONS = [
    *ORGANISER_PERMISSIONS,
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
    # Read-only in the admin: transfers are recorded on the member's page (0004).
    "recruitment.view_transfer",
    *PAPERWORK_STAFF_PERMISSIONS,  # recruitment/0017_paperwork
]

GROUP_PERMISSIONS = {ORGANISER_GROUP: ORGANISER_PERMISSIONS, STAFF_GROUP: STAFF_PERMISSIONS}
