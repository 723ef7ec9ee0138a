"""``{% url %}`` remembers what it reversed (recruitment/templatetags/remembered_urls.py) and
still answers as Django's tag does."""

import pytest
from django.conf.urls.i18n import i18n_patterns
from django.template import engines
from django.template.defaulttags import URLNode
from django.test import RequestFactory, override_settings
from django.urls import NoReverseMatch, include, path, reverse, set_script_prefix
from django.utils import translation

from recruitment.templatetags import remembered_urls
from recruitment.templatetags.remembered_urls import RememberedURLNode


def draw(source: str, **context) -> str:
    return engines["django"].from_string(source).render(context, RequestFactory().get("/"))


def drawn_by_django(source: str, **context) -> str:
    template = engines["django"].from_string(source)
    for node in template.template.nodelist.get_nodes_by_type(URLNode):
        node.__class__ = URLNode
    return template.render(context, RequestFactory().get("/"))


@pytest.fixture(autouse=True)
def _forgotten():
    remembered_urls._reversed.cache_clear()
    yield
    set_script_prefix("/")


def test_every_template_uses_the_remembering_tag():
    template = engines["django"].from_string("{% url 'home' %}")
    assert [type(n) for n in template.template.nodelist] == [RememberedURLNode]


@pytest.mark.parametrize(
    "source",
    [
        "{% url 'home' %}",
        "{% url 'recruitment:candidate-detail' 5 %}",
        "{% url 'recruitment:candidate-detail' pk %}",
        "{% url 'recruitment:candidate-detail' pk=pk %}",
        "{% url 'recruitment:candidate-move' pk stage %}",
        "{% url name pk %}",
        "{% url 'recruitment:candidate-detail' pk as link %}[{{ link }}]",
        "{% url 'no-such-page' as link %}[{{ link }}]",
    ],
)
def test_it_draws_what_djangos_tag_draws(source):
    context = {"pk": 42, "stage": "training", "name": "recruitment:candidate-detail"}
    first = draw(source, **context)
    assert draw(source, **context) == first == drawn_by_django(source, **context)


def test_a_url_is_reversed_once_then_remembered(monkeypatch):
    calls = []
    monkeypatch.setattr(
        remembered_urls, "reverse", lambda *a, **k: calls.append(a) or reverse(*a, **k)
    )
    for pk in (1, 2, 1, 2, 1):
        assert draw("{% url 'recruitment:candidate-detail' pk %}", pk=pk) == f"/candidates/{pk}/"
    assert len(calls) == 2


def test_a_missing_page_raises_each_time():
    for _ in range(2):
        with pytest.raises(NoReverseMatch):
            draw("{% url 'no-such-page' %}")


def test_the_script_prefix_is_part_of_what_is_remembered():
    assert draw("{% url 'home' %}") == "/"
    set_script_prefix("/tuyen-dang/")
    assert draw("{% url 'home' %}") == "/tuyen-dang/"


def test_an_argument_that_is_no_number_or_text_is_reversed_each_time(monkeypatch):
    class Pk:
        def __init__(self, value):
            self.value = value

        def __str__(self):
            return str(self.value)

    pk = Pk(7)
    assert draw("{% url 'recruitment:candidate-detail' pk %}", pk=pk) == "/candidates/7/"
    pk.value = 8  # the same object, another text: not a remembered URL
    assert draw("{% url 'recruitment:candidate-detail' pk %}", pk=pk) == "/candidates/8/"
    assert remembered_urls._reversed.cache_info().currsize == 0


def test_each_keyword_value_is_its_own_url():
    for pk in (3, 4, 3):
        assert draw("{% url 'recruitment:candidate-detail' pk=pk %}", pk=pk) == f"/candidates/{pk}/"


def page(request):
    return None


app = ([path("page/", page, name="page")], "app")
urlpatterns = [
    path("elsewhere/", page, name="home"),
    path("one/", include(app, namespace="one")),
    path("two/", include(app, namespace="two")),
    *i18n_patterns(path("spoken/", page, name="spoken")),
]


@override_settings(ROOT_URLCONF=__name__)
def test_the_application_namespace_and_the_language_are_part_of_what_is_remembered():
    template = engines["django"].from_string("{% url 'app:page' %}")
    for current_app in ("two", "one", "two"):
        request = RequestFactory().get("/")
        request.current_app = current_app
        assert template.render({}, request) == f"/{current_app}/page/"
    for language in ("vi", "en", "vi"):
        with translation.override(language):
            assert draw("{% url 'spoken' %}") == f"/{language}/spoken/"


def test_another_url_configuration_forgets_what_was_remembered():
    assert draw("{% url 'home' %}") == "/"
    with override_settings(ROOT_URLCONF=__name__):
        assert draw("{% url 'home' %}") == "/elsewhere/"
    assert draw("{% url 'home' %}") == "/"
