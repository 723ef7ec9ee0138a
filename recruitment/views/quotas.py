"""Quotas: ``/quotas/`` (the yearly quotas of a unit's children), ``/quotas/plan/``
(next year's quotas suggested from each unit's pipeline and conversion rate) and
``/quotas/<id>/months/`` (a unit's monthly plan, which the dashboard's pace follows).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.decorators import staff_required
from recruitment.forms import AcceptForm, MonthlyPlanForm, PlanFormSet, QuotaFormSet
from recruitment.models import MAX_YEAR, MIN_YEAR, Organisation, Quota
from recruitment.regulation import rule
from recruitment.reports.planning import planning
from recruitment.services import QuotaChange, set_quotas
from recruitment.views.params import (
    BadParameter,
    breadcrumbs_for,
    unit_for_request,
    year_for_request,
)
from recruitment.views.replies import refused_if_posted


def _here(request, unit: Organisation, year: int) -> str:
    return f"{request.path}?year={year}&unit={unit.pk}"


def _plan_year(request) -> int:
    """The year the plan starts from; it sets the quotas of the year after, which must exist.

    By default this year: the suggestions rest on today's pipeline, so they are for next year.
    """
    if not request.GET.get("year"):
        return min(timezone.localdate().year, MAX_YEAR - 1)
    year = year_for_request(request)  # 400 outside MIN_YEAR..MAX_YEAR
    if year >= MAX_YEAR:
        raise BadParameter(
            "year", _("The plan needs a year before %(max_year)s.") % {"max_year": MAX_YEAR}
        )
    return year


def _stale(request, formset) -> bool:
    """Whether the posted rows were for other units (the page is stale); if so, say why.

    The view then shows a fresh table: the typed values were for units as they were.
    """
    errors = formset.non_form_errors()
    for error in errors:
        messages.error(request, error)
    return bool(errors)


def _refused(request, formset, error: ValidationError) -> None:
    """The service refused the changes (and saved none): show why at the table."""
    formset.add_error(error)
    refused_if_posted(request)


def _saved_message(request, result, year: int) -> None:
    saved = len(result.created) + len(result.updated)
    if saved:
        messages.success(
            request,
            ngettext(
                "%(count)s quota for %(year)s was saved.",
                "%(count)s quotas for %(year)s were saved.",
                saved,
            )
            % {"count": saved, "year": year},
        )
    if result.removed:
        messages.success(
            request,
            ngettext(
                "%(count)s quota for %(year)s was removed.",
                "%(count)s quotas for %(year)s were removed.",
                result.removed,
            )
            % {"count": result.removed, "year": year},
        )
    if not result.changed:
        messages.info(request, _("Nothing changed."))


@staff_required
def quota_list(request):
    """The quotas of a unit's children (and of the unit, if set from above) for one year."""
    units = Organisation.objects.for_user(request.user)
    unit = unit_for_request(request, units)
    year = year_for_request(request)
    if unit is None:
        return render(request, "recruitment/dashboard/empty.html", {"year": year})
    # The units of that year: a unit closed by a reorganisation has no quota to set after it.
    children = list(Organisation.objects.get_children(unit).open_during(year))
    own = request.user.sets_quota_of(unit) and unit.is_open_during(year)
    editable = ([unit] if own else []) + children
    quotas = Quota.objects.by_unit([unit, *children], year)
    initial = [
        {
            "unit": u.pk,
            "target": quotas[u.pk].target if u.pk in quotas else None,
            "note": quotas[u.pk].note if u.pk in quotas else "",
            "version": quotas[u.pk].version if u.pk in quotas else 0,
        }
        for u in editable
    ]
    formset = QuotaFormSet(request.POST or None, units=editable, initial=initial)
    if request.method == "POST":
        if _stale(request, formset):
            formset = QuotaFormSet(units=editable, initial=initial)
        elif formset.is_valid():
            changes = [
                QuotaChange(
                    unit=u,
                    target=form.cleaned_data["target"],
                    note=form.cleaned_data["note"],
                    version=form.cleaned_data["version"],
                )
                for u, form in formset.rows()
            ]
            try:
                result = set_quotas(year=year, changes=changes)
            except ValidationError as error:
                _refused(request, formset, error)
            else:
                _saved_message(request, result, year)
                return redirect(_here(request, unit, year))

    if request.method == "POST" and formset.is_bound and not formset.non_form_errors():
        refused_if_posted(request)  # rows with errors: said at the top too
    own = quotas.get(unit.pk)
    children_total = sum(quotas[c.pk].target for c in children if c.pk in quotas)
    return render(
        request,
        "recruitment/quotas/list.html",
        {
            "unit": unit,
            "year": year,
            "past_year": year < timezone.localdate().year,
            "formset": formset,
            "own_quota": own,
            "own_editable": bool(editable) and editable[0] == unit,
            "children": children,
            "children_total": children_total,
            "children_with_quota": sum(1 for c in children if c.pk in quotas),
            "drafts": {pk for pk, quota in quotas.items() if quota.draft},
            "mismatch": own is not None
            and any(c.pk in quotas for c in children)
            and children_total != own.target,
            "breadcrumbs": breadcrumbs_for(request, units, unit),
            "years": Quota.objects.near_top(request.user).years(),
            "min_year": MIN_YEAR,
            "max_year": MAX_YEAR,
        },
    )


@staff_required
def quota_plan(request):
    """Suggested quotas for next year; staff accept some or all of them in one action."""
    units = Organisation.objects.for_user(request.user)
    unit = unit_for_request(request, units)
    year = _plan_year(request)
    if unit is None:
        return render(request, "recruitment/dashboard/empty.html", {"year": year})
    rows = planning(unit, year)
    children = [row.unit for row in rows]
    initial = [
        {
            "unit": row.unit.pk,
            "target": row.suggested if row.suggested is not None else row.next_quota,
            # A quota set for next year since the page was opened is not overwritten unseen.
            "version": row.next_version,
        }
        for row in rows
    ]
    data = request.POST or None
    formset = PlanFormSet(data, units=children, initial=initial)
    accept = AcceptForm(data, units=children)
    ticked = {str(v) for v in request.POST.getlist("accept")}
    if request.method == "POST" and _stale(request, formset):
        formset = PlanFormSet(units=children, initial=initial)
        accept = AcceptForm(units=children)
        ticked = set()
    elif request.method == "POST" and formset.is_valid() and accept.is_valid():
        accepted = set(accept.cleaned_data["accept"])
        changes = []
        for child, form in formset.rows():
            if child.pk not in accepted:
                continue
            target = form.cleaned_data["target"]
            if target is None:
                form.add_error("target", _("Give a quota for a unit you ticked."))
                continue
            changes.append(
                QuotaChange(unit=child, target=target, version=form.cleaned_data["version"])
            )
        if not any(form.errors for form in formset.forms):
            try:
                result = set_quotas(year=year + 1, changes=changes)
            except ValidationError as error:
                _refused(request, formset, error)
            else:
                _saved_message(request, result, year + 1)
                return redirect(_here(request, unit, year))

    if request.method == "POST" and formset.is_bound and not formset.non_form_errors():
        refused_if_posted(request)  # rows with errors, or none ticked: said at the top too
    return render(
        request,
        "recruitment/quotas/plan.html",
        {
            "unit": unit,
            "year": year,
            "next_year": year + 1,
            "this_year": timezone.localdate().year,
            "history_from": year - rule("PLANNING_HISTORY_YEARS") + 1,
            "min_year": MIN_YEAR,
            "max_year": MAX_YEAR,
            "plan": list(zip(rows, formset.forms, strict=True)),
            "formset": formset,
            "accept": accept,
            "ticked": ticked,
            "breadcrumbs": breadcrumbs_for(request, units, unit),
            "totals": {
                "quota": sum(r.quota or 0 for r in rows),
                "admitted": sum(r.admitted for r in rows),
                "pipeline": sum(r.late_pipeline for r in rows),
                "suggested": sum(r.suggested or 0 for r in rows),
                "next_quota": sum(r.next_quota or 0 for r in rows),
            },
        },
    )


@login_required
def quota_months(request, pk: int):
    """How a unit spreads its quota over the months; the dashboard's pace follows it.

    The unit itself or a level above it sets it (404 outside the user's subtree)."""
    quota = get_object_or_404(Quota.objects.for_user(request.user).select_related("unit"), pk=pk)
    # Bound on every POST, an empty one too: every month left empty means the even pace.
    form = MonthlyPlanForm(request.POST if request.method == "POST" else None, instance=quota)
    dashboard = f"{reverse('recruitment:dashboard')}?year={quota.year}&unit={quota.unit_id}"
    if request.method == "POST":
        if form.is_valid():
            form.save()
            if quota.monthly_plan:
                messages.success(request, _("The monthly plan was saved."))
            else:
                messages.success(request, _("The pace is now even through the year."))
            return redirect(dashboard)
        refused_if_posted(request)
    return render(
        request,
        "recruitment/quotas/months.html",
        {"quota": quota, "form": form, "dashboard": dashboard},
    )
