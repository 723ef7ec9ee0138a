"""``/units/search/?q=``: the user's units matching a name, as JSON, for the unit pickers."""

from django.contrib.auth.decorators import login_required
from django.http import JsonResponse

from recruitment.filters import MAX_SEARCH_LENGTH
from recruitment.models import Organisation
from recruitment.views.decorators import read_only


@login_required
@read_only
def unit_search(request):
    """At most 20 units of the user's subtree whose name holds ``q`` (diacritics ignored),
    the highest first: ``{"results": [{"id", "name", "kind"}]}``. One query. ``open=1``: open
    units only, as the forms accept (the list filters also find closed ones)."""
    typed = request.GET.get("q", "")[:MAX_SEARCH_LENGTH]
    units = Organisation.objects.for_user(request.user)
    if request.GET.get("open") == "1":
        units = units.filter(active=True)
    units = units.matching(typed)
    return JsonResponse(
        {"results": [{"id": u.pk, "name": u.name, "kind": u.get_kind_display()} for u in units]}
    )
