"""The quota dashboard: ``/dashboard/?year=Y&unit=ID`` with ``&format=csv|xlsx|json`` exports,
``&format=docx|pdf`` for the report as an official document and ``&print=1`` for the
printable report.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from recruitment import figures_cache, stages
from recruitment.documents import report
from recruitment.models import Organisation
from recruitment.reports import charts, exports, figures
from recruitment.reports.deadlines import due_items
from recruitment.stages import Stage
from recruitment.views.params import (
    choice_param,
    flag_param,
    unit_for_request,
    year_for_request,
)


def quota_change_text(row: figures.UnitFigures) -> str:
    """ "43, up 3 from 2020", as the Organisation Board says it."""
    values = {"quota": row.quota, "previous": row.year - 1}
    if row.quota is None:
        return _("No quota for %(year)s") % {"year": row.year}
    if row.previous_quota is None:
        return _("%(quota)s; no quota in %(previous)s") % values
    change = row.quota_change
    if change > 0:
        return _("%(quota)s, up %(change)s from %(previous)s") % {**values, "change": change}
    if change < 0:
        return _("%(quota)s, down %(change)s from %(previous)s") % {**values, "change": -change}
    return _("%(quota)s, the same as in %(previous)s") % values


@login_required
@require_GET
def dashboard(request):
    units = Organisation.objects.for_user(request.user)
    unit = unit_for_request(request, units)
    year = year_for_request(request)
    today = timezone.localdate()
    fmt = choice_param(request, "format", exports.FORMATS + report.FORMATS)
    if unit is None:
        return render(request, "recruitment/dashboard/empty.html", {"year": year})

    cached = figures_cache.dashboard_figures(unit, year, today)
    rows = cached.rows
    own, children = rows[0], rows[1:]
    pace = figures.pace(own, today)
    if fmt in report.FORMATS:
        return report.response(fmt, rows, unit=unit, year=year, today=today, pace=pace)
    if fmt:
        return exports.response(fmt, rows, unit=unit, year=year, today=today, pace=pace)

    months = cached.months
    elapsed_months = 12 if year < today.year else (today.month if year == today.year else 0)
    warning_groups = due_items(unit, today)
    funnel_stages = [(Stage(s).label, own.pipeline.get(s, 0)) for s in stages.ACTIVE]
    funnel_stages.append((_("Admitted in %(year)s") % {"year": year}, own.admitted))
    context = {
        "unit": unit,
        "year": year,
        "today": today,
        "own": own,
        "children": children,
        "pace": pace,
        "ahead": pace.expected is not None and own.admitted >= pace.expected,
        "stages": [Stage(s) for s in stages.ACTIVE],
        "breadcrumbs": units.ancestors_of(unit),
        "months": months,
        "composition": cached.composition,
        "retention": cached.retention,
        "warning_groups": warning_groups,
        "warning_total": sum(g.total for g in warning_groups),
        "rows": rows,
        "quota_change_text": quota_change_text(own),
        "quota_chart": charts.quota_bars(children) if children else "",
        "pace_chart": charts.pace_line(months, own.quota, elapsed_months=elapsed_months),
        "funnel_chart": charts.funnel(funnel_stages),
        "no_source_count": sum(1 for r in children if r.no_source),
        "behind_count": sum(1 for r in children if r.behind),
    }
    printing = flag_param(request, "print")
    context["printing"] = printing
    if printing:
        # The official header names the level above, even one outside the user's scope:
        # it is the unit that set the quota, not a secret.
        parent = Organisation.objects.get_parent(unit)
        context["parent_name"] = parent.name if parent else ""
    template = "print.html" if printing else "dashboard.html"
    return render(request, f"recruitment/dashboard/{template}", context)
