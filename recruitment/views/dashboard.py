"""The quota dashboard: ``/dashboard/?year=Y&unit=ID`` with ``&format=csv|xlsx|json`` exports,
``&format=docx|pdf`` for the report as an official document and ``&print=1`` for the
printable report.
"""

from __future__ import annotations

from functools import partial
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache.utils import make_template_fragment_key
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from recruitment import figures_cache, stages
from recruitment.documents import render as docx
from recruitment.documents import report
from recruitment.models import Candidate, Organisation
from recruitment.reorganisation.selectors import lineage, with_predecessors
from recruitment.reports import charts, exports, figures, steering
from recruitment.reports.deadlines import due_items
from recruitment.stages import Stage
from recruitment.views.decorators import read_only
from recruitment.views.params import (
    breadcrumbs_for,
    choice_param,
    flag_param,
    unit_for_request,
    year_param,
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


# The parameters of a dashboard whose page may be kept (the exports and print are not).
PAGE_PARAMETERS = {"year", "unit", "sort"}


@login_required
@read_only
def dashboard(request):
    # With the units the user's unit continues: their past years (reorganisations).
    units = with_predecessors(request.user)
    unit = unit_for_request(request, units)
    today = timezone.localdate()
    year = year_param(request, today.year)  # the current year first (Asia/Ho_Chi_Minh)
    fmt = choice_param(request, "format", exports.FORMATS + report.FORMATS)
    sort = choice_param(request, "sort", steering.SORTS)
    if unit is None:
        return render(request, "recruitment/dashboard/empty.html", {"year": year})

    versions = figures_cache.versions_of(unit)  # read once for the figures and the warnings
    cached = figures_cache.dashboard_figures(unit, year, today, versions)
    rows, steered = cached.rows, cached.steering
    figures_key, figures_timeout = cached.key, cached.timeout
    # A unit the user's unit continues (a reorganisation): after a split it is read alone,
    # and the cells that the other new unit took over are not this user's to see, neither
    # as rows nor by their people's names in the warnings. Its own row stays: its past is
    # what both new units continue.
    continued = not request.user.can_change(unit)
    if continued:
        shown = units.filter(pk__in=[row.unit.pk for row in rows[1:]])
        readable = set(shown.values_list("pk", flat=True))
        if len(readable) < len(rows) - 1:
            rows = [rows[0], *(row for row in rows[1:] if row.unit.pk in readable)]
            steered = [steered[0], *(s for s in steered[1:] if s.figures.unit.pk in readable)]
            figures_key, figures_timeout = "", 0  # tables for this reader only: not kept
    pace = figures.pace(rows[0], today, steered[0].plan)
    # Reorganisations: the predecessors' line, in the page and in every file made of it.
    unit_lineage = lineage(unit, year)
    if fmt in report.FORMATS:
        try:
            return report.response(
                fmt, rows, unit=unit, year=year, today=today, pace=pace, lineage=unit_lineage
            )
        except docx.CannotFill as error:
            messages.error(
                request,
                _(
                    "The report cannot be filled from your unit's template. %(error)s Ask the "
                    "Organisation Board staff who uploaded it to correct it."
                )
                % {"error": error},
            )
            return redirect(f"{request.path}?{urlencode({'year': year, 'unit': unit.pk})}")
    if fmt:
        export = exports.Export(unit, year, timezone.localtime(), rows, steered, pace, unit_lineage)
        return exports.response(fmt, export, today=today)

    if continued:
        theirs = Candidate.objects.in_subtree(unit).filter(unit__in=units)
        warnings = figures_cache.DashboardWarnings(due_items(unit, today, candidates=theirs), "")
    else:
        warnings = figures_cache.dashboard_warnings(unit, today, versions)
    page = {
        "cached": cached,
        "rows": rows,
        "steered": steered,
        "pace": pace,
        "lineage": unit_lineage,
        "warnings": warnings,
        "continued": continued,
        "figures_key": figures_key,
        "figures_timeout": figures_timeout,
        "sort": sort,
    }
    if flag_param(request, "print"):
        context = _page_context(unit, year, today, **page)
        context["printing"] = True
        # The official header names the level above, even one outside the user's scope:
        # it is the unit that set the quota, not a secret.
        parent = Organisation.objects.get_parent(unit)
        context["parent_name"] = parent.name if parent else ""
        return render(request, "recruitment/dashboard/print.html", context)

    # The page below the breadcrumbs is the same for every reader of this unit's dashboard
    # with the same role, query and day, at the same versions: kept whole beside its
    # figures (and, as they are, not when drawn from a replica: ``kept_or_computed``). Not
    # for a unit the reader's unit continues (the rows are theirs only), nor one a
    # reorganisation links (its predecessors' line counts rows of other regions, whose
    # versions the key does not hold), nor for a query with other parameters (each would
    # be a page more in the shared cache).
    def draw(_kept=False) -> str:
        context = _page_context(unit, year, today, **page)
        return render_to_string("recruitment/dashboard/_page.html", context, request)

    if (
        figures_key
        and warnings.key
        and not continued
        and not unit_lineage
        and set(request.GET) <= PAGE_PARAMETERS
    ):
        key = make_template_fragment_key(
            "dashboard_page",
            [figures_key, warnings.key, sort, request.GET.urlencode(), request.user.is_board_staff],
        )
        body = figures_cache.kept_or_computed(key, draw)
    else:
        body = draw()
    context = {
        "unit": unit,
        "year": year,
        "breadcrumbs": breadcrumbs_for(request, units, unit),
        "body": mark_safe(body),  # drawn by this app from _page.html
    }
    return render(request, "recruitment/dashboard/dashboard.html", context)


def _page_context(
    unit,
    year,
    today,
    *,
    cached,
    rows,
    steered,
    pace,
    lineage,
    warnings,
    continued,
    figures_key,
    figures_timeout,
    sort,
) -> dict:
    """What ``_page.html`` and ``print.html`` draw."""
    own, children = rows[0], rows[1:]
    months = cached.months
    elapsed_months = 12 if year < today.year else (today.month if year == today.year else 0)
    warning_groups = warnings.groups
    funnel_stages = [(Stage(s).label, own.pipeline.get(s, 0)) for s in stages.ACTIVE]
    funnel_stages.append((_("Admitted in %(year)s") % {"year": year}, own.admitted))
    child_rows = steering.rank(steered[1:], sort)
    return {
        "unit": unit,
        "year": year,
        "today": today,
        "own": own,
        "children": children,
        "pace": pace,
        "stages": [Stage(s) for s in stages.ACTIVE],
        "months": months,
        "composition": cached.composition,
        "retention": cached.retention,
        "warning_groups": warning_groups,
        "warning_total": sum(g.total for g in warning_groups),
        "rows": rows,
        "quota_change_text": quota_change_text(own),
        # Drawn by the template only when its fragment is not kept (_page.html): a
        # district's quota chart was a fifth of its page. Each is drawn from the figures.
        "quota_chart": partial(charts.quota_bars, child_rows) if children else "",
        "pace_chart": partial(
            charts.pace_line,
            months,
            own.quota,
            elapsed_months=elapsed_months,
            plan=steered[0].plan if pace.planned else None,  # as the headline's pace
        ),
        "funnel_chart": partial(charts.funnel, funnel_stages),
        "no_source_count": sum(1 for r in children if r.no_source),
        # Below quota once the year is over; below the pace while it runs; never before.
        "behind_count": sum(1 for r in child_rows if r.flagged and r.year_over),
        "behind_pace_count": sum(1 for r in child_rows if r.behind_pace),
        "own_steering": steered[0],
        "steering_rows": [steered[0], *child_rows],
        "candidate_list": reverse("recruitment:candidate-list"),
        "sort": sort,
        "sorts": steering.sort_choices(),
        "overdue_kinds": steering.Overdue.choices(),
        "earlier_years": [y.year for y in steered[0].earlier],
        "has_quotas": any(r.quota is not None for r in rows),
        # A unit this reader's unit continues (a reorganisation) is read, not acted on:
        # its reminders and monthly plan are its successors' pages.
        "continued": continued,
        # The tables drawn from the figures are kept in the cache under their key, as long
        # as they are (not at all when read from a replica).
        "figures_key": figures_key,
        "warnings_key": warnings.key,
        "figures_timeout": figures_timeout,
        "warnings_timeout": warnings.timeout,
        "lineage": lineage,
        "printing": False,
    }
