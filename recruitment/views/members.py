"""Party members of the user's subtree: list, detail, add and edit, transfers in and out."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from recruitment import services
from recruitment.filters import MemberFilter
from recruitment.forms import MemberForm, TransferInForm, TransferOutForm
from recruitment.models import PartyMember, Sponsorship, Transfer
from recruitment.paging import window
from recruitment.views.decorators import read_only
from recruitment.views.merges import twins_for
from recruitment.views.replies import refused_if_posted

PAGE_SIZE = 25


def _get_member_for_user(request, pk: int) -> PartyMember:
    """The member if they are in the user's subtree; 404 otherwise, so outsiders learn nothing."""
    return get_object_or_404(
        PartyMember.objects.for_user(request.user).select_related("unit", "candidate__unit"),
        pk=pk,
    )


@login_required
@read_only
def member_list(request):
    members = PartyMember.objects.for_user(request.user).select_related("unit", "candidate")
    filterset = MemberFilter(request.GET or None, queryset=members, user=request.user)
    queryset = filterset.qs
    if not filterset.sorted_by:
        queryset = queryset.by_name(filterset.searching)
    page = window(queryset, request, PAGE_SIZE)
    return render(
        request,
        "recruitment/members/list.html",
        {
            "filter": filterset,
            "page_obj": page,
            "members": page.object_list,
            "filtered": filterset.filtered,
        },
    )


@login_required
@read_only
def member_detail(request, pk):
    member = _get_member_for_user(request, pk)
    candidate = member.candidate
    return render(
        request,
        "recruitment/members/detail.html",
        {
            "member": member,
            # The candidate's record, where it is in sight (it is where the member was admitted).
            "candidate": candidate
            if candidate is not None and request.user.can_change(candidate.unit)
            else None,
            "transfers": list(member.transfers.select_related("from_unit", "to_unit", "by")),
            # Only the candidates this user may see, wherever the member mentored.
            "sponsorships": list(
                Sponsorship.objects.for_user(request.user)
                .filter(member=member)
                .select_related("candidate")
                .order_by("ended_on", "-assigned_on", "pk")
            ),
            "may_transfer_back": member.left_on is not None and _left_by_transfer(member),
            "show_citizen_id": request.user.is_board_staff,
            "twins": twins_for(request, member),
        },
    )


def _left_by_transfer(member: PartyMember) -> bool:
    last = member.transfers.order_by("-on", "-pk").first()
    return last is not None and last.direction == Transfer.Direction.OUT and not last.to_unit_id


@login_required
def member_create(request):
    initial = {"unit": request.user.unit} if request.user.unit is not None else {}
    form = MemberForm(request.POST or None, user=request.user, initial=initial)
    if form.is_valid():
        try:
            member = services.create_member(
                by=request.user,
                same_person_confirmed=form.cleaned_data["same_person_confirmed"],
                **form.member_values(),
            )
        except ValidationError as error:
            form.refuse(error)
        else:
            messages.success(
                request,
                _("%(name)s was added to the members of %(unit)s.")
                % {"name": member.full_name, "unit": member.unit.name},
            )
            return redirect(member)
    refused_if_posted(request)
    return render(request, "recruitment/members/form.html", {"form": form, "member": None})


@login_required
def member_edit(request, pk):
    member = _get_member_for_user(request, pk)
    form = MemberForm(request.POST or None, instance=member, user=request.user)
    if form.is_valid():
        form.save()
        messages.success(request, _("Changes to %(name)s saved.") % {"name": member.full_name})
        return redirect(member)
    refused_if_posted(request)
    return render(request, "recruitment/members/form.html", {"form": form, "member": member})


@login_required
def member_transfer_out(request, pk):
    member = _get_member_for_user(request, pk)
    form = TransferOutForm(request.POST or None, user=request.user, member=member)
    if form.is_valid():
        try:
            transfer = services.transfer_out(member=member, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.refuse(error)
        else:
            if transfer.to_unit_id:
                text = _("%(name)s was transferred to %(unit)s.") % {
                    "name": member.full_name,
                    "unit": transfer.to_unit.name,
                }
            else:
                text = _(
                    "%(name)s was transferred out to %(place)s; the record stays in %(unit)s."
                ) % {
                    "name": member.full_name,
                    "place": transfer.to_place,
                    "unit": transfer.from_unit.name,
                }
            messages.success(request, text)
            return redirect(transfer.member)
    refused_if_posted(request)
    return render(
        request,
        "recruitment/members/transfer.html",
        {"form": form, "member": member, "direction": Transfer.Direction.OUT},
    )


@login_required
def member_transfer_in(request, pk=None):
    """A member arriving from outside the user's units: a new one, or (``pk``) one coming
    back after a transfer out."""
    member = _get_member_for_user(request, pk) if pk is not None else None
    initial = {"unit": member.unit if member else request.user.unit}
    form = TransferInForm(request.POST or None, user=request.user, member=member, initial=initial)
    if form.is_valid():
        try:
            transfer = services.transfer_in(
                member=member,
                by=request.user,
                same_person_confirmed=form.cleaned_data.get("same_person_confirmed", False),
                **form.transfer_values(),
                **form.member_values(),
            )
        except ValidationError as error:
            form.refuse(error)
        else:
            messages.success(
                request,
                _("%(name)s was transferred in to %(unit)s.")
                % {"name": transfer.member.full_name, "unit": transfer.to_unit.name},
            )
            return redirect(transfer.member)
    refused_if_posted(request)
    return render(
        request,
        "recruitment/members/transfer.html",
        {"form": form, "member": member, "direction": Transfer.Direction.IN},
    )
