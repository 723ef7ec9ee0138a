"""Late paperwork and corrections go through the pipeline's rules, on the web and in the
admin alike, and the history keeps old → new, who and why (issue 8 §1–2)."""

from datetime import date

import pytest
from django.urls import reverse

from recruitment import pipeline
from recruitment.models import Candidate, PartyMember, Sponsorship, Stage
from tests.factories import ready_for
from tests.helpers import english, messages_of

pytestmark = pytest.mark.django_db


def correct_url(candidate):
    return reverse("recruitment:candidate-correct", args=[candidate.pk])


def correction(candidate, **changes) -> dict:
    """What the correction page posts: every field it shows, as recorded, then ``changes``."""
    form = pipeline.correctable_fields(candidate)
    data = {}
    for name in form:
        value = getattr(candidate, name)
        if name == "unit":
            value = candidate.unit_id
        elif isinstance(value, date):
            value = value.strftime("%d/%m/%Y")
        elif isinstance(value, bool):
            if not value:
                continue
            value = "on"
        data[name] = "" if value is None else value
    data["version"] = candidate.version
    data.update(changes)
    return data


def admitted_without_ceremony(tree) -> Candidate:
    candidate = ready_for(Stage.ADMITTED, tree["ward1_cell"])
    pipeline.move(
        candidate,
        Stage.ADMITTED,
        changes={"decision_on": date(2026, 5, 4), "decision_number": "9-QĐ/ĐU"},
    )
    return candidate


def test_an_admitted_candidate_without_a_ceremony_is_not_stuck(organiser_client, tree):
    candidate = admitted_without_ceremony(tree)
    detail = organiser_client.get(reverse("recruitment:candidate-detail", args=[candidate.pk]))
    assert correct_url(candidate).encode() in detail.content  # the missing date's way in
    response = organiser_client.post(
        correct_url(candidate),
        correction(candidate, ceremony_on="19/05/2026", reason="Biên bản lễ kết nạp đến muộn"),
    )
    assert response.status_code == 302
    candidate.refresh_from_db()
    assert candidate.ceremony_on == date(2026, 5, 19)
    latest = candidate.history.first()
    assert latest.history_change_reason == "Biên bản lễ kết nạp đến muộn"
    history = organiser_client.get(reverse("recruitment:candidate-history", args=[candidate.pk]))
    assert "Biên bản lễ kết nạp đến muộn" in history.content.decode()
    # The probation now counts from the ceremony: recognition is possible a year on.
    candidate.recognition_resolution_on = date(2027, 5, 20)
    assert "ceremony_on_missing" not in {
        b.code for b in pipeline.check(candidate, Stage.RECOGNISED, on=date(2027, 5, 20))
    }


def test_a_correction_runs_the_rules_of_the_fields_it_changes(organiser_client, tree):
    candidate = admitted_without_ceremony(tree)
    response = english(organiser_client).post(
        correct_url(candidate),
        correction(candidate, ceremony_on="01/05/2026", reason="Sửa ngày"),
    )
    assert response.status_code == 200
    assert "ceremony cannot come before the decision" in response.content.decode()
    response = english(organiser_client).post(
        correct_url(candidate),
        correction(candidate, cell_resolution_on="01/04/2099", reason="Sửa ngày"),
    )
    assert response.status_code == 200
    assert Candidate.objects.get(pk=candidate.pk).cell_resolution_on == date(2026, 4, 1)


def test_a_correction_needs_a_reason(organiser_client, tree):
    candidate = admitted_without_ceremony(tree)
    response = organiser_client.post(
        correct_url(candidate), correction(candidate, ceremony_on="19/05/2026", reason="")
    )
    assert response.status_code == 200
    assert Candidate.objects.get(pk=candidate.pk).ceremony_on is None


def test_votes_corrected_below_two_thirds_are_refused(organiser_client, tree):
    candidate = admitted_without_ceremony(tree)
    response = organiser_client.post(
        correct_url(candidate), correction(candidate, votes_for="1", reason="Gõ nhầm")
    )
    assert response.status_code == 200
    assert Candidate.objects.get(pk=candidate.pk).votes_for == 3


def test_organisers_do_not_correct_what_the_cell_voted_on(organiser, staff, tree):
    candidate = admitted_without_ceremony(tree)
    from recruitment.forms import correction_form_class

    assert "unit" not in correction_form_class(candidate, organiser)._meta.fields
    assert "unit" in correction_form_class(candidate, staff)._meta.fields


def test_staff_correct_the_unit_and_the_member_follows(staff_client, tree):
    candidate = admitted_without_ceremony(tree)
    assert PartyMember.objects.get(candidate=candidate).unit == tree["ward1_cell"]
    response = staff_client.post(
        correct_url(candidate),
        correction(candidate, unit=tree["ward1"].pk, reason="Nhập nhầm chi bộ"),
    )
    assert response.status_code == 302
    assert PartyMember.objects.get(candidate=candidate).unit == tree["ward1"]


def test_a_corrected_decision_date_moves_the_member_and_the_step_date(staff_client, tree):
    candidate = admitted_without_ceremony(tree)
    response = staff_client.post(
        correct_url(candidate), correction(candidate, decision_on="06/05/2026", reason="Sửa")
    )
    assert response.status_code == 302
    candidate.refresh_from_db()
    assert candidate.stage_since == date(2026, 5, 6)
    assert PartyMember.objects.get(candidate=candidate).admitted_on == date(2026, 5, 6)
    change = candidate.stage_changes.get(to_stage=Stage.ADMITTED)
    assert change.on == date(2026, 5, 6)


# --- the admin is no back door -----------------------------------------------------------------


def admin_change(client, candidate, **values):
    """Post the admin change form with every editable field as it is, then ``values``."""
    url = reverse("admin:recruitment_candidate_change", args=[candidate.pk])
    page = client.get(url)
    form = page.context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if value is None or value is False:
            continue
        if hasattr(value, "pk"):
            value = value.pk
        if isinstance(value, date):
            value = value.strftime("%d/%m/%Y")
        data[name] = "on" if value is True else value
    for prefix in ("sponsorships", "enrolments", "stage_changes"):
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    data.update(values)
    return client.post(url, data)


def test_staff_cannot_rewrite_a_recognised_candidate_in_the_admin(staff_client, tree):
    candidate = ready_for(Stage.RECOGNISED, tree["ward1_cell"], stage=Stage.ADMITTED)
    candidate.stage = Stage.RECOGNISED
    candidate.recognition_resolution_on = date(2026, 6, 2)
    candidate.save()
    before = Candidate.objects.get(pk=candidate.pk)
    response = admin_change(
        staff_client,
        candidate,
        unit=tree["ward3_cell"].pk,
        decision_on="01/01/2021",
        date_of_birth="01/01/1950",
        votes_for="1",
        votes_total="9",
        cell_resolution_on="01/01/2099",
        ceremony_on="01/01/2020",
        phone="0909000111",
    )
    assert response.status_code == 302  # saved: what may change did
    after = Candidate.objects.get(pk=candidate.pk)
    for name in [
        "unit_id",
        "decision_on",
        "date_of_birth",
        "votes_for",
        "votes_total",
        "cell_resolution_on",
        "ceremony_on",
    ]:
        assert getattr(after, name) == getattr(before, name), name
    assert after.phone == "0909000111"
    assert Candidate.objects.filter(unit__path__startswith=tree["ward3"].path).count() == 0


def test_the_admin_refuses_a_certificate_dated_before_its_class_ended(staff_client, tree):
    candidate = ready_for(Stage.TRAINED, tree["ward1_cell"])  # in training, with a pass
    enrolment = candidate.enrolments.select_related("training_class").get()
    url = reverse("admin:recruitment_enrolment_change", args=[enrolment.pk])
    response = staff_client.post(
        url,
        {
            "candidate": candidate.pk,
            "training_class": enrolment.training_class_id,
            "result": "passed",
            "certificate_number": "CN-1",
            "certificate_on": "01/01/2026",  # the class ended on 16/01/2026
        },
    )
    assert response.status_code == 200
    enrolment.refresh_from_db()
    assert enrolment.certificate_on == enrolment.training_class.ends_on


def test_the_member_an_admitted_candidate_became_bears_the_candidates_name(organiser_client, tree):
    """Renamed on the edit form, then corrected: the member follows the candidate's record
    each time, and a name typed on the member's page cannot put it out of step."""
    candidate = admitted_without_ceremony(tree)
    member = PartyMember.objects.get(candidate=candidate)
    edit = reverse("recruitment:candidate-edit", args=[candidate.pk])
    form = organiser_client.get(edit).context["form"]
    data = {}
    for field in form:
        value = field.value()
        if isinstance(value, date):
            value = value.strftime("%d/%m/%Y")
        if value not in (None, False):
            data[field.name] = value
    assert organiser_client.post(edit, {**data, "full_name": "Tên Mới"}).status_code == 302
    member.refresh_from_db()
    assert member.full_name == "Tên Mới"
    assert member.search_name == "ten moi"

    member_edit = reverse("recruitment:member-edit", args=[member.pk])
    organiser_client.post(member_edit, {"full_name": "Tên Đã Sửa", "version": member.version})
    candidate.refresh_from_db()
    response = organiser_client.post(
        correct_url(candidate), correction(candidate, ceremony_on="19/05/2026", reason="Biên bản")
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.full_name == "Tên Mới"


def test_an_introducer_stays_on_the_dossier_once_the_cell_has_voted(organiser_client, tree):
    """Ending an introducer after the vote left a dossier that no correction could pass
    ("needs 2 official introducers… it has 1") and a Mẫu 3-KNĐ without them."""
    candidate = admitted_without_ceremony(tree)
    introducer = candidate.sponsorships.filter(role=Sponsorship.Role.INTRODUCER).first()
    detail = english(organiser_client).get(candidate.get_absolute_url())
    remove = reverse("recruitment:candidate-sponsor-remove", args=[candidate.pk, introducer.pk])
    assert remove not in detail.text
    response = english(organiser_client).post(remove, follow=True)
    assert messages_of(response) == [
        f"{introducer.member.full_name} introduced {candidate.full_name} in the dossier the "
        "cell voted on: an introducer's role is not ended after the vote."
    ]
    introducer.refresh_from_db()
    assert introducer.ended_on is None


def test_a_dossier_is_judged_by_the_introducers_of_its_own_date(organiser_client, tree):
    """An introducer whose role ended after the application still counts for it."""
    candidate = admitted_without_ceremony(tree)
    introducer = candidate.sponsorships.filter(role=Sponsorship.Role.INTRODUCER).first()
    introducer.ended_on = candidate.decision_on  # after the application, as recorded
    introducer.save(update_fields=["ended_on"])
    candidate.refresh_from_db()
    response = organiser_client.post(
        correct_url(candidate),
        correction(candidate, ceremony_on="19/05/2026", reason="Biên bản đến muộn"),
    )
    assert response.status_code == 302


def test_a_corrected_unit_counts_the_admission_where_the_person_was_admitted(staff_client, tree):
    """ "Entered in the wrong cell": the record was wrong from the start, so the admission
    leaves Ward I's figures for Ward III's, and Ward III's organiser sees the person."""
    from recruitment import rollups

    candidate = admitted_without_ceremony(tree)
    response = staff_client.post(
        correct_url(candidate),
        correction(candidate, unit=tree["ward3_cell"].pk, reason="Nhập nhầm chi bộ"),
    )
    assert response.status_code == 302
    candidate.refresh_from_db()
    assert candidate.admitted_unit == tree["ward3_cell"]
    counts = rollups.read([tree["ward1"], tree["ward3"]], [2026], [rollups.ADMITTED])
    assert counts.get(tree["ward1"].pk, {}).get((2026, rollups.ADMITTED), 0) == 0
    assert counts[tree["ward3"].pk][(2026, rollups.ADMITTED)] == 1


def test_a_member_who_left_during_probation_has_the_admissions_paperwork_corrected(
    staff_client, tree
):
    """Dropped out before recognition: the ceremony could never be entered ("the date of
    recognition is needed at this step"), and a decision dated after the exit was taken."""
    candidate = admitted_without_ceremony(tree)  # admitted 04/05/2026
    pipeline.move(candidate, Stage.DROPPED_OUT, on=date(2026, 6, 10), reason="Bỏ sinh hoạt")
    candidate.refresh_from_db()
    response = staff_client.post(
        correct_url(candidate), correction(candidate, ceremony_on="19/05/2026", reason="Muộn")
    )
    assert response.status_code == 302, response.context["form"].errors
    candidate.refresh_from_db()
    response = english(staff_client).post(
        correct_url(candidate), correction(candidate, decision_on="12/06/2026", reason="Sửa")
    )
    assert response.status_code == 200
    errors = str(response.context["form"].errors)
    assert "cannot come after the day the member left (10/06/2026)" in errors
    candidate.refresh_from_db()
    assert candidate.decision_on == date(2026, 5, 4)


def test_a_candidate_saved_without_a_rename_leaves_the_members_name_alone(tree):
    """Only a rename is followed: a move or an edit of something else does not put the
    candidate's spelling over a member's name that differs (data from before the rule)."""
    candidate = admitted_without_ceremony(tree)
    PartyMember.objects.filter(candidate=candidate).update(full_name="Tên Trên Hồ Sơ Đảng Viên")
    candidate.refresh_from_db()
    candidate.phone = "0901234567"
    candidate.save()
    assert PartyMember.objects.get(candidate=candidate).full_name == "Tên Trên Hồ Sơ Đảng Viên"
    candidate.full_name = "Tên Mới"
    candidate.save()
    assert PartyMember.objects.get(candidate=candidate).full_name == "Tên Mới"
