"""Kept counts (recruitment.rollups): they follow every write and equal a recount."""

import random
from datetime import date, timedelta

import pytest
from django.core.management import call_command

from recruitment import pipeline, rollups, services
from recruitment.models import Candidate, Gender, Holiday, Organisation, StageChange, Tally
from recruitment.reports import figures
from recruitment.stages import PIPELINE, Stage
from tests.factories import TODAY, CandidateFactory, on_today, ready_for

pytestmark = pytest.mark.django_db


def kept(unit, year, key):
    return rollups.read([unit], [year], [key]).get(unit.pk, {}).get((year, key), 0)


def admitted_in(cell, decision_on, **fields):
    return CandidateFactory(
        unit=cell,
        stage=Stage.ADMITTED,
        decision_on=decision_on,
        ceremony_on=decision_on + timedelta(days=10),
        **fields,
    )


def test_a_new_candidate_counts_in_its_unit_and_every_unit_above(tree):
    CandidateFactory(unit=tree["ward1_cell"])
    key = rollups.stage_key(Stage.SOURCE)
    for name in ("ward1_cell", "ward1", "city", "province"):
        assert kept(tree[name], rollups.NOW, key) == 1
    assert kept(tree["ward3"], rollups.NOW, key) == 0
    assert rollups.differences() == []


def test_an_admission_counts_in_its_year_month_and_make_up(tree):
    admitted_in(tree["ward1_cell"], date(2021, 9, 3), gender=Gender.FEMALE, religion="Phật giáo")
    city = tree["city"]
    assert kept(city, 2021, rollups.ADMITTED) == 1
    assert kept(city, 2021, "m9") == 1
    assert kept(city, 2021, "women") == 1 and kept(city, 2021, "religious") == 1
    assert kept(city, 2021, "minority") == 0
    assert figures.monthly_admissions(city, 2021)[8] == 1


def test_the_admission_stays_where_it_happened_when_the_person_moves(tree):
    candidate = admitted_in(tree["ward1_cell"], date(2021, 9, 3))
    candidate.admitted_unit = tree["ward1_cell"]
    candidate.save()
    candidate.unit = tree["ward3_cell"]
    candidate.save()
    assert kept(tree["ward1"], 2021, rollups.ADMITTED) == 1
    assert kept(tree["ward3"], 2021, rollups.ADMITTED) == 0
    # Today's stage counts are where the person is now.
    assert kept(tree["ward3"], rollups.NOW, rollups.stage_key(Stage.ADMITTED)) == 1
    assert kept(tree["ward1"], rollups.NOW, rollups.stage_key(Stage.ADMITTED)) == 0
    assert rollups.differences() == []


@on_today
def test_admitting_records_the_unit_of_the_admission(tree):
    candidate = ready_for(Stage.ADMITTED, tree["ward1_cell"])
    pipeline.move(
        candidate,
        Stage.ADMITTED,
        on=TODAY,
        changes={"decision_on": TODAY, "decision_number": "7-QĐ/HU"},
    )
    candidate.refresh_from_db()
    assert candidate.admitted_unit == tree["ward1_cell"]
    assert kept(tree["city"], TODAY.year, rollups.ADMITTED) == 1


def test_a_deleted_candidate_is_taken_away(tree):
    candidate = admitted_in(tree["ward1_cell"], date(2022, 1, 5))
    candidate.delete()
    assert kept(tree["province"], 2022, rollups.ADMITTED) == 0
    assert rollups.differences() == []


def test_an_update_that_bypasses_save_is_repaired_by_a_recompute(tree):
    admitted_in(tree["ward1_cell"], date(2021, 3, 1))
    admitted_in(tree["ward3_cell"], date(2021, 3, 1))
    Candidate.objects.filter(unit=tree["ward1_cell"]).update(gender=Gender.FEMALE)
    assert rollups.differences() != []
    changed = rollups.recompute_rollups([tree["ward1_cell"]], years=[2021])
    assert changed > 0
    assert rollups.differences() == []
    assert kept(tree["province"], 2021, "women") == 1


def test_a_recompute_of_many_subtrees_recounts_the_unit_holding_them(tree, monkeypatch):
    monkeypatch.setattr(rollups, "MAX_SUBTREES", 1)
    for name in ("ward1_cell", "ward3_cell"):
        admitted_in(tree[name], date(2021, 3, 1))
    Tally.objects.all().delete()
    rollups.recompute_rollups([tree["ward1_cell"], tree["ward3_cell"]])
    assert kept(tree["city"], 2021, rollups.ADMITTED) == 2
    assert rollups.differences(tree["city"].path) == []


def test_figures_read_a_fixed_number_of_rows_whatever_the_subtree(tree, django_assert_num_queries):
    admitted_in(tree["ward1_cell"], date(2021, 3, 1))
    with django_assert_num_queries(1):
        assert figures.composition(tree["province"], 2021)[0].total == 1
    with django_assert_num_queries(1):
        assert figures.retention(tree["province"], 2021)[-1].admitted == 1


def test_verify_rollups_exits_1_on_a_difference_and_repairs_it(tree, capsys):
    admitted_in(tree["ward1_cell"], date(2021, 3, 1))
    call_command("verify_rollups")
    assert "equal a recount" in capsys.readouterr().out
    Tally.objects.filter(unit=tree["city"], year=2021, key=rollups.ADMITTED).update(n=5)
    with pytest.raises(SystemExit) as exit_:
        call_command("verify_rollups")
    assert exit_.value.code == 1
    assert "kept 5, recounted 1" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        call_command("verify_rollups", "--repair")
    call_command("verify_rollups", "--unit", "VT")
    assert kept(tree["city"], 2021, rollups.ADMITTED) == 1


def test_a_repair_that_fails_midway_writes_nothing(tree, monkeypatch):
    admitted_in(tree["ward1_cell"], date(2021, 3, 1))
    Tally.objects.filter(unit=tree["city"], year=2021, key=rollups.ADMITTED).update(n=5)

    def broken(prefix):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr("recruitment.management.commands.verify_rollups.keep_trained_on", broken)
    with pytest.raises(RuntimeError):
        call_command("verify_rollups", "--repair")
    assert kept(tree["city"], 2021, rollups.ADMITTED) == 5  # the recount rolled back too


def _try_move(candidate, to, rng):
    changes = {}
    if to == Stage.ADMITTED:
        decided = TODAY - timedelta(days=rng.randrange(0, 30))
        changes = {"decision_on": decided, "decision_number": f"{rng.randrange(999)}-QĐ"}
    reason = "" if pipeline.kind_of_move(candidate.stage, to) == pipeline.Move.FORWARD else "x"
    try:
        pipeline.move(candidate, to, on=TODAY, reason=reason, changes=changes)
    except pipeline.MoveRefused as refused:
        if refused.confirmable:
            try:
                pipeline.move(
                    candidate,
                    to,
                    on=TODAY,
                    reason=reason,
                    changes=changes,
                    confirmed=set(refused.confirmable),
                )
            except pipeline.MoveRefused:
                return False
        else:
            return False
    return True


@on_today
def test_random_moves_edits_and_deletions_keep_counts_equal_to_a_recount(tree):
    """Candidates ready for every step in three cells, then 150 random writes: moves
    forward, back and out (those the rules refuse save nothing), edits of who the person
    is and where, corrections and deletions. The kept counts then equal a recount."""
    rng = random.Random(13)
    cells = [tree["ward1_cell"], tree["ward3_cell"], tree["other_cell"]]
    candidates = [
        ready_for(stage, rng.choice(cells), gender=rng.choice(Gender.values))
        for stage in PIPELINE[1:]
        for _ in range(3)
    ]
    moved = 0
    for _ in range(150):
        candidate = Candidate.objects.get(pk=rng.choice(candidates).pk)
        action = rng.random()
        if action < 0.7:
            moves = pipeline.allowed_moves(candidate)
            if moves:
                moved += _try_move(candidate, rng.choice(moves), rng)
        elif action < 0.85:
            candidate.gender = rng.choice(Gender.values)
            candidate.ethnicity = rng.choice(["Kinh", "Khmer"])
            candidate.unit = rng.choice(cells)
            candidate.save()
        elif action < 0.95 and candidate.stage in (Stage.ADMITTED, Stage.RECOGNISED):
            # The decision corrected into another year moves the admission there.
            try:
                pipeline.correct(
                    candidate,
                    {"decision_on": candidate.decision_on - timedelta(days=200)},
                    reason="typo",
                )
            except pipeline.MoveRefused:
                pass
        elif len(candidates) > 10:
            candidates.remove(candidate)
            candidate.delete()
    assert moved > 20
    assert rollups.differences() == []
    for unit in Organisation.objects.all():
        assert rollups.differences(unit.path) == []


def test_a_recompute_also_stores_the_deadlines_of_rows_written_in_bulk(tree):
    Candidate.objects.bulk_create(
        [
            Candidate(
                full_name="Bulk",
                date_of_birth=date(1995, 1, 1),
                gender=Gender.MALE,
                unit=tree["ward1_cell"],
                stage=Stage.PROPOSED,
                cell_resolution_on=date(2021, 2, 5),
            )
        ]
    )
    rollups.recompute_rollups([tree["ward1_cell"]])
    bulk = Candidate.objects.get(full_name="Bulk")
    assert (bulk.deadline_kind, bulk.deadline_due_on) == ("decision", date(2021, 5, 12))
    assert kept(tree["city"], rollups.NOW, rollups.stage_key(Stage.PROPOSED)) == 1


def test_moving_a_unit_moves_its_counts_to_its_new_line(tree):
    CandidateFactory(unit=tree["ward1_cell"], stage=Stage.TRAINED)
    admitted_in(tree["ward1_cell"], date(2021, 3, 1))
    ward1 = Organisation.objects.get(pk=tree["ward1"].pk)
    other_city = Organisation.objects.get(pk=tree["other_city"].pk)
    Organisation.objects.move(ward1, other_city, "last-child")
    assert kept(tree["city"], 2021, rollups.ADMITTED) == 0
    assert kept(tree["other_city"], 2021, rollups.ADMITTED) == 1
    assert kept(tree["other_city"], rollups.NOW, rollups.stage_key(Stage.TRAINED)) == 1
    assert kept(tree["province"], 2021, rollups.ADMITTED) == 1
    assert rollups.differences() == []


@on_today
def test_a_pass_recorded_through_the_pipeline_keeps_the_latest_certificate_date(tree):
    # record_result saves the enrolment (which stores the date with an UPDATE of its own),
    # then moves the candidate it loaded before: that save must not write back an empty date.
    candidate = ready_for(Stage.TRAINED, tree["ward1_cell"])
    enrolment = candidate.enrolments.get()
    services.record_result(
        enrolment=enrolment,
        result="passed",
        certificate_number="CN-9",
        certificate_on=enrolment.training_class.ends_on,
    )
    candidate.refresh_from_db()
    assert candidate.stage == Stage.TRAINED
    assert candidate.latest_certificate_on == enrolment.training_class.ends_on


def test_the_admins_delete_selected_takes_each_candidate_out_of_the_kept_counts(tree, admin_client):
    doomed = [admitted_in(tree["ward1_cell"], date(2024, 3, 1)) for _ in range(2)]
    response = admin_client.post(
        "/admin/recruitment/candidate/",
        {"action": "delete_selected", "_selected_action": [c.pk for c in doomed], "post": "yes"},
    )
    assert response.status_code == 302
    assert not Candidate.objects.filter(pk__in=[c.pk for c in doomed]).exists()
    assert kept(tree["city"], 2024, rollups.ADMITTED) == 0
    assert rollups.differences() == []


def test_a_day_off_moves_the_stored_deadlines_of_its_subtree_and_gives_them_back(tree):
    proposed = CandidateFactory(
        unit=tree["ward1_cell"], stage=Stage.PROPOSED, cell_resolution_on=date(2021, 2, 5)
    )
    assert proposed.deadline_due_on == date(2021, 5, 12)
    holiday = Holiday.objects.create(
        day=date(2021, 3, 3), name="Ngày của phường", unit=tree["ward1"]
    )
    proposed.refresh_from_db()
    assert proposed.deadline_due_on == date(2021, 5, 13)
    holiday.delete()
    proposed.refresh_from_db()
    assert proposed.deadline_due_on == date(2021, 5, 12)


# --- Trained cohorts (what planning reads) ---------------------------------------------------


def cohort(unit, year):
    keys = [rollups.TRAINED, rollups.TRAINED_ADMITTED, rollups.TRAINED_DECIDED]
    return tuple(kept(unit, year, key) for key in keys)


def test_passing_training_joins_the_cohort_of_its_year_until_decided(tree):
    candidate = ready_for(Stage.TRAINED, tree["ward1_cell"])
    pipeline.move(candidate, Stage.TRAINED, on=TODAY)
    assert candidate.trained_on == TODAY
    assert cohort(tree["city"], TODAY.year) == (1, 0, 0)
    pipeline.move(candidate, Stage.WITHDRAWN, on=TODAY, reason="Chuyển công tác")
    assert cohort(tree["city"], TODAY.year) == (1, 0, 1)
    assert cohort(tree["ward3"], TODAY.year) == (0, 0, 0)
    assert rollups.differences() == []


def test_a_trained_date_written_wrong_is_found_by_the_recount_and_repaired(tree):
    candidate = ready_for(Stage.TRAINED, tree["ward1_cell"])
    pipeline.move(candidate, Stage.TRAINED, on=TODAY)
    Candidate.objects.filter(pk=candidate.pk).update(trained_on=date(2020, 1, 1))
    # The next write's counts follow the wrong date: the withdrawal lands in 2020.
    candidate = Candidate.objects.get(pk=candidate.pk)
    pipeline.move(candidate, Stage.WITHDRAWN, on=TODAY, reason="Chuyển công tác")
    assert rollups.differences() != []
    rollups.recompute_rollups([tree["ward1_cell"]])
    assert Candidate.objects.get(pk=candidate.pk).trained_on == TODAY
    assert rollups.differences() == []
    # Dates already right are not written again (a unit move recounts its whole subtree).
    assert pipeline.keep_trained_on(tree["city"].path) == 0


@on_today
def test_a_merge_keeps_the_later_training_of_the_two_histories(tree, staff):
    earlier = TODAY - timedelta(days=400)
    first = CandidateFactory(
        unit=tree["ward1_cell"], full_name="Lê Văn Hai", stage=Stage.TRAINED, trained_on=earlier
    )
    StageChange.objects.create(candidate=first, to_stage=Stage.TRAINED, on=earlier)
    second = ready_for(Stage.TRAINED, tree["ward1_cell"], full_name="Lê Văn Hai")
    pipeline.move(second, Stage.TRAINED, on=TODAY)
    assert cohort(tree["city"], earlier.year) == (1, 0, 0)
    kept_record = services.merge_candidates(
        kept=first, removed=second, values={}, reason="Trùng", by=staff
    )
    assert kept_record.trained_on == TODAY
    assert cohort(tree["city"], TODAY.year) == (1, 0, 0)
    assert cohort(tree["city"], TODAY.year - 1) == (0, 0, 0)
    assert rollups.differences() == []
