"""Two records of one person (issue 10 §4, §5): the staff's list of likely duplicates, and a
merge after a side-by-side comparison and a confirmation, keeping the history of both."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from recruitment import duplicates, pipeline, rollups, services
from recruitment.models import (
    Candidate,
    Enrolment,
    PartyMember,
    Sponsorship,
    Stage,
    StageChange,
    Transfer,
)
from tests.factories import (
    CandidateFactory,
    PartyMemberFactory,
    TrainingClassFactory,
    mentor,
    ready_for,
)
from tests.helpers import english, messages_of
from tests.test_concurrency import at_once, client_for, on_postgresql

pytestmark = pytest.mark.django_db

LIST_URL = reverse("recruitment:duplicate-list")


def candidates_url(first, second):
    return reverse("recruitment:merge-candidates", args=[first.pk, second.pk])


def members_url(first, second):
    return reverse("recruitment:merge-members", args=[first.pk, second.pk])


def link_url(candidate, member):
    return reverse("recruitment:merge-candidate-member", args=[candidate.pk, member.pk])


def twins(unit, other_unit=None, **second):
    """Two candidate records of one person, as typed by two offices."""
    first = CandidateFactory(
        unit=unit, full_name="Lê Thị Hoa", date_of_birth=date(1996, 2, 3), phone="0901"
    )
    values = {"full_name": "Le Thi  Hoa", "date_of_birth": date(1996, 2, 3), "phone": "0902"}
    values.update(second)
    return first, CandidateFactory(unit=other_unit or unit, **values)


def merge_data(form_values: dict, **overrides) -> dict:
    data = {
        "keep": "first",
        "reason": "Cùng một người, nhập hai lần",
        "first_version": 1,
        "second_version": 1,
    }
    data.update(form_values)
    data.update(overrides)
    return data


# --- the list of likely duplicates ----------------------------------------------------------


def test_the_list_pairs_namesakes_and_shared_numbers_in_the_subtree(staff_client, tree):
    first, second = twins(tree["ward1_cell"], tree["ward3_cell"])
    candidate = CandidateFactory(
        unit=tree["ward1_cell"], full_name="Số Cũ", old_id_number="361234567"
    )
    member = PartyMemberFactory(unit=tree["city"], full_name="Tên Khác", old_id_number="361234567")
    # Linked records are one person on purpose; the other city is out of sight.
    admitted = CandidateFactory(unit=tree["ward1_cell"], citizen_id="093201004321")
    PartyMemberFactory(unit=tree["ward1_cell"], candidate=admitted, citizen_id="093201004321")
    twins(tree["other_cell"])
    response = english(staff_client).get(LIST_URL)
    assert response.status_code == 200
    pairs = [(p.first, p.second, p.reasons) for p in response.context["pairs"]]
    assert pairs == [
        (first, second, ["name_and_birth"]),
        (candidate, member, ["old_id_number"]),
    ]
    assert candidates_url(first, second) in response.text
    assert link_url(candidate, member) in response.text
    assert "same old ID number" in response.text


def test_the_list_pairs_members_of_the_same_name_and_birth_date(staff_client, tree):
    one = PartyMemberFactory(
        unit=tree["ward1"], full_name="Võ Văn Ba", date_of_birth=date(1970, 1, 1)
    )
    two = PartyMemberFactory(
        unit=tree["ward3"], full_name="vo van ba", date_of_birth=date(1970, 1, 1)
    )
    PartyMemberFactory(unit=tree["ward3"], full_name="vo van ba")  # no birth date: unknown
    response = staff_client.get(LIST_URL)
    assert [(p.first, p.second) for p in response.context["pairs"]] == [(one, two)]
    assert members_url(one, two) in response.text


def test_the_list_pairs_a_candidate_and_an_unlinked_member_never_a_candidate_and_its_own(
    staff_client, tree
):
    """A candidate and the member it became are one person on two records: never a pair,
    though both are paired with a third record of the same name and birth date. The groups
    are kept (``namesakes``), the pairs made in Python."""
    born = date(1990, 5, 6)
    candidate = CandidateFactory(
        unit=tree["ward1_cell"], full_name="Trần Văn Tư", date_of_birth=born
    )
    own = PartyMemberFactory(
        unit=tree["ward1_cell"], candidate=candidate, full_name="Trần Văn Tư", date_of_birth=born
    )
    alone = CandidateFactory(unit=tree["ward3_cell"], full_name="Phạm Thị Năm", date_of_birth=born)
    PartyMemberFactory(
        unit=tree["ward3_cell"], candidate=alone, full_name="Phạm Thị Năm", date_of_birth=born
    )
    response = staff_client.get(LIST_URL)
    assert response.context["pairs"] == []
    other = PartyMemberFactory(unit=tree["ward3"], full_name="tran van tu", date_of_birth=born)
    response = staff_client.get(LIST_URL)
    pairs = {(p.first, p.second, tuple(p.reasons)) for p in response.context["pairs"]}
    assert len(response.context["pairs"]) == 2
    assert pairs == {
        (candidate, other, ("name_and_birth",)),
        (own, other, ("name_and_birth",)),
    }


def test_the_list_has_an_empty_state_and_pages(staff_client, tree):
    response = english(staff_client).get(LIST_URL)
    assert "No likely duplicate in your units." in response.text
    for n in range(21):
        CandidateFactory(unit=tree["ward1_cell"], full_name=f"Trùng {n:02}")
        CandidateFactory(unit=tree["ward1_cell"], full_name=f"Trung {n:02}")
    first = staff_client.get(LIST_URL)
    assert len(first.context["pairs"]) == 20
    second = staff_client.get(LIST_URL, {"page": 2})
    assert len(second.context["pairs"]) == 1
    assert first.context["count"] is None and second.context["count"] is None  # not counted
    past = staff_client.get(LIST_URL, {"page": 3})  # past the end: back to the first page
    assert (past.status_code, past.url) == (302, LIST_URL)


@pytest.mark.parametrize("batch", [1, 2, 3, 5])
def test_the_pairs_do_not_depend_on_the_records_read_per_query(staff, tree, monkeypatch, batch):
    """The records are read a batch at a time in name order, a name never split between
    two batches: a name whose records fill a batch is read whole on its own."""
    born = date(1990, 5, 6)
    for name, count in (("Ba Người", 3), ("Hai Người", 1), ("Một Số", 1)):
        for _n in range(count):
            CandidateFactory(unit=tree["ward1_cell"], full_name=name, date_of_birth=born)
        PartyMemberFactory(unit=tree["ward3"], full_name=name, date_of_birth=born)
    CandidateFactory(unit=tree["ward3_cell"], full_name="Số Cũ", old_id_number="361234567")
    PartyMemberFactory(unit=tree["city"], full_name="Tên Khác", old_id_number="361234567")
    read = [(p.first, p.second, p.reasons) for p in list(duplicates.pairs_of(staff))]
    assert len(read) == 6 + 1 + 1 + 1  # pairs of 4, 2 and 2 records, and a shared number
    monkeypatch.setattr(duplicates, "BATCH", batch)
    assert [(p.first, p.second, p.reasons) for p in list(duplicates.pairs_of(staff))] == read


def test_a_name_whose_records_went_before_they_were_read_whole_is_left_out(
    staff, tree, monkeypatch
):
    """A name that fills a batch is read again whole: its records may have been merged or
    renamed in between."""
    twins(tree["ward1_cell"], tree["ward3_cell"])
    monkeypatch.setattr(duplicates, "BATCH", 1)
    read = duplicates._twin_rows
    monkeypatch.setattr(
        duplicates,
        "_twin_rows",
        lambda *args: read(*args) if args[-1] is not None else [],  # gone when read whole
    )
    assert list(duplicates.pairs_of(staff)) == []


def test_a_pair_whose_record_went_since_it_was_found_is_left_out(staff, tree):
    """The records of a page are read after the pairs were made: one merged or deleted in
    between raised a KeyError (a 500)."""
    first, second = twins(tree["ward1_cell"], tree["ward3_cell"])
    CandidateFactory(unit=tree["ward1_cell"], full_name="Hai Lần")
    gone = CandidateFactory(unit=tree["ward3_cell"], full_name="Hai Lan")
    pairs = list(duplicates.pairs_of(staff))
    assert len(pairs) == 2
    gone.delete()
    assert [(p.first, p.second) for p in duplicates.read_records(pairs)] == [(first, second)]


def test_the_list_costs_the_same_queries_however_many_pairs(staff_client, tree):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = staff_client.get(LIST_URL)
        assert response.status_code == 200
        return len(captured)

    def pair(name, first_unit, second_unit):
        CandidateFactory(unit=first_unit, full_name=name)
        CandidateFactory(unit=second_unit, full_name=name)

    pair("Hai Lần", tree["ward1_cell"], tree["ward1_cell"])
    PartyMemberFactory(unit=tree["ward1"], old_id_number="361234567")
    CandidateFactory(unit=tree["ward3"], old_id_number="361234567")
    few = queries()
    for n in range(6):
        pair(f"Hai Lần {n}", tree["ward1_cell"], tree["ward3_cell"])
        PartyMemberFactory(unit=tree["ward1"], citizen_id=f"09320100{n:04}")
        CandidateFactory(unit=tree["ward3"], citizen_id=f"09320100{n:04}")
    assert len(staff_client.get(LIST_URL).context["pairs"]) == 14
    assert queries() == few


def test_organisers_may_not_see_the_list(organiser_client, tree):
    assert organiser_client.get(LIST_URL).status_code == 403


# --- merging two candidate records ------------------------------------------------------------


def test_the_comparison_highlights_what_differs(staff_client, tree):
    first, second = twins(tree["ward1_cell"], tree["ward3_cell"])
    response = english(staff_client).get(candidates_url(first, second))
    assert response.status_code == 200
    rows = {row.label: row for row in response.context["rows"]}
    assert rows["Phone"].differs and rows["Phone"].choice is not None
    assert not rows["Date of birth"].differs and rows["Date of birth"].choice is None
    assert response.text.count('class="table-warning"') == sum(r.differs for r in rows.values())


def test_a_merge_is_reviewed_then_confirmed_and_keeps_both_histories(staff, staff_client, tree):
    first, second = twins(tree["ward1_cell"], tree["ward3_cell"])
    StageChange.objects.create(candidate=first, to_stage=Stage.SOURCE, on=date(2025, 1, 1))
    StageChange.objects.create(candidate=second, to_stage=Stage.SOURCE, on=date(2025, 3, 1))
    shared = mentor(first)
    mentor(second, shared.member)  # the same mentor on both: kept once
    own_mentor = mentor(second)
    course = TrainingClassFactory(unit=tree["ward1"])
    Enrolment.objects.create(candidate=second, training_class=course)
    data = merge_data({"value_full_name": "first", "value_phone": "second", "value_unit": "first"})
    review = english(staff_client).post(candidates_url(first, second), data)
    assert review.status_code == 200
    assert review.templates[0].name == "recruitment/duplicates/confirm.html"
    assert Candidate.objects.count() == 2  # nothing happens before the confirmation
    done = english(staff_client).post(candidates_url(first, second), {**data, "confirmed": "on"})
    assert done.status_code == 302 and done.url == first.get_absolute_url()
    assert messages_of(done) == [f"Record #{second.pk} was merged into Lê Thị Hoa (#{first.pk})."]
    assert not Candidate.objects.filter(pk=second.pk).exists()
    first.refresh_from_db()
    assert (first.full_name, first.phone, first.unit) == ("Lê Thị Hoa", "0902", tree["ward1_cell"])
    assert first.version == 2
    changes = first.stage_changes.order_by("on")
    assert [(c.on, c.merged_from) for c in changes] == [
        (date(2025, 1, 1), None),
        (date(2025, 3, 1), second.pk),
    ]
    assert list(first.enrolments.values_list("training_class", flat=True)) == [course.pk]
    active = first.sponsorships.filter(ended_on__isnull=True)
    assert sorted(active.values_list("member", flat=True)) == sorted(
        [shared.member_id, own_mentor.member_id]
    )
    assert first.sponsorships.count() == 3  # the duplicate mentoring ended, not lost
    # Both histories say what happened, who did it and why.
    latest = first.history.latest("history_date")
    assert f"#{second.pk}" in latest.history_change_reason
    assert latest.history_user == staff
    page = english(staff_client).get(first.get_absolute_url()).text
    assert f"from merged record #{second.pk}" in page
    gone = Candidate.history.filter(id=second.pk).latest("history_date")
    assert gone.history_type == "-" and f"#{first.pk}" in gone.history_change_reason


def test_the_record_kept_may_be_the_second(staff_client, tree):
    first, second = twins(tree["ward1_cell"])
    data = merge_data({"value_full_name": "first", "value_phone": "first"}, keep="second")
    response = staff_client.post(candidates_url(first, second), {**data, "confirmed": "on"})
    assert response.status_code == 302
    assert list(Candidate.objects.values_list("pk", "full_name", "phone")) == [
        (second.pk, "Lê Thị Hoa", "0901")
    ]


def test_a_merge_takes_the_citizen_id_of_the_removed_record(staff_client, tree):
    first, second = twins(tree["ward1_cell"], citizen_id="093201004321")
    data = merge_data(
        {"value_full_name": "first", "value_phone": "first", "value_citizen_id": "second"}
    )
    response = staff_client.post(candidates_url(first, second), {**data, "confirmed": "on"})
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.citizen_id == "093201004321"


def test_a_record_changed_since_the_comparison_is_not_merged(staff_client, tree):
    first, second = twins(tree["ward1_cell"])
    data = merge_data({"value_full_name": "first", "value_phone": "first"})
    second.phone = "0999"
    second.save()  # version 2
    response = english(staff_client).post(
        candidates_url(first, second), {**data, "confirmed": "on"}
    )
    assert response.status_code == 200
    assert "after you opened this page" in response.text
    assert Candidate.objects.count() == 2


def test_two_citizen_ids_are_two_people(staff_client, tree):
    first, second = twins(tree["ward1_cell"], citizen_id="093201004321")
    first.citizen_id = "093201009999"
    first.save()
    data = merge_data(
        {"value_full_name": "first", "value_phone": "first", "value_citizen_id": "first"},
        first_version=2,
    )
    response = english(staff_client).post(candidates_url(first, second), data)
    assert "they are two people" in response.text
    assert response.context["broken"]
    assert Candidate.objects.count() == 2


def test_the_admitted_record_must_be_the_one_kept(staff_client, tree):
    admitted = ready_for(Stage.RECOGNISED, tree["ward1_cell"], full_name="Lê Thị Hoa")
    admitted.stage = Stage.ADMITTED
    admitted.save()
    again = CandidateFactory(unit=tree["ward1_cell"], full_name="Lê Thị Hoa")
    data = merge_data({}, keep="second", first_version=admitted.version)
    names = [
        n
        for n in ("full_name", "date_of_birth", "phone")
        if getattr(admitted, n) != getattr(again, n)
    ]
    data.update({f"value_{n}": "first" for n in names})
    response = english(staff_client).post(
        candidates_url(admitted, again), {**data, "confirmed": "on"}
    )
    assert response.status_code == 200
    assert "keep that record, so that its admission stays" in response.text
    assert Candidate.objects.count() == 2


def test_the_vote_fixes_the_birth_date_of_the_record_kept(tree, staff):
    voted = ready_for(Stage.ADMITTED, tree["ward1_cell"], stage=Stage.PROPOSED)
    other = CandidateFactory(unit=tree["ward1_cell"], date_of_birth=date(1990, 1, 1))
    broken = pipeline.candidate_merge_rules(voted, other, {"date_of_birth": date(1990, 1, 1)})
    assert [b.code for b in broken] == ["fixed_after_vote"]
    with pytest.raises(pipeline.MoveRefused):
        services.merge_candidates(
            kept=voted,
            removed=other,
            values={"date_of_birth": date(1990, 1, 1)},
            reason="x",
            by=staff,
        )
    assert Candidate.objects.filter(pk=other.pk).exists()


def test_staff_of_another_city_cannot_reach_the_pair(other_staff_client, tree):
    first, second = twins(tree["ward1_cell"])
    assert other_staff_client.get(candidates_url(first, second)).status_code == 404
    data = merge_data({"value_full_name": "first", "value_phone": "first"}, confirmed="on")
    assert other_staff_client.post(candidates_url(first, second), data).status_code == 404
    assert Candidate.objects.count() == 2


def test_a_pair_across_the_edge_of_the_scope_is_not_merged(staff, tree):
    """Staff of Ward I cannot merge a record of Ward I with one of another city: the page
    answers 404, and the service itself refuses."""
    first, second = twins(tree["ward1_cell"], tree["other_cell"])
    ward_staff = staff
    ward_staff.unit = tree["ward1"]
    ward_staff.save()
    from django.test import Client

    client = Client()
    client.force_login(ward_staff)
    assert client.get(candidates_url(first, second)).status_code == 404
    with pytest.raises(ValidationError) as refused:
        services.merge_candidates(kept=first, removed=second, values={}, reason="x", by=ward_staff)
    assert refused.value.error_list[0].code == "out_of_scope"
    assert Candidate.objects.count() == 2


def test_organisers_may_not_merge(organiser_client, tree):
    first, second = twins(tree["ward1_cell"])
    assert organiser_client.get(candidates_url(first, second)).status_code == 403
    data = merge_data({"value_full_name": "first", "value_phone": "first"}, confirmed="on")
    assert organiser_client.post(candidates_url(first, second), data).status_code == 403
    assert Candidate.objects.count() == 2


def test_a_record_is_no_pair_with_itself(staff_client, tree):
    candidate = CandidateFactory(unit=tree["ward1_cell"])
    assert staff_client.get(candidates_url(candidate, candidate)).status_code == 404


# --- members -----------------------------------------------------------------------------------


def test_two_member_records_merge_with_their_transfers_and_mentoring(staff_client, tree):
    kept = PartyMemberFactory(
        unit=tree["ward1_cell"], full_name="Võ Văn Ba", date_of_birth=date(1970, 1, 1)
    )
    removed = PartyMemberFactory(
        unit=tree["ward1_cell"], full_name="Vo Van Ba", citizen_id="093201004321"
    )
    transfer = Transfer.objects.create(
        member=removed,
        direction="in",
        on=date(2015, 1, 1),
        from_place="Cần Thơ",
        to_unit=tree["ward1_cell"],
    )
    mentoring = mentor(CandidateFactory(unit=tree["ward1_cell"]), removed)
    data = merge_data(
        {"value_full_name": "first", "value_date_of_birth": "first", "value_citizen_id": "second"}
    )
    response = staff_client.post(members_url(kept, removed), {**data, "confirmed": "on"})
    assert response.status_code == 302 and response.url == kept.get_absolute_url()
    kept.refresh_from_db()
    assert (kept.full_name, kept.citizen_id) == ("Võ Văn Ba", "093201004321")
    assert not PartyMember.objects.filter(pk=removed.pk).exists()
    transfer.refresh_from_db()
    assert transfer.member == kept
    assert Sponsorship.objects.get(pk=mentoring.pk).member == kept
    assert f"#{removed.pk}" in kept.history.latest("history_date").history_change_reason


def test_the_member_admitted_through_the_pipeline_is_kept(staff_client, tree):
    candidate = CandidateFactory(
        unit=tree["ward1_cell"], stage=Stage.ADMITTED, decision_on=date(2020, 1, 1)
    )
    linked = PartyMemberFactory(unit=tree["ward1_cell"], candidate=candidate, full_name="A")
    by_hand = PartyMemberFactory(unit=tree["ward1_cell"], full_name="A")
    data = merge_data({}, keep="second")
    response = english(staff_client).post(members_url(linked, by_hand), data)
    assert "was admitted through the pipeline: keep that record" in response.text
    assert PartyMember.objects.count() == 2


def test_merging_into_the_pipeline_member_keeps_the_removed_records_citizen_id(staff_client, tree):
    """The citizen ID only the hand-entered record knew goes to the candidate's record,
    which says who the kept member is: a new record with it is still found as a duplicate."""
    candidate = CandidateFactory(
        unit=tree["ward1_cell"], stage=Stage.ADMITTED, decision_on=date(2020, 1, 1)
    )
    linked = PartyMemberFactory(unit=tree["ward1_cell"], candidate=candidate, full_name="A")
    by_hand = PartyMemberFactory(unit=tree["ward1_cell"], full_name="A", citizen_id="093201004321")
    response = staff_client.post(
        members_url(linked, by_hand), {**merge_data({}), "confirmed": "on"}
    )
    assert response.status_code == 302
    candidate.refresh_from_db()
    assert candidate.citizen_id == "093201004321"
    assert not PartyMember.objects.filter(pk=by_hand.pk).exists()


def test_a_record_with_transfers_or_another_id_is_not_merged_into_the_pipeline_member(
    staff_client, tree
):
    candidate = CandidateFactory(
        unit=tree["ward1_cell"],
        stage=Stage.ADMITTED,
        decision_on=date(2020, 1, 1),
        citizen_id="093201004321",
    )
    linked = PartyMemberFactory(unit=tree["ward1_cell"], candidate=candidate, full_name="A")
    other_id = PartyMemberFactory(unit=tree["ward1_cell"], full_name="A", citizen_id="093201009999")
    moved = PartyMemberFactory(unit=tree["ward1_cell"], full_name="A")
    Transfer.objects.create(
        member=moved,
        direction="out",
        on=date(2019, 1, 1),
        from_unit=tree["ward1_cell"],
        to_place="Cần Thơ",
    )
    for removed, words in ((other_id, "different citizen IDs"), (moved, "has transfers")):
        data = {**merge_data({}), "confirmed": "on"}
        response = english(staff_client).post(members_url(linked, removed), data)
        assert response.status_code == 200
        assert words in response.text
        assert PartyMember.objects.filter(pk=removed.pk).exists()


# --- a candidate also recorded as a member ------------------------------------------------------


def test_a_candidate_admitted_is_linked_to_the_member_entered_by_hand(staff_client, tree):
    candidate = CandidateFactory(
        unit=tree["ward1_cell"],
        stage=Stage.ADMITTED,
        decision_on=date(2020, 1, 1),
        full_name="Hồ Văn Tư",
    )
    member = PartyMemberFactory(
        unit=tree["ward1"],
        full_name="Ho Van Tu",
        admitted_on=date(2020, 1, 1),
        official_on=None,
        old_id_number="361234567",
    )
    data = merge_data(
        {
            "value_full_name": "first",
            "value_date_of_birth": "first",
            "value_old_id_number": "second",
        }
    )
    data.pop("keep")
    response = staff_client.post(link_url(candidate, member), {**data, "confirmed": "on"})
    assert response.status_code == 302
    member.refresh_from_db()
    candidate.refresh_from_db()
    assert member.candidate == candidate
    assert (member.unit, member.full_name) == (tree["ward1_cell"], "Hồ Văn Tư")
    assert candidate.old_id_number == "361234567" and member.old_id_number is None


def test_a_candidate_still_in_the_pipeline_is_not_linked_to_a_member(staff_client, tree):
    candidate = CandidateFactory(unit=tree["ward1_cell"], full_name="Hồ Văn Tư")
    member = PartyMemberFactory(unit=tree["ward1"], full_name="Hồ Văn Tư")
    data = merge_data({"value_date_of_birth": "first"})
    data.pop("keep")
    response = english(staff_client).post(link_url(candidate, member), {**data, "confirmed": "on"})
    assert response.status_code == 200
    assert "a member is not a candidate" in response.text
    member.refresh_from_db()
    assert member.candidate is None


# --- two people merging at once -------------------------------------------------------------


def test_a_merge_sent_twice_merges_once(staff_client, tree):
    first, second = twins(tree["ward1_cell"])
    data = merge_data({"value_full_name": "first", "value_phone": "first"}, confirmed="on")
    assert staff_client.post(candidates_url(first, second), data).status_code == 302
    again = staff_client.post(candidates_url(first, second), data)
    assert again.status_code == 404  # the removed record is gone
    assert list(Candidate.objects.values_list("pk", flat=True)) == [first.pk]


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_opposite_merges_at_the_same_moment_keep_one_record(staff, tree):
    first, second = twins(tree["ward1_cell"])
    data = merge_data({"value_full_name": "first", "value_phone": "first"}, confirmed="on")
    clients = [client_for(staff), client_for(staff)]
    responses = at_once(
        lambda: clients[0].post(candidates_url(first, second), data),
        lambda: clients[1].post(candidates_url(first, second), {**data, "keep": "second"}),
    )
    # The second waits for the first's lock and is told the record went; or, if the first
    # has committed before it reads the pair, it finds no such pair (404). Never both.
    codes = sorted(r.status_code for r in responses)
    assert codes in ([200, 302], [302, 404]), codes
    if codes == [200, 302]:
        refused = next(r for r in responses if r.status_code == 200)
        assert "deleted or merged meanwhile" in refused.content.decode()
    assert Candidate.objects.count() == 1


# --- the record's own page ---------------------------------------------------------------------


def test_staff_see_the_likely_twins_of_a_record_on_its_page(staff_client, organiser_client, tree):
    first, second = twins(tree["ward1_cell"], tree["ward3_cell"])
    member = PartyMemberFactory(unit=tree["city"], citizen_id="093201004321")
    first.citizen_id = "093201004321"
    first.save()
    twins(tree["other_cell"])  # another city's namesake: out of sight
    page = english(staff_client).get(first.get_absolute_url())
    assert [twin for twin, _url in page.context["twins"]] == [member, second]
    assert candidates_url(first, second) in page.text
    assert link_url(first, member) in page.text
    member_page = staff_client.get(member.get_absolute_url())
    assert [twin for twin, _url in member_page.context["twins"]] == [first]
    # Organisers do not merge: no box.
    assert organiser_client.get(first.get_absolute_url()).context["twins"] == []


def test_the_twins_of_a_record_are_read_in_two_queries(staff, tree, django_assert_num_queries):
    from recruitment import duplicates

    first, second = twins(tree["ward1_cell"], tree["ward3_cell"])
    member = PartyMemberFactory(unit=tree["city"], citizen_id="093201004321")
    first.citizen_id = "093201004321"
    first.save()
    with django_assert_num_queries(2):  # the candidates, the members
        found = duplicates.twins_of(first, staff)
    assert found == [member, second]
    # Only the columns the card shows are read: drawing it asks nothing more.
    with django_assert_num_queries(0):
        card = render_to_string(
            "recruitment/duplicates/_twins.html", {"twins": [(t, "#") for t in found]}
        )
    assert member.full_name in card and second.unit.name in card


def test_a_pass_on_the_removed_record_in_the_same_class_is_kept(staff, tree):
    kept, removed = twins(tree["ward1_cell"])
    kept.stage = removed.stage = Stage.TRAINING
    kept.save()
    removed.save()
    course = TrainingClassFactory(unit=tree["ward1"])
    pending = Enrolment.objects.create(candidate=kept, training_class=course)
    Enrolment.objects.create(
        candidate=removed,
        training_class=course,
        result=Enrolment.Result.PASSED,
        certificate_number="CN-7",
        certificate_on=date(2026, 1, 20),
    )
    services.merge_candidates(kept=kept, removed=removed, values={}, reason="Trùng", by=staff)
    pending.refresh_from_db()
    assert (pending.result, pending.certificate_number) == ("passed", "CN-7")
    assert Enrolment.objects.count() == 1


def test_member_dates_chosen_from_both_records_must_stay_in_order(tree):
    kept = PartyMemberFactory(unit=tree["ward1"], admitted_on=date(2012, 1, 1), official_on=None)
    removed = PartyMemberFactory(
        unit=tree["ward1"], admitted_on=date(2010, 1, 1), official_on=date(2011, 1, 1)
    )
    broken = pipeline.member_merge_rules(kept, removed, {"official_on": date(2011, 1, 1)})
    assert [b.code for b in broken] == ["official_before_admitted"]
    assert (
        pipeline.member_merge_rules(
            kept, removed, {"official_on": date(2011, 1, 1), "admitted_on": date(2010, 1, 1)}
        )
        == []
    )
    assert kept.official_on is None  # the rules leave the record in memory as it was


def test_a_merge_across_two_wards_leaves_the_kept_counts_equal_to_a_recount(staff, tree):
    kept, removed = twins(tree["ward1_cell"], tree["ward3"])
    kept.stage = removed.stage = Stage.TRAINING
    kept.save()
    removed.save()
    before = rollups.stored(tree["ward3"].path)
    services.merge_candidates(kept=kept, removed=removed, values={}, reason="Trùng", by=staff)
    assert rollups.stored(tree["ward3"].path) != before  # Ward III lost its record
    assert rollups.differences() == []
