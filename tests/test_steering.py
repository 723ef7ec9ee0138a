"""Steering the year (issue 11 §1): the current year first, pace, the same day last year,
year on year, overdue work per unit linking to the filtered list, and ranking."""

import io
from datetime import date
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone

from recruitment.models import Organisation, Stage
from recruitment.reports import figures, steering
from tests.factories import CandidateFactory, QuotaFactory
from tests.helpers import english

URL = reverse("recruitment:dashboard")
LIST = reverse("recruitment:candidate-list")
TODAY = date(2026, 7, 2)  # 183 of 365 days


def admit(unit, on: date, n: int = 1):
    return [
        CandidateFactory(unit=unit, stage=Stage.ADMITTED, decision_on=on, stage_since=on)
        for _ in range(n)
    ]


def steer(unit, year, today):
    return steering.steering(figures.quota_figures(unit, year), today)


def by_code(rows):
    return {row.unit.code: row for row in rows}


def test_the_dashboard_opens_on_the_current_year(staff_client, tree):
    QuotaFactory(unit=tree["city"], year=2021, target=5)  # the latest year with quotas
    response = staff_client.get(URL)
    assert response.context["year"] == timezone.localdate().year


def test_a_year_without_quotas_says_so(staff_client, tree):
    year = timezone.localdate().year + 1
    QuotaFactory(unit=tree["ward1"], year=year - 1, target=3)
    response = english(staff_client).get(URL, {"year": year})
    assert f"No quotas have been set for {year} yet." in response.content.decode()


def test_a_year_not_begun_is_not_behind_though_nobody_is_admitted_yet(staff_client, tree):
    year = timezone.localdate().year + 1
    QuotaFactory(unit=tree["ward1"], year=year, target=3)
    response = english(staff_client).get(URL, {"year": year})
    page = response.content.decode()
    assert response.context["behind_count"] == response.context["behind_pace_count"] == 0
    assert "chart-bar--behind" not in page and "row-behind" not in page
    # The year before, over, with the same shortfall: behind, in the table and the chart.
    QuotaFactory(unit=tree["ward1"], year=year - 2, target=3)
    page = staff_client.get(URL, {"year": year - 2}).content.decode()
    assert "chart-bar--behind" in page and "row-behind" in page


def test_the_pace_says_how_far_behind_and_who_could_close_the_gap(tree):
    QuotaFactory(unit=tree["ward1"], year=2026, target=12)
    admit(tree["ward1_cell"], date(2026, 3, 1), 2)
    for stage in (Stage.DOSSIER, Stage.PROPOSED, Stage.TRAINING):
        CandidateFactory(unit=tree["ward1_cell"], stage=stage)
    rows = by_code(steer(tree["city"], 2026, TODAY))
    ward = rows["VT-P1"]
    assert ward.expected == 6  # 12 × 183/365 = 6.02
    assert ward.gap == -4 and ward.behind_pace
    assert ward.near == 2  # the dossier and the proposed, not the one in training
    assert rows["VT-P3"].expected is None  # no quota: no pace
    # A year that is over or has not begun has no pace to keep.
    assert steer(tree["city"], 2025, TODAY)[1].expected is None


def test_the_same_day_last_year_counts_whole_months_and_this_month_to_the_day(tree):
    cell = tree["ward1_cell"]
    admit(cell, date(2025, 1, 10))  # a whole month before
    admit(cell, date(2025, 7, 1))  # this month, on or before the day
    admit(cell, date(2025, 7, 2))
    admit(cell, date(2025, 7, 3))  # after the day
    admit(cell, date(2025, 12, 1))
    admit(tree["ward3_cell"], date(2025, 6, 30))
    rows = by_code(steer(tree["city"], 2026, TODAY))
    assert rows["VT-P1"].by_now_last_year == 3
    assert rows["VT-P3"].by_now_last_year == 1
    assert rows["VT"].by_now_last_year == 4
    assert rows["VT-P1"].earlier[0].admitted == 5  # the whole of 2025


def test_the_same_day_last_year_counts_where_the_admission_was_made(tree):
    """As the kept counts do: in the admitting unit, not where the member is today."""
    moved = admit(tree["ward3_cell"], date(2025, 7, 1))[0]
    moved.admitted_unit = tree["ward1_cell"]
    moved.save()
    rows = by_code(steer(tree["city"], 2026, TODAY))
    assert (rows["VT-P1"].by_now_last_year, rows["VT-P3"].by_now_last_year) == (1, 0)


def test_a_certificate_of_28_february_has_lapsed_on_29_february_five_years_on(tree):
    from recruitment.models import Candidate

    CandidateFactory(unit=tree["ward1_cell"], stage=Stage.DOSSIER,
                     latest_certificate_on=date(2023, 2, 28))  # fmt: skip
    CandidateFactory(unit=tree["ward1_cell"], stage=Stage.DOSSIER,
                     latest_certificate_on=date(2023, 3, 1))  # fmt: skip
    leap_day = date(2028, 2, 29)  # the first counted until 28/2/2028, the second until 1/3
    lapsed = steering.overdue_candidates(Candidate.objects.all(), "certificate", leap_day)
    assert [c.latest_certificate_on for c in lapsed] == [date(2023, 2, 28)]
    assert (
        steering.overdue_candidates(
            Candidate.objects.all(), "certificate", date(2028, 3, 2)
        ).count()
        == 2
    )


def test_year_on_year_gives_the_two_years_before(tree):
    QuotaFactory(unit=tree["ward1"], year=2024, target=2)
    admit(tree["ward1_cell"], date(2024, 5, 5), 3)
    ward = by_code(steer(tree["city"], 2026, TODAY))["VT-P1"]
    assert [(y.year, y.quota, y.admitted, y.percent) for y in ward.earlier] == [
        (2025, None, 0, None),
        (2024, 2, 3, 150),
    ]


def overdue_world(tree):
    """Ward I: a decision overdue, a ceremony overdue, a lapsed certificate; Ward III: a
    decision not yet due."""
    cell = tree["ward1_cell"]
    late = CandidateFactory(
        unit=cell,
        stage=Stage.PROPOSED,
        application_on=date(2025, 10, 1),
        cell_resolution_on=date(2025, 11, 3),
    )
    CandidateFactory(unit=cell, stage=Stage.ADMITTED, decision_on=date(2026, 1, 5))
    CandidateFactory(
        unit=cell, stage=Stage.DOSSIER, latest_certificate_on=date(2020, 1, 1),
        application_on=date(2026, 5, 1),
    )  # fmt: skip
    CandidateFactory(
        unit=tree["ward3_cell"],
        stage=Stage.PROPOSED,
        application_on=date(2026, 5, 1),
        cell_resolution_on=date(2026, 6, 25),
    )
    return late


def test_overdue_work_is_counted_per_unit(tree):
    overdue_world(tree)
    rows = by_code(steer(tree["city"], 2026, TODAY))
    assert rows["VT-P1"].overdue == {"decision": 1, "ceremony": 1, "certificate": 1}
    assert rows["VT-P3"].overdue == {}
    assert rows["VT"].overdue_total == 3


def test_an_overdue_count_links_to_the_same_candidates(staff_client, tree):
    late = overdue_world(tree)
    with mock.patch("django.utils.timezone.localdate", return_value=TODAY):
        page = staff_client.get(URL, {"year": 2026})
        link = f"{LIST}?unit={tree['ward1'].pk}&amp;overdue=decision"
        assert link in page.content.decode()
        listed = staff_client.get(LIST, {"unit": tree["ward1"].pk, "overdue": "decision"})
    assert [c.pk for c in listed.context["page_obj"]] == [late.pk]


def test_the_children_are_ranked_by_what_the_url_asks(staff_client, tree):
    QuotaFactory(unit=tree["ward1"], year=2025, target=4)
    QuotaFactory(unit=tree["ward3"], year=2025, target=4)
    admit(tree["ward1_cell"], date(2025, 3, 3), 3)
    admit(tree["ward3_cell"], date(2025, 3, 3), 1)
    CandidateFactory(unit=tree["ward1_cell"], stage=Stage.SOURCE)

    def order(sort):
        response = staff_client.get(URL, {"year": 2025, "sort": sort})
        return [row.unit.code for row in response.context["steering_rows"][1:]]

    assert order("") == ["VT-P1", "VT-P3"]
    assert order("achievement") == ["VT-P3", "VT-P1"]  # 25 % before 75 %
    assert order("no_source") == ["VT-P3", "VT-P1"]  # Ward III has no source left


@pytest.mark.parametrize("sort", ["best", "ACHIEVEMENT2"])
def test_an_unknown_ranking_is_a_bad_request(staff_client, tree, sort):
    assert staff_client.get(URL, {"sort": sort}).status_code == 400


def test_steering_runs_a_fixed_number_of_queries(tree, django_assert_num_queries):
    from tests.factories import add_unit

    rows = figures.quota_figures(tree["city"], 2026)
    with django_assert_num_queries(6):
        steering.steering(rows, TODAY)
    overdue_world(tree)
    for n in range(3):
        ward = add_unit(tree["city"], f"VT-X{n}", f"Phường X{n}", "committee")
        cell = add_unit(ward, f"VT-X{n}-1", f"Chi bộ X{n}")
        admit(cell, date(2025, 7, 1 + n))
        QuotaFactory(unit=ward, year=2026, target=2)
    rows = figures.quota_figures(Organisation.objects.get(pk=tree["city"].pk), 2026)
    assert len(rows) == 6
    with django_assert_num_queries(6):
        steering.steering(rows, TODAY)


# --- A unit's monthly plan ---------------------------------------------------------------------


def months_url(quota):
    return reverse("recruitment:quota-months", args=[quota.pk])


def test_the_pace_follows_a_monthly_plan(tree):
    quota = QuotaFactory(unit=tree["ward1"], year=2026, target=12)
    admit(tree["ward1_cell"], date(2026, 3, 1), 2)
    assert by_code(steer(tree["city"], 2026, TODAY))["VT-P1"].expected == 6  # even: 6.02
    quota.monthly_plan = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 6, 6]  # all in the last two months
    quota.save()
    ward = by_code(steer(tree["city"], 2026, TODAY))["VT-P1"]
    assert (ward.expected, ward.gap, ward.behind_pace, ward.planned) == (0, 2, False, True)
    # Half of July's 31 admissions planned by the 2nd: 12 × (6 + 31 × 2/31) / 93 = 1.03.
    quota.monthly_plan = [1, 1, 1, 1, 1, 1, 31, 14, 14, 14, 14, 0]
    quota.save()
    assert by_code(steer(tree["city"], 2026, TODAY))["VT-P1"].expected == 1


def test_the_page_the_exports_and_the_report_state_the_plans_pace(staff_client, tree):
    quota = QuotaFactory(unit=tree["city"], year=2026, target=12)
    quota.monthly_plan = [0] * 10 + [6, 6]
    quota.save()
    with mock.patch("django.utils.timezone.localdate", return_value=TODAY):
        page = english(staff_client).get(URL, {"year": 2026})
        data = staff_client.get(URL, {"year": 2026, "format": "json"}).json()
    text = page.content.decode()
    assert "the monthly plan expects 0 admissions" in text
    # The chart beside it draws the plan too: flat to October, then up to 12.
    assert "the dashed line the unit&#x27;s monthly plan to the quota" in text
    assert '<polyline class="chart-pace"' in text
    assert data["header"]["expected_by_now"] == data["rows"][0]["expected_by_now"] == 0
    pace = figures.pace(figures.quota_figures(tree["city"], 2026)[0], TODAY, quota.monthly_plan)
    assert (pace.expected, pace.planned) == (0, True)


def test_the_organiser_sets_the_wards_monthly_plan_and_the_dashboard_follows(
    organiser_client, tree
):
    quota = QuotaFactory(unit=tree["ward1"], year=2026, target=12)
    plan = {f"month_{m}": 1 for m in range(1, 13)}
    response = organiser_client.post(months_url(quota), {**plan, "month_12": 0, "version": 1})
    assert response.status_code == 302
    quota.refresh_from_db()
    assert quota.monthly_plan == [1] * 11 + [0]
    # Every month left empty: back to the even pace.
    assert organiser_client.post(months_url(quota), {"version": 2}).status_code == 302
    quota.refresh_from_db()
    assert quota.monthly_plan == []


@pytest.mark.parametrize(
    ("values", "error"),
    [
        ({"month_1": "-1"}, "greater than or equal to 0"),
        ({"month_1": "0", "month_2": "0"}, "Plan at least one admission"),
        ({"month_3": "mười"}, "Enter a whole number"),
    ],
)
def test_a_bad_plan_is_refused_with_a_reason_and_nothing_is_saved(
    organiser_client, tree, values, error
):
    quota = QuotaFactory(unit=tree["ward1"], year=2026, target=12, monthly_plan=[1] * 12)
    response = english(organiser_client).post(months_url(quota), {**values, "version": 1})
    assert response.status_code == 200
    assert error in response.content.decode()
    quota.refresh_from_db()
    assert quota.monthly_plan == [1] * 12 and quota.version == 1


def test_a_plan_changed_meanwhile_is_not_overwritten(organiser_client, tree):
    quota = QuotaFactory(unit=tree["ward1"], year=2026, target=12)
    quota.monthly_plan = [1] * 12
    quota.save()  # version 2: someone saved after the form was opened at version 1
    response = organiser_client.post(months_url(quota), {"month_1": "12", "version": 1})
    assert response.status_code == 200
    quota.refresh_from_db()
    assert quota.monthly_plan == [1] * 12


def test_another_wards_organiser_cannot_see_or_set_the_plan(other_organiser_client, tree):
    quota = QuotaFactory(unit=tree["ward1"], year=2026, target=12)
    assert other_organiser_client.get(months_url(quota)).status_code == 404
    assert other_organiser_client.post(months_url(quota), {"month_1": "3"}).status_code == 404
    quota.refresh_from_db()
    assert quota.monthly_plan == []


@pytest.mark.parametrize("plan", [[1] * 11, [1] * 11 + [-1], [0] * 12, ["1"] * 12, [True] * 12])
def test_the_model_refuses_a_plan_that_is_not_twelve_whole_numbers(tree, plan):
    from django.core.exceptions import ValidationError

    quota = QuotaFactory.build(unit=tree["ward1"], year=2026, target=12, monthly_plan=plan)
    with pytest.raises(ValidationError) as refused:
        quota.full_clean()
    assert "monthly_plan" in refused.value.message_dict


# --- The pipeline at each year's end ----------------------------------------------------------


def history(candidate, *changes):
    from recruitment.models import StageChange

    for stage, on in changes:
        StageChange.objects.create(candidate=candidate, to_stage=stage, on=on)


def test_the_pipeline_at_each_years_end_is_worked_out_from_the_history(tree):
    from recruitment import yearend

    cell, other = tree["ward1_cell"], tree["ward3_cell"]
    admitted = CandidateFactory(unit=cell, stage=Stage.ADMITTED, decision_on=date(2024, 5, 1))
    history(admitted, (Stage.SOURCE, date(2023, 3, 1)), (Stage.TRAINING, date(2023, 6, 1)),
            (Stage.ADMITTED, date(2024, 5, 1)))  # fmt: skip
    withdrawn = CandidateFactory(unit=other, stage=Stage.WITHDRAWN)
    history(withdrawn, (Stage.SOURCE, date(2022, 4, 1)), (Stage.WITHDRAWN, date(2023, 2, 1)))
    late = CandidateFactory(unit=cell, stage=Stage.SOURCE)
    history(late, (Stage.SOURCE, date(2024, 12, 31)))  # in on the last day
    yearend.record_from_history([2022, 2023, 2024])
    got = yearend.read([tree["city"], tree["ward1"], tree["ward3"], cell], [2022, 2023, 2024])
    city, ward1, ward3 = tree["city"].pk, tree["ward1"].pk, tree["ward3"].pk
    assert (got.get((city, 2022)), got.get((ward3, 2022)), got.get((ward1, 2022))) == (1, 1, None)
    assert (got.get((city, 2023)), got.get((ward1, 2023)), got.get((cell.pk, 2023))) == (1, 1, 1)
    assert (got.get((city, 2024)), got.get((ward1, 2024))) == (1, 1)  # the late one only
    # Withdrawn in February: worked out in today's units, a unit without a row has no figure.
    assert got.get((ward3, 2023)) is None


def test_the_current_year_is_recorded_from_the_kept_counts_and_shown_next_year(tree):
    from django.core.management import call_command

    for stage in (Stage.SOURCE, Stage.DOSSIER, Stage.ADMITTED):
        CandidateFactory(unit=tree["ward1_cell"], stage=stage)
    with mock.patch("django.utils.timezone.localdate", return_value=date(2025, 12, 31)):
        call_command("record_pipeline", stdout=io.StringIO())
        call_command("record_pipeline", stdout=io.StringIO())  # twice: the same rows
    ward = by_code(steer(tree["city"], 2026, TODAY))["VT-P1"]
    assert [(y.year, y.pipeline) for y in ward.earlier] == [(2025, 2), (2024, None)]


def test_saving_a_monthly_plan_writes_the_plan_only(tree):
    """The quota is read before its row is locked: a target the staff changed in between
    is not written back with the plan."""
    from recruitment.forms import MonthlyPlanForm
    from recruitment.models import Quota

    quota = QuotaFactory(unit=tree["ward1"], year=2026, target=12)
    read = Quota.objects.get(pk=quota.pk)  # what the organiser's request read
    Quota.objects.filter(pk=quota.pk).update(target=15)  # the staff, meanwhile
    form = MonthlyPlanForm({f"month_{m}": 1 for m in range(1, 13)}, instance=read)
    assert form.is_valid(), form.errors
    form.save()
    quota.refresh_from_db()
    assert (quota.target, quota.monthly_plan) == (15, [1] * 12)
