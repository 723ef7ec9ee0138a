"""The same person entered twice (issue 10 §5): a citizen ID (CCCD) or an old ID number
(CMND) on another record is refused, candidate or member, naming the unit only to those who
may see it; the same name and birth date asks for confirmation, across candidates and members."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from recruitment import services
from recruitment.models import Candidate, PartyMember
from tests.factories import CandidateFactory, PartyMemberFactory, on_today
from tests.helpers import english
from tests.test_candidate_views import CREATE_URL, candidate_data, edit_url
from tests.test_transfers import IN_URL, in_data

pytestmark = pytest.mark.django_db

MEMBER_CREATE_URL = reverse("recruitment:member-create")
ELSEWHERE = "already registered in another unit; ask the Organisation Board."


def member_data(unit, **overrides) -> dict:
    data = {
        "full_name": "Trương Văn Mới",
        "date_of_birth": "",
        "citizen_id": "",
        "old_id_number": "",
        "unit": unit.pk,
        "admitted_on": "01/02/2010",
        "official_on": "01/02/2011",
    }
    data.update(overrides)
    return data


def test_an_old_id_number_of_another_candidate_is_refused_naming_a_unit_in_sight(
    organiser_client, tree
):
    CandidateFactory(unit=tree["ward1_cell"], old_id_number="361234567")
    response = english(organiser_client).post(
        CREATE_URL, candidate_data(tree["ward1"], old_id_number="361 234 567")
    )
    assert response.status_code == 200
    assert response.context["form"].errors["old_id_number"] == [
        "This old ID number is already registered, in Chi bộ Khu vực 3."
    ]
    assert Candidate.objects.count() == 1


def test_an_old_id_number_elsewhere_is_refused_without_naming_the_unit(organiser_client, tree):
    CandidateFactory(unit=tree["ward3_cell"], old_id_number="361234567")
    response = english(organiser_client).post(
        CREATE_URL, candidate_data(tree["ward1"], old_id_number="361.234.567")
    )
    assert response.context["form"].errors["old_id_number"] == [
        f"This old ID number is {ELSEWHERE}"
    ]
    assert "Phường III" not in response.text
    assert Candidate.objects.count() == 1


@pytest.mark.parametrize("number", ["36123456", "3612345678", "36123456a", "٣٦١٢٣٤٥٦٧x"])
def test_an_old_id_number_is_nine_ascii_digits(organiser_client, tree, number):
    response = english(organiser_client).post(
        CREATE_URL, candidate_data(tree["ward1"], old_id_number=number)
    )
    assert "9 digits" in response.context["form"].errors["old_id_number"][0]
    assert not Candidate.objects.exists()


def test_an_old_id_number_is_stored_as_its_digits(organiser_client, tree):
    response = organiser_client.post(
        CREATE_URL, candidate_data(tree["ward1"], old_id_number="'361 234.567")
    )
    assert response.status_code == 302
    assert Candidate.objects.get().old_id_number == "361234567"


def test_a_candidate_with_a_members_citizen_id_is_refused(organiser_client, tree):
    PartyMemberFactory(unit=tree["other_cell"], citizen_id="093201004321")
    response = english(organiser_client).post(
        CREATE_URL, candidate_data(tree["ward1"], citizen_id="093201004321")
    )
    assert response.context["form"].errors["citizen_id"] == [f"This citizen ID is {ELSEWHERE}"]
    assert not Candidate.objects.exists()


def test_a_member_with_a_candidates_old_id_number_is_refused(organiser_client, tree):
    CandidateFactory(unit=tree["ward1_cell"], old_id_number="361234567")
    response = english(organiser_client).post(
        MEMBER_CREATE_URL, member_data(tree["ward1"], old_id_number="361234567")
    )
    assert response.status_code == 200
    assert response.context["form"].errors["old_id_number"] == [
        "This old ID number is already registered, in Chi bộ Khu vực 3."
    ]
    assert not PartyMember.objects.exists()


def test_the_service_refuses_a_taken_number_without_the_form(tree, organiser):
    PartyMemberFactory(unit=tree["ward3_cell"], citizen_id="093201004321")
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        services.create_member(
            by=organiser,
            full_name="Ai Đó",
            unit=tree["ward1"],
            admitted_on=date(2010, 1, 1),
            citizen_id="093201004321",
        )
    with translation.override("en"):
        assert refused.value.message_dict["citizen_id"] == [f"This citizen ID is {ELSEWHERE}"]
    assert PartyMember.objects.count() == 1


def test_a_candidate_and_the_member_it_became_are_one_person(organiser_client, staff_client, tree):
    candidate = CandidateFactory(unit=tree["ward1_cell"], citizen_id="093201004321")
    PartyMemberFactory(unit=tree["ward1_cell"], candidate=candidate, citizen_id="093201004321")
    response = staff_client.post(
        edit_url(candidate),
        candidate_data(tree["ward1_cell"], citizen_id="093201004321", version=candidate.version),
    )
    assert response.status_code == 302


def test_a_member_namesake_of_a_candidate_asks_for_confirmation(organiser_client, tree):
    CandidateFactory(
        unit=tree["ward3_cell"], full_name="Trương Văn Mới", date_of_birth=date(1980, 3, 4)
    )
    data = member_data(tree["ward1"], full_name="truong  van moi", date_of_birth="04/03/1980")
    response = english(organiser_client).post(MEMBER_CREATE_URL, data)
    assert response.status_code == 200
    assert "is already registered in another unit" in response.text
    assert 'type="checkbox" name="same_person_confirmed"' in response.text
    assert not PartyMember.objects.exists()
    confirmed = organiser_client.post(MEMBER_CREATE_URL, {**data, "same_person_confirmed": "on"})
    assert confirmed.status_code == 302
    assert PartyMember.objects.get().date_of_birth == date(1980, 3, 4)


def test_a_candidate_namesake_of_a_member_asks_for_confirmation(organiser_client, tree):
    PartyMemberFactory(
        unit=tree["ward1_cell"], full_name="Nguyễn Văn An", date_of_birth=date(1995, 5, 20)
    )
    response = english(organiser_client).post(
        CREATE_URL, candidate_data(tree["ward1"], date_of_birth="20/05/1995")
    )
    assert response.status_code == 200
    assert "is already registered in Chi bộ Khu vực 3" in response.text
    assert not Candidate.objects.exists()


def test_a_member_without_a_birth_date_is_no_namesake(organiser_client, tree):
    PartyMemberFactory(unit=tree["ward1_cell"], full_name="Nguyễn Văn An")
    response = organiser_client.post(
        CREATE_URL, candidate_data(tree["ward1"], date_of_birth="20/05/1995")
    )
    assert response.status_code == 302


def test_lists_find_an_old_id_number_typed_in_full(organiser_client, tree):
    CandidateFactory(unit=tree["ward1_cell"], full_name="Có Số Cũ", old_id_number="361234567")
    CandidateFactory(unit=tree["ward1_cell"], full_name="Không Có")
    PartyMemberFactory(
        unit=tree["ward1_cell"], full_name="Đảng Viên Số Cũ", old_id_number="361234568"
    )
    candidates = organiser_client.get(reverse("recruitment:candidate-list"), {"q": "361 234 567"})
    assert [c.full_name for c in candidates.context["candidates"]] == ["Có Số Cũ"]
    members = organiser_client.get(reverse("recruitment:member-list"), {"q": "361234568"})
    assert [m.full_name for m in members.context["members"]] == ["Đảng Viên Số Cũ"]
    # Organisers see numbers masked: the last digits alone find nothing.
    partial = organiser_client.get(reverse("recruitment:candidate-list"), {"q": "4567"})
    assert list(partial.context["candidates"]) == []


def test_organisers_see_a_members_numbers_masked(organiser_client, staff_client, tree):
    member = PartyMemberFactory(
        unit=tree["ward1_cell"], citizen_id="093201004321", old_id_number="361234567"
    )
    page = organiser_client.get(member.get_absolute_url()).text
    assert "093201004321" not in page and "4321" in page
    assert "361234567" not in page and "4567" in page
    staff_page = staff_client.get(member.get_absolute_url()).text
    assert "093201004321" in staff_page and "361234567" in staff_page


@on_today
def test_a_member_transferred_in_with_a_taken_number_is_refused(organiser_client, tree):
    CandidateFactory(unit=tree["ward3_cell"], citizen_id="093201004321")
    data = in_data(tree["ward1_cell"], citizen_id="0932 0100 4321", date_of_birth="01/01/1980")
    response = english(organiser_client).post(IN_URL, data)
    assert response.status_code == 200
    assert response.context["form"].errors["citizen_id"] == [f"This citizen ID is {ELSEWHERE}"]
    assert not PartyMember.objects.exists()
    accepted = organiser_client.post(IN_URL, {**data, "citizen_id": "093201009999"})
    assert accepted.status_code == 302
    arrived = PartyMember.objects.get()
    assert (arrived.citizen_id, arrived.date_of_birth) == ("093201009999", date(1980, 1, 1))
