"""Reorganisations: merge, split, move and "level removed" keep history where it was and
move people and work to the units that continue it; undo puts every row back."""

from datetime import date

import pytest
from django.forms.models import model_to_dict

from accounts.models import User
from recruitment import rollups
from recruitment.models import (
    Candidate,
    Organisation,
    PartyMember,
    Quota,
    Reorganisation,
    Stage,
    Tally,
    TrainingClass,
    UnitChangeNotice,
    UnitSuccession,
)
from recruitment.reorganisation.selectors import predecessors_admitted
from recruitment.reorganisation.services import (
    ReorganisationError,
    apply_reorganisation,
    preview_reorganisation,
    undo_reorganisation,
)
from recruitment.reports.figures import quota_figures
from tests.factories import (
    CandidateFactory,
    PartyMemberFactory,
    QuotaFactory,
    TrainingClassFactory,
)

ON = date(2025, 7, 1)


def reorganisation(*steps, unit=None) -> Reorganisation:
    reorg = Reorganisation.objects.create(
        title="Sắp xếp 2025", effective_on=ON, document_reference="NQ-01", unit=unit
    )
    for position, (kind, params) in enumerate(steps, start=1):
        reorg.steps.create(position=position, kind=kind, params=params)
    return reorg


def admitted(unit, decided=date(2021, 9, 10), **fields):
    return CandidateFactory(
        unit=unit, admitted_unit=unit, stage=Stage.RECOGNISED, decision_on=decided, **fields
    )


@pytest.fixture
def work(tree, organiser, other_organiser, staff):
    """Something of everything in Ward I's cell and Ward III's: open and admitted
    candidates, members, classes, quotas of a past and the effective year, users."""
    cell1, cell3 = tree["ward1_cell"], tree["ward3_cell"]
    return {
        "open1": CandidateFactory(unit=cell1, stage=Stage.SOURCE),
        "open3": CandidateFactory(unit=cell3, stage=Stage.SOURCE),
        "probationary": CandidateFactory(
            unit=cell1, stage=Stage.ADMITTED, decision_on=date(2025, 3, 2), admitted_unit=cell1
        ),
        "old1": admitted(cell1),
        "old3": admitted(cell3),
        "member1": PartyMemberFactory(unit=cell1),
        "member3": PartyMemberFactory(unit=cell3),
        "class_past": TrainingClassFactory(
            unit=tree["ward1"], starts_on=date(2024, 3, 1), ends_on=date(2024, 3, 10)
        ),  # fmt: skip
        "class_next": TrainingClassFactory(
            unit=tree["ward1"], starts_on=date(2025, 9, 1), ends_on=date(2025, 9, 10)
        ),  # fmt: skip
        "quotas": [
            QuotaFactory(unit=tree["ward1"], year=2021, target=3),
            QuotaFactory(unit=tree["ward1"], year=2025, target=3),
            QuotaFactory(unit=tree["ward3"], year=2025, target=2),
            QuotaFactory(unit=tree["city"], year=2021, target=43),
        ],
        "organiser": organiser,
        "other_organiser": other_organiser,
        "staff": staff,
    }


def fresh(obj):
    return type(obj)._base_manager.get(pk=obj.pk)


def successor_of(unit) -> Organisation:
    return UnitSuccession.objects.get(predecessor=unit).successor


def merge_wards(unit=None) -> Reorganisation:
    """Wards I and III merged into a new ward, VT-PVT, under the city (decided by ``unit``)."""
    return reorganisation(
        (
            "merge",
            {
                "sources": ["VT-P1", "VT-P3"],
                "target": "VT-PVT",
                "new": {"name": "Đảng bộ phường Vị Thanh", "kind": "committee", "parent": "VT"},
            },
        ),
        unit=unit,
    )


def test_a_merge_closes_the_wards_and_carries_people_and_work_to_the_new_ward(tree, work):
    before_2021 = quota_figures(tree["ward1"], 2021)[0]
    apply_reorganisation(reorganisation=merge_wards(), by=work["staff"])

    new = Organisation.objects.get(code="VT-PVT")
    assert (new.opened_on, Organisation.objects.get_parent(new).code) == (ON, "VT")
    for ward in ("ward1", "ward3"):
        old = fresh(tree[ward])
        assert (old.closed_on, old.active, old.path) == (ON, False, tree[ward].path)
        assert successor_of(old) == new
    # The cells under the wards go on under the new ward, as successors.
    cell1 = successor_of(tree["ward1_cell"])
    assert (
        Organisation.objects.get_parent(cell1) == new and fresh(tree["ward1_cell"]).closed_on == ON
    )
    # Open work moves; what was admitted stays where it was admitted.
    assert fresh(work["open1"]).unit == cell1
    assert fresh(work["probationary"]).unit == cell1
    assert fresh(work["probationary"]).admitted_unit == tree["ward1_cell"]
    assert fresh(work["old1"]).unit == tree["ward1_cell"]
    assert fresh(work["member1"]).unit == cell1
    assert fresh(work["class_next"]).unit == new
    assert fresh(work["class_past"]).unit == tree["ward1"]
    # The users of the wards are now in the new ward and told so at sign-in.
    assert fresh(work["organiser"]).unit == new
    assert fresh(work["other_organiser"]).unit == new
    notice = UnitChangeNotice.objects.get(user=work["organiser"])
    assert (notice.from_unit, notice.to_unit) == (tree["ward1"], new)
    # Quotas of the effective year are summed into a draft; past ones stay.
    draft = Quota.objects.get(unit=new, year=2025)
    assert (draft.target, draft.draft) == (5, True)
    assert "VT-P1 3" in draft.note and "VT-P3 2" in draft.note
    assert not Quota.objects.filter(unit=new, year=2021).exists()
    # History stays true, and the kept counts agree with a recount.
    after_2021 = quota_figures(fresh(tree["ward1"]), 2021)[0]
    assert (after_2021.quota, after_2021.admitted) == (before_2021.quota, before_2021.admitted)
    assert quota_figures(fresh(tree["city"]), 2021)[0].admitted == 2
    assert rollups.differences() == []
    reasons = set(work["open1"].history.values_list("history_change_reason", flat=True))
    assert any(reason and "#" in reason for reason in reasons)


def test_a_merged_unit_shows_its_predecessors_admissions(tree, work):
    apply_reorganisation(reorganisation=merge_wards(), by=work["staff"])
    new = Organisation.objects.get(code="VT-PVT")
    total, units = predecessors_admitted(new, 2021)
    assert total == 2
    assert {u.code for u in units} == {"VT-P1", "VT-P3"}
    assert predecessors_admitted(tree["other_ward"], 2021) is None


def test_a_split_assigns_people_to_each_new_unit(tree, work):
    reorg = reorganisation(
        (
            "split",
            {
                "source": "VT-P1",
                "targets": [
                    {"code": "VT-PA", "name": "Đảng bộ phường A", "kind": "committee"},
                    {"code": "VT-PB", "name": "Đảng bộ phường B", "kind": "committee"},
                ],
                "assign": {
                    "users": {str(work["organiser"].pk): "VT-PB"},
                    "units": {"VT-P1-KV3": "VT-PB"},
                },
            },
        )
    )
    apply_reorganisation(reorganisation=reorg, by=work["staff"])
    a, b = (Organisation.objects.get(code=c) for c in ("VT-PA", "VT-PB"))
    assert fresh(tree["ward1"]).closed_on == ON
    assert set(UnitSuccession.objects.filter(predecessor=tree["ward1"]).values_list(
        "successor__code", flat=True)) == {"VT-PA", "VT-PB"}  # fmt: skip
    assert fresh(work["organiser"]).unit == b
    assert fresh(work["class_next"]).unit == a  # not assigned: the first new unit
    assert Organisation.objects.get_parent(successor_of(tree["ward1_cell"])) == b
    assert fresh(work["open1"]).unit == successor_of(tree["ward1_cell"])
    # A split's quota is not divided silently: none is made up for the new units.
    assert not Quota.objects.filter(unit__in=[a, b]).exists()
    assert rollups.differences() == []


def test_a_move_continues_the_ward_under_its_new_parent(tree, work):
    reorg = reorganisation(("move", {"unit": "VT-P3", "parent": "NB"}))
    effects = apply_reorganisation(reorganisation=reorg, by=work["staff"])
    moved = successor_of(tree["ward3"])
    assert Organisation.objects.get_parent(moved) == tree["other_city"]
    assert (moved.name, moved.opened_on) == (tree["ward3"].name, ON)
    assert fresh(tree["ward3"]).path == tree["ward3"].path  # history's unit never moves
    assert fresh(work["other_organiser"]).unit == moved
    assert fresh(work["open3"]).unit == successor_of(tree["ward3_cell"])
    assert fresh(work["member3"]).unit == successor_of(tree["ward3_cell"])
    assert Quota.objects.get(unit=moved, year=2025).target == 2
    # Vị Thanh's 2021 still counts the ward's admission; Ngã Bảy's does not gain it.
    assert quota_figures(fresh(tree["city"]), 2021)[0].admitted == 2
    assert quota_figures(fresh(tree["other_city"]), 2021)[0].admitted == 0
    assert quota_figures(fresh(tree["other_city"]), 2026)[0].pipeline == {Stage.SOURCE: 1}
    assert any("Ngã Bảy" in line for _n, lines in effects.as_list() for line in lines)
    assert rollups.differences() == []


def test_a_level_removed_hands_the_wards_to_the_province(tree, work):
    QuotaFactory(unit=tree["city"], year=2025, target=40)
    reorg = reorganisation(("level_removed", {"under": "HG", "kind": "city"}))
    effects = apply_reorganisation(reorganisation=reorg, by=work["staff"])
    lines = [line for _n, step in effects.as_list() for line in step]
    assert any("2025" in line and "(40)" in line and "Vị Thanh" in line for line in lines)
    province = fresh(tree["province"])
    for city in ("city", "other_city"):
        assert fresh(tree[city]).closed_on == ON
    wards = Organisation.objects.get_children(province).open_on(date(2026, 1, 1))
    assert {w.name for w in wards} == {
        tree["ward1"].name, tree["ward3"].name, tree["other_ward"].name}  # fmt: skip
    # The city's staff member is attached to no unit (the province is more than they could
    # see), and told so; the ward organiser is in the new ward.
    assert fresh(work["staff"]).unit is None
    assert UnitChangeNotice.objects.get(user=work["staff"]).to_unit is None
    assert fresh(work["organiser"]).unit == successor_of(tree["ward1"])
    assert fresh(work["open1"]).unit == successor_of(tree["ward1_cell"])
    # The dissolved city's 2021 figures are as they were.
    row = quota_figures(fresh(tree["city"]), 2021)[0]
    assert (row.quota, row.admitted) == (43, 2)
    assert rollups.differences() == []


def test_the_dashboard_of_a_year_shows_the_units_open_in_it(tree, work):
    apply_reorganisation(reorganisation=merge_wards(), by=work["staff"])
    city = fresh(tree["city"])
    codes = {2021: {"VT-P1", "VT-P3"}, 2025: {"VT-P1", "VT-P3", "VT-PVT"}, 2026: {"VT-PVT"}}
    for year, expected in codes.items():
        assert {row.unit.code for row in quota_figures(city, year)[1:]} == expected


def _dump():
    """Every row a reorganisation may touch, as stored."""
    models = [Organisation, Candidate, PartyMember, User, Quota, TrainingClass]
    rows = {
        m.__name__: sorted(
            (
                tuple(
                    sorted(
                        model_to_dict(o, fields=[f.name for f in m._meta.concrete_fields]).items(),
                        key=str,
                    )
                )
                for o in m._base_manager.all()
            ),
            key=str,
        )  # fmt: skip
        for m in models
    }
    rows["tally"] = sorted(Tally.objects.exclude(n=0).values_list("unit", "year", "key", "n"))
    rows["successions"] = list(UnitSuccession.objects.values_list("pk"))
    rows["notices"] = list(UnitChangeNotice.objects.values_list("pk"))
    return rows


@pytest.mark.parametrize(
    "steps",
    [
        [("merge", {"sources": ["VT-P1", "VT-P3"], "target": "VT-PVT",
                    "new": {"name": "Phường Vị Thanh", "kind": "committee"}})],
        [("move", {"unit": "VT-P3", "parent": "NB"}), ("rename", {"unit": "VT-P1", "name": "X"})],
        [("level_removed", {"under": "HG", "kind": "city"})],
        [("split", {"source": "VT-P1", "targets": [{"code": "A", "name": "A"},
                                                    {"code": "B", "name": "B"}]})],
    ],
    ids=["merge", "move-rename", "level-removed", "split"],
)  # fmt: skip
def test_undo_restores_every_affected_row_exactly(tree, work, steps):
    reorg = reorganisation(*steps)
    before = _dump()
    apply_reorganisation(reorganisation=reorg, by=work["staff"])
    assert _dump() != before
    undo_reorganisation(reorganisation=reorg, by=work["staff"])
    assert _dump() == before
    assert fresh(reorg).status == Reorganisation.Status.UNDONE


def test_undo_is_refused_once_something_was_written_after_it(tree, work):
    reorg = merge_wards()
    apply_reorganisation(reorganisation=reorg, by=work["staff"])
    candidate = fresh(work["open1"])
    candidate.phone = "0909000000"
    candidate.save()
    with pytest.raises(ReorganisationError):
        undo_reorganisation(reorganisation=reorg, by=work["staff"])
    assert fresh(reorg).status == Reorganisation.Status.APPLIED
    assert fresh(work["organiser"]).unit.code == "VT-PVT"


def test_undo_is_refused_once_a_new_unit_has_new_work(tree, work):
    reorg = merge_wards()
    apply_reorganisation(reorganisation=reorg, by=work["staff"])
    CandidateFactory(unit=Organisation.objects.get(code="VT-PVT"), stage=Stage.SOURCE)
    with pytest.raises(ReorganisationError):
        undo_reorganisation(reorganisation=reorg, by=work["staff"])


def test_the_preview_says_what_each_step_does_and_changes_nothing(tree, work):
    reorg = merge_wards()
    before = _dump()
    effects = preview_reorganisation(reorganisation=reorg)
    assert _dump() == before
    text = "\n".join(line for _n, lines in effects.as_list() for line in lines)
    assert "VT-PVT" in text and "5" in text
    assert fresh(reorg).status == Reorganisation.Status.DRAFT


def test_a_bad_step_saves_nothing(tree, work):
    reorg = reorganisation(
        ("move", {"unit": "VT-P3", "parent": "NB"}), ("merge", {"sources": ["NOPE"], "target": "X"})
    )
    before = _dump()
    with pytest.raises(ReorganisationError):
        apply_reorganisation(reorganisation=reorg, by=work["staff"])
    assert _dump() == before
    assert fresh(reorg).status == Reorganisation.Status.DRAFT


def test_a_reorganisation_is_applied_once(tree, work):
    reorg = merge_wards()
    apply_reorganisation(reorganisation=reorg, by=work["staff"])
    with pytest.raises(ReorganisationError):
        apply_reorganisation(reorganisation=reorg, by=work["staff"])


def test_units_open_on_a_date(tree, work):
    apply_reorganisation(reorganisation=merge_wards(), by=work["staff"])
    codes = lambda day: set(Organisation.objects.open_on(day).values_list("code", flat=True))  # noqa: E731
    assert "VT-P1" in codes(date(2025, 6, 30)) and "VT-PVT" not in codes(date(2025, 6, 30))
    assert "VT-P1" not in codes(ON) and "VT-PVT" in codes(ON)
