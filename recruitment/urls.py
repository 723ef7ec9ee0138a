from django.urls import path

from recruitment.views import (
    candidates,
    classes,
    dashboard,
    documents,
    imports,
    members,
    merges,
    quotas,
    reminders,
    reorganisations,
    units,
)

app_name = "recruitment"

urlpatterns = [
    # /candidates/
    path("candidates/", candidates.candidate_list, name="candidate-list"),
    path("candidates/new/", candidates.candidate_create, name="candidate-create"),
    path("candidates/record/", candidates.candidate_record, name="candidate-record"),
    path("candidates/<int:pk>/", candidates.candidate_detail, name="candidate-detail"),
    path("candidates/<int:pk>/edit/", candidates.candidate_edit, name="candidate-edit"),
    path("candidates/<int:pk>/history/", candidates.candidate_history, name="candidate-history"),
    path("candidates/<int:pk>/correct/", candidates.candidate_correct, name="candidate-correct"),
    path(
        "candidates/<int:pk>/move/<slug:stage>/",
        candidates.candidate_move,
        name="candidate-move",
    ),
    path(
        "candidates/<int:pk>/sponsors/new/",
        candidates.sponsor_add,
        name="candidate-sponsor-add",
    ),
    path(
        "candidates/<int:pk>/sponsors/<int:sponsorship_pk>/remove/",
        candidates.sponsor_remove,
        name="candidate-sponsor-remove",
    ),
    path("candidates/<int:pk>/dossier/", documents.candidate_dossier, name="candidate-dossier"),
    path(
        "candidates/<int:pk>/documents/<slug:form>/",
        documents.candidate_document,
        name="candidate-document",
    ),
    path("documents/blank/<slug:code>/", documents.blank_template, name="document-blank"),
    # /classes/
    path("classes/", classes.class_list, name="class-list"),
    path("classes/new/", classes.class_create, name="class-create"),
    path("classes/<int:pk>/", classes.class_detail, name="class-detail"),
    path("classes/<int:pk>/edit/", classes.class_edit, name="class-edit"),
    path("classes/<int:pk>/enrol/", classes.class_enrol, name="class-enrol"),
    path("classes/<int:pk>/results/", classes.class_results, name="class-results"),
    path("classes/<int:pk>/past-result/", classes.class_past_result, name="class-past-result"),
    # /members/
    path("members/", members.member_list, name="member-list"),
    path("members/new/", members.member_create, name="member-create"),
    path("members/transfer-in/", members.member_transfer_in, name="member-transfer-in"),
    path("members/<int:pk>/", members.member_detail, name="member-detail"),
    path("members/<int:pk>/edit/", members.member_edit, name="member-edit"),
    path(
        "members/<int:pk>/transfer-out/",
        members.member_transfer_out,
        name="member-transfer-out",
    ),
    path(
        "members/<int:pk>/transfer-in/",
        members.member_transfer_in,
        name="member-transfer-back",
    ),
    # /duplicates/: two records of one person
    path("duplicates/", merges.duplicate_list, name="duplicate-list"),
    path(
        "duplicates/candidates/<int:pk>/<int:other_pk>/",
        merges.merge_candidates,
        name="merge-candidates",
    ),
    path(
        "duplicates/members/<int:pk>/<int:other_pk>/",
        merges.merge_members,
        name="merge-members",
    ),
    path(
        "duplicates/candidate/<int:pk>/member/<int:member_pk>/",
        merges.merge_candidate_member,
        name="merge-candidate-member",
    ),
    # /dashboard/
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    # /reminders/
    path("reminders/", reminders.reminder_list, name="reminder-list"),
    # /units/
    path("units/search/", units.unit_search, name="unit-search"),
    # /imports/
    path("imports/", imports.import_start, name="import-start"),
    path("imports/template/<slug:kind>/", imports.import_template, name="import-template"),
    path("imports/<int:pk>/", imports.import_detail, name="import-detail"),
    path("imports/<int:pk>/commit/", imports.import_commit, name="import-commit"),
    # /quotas/
    path("quotas/", quotas.quota_list, name="quota-list"),
    path("quotas/plan/", quotas.quota_plan, name="quota-plan"),
    path("quotas/<int:pk>/months/", quotas.quota_months, name="quota-months"),
    # /reorganisations/
    path("reorganisations/", reorganisations.reorganisation_list, name="reorganisation-list"),
    path(
        "reorganisations/new/",
        reorganisations.reorganisation_create,
        name="reorganisation-create",
    ),
    path(
        "reorganisations/<int:pk>/",
        reorganisations.reorganisation_detail,
        name="reorganisation-detail",
    ),
    path(
        "reorganisations/<int:pk>/steps/new/",
        reorganisations.reorganisation_step_add,
        name="reorganisation-step-add",
    ),
    path(
        "reorganisations/<int:pk>/steps/<int:step_pk>/remove/",
        reorganisations.reorganisation_step_remove,
        name="reorganisation-step-remove",
    ),
    path(
        "reorganisations/<int:pk>/delete/",
        reorganisations.reorganisation_delete,
        name="reorganisation-delete",
    ),
    path(
        "reorganisations/<int:pk>/apply/",
        reorganisations.reorganisation_apply,
        name="reorganisation-apply",
    ),
    path(
        "reorganisations/<int:pk>/undo/",
        reorganisations.reorganisation_undo,
        name="reorganisation-undo",
    ),
]
