"""Query parameters are read strictly and in one place (recruitment/views/params.py): a bad
one is a 400 that says which and why, or is ignored; never a 500.

Each URL of issue 8 §4 that gave a 500 has its own test here. tests/test_bad_parameters.py
asks every URL pattern with a corpus of bad values.
"""

import pytest
from django.conf import settings
from django.urls import reverse

from recruitment.views.params import MAX_ID, parse_int
from tests.factories import (
    CandidateFactory,
    PartyMemberFactory,
)

DASHBOARD = reverse("recruitment:dashboard")


def in_english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


# --- the parser ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("2021", 2021),
        ("-1", -1),
        ("0", 0),
        ("²", None),  # str.isdigit() says yes, int() says no
        ("٣", None),  # int() reads it as 3
        (" 3", None),
        ("3\n", None),
        ("+3", None),
        ("1_000", None),
        ("3.0", None),
        ("", None),
        (None, None),
        pytest.param("1" * 5000, None, id="5000"),  # int() refuses more than 4,300 digits
    ],
)
def test_only_ascii_digits_are_a_number(raw, expected):
    assert parse_int(raw, low=-(10**12), high=10**12) == expected


def test_a_number_outside_its_bounds_is_none():
    assert parse_int("1930", low=1930, high=2100) == 1930
    assert parse_int("1929", low=1930, high=2100) is None
    assert parse_int(str(MAX_ID), low=1, high=MAX_ID) == MAX_ID
    assert parse_int(str(MAX_ID + 1), low=1, high=MAX_ID) is None


# --- the app's pages: a 400 that says why -----------------------------------------------------


@pytest.mark.parametrize(
    "query, reason",
    [
        ("unit=²", "The unit must be given by its number."),
        pytest.param("unit=" + "1" * 5000, "The unit must be given by its number.", id="5000"),
        ("year=²", "The year must be from 1930 to 2100."),
        ("year=0", "The year must be from 1930 to 2100."),
        ("year=99999999999", "The year must be from 1930 to 2100."),
        ("format=exe", "“format” must be one of: csv, xlsx, json."),
    ],
)
def test_a_bad_dashboard_parameter_is_a_400_that_says_why(tree, staff_client, query, reason):
    response = in_english(staff_client).get(f"{DASHBOARD}?{query}")
    assert response.status_code == 400
    assert reason in response.text
    assert "Bad request" in response.text


def test_the_reason_is_in_vietnamese_by_default(tree, staff_client):
    response = staff_client.get(f"{DASHBOARD}?year=0")
    assert response.status_code == 400
    assert "Năm phải từ 1930 đến 2100." in response.text


def test_the_400_page_is_the_users_page(tree, staff_client, staff):
    response = in_english(staff_client).get(f"{DASHBOARD}?year=0")
    assert staff.username in response.text  # the signed-in navigation, not an anonymous one
    assert "Content-Security-Policy" in response.headers


@pytest.mark.parametrize("url", ["/quotas/?unit=²", "/quotas/plan/?unit=²", "/quotas/?year=0"])
def test_a_bad_quota_page_parameter_is_a_400(tree, staff_client, url):
    assert staff_client.get(url).status_code == 400


def test_the_plan_refuses_the_last_year_with_a_reason(tree, staff_client):
    response = in_english(staff_client).get("/quotas/plan/?year=2100")
    assert response.status_code == 400
    assert "The plan needs a year before 2100." in response.text


# --- the app's lists: a bad filter is shown as an error and left out ------------------------


@pytest.mark.parametrize("query", ["unit=²", "unit=٣", "year=²", "year=٣", "year=2021.0"])
def test_a_bad_list_filter_is_an_error_on_the_form(tree, organiser_client, query):
    CandidateFactory(unit=tree["ward1_cell"], full_name="Người duy nhất")
    response = organiser_client.get(f"/candidates/?{query}")
    assert response.status_code == 200
    assert response.context["filter"].errors.keys() == {query.split("=")[0]}
    assert "Người duy nhất" in response.text


def test_a_bad_unit_on_the_members_list_is_an_error_on_the_form(tree, organiser_client):
    PartyMemberFactory(unit=tree["ward1_cell"], full_name="Đảng viên duy nhất")
    response = organiser_client.get("/members/?unit=²")
    assert response.status_code == 200
    assert "unit" in response.context["filter"].errors
    assert "Đảng viên duy nhất" in response.text
