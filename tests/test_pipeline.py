"""The admission rules of recruitment.pipeline, allowed and refused, at their boundaries."""

from datetime import date, timedelta

import pytest
from django.test import override_settings
from django.utils import translation

from recruitment import pipeline
from recruitment.models import (
    Candidate,
    Enrolment,
    PartyMember,
    Sponsorship,
    Stage,
    StageChange,
    TrainingClass,
)
from tests.factories import (
    TODAY,
    CandidateFactory,
    PartyMemberFactory,
    introducer,
    mentor,
    ready_for,
)

pytestmark = pytest.mark.django_db


def codes(refused: pipeline.MoveRefused) -> set[str]:
    return {b.code for b in refused.broken}


def refused_codes(candidate, to, **kwargs) -> set[str]:
    with pytest.raises(pipeline.MoveRefused) as refused:
        pipeline.move(candidate, to, **kwargs)
    return codes(refused.value)


# --- moves and history ---------------------------------------------------------------------


def test_move_records_who_when_and_why(tree, organiser):
    candidate = ready_for(Stage.TRAINING, tree["ward1_cell"])
    change = pipeline.move(candidate, Stage.TRAINING, by=organiser, on=TODAY)
    candidate.refresh_from_db()
    assert candidate.stage == Stage.TRAINING
    assert candidate.stage_since == TODAY
    assert (change.from_stage, change.to_stage, change.by, change.on) == (
        Stage.SOURCE,
        Stage.TRAINING,
        organiser,
        TODAY,
    )


def test_refused_move_saves_nothing_and_restores_the_candidate(tree):
    candidate = ready_for(Stage.ADMITTED, tree["ward1_cell"])
    with pytest.raises(pipeline.MoveRefused):
        pipeline.move(
            candidate,
            Stage.ADMITTED,
            changes={"decision_on": date(2026, 3, 1), "decision_number": "9"},  # before resolution
        )
    assert candidate.decision_on is None and candidate.decision_number == ""
    candidate.refresh_from_db()
    assert candidate.stage == Stage.PROPOSED
    assert candidate.decision_on is None
    assert not StageChange.objects.exists()
    assert not PartyMember.objects.filter(candidate=candidate).exists()


def test_refusal_carries_every_broken_rule(tree):
    candidate = CandidateFactory(unit=tree["ward1_cell"], stage=Stage.TRAINED)
    broken = refused_codes(candidate, Stage.DOSSIER, on=TODAY)
    assert {
        "application_on_missing",
        "personal_history_on_missing",
        "background_check_on_missing",
        "certificate_missing",
        "introducers_missing",
    } <= broken


def test_unknown_stage_is_refused(tree):
    candidate = CandidateFactory(unit=tree["ward1_cell"])
    assert refused_codes(candidate, "promoted") == {"unknown_stage"}


def test_skipping_a_step_is_refused(tree):
    candidate = CandidateFactory(unit=tree["ward1_cell"])
    assert refused_codes(candidate, Stage.DOSSIER) == {"move_not_allowed"}


def test_moving_back_needs_a_reason(tree, organiser):
    candidate = CandidateFactory(unit=tree["ward1_cell"], stage=Stage.DOSSIER)
    assert refused_codes(candidate, Stage.TRAINED, reason="  ") == {"reason_missing"}
    change = pipeline.move(candidate, Stage.TRAINED, by=organiser, reason="Hồ sơ thiếu")
    assert change.reason == "Hồ sơ thiếu"
    assert Candidate.objects.get().stage == Stage.TRAINED


def test_withdrawing_needs_a_reason_and_can_be_undone(tree):
    candidate = CandidateFactory(unit=tree["ward1_cell"], stage=Stage.TRAINED)
    assert refused_codes(candidate, Stage.WITHDRAWN) == {"reason_missing"}
    pipeline.move(candidate, Stage.WITHDRAWN, reason="Đi làm xa", on=TODAY)
    assert (candidate.exit_on, candidate.exit_reason) == (TODAY, "Đi làm xa")
    pipeline.move(candidate, Stage.SOURCE, reason="Trở về địa phương")
    assert candidate.stage == Stage.SOURCE and candidate.exit_on is None


def test_allowed_moves_lists_forward_back_and_exits(tree):
    candidate = CandidateFactory(unit=tree["ward1_cell"], stage=Stage.TRAINED)
    assert pipeline.allowed_moves(candidate) == [
        Stage.DOSSIER,
        Stage.TRAINING,
        Stage.SOURCE,
        Stage.WITHDRAWN,
    ]


# --- source → training: mentor and class -----------------------------------------------------


def test_training_needs_an_official_mentor_and_an_enrolment(tree):
    candidate = CandidateFactory(unit=tree["ward1_cell"])
    assert refused_codes(candidate, Stage.TRAINING, on=TODAY) == {"mentor_missing", "not_enrolled"}


def test_a_probationary_mentor_does_not_count(tree):
    candidate = ready_for(Stage.TRAINING, tree["ward1_cell"])
    Sponsorship.objects.filter(candidate=candidate).delete()
    mentor(candidate, PartyMemberFactory(unit=candidate.unit, official_on=None))
    assert refused_codes(candidate, Stage.TRAINING, on=TODAY) == {"mentor_missing"}


# --- training → trained: certificate validity --------------------------------------------------


def test_trained_needs_a_certificate(tree):
    candidate = ready_for(Stage.TRAINED, tree["ward1_cell"])
    Enrolment.objects.filter(candidate=candidate).update(certificate_number="")
    assert refused_codes(candidate, Stage.TRAINED, on=TODAY) == {"certificate_missing"}


def certified_on(candidate, day: date) -> None:
    """Date the candidate's certificate ``day``, from a class that ended that day."""
    enrolment = candidate.enrolments.get()
    TrainingClass.objects.filter(pk=enrolment.training_class_id).update(
        starts_on=day - timedelta(days=5), ends_on=day
    )
    Enrolment.objects.filter(pk=enrolment.pk).update(certificate_on=day)


def test_a_certificate_dated_before_its_class_ended_does_not_count(tree):
    candidate = ready_for(Stage.TRAINED, tree["ward1_cell"])
    enrolment = candidate.enrolments.select_related("training_class").get()
    day_before = enrolment.training_class.ends_on - timedelta(days=1)
    Enrolment.objects.filter(pk=enrolment.pk).update(certificate_on=day_before)
    assert refused_codes(candidate, Stage.TRAINED, on=TODAY) == {"certificate_before_class_end"}


def test_certificate_counts_on_its_last_valid_day(tree):
    candidate = ready_for(Stage.TRAINED, tree["ward1_cell"])
    certified_on(candidate, date(2021, 6, 15))
    pipeline.move(candidate, Stage.TRAINED, on=date(2026, 6, 15))
    assert candidate.stage == Stage.TRAINED


def test_certificate_lapses_the_day_after(tree):
    candidate = ready_for(Stage.TRAINED, tree["ward1_cell"])
    certified_on(candidate, date(2021, 6, 14))
    assert refused_codes(candidate, Stage.TRAINED, on=date(2026, 6, 15)) == {"certificate_lapsed"}


@override_settings(RECRUITMENT={"CERTIFICATE_VALID_YEARS": 3})
def test_certificate_validity_is_a_setting(tree):
    candidate = ready_for(Stage.TRAINED, tree["ward1_cell"])
    certified_on(candidate, date(2023, 6, 14))
    assert refused_codes(candidate, Stage.TRAINED, on=date(2026, 6, 15)) == {"certificate_lapsed"}


# --- trained → dossier: introducers ------------------------------------------------------------


def test_dossier_with_two_official_introducers(tree):
    candidate = ready_for(Stage.DOSSIER, tree["ward1_cell"])
    pipeline.move(candidate, Stage.DOSSIER, on=TODAY)
    assert candidate.stage == Stage.DOSSIER


def test_one_introducer_is_not_enough_for_an_adult(tree):
    candidate = ready_for(Stage.DOSSIER, tree["ward1_cell"])
    candidate.sponsorships.filter(role=Sponsorship.Role.INTRODUCER).first().delete()
    assert refused_codes(candidate, Stage.DOSSIER, on=TODAY) == {"introducers_missing"}


def test_youth_union_member_of_30_needs_one_introducer_and_the_resolution(tree):
    # Born 16/07/1995: 30 years 11 months in June 2026, counted by month.
    candidate = ready_for(
        Stage.DOSSIER,
        tree["ward1_cell"],
        date_of_birth=date(1995, 7, 16),
        youth_union_member=True,
        youth_union_resolution_on=date(2026, 2, 1),
    )
    candidate.sponsorships.filter(role=Sponsorship.Role.INTRODUCER).first().delete()
    pipeline.move(candidate, Stage.DOSSIER, on=TODAY)
    assert candidate.stage == Stage.DOSSIER


def test_youth_union_route_closes_after_30(tree):
    candidate = ready_for(
        Stage.DOSSIER,
        tree["ward1_cell"],
        date_of_birth=date(1995, 6, 16),  # 31 in June 2026, counted by month: a day early
        youth_union_member=True,
        youth_union_resolution_on=date(2026, 2, 1),
    )
    candidate.sponsorships.filter(role=Sponsorship.Role.INTRODUCER).first().delete()
    assert refused_codes(candidate, Stage.DOSSIER, on=TODAY) == {"introducers_missing"}


def test_the_youth_union_route_is_judged_again_on_the_day_the_cell_meets(tree):
    # 30 by month at the dossier (February 2026); 31 in April 2026, when the cell meets.
    candidate = ready_for(
        Stage.PROPOSED,
        tree["ward1_cell"],
        date_of_birth=date(1995, 4, 2),
        youth_union_member=True,
        youth_union_resolution_on=date(2026, 2, 1),
    )
    candidate.sponsorships.filter(role=Sponsorship.Role.INTRODUCER).first().delete()
    assert refused_codes(candidate, Stage.PROPOSED, changes=proposed_changes()) == {
        "introducers_missing"
    }


def test_admission_checks_the_introducers_again(tree):
    candidate = ready_for(Stage.ADMITTED, tree["ward1_cell"])
    candidate.sponsorships.filter(role=Sponsorship.Role.INTRODUCER).first().delete()
    changes = {"decision_on": date(2026, 5, 4), "decision_number": "1"}
    assert refused_codes(candidate, Stage.ADMITTED, changes=changes) == {"introducers_missing"}


def test_introducer_must_be_official(tree):
    candidate = ready_for(Stage.DOSSIER, tree["ward1_cell"])
    candidate.sponsorships.filter(role=Sponsorship.Role.INTRODUCER).first().delete()
    introducer(candidate, PartyMemberFactory(unit=candidate.unit, official_on=None))
    assert refused_codes(candidate, Stage.DOSSIER, on=TODAY) == {
        "introducer_not_official",
        "introducers_missing",
    }


def test_introducer_known_exactly_twelve_months_counts(tree):
    candidate = ready_for(Stage.DOSSIER, tree["ward1_cell"])
    candidate.sponsorships.filter(role=Sponsorship.Role.INTRODUCER).update(
        known_since=date(2025, 6, 15)
    )
    pipeline.move(candidate, Stage.DOSSIER, on=TODAY)
    assert candidate.stage == Stage.DOSSIER


def test_introducer_known_one_day_short_is_refused(tree):
    candidate = ready_for(Stage.DOSSIER, tree["ward1_cell"])
    candidate.sponsorships.filter(role=Sponsorship.Role.INTRODUCER).update(
        known_since=date(2025, 6, 16)
    )
    assert "introducer_not_known_long_enough" in refused_codes(candidate, Stage.DOSSIER, on=TODAY)


def test_paperwork_dated_in_the_future_is_refused(tree):
    candidate = ready_for(Stage.DOSSIER, tree["ward1_cell"])
    assert "application_on_future" in refused_codes(
        candidate, Stage.DOSSIER, on=TODAY, changes={"application_on": date(2999, 1, 1)}
    )


# --- dossier → proposed: age by month, votes, education, dossier age ------------------------


def proposed_changes(**overrides):
    values = {"cell_resolution_on": date(2026, 4, 1), "votes_for": 2, "votes_total": 3}
    values.update(overrides)
    return values


def test_age_counts_by_month_from_the_month_of_the_18th_birthday(tree):
    # Born 30/04/2008: 18 in April 2026, so a meeting on 01/04/2026 is allowed.
    candidate = ready_for(Stage.PROPOSED, tree["ward1_cell"], date_of_birth=date(2008, 4, 30))
    pipeline.move(candidate, Stage.PROPOSED, changes=proposed_changes())
    assert candidate.stage == Stage.PROPOSED


def test_the_month_before_the_18th_birthday_is_refused(tree):
    candidate = ready_for(Stage.PROPOSED, tree["ward1_cell"], date_of_birth=date(2008, 5, 1))
    assert refused_codes(candidate, Stage.PROPOSED, changes=proposed_changes()) == {
        "age_out_of_range"
    }


def test_the_month_of_the_60th_birthday_is_allowed_and_the_next_is_not(tree):
    candidate = ready_for(Stage.PROPOSED, tree["ward1_cell"], date_of_birth=date(1966, 4, 1))
    pipeline.move(candidate, Stage.PROPOSED, changes=proposed_changes())
    older = ready_for(Stage.PROPOSED, tree["ward3_cell"], date_of_birth=date(1966, 3, 31))
    assert refused_codes(older, Stage.PROPOSED, changes=proposed_changes()) == {"age_out_of_range"}


def test_two_thirds_in_favour_is_enough(tree):
    candidate = ready_for(Stage.PROPOSED, tree["ward1_cell"])  # with 3 official members
    PartyMemberFactory.create_batch(6, unit=candidate.unit)
    pipeline.move(candidate, Stage.PROPOSED, changes=proposed_changes(votes_for=6, votes_total=9))
    assert (candidate.votes_for, candidate.votes_total) == (6, 9)


def test_less_than_two_thirds_is_refused(tree):
    candidate = ready_for(Stage.PROPOSED, tree["ward1_cell"])
    PartyMemberFactory.create_batch(5, unit=candidate.unit)
    assert refused_codes(
        candidate, Stage.PROPOSED, changes=proposed_changes(votes_for=5, votes_total=8)
    ) == {"votes_short"}


def test_the_total_must_be_the_cells_official_members_when_they_are_on_record(tree):
    candidate = ready_for(Stage.PROPOSED, tree["ward1_cell"])  # with 3 official members
    PartyMemberFactory.create_batch(3, unit=candidate.unit)
    assert refused_codes(
        candidate, Stage.PROPOSED, changes=proposed_changes(votes_for=2, votes_total=3)
    ) == {"votes_total_not_members"}
    assert pipeline.cell_members_on(candidate, date(2026, 4, 1)) == 6


def test_the_total_is_taken_as_typed_where_no_member_of_the_cell_is_on_record(tree):
    candidate = ready_for(Stage.PROPOSED, tree["ward1_cell"])
    PartyMember.objects.filter(unit=candidate.unit).update(unit=tree["ward1"])
    assert pipeline.cell_members_on(candidate, date(2026, 4, 1)) == 0
    pipeline.move(candidate, Stage.PROPOSED, changes=proposed_changes(votes_for=6, votes_total=9))
    assert candidate.stage == Stage.PROPOSED


def test_education_below_lower_secondary_is_refused(tree):
    candidate = ready_for(Stage.PROPOSED, tree["ward1_cell"], education="primary")
    assert refused_codes(candidate, Stage.PROPOSED, changes=proposed_changes()) == {
        "education_too_low"
    }


def test_a_dossier_older_than_twelve_months_must_be_redone(tree):
    candidate = ready_for(Stage.PROPOSED, tree["ward1_cell"], application_on=date(2025, 3, 31))
    assert "dossier_expired" in refused_codes(candidate, Stage.PROPOSED, changes=proposed_changes())


# --- proposed → admitted ----------------------------------------------------------------------


def test_admission_creates_the_probationary_member(tree, organiser):
    candidate = ready_for(Stage.ADMITTED, tree["ward1_cell"])
    change = pipeline.move(
        candidate,
        Stage.ADMITTED,
        by=organiser,
        changes={
            "decision_on": date(2026, 5, 4),
            "decision_number": "12-QĐ/TU",
            "ceremony_on": date(2026, 5, 19),
        },
    )
    member = PartyMember.objects.get(candidate=candidate)
    assert (member.admitted_on, member.official_on, member.unit) == (
        date(2026, 5, 4),
        None,
        tree["ward1_cell"],
    )
    assert change.on == date(2026, 5, 4)


def test_admission_needs_the_decision(tree):
    candidate = ready_for(Stage.ADMITTED, tree["ward1_cell"])
    assert refused_codes(candidate, Stage.ADMITTED) == {
        "decision_number_missing",
        "decision_on_missing",
    }


def test_ceremony_before_decision_is_refused(tree):
    candidate = ready_for(Stage.ADMITTED, tree["ward1_cell"])
    changes = {
        "decision_on": date(2026, 5, 4),
        "decision_number": "1",
        "ceremony_on": date(2026, 5, 3),
    }
    assert refused_codes(candidate, Stage.ADMITTED, changes=changes) == {"ceremony_before_decision"}


def test_a_dropped_out_member_cannot_move_on(tree):
    candidate = CandidateFactory(unit=tree["ward1_cell"], stage=Stage.DROPPED_OUT)
    assert refused_codes(candidate, Stage.RECOGNISED) == {"move_not_allowed"}
    assert refused_codes(candidate, Stage.SOURCE, reason="again") == {"move_not_allowed"}


# --- admitted → recognised, and leaving -------------------------------------------------------


def test_recognition_after_exactly_twelve_months(tree):
    candidate = ready_for(Stage.RECOGNISED, tree["ward1_cell"])  # ceremony 01/06/2025
    pipeline.move(
        candidate, Stage.RECOGNISED, changes={"recognition_resolution_on": date(2026, 6, 1)}
    )
    assert PartyMember.objects.get(candidate=candidate).official_on == date(2026, 6, 1)


def test_recognition_a_day_early_is_refused(tree):
    candidate = ready_for(Stage.RECOGNISED, tree["ward1_cell"])
    assert refused_codes(
        candidate, Stage.RECOGNISED, changes={"recognition_resolution_on": date(2026, 5, 31)}
    ) == {"probation_too_short"}
    assert PartyMember.objects.get(candidate=candidate).official_on is None


def test_dropping_out_records_the_member_leaving(tree):
    candidate = ready_for(Stage.RECOGNISED, tree["ward1_cell"], stage=Stage.ADMITTED)
    pipeline.move(candidate, Stage.DROPPED_OUT, on=TODAY, reason="Bỏ sinh hoạt")
    member = PartyMember.objects.get(candidate=candidate)
    assert (member.left_on, member.left_reason) == (TODAY, "Bỏ sinh hoạt")


def test_refusal_messages_are_translated(tree):
    from django.utils import translation

    candidate = CandidateFactory(unit=tree["ward1_cell"])
    with translation.override("vi"):
        with pytest.raises(pipeline.MoveRefused) as refused:
            pipeline.move(candidate, Stage.TRAINING, on=TODAY)
        assert any("đảng viên chính thức" in m for m in refused.value.messages)
        assert not any("official party member" in m for m in refused.value.messages)


def test_a_withdrawn_candidate_is_reinstated_in_the_source_list_only(tree):
    candidate = CandidateFactory(unit=tree["ward1_cell"], stage=Stage.WITHDRAWN)
    for stage in [Stage.TRAINED, Stage.DOSSIER, Stage.PROPOSED]:
        assert refused_codes(candidate, stage, reason="back again") == {"move_not_allowed"}
    pipeline.move(candidate, Stage.SOURCE, reason="back again")
    assert candidate.stage == Stage.SOURCE


def test_admission_checks_the_proposal_again(tree):
    candidate = ready_for(Stage.ADMITTED, tree["ward1_cell"])
    candidate.date_of_birth = date(2010, 1, 1)  # edited after the cell's resolution
    candidate.save()
    changes = {"decision_on": date(2026, 5, 4), "decision_number": "1"}
    assert "age_out_of_range" in refused_codes(candidate, Stage.ADMITTED, changes=changes)


def test_someone_who_dropped_out_under_another_record_cannot_be_admitted(tree):
    CandidateFactory(
        unit=tree["ward3_cell"],
        full_name="Lê Văn Bỏ",
        date_of_birth=date(1990, 2, 3),
        stage=Stage.DROPPED_OUT,
    )
    candidate = ready_for(
        Stage.ADMITTED, tree["ward1_cell"], full_name="Le Van Bo", date_of_birth=date(1990, 2, 3)
    )
    changes = {"decision_on": date(2026, 5, 4), "decision_number": "1"}
    assert refused_codes(candidate, Stage.ADMITTED, changes=changes) == {"maybe_left_before"}
    # Confirmed as another person, the admission goes ahead.
    pipeline.move(candidate, Stage.ADMITTED, changes=changes, confirmed={"maybe_left_before"})
    assert candidate.stage == Stage.ADMITTED


def test_a_namesake_with_another_citizen_id_is_another_person(tree):
    CandidateFactory(
        unit=tree["ward3_cell"],
        full_name="Lê Văn Bỏ",
        date_of_birth=date(1990, 2, 3),
        citizen_id="093090000001",
        stage=Stage.DROPPED_OUT,
    )
    candidate = ready_for(
        Stage.ADMITTED,
        tree["ward1_cell"],
        full_name="Lê Văn Bỏ",
        date_of_birth=date(1990, 2, 3),
        citizen_id="093090000002",
    )
    changes = {"decision_on": date(2026, 5, 4), "decision_number": "1"}
    pipeline.move(candidate, Stage.ADMITTED, changes=changes)
    assert candidate.stage == Stage.ADMITTED


def test_the_same_record_that_dropped_out_cannot_be_admitted_again(tree):
    candidate = ready_for(Stage.RECOGNISED, tree["ward1_cell"])
    Candidate.objects.filter(pk=candidate.pk).update(stage=Stage.DROPPED_OUT)
    candidate.refresh_from_db()
    assert refused_codes(candidate, Stage.ADMITTED) == {"move_not_allowed"}


def test_a_meeting_before_the_birth_is_said_in_words(tree):
    candidate = ready_for(Stage.PROPOSED, tree["ward1_cell"], date_of_birth=date(2026, 5, 1))
    candidate.cell_resolution_on, candidate.votes_for, candidate.votes_total = (
        date(2026, 4, 1),
        3,
        3,
    )
    with translation.override("en"):
        refused = {b.code: str(b) for b in pipeline.check(candidate, Stage.PROPOSED)}
    assert "before the date of birth" in refused["meeting_before_birth"]
    assert "-1" not in refused["meeting_before_birth"]


def test_a_move_is_not_dated_in_the_future_nor_before_the_step_it_follows(tree):
    candidate = ready_for(Stage.TRAINED, tree["ward1_cell"])
    assert "move_in_future" in refused_codes(candidate, Stage.TRAINED, on=date(2099, 1, 1))
    assert "move_before_stage" in refused_codes(candidate, Stage.TRAINED, on=date(2025, 1, 1))
    member = ready_for(Stage.RECOGNISED, tree["ward3_cell"])
    reason = {"reason": "Bỏ sinh hoạt"}
    Candidate.objects.filter(pk=member.pk).update(stage=Stage.ADMITTED)
    member.refresh_from_db()
    assert refused_codes(member, Stage.DROPPED_OUT, on=date(2000, 1, 1), **reason) == {
        "move_before_stage"
    }


def test_an_over_long_reason_is_refused_before_saving(tree):
    candidate = ready_for(Stage.TRAINED, tree["ward1_cell"])
    assert refused_codes(candidate, Stage.WITHDRAWN, reason="x" * 400) == {"reason_too_long"}
    assert not StageChange.objects.filter(candidate=candidate, to_stage=Stage.WITHDRAWN).exists()


def test_a_refusal_is_shown_in_the_language_of_the_page_that_shows_it(tree):
    candidate = ready_for(Stage.TRAINED, tree["ward1_cell"])
    with translation.override("vi"):
        refused = pipeline.check(candidate, Stage.SOURCE, on=TODAY)  # back, with no reason
    with translation.override("en"):
        assert str(refused[0]) == "Give a reason for this move."
    with translation.override("vi"):
        assert str(refused[0]) == "Hãy ghi lý do chuyển bước."


def test_an_admission_is_not_dated_before_its_unit_opened(tree):
    """The admission counts in its unit on the decision's date: a cell a reorganisation
    opened on 01/05/2026 admitted no one in April."""
    cell = tree["ward1_cell"]
    cell.opened_on = date(2026, 4, 10)
    cell.save(update_fields=["opened_on"])
    candidate = ready_for(Stage.ADMITTED, cell)
    early = {"decision_on": date(2026, 4, 5), "decision_number": "1"}
    assert "unit_not_open_on_decision" in refused_codes(candidate, Stage.ADMITTED, changes=early)
    candidate.refresh_from_db()
    pipeline.move(
        candidate, Stage.ADMITTED, changes={"decision_on": date(2026, 5, 4), "decision_number": "1"}
    )
    assert candidate.stage == Stage.ADMITTED
