"""An ended class takes past results, given at once (issue 10 §2): the candidate is enrolled
with the result, the steps are recorded from the file, and the class page shows the result.
A new enrolment without a result stays refused."""

from datetime import date

import pytest
from django.urls import reverse

from recruitment.models import Candidate, Enrolment, Stage
from tests.factories import CandidateFactory, TrainingClassFactory
from tests.helpers import english, messages_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def ended(tree):
    return TrainingClassFactory(
        unit=tree["city"], title="Lớp 2025", starts_on=date(2025, 1, 6), ends_on=date(2025, 1, 17)
    )


def post(client, training_class, **data):
    return english(client).post(
        reverse("recruitment:class-past-result", args=[training_class.pk]), data
    )


def test_a_past_pass_enrols_and_moves_the_candidate_to_trained(organiser_client, tree, ended):
    candidate = CandidateFactory(
        unit=tree["ward1_cell"], full_name="Đã Học", stage_since=date(2024, 12, 1)
    )
    response = post(
        organiser_client,
        ended,
        candidate=candidate.pk,
        result="passed",
        certificate_number="CN-25",
        certificate_on="20/01/2025",
    )
    assert response.status_code == 302
    assert messages_of(response) == ["The result of Đã Học in “Lớp 2025” was recorded: passed."]
    enrolment = Enrolment.objects.get()
    assert (enrolment.result, enrolment.certificate_number) == ("passed", "CN-25")
    candidate.refresh_from_db()
    assert candidate.stage == Stage.TRAINED
    assert candidate.stage_since == date(2025, 1, 20)
    steps = candidate.stage_changes.order_by("at", "pk")
    assert [(c.to_stage, c.on, c.from_paper) for c in steps] == [
        (Stage.TRAINING, date(2025, 1, 6), True),
        (Stage.TRAINED, date(2025, 1, 20), True),
    ]
    page = english(organiser_client).get(reverse("recruitment:class-detail", args=[ended.pk]))
    assert "Đã Học" in page.text and "CN-25" in page.text


def test_a_past_result_is_never_dated_before_the_candidate_entered_the_list(
    organiser_client, tree, ended
):
    candidate = CandidateFactory(unit=tree["ward1_cell"], stage_since=date(2025, 6, 1))
    response = post(
        organiser_client,
        ended,
        candidate=candidate.pk,
        result="failed",
    )
    assert response.status_code == 302
    candidate.refresh_from_db()
    assert (candidate.stage, candidate.stage_since) == (Stage.TRAINING, date(2025, 6, 1))
    assert Enrolment.objects.get().result == "failed"


def test_a_pass_needs_its_certificate(organiser_client, tree, ended):
    candidate = CandidateFactory(unit=tree["ward1_cell"])
    response = post(organiser_client, ended, candidate=candidate.pk, result="passed")
    assert response.status_code == 200
    errors = response.context["past_form"].errors
    assert errors["certificate_number"] == ["A pass needs the certificate number."]
    assert not Enrolment.objects.exists()
    assert Candidate.objects.get().stage == Stage.SOURCE


def test_an_open_class_takes_no_past_result(organiser_client, tree):
    today_class = TrainingClassFactory(
        unit=tree["ward1"], starts_on=date(2020, 1, 1), ends_on=date(2099, 1, 1)
    )
    candidate = CandidateFactory(unit=tree["ward1_cell"])
    response = post(organiser_client, today_class, candidate=candidate.pk, result="failed")
    assert response.status_code == 200
    assert "This class has not ended" in response.text
    assert not Enrolment.objects.exists()


def test_the_ended_class_page_offers_past_results_not_enrolment(organiser_client, tree, ended):
    CandidateFactory(unit=tree["ward1_cell"])
    page = english(organiser_client).get(reverse("recruitment:class-detail", args=[ended.pk]))
    assert 'id="past-result"' in page.text
    assert 'id="enrol-submit"' not in page.text


def test_a_candidate_of_another_ward_cannot_be_chosen(organiser_client, tree, ended):
    outsider = CandidateFactory(unit=tree["ward3_cell"])
    response = post(organiser_client, ended, candidate=outsider.pk, result="failed")
    assert response.status_code == 200
    assert "candidate" in response.context["past_form"].errors
    assert not Enrolment.objects.exists()
