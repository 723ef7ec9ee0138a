"""Training classes: list, create/edit (staff), enrol candidates, record results."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from accounts.decorators import staff_required
from recruitment import pipeline, services
from recruitment.filters import ClassFilter
from recruitment.forms import (
    EnrolForm,
    EnrolUnitForm,
    PastResultForm,
    ResultFormSet,
    TrainingClassForm,
)
from recruitment.models import Enrolment, TrainingClass
from recruitment.paging import window
from recruitment.views.decorators import read_only
from recruitment.views.replies import refused_if_posted

PAGE_SIZE = 20


def _get_class_for_user(request, pk: int) -> TrainingClass:
    return get_object_or_404(
        TrainingClass.objects.for_user(request.user).select_related("unit"), pk=pk
    )


def _get_rw_class_for_user(request, pk: int) -> TrainingClass:
    """A class the user may edit: run by a unit of their own subtree.

    Classes run above the user's unit are visible (their candidates attend them) but not
    theirs to change: 403, where a class out of sight is 404.
    """
    training_class = _get_class_for_user(request, pk)
    if not request.user.can_change(training_class.unit):
        raise PermissionDenied
    return training_class


def _enrolments(request, training_class):
    """Enrolments of this class whose candidates the user may see."""
    return (
        Enrolment.objects.for_user(request.user)
        .filter(training_class=training_class)
        .select_related("candidate__unit", "training_class")
        .order_by("candidate__search_name", "pk")
    )


@login_required
@read_only
def class_list(request):
    classes = (
        TrainingClass.objects.for_user(request.user)
        .select_related("unit")
        .order_by("-starts_on", "pk")  # ClassFilter.default_sort; ?sort= orders otherwise
    )
    filterset = ClassFilter(request.GET or None, queryset=classes, user=request.user)
    page = window(filterset.qs, request, PAGE_SIZE)
    _count_enrolled(request.user, page.object_list)
    return render(
        request,
        "recruitment/classes/list.html",
        {
            "filter": filterset,
            "page_obj": page,
            "classes": page.object_list,
            "filtered": filterset.filtered,
        },
    )


def _count_enrolled(user, classes: list[TrainingClass]) -> None:
    """``enrolled`` on each of ``classes``: its candidates of the user's subtree, counted
    for the page's classes only (one query). Counted in the list's query, PostgreSQL grouped
    every enrolment in scope before taking a page: 1.3 s nationally."""
    counts = dict(
        Enrolment.objects.for_user(user)
        .filter(training_class__in=classes)
        .values_list("training_class")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for training_class in classes:
        training_class.enrolled = counts.get(training_class.pk, 0)


@staff_required
def class_create(request):
    form = TrainingClassForm(
        request.POST or None, user=request.user, initial={"unit": request.user.unit}
    )
    if form.is_valid():
        training_class = form.save()
        messages.success(request, _("Class “%(title)s” created.") % {"title": training_class})
        return redirect("recruitment:class-detail", pk=training_class.pk)
    refused_if_posted(request)
    return render(request, "recruitment/classes/form.html", {"form": form, "training_class": None})


@staff_required
def class_edit(request, pk):
    training_class = _get_rw_class_for_user(request, pk)
    form = TrainingClassForm(request.POST or None, instance=training_class, user=request.user)
    if form.is_valid():
        form.save()
        messages.success(request, _("Class “%(title)s” saved.") % {"title": training_class})
        return redirect("recruitment:class-detail", pk=training_class.pk)
    refused_if_posted(request)
    return render(
        request,
        "recruitment/classes/form.html",
        {"form": form, "training_class": training_class},
    )


def _render_detail(
    request, training_class, enrol_form=None, unit_form=None, past_form=None, narrowed=None
):
    """The class page: the enrolment form while the class is open, the past result's once
    it has ended (each as given, refused, or made here). ``narrowed``: the unit and name
    the list of candidates is narrowed to (``EnrolUnitForm``)."""
    unit_form = unit_form or EnrolUnitForm(user=request.user)
    narrowed = narrowed or {}
    open_for_enrolment = training_class.ends_on >= timezone.localdate()
    if enrol_form is None and open_for_enrolment:
        enrol_form = EnrolForm(user=request.user, training_class=training_class, **narrowed)
    if past_form is None and not open_for_enrolment:
        past_form = PastResultForm(user=request.user, training_class=training_class, **narrowed)
    offered = enrol_form if open_for_enrolment else past_form
    return render(
        request,
        "recruitment/classes/detail.html",
        {
            "training_class": training_class,
            # A class run above the user's unit is theirs to attend, not to edit (403).
            "editable": request.user.is_board_staff
            and request.user.can_change(training_class.unit),
            "enrolments": _enrolments(request, training_class),
            "enrol_form": enrol_form,
            "unit_form": unit_form,
            # The unit is worth choosing only above a single cell; the name everywhere.
            "show_unit_filter": request.user.unit is not None and request.user.unit.numchild > 0,
            # The list shows its first candidates by name: the rest are found by narrowing it.
            "more_waiting": offered.more,
            "offered": offered.fields["candidates" if open_for_enrolment else "candidate"],
            "narrowed": bool(narrowed),
            "open_for_enrolment": open_for_enrolment,
            # An ended class takes past results, recorded at once from the file.
            "past_form": past_form,
            "has_past_candidates": past_form is not None
            and (past_form.is_bound or past_form.fields["candidate"].queryset.exists()),
            "has_waiting": open_for_enrolment
            and (enrol_form.is_bound or enrol_form.fields["candidates"].queryset.exists()),
        },
    )


@login_required
@read_only
def class_detail(request, pk):
    training_class = _get_class_for_user(request, pk)
    unit_form = EnrolUnitForm(request.GET or None, user=request.user)
    narrowed = {}
    if unit_form.is_valid():
        chosen = unit_form.cleaned_data
        narrowed = {key: chosen[key] for key in ("unit", "name") if chosen[key]}
    return _render_detail(request, training_class, unit_form=unit_form, narrowed=narrowed)


@login_required
@require_POST
def class_enrol(request, pk):
    training_class = _get_class_for_user(request, pk)
    form = EnrolForm(request.POST, user=request.user, training_class=training_class)
    refused = pipeline.enrolment_rules(training_class)
    if refused:
        for broken in refused:
            messages.error(request, str(broken))
        return redirect("recruitment:class-detail", pk=training_class.pk)
    if form.is_valid():
        chosen = list(form.cleaned_data["candidates"])
        try:
            services.enrol(candidates=chosen, training_class=training_class, by=request.user)
        except pipeline.MoveRefused as refused:
            for message in refused.messages:
                form.add_error("candidates", message)
        else:
            messages.success(
                request,
                ngettext(
                    "%(count)d candidate enrolled in “%(title)s”.",
                    "%(count)d candidates enrolled in “%(title)s”.",
                    len(chosen),
                )
                % {"count": len(chosen), "title": training_class.title},
            )
            return redirect("recruitment:class-detail", pk=training_class.pk)
    messages.error(request, _("Nobody was enrolled; see the errors below."))
    return _render_detail(request, training_class, form)


@login_required
@require_POST
def class_past_result(request, pk):
    """A candidate's result in a class that has ended: enrolled with the result at once."""
    training_class = _get_class_for_user(request, pk)
    form = PastResultForm(request.POST, user=request.user, training_class=training_class)
    if form.is_valid():
        candidate = form.cleaned_data["candidate"]
        try:
            enrolment = services.record_past_result(
                training_class=training_class, by=request.user, **form.cleaned_data
            )
        except pipeline.MoveRefused as refused:
            for broken in refused.broken:
                if broken.field in form.fields:
                    form.add_error(broken.field, str(broken))
                else:  # the form is not shown on an open class: say it at the top
                    messages.error(request, str(broken))
        else:
            messages.success(
                request,
                _("The result of %(name)s in “%(title)s” was recorded: %(result)s.")
                % {
                    "name": candidate.full_name,
                    "title": training_class.title,
                    "result": enrolment.get_result_display().lower(),
                },
            )
            return redirect("recruitment:class-detail", pk=training_class.pk)
    messages.error(request, _("Nothing was saved: please correct the errors below."))
    return _render_detail(request, training_class, past_form=form)


@login_required
def class_results(request, pk):
    training_class = _get_class_for_user(request, pk)
    formset = ResultFormSet(request.POST or None, queryset=_enrolments(request, training_class))
    if request.method == "POST" and formset.is_valid():
        try:
            with transaction.atomic():
                changed = _save_results(request, formset)
        except pipeline.MoveRefused:
            messages.error(request, _("No result was saved; see the errors below."))
        else:
            if changed:
                messages.success(
                    request,
                    ngettext("%(count)d result saved.", "%(count)d results saved.", changed)
                    % {"count": changed},
                )
            else:
                messages.info(request, _("Nothing changed."))
            return redirect("recruitment:class-detail", pk=training_class.pk)
    elif request.method == "POST":
        messages.error(request, _("No result was saved; see the errors below."))
    return render(
        request,
        "recruitment/classes/results.html",
        {"training_class": training_class, "formset": formset},
    )


def _save_results(request, formset) -> int:
    """Record every changed row; a refused move marks its row and undoes them all."""
    changed, refused = 0, None
    forms = [form for form in formset.forms if form.has_changed()]
    pipeline.lock_candidates(form.instance.candidate_id for form in forms)  # in id order
    for form in forms:
        try:
            services.record_result(
                enrolment=form.instance,
                by=request.user,
                result=form.cleaned_data["result"],
                certificate_number=form.cleaned_data["certificate_number"],
                certificate_on=form.cleaned_data["certificate_on"],
            )
        except pipeline.MoveRefused as error:
            for broken in error.broken:
                form.add_error(broken.field if broken.field in form.fields else None, str(broken))
            refused = error
        changed += 1
    if refused is not None:
        raise refused
    return changed
