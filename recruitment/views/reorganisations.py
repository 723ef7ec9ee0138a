"""Reorganisations: ``/reorganisations/`` (list, new), ``/reorganisations/<pk>/`` (steps and
the preview of a draft), with ``steps/new/``, ``steps/<step>/remove/``, ``delete/`` (of a
draft), ``apply/`` and ``undo/`` (POST).

Board staff only, scoped to the unit that decides each reorganisation (the user's own unit
when they create it); its steps change only units below that unit.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.decorators import staff_required
from recruitment.models import Organisation
from recruitment.paging import window
from recruitment.reorganisation.forms import ReorganisationForm, StepForm, WithinForm
from recruitment.reorganisation.models import Reorganisation
from recruitment.reorganisation.selectors import describe_steps
from recruitment.reorganisation.services import (
    ReorganisationError,
    apply_reorganisation,
    preview_reorganisation,
    undo_reorganisation,
)
from recruitment.views.decorators import read_only
from recruitment.views.replies import refused_if_posted

PAGE_SIZE = 25


def _get_reorganisation_for_user(request, pk: int, *, lock: bool = False) -> Reorganisation:
    """The user's reorganisation; with ``lock``, its row locked until the request's
    transaction ends: a draft being applied meanwhile is read as applied once the apply
    commits, never deleted or changed under it."""
    if not request.user.is_board_staff:
        raise PermissionDenied
    reorganisations = Reorganisation.objects.for_user(request.user)
    if lock:
        reorganisations = reorganisations.select_for_update(of=("self",))
    return get_object_or_404(reorganisations, pk=pk)


def _units_for(request, reorganisation: Reorganisation):
    """The units a step may name: the user's, open on the effective date."""
    units = Organisation.objects.for_user(request.user).open_on(reorganisation.effective_on)
    return units.filter(active=True)


def _refusal(error: ReorganisationError) -> str:
    return " ".join(error.messages)


@staff_required
@read_only
def reorganisation_list(request):
    reorganisations = Reorganisation.objects.for_user(request.user).select_related("unit")
    page = window(reorganisations, request, PAGE_SIZE)
    return render(
        request,
        "recruitment/reorganisations/list.html",
        {"reorganisations": page.object_list, "page_obj": page},
    )


@staff_required
def reorganisation_create(request):
    form = ReorganisationForm(request.POST or None)
    if form.is_valid():
        reorganisation = form.save(commit=False)
        reorganisation.unit = request.user.unit
        reorganisation.created_by = request.user
        reorganisation.save()
        messages.success(request, _("The reorganisation is saved as a draft: add its steps."))
        return redirect(reorganisation)
    refused_if_posted(request)
    return render(request, "recruitment/reorganisations/form.html", {"form": form})


@login_required
@read_only
def reorganisation_detail(request, pk: int):
    reorganisation = _get_reorganisation_for_user(request, pk)
    return _render_detail(request, reorganisation)


def _render_detail(request, reorganisation: Reorganisation, step_form: StepForm | None = None):
    """The reorganisation's page: its steps, the preview of a draft (or what applying did),
    and, on a draft, the form for one more step: empty, or ``step_form`` as it was refused,
    with what was typed and each error beside its field."""
    effects, refusal = None, None
    if reorganisation.status == Reorganisation.Status.DRAFT and reorganisation.steps.exists():
        try:
            effects = preview_reorganisation(reorganisation=reorganisation).as_list()
        except ReorganisationError as error:
            refusal = _refusal(error)
    elif reorganisation.status != Reorganisation.Status.DRAFT:
        effects = reorganisation.changes.get("effects")
    within_form = None
    if reorganisation.status == Reorganisation.Status.DRAFT:
        units = _units_for(request, reorganisation)
        within_form = WithinForm(request.GET or None, units=units)
        if step_form is None:
            step_form = StepForm(units=units, within=within_form.unit())
    return render(
        request,
        "recruitment/reorganisations/detail.html",
        {
            "reorganisation": reorganisation,
            "steps": describe_steps(reorganisation.steps.all()),
            "effects": effects,
            "refusal": refusal,
            "step_form": step_form,
            "within_form": within_form,
            "successions": reorganisation.successions.select_related("predecessor", "successor"),
        },
    )


@login_required
@require_POST
def reorganisation_step_add(request, pk: int):
    reorganisation = _get_reorganisation_for_user(request, pk)
    if reorganisation.status != Reorganisation.Status.DRAFT:
        messages.error(request, _("Only a draft reorganisation can change."))
        return redirect(reorganisation)
    units = _units_for(request, reorganisation)
    within = WithinForm(request.POST, units=units).unit()
    form = StepForm(request.POST, units=units, within=within)
    if not form.is_valid():
        # The page again, with the step as typed (a dozen fields, a list of ID numbers).
        refused_if_posted(request)
        return _render_detail(request, reorganisation, form)
    with transaction.atomic():
        position = reorganisation.steps.count() + 1
        reorganisation.steps.create(
            position=position, kind=form.cleaned_data["kind"], params=form.cleaned_data["params"]
        )
    messages.success(request, _("Step %(n)s added: check the preview.") % {"n": position})
    return redirect(reorganisation)


@login_required
@require_POST
def reorganisation_step_remove(request, pk: int, step_pk: int):
    """Take a step out of a draft; those after it move up."""
    reorganisation = _get_reorganisation_for_user(request, pk, lock=True)
    if reorganisation.status != Reorganisation.Status.DRAFT:
        messages.error(request, _("Only a draft reorganisation can change."))
        return redirect(reorganisation)
    with transaction.atomic():
        step = get_object_or_404(reorganisation.steps.select_for_update(), pk=step_pk)
        position = step.position
        step.delete()
        for n, later in enumerate(reorganisation.steps.order_by("position", "pk"), start=1):
            if later.position != n:
                later.position = n
                later.save(update_fields=["position"])
    messages.success(request, _("Step %(n)s removed.") % {"n": position})
    return redirect(reorganisation)


@login_required
@require_POST
def reorganisation_delete(request, pk: int):
    """Delete a draft, which changed nothing yet; an applied one is undone instead."""
    reorganisation = _get_reorganisation_for_user(request, pk, lock=True)
    if reorganisation.status != Reorganisation.Status.DRAFT:
        messages.error(
            request, _("Only a draft can be deleted: an applied reorganisation is undone.")
        )
        return redirect(reorganisation)
    title = reorganisation.title
    reorganisation.delete()
    messages.success(request, _("The draft “%(title)s” was deleted.") % {"title": title})
    return redirect("recruitment:reorganisation-list")


@login_required
@require_POST
def reorganisation_apply(request, pk: int):
    reorganisation = _get_reorganisation_for_user(request, pk)
    try:
        apply_reorganisation(reorganisation=reorganisation, by=request.user)
    except ReorganisationError as error:
        messages.error(request, _refusal(error))
    else:
        messages.success(request, _("The reorganisation is applied."))
    return redirect(reorganisation)


@login_required
@require_POST
def reorganisation_undo(request, pk: int):
    reorganisation = _get_reorganisation_for_user(request, pk)
    try:
        undo_reorganisation(reorganisation=reorganisation, by=request.user)
    except ReorganisationError as error:
        messages.error(request, _refusal(error))
    else:
        messages.success(request, _("The reorganisation is undone: every row is as it was."))
    return redirect(reorganisation)
