"""Planning next year's quotas: the pipeline times each unit's conversion rate."""

from datetime import date
from fractions import Fraction

import pytest

from bench.treegen import add_candidates, add_subtree
from recruitment.models import Organisation, Stage, StageChange
from recruitment.reports.planning import PlanRow, planning
from tests.factories import CandidateFactory, QuotaFactory

pytestmark = pytest.mark.django_db


def trained_on(unit, day, **fields):
    """A candidate who passed training on ``day`` (its stage history says so, and the date
    the pipeline keeps with it, which the kept cohort counts read)."""
    candidate = CandidateFactory(unit=unit, trained_on=day, **fields)
    StageChange.objects.create(
        candidate=candidate, from_stage=Stage.TRAINING, to_stage=Stage.TRAINED, on=day
    )
    return candidate


def history(tree):
    """Ward I: 5 trained in 2019–2021: 3 admitted since, 1 withdrawn, 1 still on its way;
    today 4 trained, 1 dossier, 2 proposed (and some in earlier stages, who do not count).
    Ward III: no history.
    """
    cell = tree["ward1_cell"]
    for year in (2019, 2020, 2021):
        trained_on(cell, date(year, 3, 1), stage=Stage.ADMITTED, decision_on=date(year, 9, 1))
    trained_on(cell, date(2020, 3, 1), stage=Stage.WITHDRAWN)
    trained_on(cell, date(2021, 3, 1), stage=Stage.TRAINED)  # undecided: not in the rate
    trained_on(cell, date(2017, 3, 1), stage=Stage.RECOGNISED, decision_on=date(2018, 1, 1))
    for _ in range(3):
        CandidateFactory(unit=cell, stage=Stage.TRAINED)
    CandidateFactory(unit=cell, stage=Stage.DOSSIER)
    CandidateFactory(unit=cell, stage=Stage.PROPOSED)
    CandidateFactory(unit=tree["ward1"], stage=Stage.PROPOSED)  # the committee's own
    CandidateFactory(unit=cell, stage=Stage.SOURCE)
    CandidateFactory(unit=cell, stage=Stage.TRAINING)
    CandidateFactory(unit=tree["ward3_cell"], stage=Stage.PROPOSED)
    QuotaFactory(unit=tree["ward1"], year=2021, target=3)
    QuotaFactory(unit=tree["ward1"], year=2022, target=2)


def test_the_suggestion_is_the_pipeline_times_the_conversion_rate(tree):
    history(tree)
    ward1, ward3 = planning(tree["city"], 2021)
    assert ward1.unit == tree["ward1"]
    assert (ward1.history_admitted, ward1.history_decided) == (3, 4)
    assert ward1.rate == Fraction(3, 4)
    assert ward1.late_pipeline == 7  # 4 trained, 1 dossier, 2 proposed
    assert ward1.suggested == 5  # 7 × 3/4 = 5.25
    assert (ward1.quota, ward1.admitted, ward1.next_quota) == (3, 1, 2)


def test_a_unit_without_history_gets_no_suggestion(tree):
    history(tree)
    ward3 = planning(tree["city"], 2021)[1]
    assert (ward3.late_pipeline, ward3.rate, ward3.suggested) == (1, None, None)


def test_the_history_window_is_the_years_ending_with_this_year(tree):
    history(tree)
    ward1 = planning(tree["city"], 2020, history_years=2)[0]
    assert (ward1.history_admitted, ward1.history_decided) == (2, 3)


@pytest.mark.parametrize(
    ("pipeline", "admitted", "trained", "suggested"),
    [(5, 1, 2, 3), (5, 2, 5, 2), (3, 1, 3, 1), (0, 4, 4, 0), (4, 9, 3, 4), (7, 0, 4, 0)],
)
def test_suggestions_round_half_up_and_the_rate_is_at_most_one(
    tree, pipeline, admitted, trained, suggested
):
    row = PlanRow(unit=tree["ward1"], year=2021, quota=None, admitted=0, next_quota=None,
                  pipeline={Stage.TRAINED: pipeline}, history_admitted=admitted,
                  history_decided=trained)  # fmt: skip
    assert row.suggested == suggested
    assert row.rate <= 1


def test_planning_runs_a_fixed_number_of_queries(tree, django_assert_num_queries):
    history(tree)
    with django_assert_num_queries(3):
        planning(tree["city"], 2021)
    _committees, cells = add_subtree(tree["city"], wards=10, cells=2, prefix="P")
    add_candidates(cells, 10, year=2021, today=date(2026, 6, 15))
    city = Organisation.objects.get(pk=tree["city"].pk)
    with django_assert_num_queries(3):
        rows = planning(city, 2021)
    assert len(rows) == 12 and any(r.suggested for r in rows[2:])
