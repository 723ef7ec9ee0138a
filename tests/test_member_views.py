"""/members/: party members of the user's subtree, probationary, official and departed."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from recruitment.models import PartyMember
from tests.factories import CandidateFactory, PartyMemberFactory
from tests.helpers import english

pytestmark = pytest.mark.django_db

LIST_URL = reverse("recruitment:member-list")


def names(response) -> list[str]:
    return [m.full_name for m in response.context["members"]]


@pytest.fixture
def members(tree):
    """One member of each status in Ward I, and members elsewhere."""
    return {
        "official": PartyMemberFactory(
            unit=tree["ward1"], full_name="An Chính Thức", official_on=date(2011, 1, 1)
        ),
        "probationary": PartyMemberFactory(
            unit=tree["ward1_cell"],
            full_name="Bình Dự Bị",
            admitted_on=date(2026, 5, 4),
            official_on=None,
        ),
        "left": PartyMemberFactory(
            unit=tree["ward1_cell"],
            full_name="Chi Đã Rời",
            left_on=date(2025, 3, 1),
            left_reason="Bỏ sinh hoạt",
        ),
        "ward3": PartyMemberFactory(unit=tree["ward3_cell"], full_name="Dũng Phường III"),
        "city": PartyMemberFactory(unit=tree["city"], full_name="Giang Thành Phố"),
        "other_city": PartyMemberFactory(unit=tree["other_cell"], full_name="Hà Ngã Bảy"),
    }


def test_anonymous_is_sent_to_login(client, tree):
    response = client.get(LIST_URL)
    assert response.status_code == 302
    assert response.url == f"{reverse('accounts:login')}?next={LIST_URL}"


def test_organiser_sees_only_members_of_the_subtree(organiser_client, members):
    response = organiser_client.get(LIST_URL)
    assert response.status_code == 200
    assert names(response) == ["An Chính Thức", "Bình Dự Bị", "Chi Đã Rời"]
    assert "Dũng Phường III" not in response.content.decode()


def test_outsider_sees_none_of_ward_one(other_organiser_client, members):
    response = other_organiser_client.get(LIST_URL, {"q": "an chinh thuc"})
    assert response.status_code == 200
    assert names(response) == []


def test_staff_sees_the_city_but_not_another_city(staff_client, members):
    assert names(staff_client.get(LIST_URL)) == [
        "An Chính Thức",
        "Bình Dự Bị",
        "Chi Đã Rời",
        "Dũng Phường III",
        "Giang Thành Phố",
    ]


def test_probationary_members_show_when_probation_ends(organiser_client, members):
    content = english(organiser_client).get(LIST_URL).content.decode()
    assert "probation ends 04/05/2027" in content
    assert "since 01/01/2011" in content  # official
    assert "01/03/2025" in content  # left


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("probationary", ["Bình Dự Bị"]),
        ("official", ["An Chính Thức"]),
        ("left", ["Chi Đã Rời"]),
        ("", ["An Chính Thức", "Bình Dự Bị", "Chi Đã Rời"]),
    ],
)
def test_status_filter(organiser_client, members, status, expected):
    assert names(organiser_client.get(LIST_URL, {"status": status})) == expected


def test_a_member_whose_official_date_is_still_ahead_is_not_yet_official(organiser_client, tree):
    PartyMemberFactory(
        unit=tree["ward1"], admitted_on=date(2098, 1, 1), official_on=date(2099, 1, 1)
    )
    assert names(organiser_client.get(LIST_URL, {"status": "official"})) == []


@pytest.mark.parametrize("query", ["binh du bi", "BÌNH", "dự bị"])
def test_search_ignores_diacritics_and_case(organiser_client, members, query):
    assert names(organiser_client.get(LIST_URL, {"q": query})) == ["Bình Dự Bị"]


def test_search_and_status_combine(organiser_client, members):
    response = organiser_client.get(LIST_URL, {"q": "an", "status": "official"})
    assert names(response) == ["An Chính Thức"]


def test_an_unknown_status_is_ignored_not_an_error(organiser_client, members):
    response = organiser_client.get(LIST_URL, {"status": "emperor", "page": "x"})
    assert response.status_code == 200
    assert len(names(response)) == 3
    assert "status" in response.context["filter"].form.errors


def test_a_member_admitted_from_a_candidate_links_to_the_candidate(organiser_client, tree):
    candidate = CandidateFactory(unit=tree["ward1_cell"])
    PartyMember.objects.create(
        full_name=candidate.full_name,
        unit=tree["ward1_cell"],
        admitted_on=date(2026, 5, 4),
        candidate=candidate,
    )
    content = organiser_client.get(LIST_URL).content.decode()
    assert reverse("recruitment:candidate-detail", args=[candidate.pk]) in content


def test_empty_list_says_so(organiser_client, tree):
    content = english(organiser_client).get(LIST_URL).content.decode()
    assert "No party members yet" in content


def test_list_is_paginated(organiser_client, tree):
    PartyMemberFactory.create_batch(30, unit=tree["ward1"])
    assert len(names(organiser_client.get(LIST_URL))) == 25
    assert len(names(organiser_client.get(LIST_URL, {"page": 2}))) == 5


def _count(client, params) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(LIST_URL, params)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("params", [{}, {"status": "probationary", "q": "dang vien"}])
def test_query_count_does_not_grow_with_rows(organiser_client, tree, params):
    def add(count):
        for i in range(count):
            PartyMemberFactory(
                unit=tree["ward1_cell"] if i % 2 else tree["ward1"],
                official_on=None if i % 3 else date(2011, 1, 1),
            )

    add(5)
    with_five = _count(organiser_client, params)
    add(45)
    assert PartyMember.objects.count() == 50
    assert _count(organiser_client, params) == with_five


def test_the_unit_filter_narrows_to_a_subtree(organiser_client, members, tree):
    response = organiser_client.get(LIST_URL, {"unit": tree["ward1_cell"].pk})
    assert sorted(names(response)) == ["Bình Dự Bị", "Chi Đã Rời"]


def test_a_unit_outside_the_subtree_is_refused_not_shown(organiser_client, members, tree):
    response = organiser_client.get(LIST_URL, {"unit": tree["ward3"].pk})
    assert response.status_code == 200
    assert "unit" in response.context["filter"].form.errors
    assert "Dũng Phường III" not in names(response)
