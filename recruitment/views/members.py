"""Party members of the user's subtree: probationary, official, departed."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from recruitment.forms import MemberFilterForm
from recruitment.models import PartyMember
from recruitment.text import search_key

PAGE_SIZE = 25


@login_required
@require_safe
def member_list(request):
    members = PartyMember.objects.for_user(request.user).select_related("unit", "candidate")
    form = MemberFilterForm(request.GET or None)
    if form.is_valid():
        if form.cleaned_data["q"]:
            members = members.filter(search_name__contains=search_key(form.cleaned_data["q"]))
        status = form.cleaned_data["status"]
        today = timezone.localdate()
        if status == MemberFilterForm.Status.PROBATIONARY:
            members = members.filter(official_on__isnull=True, left_on__isnull=True)
        elif status == MemberFilterForm.Status.OFFICIAL:
            members = members.official_on(today)
        elif status == MemberFilterForm.Status.LEFT:
            members = members.filter(Q(left_on__isnull=False))
    page = Paginator(members.order_by("search_name", "pk"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "recruitment/members/list.html",
        {"form": form, "page_obj": page, "members": page.object_list},
    )
