"""config/warmup.py: what gunicorn's master does before it forks the workers."""

import pytest
from django.conf import settings
from django.template import engines
from django.urls import clear_url_caches, resolvers, reverse
from django.utils import translation

from config.warmup import warm


@pytest.fixture
def cold():
    """A process that has compiled no template and filled no URL lookup yet."""
    loader = engines["django"].engine.template_loaders[0]
    loader.reset()
    clear_url_caches()
    yield loader
    loader.reset()
    clear_url_caches()


def test_every_template_of_the_project_is_compiled_without_the_database(cold):
    # No database mark: pytest-django refuses any connection, and one opened in the master
    # would be shared by every worker.
    warm()
    compiled = set(cold.get_template_cache)
    project = settings.BASE_DIR / "templates"
    names = {str(p.relative_to(project)) for p in project.rglob("*.html")}
    assert len(names) > 50
    assert names <= compiled
    assert "admin/change_list.html" in compiled  # the apps' templates too


def test_no_reverse_lookup_is_built_after_the_warm_up(cold, monkeypatch):
    warm()

    def build(self):
        raise AssertionError(f"{self} built its lookups on a request")

    monkeypatch.setattr(resolvers.URLResolver, "_populate", build)
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            for name in ("home", "recruitment:candidate-list", "accounts:profile", "admin:index"):
                assert reverse(name)
