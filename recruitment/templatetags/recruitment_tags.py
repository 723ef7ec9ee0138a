from django import template
from django.utils.html import format_html

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
