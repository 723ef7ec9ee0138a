from django import template
from django.utils.html import format_html

from recruitment.models import Stage
from recruitment.text import mask_citizen_id

register = template.Library()

STAGE_COLOURS = {
    Stage.SOURCE: "secondary",
    Stage.TRAINING: "info",
    Stage.TRAINED: "primary",
    Stage.DOSSIER: "warning",
    Stage.PROPOSED: "warning",
    Stage.ADMITTED: "success",
    Stage.RECOGNISED: "success",
    Stage.WITHDRAWN: "light",
    Stage.DROPPED_OUT: "dark",
    Stage.STRUCK_OFF: "dark",
}


@register.simple_tag
def stage_badge(stage: str):
    """A coloured badge with the stage's name in the active language."""
    colour = STAGE_COLOURS.get(stage, "secondary")
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
