"""Quota pages: the yearly table (a formset) and accepting next year's suggestions."""

from datetime import date

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.urls import reverse

from recruitment.models import Quota, Stage, StageChange
from tests.factories import CandidateFactory, QuotaFactory

LIST = reverse("recruitment:quota-list")
PLAN = reverse("recruitment:quota-plan")


def formset_data(rows, prefix="form"):
    """POST data for a formset of ``(unit, target, note)`` rows."""
    data = {f"{prefix}-TOTAL_FORMS": len(rows), f"{prefix}-INITIAL_FORMS": len(rows)}
    for i, (unit, target, *rest) in enumerate(rows):
        data[f"{prefix}-{i}-unit"] = unit.pk
        data[f"{prefix}-{i}-target"] = "" if target is None else target
        if rest:
            data[f"{prefix}-{i}-note"] = rest[0]
    return data


def in_english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


# --- Access ----------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("url", [LIST, PLAN])
def test_anonymous_users_are_sent_to_sign_in(client, url):
    assert client.get(url).status_code == 302


@pytest.mark.parametrize("url", [LIST, PLAN])
def test_organisers_may_not_set_quotas(organiser_client, url):
    assert organiser_client.get(url).status_code == 403
    assert organiser_client.post(url, {}).status_code == 403


@pytest.mark.parametrize("url", [LIST, PLAN])
def test_staff_of_another_city_get_404(other_staff_client, tree, url):
    assert other_staff_client.get(url, {"unit": tree["ward1"].pk}).status_code == 404
    response = other_staff_client.post(f"{url}?unit={tree['ward1'].pk}&year=2021", {})
    assert response.status_code == 404
    assert not Quota.objects.exists()


# --- The yearly table ------------------------------------------------------------------------


def test_staff_see_the_quotas_of_their_units_children(staff_client, tree):
    QuotaFactory(unit=tree["city"], year=2021, target=43)
    QuotaFactory(unit=tree["ward1"], year=2021, target=3, note="tăng 2")
    response = staff_client.get(LIST, {"year": 2021})
    assert response.status_code == 200
    units = [unit for unit, _form in response.context["formset"].rows()]
    assert units == [tree["ward1"], tree["ward3"]]  # the city's own quota is set from above
    assert response.context["formset"].forms[0].initial["target"] == 3
    assert response.context["own_quota"].target == 43


def test_saving_creates_changes_and_removes_quotas(staff_client, tree):
    QuotaFactory(unit=tree["ward1"], year=2021, target=3)
    QuotaFactory(unit=tree["ward3"], year=2021, target=5)
    data = formset_data([(tree["ward1"], 4, "thêm 1"), (tree["ward3"], None, "")])
    response = in_english(staff_client).post(f"{LIST}?year=2021", data)
    assert response.status_code == 302
    assert Quota.objects.get(unit=tree["ward1"], year=2021).target == 4
    assert not Quota.objects.filter(unit=tree["ward3"]).exists()
    assert any("2 quotas" in m for m in messages_of(response))
    response = staff_client.post(
        f"{LIST}?year=2022", formset_data([(tree["ward1"], 2, ""), (tree["ward3"], 6, "")])
    )
    assert set(Quota.objects.filter(year=2022).values_list("target", flat=True)) == {2, 6}


def test_a_negative_quota_is_refused(staff_client, tree):
    response = staff_client.post(
        f"{LIST}?year=2021", formset_data([(tree["ward1"], -1, ""), (tree["ward3"], 1, "")])
    )
    assert response.status_code == 200
    assert response.context["formset"].forms[0].errors
    assert not Quota.objects.exists()


def test_a_changed_tree_is_refused(staff_client, tree):
    data = formset_data([(tree["ward3"], 1, ""), (tree["ward1"], 1, "")])
    response = staff_client.post(f"{LIST}?year=2021", data)
    assert response.status_code == 200
    assert response.context["formset"].non_form_errors()
    assert not Quota.objects.exists()


def test_children_that_do_not_add_up_are_shown_not_forbidden(staff_client, tree):
    QuotaFactory(unit=tree["city"], year=2021, target=10)
    response = staff_client.post(
        f"{LIST}?year=2021", formset_data([(tree["ward1"], 3, ""), (tree["ward3"], 4, "")])
    )
    assert response.status_code == 302
    response = staff_client.get(LIST, {"year": 2021})
    assert response.context["mismatch"] and response.context["children_total"] == 7


def test_on_a_wards_page_staff_set_the_wards_own_quota_too(staff_client, tree):
    response = staff_client.get(LIST, {"year": 2021, "unit": tree["ward1"].pk})
    units = [unit for unit, _form in response.context["formset"].rows()]
    assert units == [tree["ward1"], tree["ward1_cell"]]


def test_the_quota_list_query_count_is_fixed(staff_client, tree, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        staff_client.get(LIST, {"year": 2021})


# --- Planning --------------------------------------------------------------------------------


@pytest.fixture
def plan_history(tree):
    cell = tree["ward1_cell"]
    for year in (2020, 2021):
        candidate = CandidateFactory(unit=cell, stage=Stage.ADMITTED, decision_on=date(year, 9, 1))
        StageChange.objects.create(candidate=candidate, to_stage=Stage.TRAINED,
                                   on=date(year, 3, 1))  # fmt: skip
    for _ in range(3):
        CandidateFactory(unit=cell, stage=Stage.PROPOSED)
    QuotaFactory(unit=tree["ward1"], year=2021, target=3)
    return tree


def test_the_plan_shows_suggestions_beside_this_years_quota(staff_client, plan_history):
    response = staff_client.get(PLAN, {"year": 2021})
    rows = [row for row, _form in response.context["plan"]]
    assert [r.unit.code for r in rows] == ["VT-P1", "VT-P3"]
    assert (rows[0].quota, rows[0].admitted, rows[0].suggested) == (3, 1, 3)
    assert response.context["plan"][0][1].initial["target"] == 3
    assert 'data-confirm="' in response.content.decode()


def test_accepting_some_suggestions_sets_next_years_quotas(staff_client, plan_history):
    tree = plan_history
    data = formset_data([(tree["ward1"], 3), (tree["ward3"], 2)])
    data["accept"] = [tree["ward1"].pk]
    response = in_english(staff_client).post(f"{PLAN}?year=2021", data)
    assert response.status_code == 302
    assert list(Quota.objects.filter(year=2022).values_list("unit__code", "target")) == [
        ("VT-P1", 3)
    ]
    assert any("1 quota for 2022" in m for m in messages_of(response))


def test_an_edited_suggestion_is_what_is_saved(staff_client, plan_history):
    tree = plan_history
    QuotaFactory(unit=tree["ward3"], year=2022, target=9)
    data = formset_data([(tree["ward1"], 5), (tree["ward3"], 1)])
    data["accept"] = [tree["ward1"].pk, tree["ward3"].pk]
    staff_client.post(f"{PLAN}?year=2021", data)
    assert dict(Quota.objects.filter(year=2022).values_list("unit__code", "target")) == {
        "VT-P1": 5,
        "VT-P3": 1,
    }


def test_nothing_ticked_or_a_ticked_row_without_a_quota_is_refused(staff_client, plan_history):
    tree = plan_history
    data = formset_data([(tree["ward1"], 3), (tree["ward3"], None)])
    response = staff_client.post(f"{PLAN}?year=2021", data)
    assert response.status_code == 200 and response.context["accept"].errors
    data["accept"] = [tree["ward1"].pk, tree["ward3"].pk]
    response = staff_client.post(f"{PLAN}?year=2021", data)
    assert response.status_code == 200
    assert response.context["plan"][1][1].errors
    assert not Quota.objects.filter(year=2022).exists()


def test_a_unit_outside_the_plan_cannot_be_ticked(staff_client, plan_history):
    tree = plan_history
    data = formset_data([(tree["ward1"], 3), (tree["ward3"], 2)])
    data["accept"] = [tree["other_ward"].pk]
    response = staff_client.post(f"{PLAN}?year=2021", data)
    assert response.status_code == 200
    assert not Quota.objects.filter(year=2022).exists()
