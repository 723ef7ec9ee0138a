from django import forms, template
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django_filters.widgets import BaseCSVWidget

from recruitment import stages
from recruitment.stages import Stage
from recruitment.text import mask_citizen_id
from recruitment.widgets import UnitSearchInput

register = template.Library()


@register.simple_tag
def stage_badge(stage: str):
    """A coloured badge with the stage's name in the active language."""
    colour = stages.COLOURS[stage]
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


def _one_value(field):
    """The value of a select that shows one: django-filter's CSV selects show a text box
    instead when the query string has several (``?sort=name,-unit``), None then."""
    value = field.value()
    if isinstance(field.field.widget, BaseCSVWidget) and isinstance(value, (list, tuple)):
        return value[0] if len(value) == 1 else (None if value else "")
    return value


def _plain_select(field) -> bool:
    widget = field.field.widget
    return (
        isinstance(widget, forms.Select)
        and not widget.allow_multiple_selected
        and type(widget).template_name == forms.Select.template_name
        and _one_value(field) is not None
    )


def _select(field, attrs) -> str:
    """A select as Django's templates write it, written in Python: they render two templates
    per option (the sort box has eleven)."""
    widget = field.field.widget
    attrs = field.build_widget_attrs({"id": field.auto_id, **attrs})
    w = widget.get_context(field.html_name, _one_value(field), attrs)["widget"]
    options = []
    for group_name, choices, _index in w["optgroups"]:
        rendered = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',  # the option's attrs say "selected"
            ((o["value"], flatatt(o["attrs"]), o["label"]) for o in choices),
        )
        if group_name:
            rendered = format_html('<optgroup label="{}">{}</optgroup>', group_name, rendered)
        options.append(rendered)
    return format_html(
        '<select name="{}"{}>{}</select>',
        w["name"],
        flatatt(w["attrs"]),
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
    widget = _select(field, attrs) if _plain_select(field) else field.as_widget(attrs=attrs)
    return format_html(
        '<div id="div_{}" class="mb-3"><label for="{}" class="form-label">{}</label>{}{}{}</div>',
        field.auto_id,
        field.id_for_label,
        field.label,
        widget,
        errors,
        help_text,
    )
