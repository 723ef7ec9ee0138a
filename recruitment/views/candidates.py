"""Candidate pages: list, detail, add, edit, stage moves, mentors and introducers."""

from dataclasses import dataclass
from dataclasses import fields as dataclass_fields
from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import EmptyResultSet, ValidationError
from django.db import connections
from django.db.models import Prefetch, prefetch_related_objects
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from recruitment import duplicates, pipeline, rollups, services
from recruitment.documents import catalogue
from recruitment.filters import CandidateFilter
from recruitment.forms import (
    CandidateForm,
    PaperRecordForm,
    SponsorForm,
    correctable_by,
    correction_form_class,
    move_form_class,
)
from recruitment.models import Candidate, Enrolment, Organisation, Sponsorship
from recruitment.paging import window
from recruitment.stages import Stage
from recruitment.text import mask_citizen_id
from recruitment.views.decorators import read_only
from recruitment.views.merges import twins_for
from recruitment.views.replies import refused_if_posted

PAGE_SIZE = 25


@dataclass(frozen=True, slots=True)
class ListRow:
    """A row of the candidate list: what it shows, read as values. A candidate has 48
    columns: reading them all into objects cost a quarter of the list's time, and reading
    the row's columns into deferred ``Candidate`` and ``Organisation`` objects still cost
    0.55 ms a page more than these rows."""

    pk: int
    full_name: str
    works_away: bool
    stage: str
    stage_since: date | None
    source: str
    citizen_id: str
    unit_id: int
    unit_name: str

    # The candidate's own, which read only ``pk`` and ``source``.
    get_absolute_url = Candidate.get_absolute_url
    get_source_display = Candidate.get_source_display


# The columns of a ``ListRow``, in its order.
LIST_COLUMNS = tuple(
    {"unit_name": "unit__name"}.get(f.name, f.name) for f in dataclass_fields(ListRow)
)
# The stage buttons of the list count up to this many candidates (see _stage_counts); those
# of a search up to SEARCH_COUNT_LIMIT, as the admin's searches: a national search of a
# common name ("nguyen van an", 11,895 matches) spent 50 ms counting 10,001 of them, 15 ms
# counting 1,001.
COUNT_LIMIT = 10_000
SEARCH_COUNT_LIMIT = 1_000


def _count_limit(filterset) -> int:
    return SEARCH_COUNT_LIMIT if filterset.searching else COUNT_LIMIT


def _get_candidate_for_user(request, pk: int) -> Candidate:
    """The candidate if it lies in the user's subtree; 404 otherwise, so outsiders learn nothing."""
    return get_object_or_404(Candidate.objects.for_user(request.user).select_related("unit"), pk=pk)


# Parameters that do not narrow the list down to fewer units' candidates.
NOT_FILTERS = {"stage", "page", "sort", "unit", "unit_q"}


def _stage_counts(request, filterset) -> tuple[list[tuple[str, str, int | None]], bool]:
    """Counts per stage for the current filters, ignoring the stage filter itself, and
    whether they are shown. One query.

    The whole scope or one unit's subtree: the kept counts of that unit (``rollups``).
    Other filters: the matching rows are counted, at most ``_count_limit()`` + 1 of them;
    past that the stages are listed without counts, so a national list is not counted row
    by row.
    """
    data = request.GET.copy()
    data.pop("stage", None)
    data.pop("page", None)
    valid = not filterset.is_bound or filterset.is_valid()
    if valid and not any(v for k, v in data.items() if k not in NOT_FILTERS):
        unit = filterset.form.cleaned_data.get("unit") if filterset.is_bound else None
        counts = _kept_stage_counts(request.user, unit)
        if counts is not None:
            return [(s.value, s.label, counts.get(s.value, 0)) for s in Stage], True
    limit = _count_limit(filterset)
    counts = _capped_stage_counts(filterset.queryset_without("stage", "sort"), limit)
    counted = sum(counts.values()) <= limit
    return [
        (stage.value, stage.label, counts.get(stage.value, 0) if counted else None)
        for stage in Stage
    ], counted


def _capped_stage_counts(queryset, limit: int) -> dict[str, int]:
    """Candidates per stage among the first ``limit`` + 1 rows of ``queryset``.

    Grouped over the capped rows themselves, ``SELECT stage, COUNT(*) FROM (… LIMIT n)
    GROUP BY stage``: grouping the candidates whose id was IN the capped rows made
    PostgreSQL read every candidate to hash them (a national search's counts took 384 ms,
    over the capped rows 104 ms). Django's ORM groups no subquery, so the capped query is
    the ORM's and the grouping is written here; Django's ``aggregate()`` of one
    ``COUNT … FILTER`` per stage over it cost 1.3 ms more CPU per search to build."""
    capped = queryset.order_by().values("stage")[: limit + 1]
    try:
        sql, params = capped.query.get_compiler(using=capped.db).as_sql()
    except EmptyResultSet:  # a filter that matches nothing, e.g. ``none()``
        return {}
    with connections[capped.db].cursor() as cursor:
        cursor.execute(f"SELECT stage, COUNT(*) FROM ({sql}) capped GROUP BY stage", params)
        return dict(cursor.fetchall())


def _kept_stage_counts(user, unit) -> dict[str, int] | None:
    """Today's candidates per stage in ``unit``'s subtree (else the user's scope), from the
    kept counts: one query. None for a superuser's whole tree of several roots; nothing for a
    user attached to no unit, who sees no candidate."""
    if user.scope_path is None:
        return {s.value: 0 for s in Stage}
    if unit is None:
        unit = user.unit if not user.is_superuser else None
    if unit is None:
        roots = Organisation.objects.root_ids()
        if len(roots) != 1:
            return None
        (unit,) = roots
    pk = getattr(unit, "pk", unit)
    kept = rollups.read([pk], [rollups.NOW], [rollups.stage_key(s) for s in Stage]).get(pk, {})
    return {s.value: kept.get((rollups.NOW, rollups.stage_key(s)), 0) for s in Stage}


@login_required
@read_only
def candidate_list(request):
    candidates = Candidate.objects.for_user(request.user)
    filterset = CandidateFilter(request.GET or None, queryset=candidates, user=request.user)
    queryset = filterset.qs
    if not request.GET.get("sort"):
        queryset = queryset.by_name(searching=filterset.searching)
    page = window(queryset.values_list(*LIST_COLUMNS), request, PAGE_SIZE, ListRow)
    stage_counts, counted = _stage_counts(request, filterset)
    return render(
        request,
        "recruitment/candidates/list.html",
        {
            "filter": filterset,
            "page_obj": page,
            "candidates": page.object_list,
            "stage_counts": stage_counts,
            "counted": counted,
            "count_limit": _count_limit(filterset),
            "current_stage": request.GET.get("stage", ""),
            "show_citizen_id": request.user.is_board_staff,
            "by_unit": request.GET.get("sort", "").lstrip("-") == "unit",
            "filtered": filterset.filtered,
        },
    )


@login_required
def candidate_create(request):
    initial = {}
    if request.user.unit is not None:
        initial["unit"] = request.user.unit
    form = CandidateForm(request.POST or None, user=request.user, initial=initial)
    if form.is_valid():
        try:
            candidate = services.create_candidate(
                by=request.user,
                same_person_confirmed=form.cleaned_data["same_person_confirmed"],
                **form.candidate_values(),
            )
        except ValidationError as error:
            form.refuse(error)
        else:
            messages.success(
                request,
                _("%(name)s was added to the source list of %(unit)s.")
                % {"name": candidate.full_name, "unit": candidate.unit.name},
            )
            return redirect(candidate)
    refused_if_posted(request)
    return render(request, "recruitment/candidates/form.html", {"form": form, "candidate": None})


@login_required
def candidate_record(request):
    """Someone who went through the pipeline before the app, recorded from the paper file."""
    initial = {"unit": request.user.unit} if request.user.unit is not None else {}
    form = PaperRecordForm(request.POST or None, user=request.user, initial=initial)
    if form.is_valid():
        try:
            candidate = services.record_from_paper(by=request.user, **form.record_values())
        except ValidationError as error:
            form.refuse(error)
        except pipeline.MoveRefused as refused:
            for broken in refused.broken:
                form.add_error(broken.field if broken.field in form.fields else None, str(broken))
        else:
            messages.success(
                request,
                _("%(name)s was recorded from the paper file, up to “%(stage)s”.")
                % {"name": candidate.full_name, "stage": candidate.get_stage_display()},
            )
            return redirect(candidate)
    refused_if_posted(request)
    return render(request, "recruitment/candidates/record.html", {"form": form})


@login_required
def candidate_edit(request, pk):
    candidate = _get_candidate_for_user(request, pk)
    form = CandidateForm(request.POST or None, instance=candidate, user=request.user)
    if form.is_valid():
        form.save()
        messages.success(request, _("Changes to %(name)s saved.") % {"name": candidate.full_name})
        return redirect(candidate)
    refused_if_posted(request)
    return render(
        request, "recruitment/candidates/form.html", {"form": form, "candidate": candidate}
    )


def _requirements(candidate: Candidate, stage: str | None) -> list[str]:
    """What still stands between the candidate and ``stage``, in plain words."""
    if stage is None:
        return []
    return [str(broken) for broken in pipeline.check(candidate, stage)]


@login_required
@read_only
def candidate_detail(request, pk):
    candidate = _get_candidate_for_user(request, pk)
    next_stage = pipeline.next_stage(candidate)
    # Read once, for the page and for the next step's rules (``pipeline.check``).
    prefetch_related_objects(
        [candidate],
        Prefetch(
            "sponsorships",
            Sponsorship.objects.select_related("member__unit").order_by("ended_on", "role", "pk"),
        ),
        Prefetch("enrolments", Enrolment.objects.select_related("training_class__unit")),
    )
    sponsorships = list(candidate.sponsorships.all())
    for sponsorship in sponsorships:
        sponsorship.endable = not pipeline.end_sponsorship_rules(candidate, sponsorship)
    enrolments = list(candidate.enrolments.all())
    for enrolment in enrolments:
        # A class of another ward (the city's staff enrolled the candidate there, or the
        # candidate moved) is named, not linked: its page is not this reader's to open.
        enrolment.linked = request.user.sees_from_line(enrolment.training_class.unit)
    changes = list(candidate.stage_changes.select_related("by").order_by("-at", "-pk"))
    broken = pipeline.check(candidate, next_stage) if next_stage else []
    missing = [str(b) for b in broken]
    correctable = set(correctable_by(candidate, request.user))
    other_moves = [
        (stage, Stage(stage).label, pipeline.kind_of_move(candidate.stage, stage))
        for stage in pipeline.allowed_moves(candidate)
        if stage != next_stage
    ]
    return render(
        request,
        "recruitment/candidates/detail.html",
        {
            "candidate": candidate,
            "next_stage": next_stage,
            "next_stage_label": Stage(next_stage).label if next_stage else "",
            "missing": missing,
            "missing_here": any(b.field in correctable for b in broken),
            "correctable": bool(correctable),
            "other_moves": other_moves,
            "sponsorships": sponsorships,
            "enrolments": enrolments,
            "changes": changes,
            "show_citizen_id": request.user.is_board_staff,
            "twins": twins_for(request, candidate),
            "paperwork": _paperwork(candidate),
            "documents": catalogue.GENERATED if request.user.can_change(candidate.unit) else [],
            "is_active": pipeline.is_active(candidate),
        },
    )


def _paperwork(candidate: Candidate) -> list[tuple[str, object]]:
    """Every paperwork field recorded so far, with its label."""
    names = [name for stage_fields in pipeline.STEP_FIELDS.values() for name in stage_fields]
    rows = []
    for name in dict.fromkeys(names):
        value = getattr(candidate, name)
        if value not in (None, ""):
            rows.append((Candidate._meta.get_field(name).verbose_name, value))
    return rows


@login_required
def candidate_move(request, pk, stage):
    candidate = _get_candidate_for_user(request, pk)
    if stage not in Stage.values:
        raise Http404("No such stage")
    kind = pipeline.kind_of_move(candidate.stage, stage)
    if kind is None:
        for broken in pipeline.check(candidate, stage):
            messages.error(request, str(broken))
        return redirect(candidate)

    form_class = move_form_class(stage)
    initial = {**pipeline.suggested_paperwork(candidate, stage), "version": candidate.version}
    form = form_class(request.POST or None, initial=initial)
    if kind in (pipeline.Move.BACK, pipeline.Move.EXIT):
        form.fields["reason"].required = True
    doubts = []
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        reason = data.pop("reason", "")
        version = data.pop("version", None)
        try:
            pipeline.move(
                candidate,
                stage,
                by=request.user,
                reason=reason,
                changes=data,
                confirmed=set(request.POST.getlist("confirm")),
                version=version,
            )
        except pipeline.MoveRefused as refused:
            doubts = [broken for broken in refused.broken if broken.confirmable]
            for broken in refused.broken:
                if not broken.confirmable:
                    form.add_error(
                        broken.field if broken.field in form.fields else None, str(broken)
                    )
        else:
            messages.success(
                request,
                _("%(name)s moved to “%(stage)s”.")
                % {"name": candidate.full_name, "stage": Stage(stage).label},
            )
            return redirect(candidate)
    refused_if_posted(request)
    return render(
        request,
        "recruitment/candidates/move.html",
        {
            "candidate": candidate,
            "form": form,
            "stage": stage,
            "stage_label": Stage(stage).label,
            "kind": kind,
            "missing": _requirements(candidate, stage) if kind == pipeline.Move.FORWARD else [],
            "doubts": doubts,
            "members_unknown": stage == Stage.PROPOSED
            and not pipeline.cell_members_on(candidate, timezone.localdate()),
        },
    )


@login_required
def candidate_correct(request, pk):
    """Paperwork of steps already taken, entered late or corrected, with a reason."""
    candidate = _get_candidate_for_user(request, pk)
    form_class = correction_form_class(candidate, request.user)
    form = form_class(request.POST or None, instance=candidate, user=request.user)
    if request.method == "POST" and form.is_valid():
        fresh = _get_candidate_for_user(request, pk)  # the form has written on ``candidate``
        try:
            changed = pipeline.correct(
                fresh, form.changes(), by=request.user, reason=form.cleaned_data["reason"]
            )
        except pipeline.MoveRefused as refused:
            for broken in refused.broken:
                form.add_error(broken.field if broken.field in form.fields else None, str(broken))
        else:
            if changed:
                messages.success(
                    request, _("The record of %(name)s was corrected.") % {"name": fresh.full_name}
                )
            else:
                messages.info(request, _("Nothing changed."))
            return redirect(fresh)
    refused_if_posted(request)
    return render(
        request, "recruitment/candidates/correct.html", {"form": form, "candidate": candidate}
    )


def _sponsor_words(sponsorship: Sponsorship) -> dict[str, str]:
    """The names a message about a mentor or introducer uses."""
    return {
        "member": sponsorship.member.full_name,
        "role": sponsorship.get_role_display().lower(),
        "name": sponsorship.candidate.full_name,
    }


@login_required
def sponsor_add(request, pk):
    candidate = _get_candidate_for_user(request, pk)
    role = request.GET.get("role")
    initial = {"role": role} if role in Sponsorship.Role.values else {}
    form = SponsorForm(
        request.POST or None,
        user=request.user,
        candidate=candidate,
        initial=initial,
        instance=Sponsorship(candidate=candidate),
    )
    if form.is_valid():
        try:
            sponsorship = services.add_sponsor(candidate=candidate, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _("%(member)s is now %(role)s of %(name)s.") % _sponsor_words(sponsorship),
            )
            return redirect(candidate)
    refused_if_posted(request)
    return render(
        request, "recruitment/candidates/sponsor_form.html", {"form": form, "candidate": candidate}
    )


@login_required
@require_POST
def sponsor_remove(request, pk, sponsorship_pk):
    candidate = _get_candidate_for_user(request, pk)
    sponsorship = get_object_or_404(
        candidate.sponsorships.select_related("member"), pk=sponsorship_pk, ended_on__isnull=True
    )
    for broken in pipeline.end_sponsorship_rules(candidate, sponsorship):
        messages.error(request, str(broken))
        return redirect(candidate)
    sponsorship.ended_on = timezone.localdate()
    sponsorship.save(update_fields=["ended_on"])
    messages.success(
        request, _("%(member)s is no longer %(role)s of %(name)s.") % _sponsor_words(sponsorship)
    )
    return redirect(candidate)


# Fields whose changes the History tab does not list: derived or bookkeeping.
HISTORY_HIDDEN_FIELDS = {"search_name", "updated_at", "created_at", "version"}


def _history_entries(candidate: Candidate, show_citizen_id: bool) -> list[dict]:
    """Each saved version of the candidate: who, when, and which fields went from what to what.

    One query: the versions with their users; the differences are computed in Python.
    """
    versions = list(candidate.history.select_related("history_user").order_by("history_date"))
    entries = []
    previous = None
    for version in versions:
        changes = []
        if previous is not None:
            delta = version.diff_against(previous)
            for change in delta.changes:
                if change.field in HISTORY_HIDDEN_FIELDS:
                    continue
                field = Candidate._meta.get_field(change.field)
                old, new = change.old, change.new
                if change.field in duplicates.ID_FIELDS and not show_citizen_id:
                    old, new = mask_citizen_id(old), mask_citizen_id(new)
                elif field.choices:
                    old = dict(field.flatchoices).get(old, old)
                    new = dict(field.flatchoices).get(new, new)
                changes.append({"label": field.verbose_name, "old": old, "new": new})
        entries.append(
            {
                "at": version.history_date,
                "user": version.history_user,
                "kind": version.history_type,
                "reason": version.history_change_reason,
                "changes": changes,
            }
        )
        previous = version
    entries.reverse()
    return entries


@login_required
@read_only
def candidate_history(request, pk):
    candidate = _get_candidate_for_user(request, pk)
    return render(
        request,
        "recruitment/candidates/history.html",
        {
            "candidate": candidate,
            "entries": _history_entries(candidate, request.user.is_board_staff),
        },
    )
