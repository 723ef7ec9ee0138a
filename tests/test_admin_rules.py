"""The admin keeps the site's rules on the rows the site's pages write: members, sponsors,
enrolments, units, classes, quotas and days off (a review found each of these open)."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from recruitment import pipeline
from recruitment.models import (
    Candidate,
    Enrolment,
    Holiday,
    Organisation,
    PartyMember,
    Quota,
    Sponsorship,
    Stage,
    TrainingClass,
)
from tests.factories import (
    CandidateFactory,
    PartyMemberFactory,
    TrainingClassFactory,
    mentor,
    on_today,
    ready_for,
)
from tests.helpers import admin_deletes, english, messages_of

pytestmark = pytest.mark.django_db


def form_errors(response) -> dict:
    assert response.status_code == 200, response
    return response.context["adminform"].form.errors


# --- Members -----------------------------------------------------------------------------


def member_data(unit, **values):
    data = {
        "full_name": "Lê Văn Mới",
        "date_of_birth": "1980-02-03",
        "citizen_id": "",
        "old_id_number": "",
        "unit": unit.pk,
        "admitted_on": "2010-05-19",
        "official_on": "2011-05-19",
        "left_on": "",
        "left_reason": "",
    }
    return {**data, **values}


def test_the_member_admin_adds_a_member_with_the_member_pages_fields(tree, admin_client_):
    """Its form had lost every field but the name and ID numbers: adding a member was a 500
    (no admission date), and the unit and dates could not be set."""
    add = reverse("admin:recruitment_partymember_add")
    page = admin_client_.get(add)
    assert "candidate" not in page.context["adminform"].form.fields
    assert {"unit", "admitted_on", "official_on", "left_on"} <= set(
        page.context["adminform"].form.fields
    )
    response = admin_client_.post(add, member_data(tree["ward1_cell"]))
    assert response.status_code == 302, form_errors(response)
    member = PartyMember.objects.get()
    assert (member.unit, member.admitted_on) == (tree["ward1_cell"], date(2010, 5, 19))


@on_today
@pytest.mark.parametrize(
    "values, field, message",
    [
        ({"admitted_on": "2027-01-01", "official_on": ""}, "admitted_on", "in the future"),
        ({"official_on": "2009-01-01"}, "official_on", "official before being admitted"),
        ({"left_on": "2020-01-01"}, "left_reason", "Say why the member left."),
        ({"left_reason": "Moved abroad"}, "left_on", "Give the date the member left."),
    ],
)
def test_the_member_admin_keeps_the_member_pages_rules(tree, admin_client_, values, field, message):
    add = reverse("admin:recruitment_partymember_add")
    response = english(admin_client_).post(add, member_data(tree["ward1_cell"], **values))
    assert message in form_errors(response)[field][0]
    assert not PartyMember.objects.exists()


def test_the_member_admin_puts_no_member_in_a_closed_unit(tree, admin_client_):
    cell = tree["ward1_cell"]
    Organisation.objects.filter(pk=cell.pk).update(active=False)
    add = reverse("admin:recruitment_partymember_add")
    response = english(admin_client_).post(add, member_data(cell))
    assert form_errors(response)["unit"] == [
        f"{cell.name} is no longer open: choose the unit that continues it."
    ]
    assert not PartyMember.objects.exists()


@on_today
def test_a_member_admitted_through_the_pipeline_is_read_only_in_the_admin(tree, admin_client_):
    candidate = ready_for(Stage.ADMITTED, tree["ward1_cell"])
    changes = {"decision_on": date(2026, 5, 4), "decision_number": "1"}
    pipeline.move(candidate, Stage.ADMITTED, changes=changes)
    member = PartyMember.objects.get(candidate=candidate)
    change = reverse("admin:recruitment_partymember_change", args=[member.pk])
    form = admin_client_.get(change).context["adminform"].form
    assert list(form.fields) == []  # all shown, none typed over: the candidate's record rules
    admin_client_.post(change, member_data(tree["ward3_cell"], full_name="Someone Else"))
    member.refresh_from_db()
    assert (member.unit, member.full_name) == (candidate.unit, candidate.full_name)


# --- Sponsors ----------------------------------------------------------------------------


def voted_introducer(tree):
    candidate = ready_for(Stage.ADMITTED, tree["ward1_cell"])  # "proposed": the cell voted
    introducer = candidate.sponsorships.filter(role=Sponsorship.Role.INTRODUCER).first()
    return candidate, introducer


def sponsorship_data(sponsorship, **values):
    data = {
        "candidate": sponsorship.candidate_id,
        "member": sponsorship.member_id,
        "role": sponsorship.role,
        "assigned_on": sponsorship.assigned_on.isoformat(),
        "known_since": sponsorship.known_since.isoformat() if sponsorship.known_since else "",
        "reference": sponsorship.reference,
        "ended_on": "",
    }
    return {**data, **values}


@on_today
@pytest.mark.parametrize(
    "change",
    [
        {"ended_on": "2026-06-15"},
        {"role": Sponsorship.Role.MENTOR, "ended_on": "2026-06-15"},
        {"role": Sponsorship.Role.MENTOR},
        "another candidate",
    ],
    ids=["ended", "made_mentor_and_ended", "made_mentor", "given_to_another_candidate"],
)
def test_the_admin_keeps_an_introducer_of_a_voted_dossier(tree, staff_client, change):
    """Made a mentor (and ended) or given to another candidate, the introducer left the dossier
    the cell voted on with one introducer: no correction could pass it again."""
    candidate, introducer = voted_introducer(tree)
    if change == "another candidate":
        change = {"candidate": CandidateFactory(unit=tree["ward1_cell"]).pk}
    url = reverse("admin:recruitment_sponsorship_change", args=[introducer.pk])
    response = english(staff_client).post(url, sponsorship_data(introducer, **change))
    errors = form_errors(response)
    said = [message for messages in errors.values() for message in messages]
    assert said == [
        f"{introducer.member.full_name} introduced {candidate.full_name} in the dossier the "
        "cell voted on: an introducer's role is not ended after the vote."
    ]
    introducer.refresh_from_db()
    assert (introducer.candidate, introducer.role, introducer.ended_on) == (
        candidate,
        Sponsorship.Role.INTRODUCER,
        None,
    )


@on_today
def test_the_admin_deletes_no_introducer_of_a_voted_dossier(tree, admin_client_):
    candidate, introducer = voted_introducer(tree)
    assert "role is not ended after the vote" in admin_deletes(admin_client_, introducer)
    assert Sponsorship.objects.filter(pk=introducer.pk).exists()


@on_today
def test_an_introducer_of_a_dossier_still_to_be_voted_on_may_be_ended(tree, staff_client):
    candidate = ready_for(Stage.PROPOSED, tree["ward1_cell"])  # "dossier": no vote yet
    mentor = candidate.sponsorships.get(role=Sponsorship.Role.MENTOR)
    introducer = Sponsorship.objects.create(
        candidate=candidate,
        member=PartyMemberFactory(unit=tree["ward1_cell"]),
        role=Sponsorship.Role.INTRODUCER,
        assigned_on=date(2026, 3, 1),
        known_since=date(2020, 1, 1),
    )
    url = reverse("admin:recruitment_sponsorship_change", args=[introducer.pk])
    response = staff_client.post(url, sponsorship_data(introducer, ended_on="2026-06-15"))
    assert response.status_code == 302
    introducer.refresh_from_db()
    assert introducer.ended_on == date(2026, 6, 15)
    assert mentor.ended_on is None


# --- Enrolments --------------------------------------------------------------------------


def enrolment_data(enrolment, **values):
    data = {
        "candidate": enrolment.candidate_id,
        "training_class": enrolment.training_class_id,
        "result": enrolment.result,
        "certificate_number": enrolment.certificate_number,
        "certificate_on": enrolment.certificate_on.isoformat() if enrolment.certificate_on else "",
    }
    return {**data, **values}


@on_today
def test_the_admin_gives_no_pass_to_another_candidate(tree, staff_client):
    """The pass left a candidate who had moved on with it in "dossier" without one, still
    carrying its certificate date."""
    moved_on = ready_for(Stage.DOSSIER, tree["ward1_cell"])
    pipeline.move(moved_on, Stage.DOSSIER)
    other = CandidateFactory(unit=tree["ward1_cell"])
    enrolment = moved_on.enrolments.get(result=Enrolment.Result.PASSED)
    url = reverse("admin:recruitment_enrolment_change", args=[enrolment.pk])
    response = english(staff_client).post(url, enrolment_data(enrolment, candidate=other.pk))
    assert form_errors(response)["candidate"] == [
        "An enrolment stays with its candidate and its class: delete it and enrol the other one."
    ]
    enrolment.refresh_from_db()
    assert enrolment.candidate == moved_on
    moved_on.refresh_from_db()
    assert moved_on.latest_certificate_on == enrolment.certificate_on


@on_today
def test_the_admin_enrols_by_the_class_pages_rules(tree, staff_client):
    add = reverse("admin:recruitment_enrolment_add")
    proposed = ready_for(Stage.ADMITTED, tree["ward1_cell"])
    coming = TrainingClassFactory(
        unit=tree["ward1_cell"], starts_on=date(2026, 7, 1), ends_on=date(2026, 7, 10)
    )
    data = {"candidate": proposed.pk, "training_class": coming.pk, "result": "pending"}
    response = english(staff_client).post(add, {**data, "certificate_number": ""})
    assert "a class result is recorded before that" in form_errors(response)["candidate"][0]
    ended = TrainingClassFactory(
        unit=tree["ward1_cell"], starts_on=date(2020, 1, 1), ends_on=date(2020, 1, 10)
    )
    source = CandidateFactory(unit=tree["ward1_cell"])
    data = {"candidate": source.pk, "training_class": ended.pk, "result": "pending"}
    response = english(staff_client).post(add, {**data, "certificate_number": ""})
    assert "A past class is recorded with its result" in str(form_errors(response))
    assert not Enrolment.objects.filter(training_class__in=[coming, ended]).exists()
    # Enrolled, a candidate of the source list moves into training, as on the class page:
    # not without a mentor (the move's rule), and then nothing is saved.
    data = {"candidate": source.pk, "training_class": coming.pk, "result": "pending"}
    response = english(staff_client).post(add, {**data, "certificate_number": ""}, follow=True)
    assert messages_of(response)[0] == "Nothing was saved: please correct the errors below."
    assert not Enrolment.objects.filter(candidate=source).exists()
    source.refresh_from_db()
    assert source.stage == Stage.SOURCE
    mentor(source)
    assert staff_client.post(add, {**data, "certificate_number": ""}).status_code == 302
    assert Enrolment.objects.filter(candidate=source, training_class=coming).exists()
    source.refresh_from_db()
    assert source.stage == Stage.TRAINING


# --- Units, and rows put in them ---------------------------------------------------------


def test_deleting_a_unit_whose_cells_hold_candidates_is_refused_on_the_page(tree, admin_client_):
    """treebeard deletes the subtree in one query: a candidate of a cell below stopped it
    with a 500, after a confirmation page that listed nothing protected."""
    candidate = CandidateFactory(unit=tree["ward1_cell"])
    delete = reverse("admin:recruitment_organisation_delete", args=[tree["ward1"].pk])
    page = admin_client_.get(delete)
    assert page.status_code == 200
    assert candidate.full_name in page.text  # listed as what stops the delete
    admin_client_.post(delete, {"post": "yes"})
    assert Organisation.objects.filter(pk=tree["ward1"].pk).exists()
    assert Candidate.objects.filter(pk=candidate.pk).exists()


def test_deleting_an_empty_subtree_still_works(tree, admin_client_):
    delete = reverse("admin:recruitment_organisation_delete", args=[tree["ward3"].pk])
    assert admin_client_.post(delete, {"post": "yes"}).status_code == 302
    assert not Organisation.objects.filter(pk__in=[tree["ward3"].pk, tree["ward3_cell"].pk])


def unit_data(unit, **values):
    data = {
        "name": unit.name,
        "code": unit.code,
        "kind": unit.kind,
        "active": "on" if unit.active else "",
        "closed_on": "",
        "treebeard_position": "first-child",
        "treebeard_ref_node": Organisation.objects.get_parent(unit).pk,
    }
    return {**data, **values}


def test_a_unit_holding_open_work_is_closed_by_a_reorganisation_not_here(tree, admin_client_):
    cell = tree["ward1_cell"]
    CandidateFactory(unit=cell)
    change = reverse("admin:recruitment_organisation_change", args=[cell.pk])
    for closing in ({"active": ""}, {"closed_on": "2026-01-01"}):
        response = english(admin_client_).post(change, unit_data(cell, **closing))
        assert "still holds 1 open candidates, 0 members and 0 coming classes" in str(
            form_errors(response)
        )
    cell.refresh_from_db()
    assert cell.active and cell.closed_on is None
    Candidate.objects.filter(unit=cell).update(stage=Stage.WITHDRAWN)
    response = admin_client_.post(change, unit_data(cell, active=""))
    assert response.status_code == 302, form_errors(response)
    cell.refresh_from_db()
    assert not cell.active


def test_a_unit_cannot_close_before_it_opened(tree, admin_client_):
    cell = tree["ward3_cell"]
    Organisation.objects.filter(pk=cell.pk).update(opened_on=date(2025, 7, 1))
    cell.refresh_from_db()
    change = reverse("admin:recruitment_organisation_change", args=[cell.pk])
    response = english(admin_client_).post(change, unit_data(cell, closed_on="2025-01-01"))
    assert form_errors(response)["closed_on"] == ["A unit cannot close before it opened."]


def test_the_admin_puts_no_class_or_day_off_in_a_closed_unit(tree, staff_client):
    cell = tree["ward3_cell"]
    Organisation.objects.filter(pk=cell.pk).update(active=False)
    message = [f"{cell.name} is no longer open: choose the unit that continues it."]
    add = reverse("admin:recruitment_trainingclass_add")
    data = {
        "title": "Lớp cảm tình Đảng",
        "unit": cell.pk,
        "starts_on": "2026-07-01",
        "ends_on": "2026-07-10",
        "place": "Hội trường",
        "enrolments-TOTAL_FORMS": 0,
        "enrolments-INITIAL_FORMS": 0,
    }
    assert form_errors(english(staff_client).post(add, data))["unit"] == message
    assert not TrainingClass.objects.exists()
    add = reverse("admin:recruitment_holiday_add")
    data = {"day": "2026-09-03", "name": "Nghỉ bù", "unit": cell.pk}
    assert form_errors(english(staff_client).post(add, data))["unit"] == message
    assert not Holiday.objects.filter(unit=cell).exists()
    data["unit"] = tree["ward1_cell"].pk  # an open unit: saved
    assert staff_client.post(add, data).status_code == 302


def test_the_admin_sets_no_quota_for_a_unit_of_another_year(tree, staff_client):
    cell = tree["ward3_cell"]
    Organisation.objects.filter(pk=cell.pk).update(active=False, closed_on=date(2025, 1, 1))
    add = reverse("admin:recruitment_quota_add")
    data = {"unit": cell.pk, "year": 2027, "target": 3, "note": ""}
    response = english(staff_client).post(add, data)
    assert form_errors(response)["unit"] == [
        f"{cell.name} did not exist in 2027: set the quota of the unit of that year"
    ]
    assert not Quota.objects.exists()
    data["year"] = 2024  # the year it was open: its quota may be set
    assert staff_client.post(add, data).status_code == 302


def test_a_unit_whose_cells_hold_open_work_is_not_closed_here_either(tree, admin_client_):
    CandidateFactory(unit=tree["ward1_cell"])
    ward = tree["ward1"]
    change = reverse("admin:recruitment_organisation_change", args=[ward.pk])
    response = english(admin_client_).post(change, unit_data(ward, active=""))
    assert "still holds 1 open candidates" in str(form_errors(response))
    ward.refresh_from_db()
    assert ward.active


def test_a_class_that_has_ended_is_added_with_a_past_result_in_one_page(tree, staff_client):
    """The past result's rules asked the unsaved class for its enrolments: a 500."""
    candidate = CandidateFactory(unit=tree["ward1_cell"])
    ended = timezone.localdate() - timedelta(days=100)  # a certificate still valid
    data = {
        "title": "Lớp cũ",
        "unit": tree["ward1"].pk,
        "starts_on": (ended - timedelta(days=9)).isoformat(),
        "ends_on": ended.isoformat(),
        "place": "Hội trường",
        "enrolments-TOTAL_FORMS": 1,
        "enrolments-INITIAL_FORMS": 0,
        "enrolments-0-candidate": candidate.pk,
        "enrolments-0-result": "passed",
        "enrolments-0-certificate_number": "12",
        "enrolments-0-certificate_on": ended.isoformat(),
    }
    mentor(candidate)
    response = staff_client.post(reverse("admin:recruitment_trainingclass_add"), data)
    assert response.status_code == 302, form_errors(response)
    assert Enrolment.objects.get(candidate=candidate).training_class.title == "Lớp cũ"
    # A past result, as the class page records one: the steps dated from the class.
    candidate.refresh_from_db()
    assert (candidate.stage, candidate.stage_since) == (Stage.TRAINED, ended)


def test_a_pass_recorded_in_the_admin_moves_the_candidate_on_as_the_class_page_does(
    tree, staff_client
):
    ended = timezone.localdate() - timedelta(days=30)
    training_class = TrainingClassFactory(
        unit=tree["ward1"], starts_on=ended - timedelta(days=9), ends_on=ended
    )
    candidate = CandidateFactory(
        unit=tree["ward1_cell"], stage=Stage.TRAINING, stage_since=ended - timedelta(days=9)
    )
    enrolment = Enrolment.objects.create(candidate=candidate, training_class=training_class)
    response = staff_client.post(
        reverse("admin:recruitment_enrolment_change", args=[enrolment.pk]),
        {
            "candidate": candidate.pk,
            "training_class": training_class.pk,
            "result": "passed",
            "certificate_number": "CN-9",
            "certificate_on": ended.isoformat(),
        },
    )
    assert response.status_code == 302, form_errors(response)
    enrolment.refresh_from_db()
    assert (enrolment.result, enrolment.certificate_number) == ("passed", "CN-9")
    candidate.refresh_from_db()
    assert (candidate.stage, candidate.stage_since) == (Stage.TRAINED, ended)
    assert candidate.stage_changes.get(to_stage=Stage.TRAINED).by_id is not None
