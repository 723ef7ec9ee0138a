import functools

from django import forms, template
from django.forms.widgets import Input
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django_filters.widgets import BaseCSVWidget

from recruitment import stages
from recruitment.stages import Stage
from recruitment.text import mask_citizen_id
from recruitment.widgets import UnitSearchInput

register = template.Library()


@register.simple_tag
def stage_badge(stage: str):
    """A coloured badge with the stage's name in the active language."""
    return _stage_badge(stage, stages.COLOURS[stage], get_language())


@functools.cache
def _stage_badge(stage: str, colour: str, language: str):
    """Written once per stage, colour and language: a list shows one on each row."""
    text_class = " text-dark" if colour in ("warning", "light", "info") else ""
    return format_html(
        '<span class="badge stage-chip text-bg-{}{}">{}</span>',
        colour,
        text_class,
        Stage(stage).label,
    )


@register.filter
def citizen_id(value, show_full: bool):
    """The citizen ID in full for those who need it, otherwise its last four digits."""
    if not value:
        return "—"
    return value if show_full else mask_citizen_id(value)


def _widget_class(widget) -> str:
    if isinstance(widget, forms.Select):
        return "form-select"
    return "form-control"


SUPPORTED = (forms.TextInput, forms.NumberInput, forms.Select, UnitSearchInput)
# Django's templates for these boxes are input.html and nothing else: written in Python here.
PLAIN_INPUT_TEMPLATES = (forms.TextInput.template_name, forms.NumberInput.template_name)
SEVERAL = object()  # a CSV select given several values


def _one_value(field):
    """The value of a select that shows one; ``SEVERAL`` for django-filter's CSV selects
    when the query string has several (``?sort=name,-unit``): they show a text box then."""
    value = field.value()
    if isinstance(field.field.widget, BaseCSVWidget) and isinstance(value, (list, tuple)):
        return value[0] if len(value) == 1 else (SEVERAL if value else "")
    return value


def _attrs(attrs: dict) -> str:
    """A widget's attributes as Django's attrs.html writes them: in order, True as a bare
    name, False left out (escaped as the template escapes them; an option has up to one)."""
    return mark_safe(
        "".join(
            f" {conditional_escape(name)}"
            if value is True
            else f' {conditional_escape(name)}="{conditional_escape(value)}"'
            for name, value in attrs.items()
            if value is not False
        )
    )


def _widget_attrs(field, attrs) -> dict:
    """The attributes BoundField.as_widget gives the widget (aria, required, the id)."""
    widget = field.field.widget
    attrs = field.build_widget_attrs(attrs, widget)
    if field.auto_id and "id" not in widget.attrs:
        attrs.setdefault("id", field.auto_id)
    return attrs


def _input(field, attrs) -> str | None:
    """A text or number box as Django's input.html writes it, or None for other widgets."""
    widget = field.field.widget
    if (
        not isinstance(widget, Input)
        or widget.template_name not in PLAIN_INPUT_TEMPLATES
        or isinstance(widget, BaseCSVWidget)  # several values joined by commas
        or field.field.localize  # numbers written the language's way
    ):
        return None
    w = widget.get_context(field.html_name, field.value(), _widget_attrs(field, attrs))["widget"]
    return format_html(
        '<input type="{}" name="{}"{}{}>',
        w["type"],
        w["name"],
        "" if w["value"] is None else format_html(' value="{}"', w["value"]),
        _attrs(w["attrs"]),
    )


def _select(field, attrs) -> str | None:
    """A select as Django's templates write it, written in Python: they render two templates
    per option (the sort box has eleven). None for other widgets, and for a CSV select
    given several values."""
    widget = field.field.widget
    if (
        not isinstance(widget, forms.Select)
        or widget.allow_multiple_selected
        or type(widget).template_name != forms.Select.template_name
    ):
        return None
    value = _one_value(field)
    if value is SEVERAL:
        return None
    w = widget.get_context(field.html_name, value, _widget_attrs(field, attrs))["widget"]
    options = []
    for group_name, choices, _index in w["optgroups"]:
        rendered = mark_safe(
            "".join(
                # The option's attrs say "selected".
                f'<option value="{conditional_escape(o["value"])}"{_attrs(o["attrs"])}>'
                f"{conditional_escape(o['label'])}</option>"
                for o in choices
            )
        )
        if group_name:
            rendered = format_html('<optgroup label="{}">{}</optgroup>', group_name, rendered)
        options.append(rendered)
    return format_html(
        '<select name="{}"{}>{}</select>',
        w["name"],
        _attrs(w["attrs"]),
        mark_safe("".join(options)),
    )


@register.simple_tag
def form_field(field):
    """A field of a list's filter form (a text, number, unit search or single-choice box)
    laid out as crispy-forms' Bootstrap 5 pack lays it out: a label, the widget, its errors
    and help text, with the same ids. Written in Python: crispy's templates cost about two
    milliseconds a field, on every list page and every search. Other widgets are refused:
    render those with crispy."""
    if not isinstance(field.field.widget, SUPPORTED):
        raise TypeError(f"form_field does not lay out {type(field.field.widget).__name__}")
    attrs = {"class": _widget_class(field.field.widget)}
    errors = ""
    if field.errors:
        attrs["class"] += " is-invalid"  # Django adds aria-invalid and aria-describedby
        errors = format_html(
            '<div id="{}_error" class="invalid-feedback">{}</div>',
            field.auto_id,
            format_html_join(
                "",
                '<p id="error_{}_{}"><strong>{}</strong></p>',
                ((i, field.auto_id, e) for i, e in enumerate(field.errors, 1)),
            ),
        )
    help_text = (
        format_html(
            '<div id="{}_helptext" class="form-text">{}</div>', field.auto_id, field.help_text
        )
        if field.help_text
        else ""
    )
    widget = _input(field, attrs) or _select(field, attrs) or field.as_widget(attrs=attrs)
    return format_html(
        '<div id="div_{}" class="mb-3"><label for="{}" class="form-label">{}</label>{}{}{}</div>',
        field.auto_id,
        field.id_for_label,
        field.label,
        widget,
        errors,
        help_text,
    )
