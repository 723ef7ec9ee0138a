"""Quota figures: rounding, roll-ups, missing quotas, query counts."""

from datetime import date

import pytest

from recruitment.models import Stage
from recruitment.reports.figures import quota_figures
from tests.factories import CandidateFactory, QuotaFactory, add_unit

pytestmark = pytest.mark.django_db


def admit(unit, n, year=2021, stage=Stage.ADMITTED):
    for _ in range(n):
        CandidateFactory(unit=unit, stage=stage, decision_on=date(year, 6, 1))


def test_admissions_roll_up_to_every_unit_above(tree):
    QuotaFactory(unit=tree["city"], year=2021, target=43)
    QuotaFactory(unit=tree["ward1"], year=2021, target=3)
    QuotaFactory(unit=tree["ward1"], year=2020, target=1)
    admit(tree["ward1_cell"], 3)
    admit(tree["ward1"], 1)  # admitted by the ward committee itself
    admit(tree["ward3_cell"], 44)
    admit(tree["other_cell"], 5)  # another city: not ours
    admit(tree["ward1_cell"], 2, year=2020)  # another year
    city, ward1, ward3 = quota_figures(tree["city"], 2021)
    assert (city.unit, city.quota, city.admitted, city.percent) == (tree["city"], 43, 48, 111)
    assert (ward1.quota, ward1.admitted, ward1.percent, ward1.quota_change) == (3, 4, 133, 2)
    assert (ward3.quota, ward3.admitted, ward3.percent) == (None, 44, None)


def test_every_admitted_stage_counts_in_the_year_of_the_decision(tree):
    for stage in [Stage.ADMITTED, Stage.RECOGNISED, Stage.DROPPED_OUT, Stage.STRUCK_OFF]:
        admit(tree["ward1_cell"], 1, stage=stage)
    CandidateFactory(unit=tree["ward1_cell"], stage=Stage.PROPOSED)
    assert quota_figures(tree["ward1"], 2021)[0].admitted == 4


@pytest.mark.parametrize(
    ("admitted", "quota", "percent"),
    [(48, 43, 111), (4, 3, 133), (2, 3, 66), (3, 3, 100), (0, 5, 0), (1, 0, None)],
)
def test_percent_is_rounded_down(tree, admitted, quota, percent):
    QuotaFactory(unit=tree["ward1"], year=2021, target=quota)
    admit(tree["ward1_cell"], admitted)
    assert quota_figures(tree["ward1"], 2021)[0].percent == percent


def test_exact_ratio_is_kept(tree):
    QuotaFactory(unit=tree["ward1"], year=2021, target=43)
    admit(tree["ward1_cell"], 48)
    assert str(quota_figures(tree["ward1"], 2021)[0].ratio) == "48/43"


def test_query_count_does_not_grow_with_the_tree(tree, django_assert_num_queries):
    with django_assert_num_queries(3):
        quota_figures(tree["city"], 2021)
    for n in range(10):
        ward = add_unit(tree["city"], f"VT-X{n}", kind="committee")
        admit(add_unit(ward, f"VT-X{n}-C"), 2)
        QuotaFactory(unit=ward, year=2021)
    city = type(tree["city"]).objects.get(pk=tree["city"].pk)
    with django_assert_num_queries(3):
        rows = quota_figures(city, 2021)
    assert len(rows) == 13 and rows[0].admitted == 20
