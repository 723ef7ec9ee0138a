"""Reorganisations: the cases a review found wrong, each kept as a test (undo puts back
only what applying wrote, the kept tree counts, quotas moved once, users not widened)."""

import json
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import User
from recruitment.models import (
    Candidate,
    Gender,
    Holiday,
    Organisation,
    PartyMember,
    Quota,
    Source,
    Stage,
    Transfer,
    UnitChangeNotice,
    UnitSuccession,
)
from recruitment.reorganisation.selectors import with_predecessors
from recruitment.reorganisation.services import (
    ReorganisationError,
    _affected_units,
    _written_since,
    apply_reorganisation,
    preview_reorganisation,
    undo_reorganisation,
)
from recruitment.reports.figures import quota_figures
from recruitment.services import create_candidate
from tests import test_reorganisation as base
from tests.factories import (
    CandidateFactory,
    PartyMemberFactory,
    QuotaFactory,
    UserFactory,
    add_unit,
)
from tests.helpers import english, messages_of
from tests.test_reorganisation import fresh, merge_wards, reorganisation

work = base.work  # the fixture: something of everything in two wards


def test_summed_quotas_over_the_maximum_refuse_the_step_in_words(tree, work, staff_client):
    Quota.objects.filter(unit=tree["ward1"], year=2025).update(target=60000)
    Quota.objects.filter(unit=tree["ward3"], year=2025).update(target=60000)
    reorg = merge_wards()
    reorg.unit = tree["city"]
    reorg.save()
    with translation.override("en"), pytest.raises(ReorganisationError, match="Step 1"):
        preview_reorganisation(reorganisation=reorg)
    page = english(staff_client).get(reorg.get_absolute_url())
    assert page.status_code == 200
    assert "Step 1" in page.content.decode() and "100000" in page.content.decode()
    response = staff_client.post(f"/reorganisations/{reorg.pk}/apply/")
    assert response.status_code == 302
    assert any("100000" in message for message in messages_of(response))
    assert fresh(reorg).status == reorg.Status.DRAFT
    assert not Organisation.objects.filter(code="VT-PVT").exists()


def test_a_summed_quota_written_on_an_existing_one_is_validated_too(tree, work):
    QuotaFactory(unit=tree["ward3"], year=2026, target=1)
    Quota.objects.filter(unit=tree["ward1"], year=2025).update(target=60000)
    Quota.objects.filter(unit=tree["ward3"], year=2025).update(target=60000)
    reorg = reorganisation(("merge", {"sources": ["VT-P1"], "target": "VT-P3"}))
    with translation.override("en"), pytest.raises(ReorganisationError, match="Step 1"):
        apply_reorganisation(reorganisation=reorg, by=work["staff"])
    assert Quota.objects.get(unit=tree["ward3"], year=2025).target == 60000


@pytest.mark.parametrize("kind", ["merge", "split"])
def test_a_new_unit_without_a_parent_opens_where_an_earlier_step_sent_the_work(tree, work, kind):
    removed = ("level_removed", {"under": "HG", "kind": "city"})
    new = {"name": "N", "kind": "committee", "parent": None}
    if kind == "merge":
        step = ("merge", {"sources": ["VT-P1", "VT-P3"], "target": "N", "new": new})
    else:
        step = ("split", {"source": "VT-P1", "targets": [{"code": "N", **new},
                                                         {"code": "M", **new}]})  # fmt: skip
    apply_reorganisation(reorganisation=reorganisation(removed, step), by=work["staff"])
    n = Organisation.objects.get(code="N")
    # Under the province (Vị Thanh city was dissolved by step 1), open, not carried again.
    assert Organisation.objects.get_parent(n) == tree["province"]
    assert (n.opened_on, n.closed_on, n.active) == (date(2025, 7, 1), None, True)
    assert not Organisation.objects.filter(code__startswith="N-").exists()


def test_undo_is_refused_once_a_user_it_moved_was_edited_and_keeps_the_edit(tree, work):
    reorg = merge_wards()
    apply_reorganisation(reorganisation=reorg, by=work["staff"])
    user = fresh(work["organiser"])
    user.set_password("NewSecret-2025x")
    user.is_active = False
    user.save()
    with pytest.raises(ReorganisationError):
        undo_reorganisation(reorganisation=reorg, by=work["staff"])
    user = fresh(work["organiser"])
    assert not user.is_active and user.check_password("NewSecret-2025x")
    assert fresh(reorg).status == reorg.Status.APPLIED


def test_a_sign_in_since_does_not_stop_undo_and_is_kept(tree, work):
    reorg = merge_wards()
    apply_reorganisation(reorganisation=reorg, by=work["staff"])
    signed_in = timezone.now()
    User.objects.filter(pk=work["organiser"].pk).update(last_login=signed_in)
    undo_reorganisation(reorganisation=reorg, by=work["staff"])
    user = fresh(work["organiser"])
    assert (user.unit, user.last_login) == (tree["ward1"], signed_in)


def test_undo_puts_back_only_what_applying_wrote(tree, work):
    """A column applying did not write, changed since by a write that skips save()
    (no version), is neither compared away nor rolled back: undo refuses."""
    reorg = merge_wards()
    apply_reorganisation(reorganisation=reorg, by=work["staff"])
    Candidate.objects.filter(pk=work["open1"].pk).update(phone="0909000001")
    with pytest.raises(ReorganisationError):
        undo_reorganisation(reorganisation=reorg, by=work["staff"])
    assert fresh(work["open1"]).phone == "0909000001"


def test_undo_after_a_row_was_written_twice_restores_it(tree, work):
    reorg = reorganisation(("move", {"unit": "VT-P3", "parent": "NB"}), ("close", {"unit": "NB"}))
    before = base._dump()
    apply_reorganisation(reorganisation=reorg, by=work["staff"])
    undo_reorganisation(reorganisation=reorg, by=work["staff"])
    assert base._dump() == before


def test_undo_keeps_the_tree_counts_of_a_renamed_parent(tree, work):
    reorg = reorganisation(
        ("rename", {"unit": "NB", "name": "Y"}), ("move", {"unit": "VT-P3", "parent": "NB"})
    )
    apply_reorganisation(reorganisation=reorg, by=work["staff"])
    undo_reorganisation(reorganisation=reorg, by=work["staff"])
    other_city = fresh(tree["other_city"])
    assert other_city.name == tree["other_city"].name
    assert other_city.numchild == Organisation.objects.get_children(other_city).count() == 1
    add_unit(other_city, "NB-NEW")  # treebeard builds the path from numchild
    assert fresh(tree["other_city"]).numchild == 2


def _holiday(unit):
    return Holiday.objects.create(day=date(2025, 9, 3), name="Nghỉ bù", unit=unit)


def _transfer(unit):
    member = PartyMemberFactory(unit=Organisation.objects.get(code="NB-LH"))
    return Transfer.objects.create(
        member=member,
        direction=Transfer.Direction.IN,
        on=date(2025, 9, 1),
        from_place="Tỉnh Sóc Trăng",
        to_unit=unit,
    )


@pytest.mark.parametrize("make", [_holiday, _transfer], ids=["holiday", "transfer"])
def test_undo_is_refused_once_anything_points_at_a_new_unit(tree, work, staff_client, make):
    reorg = merge_wards()
    reorg.unit = tree["city"]
    reorg.save()
    apply_reorganisation(reorganisation=reorg, by=work["staff"])
    row = make(Organisation.objects.get(code="VT-PVT"))
    response = staff_client.post(f"/reorganisations/{reorg.pk}/undo/")
    assert response.status_code == 302
    assert fresh(reorg).status == reorg.Status.APPLIED
    assert type(row)._base_manager.filter(pk=row.pk).exists()


def test_quotas_of_the_effective_year_move_and_are_counted_once(tree, work):
    QuotaFactory(unit=tree["city"], year=2025, target=3)
    QuotaFactory(unit=tree["ward3"], year=2026, target=4)
    reorg = reorganisation(
        ("move", {"unit": "VT-P3", "parent": "NB"}),
        ("merge", {"sources": ["VT-P1"], "target": "VT-P1B", "new": {"name": "B",
                                                                     "kind": "committee"}}),
    )  # fmt: skip
    before = base._dump()
    apply_reorganisation(reorganisation=reorg, by=work["staff"])
    city = fresh(tree["city"])
    rows = quota_figures(city, 2025)
    assert {row.unit.code: row.quota for row in rows[1:]} == {
        "VT-P1": None, "VT-P3": None, "VT-P1B": 3}  # fmt: skip
    assert sum(row.quota or 0 for row in rows[1:]) == rows[0].quota == 3
    moved = Organisation.objects.get(code="VT-P3-2025")
    assert {(q.year, q.target) for q in Quota.objects.filter(unit=moved)} == {(2025, 2), (2026, 4)}
    assert not Quota.objects.filter(unit__in=[tree["ward1"], tree["ward3"]], year__gte=2025)
    assert Quota.objects.get(unit=tree["ward1"], year=2021).target == 3  # the past stays
    undo_reorganisation(reorganisation=reorg, by=work["staff"])
    assert base._dump() == before


def test_undo_puts_back_a_quota_moved_then_summed_away(tree, work):
    reorg = reorganisation(
        ("move", {"unit": "VT-P3", "parent": "NB"}),
        ("merge", {"sources": ["VT-P3-2025"], "target": "NB-LH"}),
    )
    before = base._dump()
    apply_reorganisation(reorganisation=reorg, by=work["staff"])
    assert Quota.objects.get(unit=tree["other_ward"], year=2025).target == 2
    undo_reorganisation(reorganisation=reorg, by=work["staff"])
    assert base._dump() == before


def test_closing_a_unit_does_not_hand_its_users_the_parents_subtree(tree, work, client):
    reorg = reorganisation(("close", {"unit": "VT-P1"}))
    with translation.override("en"):
        effects = apply_reorganisation(reorganisation=reorg, by=work["staff"])
    organiser = fresh(work["organiser"])
    assert organiser.unit is None and organiser.scope_path is None
    assert not Organisation.objects.for_user(organiser).exists()
    notice = UnitChangeNotice.objects.get(user=organiser)
    assert (notice.from_unit, notice.to_unit) == (tree["ward1"], None)
    lines = [line for _n, step in effects.as_list() for line in step]
    assert any("attached to no unit" in line for line in lines)
    # Its people and work still go to the parent; the organiser is told at sign-in.
    assert fresh(work["member1"]).unit.code == "VT-P1-KV3-2025"
    response = english(client).post(
        "/accounts/login/", {"username": organiser.username, "password": "pw"}, follow=True
    )
    assert any("attached to no unit" in message for message in messages_of(response))
    undo_reorganisation(reorganisation=reorg, by=work["staff"])
    assert fresh(work["organiser"]).unit == tree["ward1"]


def test_a_close_step_may_say_where_the_users_go(tree, work, staff_client):
    draft = reorganisation(unit=tree["city"])
    response = staff_client.post(
        f"/reorganisations/{draft.pk}/steps/new/",
        {"kind": "close", "units": [tree["ward1"].pk], "parent": tree["ward3"].pk},
    )
    assert response.status_code == 302
    assert draft.steps.get().params == {"unit": "VT-P1", "users_to": "VT-P3"}
    apply_reorganisation(reorganisation=draft, by=work["staff"])
    assert fresh(work["organiser"]).unit == tree["ward3"]


def test_applying_locks_the_units_it_changes_in_path_order(tree, work):
    reorg = reorganisation(
        ("move", {"unit": "VT-P3", "parent": "NB"}), ("close", {"unit": "VT-P1"})
    )
    locked = list(_affected_units(reorg).values_list("code", flat=True))
    assert locked == ["VT", "VT-P1", "VT-P1-KV3", "VT-P3", "VT-P3-KV1", "NB"]
    paths = list(_affected_units(reorg).values_list("path", flat=True))
    assert paths == sorted(paths)
    with CaptureQueriesContext(connection) as queries:
        apply_reorganisation(reorganisation=reorg, by=work["staff"])
    sql = [q["sql"] for q in queries.captured_queries]
    first_write = next(i for i, q in enumerate(sql) if q.startswith(("UPDATE", "INSERT")))
    lock = [i for i, q in enumerate(sql) if '"code" IN' in q and " OR " in q and "ORDER BY" in q]
    assert lock and lock[0] < first_write
    if connection.features.has_select_for_update:  # PostgreSQL
        assert "FOR UPDATE" in sql[lock[0]]


def test_a_candidate_is_not_added_to_a_unit_closed_meanwhile(tree, work):
    cell = tree["ward1_cell"]  # as the form checked it: open
    apply_reorganisation(reorganisation=merge_wards(), by=work["staff"])
    fields = {"full_name": "Nguyễn Văn Mới", "date_of_birth": date(2000, 1, 1)}
    fields.update(gender=Gender.MALE, source=Source.ASSOCIATION)
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        create_candidate(unit=cell, **fields)
    with translation.override("en"):
        assert "is no longer open" in str(refused.value.message_dict["unit"])
    assert not Candidate.objects.filter(full_name="Nguyễn Văn Mới").exists()


STEP_SETS = {
    "merge": [("merge", {"sources": ["VT-P1", "VT-P3"], "target": "VT-PVT",
                         "new": {"name": "Phường Vị Thanh", "kind": "committee"}})],
    "move-close": [("move", {"unit": "VT-P3", "parent": "NB"}), ("close", {"unit": "NB"})],
    "level-removed": [("level_removed", {"under": "HG", "kind": "city"})],
    "split": [("split", {"source": "VT-P1", "targets": [{"code": "A", "name": "A"},
                                                         {"code": "B", "name": "B"}],
                         "assign": {"units": {"VT-P1-KV3": "B"}}})],
    "merge-twice": [("merge", {"sources": ["VT-P1"], "target": "VT-P3"}),
                    ("merge", {"sources": ["VT-P3"], "target": "NB-LH"})],
}  # fmt: skip


@pytest.mark.parametrize("steps", STEP_SETS.values(), ids=STEP_SETS.keys())
def test_the_preview_says_what_applying_then_does(tree, work, steps):
    reorg = reorganisation(*steps)
    preview = preview_reorganisation(reorganisation=reorg).as_list()
    applied = apply_reorganisation(reorganisation=reorg, by=work["staff"]).as_list()
    assert preview == applied
    assert any(line[0].isdigit() for _n, lines in preview for line in lines)  # people counted


def test_the_preview_reads_in_a_few_queries_whatever_the_number_of_people(tree, work):
    reorg = reorganisation(*STEP_SETS["level-removed"])

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            preview_reorganisation(reorganisation=reorg)
        return len(captured)

    few = queries()
    for _n in range(10):
        CandidateFactory(unit=tree["ward1_cell"], stage=Stage.SOURCE)
        PartyMemberFactory(unit=tree["ward3_cell"])
        UserFactory(unit=tree["ward1"])
    assert queries() == few


def test_the_undo_check_reads_in_bulk(tree, work):
    reorg = reorganisation(*STEP_SETS["level-removed"])

    def queries() -> int:
        reorg.refresh_from_db()
        with CaptureQueriesContext(connection) as captured:
            assert _written_since(reorg.changes) == []
        return len(captured)

    for _n in range(10):
        CandidateFactory(unit=tree["ward1_cell"], stage=Stage.SOURCE)
        UserFactory(unit=tree["ward1"])
    apply_reorganisation(reorganisation=reorg, by=work["staff"])
    assert queries() <= 25  # one per model written, per model pointing at units, and a few


def test_after_a_split_each_new_units_staff_read_only_what_it_continues(tree, work):
    add_unit(tree["ward1"], "VT-P1-KV4")
    reorg = reorganisation(*STEP_SETS["split"])  # Area 3 cell to B, the rest to A
    apply_reorganisation(reorganisation=reorg, by=work["staff"])
    readable = {}
    for code in ("A", "B"):
        user = UserFactory(unit=Organisation.objects.get(code=code), role=User.Role.STAFF)
        readable[code] = set(with_predecessors(user).values_list("code", flat=True))
    old = {c for c in readable["A"] | readable["B"] if c.startswith("VT") and "-2025" not in c}
    assert old == {"VT-P1", "VT-P1-KV3", "VT-P1-KV4"}
    assert {"VT-P1", "VT-P1-KV4"} <= readable["A"] and "VT-P1-KV3" not in readable["A"]
    assert {"VT-P1", "VT-P1-KV3"} <= readable["B"] and "VT-P1-KV4" not in readable["B"]
    # After a merge, the new ward's staff read both old wards whole.
    reorg = reorganisation(("merge", {"sources": ["A", "B"], "target": "C",
                                      "new": {"name": "C", "kind": "committee"}}))  # fmt: skip
    apply_reorganisation(reorganisation=reorg, by=work["staff"])
    user = UserFactory(unit=Organisation.objects.get(code="C"), role=User.Role.STAFF)
    codes = set(with_predecessors(user).values_list("code", flat=True))
    assert {"A", "B", "VT-P1", "VT-P1-KV3", "VT-P1-KV4"} <= codes
    assert not codes & {"VT", "VT-P3", "VT-P3-KV1"}


def test_after_a_split_the_old_units_dashboard_shows_each_new_unit_only_its_own_cells(
    tree, work, staff_client
):
    """A new unit's staff read the unit split alone (its past), not the cells that the
    other new unit took over: not as rows of its dashboard, its exports or its report, and
    not by the names of their people in the warnings."""
    add_unit(tree["ward1"], "VT-P1-KV4", "Chi bộ Khu vực 4")
    apply_reorganisation(reorganisation=reorganisation(*STEP_SETS["split"]), by=work["staff"])
    # Recorded from paper into the old cell after the split: due to be recognised.
    CandidateFactory(
        unit=tree["ward1_cell"],
        full_name="Người Khu Ba",
        stage=Stage.ADMITTED,
        decision_on=date(2025, 3, 2),
        admitted_unit=tree["ward1_cell"],
    )
    ward1 = f"/dashboard/?year=2021&unit={tree['ward1'].pk}"

    def seen(user_or_client, url):
        client = user_or_client
        if isinstance(user_or_client, User):
            client = Client()
            client.force_login(user_or_client)
        response = client.get(url)
        assert response.status_code == 200
        return response.content.decode()

    a_staff = UserFactory(unit=Organisation.objects.get(code="A"), role=User.Role.STAFF)
    b_staff = UserFactory(unit=Organisation.objects.get(code="B"), role=User.Role.STAFF)
    for _ in range(2):  # and again, from the cache
        city = seen(staff_client, ward1)
        assert "Chi bộ Khu vực 3" in city and "Chi bộ Khu vực 4" in city
        assert "Người Khu Ba" in city
        page_a = seen(a_staff, ward1)
        assert "Chi bộ Khu vực 4" in page_a and "Chi bộ Khu vực 3" not in page_a
        assert "Người Khu Ba" not in page_a
        page_b = seen(b_staff, ward1)
        assert "Chi bộ Khu vực 3" in page_b and "Chi bộ Khu vực 4" not in page_b
        assert "Người Khu Ba" in page_b
    exported = json.loads(seen(a_staff, ward1 + "&format=json"))
    assert "VT-P1-KV3" not in json.dumps(exported, ensure_ascii=False)
    assert "VT-P1-KV4" in json.dumps(exported, ensure_ascii=False)
    assert "VT-P1-KV3" not in seen(a_staff, ward1 + "&format=csv")
    # The old unit's monthly plan is its successors' to set now: no link they would 404 on.
    this_year = timezone.localdate().year
    quota = Quota.objects.create(unit=tree["ward1"], year=this_year, target=4)
    months = reverse("recruitment:quota-months", args=[quota.pk])
    now = f"/dashboard/?year={this_year}&unit={tree['ward1'].pk}"
    assert months in seen(staff_client, now)
    assert months not in seen(a_staff, now)


def split_step(tree, **extra) -> dict:
    return {
        "kind": "split",
        "units": [tree["ward1"].pk],
        "new_code": "A",
        "new_name": "Phường A",
        "new_kind": "committee",
        "second_code": "B",
        "second_name": "Phường B",
        **extra,
    }


def test_the_split_form_assigns_units_and_users_to_the_second_new_unit(tree, work, staff_client):
    draft = reorganisation(unit=tree["city"])
    kept = add_unit(tree["ward1"], "VT-P1-KV4")
    response = staff_client.post(
        f"/reorganisations/{draft.pk}/steps/new/",
        split_step(
            tree,
            second_units=[tree["ward1_cell"].pk],
            second_users=[work["organiser"].pk],
        ),
    )
    assert response.status_code == 302
    assert draft.steps.get().params["assign"] == {
        "units": {"VT-P1-KV3": "B"},
        "users": {str(work["organiser"].pk): "B"},
    }
    apply_reorganisation(reorganisation=draft, by=work["staff"])
    a, b = (Organisation.objects.get(code=code) for code in ("A", "B"))
    assert fresh(work["organiser"]).unit == b
    area3 = UnitSuccession.objects.get(predecessor=tree["ward1_cell"]).successor
    assert Organisation.objects.get_parent(area3) == b
    assert fresh(work["open1"]).unit == area3  # people follow their cell
    area4 = UnitSuccession.objects.get(predecessor=kept).successor
    assert Organisation.objects.get_parent(area4) == a


def test_the_split_form_refuses_units_not_below_the_unit_split(tree, staff_client):
    draft = reorganisation(unit=tree["city"])
    response = english(staff_client).post(
        f"/reorganisations/{draft.pk}/steps/new/",
        split_step(tree, second_units=[tree["ward3_cell"].pk]),
    )
    assert response.context["step_form"].errors["second_units"] == [
        "Choose only units just below the unit split."
    ]
    assert not draft.steps.exists()


def test_a_renamed_unit_is_found_by_its_new_name_and_again_by_the_old_after_undo(tree, work):
    reorg = reorganisation(("rename", {"unit": "NB", "name": "Thành phố Ngã Bảy Mới"}))
    apply_reorganisation(reorganisation=reorg, by=work["staff"])
    assert [u.code for u in Organisation.objects.search("nga bay moi")] == ["NB"]
    undo_reorganisation(reorganisation=reorg, by=work["staff"])
    assert not Organisation.objects.search("nga bay moi")
    assert "NB" in [u.code for u in Organisation.objects.search("ngã bảy")]


def test_the_split_form_sends_named_candidates_and_members_to_the_second_unit(
    tree, work, staff_client
):
    cell = tree["ward1_cell"]
    going = CandidateFactory(unit=cell, stage=Stage.SOURCE, citizen_id="093095000777")
    member = PartyMemberFactory(unit=cell, old_id_number="361234567")
    draft = reorganisation(unit=tree["city"])
    step = {**split_step(tree), "units": [cell.pk], "new_kind": "cell"}
    refused = english(staff_client).post(
        f"/reorganisations/{draft.pk}/steps/new/",
        {**step, "second_people": "093095000777\n079000000000"},
    )
    assert refused.context["step_form"].errors["second_people"] == [
        "Nobody directly in the unit split has this ID number: 079000000000."
    ]
    assert not draft.steps.exists()
    response = staff_client.post(
        f"/reorganisations/{draft.pk}/steps/new/",
        {**step, "second_people": "0930 9500 0777\n361.234.567\n"},
    )
    assert response.status_code == 302
    apply_reorganisation(reorganisation=draft, by=work["staff"])
    a, b = (Organisation.objects.get(code=code) for code in ("A", "B"))
    assert (fresh(going).unit, fresh(member).unit) == (b, b)
    assert fresh(work["open1"]).unit == a  # not named: the first new unit


def test_a_correction_leaves_a_recognised_members_unit_where_a_reorganisation_put_it(tree, work):
    """A merge moves the member, while the recognised candidate's record stays in the closed
    cell: a later correction of its paperwork must not pull the member back there."""
    from recruitment import pipeline
    from tests.factories import ready_for

    old = ready_for(Stage.RECOGNISED, tree["ward1_cell"])
    pipeline.move(old, Stage.RECOGNISED, changes={"recognition_resolution_on": date(2026, 6, 10)})
    member = PartyMember.objects.get(candidate=old)
    apply_reorganisation(reorganisation=base.merge_wards(), by=work["staff"])
    moved_to = base.fresh(member).unit
    assert moved_to.active and moved_to != tree["ward1_cell"]
    old = base.fresh(old)
    pipeline.correct(old, {"decision_number": "12-QĐ/TU"}, by=work["staff"], reason="Sửa số")
    assert base.fresh(member).unit == moved_to


def test_an_undo_refused_for_a_row_deleted_since_names_it_in_words(tree, work):
    """ "recruitment.quota 2" told no one what had changed."""
    moved = reorganisation(("move", {"unit": "VT-P1", "parent": "NB"}))
    apply_reorganisation(reorganisation=moved, by=work["staff"])
    moved.refresh_from_db()
    Quota.objects.filter(unit__code="VT-P1-2025", year=2025).delete()  # on the quota page
    with translation.override("en"):
        found = [str(row) for row in _written_since(moved.changes)]
    assert found == ["Admission quota “Đảng bộ Phường I 2025: 3” (deleted since)"]


def test_a_probationary_member_moved_by_a_reorganisation_keeps_a_correctable_admission(tree, staff):
    """Admitted in the old cell before the merge, moved on to the new one opened on its
    date: the admission's paperwork is judged by the unit that admitted them."""
    from recruitment import pipeline
    from tests.factories import ready_for

    member = ready_for(Stage.RECOGNISED, tree["ward1_cell"], stage=Stage.ADMITTED)
    Candidate.objects.filter(pk=member.pk).update(admitted_unit=tree["ward1_cell"])
    apply_reorganisation(reorganisation=base.merge_wards(), by=staff)
    member = base.fresh(member)
    assert member.unit.opened_on == base.ON and member.decision_on < base.ON
    pipeline.correct(member, {"ceremony_on": date(2025, 6, 2)}, by=staff, reason="Sửa")
    assert base.fresh(member).ceremony_on == date(2025, 6, 2)
