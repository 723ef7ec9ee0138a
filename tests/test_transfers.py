"""Transfers in and out (chuyển sinh hoạt đảng): services.transfer_in / transfer_out and the
member's pages that record them."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from recruitment import services
from recruitment.models import PartyMember, Sponsorship, Transfer
from tests.factories import (
    CandidateFactory,
    PartyMemberFactory,
    admitted_member,
    mentor,
    on_today,
)
from tests.helpers import english, messages_of

pytestmark = pytest.mark.django_db

IN_URL = reverse("recruitment:member-transfer-in")


def out_url(member):
    return reverse("recruitment:member-transfer-out", args=[member.pk])


def back_url(member):
    return reverse("recruitment:member-transfer-back", args=[member.pk])


@pytest.fixture
def member(tree):
    return PartyMemberFactory(
        unit=tree["ward1_cell"],
        full_name="Trần Văn Kèm",
        admitted_on=date(2015, 2, 3),
        official_on=date(2016, 2, 3),
    )


def out_data(**overrides) -> dict:
    data = {"on": "01/06/2026", "to_unit": "", "to_place": "", "document_number": "", "note": ""}
    data.update(overrides)
    return data


def in_data(unit, **overrides) -> dict:
    data = {
        "full_name": "Phạm Thị Đến",
        "admitted_on": "10/10/2012",
        "official_on": "10/10/2013",
        "unit": unit.pk,
        "on": "01/05/2026",
        "from_place": "Chi bộ Khu vực 2, phường Lái Hiếu",
        "document_number": "15-GGT/ĐU",
        "note": "",
    }
    data.update(overrides)
    return data


# --- transfer in --------------------------------------------------------------------------------


@on_today
def test_a_mentor_who_transferred_in_can_be_assigned(organiser_client, tree):
    response = organiser_client.post(IN_URL, in_data(tree["ward1_cell"]))
    member = PartyMember.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("recruitment:member-detail", args=[member.pk])
    transfer = member.transfers.get()
    assert (transfer.direction, transfer.on, transfer.from_place, transfer.to_unit) == (
        Transfer.Direction.IN,
        date(2026, 5, 1),
        "Chi bộ Khu vực 2, phường Lái Hiếu",
        tree["ward1_cell"],
    )
    assert transfer.from_unit is None and transfer.by.username == "alice"
    assert messages_of(response) == ["Đã nhận Phạm Thị Đến chuyển sinh hoạt đến Chi bộ Khu vực 3."]
    candidate = CandidateFactory(unit=tree["ward1_cell"])
    organiser_client.post(
        reverse("recruitment:candidate-sponsor-add", args=[candidate.pk]),
        {"role": "mentor", "member": member.pk, "assigned_on": "02/06/2026"},
    )
    assert Sponsorship.objects.get(candidate=candidate).member == member


def test_the_place_of_origin_is_words_never_a_unit_choice(organiser_client, tree):
    form = organiser_client.get(IN_URL).context["form"]
    assert "from_unit" not in form.fields
    assert list(form.fields["unit"].queryset) == [tree["ward1"], tree["ward1_cell"]]


def test_a_transfer_in_needs_where_from(organiser_client, tree):
    response = english(organiser_client).post(IN_URL, in_data(tree["ward1"], from_place=" "))
    assert response.context["form"].errors["from_place"] == ["This field is required."]
    assert not PartyMember.objects.exists()


def test_a_transfer_in_to_a_unit_outside_the_subtree_is_refused(organiser_client, tree):
    response = organiser_client.post(IN_URL, in_data(tree["ward3_cell"]))
    assert "unit" in response.context["form"].errors
    assert not PartyMember.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"on": "01/01/2099"}, "on", "A transfer cannot be dated in the future."),
        ({"on": "01/01/2011"}, "on", "A transfer cannot be dated before the member's admission."),
        (
            {"official_on": "01/01/2012"},
            "official_on",
            "A member cannot be official before being admitted.",
        ),
    ],
)
def test_transfer_in_dates_are_checked(organiser_client, tree, overrides, field, message):
    response = english(organiser_client).post(IN_URL, in_data(tree["ward1"], **overrides))
    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    assert not PartyMember.objects.exists() and not Transfer.objects.exists()


# --- transfer out -------------------------------------------------------------------------------


@on_today
def test_transfer_out_of_the_tree_keeps_the_members_past(organiser_client, member, tree):
    candidate = CandidateFactory(unit=tree["ward1_cell"], full_name="Lê Thị Hoa")
    sponsorship = mentor(candidate, member)
    response = organiser_client.post(
        out_url(member),
        out_data(to_place="Đảng bộ xã Vị Đông, tỉnh Sóc Trăng", document_number="7-GGT"),
    )
    assert response.status_code == 302
    member.refresh_from_db()
    # The record stays in its unit with its history; the person left on the transfer's date.
    assert member.unit == tree["ward1_cell"]
    assert member.left_on == date(2026, 6, 1)
    assert member.left_reason == "Chuyển sinh hoạt đi Đảng bộ xã Vị Đông, tỉnh Sóc Trăng"
    assert Sponsorship.objects.get() == sponsorship
    assert list(candidate.sponsors.all()) == [member]
    transfer = member.transfers.get()
    assert (transfer.direction, transfer.from_unit, transfer.to_unit, transfer.document_number) == (
        Transfer.Direction.OUT,
        tree["ward1_cell"],
        None,
        "7-GGT",
    )
    assert messages_of(response) == [
        "Đã chuyển Trần Văn Kèm đi Đảng bộ xã Vị Đông, tỉnh Sóc Trăng; "
        "hồ sơ vẫn ở Chi bộ Khu vực 3."
    ]
    # Still a member of Ward I's past: on the list as departed, and no longer a mentor choice.
    assert member.is_official(date(2026, 5, 1)) and not member.is_official(date(2026, 6, 2))
    page = organiser_client.get(reverse("recruitment:member-detail", args=[member.pk]))
    assert "Lê Thị Hoa" in page.content.decode()
    assert page.context["transfers"] == [transfer]


@on_today
def test_staff_transfer_a_member_to_another_ward_of_the_city(staff_client, member, tree):
    response = staff_client.post(out_url(member), out_data(to_unit=tree["ward3_cell"].pk))
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.unit == tree["ward3_cell"]
    assert member.left_on is None
    assert messages_of(response) == ["Đã chuyển Trần Văn Kèm sang Chi bộ Khu vực 1 (Phường III)."]
    change = member.history.first()
    assert change.history_user.username == "charlie"
    assert change.history_change_reason == "Chuyển sinh hoạt đi Chi bộ Khu vực 1 (Phường III)"


def test_an_organiser_cannot_choose_a_unit_outside_the_subtree(organiser_client, member, tree):
    response = organiser_client.post(out_url(member), out_data(to_unit=tree["ward3_cell"].pk))
    assert response.status_code == 200
    assert "to_unit" in response.context["form"].errors
    member.refresh_from_db()
    assert member.unit == tree["ward1_cell"] and not Transfer.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({}, "to_place", "Choose one of your units, or name a place outside them: one of the two."),
        (
            {"to_unit": "ward1", "to_place": "Sóc Trăng"},
            "to_place",
            "Choose one of your units, or name a place outside them: one of the two.",
        ),
        ({"to_place": "x", "on": "01/01/2099"}, "on", "A transfer cannot be dated in the future."),
        (
            {"to_place": "x", "on": "01/01/2014"},
            "on",
            "A transfer cannot be dated before the member's admission.",
        ),
    ],
)
def test_transfer_out_is_checked(organiser_client, member, tree, overrides, field, message):
    if overrides.get("to_unit"):
        overrides["to_unit"] = tree[overrides["to_unit"]].pk
    response = english(organiser_client).post(out_url(member), out_data(**overrides))
    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    assert not Transfer.objects.exists()


def test_the_members_own_unit_is_not_offered(organiser_client, member, tree):
    form = organiser_client.get(out_url(member)).context["form"]
    assert list(form.fields["to_unit"].queryset) == [tree["ward1"]]


def test_a_member_who_left_cannot_be_transferred_out_again(member):
    services.transfer_out(member=member, on=date(2025, 1, 1), to_place="Sóc Trăng")
    with (
        translation.override("vi"),
        pytest.raises(ValidationError, match="không thể chuyển sinh hoạt đi nữa"),
    ):
        services.transfer_out(member=member, on=date(2025, 2, 1), to_place="Cà Mau")


def test_a_transfer_before_the_previous_one_is_refused(member, tree):
    services.transfer_out(member=member, on=date(2025, 1, 1), to_unit=tree["ward1"])
    with pytest.raises(ValidationError) as refused:
        services.transfer_out(member=member, on=date(2024, 1, 1), to_place="Cà Mau")
    assert "on" in refused.value.error_dict


def test_the_service_refuses_a_unit_outside_the_users_scope(member, organiser, tree):
    with pytest.raises(ValidationError) as refused:
        services.transfer_out(
            member=member, on=date(2025, 1, 1), to_unit=tree["ward3_cell"], by=organiser
        )
    assert "to_unit" in refused.value.error_dict
    member.refresh_from_db()
    assert member.unit == tree["ward1_cell"]


def test_a_member_admitted_through_the_pipeline_is_not_transferred_here(organiser_client, tree):
    member = admitted_member(tree["ward1_cell"], date(2025, 5, 1))
    response = english(organiser_client).post(out_url(member), out_data(to_place="Cà Mau"))
    assert response.status_code == 200
    [error] = response.context["form"].non_field_errors()
    assert "follow the candidate's record" in error
    member.refresh_from_db()
    assert member.left_on is None and not Transfer.objects.exists()


# --- coming back ------------------------------------------------------------------------------


@on_today
def test_a_member_who_transferred_out_comes_back(organiser_client, member, tree):
    services.transfer_out(member=member, on=date(2024, 1, 1), to_place="Cà Mau")
    member.refresh_from_db()
    page = organiser_client.get(reverse("recruitment:member-detail", args=[member.pk]))
    assert back_url(member) in page.content.decode()
    response = organiser_client.post(
        back_url(member),
        {"unit": tree["ward1"].pk, "on": "01/03/2026", "from_place": "Cà Mau"},
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert (member.unit, member.left_on, member.left_reason) == (tree["ward1"], None, "")
    assert [t.direction for t in member.transfers.all()] == ["in", "out"]
    assert PartyMember.objects.count() == 1


def test_a_member_still_here_cannot_transfer_back_in(organiser_client, member, tree):
    response = english(organiser_client).post(
        back_url(member), {"unit": tree["ward1"].pk, "on": "01/03/2026", "from_place": "Cà Mau"}
    )
    assert response.status_code == 200
    [error] = response.context["form"].non_field_errors()
    assert "Only a member who transferred out can transfer back in" in error


# --- access -----------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [out_url, back_url])
def test_an_outsider_gets_404(other_organiser_client, member, url):
    assert other_organiser_client.get(url(member)).status_code == 404


@pytest.mark.parametrize("url", [out_url, back_url])
def test_an_outsider_gets_404_on_post_and_nothing_moves(other_organiser_client, member, tree, url):
    data = out_data(to_place="Cà Mau", unit=tree["ward3"].pk, from_place="Cà Mau")
    assert other_organiser_client.post(url(member), data).status_code == 404
    member.refresh_from_db()
    assert member.left_on is None and not Transfer.objects.exists()


def test_transfers_are_scoped_with_their_member(member, organiser, other_organiser, staff, tree):
    services.transfer_out(member=member, on=date(2025, 1, 1), to_unit=tree["ward1"])
    assert Transfer.objects.for_user(organiser).count() == 1
    assert Transfer.objects.for_user(staff).count() == 1
    assert Transfer.objects.for_user(other_organiser).count() == 0


def test_the_admin_lists_transfers_of_the_subtree_only(admin_client_, member, tree):
    services.transfer_out(member=member, on=date(2025, 1, 1), to_place="Cà Mau")
    response = admin_client_.get(reverse("admin:recruitment_transfer_changelist"))
    assert response.status_code == 200
    assert "Trần Văn Kèm" in response.content.decode()
    assert admin_client_.get(reverse("admin:recruitment_transfer_add")).status_code == 403


@on_today
def test_a_transfer_in_of_someone_on_file_asks_first_as_adding_a_member_does(
    organiser_client, tree
):
    """The same name (without its diacritics) and birth date as a member on file: most
    often the same person, recorded twice. Confirmed, the arrival is recorded."""
    PartyMemberFactory(
        unit=tree["ward1_cell"], full_name="Phạm Thị Đến", date_of_birth=date(1980, 1, 1)
    )
    data = in_data(tree["ward1_cell"], full_name="Pham Thi Den", date_of_birth="01/01/1980")
    response = english(organiser_client).post(IN_URL, data)
    assert response.status_code == 200
    form = response.context["form"]
    assert "same_person" in [e.code for e in form.non_field_errors().as_data()]
    assert 'type="checkbox" name="same_person_confirmed"' in response.text
    assert PartyMember.objects.count() == 1
    response = organiser_client.post(IN_URL, {**data, "same_person_confirmed": "on"})
    assert response.status_code == 302
    assert PartyMember.objects.count() == 2
