"""The names and birth dates two people share (``recruitment.namesakes``), kept on every
write: what the duplicates page reads instead of grouping the whole scope."""

import random
import threading
import time
from datetime import date
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from recruitment import namesakes
from recruitment.imports.bulk import insert_candidates
from recruitment.models import Candidate, Namesake, PartyMember
from recruitment.text import search_key
from tests.factories import CandidateFactory, PartyMemberFactory
from tests.helpers import waiting_for_a_lock
from tests.imports_helpers import candidate_rows, check, check_and_commit, csv_bytes
from tests.test_concurrency import at_once, on_postgresql

pytestmark = pytest.mark.django_db

NAMES = ["Nguyễn Văn An", "Nguyen van an", "Trần Thị Bình", "Lê Hoàng"]
BIRTHS = [date(1995, 5, 20), date(1996, 1, 2)]


def kept() -> set:
    return set(Namesake.objects.values_list("search_name", "date_of_birth"))


def test_random_writes_keep_the_namesakes_equal_to_a_recount(tree):
    """200 random writes of the records that decide a namesake: candidates and members made,
    renamed, born on another day, a member linked to its candidate or not, deletions (a
    candidate's member then stands alone) and an import's bulk insert. After each, the
    table equals a recount, and it holds keys at times and loses them at others."""
    rng = random.Random(7)
    cells = [tree["ward1_cell"], tree["ward3_cell"], tree["other_cell"]]
    seen_sizes = set()
    for step in range(200):
        action = rng.random()
        candidates = list(Candidate.objects.all())
        members = list(PartyMember.objects.all())
        # A member's birth date may be unknown; a candidate's never is.
        name, born = rng.choice(NAMES), rng.choice([*BIRTHS, None])
        if action < 0.25 or not candidates:
            CandidateFactory(
                unit=rng.choice(cells), full_name=name, date_of_birth=born or BIRTHS[0]
            )
        elif action < 0.4:
            PartyMemberFactory(unit=rng.choice(cells), full_name=name, date_of_birth=born)
        elif action < 0.55:
            record = rng.choice(candidates + members)
            record.full_name = name
            record.date_of_birth = born if isinstance(record, PartyMember) else born or BIRTHS[1]
            record.save(update_fields=rng.choice([None, ["full_name"], ["date_of_birth"]]))
        elif action < 0.7 and members:
            member = rng.choice(members)
            free = [c for c in candidates if not PartyMember.objects.filter(candidate=c).exists()]
            member.candidate = rng.choice([None, *free])
            member.save()
        elif action < 0.8:
            rng.choice(candidates).delete()
        elif action < 0.9 and members:
            rng.choice(members).delete()
        else:
            batch = [
                Candidate(
                    full_name=rng.choice(NAMES),
                    date_of_birth=rng.choice(BIRTHS),
                    unit=rng.choice(cells),
                    gender="male",
                    source="association",
                    education="upper_secondary",
                    stage_since=date(2025, 12, 1),
                )
                for _ in range(rng.randint(1, 3))
            ]
            for candidate in batch:
                candidate.normalise()
            insert_candidates(batch, from_paper=[False] * len(batch), user=None, reason="test")
            # As the importer does once its file is written (tested below).
            namesakes.keep(namesakes.key_of(c.search_name, c.date_of_birth) for c in batch)
        assert namesakes.differences() == (set(), set()), step
        seen_sizes.add(len(kept()))
    assert 0 in seen_sizes and max(seen_sizes) >= 3


def test_a_candidate_and_the_member_it_became_are_one_person(tree):
    candidate = CandidateFactory(unit=tree["ward1_cell"], full_name="Lê Hoàng")
    member = PartyMemberFactory(
        unit=tree["ward1_cell"], full_name="Lê Hoàng", date_of_birth=candidate.date_of_birth
    )
    key = (search_key("Lê Hoàng"), candidate.date_of_birth)
    assert kept() == {key}  # two people, until linked
    member.candidate = candidate
    member.save(update_fields=["candidate"])
    assert kept() == set()
    candidate.delete()  # the member stands alone again: one person
    assert kept() == set()
    assert namesakes.differences() == (set(), set())


def test_verify_rollups_reports_a_namesake_kept_wrong_and_repairs_it(tree, capsys):
    CandidateFactory(unit=tree["ward1_cell"], full_name="Lê Hoàng")
    CandidateFactory(unit=tree["ward3_cell"], full_name="LE HOANG")
    call_command("verify_rollups")
    assert "equal a recount" in capsys.readouterr().out
    Namesake.objects.all().delete()
    with pytest.raises(SystemExit) as exit_:
        call_command("verify_rollups")
    assert exit_.value.code == 1
    assert "le hoang 1995-05-20: kept no namesake, recounted one" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        call_command("verify_rollups", "--repair")
    assert kept() == {("le hoang", date(1995, 5, 20))}
    call_command("verify_rollups")
    assert "equal a recount" in capsys.readouterr().out


def test_an_import_keeps_the_namesakes_it_adds_once_committed_not_by_its_check(organiser, tree):
    CandidateFactory(
        unit=tree["ward3_cell"], full_name="Nguyễn Văn Nhập 0", date_of_birth=date(1995, 1, 1)
    )
    rows = candidate_rows("VT-P1-KV3", 1)
    rows[1][3] = ""
    check(organiser, csv_bytes(rows), namesakes_confirmed=True)  # rolled back
    assert kept() == set()
    job = check_and_commit(organiser, csv_bytes(rows), namesakes_confirmed=True)
    assert job.counts["new"] == 1
    assert kept() == {("nguyen van nhap 0", date(1995, 1, 1))}


def test_the_admin_deletes_selected_members_one_by_one(tree, admin_client_):
    """ "Delete selected" deleted the rows in one query, past ``PartyMember.delete``: the
    key two members no longer shared stayed in the table."""
    one, two = (
        PartyMemberFactory(unit=tree["ward1"], full_name="Võ Văn Ba", date_of_birth=BIRTHS[0])
        for _ in range(2)
    )
    assert len(kept()) == 1
    changelist = reverse("admin:recruitment_partymember_changelist")
    action = {"action": "delete_selected", "_selected_action": [two.pk], "post": "yes"}
    assert admin_client_.post(changelist, action).status_code == 302
    assert not PartyMember.objects.filter(pk=two.pk).exists()
    assert kept() == set()


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_namesakes_written_at_the_same_moment_are_kept(tree):
    """Each transaction counted only its own new row and found no namesake; the key's row
    is claimed first now, so the second waits and counts the first's."""

    def add_member():
        try:
            PartyMemberFactory(unit=tree["ward1"], full_name="Đỗ Văn Tư", date_of_birth=BIRTHS[1])
        finally:
            connection.close()

    at_once(add_member, add_member)
    assert kept() == {("do van tu", BIRTHS[1])}
    assert namesakes.differences() == (set(), set())


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_key_deleted_by_a_transaction_that_counted_first_is_written_again(tree):
    """Transaction A deletes one of two members of a key and counts one person left, before
    B's new member of the key is committed: A deletes the key. B, which had found the key's
    row at its claim and waited for A's lock, counted two people once A committed, but the
    row was gone and nothing wrote it again: a key two people share was missing."""
    born = BIRTHS[0]
    first, second = (
        PartyMemberFactory(unit=tree["ward1"], full_name="Lê Văn Năm", date_of_birth=born)
        for _ in range(2)
    )
    counted, go = threading.Event(), threading.Event()
    real = namesakes._shared

    def shared_then_wait(keys):
        found = real(keys)
        counted.set()
        assert go.wait(timeout=30)
        return found

    def delete_first():
        try:
            with mock.patch.object(namesakes, "_shared", shared_then_wait):
                first.delete()
        finally:
            connection.close()

    def add_third():
        try:
            PartyMemberFactory(unit=tree["ward3"], full_name="Lê Văn Năm", date_of_birth=born)
        finally:
            connection.close()

    a = threading.Thread(target=delete_first)
    a.start()
    assert counted.wait(timeout=30)
    b = threading.Thread(target=add_third)
    b.start()
    deadline = time.monotonic() + 30
    while not waiting_for_a_lock():  # B waits for the row A locked
        assert time.monotonic() < deadline
    go.set()
    a.join(timeout=30)
    b.join(timeout=30)
    assert PartyMember.objects.count() == 2
    assert kept() == {("le van nam", born)}
    assert namesakes.differences() == (set(), set())
