"""The candidate form normalises what people type and guards what must not change."""

from datetime import date

import pytest
from django.urls import reverse

from recruitment.models import Candidate, Stage
from tests.factories import CandidateFactory

pytestmark = pytest.mark.django_db


def form_data(unit, **overrides):
    data = {
        "full_name": "Trần Văn Nam",
        "date_of_birth": "20/05/1995",
        "gender": "male",
        "ethnicity": "Kinh",
        "unit": unit.pk,
        "source": "association",
        "education": "upper_secondary",
    }
    data.update(overrides)
    return data


def test_full_width_and_spaced_digits_become_a_plain_citizen_id(tree, organiser_client):
    data = form_data(tree["ward1_cell"], citizen_id="０９３ ０９５ ０００ ３０１")
    response = organiser_client.post(reverse("recruitment:candidate-create"), data)
    assert response.status_code == 302
    assert Candidate.objects.get().citizen_id == "093095000301"


@pytest.mark.parametrize("typed", ["09309500030", "0930950003011", "09309500030a", "٠٩٣٠٩٥٠٠٠٣٠١x"])
def test_a_citizen_id_that_is_not_twelve_digits_is_refused(tree, organiser_client, typed):
    data = form_data(tree["ward1_cell"], citizen_id=typed)
    response = organiser_client.post(reverse("recruitment:candidate-create"), data)
    assert response.status_code == 200 and "citizen_id" in response.context["form"].errors
    assert not Candidate.objects.exists()


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("dân tộc Khmer", "Khmer"), ("kinh ", "Kinh"), ("Dân Tộc kinh", "Kinh"), ("hoa", "Hoa")],
)
def test_ethnicity_is_stored_in_one_spelling(tree, organiser_client, typed, stored):
    data = form_data(tree["ward1_cell"], ethnicity=typed)
    assert organiser_client.post(reverse("recruitment:candidate-create"), data).status_code == 302
    assert Candidate.objects.get().ethnicity == stored


@pytest.mark.parametrize("typed", ["Không", "không có", "  ", "-"])
def test_no_religion_written_in_words_is_no_religion(tree, organiser_client, typed):
    data = form_data(tree["ward1_cell"], religion=typed)
    assert organiser_client.post(reverse("recruitment:candidate-create"), data).status_code == 302
    assert Candidate.objects.get().religion == ""


def test_organisers_never_see_the_recorded_citizen_id_and_keep_it_by_leaving_it_empty(
    tree, organiser_client
):
    candidate = CandidateFactory(unit=tree["ward1_cell"], citizen_id="093095000301")
    url = reverse("recruitment:candidate-edit", args=[candidate.pk])
    page = organiser_client.get(url).text
    assert "093095000301" not in page and "0301" in page
    response = organiser_client.post(url, form_data(tree["ward1_cell"], citizen_id=""))
    assert response.status_code == 302
    assert Candidate.objects.get().citizen_id == "093095000301"


def test_staff_see_and_may_clear_the_citizen_id(tree, staff_client):
    candidate = CandidateFactory(unit=tree["ward1_cell"], citizen_id="093095000301")
    url = reverse("recruitment:candidate-edit", args=[candidate.pk])
    assert "093095000301" in staff_client.get(url).text
    staff_client.post(url, form_data(tree["ward1_cell"], citizen_id=""))
    assert Candidate.objects.get().citizen_id is None


def test_unit_and_birth_date_are_fixed_once_the_cell_has_voted(tree, organiser_client):
    candidate = CandidateFactory(
        unit=tree["ward1_cell"], stage=Stage.ADMITTED, date_of_birth=date(1995, 5, 20)
    )
    url = reverse("recruitment:candidate-edit", args=[candidate.pk])
    data = form_data(tree["ward1"], date_of_birth="01/01/2000", full_name="Tên mới")
    assert organiser_client.post(url, data).status_code == 302
    candidate.refresh_from_db()
    assert candidate.full_name == "Tên mới"
    assert (candidate.unit, candidate.date_of_birth) == (tree["ward1_cell"], date(1995, 5, 20))


def test_sorting_by_stage_follows_the_pipeline(tree, organiser_client):
    for stage in [Stage.ADMITTED, Stage.SOURCE, Stage.DOSSIER, Stage.TRAINED]:
        CandidateFactory(unit=tree["ward1_cell"], stage=stage, full_name=f"Người {stage}")
    response = organiser_client.get(reverse("recruitment:candidate-list"), {"sort": "stage"})
    stages = [c.stage for c in response.context["candidates"]]
    assert stages == [Stage.SOURCE, Stage.TRAINED, Stage.DOSSIER, Stage.ADMITTED]
    response = organiser_client.get(reverse("recruitment:candidate-list"), {"sort": "-stage"})
    assert [c.stage for c in response.context["candidates"]] == stages[::-1]


def test_a_youth_union_source_makes_a_youth_union_member(tree, organiser_client):
    data = form_data(tree["ward1_cell"], source="youth_union")
    assert organiser_client.post(reverse("recruitment:candidate-create"), data).status_code == 302
    assert Candidate.objects.get().youth_union_member is True


def test_religion_and_ethnicity_are_normalised_whoever_saves(tree):
    candidate = CandidateFactory(
        unit=tree["ward1_cell"], religion="Không", ethnicity="dân tộc kinh"
    )
    assert (candidate.religion, candidate.ethnicity) == ("", "Kinh")


def test_the_edit_page_keeps_the_education_the_cell_voted_on(tree, organiser_client):
    """The proposal checks the education; after the vote the edit page could lower it with
    no rule re-run and no reason. It is corrected on the correction page now, by staff."""
    candidate = CandidateFactory(
        unit=tree["ward1_cell"],
        stage=Stage.PROPOSED,
        cell_resolution_on=date(2026, 4, 1),
        votes_for=3,
        votes_total=3,
    )
    data = form_data(
        tree["ward1_cell"],
        full_name=candidate.full_name,
        education="primary",
        version=candidate.version,
    )
    organiser_client.post(reverse("recruitment:candidate-edit", args=[candidate.pk]), data)
    candidate.refresh_from_db()
    assert candidate.education != "primary"
