"""Party members of the user's subtree: probationary, official, departed."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.http import require_safe

from recruitment.filters import MemberFilter
from recruitment.models import PartyMember

PAGE_SIZE = 25


@login_required
@require_safe
def member_list(request):
    members = PartyMember.objects.for_user(request.user).select_related("unit", "candidate")
    filterset = MemberFilter(request.GET or None, queryset=members, user=request.user)
    page = Paginator(filterset.qs.order_by("search_name", "pk"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "recruitment/members/list.html",
        {"filter": filterset, "page_obj": page, "members": page.object_list},
    )
