"""Query parameters are read strictly and in one place (recruitment/views/params.py): a bad
one is a 400 that says which and why, or is ignored; never a 500.

Each URL of issue 8 §4 that gave a 500 has its own test here. tests/test_bad_parameters.py
asks every URL pattern with a corpus of bad values.
"""

from datetime import date

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from recruitment.models import Holiday, Organisation, Stage, StageChange
from recruitment.views.params import MAX_ID, parse_int
from tests.factories import (
    CandidateFactory,
    PartyMemberFactory,
    QuotaFactory,
    TrainingClassFactory,
    add_unit,
)
from tests.helpers import english

DASHBOARD = reverse("recruitment:dashboard")


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


@pytest.mark.django_db
def test_a_unit_asked_by_someone_signed_out_is_not_found():
    """``unit_param`` answers a visitor with no unit as anyone outside the unit: a 404."""
    from django.contrib.auth.models import AnonymousUser
    from django.http import Http404
    from django.test import RequestFactory

    from recruitment.views.params import unit_param

    request = RequestFactory().get("/", {"unit": "5"})
    request.user = AnonymousUser()
    with pytest.raises(Http404):
        unit_param(request, Organisation.objects.none())


@pytest.mark.parametrize(
    "query, reason",
    [
        ("unit=²", "The unit must be given by its number."),
        pytest.param("unit=" + "1" * 5000, "The unit must be given by its number.", id="5000"),
        ("year=²", "The year must be from 1930 to 2100."),
        ("year=0", "The year must be from 1930 to 2100."),
        ("year=99999999999", "The year must be from 1930 to 2100."),
        ("format=exe", "“format” must be one of: csv, xlsx, json, docx, pdf."),
    ],
)
def test_a_bad_dashboard_parameter_is_a_400_that_says_why(tree, staff_client, query, reason):
    response = english(staff_client).get(f"{DASHBOARD}?{query}")
    assert response.status_code == 400
    assert reason in response.text
    assert "Bad request" in response.text


def test_the_reason_is_in_vietnamese_by_default(tree, staff_client):
    response = staff_client.get(f"{DASHBOARD}?year=0")
    assert response.status_code == 400
    assert "Năm phải từ 1930 đến 2100." in response.text


def test_the_400_page_is_the_users_page(tree, staff_client, staff):
    response = english(staff_client).get(f"{DASHBOARD}?year=0")
    assert staff.username in response.text  # the signed-in navigation, not an anonymous one
    assert "Content-Security-Policy" in response.headers


@pytest.mark.parametrize("url", ["/quotas/?unit=²", "/quotas/plan/?unit=²", "/quotas/?year=0"])
def test_a_bad_quota_page_parameter_is_a_400(tree, staff_client, url):
    assert staff_client.get(url).status_code == 400


def test_the_plan_refuses_the_last_year_with_a_reason(tree, staff_client):
    response = english(staff_client).get("/quotas/plan/?year=2100")
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


# --- the admin's list filters ---------------------------------------------------------------

CANDIDATES = "/admin/recruitment/candidate/"


@pytest.fixture
def admitted(tree):
    """A candidate admitted in 2021, so that the admin's year filter has a choice."""
    return CandidateFactory(
        unit=tree["ward1_cell"], full_name="Người được kết nạp", decision_on=date(2021, 5, 1)
    )


def test_admin_unit_filter_with_a_superscript_two_lists_nothing(admitted, admin_client_):
    response = admin_client_.get(f"{CANDIDATES}?under=%C2%B2")
    assert response.status_code == 200
    assert admitted.full_name not in response.text


@pytest.mark.parametrize("year", ["²", "0", "99999999999"])
def test_admin_year_filter_with_no_year_lists_nothing(admitted, admin_client_, year):
    response = admin_client_.get(CANDIDATES, {"year": year})
    assert response.status_code == 200
    assert admitted.full_name not in response.text


def test_admin_year_filter_with_a_year_lists_its_admissions(admitted, admin_client_):
    assert admitted.full_name in admin_client_.get(CANDIDATES, {"year": "2021"}).text


# Every change list with the unit filter (TopUnitFilter and its subclasses).
UNIT_FILTERED = [
    "candidate",
    "partymember",
    "trainingclass",
    "enrolment",
    "quota",
    "stagechange",
    "holiday",
]


@pytest.fixture
def one_of_each(tree, admitted):
    ward1 = tree["ward1"]
    training_class = TrainingClassFactory(unit=ward1)
    admitted.enrolments.create(training_class=training_class)
    PartyMemberFactory(unit=tree["ward1_cell"], candidate=admitted)
    QuotaFactory(unit=ward1, year=2021)
    StageChange.objects.create(candidate=admitted, to_stage=Stage.SOURCE)
    Holiday.objects.create(day=date(2021, 9, 3), name="Local", unit=ward1)


@pytest.mark.parametrize("model", UNIT_FILTERED)
def test_admin_show_counts_works_on_every_list_with_the_unit_filter(
    tree, one_of_each, admin_client_, model
):
    response = admin_client_.get(f"/admin/recruitment/{model}/?_facets=True")
    assert response.status_code == 200
    assert f"{tree['city'].name} (1)" in response.text


def test_admin_show_counts_with_a_chosen_unit_and_year(tree, one_of_each, admin_client_):
    city = tree["city"].pk
    response = admin_client_.get(f"{CANDIDATES}?_facets=True&under={city}&year=2021")
    assert response.status_code == 200
    assert f"{tree['other_city'].name} (0)" in response.text


def test_admin_show_counts_costs_no_query_per_unit(tree, one_of_each, admin_client_):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert admin_client_.get(f"{CANDIDATES}?_facets=True").status_code == 200
        return len(captured)

    few = queries()
    for i in range(5):
        add_unit(tree["province"], f"X{i}", f"Thành phố {i}", Organisation.Kind.CITY)
    assert queries() == few


# --- the admin site: date hierarchy, _to_field, "view on site" ------------------------------


@pytest.mark.parametrize(
    "query, reason",
    [
        ("decision_on__year=99999999999", "The year must be from 1930 to 2100."),
        ("decision_on__year=9999", "The year must be from 1930 to 2100."),
        ("decision_on__year=2021&decision_on__month=13", "must be a whole number from 1 to 12"),
        (
            "decision_on__year=2021&decision_on__month=2&decision_on__day=30",
            "There is no such day.",
        ),
    ],
)
def test_admin_date_hierarchy_out_of_range_is_a_400_that_says_why(
    admitted, admin_client_, query, reason
):
    response = english(admin_client_).get(f"{CANDIDATES}?{query}")
    assert response.status_code == 400
    assert reason in response.text


def test_admin_date_hierarchy_in_range_lists_its_rows(admitted, admin_client_):
    response = admin_client_.get(f"{CANDIDATES}?decision_on__year=2021&decision_on__month=5")
    assert response.status_code == 200
    assert admitted.full_name in response.text


def test_the_date_hierarchy_of_django_axes_is_checked_too(admin_client_):
    response = admin_client_.get("/admin/axes/accessattempt/?attempt_time__year=9999")
    assert response.status_code == 400


def test_an_empty_to_field_is_a_400(admitted, admin_client_):
    url = reverse("admin:recruitment_candidate_change", args=[admitted.pk])
    assert admin_client_.get(f"{url}?_to_field=").status_code == 400
    assert admin_client_.get(f"{url}?_to_field=id").status_code == 200


@pytest.mark.parametrize(
    "url",
    ["/admin/r/²/1/", "/admin/r/5/²/", pytest.param("/admin/r/5/" + "1" * 5000 + "/", id="5000")],
)
def test_view_on_site_with_no_id_is_a_404(admin_client_, url):
    """The admin's "view on site" shortcut (config/admin.py) read its ids with isdigit()."""
    assert admin_client_.get(url).status_code == 404


def test_admin_app_url_with_a_superscript_two_is_a_404(admin_client_):
    """The URL as issue 8 gives it: the admin's catch-all answers 404 (the 500 was the
    "view on site" shortcut's, /admin/r/²/1/, above)."""
    assert admin_client_.get("/admin/recruitment/²/1/").status_code == 404


# --- the admin's autocomplete ---------------------------------------------------------------


@pytest.mark.parametrize("unit", ["%", "²", "9" * 20])
def test_an_add_page_with_a_unit_that_is_no_id_shows_none(tree, admin_client_, unit):
    response = admin_client_.get("/admin/recruitment/quota/add/", {"unit": unit})
    assert response.status_code == 200


def test_a_posted_unit_that_is_no_id_is_refused_by_the_form(tree, admin_client_):
    data = {"unit": "%", "year": "2021", "target": "3"}
    response = admin_client_.post("/admin/recruitment/quota/add/", data)
    assert response.status_code == 200
    assert "unit" in response.context["adminform"].form.errors


def test_the_users_admin_survives_a_unit_that_is_no_id(admin_client_):
    assert admin_client_.get("/admin/accounts/user/add/", {"unit": "%"}).status_code == 200


# --- NUL characters ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["/candidates/?q=%00", "/admin/recruitment/candidate/?stage__exact=%00", "/%00/"]
)
def test_a_nul_anywhere_in_the_address_is_a_400(tree, admin_client_, url):
    assert admin_client_.get(url).status_code == 400


def test_a_nul_in_a_posted_form_is_a_400_that_says_why(tree):
    client = english(Client())
    response = client.post("/accounts/login/", {"username": "alice\x00", "password": "x"})
    assert response.status_code == 400
    assert "NUL" in response.text


def test_autocomplete_with_a_nul_is_a_400(tree, admin_client_):
    """A 500 on PostgreSQL, which refuses NUL in text; CI runs this on both databases."""
    query = "app_label=recruitment&model_name=candidate&field_name=unit&term=%00"
    assert admin_client_.get(f"/admin/autocomplete/?{query}").status_code == 400
