"""Mentors and introducers: /candidates/<pk>/sponsors/new/ and .../sponsors/<id>/remove/."""

from datetime import date

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from recruitment.models import Sponsorship
from tests.factories import CandidateFactory, PartyMemberFactory, mentor
from tests.helpers import english, messages_of

pytestmark = pytest.mark.django_db


def add_url(candidate):
    return reverse("recruitment:candidate-sponsor-add", args=[candidate.pk])


def remove_url(candidate, sponsorship):
    return reverse("recruitment:candidate-sponsor-remove", args=[candidate.pk, sponsorship.pk])


def sponsor_data(member, role=Sponsorship.Role.MENTOR, **overrides) -> dict:
    data = {
        "role": role,
        "member": member.pk,
        "assigned_on": "01/03/2026",
        "known_since": "",
        "reference": "",
    }
    data.update(overrides)
    return data


@pytest.fixture
def candidate(tree):
    return CandidateFactory(unit=tree["ward1_cell"], full_name="Lê Thị Hoa")


@pytest.fixture
def official(tree):
    return PartyMemberFactory(unit=tree["ward1"], full_name="Trần Văn Kèm")


# --- access ---------------------------------------------------------------------------------


def test_anonymous_is_sent_to_login(client, candidate, official):
    url = add_url(candidate)
    response = client.get(url)
    assert response.status_code == 302
    assert response.url == f"{reverse('accounts:login')}?next={url}"
    response = client.post(url, sponsor_data(official))
    assert response.status_code == 302
    assert not Sponsorship.objects.exists()


def test_anonymous_cannot_remove(client, candidate):
    sponsorship = mentor(candidate)
    response = client.post(remove_url(candidate, sponsorship))
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))
    sponsorship.refresh_from_db()
    assert sponsorship.ended_on is None


def test_outsider_gets_404_on_the_form(other_organiser_client, candidate):
    assert other_organiser_client.get(add_url(candidate)).status_code == 404


def test_outsider_post_gets_404_and_adds_nothing(other_organiser_client, tree, candidate):
    their_member = PartyMemberFactory(unit=tree["ward3"])
    response = other_organiser_client.post(add_url(candidate), sponsor_data(their_member))
    assert response.status_code == 404
    assert not Sponsorship.objects.exists()


def test_outsider_cannot_remove(other_organiser_client, candidate):
    sponsorship = mentor(candidate)
    response = other_organiser_client.post(remove_url(candidate, sponsorship))
    assert response.status_code == 404
    sponsorship.refresh_from_db()
    assert sponsorship.ended_on is None


# --- add ------------------------------------------------------------------------------------


def test_only_official_members_of_the_subtree_are_offered(organiser_client, tree, candidate):
    official_ward = PartyMemberFactory(unit=tree["ward1"])
    official_cell = PartyMemberFactory(unit=tree["ward1_cell"])
    PartyMemberFactory(unit=tree["ward1_cell"], official_on=None)  # probationary
    PartyMemberFactory(unit=tree["ward1_cell"], left_on=date(2025, 1, 1))  # departed
    PartyMemberFactory(  # official only in the future
        unit=tree["ward1"], admitted_on=date(2098, 1, 1), official_on=date(2099, 1, 1)
    )
    PartyMemberFactory(unit=tree["ward3_cell"])  # another ward
    PartyMemberFactory(unit=tree["city"])  # above the user's unit
    PartyMemberFactory(unit=tree["other_cell"])  # another city
    response = organiser_client.get(add_url(candidate))
    assert response.status_code == 200
    offered = set(response.context["form"].fields["member"].queryset)
    assert offered == {official_ward, official_cell}


def test_the_role_can_be_chosen_from_the_link(organiser_client, candidate):
    response = organiser_client.get(add_url(candidate), {"role": "introducer"})
    assert response.context["form"]["role"].value() == "introducer"
    response = organiser_client.get(add_url(candidate), {"role": "boss"})
    assert response.context["form"]["role"].value() == ""


def test_adding_a_mentor_saves_it_and_says_so(organiser_client, candidate, official):
    response = english(organiser_client).post(
        add_url(candidate), sponsor_data(official, reference="QĐ-5")
    )
    assert response.status_code == 302
    assert response.url == reverse("recruitment:candidate-detail", args=[candidate.pk])
    sponsorship = Sponsorship.objects.get()
    assert (sponsorship.candidate, sponsorship.member, sponsorship.role) == (
        candidate,
        official,
        Sponsorship.Role.MENTOR,
    )
    assert (sponsorship.assigned_on, sponsorship.reference) == (date(2026, 3, 1), "QĐ-5")
    assert messages_of(response) == ["Trần Văn Kèm is now mentor of Lê Thị Hoa."]


def test_adding_an_introducer_records_since_when_they_know_the_candidate(
    organiser_client, candidate, official
):
    response = organiser_client.post(
        add_url(candidate),
        sponsor_data(official, Sponsorship.Role.INTRODUCER, known_since="15/01/2020"),
    )
    assert response.status_code == 302
    assert Sponsorship.objects.get().known_since == date(2020, 1, 15)


def test_an_introducer_needs_since_when(organiser_client, candidate, official):
    response = organiser_client.post(
        add_url(candidate), sponsor_data(official, Sponsorship.Role.INTRODUCER)
    )
    assert response.status_code == 200
    assert "known_since" in response.context["form"].errors
    assert not Sponsorship.objects.exists()


def test_known_since_in_the_future_is_refused(organiser_client, candidate, official):
    response = organiser_client.post(
        add_url(candidate),
        sponsor_data(official, Sponsorship.Role.INTRODUCER, known_since="01/01/2099"),
    )
    assert "known_since" in response.context["form"].errors
    assert not Sponsorship.objects.exists()


@pytest.mark.parametrize("unit", ["ward3_cell", "city", "other_cell"])
def test_a_member_outside_the_subtree_is_refused(organiser_client, tree, candidate, unit):
    stranger = PartyMemberFactory(unit=tree[unit])
    response = organiser_client.post(add_url(candidate), sponsor_data(stranger))
    assert response.status_code == 200
    assert "member" in response.context["form"].errors
    assert not Sponsorship.objects.exists()


def test_a_probationary_member_is_refused(organiser_client, tree, candidate):
    probationary = PartyMemberFactory(unit=tree["ward1"], official_on=None)
    response = organiser_client.post(add_url(candidate), sponsor_data(probationary))
    assert "member" in response.context["form"].errors
    assert not Sponsorship.objects.exists()


@pytest.mark.parametrize("member_id", ["999999", "abc", ""])
def test_a_tampered_member_id_is_a_form_error(organiser_client, candidate, member_id):
    data = {"role": "mentor", "member": member_id, "assigned_on": "01/03/2026"}
    response = organiser_client.post(add_url(candidate), data)
    assert response.status_code == 200
    assert "member" in response.context["form"].errors
    assert not Sponsorship.objects.exists()


def test_a_tampered_role_is_a_form_error(organiser_client, candidate, official):
    response = organiser_client.post(add_url(candidate), sponsor_data(official, role="boss"))
    assert response.status_code == 200
    assert "role" in response.context["form"].errors
    assert not Sponsorship.objects.exists()


def test_the_same_member_cannot_hold_the_same_role_twice(organiser_client, candidate, official):
    mentor(candidate, official)
    response = english(organiser_client).post(add_url(candidate), sponsor_data(official))
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "This member already has this role for the candidate."
    ]
    assert Sponsorship.objects.count() == 1


def test_the_same_member_may_be_mentor_and_introducer(organiser_client, candidate, official):
    mentor(candidate, official)
    response = organiser_client.post(
        add_url(candidate),
        sponsor_data(official, Sponsorship.Role.INTRODUCER, known_since="01/01/2020"),
    )
    assert response.status_code == 302
    assert Sponsorship.objects.count() == 2


def test_a_mentor_whose_role_ended_can_be_assigned_again(organiser_client, candidate, official):
    """A mentor who stepped down and comes back: the form allows it, so must the save."""
    ended = mentor(candidate, official)
    ended.ended_on = date(2026, 2, 1)
    ended.save()
    response = organiser_client.post(add_url(candidate), sponsor_data(official))
    assert response.status_code == 302
    assert candidate.sponsorships.filter(member=official, ended_on__isnull=True).count() == 1


# --- remove ---------------------------------------------------------------------------------


def test_removing_ends_the_role_today_and_says_so(organiser_client, candidate, official):
    sponsorship = mentor(candidate, official)
    response = english(organiser_client).post(remove_url(candidate, sponsorship))
    assert response.status_code == 302
    assert response.url == reverse("recruitment:candidate-detail", args=[candidate.pk])
    sponsorship.refresh_from_db()
    assert sponsorship.ended_on == timezone.localdate()
    assert messages_of(response) == ["Trần Văn Kèm is no longer mentor of Lê Thị Hoa."]


def test_removing_needs_a_post(organiser_client, candidate):
    sponsorship = mentor(candidate)
    response = organiser_client.get(remove_url(candidate, sponsorship))
    assert response.status_code == 405
    sponsorship.refresh_from_db()
    assert sponsorship.ended_on is None


def test_removing_another_candidates_sponsor_is_404(organiser_client, tree, candidate):
    other = CandidateFactory(unit=tree["ward1_cell"])
    sponsorship = mentor(other)
    response = organiser_client.post(remove_url(candidate, sponsorship))
    assert response.status_code == 404
    sponsorship.refresh_from_db()
    assert sponsorship.ended_on is None


def test_removing_an_ended_role_again_is_404(organiser_client, candidate):
    sponsorship = mentor(candidate)
    sponsorship.ended_on = date(2026, 2, 1)
    sponsorship.save()
    response = organiser_client.post(remove_url(candidate, sponsorship))
    assert response.status_code == 404
    sponsorship.refresh_from_db()
    assert sponsorship.ended_on == date(2026, 2, 1)


def test_removing_an_unknown_sponsorship_is_404(organiser_client, candidate):
    url = f"/candidates/{candidate.pk}/sponsors/999999/remove/"
    assert organiser_client.post(url).status_code == 404


def test_remove_without_csrf_token_is_refused(organiser, candidate):
    sponsorship = mentor(candidate)
    client = Client(enforce_csrf_checks=True)
    client.force_login(organiser)
    response = client.post(remove_url(candidate, sponsorship))
    assert response.status_code == 403
    sponsorship.refresh_from_db()
    assert sponsorship.ended_on is None
