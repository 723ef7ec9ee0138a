"""Each stage list exists once (``recruitment/stages.py``), and forms, filters, reports and
templates take theirs from it: change a list there and each of them follows."""

import ast
from pathlib import Path

import pytest
from django.template import Context, Template

from accounts.models import User
from recruitment import stages
from recruitment.filters import CandidateFilter
from recruitment.forms import CandidateForm, EnrolForm
from recruitment.models import Candidate
from recruitment.reports import exports
from recruitment.reports.figures import quota_figures
from recruitment.stages import Stage
from tests.factories import CandidateFactory, TrainingClassFactory

pytestmark = pytest.mark.django_db

APP = Path(__file__).resolve().parent.parent / "recruitment"


def _stage_collections(path: Path) -> list[int]:
    """Lines of ``path`` where a list, tuple or set names two or more stages."""
    tree = ast.parse(path.read_text())
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.List | ast.Tuple | ast.Set):
            named = [
                element
                for element in node.elts
                if isinstance(element, ast.Attribute)
                and isinstance(element.value, ast.Name)
                and element.value.id == "Stage"
            ]
            if len(named) >= 2:
                lines.append(node.lineno)
    return lines


def test_no_module_but_stages_writes_a_list_of_stages():
    found = {
        str(path.relative_to(APP)): lines
        for path in APP.rglob("*.py")
        if "migrations" not in path.parts and path.name != "stages.py"
        if (lines := _stage_collections(path))
    }
    assert found == {}


def test_every_stage_has_a_colour_and_a_place_in_the_order():
    assert set(stages.COLOURS) == set(Stage.values)
    assert sorted(stages.ORDER) == sorted(Stage.values)


def test_the_stage_badge_takes_its_colour_from_the_stages_module(monkeypatch):
    monkeypatch.setitem(stages.COLOURS, Stage.DOSSIER, "danger")
    html = Template("{% load recruitment_tags %}{% stage_badge 'dossier' %}").render(Context())
    assert "text-bg-danger" in html


def test_the_candidate_filter_sorts_stages_in_the_modules_order(tree, monkeypatch):
    CandidateFactory(unit=tree["ward1"], full_name="A", stage=Stage.SOURCE)
    CandidateFactory(unit=tree["ward1"], full_name="B", stage=Stage.DOSSIER)
    monkeypatch.setattr(stages, "ORDER", list(reversed(stages.ORDER)))
    sorted_qs = CandidateFilter(
        {"sort": "stage"},
        queryset=Candidate.objects.all(),
        user=User(username="probe", is_superuser=True),
    ).qs
    assert [c.full_name for c in sorted_qs] == ["B", "A"]


def test_exports_have_a_column_per_active_stage_of_the_module(monkeypatch):
    monkeypatch.setattr(stages, "ACTIVE", [Stage.SOURCE, Stage.PROPOSED])
    keys = [column.key for column in exports.columns()]
    assert "source" in keys and "proposed" in keys
    assert "training" not in keys


def test_figures_count_the_pipeline_by_the_modules_active_stages(tree, monkeypatch):
    CandidateFactory(unit=tree["ward1_cell"], stage=Stage.DOSSIER)
    CandidateFactory(unit=tree["ward1_cell"], stage=Stage.TRAINED)
    monkeypatch.setattr(stages, "ACTIVE", [Stage.DOSSIER])
    own = quota_figures(tree["ward1"], 2026)[0]
    assert own.stage_counts == [1]


def test_the_enrol_form_offers_the_modules_enrollable_stages(tree, staff, monkeypatch):
    waiting = CandidateFactory(unit=tree["ward1_cell"], stage=Stage.SOURCE)
    training = CandidateFactory(unit=tree["ward1_cell"], stage=Stage.TRAINING)
    training_class = TrainingClassFactory(unit=tree["city"])
    offered = EnrolForm(user=staff, training_class=training_class).fields["candidates"].queryset
    assert set(offered) == {waiting, training}
    monkeypatch.setattr(stages, "ENROLLABLE", [Stage.SOURCE])
    offered = EnrolForm(user=staff, training_class=training_class).fields["candidates"].queryset
    assert list(offered) == [waiting]


def test_the_candidate_form_freezes_what_the_cell_voted_on_per_the_module(tree, staff, monkeypatch):
    candidate = CandidateFactory(unit=tree["ward1_cell"], stage=Stage.DOSSIER)
    assert not CandidateForm(instance=candidate, user=staff).fields["unit"].disabled
    monkeypatch.setattr(stages, "VOTED", [Stage.DOSSIER])
    assert CandidateForm(instance=candidate, user=staff).fields["unit"].disabled


def test_the_stage_badge_speaks_the_active_language():
    from django.utils import translation

    template = Template("{% load recruitment_tags %}{% stage_badge 'dossier' %}")
    with translation.override("en"):
        english = template.render(Context())
    with translation.override("vi"):
        vietnamese = template.render(Context())
    with translation.override("en"):
        assert str(Stage.DOSSIER.label) in english
    with translation.override("vi"):
        assert str(Stage.DOSSIER.label) in vietnamese
    assert english != vietnamese
