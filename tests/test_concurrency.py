"""Every write is all or nothing, and two people at once get what one would (issue 8 §3).

The tests of a race run twice: once in order (the second request comes after the first has
committed: any database), and once truly at once, on two PostgreSQL connections in threads,
where the second request waits for the first's row lock. SQLite serialises every write to
the whole file, so that race cannot be staged on it.
"""

import threading
from datetime import date
from unittest import mock

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from recruitment import pipeline, services
from recruitment.models import Candidate, Enrolment, Quota, Sponsorship, Stage, StageChange
from tests.factories import (
    TODAY,
    CandidateFactory,
    PartyMemberFactory,
    QuotaFactory,
    TrainingClassFactory,
    mentor,
    ready_for,
)
from tests.helpers import messages_of, one_then_the_other

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs two real connections at once: PostgreSQL (CI runs the suite on it)",
)


def in_training_in_two_classes(tree):
    """A candidate of Ward I's cell in training, and their enrolments in two classes."""
    candidate = CandidateFactory(unit=tree["ward1_cell"], stage=Stage.TRAINING)
    first, second = (
        Enrolment.objects.create(
            candidate=candidate, training_class=TrainingClassFactory(unit=tree["ward1"])
        )
        for _ in range(2)
    )
    return candidate, first, second


def client_for(user) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def move_url(candidate, stage):
    return reverse("recruitment:candidate-move", args=[candidate.pk, stage])


def edit_url(candidate):
    return reverse("recruitment:candidate-edit", args=[candidate.pk])


def admission(number: str) -> dict:
    return {"decision_number": number, "decision_on": "04/05/2026", "ceremony_on": "", "reason": ""}


def at_once(*calls):
    """Run ``calls`` in threads released together; each thread has its own connection."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(timeout=10)
            results[index] = call()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def page_text(response) -> str:
    messages = " ".join(messages_of(response))
    return response.content.decode() + messages


def edit_data(candidate, **changes) -> dict:
    data = {
        "full_name": candidate.full_name,
        "date_of_birth": candidate.date_of_birth.strftime("%d/%m/%Y"),
        "gender": candidate.gender,
        "ethnicity": candidate.ethnicity,
        "religion": candidate.religion,
        "citizen_id": candidate.citizen_id or "",
        "phone": candidate.phone,
        "residence": candidate.residence,
        "unit": candidate.unit_id,
        "source": candidate.source,
        "education": candidate.education,
        "occupation": candidate.occupation,
        "workplace": candidate.workplace,
        "version": candidate.version,
    }
    data.update(changes)
    return data


# --- the same move twice ---------------------------------------------------------------------


@pytest.mark.django_db
def test_an_admission_sent_twice_is_recorded_once(organiser, tree):
    candidate = ready_for(Stage.ADMITTED, tree["ward1_cell"])
    first = client_for(organiser).post(move_url(candidate, Stage.ADMITTED), admission("1-QĐ"))
    second = client_for(organiser).post(move_url(candidate, Stage.ADMITTED), admission("2-QĐ"))
    assert first.status_code == second.status_code == 302
    assert "cannot move from" in page_text(second)
    assert StageChange.objects.filter(candidate=candidate, to_stage=Stage.ADMITTED).count() == 1
    assert Candidate.objects.get(pk=candidate.pk).decision_number == "1-QĐ"


@pytest.mark.django_db
def test_a_move_from_a_stage_the_candidate_has_left_is_refused_as_already_moved(tree):
    candidate = ready_for(Stage.TRAINED, tree["ward1_cell"])
    stale = Candidate.objects.get(pk=candidate.pk)
    pipeline.move(candidate, Stage.TRAINED, on=TODAY)
    with pytest.raises(pipeline.MoveRefused) as refused:
        pipeline.move(stale, Stage.WITHDRAWN, reason="Chuyển đi nơi khác")
    assert [b.code for b in refused.value.broken] == ["already_moved"]
    assert Candidate.objects.get(pk=candidate.pk).stage == Stage.TRAINED


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_admissions_at_the_same_moment_record_one(organiser, tree):
    candidate = ready_for(Stage.ADMITTED, tree["ward1_cell"])
    clients = [client_for(organiser), client_for(organiser)]
    responses = at_once(
        lambda: clients[0].post(move_url(candidate, Stage.ADMITTED), admission("1-QĐ")),
        lambda: clients[1].post(move_url(candidate, Stage.ADMITTED), admission("2-QĐ")),
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200, 302]  # one moved; the other is told, on its form
    refused = next(r for r in responses if r.status_code == 200)
    assert "meanwhile" in refused.content.decode()
    assert StageChange.objects.filter(candidate=candidate, to_stage=Stage.ADMITTED).count() == 1
    moved = next(r for r in responses if r.status_code == 302)
    number = "1-QĐ" if moved is responses[0] else "2-QĐ"
    assert Candidate.objects.get(pk=candidate.pk).decision_number == number


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_withdrawals_at_the_same_moment_record_one(organiser, tree):
    candidate = ready_for(Stage.TRAINED, tree["ward1_cell"])
    url = move_url(candidate, Stage.WITHDRAWN)
    clients = [client_for(organiser), client_for(organiser)]
    at_once(
        lambda: clients[0].post(url, {"reason": "Chuyển công tác"}),
        lambda: clients[1].post(url, {"reason": "Không đủ điều kiện"}),
    )
    assert StageChange.objects.filter(candidate=candidate, to_stage=Stage.WITHDRAWN).count() == 1


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_enrolments_at_the_same_moment_enrol_once(staff, tree):
    candidate = CandidateFactory(unit=tree["ward1_cell"])
    mentor(candidate)
    training_class = TrainingClassFactory(unit=tree["city"], ends_on=date(2099, 1, 1))
    url = reverse("recruitment:class-enrol", args=[training_class.pk])
    clients = [client_for(staff), client_for(staff)]
    at_once(
        lambda: clients[0].post(url, {"candidates": [candidate.pk]}),
        lambda: clients[1].post(url, {"candidates": [candidate.pk]}),
    )
    assert Enrolment.objects.filter(candidate=candidate).count() == 1
    assert StageChange.objects.filter(candidate=candidate, to_stage=Stage.TRAINING).count() == 1


# --- two people editing one record -----------------------------------------------------------


@pytest.mark.django_db
def test_an_edit_opened_before_someone_elses_save_is_refused_with_what_changed(
    organiser, staff, tree
):
    candidate = CandidateFactory(unit=tree["ward1_cell"], phone="0901000000")
    seen = Candidate.objects.get(pk=candidate.pk)  # both open the form on this version
    first = client_for(staff).post(edit_url(candidate), edit_data(seen, phone="0902222222"))
    assert first.status_code == 302
    second = client_for(organiser).post(edit_url(candidate), edit_data(seen, residence="Khu 3"))
    assert second.status_code == 200
    text = second.content.decode()
    assert "after you opened it" in text
    assert "0901000000 → 0902222222" in text
    assert 'value="Khu 3"' in text  # the input is kept
    assert Candidate.objects.get(pk=candidate.pk).phone == "0902222222"
    assert Candidate.objects.get(pk=candidate.pk).residence == ""
    # The refused form now carries the new version: saving again keeps one's input.
    version = second.context["form"]["version"].value()
    again = client_for(organiser).post(
        edit_url(candidate),
        edit_data(seen, phone="0902222222", residence="Khu 3", version=version),
    )
    assert again.status_code == 302
    fresh = Candidate.objects.get(pk=candidate.pk)
    assert (fresh.phone, fresh.residence) == ("0902222222", "Khu 3")


@pytest.mark.django_db
def test_a_class_edit_opened_before_someone_elses_save_is_refused(staff, tree):
    training_class = TrainingClassFactory(unit=tree["city"], place="Hội trường A")
    url = reverse("recruitment:class-edit", args=[training_class.pk])
    data = {
        "title": training_class.title,
        "unit": tree["city"].pk,
        "starts_on": "05/01/2026",
        "ends_on": "16/01/2026",
        "version": training_class.version,
    }
    assert client_for(staff).post(url, {**data, "place": "Hội trường B"}).status_code == 302
    second = client_for(staff).post(url, {**data, "place": "Hội trường C"})
    assert second.status_code == 200
    assert "Hội trường A → Hội trường B" in second.content.decode()


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_edits_at_the_same_moment_lose_nothing(organiser, staff, tree):
    candidate = CandidateFactory(unit=tree["ward1_cell"])
    seen = Candidate.objects.get(pk=candidate.pk)
    clients = [client_for(staff), client_for(organiser)]
    responses = at_once(
        lambda: clients[0].post(edit_url(candidate), edit_data(seen, phone="0902222222")),
        lambda: clients[1].post(edit_url(candidate), edit_data(seen, residence="Khu 3")),
    )
    assert sorted(r.status_code for r in responses) == [200, 302]
    fresh = Candidate.objects.get(pk=candidate.pk)
    saved = next(i for i, r in enumerate(responses) if r.status_code == 302)
    expected = ("0902222222", "") if saved == 0 else ("", "Khu 3")
    assert (fresh.phone, fresh.residence) == expected
    assert fresh.version == seen.version + 1


# --- all or nothing --------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_failure_in_the_history_write_saves_nothing(organiser, tree):
    candidate = CandidateFactory(unit=tree["ward1_cell"], phone="0901000000")
    failing = mock.patch(
        "simple_history.models.HistoricalRecords.create_historical_record",
        side_effect=RuntimeError("history table unavailable"),
    )
    with failing:
        response = client_for(organiser).post(
            edit_url(candidate), edit_data(candidate, phone="0909999999")
        )
    assert response.status_code == 500
    assert Candidate.objects.get(pk=candidate.pk).phone == "0901000000"


@pytest.mark.django_db
def test_a_failure_after_a_move_saves_no_part_of_it(organiser, tree):
    candidate = ready_for(Stage.ADMITTED, tree["ward1_cell"])
    failing = mock.patch(
        "recruitment.models.StageChange.objects.create", side_effect=RuntimeError("disk full")
    )
    with failing:
        response = client_for(organiser).post(
            move_url(candidate, Stage.ADMITTED), admission("1-QĐ")
        )
    assert response.status_code == 500
    fresh = Candidate.objects.get(pk=candidate.pk)
    assert (fresh.stage, fresh.decision_number) == (Stage.PROPOSED, "")
    assert not hasattr(fresh, "member") or fresh.member is None


# --- the same record created twice -----------------------------------------------------------


def new_candidate_data(unit, **changes) -> dict:
    data = {
        "full_name": "Trần Thị Mới",
        "date_of_birth": "20/05/1995",
        "gender": "female",
        "ethnicity": "Kinh",
        "source": "association",
        "education": "upper_secondary",
        "unit": unit.pk,
        "citizen_id": "",
    }
    data.update(changes)
    return data


@pytest.mark.django_db
def test_a_create_sent_twice_without_a_citizen_id_makes_one_candidate(organiser, tree):
    url = reverse("recruitment:candidate-create")
    data = new_candidate_data(tree["ward1_cell"])
    assert client_for(organiser).post(url, data).status_code == 302
    second = client_for(organiser).post(url, data)
    assert second.status_code == 200
    assert "already registered in" in second.content.decode()
    assert Candidate.objects.filter(full_name="Trần Thị Mới").count() == 1
    # Another person of the same name and birth date is added once confirmed.
    confirmed = client_for(organiser).post(url, {**data, "same_person_confirmed": "on"})
    assert confirmed.status_code == 302
    assert Candidate.objects.filter(full_name="Trần Thị Mới").count() == 2


@pytest.mark.django_db
def test_a_citizen_id_taken_between_check_and_save_is_the_same_form_error(organiser, tree):
    CandidateFactory(unit=tree["ward3_cell"], citizen_id="093201004321")
    url = reverse("recruitment:candidate-create")
    # The race: the form's own check ran before the other request's insert committed.
    with (
        mock.patch("recruitment.forms.CandidateForm.clean_citizen_id", lambda self: "093201004321"),
        mock.patch("recruitment.services.refuse_taken_numbers", lambda record, by=None: None),
        mock.patch.object(Candidate, "validate_unique", lambda self, exclude=None: None),
    ):
        response = client_for(organiser).post(
            url, new_candidate_data(tree["ward1_cell"], citizen_id="093201004321")
        )
    assert response.status_code == 200
    assert "This citizen ID is already registered." in response.content.decode()
    assert Candidate.objects.filter(citizen_id="093201004321").count() == 1


@pytest.mark.django_db
def test_a_sponsorship_taken_between_check_and_save_is_the_same_form_error(organiser, tree):
    candidate = CandidateFactory(unit=tree["ward1_cell"])
    member = PartyMemberFactory(unit=tree["ward1_cell"])
    Sponsorship.objects.create(candidate=candidate, member=member, role="mentor")
    url = reverse("recruitment:candidate-sponsor-add", args=[candidate.pk])
    with (
        mock.patch("recruitment.forms.SponsorForm.clean", lambda self: self.cleaned_data),
        mock.patch.object(Sponsorship, "validate_constraints", lambda self, exclude=None: None),
    ):
        response = client_for(organiser).post(
            url, {"role": "mentor", "member": member.pk, "assigned_on": "01/06/2026"}
        )
    assert response.status_code == 200
    assert "already has this role" in response.content.decode()
    assert Sponsorship.objects.filter(candidate=candidate).count() == 1


@pytest.mark.django_db
def test_a_quota_set_meanwhile_by_someone_else_is_a_message_not_a_500(tree):
    with mock.patch.object(Quota, "validate_constraints", lambda self, exclude=None: None):
        QuotaFactory(unit=tree["ward1"], year=2026, target=3)
        with (
            mock.patch("recruitment.services.Quota.objects.select_for_update") as locked,
            pytest.raises(ValidationError) as refused,
        ):
            locked.return_value.filter.return_value = []  # the other request's row unseen
            services.set_quotas(
                year=2026, changes=[services.QuotaChange(unit=tree["ward1"], target=4)]
            )
    assert "meanwhile" in str(refused.value)
    assert Quota.objects.get(unit=tree["ward1"], year=2026).target == 3


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_admins_deleting_a_candidates_two_classes_at_once_leave_one(tree):
    """Each admin's check counted the other's class still there, and both deletes went: the
    candidate was in training in no class. The second check now waits for the first's
    transaction, counts after it, and refuses."""
    from django.db import transaction

    candidate, first, second = in_training_in_two_classes(tree)
    checked, go = threading.Event(), threading.Event()
    refused = {}

    def unenrol(enrolment, pause=None):
        """The admin's delete: its check, then the delete, in one transaction."""
        try:
            with transaction.atomic():
                rows = Enrolment.objects.filter(pk=enrolment.pk).select_related("candidate")
                broken = pipeline.unenrol_rules(rows)
                if pause is not None:
                    pause()
                if not broken:
                    enrolment.delete()
                refused[enrolment.pk] = bool(broken)
        finally:
            connection.close()

    def checked_then_wait():
        checked.set()
        assert go.wait(timeout=30)

    one_then_the_other(  # B waits for the candidate A locked
        lambda: unenrol(first, checked_then_wait), checked, lambda: unenrol(second), go
    )
    assert refused == {first.pk: False, second.pk: True}
    assert list(Enrolment.objects.filter(candidate=candidate)) == [second]


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_class_deleted_while_its_candidate_moves_into_training_is_refused(tree):
    """The delete's check read the stage before the move committed ("source list"), let the
    delete go, and the candidate was in training in no class. The check now reads the stage
    from the candidate it locked, once the move has committed."""
    from django.db import transaction

    candidate = ready_for(Stage.TRAINING, tree["ward1_cell"])
    enrolment = Enrolment.objects.get(candidate=candidate)
    moved, go = threading.Event(), threading.Event()
    refused = {}

    def move():
        try:
            with transaction.atomic():
                pipeline.move(Candidate.objects.get(pk=candidate.pk), Stage.TRAINING)
                moved.set()
                assert go.wait(timeout=30)
        finally:
            connection.close()

    def unenrol():
        try:
            with transaction.atomic():
                rows = Enrolment.objects.filter(pk=enrolment.pk).select_related("candidate")
                broken = pipeline.unenrol_rules(rows)
                if not broken:
                    enrolment.delete()
                refused["delete"] = [b.code for b in broken]
        finally:
            connection.close()

    one_then_the_other(move, moved, unenrol, go)  # the check waits for the move
    assert refused == {"delete": ["training_without_class"]}
    candidate.refresh_from_db()
    assert candidate.stage == Stage.TRAINING
    assert Enrolment.objects.filter(candidate=candidate).exists()


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_result_recorded_while_the_admin_deletes_the_enrolment_is_refused_not_a_deadlock(
    tree,
):
    """The results page locked the enrolment, then the candidate; the admin's delete locked
    the candidate, then the enrolment: PostgreSQL ended one of them (a 500). Both now lock
    the candidate first, and the result, recorded after the delete, says so."""
    from django.db import transaction

    candidate, first, second = in_training_in_two_classes(tree)
    checked, go = threading.Event(), threading.Event()
    outcome = {}

    def delete():
        try:
            with transaction.atomic():
                rows = Enrolment.objects.filter(pk=first.pk).select_related("candidate")
                assert pipeline.unenrol_rules(rows) == []
                checked.set()
                assert go.wait(timeout=30)
                first.delete()
        finally:
            connection.close()

    def record():
        try:
            enrolment = Enrolment.objects.select_related("candidate").get(pk=first.pk)
            services.record_result(enrolment=enrolment, result=Enrolment.Result.FAILED)
        except pipeline.MoveRefused as refused:
            outcome["record"] = [b.code for b in refused.broken]
        except Exception as error:  # a deadlock, or a save that found no row
            outcome["record"] = repr(error)
        finally:
            connection.close()

    one_then_the_other(delete, checked, record, go)  # the result waits for the candidate
    assert outcome == {"record": ["gone"]}
    assert list(Enrolment.objects.filter(candidate=candidate)) == [second]


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_results_saved_while_the_admin_deletes_those_enrolments_wait_instead_of_deadlocking(
    staff, tree
):
    """The results page locked each row's candidate as it saved the row (in name order), the
    admin's delete locked them in id order: each held one and waited for the other, and
    PostgreSQL ended one (a 500). The page now locks them all first, in id order."""
    from django.db import transaction

    klass, other = TrainingClassFactory(unit=tree["city"]), TrainingClassFactory(unit=tree["city"])
    later = CandidateFactory(unit=tree["ward1_cell"], stage=Stage.TRAINING, full_name="B Sau")
    first = CandidateFactory(unit=tree["ward1_cell"], stage=Stage.TRAINING, full_name="A Trước")
    assert first.pk > later.pk  # first by name, last by id
    rows = [Enrolment.objects.create(candidate=c, training_class=klass) for c in (first, later)]
    for candidate in (first, later):  # each stays enrolled in a class: the delete may go
        Enrolment.objects.create(candidate=candidate, training_class=other)
    one_saved, go = threading.Event(), threading.Event()
    record_result = services.record_result
    outcome = {}

    def record_then_wait(**kwargs):
        enrolment = record_result(**kwargs)
        if not one_saved.is_set():
            one_saved.set()
            assert go.wait(timeout=30)
        return enrolment

    def save_results():
        try:
            data = {
                "form-TOTAL_FORMS": "2",
                "form-INITIAL_FORMS": "2",
                "form-MIN_NUM_FORMS": "0",
                "form-MAX_NUM_FORMS": "1000",
            }
            for i, enrolment in enumerate(rows):  # the page's order: by name
                data.update({f"form-{i}-id": enrolment.pk, f"form-{i}-result": "failed"})
                data.update({f"form-{i}-certificate_number": "", f"form-{i}-certificate_on": ""})
            with mock.patch.object(services, "record_result", record_then_wait):
                page = client_for(staff).post(
                    reverse("recruitment:class-results", args=[klass.pk]), data
                )
            outcome["results"] = page.status_code
        finally:
            connection.close()

    def delete():
        try:
            with transaction.atomic():
                chosen = Enrolment.objects.filter(pk__in=[r.pk for r in rows])
                chosen = list(chosen.select_related("candidate"))
                assert pipeline.unenrol_rules(chosen) == []
                for enrolment in chosen:
                    enrolment.delete()
            outcome["delete"] = "done"
        except Exception as error:  # a deadlock
            outcome["delete"] = repr(error)
        finally:
            connection.close()

    one_then_the_other(save_results, one_saved, delete, go)  # the delete waits for the page
    assert outcome == {"results": 302, "delete": "done"}
    assert not Enrolment.objects.filter(training_class=klass).exists()
