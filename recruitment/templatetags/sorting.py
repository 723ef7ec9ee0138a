"""Column headers that sort a list: ``{% sort_header filter "name" _("Name") %}``."""

from django import template

register = template.Library()


@register.inclusion_tag("includes/sort_header.html")
def sort_header(filterset, param: str, label, descending_first: bool = False, css: str = ""):
    """The header of the column ``param`` (a value of the list's ``?sort=``): a link that
    sorts by it, ascending first (or descending, as dates are read latest first); on the
    column the list is sorted by (``ScopedFilterSet.current_sort``), a link that reverses
    the order, an arrow and ``aria-sort`` saying which way it goes."""
    current = filterset.current_sort
    direction = ""
    if current.lstrip("-") == param:
        direction = "descending" if current.startswith("-") else "ascending"
        following = param if direction == "descending" else f"-{param}"
    else:
        following = f"-{param}" if descending_first else param
    return {"label": label, "sort": following, "direction": direction, "css": css}
