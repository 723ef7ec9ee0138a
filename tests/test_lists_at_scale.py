"""Lists that do not grow with the user's scope (issue 13): the unit picker is a search box
with a JSON endpoint (and a fallback without JavaScript), pages are read without counting
the list, and the stage counts stop at a limit."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bench.treegen import add_children
from recruitment.models import Stage
from recruitment.views import candidates as candidate_views
from tests.factories import CandidateFactory
from tests.helpers import english

pytestmark = pytest.mark.django_db

LIST_URL = reverse("recruitment:candidate-list")
MEMBERS_URL = reverse("recruitment:member-list")
SEARCH_URL = reverse("recruitment:unit-search")


def names(response):
    return [c.full_name for c in response.context["candidates"]]


def test_unit_search_answers_the_users_own_units_matching_the_name(organiser_client, tree):
    response = organiser_client.get(SEARCH_URL, {"q": "khu vuc"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    results = json.loads(response.content)["results"]
    assert [r["id"] for r in results] == [tree["ward1_cell"].pk]
    assert results[0]["name"] == "Chi bộ Khu vực 3"


def test_unit_search_lists_the_highest_units_first(staff_client, tree):
    results = json.loads(staff_client.get(SEARCH_URL, {"q": "phuong"}).content)["results"]
    assert [r["id"] for r in results][:2] == [tree["ward1"].pk, tree["ward3"].pk]


def test_unit_search_finds_nothing_outside_the_scope(other_organiser_client, tree):
    results = json.loads(other_organiser_client.get(SEARCH_URL, {"q": "phuong i"}).content)
    assert tree["ward1"].pk not in [r["id"] for r in results["results"]]


def test_unit_search_answers_at_most_twenty_in_one_query(staff_client, tree):
    add_children(tree["ward1_cell"], 30, prefix="Tổ ")
    with CaptureQueriesContext(connection) as captured:
        response = staff_client.get(SEARCH_URL, {"q": "to"})
    assert len(json.loads(response.content)["results"]) == 20
    unit_queries = [q for q in captured if "recruitment_organisation" in q["sql"]]
    # The user's unit (read with the session) and the search.
    assert len(unit_queries) == 2


def test_unit_search_with_nothing_typed_answers_nothing(staff_client):
    assert json.loads(staff_client.get(SEARCH_URL).content) == {"results": []}


def test_the_unit_filter_renders_no_list_of_units(staff_client, tree):
    """A thousand more units in scope: the page is as long and costs as many queries."""
    before = staff_client.get(LIST_URL)
    with CaptureQueriesContext(connection) as small:
        staff_client.get(LIST_URL)
    add_children(tree["ward1_cell"], 1000, prefix="Tổ dân phố ")
    with CaptureQueriesContext(connection) as large:
        after = staff_client.get(LIST_URL)
    assert "Tổ dân phố" not in after.content.decode()
    assert "<option" not in after.content.decode().split('name="unit_q"')[0].split("<form")[-1]
    assert len(after.content) == len(before.content)
    assert len(large) == len(small)


def test_a_chosen_unit_shows_its_name_and_filters(organiser_client, tree):
    CandidateFactory(unit=tree["ward1_cell"], full_name="A Cell")
    CandidateFactory(unit=tree["ward1"], full_name="B Ward")
    response = organiser_client.get(LIST_URL, {"unit": tree["ward1_cell"].pk})
    assert names(response) == ["A Cell"]
    content = response.content.decode()
    assert f'name="unit" value="{tree["ward1_cell"].pk}"' in content
    assert 'value="Chi bộ Khu vực 3"' in content


def test_a_unit_outside_the_scope_shows_no_name(other_organiser_client, tree):
    response = other_organiser_client.get(LIST_URL, {"unit": tree["ward1"].pk})
    content = response.content.decode()
    assert 'value="Đảng bộ Phường I"' not in content
    assert 'name="unit" value=""' in content


def test_without_javascript_a_typed_name_offers_the_matching_units(organiser_client, tree):
    response = organiser_client.get(LIST_URL, {"unit_q": "khu vuc"})
    assert response.status_code == 200
    content = response.content.decode()
    assert 'id="unit-matches"' in content
    assert f"unit={tree['ward1_cell'].pk}" in content
    assert 'value="khu vuc"' in content  # what was typed stays in the box


def test_members_list_offers_the_matching_units_too(organiser_client, tree):
    response = organiser_client.get(MEMBERS_URL, {"unit_q": "khu vuc"})
    assert f"unit={tree['ward1_cell'].pk}" in response.content.decode()


def test_list_pages_without_counting_the_list(organiser_client, tree):
    for n in range(30):
        CandidateFactory(unit=tree["ward1_cell"], full_name=f"Candidate {n:02d}")
    with CaptureQueriesContext(connection) as captured:
        first = organiser_client.get(LIST_URL)
    assert len(names(first)) == 25
    assert first.context["page_obj"].has_next
    assert "page=2" in first.content.decode()
    listing = [q["sql"] for q in captured if "LIMIT 26" in q["sql"]]
    assert len(listing) == 1
    second = organiser_client.get(LIST_URL, {"page": 2})
    assert names(second) == [f"Candidate {n:02d}" for n in range(25, 30)]
    assert not second.context["page_obj"].has_next
    assert "26–30" in second.content.decode()


@pytest.mark.parametrize("page", ["0", "401", "x", "-1", "1.5"])
def test_a_page_out_of_bounds_is_the_first(organiser_client, tree, page):
    CandidateFactory(unit=tree["ward1_cell"], full_name="Only")
    response = organiser_client.get(LIST_URL, {"page": page})
    assert response.status_code == 200
    assert names(response) == ["Only"]


def stage_counts(response):
    return {value: n for value, _label, n in response.context["stage_counts"]}


def test_stage_counts_of_a_unit_are_the_kept_counts(organiser_client, tree, monkeypatch):
    monkeypatch.setattr(candidate_views, "COUNT_LIMIT", 1)
    for stage in (Stage.SOURCE, Stage.SOURCE, Stage.TRAINING):
        CandidateFactory(unit=tree["ward1_cell"], stage=stage)
    CandidateFactory(unit=tree["ward1"], stage=Stage.SOURCE)
    everything = stage_counts(organiser_client.get(LIST_URL))
    assert everything[Stage.SOURCE] == 3 and everything[Stage.TRAINING] == 1
    cell = stage_counts(organiser_client.get(LIST_URL, {"unit": tree["ward1_cell"].pk}))
    assert cell[Stage.SOURCE] == 2
    with CaptureQueriesContext(connection) as captured:
        organiser_client.get(LIST_URL, {"stage": Stage.SOURCE})
    assert not [q for q in captured if "COUNT(" in q["sql"].upper()]


def test_stage_counts_of_other_filters_stop_at_the_limit(organiser_client, tree, monkeypatch):
    for stage in (Stage.SOURCE, Stage.SOURCE, Stage.TRAINING):
        CandidateFactory(unit=tree["ward1_cell"], stage=stage, works_away=True)
    filtered = {"works_away": "true"}
    counts = stage_counts(organiser_client.get(LIST_URL, filtered))
    assert counts[Stage.SOURCE] == 2 and counts[Stage.TRAINING] == 1

    monkeypatch.setattr(candidate_views, "COUNT_LIMIT", 2)
    response = organiser_client.get(LIST_URL, filtered)
    assert all(n is None for n in stage_counts(response).values())
    assert 'id="not-counted"' in response.content.decode()


def test_the_stage_counts_of_a_search_stop_at_the_search_limit(organiser_client, tree, monkeypatch):
    for stage in (Stage.SOURCE, Stage.SOURCE, Stage.TRAINING):
        CandidateFactory(unit=tree["ward1_cell"], stage=stage, full_name="Lê Văn Tìm")
    searched = {"q": "tim"}
    counts = stage_counts(organiser_client.get(LIST_URL, searched))
    assert counts[Stage.SOURCE] == 2 and counts[Stage.TRAINING] == 1

    monkeypatch.setattr(candidate_views, "SEARCH_COUNT_LIMIT", 2)
    response = english(organiser_client).get(LIST_URL, searched)
    assert all(n is None for n in stage_counts(response).values())
    assert "More than 2 candidates" in response.content.decode()
    filtered = stage_counts(organiser_client.get(LIST_URL, {"works_away": "false"}))
    assert filtered[Stage.SOURCE] == 2  # other filters count up to COUNT_LIMIT


def test_a_search_the_form_refuses_counts_as_the_list_it_leaves(
    organiser_client, tree, monkeypatch
):
    """A search too long for the box is ignored, as the filter ignores it: the list is
    counted up to COUNT_LIMIT, not stopped at a search's limit."""
    for stage in (Stage.SOURCE, Stage.SOURCE, Stage.TRAINING):
        CandidateFactory(unit=tree["ward1_cell"], stage=stage)
    monkeypatch.setattr(candidate_views, "SEARCH_COUNT_LIMIT", 2)
    refused = {"q": "x" * 1000, "works_away": "false"}
    counts = stage_counts(organiser_client.get(LIST_URL, refused))
    assert counts[Stage.SOURCE] == 2 and counts[Stage.TRAINING] == 1
