"""What a process would otherwise do on its first requests, done once before it serves any.

Django loads lazily: the URL patterns (and with them every view module) on the first request,
each template when a page first renders it, each language's translations when a request
first asks for it. Under gunicorn each worker paid for that itself, after the fork: about a
third of a second of CPU on its first pages, again for every worker started after
``max_requests``. ``warm()`` does it in the master (deploy/gunicorn.conf.py, with
``preload_app``), so every worker starts with it done and shares the memory it takes.

Nothing here opens a database connection: a connection opened before the fork would be
shared by every worker.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.forms.renderers import get_default_renderer
from django.template import engines
from django.template.backends.django import DjangoTemplates
from django.urls import NoReverseMatch, get_resolver, reverse
from django.utils import translation


def _template_names(engine) -> set[str]:
    """Every file in the folders that ``engine``'s loaders look in, by template name."""
    names = set()
    for loader in engine.template_loaders:
        for inner in getattr(loader, "loaders", [loader]):  # the cached loader wraps others
            for folder in inner.get_dirs():
                root = Path(folder)
                names.update(
                    str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()
                )
    return names


def _compile_templates(engine, prefix: str = "") -> int:
    """Compile every template ``engine`` can find (whose name starts with ``prefix``) into
    its cached loader."""
    compiled = 0
    for name in sorted(n for n in _template_names(engine) if n.startswith(prefix)):
        try:
            engine.get_template(name)
        except Exception:  # noqa: BLE001 (a file that is not a template: left to its page)
            continue
        compiled += 1
    return compiled


def warm() -> int:
    """Import the URL patterns (and every view), read every language's translations, and
    compile every template of the pages and of the forms' widgets. Returns the number of
    templates compiled."""
    compiled = 0
    for backend in engines.all():
        if isinstance(backend, DjangoTemplates):
            compiled += _compile_templates(backend.engine)
    renderer = get_default_renderer()
    if isinstance(getattr(renderer, "engine", None), DjangoTemplates):
        # The forms' own engine looks in every app's folder too, but renders only widgets.
        compiled += _compile_templates(renderer.engine.engine, prefix="django/forms/")
    for code, _name in settings.LANGUAGES:
        with translation.override(code):  # the lookups are kept per language
            _reverse_in_namespaces(get_resolver())
    return compiled


def _reverse_in_namespaces(resolver, prefix: str = "") -> None:
    """Reverse one name of each namespace: Django keeps a resolver per namespace, built and
    filled on the first ``reverse("namespace:name")`` of each language."""
    for name in resolver.reverse_dict:
        if isinstance(name, str):
            try:
                reverse(prefix + name)
            except NoReverseMatch:  # it takes arguments: the lookups are filled all the same
                pass
            break
    for namespace, (_pattern, inner) in resolver.namespace_dict.items():
        _reverse_in_namespaces(inner, f"{prefix}{namespace}:")
