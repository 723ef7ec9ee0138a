"""Writes across models: enrolments and results."""

from datetime import date, timedelta

import pytest

from recruitment import pipeline, services
from recruitment.models import Enrolment, Stage
from tests.factories import CandidateFactory, ready_for

pytestmark = pytest.mark.django_db


def test_taking_back_a_pass_the_candidate_moved_on_with_is_refused(tree):
    candidate = ready_for(Stage.DOSSIER, tree["ward1_cell"])  # trained, with a passed class
    enrolment = Enrolment.objects.get(candidate=candidate)
    with pytest.raises(pipeline.MoveRefused) as refused:
        services.record_result(enrolment=enrolment, result=Enrolment.Result.FAILED)
    assert {b.code for b in refused.value.broken} == {"pass_in_use"}
    enrolment.refresh_from_db()
    assert enrolment.result == Enrolment.Result.PASSED


def test_a_pass_can_be_corrected_while_the_candidate_is_still_in_training(tree):
    candidate = ready_for(Stage.TRAINING, tree["ward1_cell"])
    enrolment = Enrolment.objects.get(candidate=candidate)
    enrolment.result = Enrolment.Result.PASSED
    enrolment.save()
    services.record_result(enrolment=enrolment, result=Enrolment.Result.FAILED)
    assert Enrolment.objects.get(pk=enrolment.pk).result == Enrolment.Result.FAILED


def test_enrolment_moves_to_training_as_of_today_unless_told(tree):
    candidate = ready_for(Stage.TRAINING, tree["ward1_cell"])
    Enrolment.objects.filter(candidate=candidate).delete()
    training_class = candidate.unit.training_classes.get()
    services.enrol(candidates=[candidate], training_class=training_class, on=date(2026, 1, 5))
    assert (candidate.stage, candidate.stage_since) == (Stage.TRAINING, date(2026, 1, 5))


def test_a_certificate_dated_before_the_class_ended_is_refused_by_the_service(tree):
    candidate = ready_for(Stage.TRAINING, tree["ward1_cell"])
    services.enrol(candidates=[candidate], training_class=candidate.unit.training_classes.get())
    enrolment = Enrolment.objects.select_related("training_class").get(candidate=candidate)
    ends_on = enrolment.training_class.ends_on
    with pytest.raises(pipeline.MoveRefused) as refused:
        services.record_result(
            enrolment=enrolment,
            result=Enrolment.Result.PASSED,
            certificate_number="CN-1",
            certificate_on=ends_on - timedelta(days=1),
        )
    assert {b.code for b in refused.value.broken} == {"certificate_before_class_end"}
    candidate.refresh_from_db()
    assert candidate.stage == Stage.TRAINING
    assert Enrolment.objects.get(pk=enrolment.pk).certificate_number == ""


@pytest.mark.django_db
def test_a_result_for_an_enrolment_gone_with_its_candidate_is_refused_not_an_error(tree):
    """Read before its candidate was deleted, or merged into another record (the enrolment
    then follows the record kept): the result is refused as "gone", nothing saved."""
    deleted = ready_for(Stage.TRAINING, tree["ward1_cell"])
    stale = Enrolment.objects.select_related("candidate").get(candidate=deleted)
    deleted.delete()
    with pytest.raises(pipeline.MoveRefused) as refused:
        services.record_result(enrolment=stale, result=Enrolment.Result.FAILED)
    assert [b.code for b in refused.value.broken] == ["gone"]

    merged = ready_for(Stage.TRAINING, tree["ward1_cell"])
    kept = CandidateFactory(unit=tree["ward1_cell"], stage=Stage.TRAINING)
    stale = Enrolment.objects.select_related("candidate").get(candidate=merged)
    Enrolment.objects.filter(pk=stale.pk).update(candidate=kept)
    with pytest.raises(pipeline.MoveRefused) as refused:
        services.record_result(enrolment=stale, result=Enrolment.Result.FAILED)
    assert [b.code for b in refused.value.broken] == ["gone"]
    assert Enrolment.objects.get(pk=stale.pk).result == Enrolment.Result.PENDING
