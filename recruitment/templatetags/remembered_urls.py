"""Django's ``{% url %}``, remembering the URLs it has reversed (a builtin of every template:
``TEMPLATES`` in config/settings.py).

``reverse()`` costs about 30 to 50 µs, and a page asks it 10 to 30 times: the navigation
bar's links, each row's, each document's. What it returns depends only on the view's name,
its arguments, the application namespace, the script prefix, the URL configuration and the
language, so this tag remembers it under all of them (the 4,096 latest). Arguments that are
not plain numbers or text (a model instance, whose text may change) are reversed each time,
as a failed lookup is (``NoReverseMatch`` is raised, never remembered). Forgotten when the
URL configuration setting changes (the tests' ``override_settings``).
"""

from __future__ import annotations

import functools

from django import template
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template import defaulttags
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.html import conditional_escape
from django.utils.translation import get_language

register = template.Library()


@functools.lru_cache(maxsize=4096)
def _reversed(view_name, args, kwargs, current_app, prefix, urlconf, language) -> str:
    return reverse(
        view_name, urlconf=urlconf, args=args, kwargs=dict(kwargs), current_app=current_app
    )


def _plain(value):
    """``value`` as a key of what ``reverse()`` makes of it: a number or a text (the
    template's literals are safe strings), else None."""
    if type(value) is int:
        return value
    if isinstance(value, str):
        return str(value)
    return None


class RememberedURLNode(defaulttags.URLNode):
    def render(self, context):
        args = tuple(arg.resolve(context) for arg in self.args)
        kwargs = tuple((k, v.resolve(context)) for k, v in self.kwargs.items())
        view_name = self.view_name.resolve(context)
        try:
            current_app = context.request.current_app
        except AttributeError:
            try:
                current_app = context.request.resolver_match.namespace
            except AttributeError:
                current_app = None
        url = ""
        plain_args = tuple(_plain(arg) for arg in args)
        plain_kwargs = tuple((k, _plain(v)) for k, v in kwargs)
        try:
            if (
                _plain(view_name) is not None
                and None not in plain_args
                and all(v is not None for _k, v in plain_kwargs)
            ):
                url = _reversed(
                    str(view_name),
                    plain_args,
                    plain_kwargs,
                    current_app,
                    get_script_prefix(),
                    get_urlconf(),
                    get_language(),
                )
            else:
                url = reverse(view_name, args=args, kwargs=dict(kwargs), current_app=current_app)
        except NoReverseMatch:
            if self.asvar is None:
                raise
        if self.asvar:
            context[self.asvar] = url
            return ""
        return conditional_escape(url) if context.autoescape else url


@register.tag
def url(parser, token):
    """``{% url %}`` as Django parses it (``django.template.defaulttags.url``)."""
    node = defaulttags.url(parser, token)
    node.__class__ = RememberedURLNode
    return node


@receiver(setting_changed)
def _forget(*, setting, **kwargs):
    if setting == "ROOT_URLCONF":
        _reversed.cache_clear()
