"""/members/new/, /members/<pk>/ and /members/<pk>/edit/: party members added and kept by hand."""

import re
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

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

CREATE_URL = reverse("recruitment:member-create")


def detail_url(member):
    return reverse("recruitment:member-detail", args=[member.pk])


def edit_url(member):
    return reverse("recruitment:member-edit", args=[member.pk])


def member_data(unit, **overrides) -> dict:
    data = {
        "full_name": "Trần Văn Kèm",
        "unit": unit.pk,
        "admitted_on": "03/02/2015",
        "official_on": "03/02/2016",
        "left_on": "",
        "left_reason": "",
    }
    data.update(overrides)
    return data


def edit_data(member, **overrides) -> dict:
    data = {
        "full_name": member.full_name,
        "unit": member.unit_id,
        "admitted_on": member.admitted_on.strftime("%d/%m/%Y"),
        "official_on": member.official_on.strftime("%d/%m/%Y") if member.official_on else "",
        "left_on": "",
        "left_reason": "",
        "version": member.version,
    }
    data.update(overrides)
    return data


# --- adding -----------------------------------------------------------------------------------


def test_organiser_adds_a_member_of_a_cell(organiser_client, tree):
    response = organiser_client.post(CREATE_URL, member_data(tree["ward1_cell"]))
    member = PartyMember.objects.get()
    assert response.status_code == 302
    assert response.url == detail_url(member)
    assert (member.full_name, member.unit, member.admitted_on, member.official_on) == (
        "Trần Văn Kèm",
        tree["ward1_cell"],
        date(2015, 2, 3),
        date(2016, 2, 3),
    )
    assert member.history.get().history_user.username == "alice"


def test_the_new_member_is_said_in_vietnamese(organiser_client, tree):
    response = organiser_client.post(CREATE_URL, member_data(tree["ward1_cell"]), follow=True)
    assert messages_of(response) == [
        "Đã thêm Trần Văn Kèm vào danh sách đảng viên của Chi bộ Khu vực 3."
    ]


@on_today
def test_an_added_official_member_can_be_chosen_as_mentor(organiser_client, tree):
    """The issue's case: a mentor who is not yet in the app is added, then assigned."""
    organiser_client.post(CREATE_URL, member_data(tree["ward1"]))
    member = PartyMember.objects.get()
    candidate = CandidateFactory(unit=tree["ward1_cell"])
    sponsor_url = reverse("recruitment:candidate-sponsor-add", args=[candidate.pk])
    form = organiser_client.get(sponsor_url).context["form"]
    assert member in form.fields["member"].queryset
    response = organiser_client.post(
        sponsor_url,
        {"role": "mentor", "member": member.pk, "assigned_on": "01/06/2026"},
    )
    assert response.status_code == 302
    assert Sponsorship.objects.get(candidate=candidate).member == member


def test_a_unit_outside_the_subtree_cannot_be_chosen(organiser_client, tree):
    response = organiser_client.post(CREATE_URL, member_data(tree["ward3_cell"]))
    assert response.status_code == 200
    assert "unit" in response.context["form"].errors
    assert not PartyMember.objects.exists()


def test_the_users_unit_is_offered_first(organiser_client, tree):
    form = organiser_client.get(CREATE_URL).context["form"]
    assert form["unit"].value() == tree["ward1"].pk
    assert list(form.fields["unit"].queryset) == [tree["ward1"], tree["ward1_cell"]]


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"admitted_on": "01/01/2099"}, "admitted_on", "This date cannot be in the future."),
        ({"official_on": "01/01/2099"}, "official_on", "This date cannot be in the future."),
        (
            {"official_on": "01/01/2014"},
            "official_on",
            "A member cannot be official before being admitted.",
        ),
        (
            {"left_on": "01/01/2014", "left_reason": "Bỏ sinh hoạt"},
            "left_on",
            "A member cannot leave before being admitted.",
        ),
        ({"left_on": "01/01/2020"}, "left_reason", "Say why the member left."),
        ({"left_reason": "Chuyển đi"}, "left_on", "Give the date the member left."),
        ({"admitted_on": "31/02/2015"}, "admitted_on", "Enter a date as dd/mm/yyyy."),
    ],
)
def test_dates_are_checked_with_clear_messages(organiser_client, tree, overrides, field, message):
    response = english(organiser_client).post(CREATE_URL, member_data(tree["ward1"], **overrides))
    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    assert messages_of(response) == ["Nothing was saved: please correct the errors below."]
    assert not PartyMember.objects.exists()


def test_date_errors_are_in_vietnamese(organiser_client, tree):
    response = organiser_client.post(
        CREATE_URL, member_data(tree["ward1"], official_on="01/01/2014")
    )
    [error] = response.context["form"].errors["official_on"]
    assert error == "Ngày trở thành đảng viên chính thức không được trước ngày kết nạp."


# --- editing ----------------------------------------------------------------------------------


@pytest.fixture
def member(tree):
    return PartyMemberFactory(
        unit=tree["ward1_cell"],
        full_name="Trần Văn Kèm",
        admitted_on=date(2015, 2, 3),
        official_on=date(2016, 2, 3),
    )


def test_organiser_edits_a_member(organiser_client, member, tree):
    response = organiser_client.post(
        edit_url(member), edit_data(member, full_name="Trần Văn Kềm", unit=tree["ward1"].pk)
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert (member.full_name, member.unit, member.version) == ("Trần Văn Kềm", tree["ward1"], 2)
    assert messages_of(response) == ["Đã lưu thay đổi thông tin của Trần Văn Kềm."]


def test_edit_with_a_stale_version_is_refused_and_keeps_the_input(organiser_client, member):
    opened = edit_data(member)  # the form as the organiser opened it
    member.full_name = "Trần Văn Kèm (staff)"
    member.save()  # someone else saved meanwhile
    response = english(organiser_client).post(
        edit_url(member), {**opened, "full_name": "Trần Văn Mới", "left_on": "01/05/2026"}
    )
    assert response.status_code == 200
    form = response.context["form"]
    [error] = form.non_field_errors()
    assert "saved changes to this record after you opened it" in error
    assert "Nothing was saved" in error
    # What was typed is still there, and the form now carries the new version.
    assert form["full_name"].value() == "Trần Văn Mới"
    assert form["version"].value() == 2
    member.refresh_from_db()
    assert member.full_name == "Trần Văn Kèm (staff)"


def test_saving_again_after_a_stale_refusal_keeps_ones_input(organiser_client, member):
    opened = edit_data(member)
    member.save()
    first = organiser_client.post(edit_url(member), {**opened, "full_name": "Trần Văn Mới"})
    version = first.context["form"]["version"].value()
    organiser_client.post(
        edit_url(member), {**opened, "full_name": "Trần Văn Mới", "version": version}
    )
    member.refresh_from_db()
    assert member.full_name == "Trần Văn Mới"


def test_a_member_admitted_through_the_pipeline_keeps_the_candidates_dates(organiser_client, tree):
    member = admitted_member(tree["ward1_cell"], date(2025, 5, 1))
    candidate = member.candidate
    page = english(organiser_client).get(edit_url(member))
    form = page.context["form"]
    for name in ("unit", "admitted_on", "official_on", "left_on"):
        assert form.fields[name].disabled
    correct_url = reverse("recruitment:candidate-correct", args=[candidate.pk])
    assert correct_url in page.content.decode()
    response = organiser_client.post(
        edit_url(member),
        edit_data(
            member,
            full_name="Tên Đã Sửa",
            unit=tree["ward1"].pk,
            admitted_on="01/01/2020",
            left_on="01/06/2025",
            left_reason="x",
        ),
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert form.fields["full_name"].disabled  # the name too is the candidate's
    assert member.full_name == candidate.full_name
    assert (member.unit, member.admitted_on, member.left_on) == (
        tree["ward1_cell"],
        date(2025, 5, 1),
        None,
    )


# --- access -----------------------------------------------------------------------------------


def test_anonymous_is_sent_to_login(client, member):
    response = client.get(edit_url(member))
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


@pytest.mark.parametrize("url", [detail_url, edit_url])
def test_an_outsider_gets_404(other_organiser_client, member, url):
    assert other_organiser_client.get(url(member)).status_code == 404


def test_an_outsider_gets_404_on_post_and_changes_nothing(other_organiser_client, member, tree):
    response = other_organiser_client.post(
        edit_url(member), edit_data(member, full_name="Bị Đổi", unit=tree["ward3"].pk)
    )
    assert response.status_code == 404
    member.refresh_from_db()
    assert member.full_name == "Trần Văn Kèm"


def test_staff_of_the_city_edit_a_member_of_a_ward(staff_client, member):
    assert staff_client.get(edit_url(member)).status_code == 200


# --- the member's page ------------------------------------------------------------------------


def test_the_page_shows_the_record_and_the_candidates_mentored(organiser_client, member, tree):
    candidate = CandidateFactory(unit=tree["ward1_cell"], full_name="Lê Thị Hoa")
    mentor(candidate, member)
    hidden = CandidateFactory(unit=tree["ward3_cell"], full_name="Người Phường Ba")
    mentor(hidden, member)  # a candidate this organiser may not see
    content = english(organiser_client).get(detail_url(member)).content.decode()
    assert "Trần Văn Kèm" in content
    assert "03/02/2015" in content
    assert "Lê Thị Hoa" in content
    assert "Người Phường Ba" not in content
    assert "No transfer recorded." in content


def test_the_list_links_to_the_members_page(organiser_client, member):
    content = organiser_client.get(reverse("recruitment:member-list")).content.decode()
    assert detail_url(member) in content


def _count(client, member) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(detail_url(member))
    assert response.status_code == 200
    return len(queries)


def test_the_members_page_runs_a_bounded_number_of_queries(organiser_client, member, tree):
    def add(count):
        for i in range(count):
            candidate = CandidateFactory(unit=tree["ward1_cell"])
            mentor(candidate, member)
            Transfer.objects.create(
                member=member,
                direction=Transfer.Direction.IN,
                on=date(2016, 1, 1),
                from_place=f"Nơi {i}",
                to_unit=tree["ward1_cell"],
                from_unit=tree["ward1"] if i % 2 else None,
            )

    add(2)
    with_two = _count(organiser_client, member)
    add(20)
    assert _count(organiser_client, member) == with_two
    assert with_two <= 12  # session, user, scope, member, transfers, sponsorships, savepoints


def test_a_typed_unit_of_a_member_who_follows_the_candidate_is_shown_disabled(
    staff_client, tree, monkeypatch
):
    """Above TYPED_ABOVE units the unit is a search box: a disabled field's box was left
    open to typing, which the form then ignored."""
    monkeypatch.setattr("recruitment.forms.TYPED_ABOVE", 3)
    member = admitted_member(tree["ward1_cell"], date(2025, 5, 1))
    page = staff_client.get(edit_url(member))
    [box] = re.findall(r'<input type="search" name="unit_q"[^>]*>', page.text)
    assert "disabled" in box and tree["ward1_cell"].name in box
