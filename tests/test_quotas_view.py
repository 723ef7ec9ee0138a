"""Quota pages: the yearly table (a formset) and accepting next year's suggestions."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from recruitment.models import MAX_YEAR, Quota, Stage, StageChange
from tests.factories import CandidateFactory, QuotaFactory
from tests.helpers import english, messages_of

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
    response = english(staff_client).post(f"{LIST}?year=2021", data)
    assert response.status_code == 302
    assert Quota.objects.get(unit=tree["ward1"], year=2021).target == 4
    assert not Quota.objects.filter(unit=tree["ward3"]).exists()
    assert messages_of(response) == [
        "1 quota for 2021 was saved.",
        "1 quota for 2021 was removed.",
    ]
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
    assert messages_of(response) and not response.context["formset"].is_bound
    assert not Quota.objects.exists()


def stale_posts(tree):
    """POST data from a page whose table no longer matches the units below the city."""
    ward1, ward3, cell = tree["ward1"], tree["ward3"], tree["ward1_cell"]
    return {
        "one_row_more": formset_data([(ward1, 1, ""), (ward3, 2, ""), (cell, 3, "")]),
        "one_row_fewer": formset_data([(ward1, 1, "")]),
        "one_row_more_and_a_bad_quota": formset_data(
            [(ward1, -1, ""), (ward3, 2, ""), (cell, 3, "")]
        ),
        "no_management_form": {"form-0-unit": ward1.pk, "form-0-target": 1},
    }


STALE = ["one_row_more", "one_row_fewer", "one_row_more_and_a_bad_quota", "no_management_form"]


@pytest.mark.parametrize("case", STALE)
def test_a_stale_table_is_shown_again_as_the_units_are_now(staff_client, tree, case):
    QuotaFactory(unit=tree["ward1"], year=2021, target=3)
    response = staff_client.post(f"{LIST}?year=2021", stale_posts(tree)[case])
    assert response.status_code == 200
    formset = response.context["formset"]
    assert not formset.is_bound  # the typed values were for other units
    assert [unit for unit, _form in formset.rows()] == [tree["ward1"], tree["ward3"]]
    assert formset.forms[0].initial["target"] == 3
    assert messages_of(response)  # why nothing was saved
    assert list(Quota.objects.values_list("unit__code", "target")) == [("VT-P1", 3)]


def test_the_units_changed_message_is_shown_for_a_stale_table(staff_client, tree):
    response = english(staff_client).post(f"{LIST}?year=2021", stale_posts(tree)["one_row_more"])
    assert any("The units changed" in m for m in messages_of(response))


def test_a_quota_the_service_refuses_saves_nothing(staff_client, tree, monkeypatch):
    refuse_ward3(monkeypatch, tree)
    data = formset_data([(tree["ward1"], 4, ""), (tree["ward3"], 5, "")])
    response = english(staff_client).post(f"{LIST}?year=2021", data)
    assert response.status_code == 200
    assert "Ward III is closed." in response.context["formset"].non_form_errors()
    assert any("Nothing was saved" in m for m in messages_of(response))
    assert not Quota.objects.exists()  # Ward I's quota, saved first, was rolled back


@pytest.mark.parametrize("year", ["2101", "1929", "x"])
def test_a_year_out_of_range_is_a_bad_request(staff_client, tree, year):
    assert staff_client.get(LIST, {"year": year}).status_code == 400
    assert staff_client.post(f"{LIST}?year={year}", {}).status_code == 400


def test_the_last_year_links_to_no_year_after_it(staff_client, tree):
    content = staff_client.get(LIST, {"year": MAX_YEAR}).content.decode()
    assert f"year={MAX_YEAR + 1}" not in content and 'rel="next"' not in content
    assert f"year={MAX_YEAR - 1}" in content
    assert PLAN not in content  # no next year to plan


def test_emptying_a_quota_asks_first_and_still_removes_it(staff_client, tree):
    QuotaFactory(unit=tree["ward1"], year=2021, target=3)
    content = english(staff_client).get(LIST, {"year": 2021}).content.decode()
    assert 'data-confirm-remove="Quotas you emptied will be removed. Continue?"' in content
    assert 'data-initial="3"' in content and 'data-initial=""' in content
    assert "js/dashboard.js" in content and "<script>" not in content
    data = formset_data([(tree["ward1"], None, ""), (tree["ward3"], None, "")])
    assert staff_client.post(f"{LIST}?year=2021", data).status_code == 302
    assert not Quota.objects.exists()  # the browser asks; the server removes as before


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
    # 12, and the navigation bar's count of reminders (one query, bounded).
    with django_assert_max_num_queries(13):
        staff_client.get(LIST, {"year": 2021})


def refuse_ward3(monkeypatch, tree):
    """Make validation refuse any quota of Ward III, as a rule the forms do not know would."""
    full_clean = Quota.full_clean

    def refusing(quota, *args, **kwargs):
        if quota.unit_id == tree["ward3"].pk:
            raise ValidationError({"unit": "Ward III is closed."})
        return full_clean(quota, *args, **kwargs)

    monkeypatch.setattr(Quota, "full_clean", refusing)


# --- Planning --------------------------------------------------------------------------------


@pytest.fixture
def plan_history(tree):
    cell = tree["ward1_cell"]
    for year in (2020, 2021):
        trained = date(year, 3, 1)
        candidate = CandidateFactory(
            unit=cell, stage=Stage.ADMITTED, decision_on=date(year, 9, 1), trained_on=trained
        )
        StageChange.objects.create(candidate=candidate, to_stage=Stage.TRAINED, on=trained)
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
    response = english(staff_client).post(f"{PLAN}?year=2021", data)
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
    response = english(staff_client).post(f"{PLAN}?year=2021", data)
    assert response.status_code == 200
    assert response.context["plan"][1][1].errors
    assert messages_of(response) == ["Nothing was saved: please correct the errors below."]
    assert not Quota.objects.filter(year=2022).exists()


def test_accepting_the_plan_does_not_overwrite_a_quota_set_since_the_page_was_opened(
    staff_client, plan_history
):
    tree = plan_history
    opened = staff_client.get(PLAN, {"year": 2021}).context["plan"]
    data = formset_data([(tree["ward1"], 3), (tree["ward3"], 2)])
    for i, (_row, form) in enumerate(opened):
        data[f"form-{i}-version"] = form.initial["version"]
    QuotaFactory(unit=tree["ward1"], year=2022, target=7)  # a colleague, meanwhile
    data["accept"] = [tree["ward1"].pk]
    response = english(staff_client).post(f"{PLAN}?year=2021", data)
    assert response.status_code == 200
    assert Quota.objects.get(unit=tree["ward1"], year=2022).target == 7
    assert "Nothing was saved: please correct the errors below." in messages_of(response)


def test_a_refused_quota_table_says_nothing_was_saved(staff_client, tree):
    data = formset_data([(tree["ward1"], -5), (tree["ward3"], 2)])
    response = english(staff_client).post(f"{LIST}?year=2021", data)
    assert response.status_code == 200
    assert messages_of(response) == ["Nothing was saved: please correct the errors below."]
    assert not Quota.objects.exists()


def test_a_unit_outside_the_plan_cannot_be_ticked(staff_client, plan_history):
    tree = plan_history
    data = formset_data([(tree["ward1"], 3), (tree["ward3"], 2)])
    data["accept"] = [tree["other_ward"].pk]
    response = staff_client.post(f"{PLAN}?year=2021", data)
    assert response.status_code == 200
    assert not Quota.objects.filter(year=2022).exists()


@pytest.mark.parametrize("case", STALE)
def test_a_stale_plan_is_shown_again_as_the_units_are_now(staff_client, plan_history, case):
    tree = plan_history
    data = stale_posts(tree)[case]
    data["accept"] = [tree["ward1"].pk]
    response = staff_client.post(f"{PLAN}?year=2021", data)
    assert response.status_code == 200
    assert not response.context["formset"].is_bound
    assert [row.unit for row, _form in response.context["plan"]] == [tree["ward1"], tree["ward3"]]
    assert response.context["plan"][0][1].initial["target"] == 3
    assert messages_of(response)
    assert not Quota.objects.filter(year=2022).exists()


def test_a_plan_the_service_refuses_saves_nothing(staff_client, plan_history, monkeypatch):
    tree = plan_history
    refuse_ward3(monkeypatch, tree)
    data = formset_data([(tree["ward1"], 3), (tree["ward3"], 2)])
    data["accept"] = [tree["ward1"].pk, tree["ward3"].pk]
    response = english(staff_client).post(f"{PLAN}?year=2021", data)
    assert response.status_code == 200
    assert "Ward III is closed." in response.context["formset"].non_form_errors()
    assert any("Nothing was saved" in m for m in messages_of(response))
    assert not Quota.objects.filter(year=2022).exists()


@pytest.mark.parametrize("year", [MAX_YEAR, MAX_YEAR + 1, 1929])
def test_no_plan_for_a_year_after_the_last(staff_client, plan_history, year):
    tree = plan_history
    assert staff_client.get(PLAN, {"year": year}).status_code == 400
    data = formset_data([(tree["ward1"], 3), (tree["ward3"], 2)])
    data["accept"] = [tree["ward1"].pk]
    assert staff_client.post(f"{PLAN}?year={year}", data).status_code == 400
    assert not Quota.objects.filter(year__gt=2021).exists()


def test_the_plan_is_for_next_year_by_default(staff_client, plan_history):
    # The suggestions rest on today's pipeline: by default they are for next year, whatever
    # year the latest quotas were set for.
    QuotaFactory(unit=plan_history["ward1"], year=MAX_YEAR, target=1)
    response = staff_client.get(PLAN)
    assert response.status_code == 200
    assert response.context["next_year"] == timezone.localdate().year + 1


def test_planning_a_past_year_says_the_suggestions_use_todays_pipeline(staff_client, plan_history):
    response = english(staff_client).get(PLAN, {"year": 2021})
    assert "today's pipeline" in response.content.decode()


def test_secondary_plan_columns_are_hidden_on_small_screens(staff_client, plan_history):
    content = staff_client.get(PLAN, {"year": 2021}).content.decode()
    # This year's quota and result, the conversion rate and next year's quota as it is now; in
    # the head, both rows and the foot. What is left fits 360 px (checked in a browser).
    assert content.count("d-none d-md-table-cell") == 4 * 4


def test_changing_a_past_years_quotas_asks_first(staff_client, tree):
    past = english(staff_client).get(f"{LIST}?year=2021").content.decode()
    assert "changing its quotas changes the achievement already reported" in past
    this_year = timezone.localdate().year
    current = english(staff_client).get(f"{LIST}?year={this_year}").content.decode()
    assert "achievement already reported" not in current


@pytest.mark.django_db
def test_a_quota_table_opened_before_someone_elses_save_saves_nothing(staff_client, tree):
    quota = QuotaFactory(unit=tree["ward1"], year=2026, target=3)
    page = staff_client.get(LIST, {"unit": tree["city"].pk, "year": 2026})
    opened = {
        form.initial["unit"]: form.initial["version"]
        for _unit, form in page.context["formset"].rows()
    }
    Quota.objects.get(pk=quota.pk).save()  # someone else saves it meanwhile (version + 1)
    data = formset_data([(tree["ward1"], 5), (tree["ward3"], 2)])
    for i, unit in enumerate([tree["ward1"], tree["ward3"]]):
        data[f"form-{i}-version"] = opened[unit.pk]
    response = english(staff_client).post(f"{LIST}?unit={tree['city'].pk}&year=2026", data)
    assert response.status_code == 200
    assert "after you opened this page" in response.content.decode()
    assert Quota.objects.get(pk=quota.pk).target == 3
    assert not Quota.objects.filter(unit=tree["ward3"]).exists()


def test_staff_set_no_quota_for_their_unit_of_a_year_it_did_not_exist(tree, staff_client):
    """The children were listed by the year's tree, the unit itself was not: staff opened a
    closed ward's page for a later year and saved it a quota, which the import refuses."""
    from recruitment.models import Organisation

    ward1 = tree["ward1"]
    Organisation.objects.filter(pk=ward1.pk).update(active=False, closed_on=date(2025, 7, 1))
    url = reverse("recruitment:quota-list") + f"?unit={ward1.pk}&year=2026"
    forms = staff_client.get(url).context["formset"].forms
    units = [form.initial["unit"] for form in forms]
    assert ward1.pk not in units
    data = {"form-TOTAL_FORMS": len(units), "form-INITIAL_FORMS": len(units)}
    for i, pk in enumerate(units):
        data |= {f"form-{i}-unit": pk, f"form-{i}-version": 0, f"form-{i}-target": 5}
    staff_client.post(url, data)
    assert not Quota.objects.filter(unit=ward1, year=2026).exists()


def test_the_one_write_path_of_quotas_refuses_a_unit_of_another_year(tree):
    from recruitment.models import Organisation
    from recruitment.services import QuotaChange, set_quotas

    ward3 = tree["ward3"]
    Organisation.objects.filter(pk=ward3.pk).update(closed_on=date(2025, 1, 1))
    ward3.refresh_from_db()
    with pytest.raises(ValidationError, match="2026") as refused:
        set_quotas(year=2026, changes=[QuotaChange(unit=ward3, target=3, note="", version=0)])
    assert refused.value.code == "unit_not_open"
    assert not Quota.objects.filter(unit=ward3).exists()
    set_quotas(year=2024, changes=[QuotaChange(unit=ward3, target=3, note="", version=0)])
    assert Quota.objects.get(unit=ward3).year == 2024
