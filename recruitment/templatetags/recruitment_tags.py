from django import forms, template
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from recruitment import stages
from recruitment.stages import Stage
from recruitment.text import mask_citizen_id

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
    if isinstance(widget, forms.CheckboxInput):
        return "form-check-input"
    if isinstance(widget, forms.Select):
        return "form-select"
    return "form-control"


def _plain_select(field) -> bool:
    widget = field.field.widget
    return (
        isinstance(widget, forms.Select)
        and type(widget).template_name == forms.Select.template_name
    )


def _select(field, attrs) -> str:
    """A select as Django's templates write it, written in Python: they render two templates
    per option (the sort box has eleven)."""
    widget = field.field.widget
    attrs = field.build_widget_attrs({"id": field.auto_id, **attrs})
    w = widget.get_context(field.html_name, field.value(), attrs)["widget"]
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
    """A field of a list's filter form laid out as crispy-forms' Bootstrap 5 pack lays it out
    (label, widget, errors, help text), written in Python: crispy's templates cost about two
    milliseconds a field, on every list page and every search."""
    attrs = {"class": _widget_class(field.field.widget)}
    errors = ""
    if field.errors:
        attrs["class"] += " is-invalid"
        attrs["aria-invalid"] = "true"
        attrs["aria-describedby"] = f"{field.auto_id}_error"
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
    if isinstance(field.field.widget, forms.CheckboxInput):
        return format_html(
            '<div id="div_{}" class="mb-3 form-check">{}<label for="{}" class="form-check-label">'
            "{}</label>{}{}</div>",
            field.auto_id,
            widget,
            field.id_for_label,
            field.label,
            errors,
            help_text,
        )
    return format_html(
        '<div id="div_{}" class="mb-3"><label for="{}" class="form-label">{}</label>{}{}{}</div>',
        field.auto_id,
        field.id_for_label,
        field.label,
        widget,
        errors,
        help_text,
    )
