"""The in-app list of reminders: what falls due in the user's subtree (DESIGN.md §6)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone

from recruitment.models import Organisation
from recruitment.paging import window
from recruitment.reminders import reminder_groups, reminder_rows
from recruitment.reports.deadlines import WarningKind, due_item
from recruitment.views.decorators import read_only
from recruitment.views.params import unit_param

# Items of each kind on the overview; a kind's own page lists them all, a page at a time.
OVERVIEW_ITEMS = 10
PAGE_SIZE = 25


@login_required
@read_only
def reminder_list(request):
    """Every kind with its first items and its count; ``?kind=`` pages through one kind,
    of the subtree of ``?unit=`` if given (a unit in the user's scope, else 404): the
    dashboard's "see all" links."""
    today = timezone.localdate()
    kind = request.GET.get("kind", "")
    context = {"today": today, "kinds": [(k, WarningKind.LABELS[k]) for k in WarningKind.ORDER]}
    if kind in WarningKind.ORDER:
        unit = unit_param(request, Organisation.objects.for_user(request.user))
        page = window(reminder_rows(request.user, kind, today, unit), request, PAGE_SIZE)
        context.update(
            kind=kind,
            unit=unit,
            label=WarningKind.LABELS[kind],
            page_obj=page,
            items=[due_item(kind, candidate, today) for candidate in page],
        )
        return render(request, "recruitment/reminders/kind.html", context)
    groups = reminder_groups(request.user, today)
    sections = [
        {"group": group, "items": group.items[:OVERVIEW_ITEMS]} for group in groups if group.total
    ]
    for section in sections:
        section["more"] = section["group"].total - len(section["items"])
    context.update(sections=sections)
    return render(request, "recruitment/reminders/list.html", context)
