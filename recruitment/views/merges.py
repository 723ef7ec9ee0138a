"""Two records of one person: the staff's list of likely duplicates, and merging a pair
after a side-by-side comparison and a confirmation (issue 10 §4 and §5).

The rules are the pipeline's (``pipeline.candidate_merge_rules``, ``member_merge_rules``,
``link_rules``), the writes the services'; these pages show what they say.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.formats import date_format
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.decorators import staff_required
from recruitment import duplicates, pipeline, services
from recruitment.forms import (
    CANDIDATE_FIELDS,
    FOLLOWS_CANDIDATE,
    MEMBER_FIELDS,
    MEMBER_IDENTITY,
    MergeForm,
)
from recruitment.models import Candidate, PartyMember
from recruitment.paging import Stream, window
from recruitment.views.decorators import read_only
from recruitment.views.replies import refused_if_posted

PAGE_SIZE = 20


@staff_required
@read_only
def duplicate_list(request):
    """Pairs of records of the user's subtree that are likely one person."""
    # The pairs are made as the page asks for them (in name order), not counted: a page
    # reads the records of its own names, whatever the size of the scope.
    page = window(Stream(duplicates.pairs_of(request.user)), request, PAGE_SIZE)
    if page.number > 1 and not page.object_list:  # past the end (pairs merged since)
        return redirect("recruitment:duplicate-list")
    pairs = duplicates.read_records(page.object_list)
    return render(
        request,
        "recruitment/duplicates/list.html",
        {
            "page_obj": page,
            "pairs": pairs,
            # Known when they all fit on the first page; otherwise the pages say "next".
            "count": len(pairs) if page.number == 1 and not page.has_next else None,
        },
    )


def twins_for(request, record) -> list[tuple]:
    """For staff, who merge: the records of their subtree that are likely the same person,
    each with its comparison page."""
    if not request.user.is_board_staff:
        return []
    return [
        (twin, duplicates.merge_url(record, twin))
        for twin in duplicates.twins_of(record, request.user)
    ]


# --- The comparison -----------------------------------------------------------------------------


@dataclass
class Row:
    label: str
    first: str
    second: str
    choice: object = None  # the bound radio field when the user chooses

    @property
    def differs(self) -> bool:
        return self.first != self.second


def _shown(record, name: str) -> str:
    """A field's value as a person reads it (staff see ID numbers in full)."""
    field = type(record)._meta.get_field(name)
    value = getattr(record, name)
    if value in (None, ""):
        return "—"
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, date):
        return date_format(value, "SHORT_DATE_FORMAT")
    return str(value)


def _label(model, name: str) -> str:
    return capfirst(model._meta.get_field(name).verbose_name)


def _history_rows(first, second) -> list[Row]:
    """What each record brings with it, kept whichever record is kept."""
    if isinstance(first, Candidate):
        count = [
            (_("Stage history"), lambda c: c.stage_changes.count()),
            (_("Classes"), lambda c: c.enrolments.count()),
            (_("Mentors and introducers"), lambda c: c.sponsorships.count()),
        ]
    else:
        count = [
            (_("Transfers"), lambda m: m.transfers.count()),
            (_("Candidates mentored or introduced"), lambda m: m.sponsorships.count()),
        ]
    return [Row(label, str(how(first)), str(how(second))) for label, how in count]


@dataclass
class MergeKind:
    """What differs between the three kinds of pair."""

    template_title: object
    fields: list[str]  # shown side by side
    choosable: list[str]  # of which the user picks a value
    keep_choice: bool


def _kind_for(first, second) -> MergeKind:
    if isinstance(first, Candidate) and isinstance(second, Candidate):
        return MergeKind(
            gettext_lazy("Merge two candidate records"),
            ["stage", "stage_since", *CANDIDATE_FIELDS],
            list(CANDIDATE_FIELDS),
            True,
        )
    if isinstance(first, PartyMember) and isinstance(second, PartyMember):
        linked = first.candidate_id or second.candidate_id
        # A member admitted through the pipeline follows the candidate's record, which says
        # who they are: the removed record's numbers stay in its history.
        follows = {*FOLLOWS_CANDIDATE, *MEMBER_IDENTITY}
        choosable = [n for n in MEMBER_FIELDS if not linked or n not in follows]
        return MergeKind(
            gettext_lazy("Merge two party member records"), list(MEMBER_FIELDS), choosable, True
        )
    identity = ["full_name", "date_of_birth", "citizen_id", "old_id_number"]
    return MergeKind(
        gettext_lazy("Link a candidate to a party member record"),
        [*identity, "unit"],
        identity,
        False,
    )


def _rows(form: MergeForm, kind: MergeKind) -> list[Row]:
    first, second = form.first, form.second
    choices = dict(form.value_fields())
    rows = []
    for name in kind.fields:
        if not hasattr(first, name) or not hasattr(second, name):
            continue
        rows.append(
            Row(
                _label(type(first), name),
                _shown(first, name),
                _shown(second, name),
                choices.get(name),
            )
        )
    if isinstance(first, Candidate) and isinstance(second, PartyMember):
        rows.append(Row(_("Admitted"), _shown(first, "decision_on"), _shown(second, "admitted_on")))
        rows.append(Row(_("Stage"), _shown(first, "stage"), _("Party member")))
    return rows


def _merge(request, form: MergeForm, kind: MergeKind):
    """The service's merge of what the confirmed form says; the record to go to after."""
    kept, removed = form.kept_and_removed()
    reason = form.cleaned_data["reason"]
    if not kind.keep_choice:
        return services.link_member(
            candidate=form.first,
            member=form.second,
            values=form.values(form.first),
            reason=reason,
            by=request.user,
            versions=(form.cleaned_data["first_version"], form.cleaned_data["second_version"]),
        )
    merge = services.merge_candidates if isinstance(kept, Candidate) else services.merge_members
    return merge(
        kept=kept,
        removed=removed,
        values=form.values(kept),
        reason=reason,
        by=request.user,
        versions=form.versions(),
    )


def _rules(form: MergeForm, kind: MergeKind) -> list:
    kept, removed = form.kept_and_removed()
    if not kind.keep_choice:
        return pipeline.link_rules(form.first, form.second, form.values(form.first))
    if isinstance(kept, Candidate):
        return pipeline.candidate_merge_rules(kept, removed, form.values(kept))
    return pipeline.member_merge_rules(kept, removed, form.values(kept))


def _merge_page(request, first, second):
    kind = _kind_for(first, second)
    form = MergeForm(
        request.POST or None,
        first=first,
        second=second,
        choosable=kind.choosable,
        keep_choice=kind.keep_choice,
    )
    broken = []
    if request.method == "POST" and form.is_valid():
        kept, removed = form.kept_and_removed()
        if form.cleaned_data["confirmed"]:
            try:
                record = _merge(request, form, kind)
            except pipeline.MoveRefused as refused:
                broken = refused.broken
            except ValidationError as error:
                form.add_error(None, error.messages)
            else:
                if kind.keep_choice:
                    text = _("Record #%(removed)s was merged into %(name)s (#%(kept)s).") % {
                        "removed": removed.pk,
                        "name": record.full_name,
                        "kept": record.pk,
                    }
                else:
                    text = _("%(name)s: the member record now follows the candidate's.") % {
                        "name": record.full_name
                    }
                messages.success(request, text)
                return redirect(record)
        else:
            broken = _rules(form, kind)
            if not broken:
                return render(
                    request,
                    "recruitment/duplicates/confirm.html",
                    {
                        "form": form,
                        "title": kind.template_title,
                        "kept": kept,
                        "removed": removed if kind.keep_choice else None,
                        "first": first,
                        "second": second,
                        "changes": [
                            (_label(type(kept), name), _shown(kept, name), value)
                            for name, value in _changes(form, kept).items()
                        ],
                        "keep_choice": kind.keep_choice,
                    },
                )
    if broken:
        messages.error(request, _("These records cannot be merged: see why below."))
    else:
        refused_if_posted(request)
    return render(
        request,
        "recruitment/duplicates/compare.html",
        {
            "form": form,
            "title": kind.template_title,
            "first": first,
            "second": second,
            "rows": _rows(form, kind),
            "history_rows": _history_rows(first, second) if kind.keep_choice else [],
            "broken": [str(b) for b in broken],
            "keep_choice": kind.keep_choice,
        },
    )


def _changes(form: MergeForm, kept) -> dict[str, str]:
    """The values the record kept takes from the other, as shown."""
    changed = {}
    for name, value in form.values(kept).items():
        if getattr(kept, name) != value:
            source = form.first if getattr(form.first, name) == value else form.second
            changed[name] = _shown(source, name)
    return changed


def _candidate(request, pk) -> Candidate:
    return get_object_or_404(Candidate.objects.for_user(request.user).select_related("unit"), pk=pk)


def _member(request, pk) -> PartyMember:
    return get_object_or_404(
        PartyMember.objects.for_user(request.user).select_related("unit"), pk=pk
    )


@staff_required
def merge_candidates(request, pk, other_pk):
    first, second = _candidate(request, pk), _candidate(request, other_pk)
    if first.pk == second.pk:
        raise Http404("A record is no pair with itself.")
    return _merge_page(request, first, second)


@staff_required
def merge_members(request, pk, other_pk):
    first, second = _member(request, pk), _member(request, other_pk)
    if first.pk == second.pk:
        raise Http404("A record is no pair with itself.")
    return _merge_page(request, first, second)


@staff_required
def merge_candidate_member(request, pk, member_pk):
    return _merge_page(request, _candidate(request, pk), _member(request, member_pk))
