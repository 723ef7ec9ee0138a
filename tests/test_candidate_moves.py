"""Stage moves from the web: /candidates/<pk>/move/<stage>/ goes through recruitment.pipeline."""

from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from recruitment.models import Candidate, PartyMember, Stage, StageChange
from tests.factories import CandidateFactory, on_today, ready_for
from tests.helpers import english, messages_of

pytestmark = pytest.mark.django_db


def move_url(candidate, stage):
    return reverse("recruitment:candidate-move", args=[candidate.pk, stage])


def detail_url(candidate):
    return reverse("recruitment:candidate-detail", args=[candidate.pk])


def admission(**overrides) -> dict:
    data = {
        "decision_number": "12-QĐ/ĐU",
        "decision_on": "04/05/2026",
        "ceremony_on": "19/05/2026",
        "reason": "",
    }
    data.update(overrides)
    return data


def assert_nothing_saved(candidate, stage):
    """The candidate is as it was: same stage, no paperwork of the refused step, no history."""
    fresh = Candidate.objects.get(pk=candidate.pk)
    assert fresh.stage == stage
    assert not StageChange.objects.filter(candidate=candidate).exists()
    return fresh


# --- access ---------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_is_sent_to_login(client, tree, method):
    candidate = ready_for(Stage.TRAINING, tree["ward1_cell"])
    url = move_url(candidate, Stage.TRAINING)
    response = getattr(client, method)(url)
    assert response.status_code == 302
    assert response.url == f"{reverse('accounts:login')}?next={url}"
    assert_nothing_saved(candidate, Stage.SOURCE)


@pytest.mark.parametrize("method", ["get", "post"])
def test_outsider_gets_404_and_moves_nothing(other_organiser_client, tree, method):
    candidate = ready_for(Stage.TRAINING, tree["ward1_cell"])
    response = getattr(other_organiser_client, method)(move_url(candidate, Stage.TRAINING))
    assert response.status_code == 404
    assert_nothing_saved(candidate, Stage.SOURCE)


@pytest.mark.parametrize("method", ["get", "post"])
def test_unknown_stage_is_404(organiser_client, tree, method):
    candidate = CandidateFactory(unit=tree["ward1_cell"])
    response = getattr(organiser_client, method)(move_url(candidate, "promoted"))
    assert response.status_code == 404


def test_unknown_candidate_is_404(organiser_client, tree):
    response = organiser_client.post("/candidates/999999/move/training/", {"reason": ""})
    assert response.status_code == 404


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_move_the_pipeline_does_not_allow_goes_back_with_an_error(organiser_client, tree, method):
    candidate = CandidateFactory(unit=tree["ward1_cell"], full_name="Lê Văn Nhảy")
    response = getattr(english(organiser_client), method)(move_url(candidate, Stage.DOSSIER))
    assert response.status_code == 302
    assert response.url == detail_url(candidate)
    assert messages_of(response) == ["Lê Văn Nhảy cannot move from “Source” to “Dossier”."]
    assert_nothing_saved(candidate, Stage.SOURCE)


def test_a_dropped_out_member_cannot_be_brought_back(organiser_client, tree):
    candidate = CandidateFactory(unit=tree["ward1_cell"], stage=Stage.DROPPED_OUT)
    response = organiser_client.post(move_url(candidate, Stage.SOURCE), {"reason": "again"})
    assert response.status_code == 302
    assert_nothing_saved(candidate, Stage.DROPPED_OUT)


# --- the form shows only what the step needs ---------------------------------------------------


@pytest.mark.parametrize(
    ("from_stage", "to_stage", "fields"),
    [
        (Stage.SOURCE, Stage.TRAINING, ["reason"]),
        (
            Stage.TRAINED,
            Stage.DOSSIER,
            [
                "application_on",
                "application_ref",
                "personal_history_on",
                "personal_history_ref",
                "background_check_on",
                "background_check_ref",
                "youth_union_resolution_on",
                "youth_union_resolution_ref",
                "reason",
            ],
        ),
        (
            Stage.DOSSIER,
            Stage.PROPOSED,
            ["cell_resolution_on", "cell_resolution_ref", "votes_for", "votes_total", "reason"],
        ),
        (
            Stage.PROPOSED,
            Stage.ADMITTED,
            ["decision_number", "decision_on", "ceremony_on", "reason"],
        ),
        (Stage.ADMITTED, Stage.RECOGNISED, ["recognition_resolution_on", "reason"]),
        (Stage.TRAINED, Stage.WITHDRAWN, ["reason"]),
    ],
)
def test_move_form_shows_only_the_fields_of_the_step(
    organiser_client, tree, from_stage, to_stage, fields
):
    candidate = CandidateFactory(unit=tree["ward1_cell"], stage=from_stage)
    response = organiser_client.get(move_url(candidate, to_stage))
    assert response.status_code == 200
    # And the record's version, hidden: a move does not undo a save made meanwhile.
    assert list(response.context["form"].fields) == [*fields, "version"]
    assert response.context["form"].fields["version"].widget.is_hidden


def test_move_form_shows_recorded_dates_as_dd_mm_yyyy(organiser_client, tree):
    candidate = CandidateFactory(
        unit=tree["ward1_cell"], stage=Stage.TRAINED, application_on=date(2026, 2, 1)
    )
    response = organiser_client.get(move_url(candidate, Stage.DOSSIER))
    assert 'value="01/02/2026"' in response.content.decode()


def test_forward_move_lists_what_is_still_missing(organiser_client, tree):
    candidate = CandidateFactory(unit=tree["ward1_cell"], stage=Stage.SOURCE)
    response = english(organiser_client).get(move_url(candidate, Stage.TRAINING))
    assert response.context["kind"] == "forward"
    assert (
        "The candidate must be enrolled in a party-awareness class." in response.context["missing"]
    )


def test_proposal_form_suggests_the_number_of_official_members(organiser_client, tree):
    candidate = ready_for(Stage.PROPOSED, tree["ward1_cell"])  # mentor + two introducers
    response = organiser_client.get(move_url(candidate, Stage.PROPOSED))
    assert response.context["form"].initial["votes_total"] == 3


# --- forward moves --------------------------------------------------------------------------


def test_forward_move_records_who_and_says_so(organiser_client, organiser, tree):
    candidate = ready_for(Stage.TRAINING, tree["ward1_cell"], full_name="Trần Thị Mai")
    response = english(organiser_client).post(move_url(candidate, Stage.TRAINING), {"reason": ""})
    assert response.status_code == 302
    assert response.url == detail_url(candidate)
    candidate.refresh_from_db()
    assert candidate.stage == Stage.TRAINING
    change = StageChange.objects.get(candidate=candidate)
    assert (change.from_stage, change.to_stage, change.by) == (
        Stage.SOURCE,
        Stage.TRAINING,
        organiser,
    )
    assert messages_of(response) == ["Trần Thị Mai moved to “In training”."]


def test_refused_move_shows_every_broken_rule_and_saves_nothing(organiser_client, tree):
    candidate = CandidateFactory(unit=tree["ward1_cell"], stage=Stage.SOURCE)
    response = english(organiser_client).post(move_url(candidate, Stage.TRAINING), {"reason": ""})
    assert response.status_code == 200
    errors = response.context["form"].non_field_errors()
    assert "An official party member must be assigned as the candidate's mentor." in errors
    assert "The candidate must be enrolled in a party-awareness class." in errors
    assert "The candidate must be enrolled in a party-awareness class." in (
        response.content.decode()
    )
    assert_nothing_saved(candidate, Stage.SOURCE)


@on_today
def test_dossier_move_saves_the_paperwork_typed_as_dd_mm_yyyy(organiser_client, tree):
    candidate = ready_for(Stage.DOSSIER, tree["ward1_cell"])
    response = organiser_client.post(
        move_url(candidate, Stage.DOSSIER),
        {
            "application_on": "01/02/2026",
            "application_ref": "M1",
            "personal_history_on": "02/02/2026",
            "personal_history_ref": "M2",
            "background_check_on": "03/03/2026",
            "background_check_ref": "TT-7",
            "youth_union_resolution_on": "",
            "youth_union_resolution_ref": "",
            "reason": "",
        },
    )
    assert response.status_code == 302
    candidate.refresh_from_db()
    assert candidate.stage == Stage.DOSSIER
    assert (candidate.personal_history_on, candidate.background_check_on) == (
        date(2026, 2, 2),
        date(2026, 3, 3),
    )
    assert candidate.background_check_ref == "TT-7"


def test_dossier_date_in_the_future_is_refused_on_its_field(organiser_client, tree):
    candidate = ready_for(Stage.DOSSIER, tree["ward1_cell"])
    response = organiser_client.post(
        move_url(candidate, Stage.DOSSIER),
        {
            "application_on": "01/02/2026",
            "personal_history_on": "01/02/2026",
            "background_check_on": "01/01/2099",
            "reason": "",
        },
    )
    assert response.status_code == 200
    assert "background_check_on" in response.context["form"].errors
    fresh = assert_nothing_saved(candidate, Stage.TRAINED)
    assert fresh.background_check_on == date(2026, 3, 1)


def test_proposal_with_the_cell_resolution(organiser_client, tree):
    candidate = ready_for(Stage.PROPOSED, tree["ward1_cell"])
    response = organiser_client.post(
        move_url(candidate, Stage.PROPOSED),
        {
            "cell_resolution_on": "01/04/2026",
            "cell_resolution_ref": "NQ-6",
            "votes_for": "3",
            "votes_total": "3",
            "reason": "",
        },
    )
    assert response.status_code == 302
    candidate.refresh_from_db()
    assert (candidate.stage, candidate.stage_since) == (Stage.PROPOSED, date(2026, 4, 1))
    assert (candidate.votes_for, candidate.votes_total) == (3, 3)


def test_proposal_of_a_candidate_under_18_is_refused(organiser_client, tree):
    candidate = ready_for(Stage.PROPOSED, tree["ward1_cell"], date_of_birth=date(2008, 6, 1))
    response = english(organiser_client).post(
        move_url(candidate, Stage.PROPOSED),
        {"cell_resolution_on": "01/04/2026", "votes_for": "3", "votes_total": "3", "reason": ""},
    )
    assert response.status_code == 200
    errors = " ".join(response.context["form"].non_field_errors())
    assert "17 years 10 months old" in errors
    assert "from 18 to 60" in errors
    fresh = assert_nothing_saved(candidate, Stage.DOSSIER)
    assert fresh.cell_resolution_on is None and fresh.votes_for is None


def test_proposal_with_too_few_votes_is_refused_on_the_votes(organiser_client, tree):
    candidate = ready_for(Stage.PROPOSED, tree["ward1_cell"])
    response = organiser_client.post(
        move_url(candidate, Stage.PROPOSED),
        {"cell_resolution_on": "01/04/2026", "votes_for": "1", "votes_total": "3", "reason": ""},
    )
    assert response.status_code == 200
    assert "votes_for" in response.context["form"].errors
    assert_nothing_saved(candidate, Stage.DOSSIER)


def test_admission_creates_the_probationary_member(organiser_client, organiser, tree):
    candidate = ready_for(Stage.ADMITTED, tree["ward1_cell"], full_name="Nguyễn Đức Toàn")
    response = english(organiser_client).post(move_url(candidate, Stage.ADMITTED), admission())
    assert response.status_code == 302
    assert response.url == detail_url(candidate)
    candidate.refresh_from_db()
    assert candidate.stage == Stage.ADMITTED
    assert (candidate.decision_number, candidate.decision_on, candidate.ceremony_on) == (
        "12-QĐ/ĐU",
        date(2026, 5, 4),
        date(2026, 5, 19),
    )
    assert candidate.stage_since == date(2026, 5, 4)  # the decision's date, not today
    member = PartyMember.objects.get(candidate=candidate)
    assert (member.admitted_on, member.official_on, member.unit) == (
        date(2026, 5, 4),
        None,
        tree["ward1_cell"],
    )
    change = StageChange.objects.get(candidate=candidate)
    assert (change.to_stage, change.by, change.on) == (Stage.ADMITTED, organiser, date(2026, 5, 4))
    assert messages_of(response) == ["Nguyễn Đức Toàn moved to “Admitted (probationary)”."]


def _refused_admission(client, candidate, **data):
    response = english(client).post(move_url(candidate, Stage.ADMITTED), admission(**data))
    assert response.status_code == 200
    fresh = assert_nothing_saved(candidate, Stage.PROPOSED)
    assert (fresh.decision_on, fresh.decision_number, fresh.ceremony_on) == (None, "", None)
    assert not PartyMember.objects.filter(candidate=candidate).exists()
    return response.context["form"].errors


def test_admission_decision_before_the_cell_resolution_is_refused(organiser_client, tree):
    candidate = ready_for(Stage.ADMITTED, tree["ward1_cell"])  # resolution 01/04/2026
    errors = _refused_admission(organiser_client, candidate, decision_on="31/03/2026")
    assert errors["decision_on"] == [
        "The admission decision cannot come before the cell resolution (01/04/2026)."
    ]


def test_admission_ceremony_before_the_decision_is_refused(organiser_client, tree):
    candidate = ready_for(Stage.ADMITTED, tree["ward1_cell"])
    errors = _refused_admission(organiser_client, candidate, ceremony_on="03/05/2026")
    assert errors["ceremony_on"] == ["The admission ceremony cannot come before the decision."]


def test_admission_decision_in_the_future_is_refused(organiser_client, tree):
    candidate = ready_for(Stage.ADMITTED, tree["ward1_cell"])
    errors = _refused_admission(
        organiser_client, candidate, decision_on="01/01/2099", ceremony_on=""
    )
    assert "decision_on" in errors


def test_admission_without_the_decision_lists_each_missing_field(organiser_client, tree):
    candidate = ready_for(Stage.ADMITTED, tree["ward1_cell"])
    errors = _refused_admission(
        organiser_client, candidate, decision_number="", decision_on="", ceremony_on=""
    )
    assert set(errors) == {"decision_number", "decision_on"}


@pytest.mark.parametrize(
    "data",
    [
        {"decision_on": "2026-13-45"},
        {"decision_on": "32/05/2026"},
        {"ceremony_on": "tomorrow"},
    ],
)
def test_garbled_dates_are_form_errors_not_server_errors(organiser_client, tree, data):
    candidate = ready_for(Stage.ADMITTED, tree["ward1_cell"])
    errors = _refused_admission(organiser_client, candidate, **data)
    assert errors[next(iter(data))] == ["Enter a date as dd/mm/yyyy."]


def test_garbled_number_is_a_form_error(organiser_client, tree):
    candidate = ready_for(Stage.PROPOSED, tree["ward1_cell"])
    response = organiser_client.post(
        move_url(candidate, Stage.PROPOSED),
        {"cell_resolution_on": "01/04/2026", "votes_for": "abc", "votes_total": "3"},
    )
    assert response.status_code == 200
    assert "votes_for" in response.context["form"].errors
    assert_nothing_saved(candidate, Stage.DOSSIER)


def test_recognition_makes_the_member_official(organiser_client, tree):
    candidate = ready_for(Stage.RECOGNISED, tree["ward1_cell"])  # ceremony 01/06/2025
    response = organiser_client.post(
        move_url(candidate, Stage.RECOGNISED), {"recognition_resolution_on": "01/06/2026"}
    )
    assert response.status_code == 302
    assert Candidate.objects.get(pk=candidate.pk).stage == Stage.RECOGNISED
    assert PartyMember.objects.get(candidate=candidate).official_on == date(2026, 6, 1)


def test_recognition_before_twelve_months_is_refused(organiser_client, tree):
    candidate = ready_for(Stage.RECOGNISED, tree["ward1_cell"])
    response = organiser_client.post(
        move_url(candidate, Stage.RECOGNISED), {"recognition_resolution_on": "31/05/2026"}
    )
    assert response.status_code == 200
    assert "recognition_resolution_on" in response.context["form"].errors
    assert_nothing_saved(candidate, Stage.ADMITTED)
    assert PartyMember.objects.get(candidate=candidate).official_on is None


# --- back and out ---------------------------------------------------------------------------


def test_moving_back_asks_for_a_reason(organiser_client, tree):
    candidate = CandidateFactory(unit=tree["ward1_cell"], stage=Stage.DOSSIER)
    response = english(organiser_client).get(move_url(candidate, Stage.TRAINED))
    assert response.context["kind"] == "back"
    assert response.context["form"].fields["reason"].required
    response = organiser_client.post(move_url(candidate, Stage.TRAINED), {"reason": "  "})
    assert response.status_code == 200
    assert "reason" in response.context["form"].errors
    assert_nothing_saved(candidate, Stage.DOSSIER)


def test_moving_back_with_a_reason_records_it(organiser_client, organiser, tree):
    candidate = CandidateFactory(unit=tree["ward1_cell"], stage=Stage.DOSSIER)
    response = organiser_client.post(
        move_url(candidate, Stage.TRAINED), {"reason": "Hồ sơ thiếu lý lịch"}
    )
    assert response.status_code == 302
    assert Candidate.objects.get(pk=candidate.pk).stage == Stage.TRAINED
    change = StageChange.objects.get(candidate=candidate)
    assert (change.from_stage, change.to_stage, change.by, change.reason) == (
        Stage.DOSSIER,
        Stage.TRAINED,
        organiser,
        "Hồ sơ thiếu lý lịch",
    )


@pytest.mark.parametrize(
    ("from_stage", "to_stage"),
    [
        (Stage.TRAINED, Stage.WITHDRAWN),
        (Stage.ADMITTED, Stage.DROPPED_OUT),
        (Stage.ADMITTED, Stage.STRUCK_OFF),
    ],
)
def test_leaving_asks_for_confirmation_and_a_reason(organiser_client, tree, from_stage, to_stage):
    candidate = CandidateFactory(unit=tree["ward1_cell"], stage=from_stage)
    response = english(organiser_client).get(move_url(candidate, to_stage))
    assert response.context["kind"] == "exit"
    assert "Are you sure?" in response.content.decode()
    response = organiser_client.post(move_url(candidate, to_stage), {"reason": ""})
    assert response.status_code == 200
    assert "reason" in response.context["form"].errors
    fresh = assert_nothing_saved(candidate, from_stage)
    assert (fresh.exit_on, fresh.exit_reason) == (None, "")


def test_withdrawing_records_the_reason_and_the_day(organiser_client, tree):
    candidate = CandidateFactory(unit=tree["ward1_cell"], stage=Stage.TRAINED)
    response = organiser_client.post(move_url(candidate, Stage.WITHDRAWN), {"reason": "Đi làm xa"})
    assert response.status_code == 302
    candidate.refresh_from_db()
    assert candidate.stage == Stage.WITHDRAWN
    assert (candidate.exit_on, candidate.exit_reason) == (timezone.localdate(), "Đi làm xa")
    assert StageChange.objects.get(candidate=candidate).reason == "Đi làm xa"


@pytest.mark.parametrize("to_stage", [Stage.DROPPED_OUT, Stage.STRUCK_OFF])
def test_leaving_after_admission_records_the_member_leaving(organiser_client, tree, to_stage):
    candidate = ready_for(Stage.RECOGNISED, tree["ward1_cell"], stage=Stage.ADMITTED)
    response = organiser_client.post(move_url(candidate, to_stage), {"reason": "Bỏ sinh hoạt"})
    assert response.status_code == 302
    assert Candidate.objects.get(pk=candidate.pk).stage == to_stage
    member = PartyMember.objects.get(candidate=candidate)
    assert (member.left_on, member.left_reason) == (timezone.localdate(), "Bỏ sinh hoạt")


def test_staff_of_the_city_may_move_a_ward_candidate(staff_client, tree):
    candidate = CandidateFactory(unit=tree["ward1_cell"], stage=Stage.DOSSIER)
    response = staff_client.post(move_url(candidate, Stage.TRAINED), {"reason": "Bổ sung"})
    assert response.status_code == 302
    assert Candidate.objects.get(pk=candidate.pk).stage == Stage.TRAINED


@on_today
def test_a_move_back_does_not_undo_a_correction_saved_after_the_page_opened(organiser_client, tree):
    """A move back writes the step's paperwork as its page showed it: a correction saved
    meanwhile (by staff, or in another tab) was silently undone."""
    candidate = ready_for(
        Stage.ADMITTED, tree["ward1_cell"], stage=Stage.PROPOSED, application_ref="A-1"
    )
    page = organiser_client.get(move_url(candidate, Stage.DOSSIER))
    opened = page.context["form"].initial["version"]
    corrected = Candidate.objects.get(pk=candidate.pk)
    corrected.application_ref = "A-1/corrected"
    corrected.save()  # what the correction page does, a version further
    data = {
        "application_on": "01/02/2026",
        "application_ref": "A-1",
        "personal_history_on": "01/02/2026",
        "background_check_on": "01/03/2026",
        "reason": "the cell asks for the dossier again",
        "version": opened,
    }
    response = english(organiser_client).post(move_url(candidate, Stage.DOSSIER), data)
    assert response.status_code == 200
    assert "was changed after you opened this page" in response.text
    candidate.refresh_from_db()
    assert (candidate.stage, candidate.application_ref) == (Stage.PROPOSED, "A-1/corrected")
    data["version"] = candidate.version  # opened again: the move goes through
    assert organiser_client.post(move_url(candidate, Stage.DOSSIER), data).status_code == 302
