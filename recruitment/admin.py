"""Django admin: every model, scoped to the user's subtree, stage moves through the pipeline."""

import copy
from types import SimpleNamespace

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.views.main import SEARCH_VAR, ChangeList
from django.core.paginator import Paginator
from django.db import models, transaction
from django.db.models import Q
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from treebeard.forms import MoveNodeForm, movenodeform_factory

from config.admin import AutocompleteMixin, AutocompleteSelect
from recruitment import duplicates, pipeline, rollups, services, stages
from recruitment.documents.catalogue import GENERATED, QUOTA_REPORT
from recruitment.documents.models import DocumentTemplate, PaperworkSetting
from recruitment.documents.render import MAX_TEMPLATE_BYTES, check_fills, check_template
from recruitment.filters import search_by_name_or_number
from recruitment.forms import (
    MEMBER_DATES,
    MEMBER_FIELDS,
    add_class_dates_errors,
    add_sponsorship_errors,
    member_date_errors,
    member_leaving_errors,
)
from recruitment.models import (
    MAX_YEAR,
    MIN_YEAR,
    Candidate,
    Enrolment,
    Holiday,
    Organisation,
    PartyMember,
    Quota,
    Sponsorship,
    StageChange,
    Tally,
    TrainingClass,
    Transfer,
    name_ordering,
)
from recruitment.stages import Stage
from recruitment.templatetags.admin_rows import links_rows_by_id_alone
from recruitment.text import search_key
from recruitment.views.params import MAX_ID, parse_int
from recruitment.widgets import JSONField


class CappedPaginator(Paginator):
    """Counts at most ``limit`` + 1 rows: a change list at national scope shows "10001" and
    its first hundred pages rather than counting a million rows each time
    (``ScopedAdminMixin.get_paginator`` gives the limit).

    ``ids_first`` (a search): the ids of those rows are read in the list's order, in one
    query that both counts them and says which rows each page holds, read then by id. A
    search served by the trigram index scans it once so, not once to count and again for
    the page: a national search of a common name ("nguyen van", 11,897 matches) read
    its index twice, in ~30 and ~70 ms, now once in ~60 ms and its page by id in ~3 ms."""

    def __init__(self, *args, limit: int, ids_first: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.limit = limit
        self.ids_first = ids_first

    @cached_property
    def ids(self) -> list:
        """The ids of the first ``limit`` + 1 rows, in the list's order."""
        return list(self.object_list.values_list("pk", flat=True)[: self.limit + 1])

    @cached_property
    def count(self):
        if self.ids_first:
            return len(self.ids)
        # Unordered: which 10,001 rows are counted does not matter, sorting them first does.
        return self.object_list.order_by()[: self.limit + 1].count()

    def page(self, number):
        page = super().page(number)  # its rows a slice of the list, not yet read
        if self.ids_first:
            # The list's own queryset (its scope, search and order), narrowed to the ids of
            # the page's rows (Django's bounds: its orphans on the last page).
            ids = self.ids[max(page.start_index() - 1, 0) : page.end_index()]
            page.object_list = self.object_list.filter(pk__in=ids)
        return page


ADMIN_COUNT_LIMIT = 10_000
# A search counts its matches up to here ("1001": ten pages, then narrow the search): a
# national search of a common name ("nguyen van", 11,895 candidates) spent 151 ms counting
# 10,001 of them, 26 ms counting 1,001.
ADMIN_SEARCH_COUNT_LIMIT = 1_000


@links_rows_by_id_alone
class RowLinksChangeList(ChangeList):
    """Django's change list, whose rows link to their change pages with the list's filters
    written once: Django's ``add_preserved_filters`` resolves each row's URL to see whether
    it is the change list's own (never, for a row), 0.4 ms a row, 40 ms for a page of a
    hundred found by a search. The links are the same (a test compares them)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.row_filters = self.preserved_filters
        self.preserved_filters = ""  # what ``items_for_result`` adds to each row's URL

    def url_for_result(self, result):
        url = super().url_for_result(result)
        return f"{url}?{self.row_filters}" if self.row_filters else url


class ScopedAdminMixin(AutocompleteMixin):
    """Rows and foreign-key choices limited to the user's subtree, as in the views (with
    autocomplete widgets that survive a value that is no id: AutocompleteMixin).

    Change lists do not count the whole table ("N total") and count the filtered rows up
    to a limit (``CappedPaginator``).
    """

    show_full_result_count = False
    paginator = CappedPaginator

    def get_changelist(self, request, **kwargs):
        return RowLinksChangeList

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        searching = bool(request.GET.get(SEARCH_VAR, "").strip())
        return self.paginator(
            queryset,
            per_page,
            orphans,
            allow_empty_first_page,
            limit=ADMIN_SEARCH_COUNT_LIMIT if searching else ADMIN_COUNT_LIMIT,
            ids_first=searching,
        )

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return queryset.for_user(request.user)

    def action_checkbox(self, obj):
        """Django's checkbox of a row, the same HTML written here: Django renders a form
        widget's templates for it on every row, 40% of what a change list's hundred rows
        cost to draw (a national search of candidates: 64.7 → 44.1 ms of CPU)."""
        label = format_html(gettext("Select this object for an action - {}"), str(obj))
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            ACTION_CHECKBOX_NAME,
            str(obj.pk),
            label,
        )

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        queryset = db_field.related_model._default_manager.get_queryset()
        if hasattr(queryset, "for_user"):
            kwargs.setdefault("queryset", queryset.for_user(request.user))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if isinstance(db_field, models.JSONField):
            kwargs.setdefault("form_class", JSONField)  # a too long number is no 500
        return super().formfield_for_dbfield(db_field, request, **kwargs)


class PreloadedAutocompleteSelect(AutocompleteSelect):
    """An autocomplete that labels its selected option without a query when it can.

    Django's widget looks its selected object up once per form, so an inline of N rows
    would run N queries; the inline below hands each row's widget the object it already has.
    """

    preloaded: dict[str, str] | None = None

    def optgroups(self, name, value, attr=None):
        selected = {str(v) for v in value if str(v) not in self.choices.field.empty_values}
        if self.preloaded is None or not selected or not selected <= self.preloaded.keys():
            return super().optgroups(name, value, attr)
        options = [] if self.is_required else [self.create_option(name, "", "", False, 0)]
        for key in selected:
            options.append(
                self.create_option(name, key, self.preloaded[key], selected, len(options))
            )
        return [(None, options, 0)]


class PreloadedInlineMixin:
    """Inline rows whose autocomplete fields cost no query each (see the widget above).

    ``get_queryset`` must ``select_related`` the autocomplete fields.
    """

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name in self.autocomplete_fields:
            kwargs["widget"] = PreloadedAutocompleteSelect(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_formset(self, request, obj=None, **kwargs):
        formset_class = super().get_formset(request, obj, **kwargs)
        names = list(self.autocomplete_fields)

        class PreloadedFormSet(formset_class):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                for form in self.initial_forms:
                    for name in names:
                        related = getattr(form.instance, name, None)
                        widget = form.fields[name].widget
                        widget = getattr(widget, "widget", widget)
                        if related is not None:
                            widget.preloaded = {str(related.pk): str(related)}

        return PreloadedFormSet


class DiacriticSearchMixin:
    """Search the diacritic-free ``search_name`` so "nguyen duc toan" finds "Nguyễn Đức Toàn"."""

    def get_search_results(self, request, queryset, search_term):
        return super().get_search_results(request, queryset, search_key(search_term))


# The list filters below read their value with parse_int: a value that is no year or no unit
# matches nothing, as a value that is none of the choices does in Django's own filters. Their
# lookups are strings, as Django's "Show counts" (facets) hands each back as the value.


class DecisionYearFilter(admin.SimpleListFilter):
    title = _("year of admission")
    parameter_name = "year"

    def lookups(self, request, model_admin):
        """The years with admissions at the top of the user's scope, from the kept counts
        (not a DISTINCT over every candidate). One query."""
        if request.user.is_superuser:
            tops = Organisation.objects.filter(depth=1)
        else:
            tops = Organisation.objects.filter(pk=request.user.unit_id)
        years = (
            Tally.objects.filter(unit__in=tops, key=rollups.ADMITTED, year__gt=0, n__gt=0)
            .values_list("year", flat=True)
            .distinct()
            .order_by("-year")
        )
        return [(str(year), str(year)) for year in years]

    def has_output(self):
        return True  # a year asked for is applied even when no year has admissions

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        year = parse_int(self.value(), low=MIN_YEAR, high=MAX_YEAR)
        if year is None:
            return queryset.none()
        return queryset.filter(decision_on__year=year)


class QuotaYearFilter(admin.SimpleListFilter):
    title = _("year")
    parameter_name = "year"

    def lookups(self, request, model_admin):
        """Years with quotas at the top of the user's scope (``QuotaQuerySet.near_top``)."""
        years = Quota.objects.near_top(request.user).years()
        return [(str(year), str(year)) for year in years]

    def has_output(self):
        return True  # a year asked for is applied even when no quota is near the top

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        year = parse_int(self.value(), low=MIN_YEAR, high=MAX_YEAR)
        return queryset.none() if year is None else queryset.filter(year=year)


class TopUnitFilter(admin.SimpleListFilter):
    """Filter by a unit and everything under it (the units of the top two levels in scope)."""

    title = _("unit")
    parameter_name = "under"
    unit_path_lookup = "unit__path"

    def lookups(self, request, model_admin):
        units = Organisation.objects.for_user(request.user)
        if not request.user.is_superuser and request.user.unit:
            depth = request.user.unit.depth
        else:
            depth = 1
        # Kept for queryset(): facets filter by every choice, which would cost a query each.
        self.units = {str(unit.pk): unit for unit in units.filter(depth__lte=depth + 1)}
        return [
            (pk, "\u2003" * (unit.depth - depth) + unit.name) for pk, unit in self.units.items()
        ]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        unit = self.units.get(self.value())
        if unit is None:  # a unit deeper down, or one outside the user's scope
            pk = parse_int(self.value(), low=1, high=MAX_ID)
            unit = Organisation.objects.for_user(request.user).filter(pk=pk).first() if pk else None
        if unit is None:
            return queryset.none()
        return queryset.filter(**{f"{self.unit_path_lookup}__startswith": unit.path})


class OrganisationAdminForm(MoveNodeForm):
    """A unit closed here keeps nothing open, in it or below it: its open candidates,
    members and coming classes would be left where no one can be admitted
    (``pipeline.unit_open_rules``). A reorganisation (``/reorganisations/``) closes a unit and
    moves them to its successor."""

    def clean(self):
        cleaned = super().clean()
        unit = self.instance
        closed_on = cleaned.get("closed_on")
        if closed_on and unit.opened_on and closed_on < unit.opened_on:
            self.add_error("closed_on", _("A unit cannot close before it opened."))
        closing = unit.pk is not None and (
            (unit.active and cleaned.get("active") is False)
            or (unit.closed_on is None and closed_on is not None)
        )
        if closing:
            day = closed_on or timezone.localdate()
            under = {"unit__path__startswith": unit.path}  # the unit and every unit below it
            still = {
                "candidates": Candidate.objects.filter(**under)
                .exclude(stage__in=stages.SETTLED)
                .count(),
                "members": PartyMember.objects.filter(**under, left_on__isnull=True).count(),
                "classes": TrainingClass.objects.filter(**under, ends_on__gte=day).count(),
            }
            if any(still.values()):
                self.add_error(
                    "active" if "active" in self.changed_data else "closed_on",
                    _(
                        "%(unit)s still holds %(candidates)d open candidates, %(members)d "
                        "members and %(classes)d coming classes: close it with a "
                        "reorganisation, which moves them to the unit that continues it."
                    )
                    % {"unit": unit.name, **still},
                )
        return cleaned


@admin.register(Organisation)
class OrganisationAdmin(ScopedAdminMixin, DiacriticSearchMixin, admin.ModelAdmin):
    """The unit tree, indented by depth. (treebeard's TreeAdmin looked up every row's parent
    with a query of its own; its position form is kept for adding and moving units.)"""

    form = movenodeform_factory(
        Organisation,
        form=OrganisationAdminForm,
        fields=["name", "code", "kind", "active", "closed_on"],
    )
    list_display = ["indented_name", "code", "kind", "active", "closed_on"]
    list_filter = ["kind", "active"]
    search_fields = ["search_name", "code"]
    ordering = ["path"]

    def get_deleted_objects(self, objs, request):
        """What deleting goes through: the units and every unit below them, as treebeard
        deletes a subtree in one query. Django's page looked at the units themselves only:
        a candidate of a cell below stopped the delete with a 500, not on this page."""
        paths = Q()
        for unit in objs:
            paths |= Q(path__startswith=unit.path)
        subtree = list(Organisation.objects.filter(paths).order_by("path")) if paths else []
        return super().get_deleted_objects(subtree, request)

    @admin.display(description=_("name"), ordering="path")
    def indented_name(self, unit):
        return format_html(
            '<span style="padding-left: {}em">{}</span>', 1.5 * (unit.depth - 1), unit.name
        )


class KeptRows:
    """Rows of ``model`` the admin must not delete, and why: ``why_kept(row)`` of each,
    read with ``related`` ("" for a row that may go). Its delete pages list the reasons as
    Django lists protected rows (``KeptRowsMixin``), and an inline refuses a ticked row
    (``formset``). ``together(rows)``, if given, says why rows may not all go at once (as
    the reasons' strings)."""

    def __init__(self, model, related: list[str], why_kept, together=None):
        self.model, self.related, self.why_kept = model, related, why_kept
        self.together = together

    def reasons(self, rows) -> list[str]:
        """Why any of ``rows`` (a queryset of ``model``) must be kept. One query, and those
        of ``together``."""
        rows = list(rows.select_related(*self.related))
        found = [why for why in map(self.why_kept, rows) if why]
        return [*found, *(self.together(rows) if self.together else [])]

    def formset(self) -> type[forms.BaseInlineFormSet]:
        kept = self

        class KeptRowsFormSet(forms.BaseInlineFormSet):
            """An inline's row ticked for deletion is refused when it must be kept."""

            def clean(self):
                super().clean()
                ticked = [f.instance.pk for f in self.deleted_forms if f.instance.pk is not None]
                reasons = kept.reasons(kept.model.objects.filter(pk__in=ticked))
                if reasons:
                    raise forms.ValidationError(reasons[0])

        return KeptRowsFormSet


class KeptRowsMixin:
    """The delete pages (one row, or "delete selected") refuse, as Django refuses a
    protected row, to delete a row of ``kept`` (``KeptRows``)."""

    kept: KeptRows

    def kept_rows(self, objs):
        """The rows of ``kept.model`` that deleting ``objs`` deletes."""
        return self.kept.model.objects.filter(pk__in=[obj.pk for obj in objs])

    def get_deleted_objects(self, objs, request):
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        reasons = self.kept.reasons(self.kept_rows(list(objs)))
        return deleted, counts, perms_needed, [*protected, *reasons]


def _introducer_in_use(sponsorship: Sponsorship) -> str:
    """Why ``sponsorship`` (as saved) must stay as it is: an introducer, not ended, of a
    dossier the cell has voted on (``pipeline.end_sponsorship_rules``); "" if it may change."""
    if sponsorship.pk is None or sponsorship.ended_on is not None:
        return ""
    broken = pipeline.end_sponsorship_rules(sponsorship.candidate, sponsorship)
    return str(broken[0]) if broken else ""


class SponsorshipAdminForm(forms.ModelForm):
    """A mentor or an introducer, by the pipeline's rules as on the candidate page
    (``forms.add_sponsorship_errors``). An introducer of a dossier the cell voted on stays
    as it was: not ended, nor made a mentor, nor given to another member or candidate."""

    KEPT = ["role", "member", "candidate", "ended_on"]

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk is not None and not self.has_changed():
            return cleaned  # a row of the inline left as it was is not judged again
        stored = self.instance  # as saved: the form writes on it only after clean()
        why = _introducer_in_use(stored)
        changed = [name for name in self.KEPT if name in self.changed_data]
        if why and changed:
            self.add_error(changed[0] if changed[0] in self.fields else None, why)
            return cleaned
        if cleaned.get("candidate") is not None:
            stored.candidate = cleaned["candidate"]
        add_sponsorship_errors(self, stored, cleaned)
        return cleaned


# Introducers of a dossier the cell voted on.
INTRODUCERS = KeptRows(Sponsorship, ["candidate", "member"], _introducer_in_use)


class SponsorshipInline(PreloadedInlineMixin, ScopedAdminMixin, admin.TabularInline):
    model = Sponsorship
    form = SponsorshipAdminForm
    formset = INTRODUCERS.formset()
    extra = 0
    autocomplete_fields = ["member"]
    fields = ["role", "member", "assigned_on", "known_since", "reference", "ended_on"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("member")


class EnrolmentAdminForm(forms.ModelForm):
    """A class result, checked by the pipeline's rules as on the class's pages: a new row
    by the rules of enrolling (or of a past result, in a class that has ended), every row by
    the result rules. A row stays one candidate's place in one class: given to another
    candidate or class, it took a pass from someone who had moved on with it."""

    SIDES = ["candidate", "training_class"]

    def clean(self):
        cleaned = super().clean()
        stored = self.instance  # as saved: the form writes on it only after clean()
        if stored.pk is not None:
            for name in self.SIDES:
                if name in self.changed_data:
                    self.add_error(
                        name,
                        _(
                            "An enrolment stays with its candidate and its class: delete it "
                            "and enrol the other one."
                        ),
                    )
        candidate = cleaned.get("candidate") or (
            Candidate.objects.filter(pk=stored.candidate_id).first()
        )
        training_class = cleaned.get("training_class") or (
            TrainingClass.objects.filter(pk=stored.training_class_id).first()
        )
        if candidate is None or training_class is None or self.errors:
            return cleaned
        if stored.pk is None:
            self._enrolling(candidate, training_class, cleaned)
            if self.errors:
                return cleaned
        enrolment = Enrolment(
            pk=stored.pk,
            candidate=candidate,
            training_class=training_class,
            result=stored.result,
            certificate_on=stored.certificate_on,
        )
        for broken in pipeline.result_rules(
            enrolment,
            result=cleaned.get("result", Enrolment.Result.PENDING),
            certificate_number=cleaned.get("certificate_number", ""),
            certificate_on=cleaned.get("certificate_on"),
        ):
            self.add_error(broken.field if broken.field in self.fields else None, str(broken))
        return cleaned

    def _enrolling(self, candidate, training_class, cleaned) -> None:
        """A new row: who may be enrolled, in a class still to end (``enrolment_rules``),
        or a past result in one that has ended (``past_result_rules``)."""
        if pipeline.enrolment_rules(training_class):
            broken = pipeline.past_result_rules(
                candidate,
                training_class,
                result=cleaned.get("result", Enrolment.Result.PENDING),
                certificate_number=cleaned.get("certificate_number", ""),
                certificate_on=cleaned.get("certificate_on"),
            )
        else:
            broken = pipeline.enrollable_rules(candidate)
        for rule in broken:
            self.add_error(rule.field if rule.field in self.fields else None, str(rule))


def _pass_in_use(enrolment: Enrolment) -> str:
    """Why ``enrolment`` may not be deleted: a pass its candidate moved on with (the class
    results page refuses to take it back too); "" if it may."""
    if enrolment.result != Enrolment.Result.PASSED:
        return ""
    broken = pipeline.result_rules(enrolment, result=Enrolment.Result.PENDING)
    return next((str(b) for b in broken if b.code == "pass_in_use"), "")


def save_enrolment(form: EnrolmentAdminForm, by) -> Enrolment:
    """An enrolment of the admin (its own page, or a row on a candidate's or a class's
    page) saved as the class pages save one (``services``): enrolled, a candidate on the
    source list moves into training; a pass moves one in training on; a row in a class that
    has ended is a past result, its steps dated from the class. The form has checked the
    rules; a move the save still refuses undoes the whole page (``_SaveRefused``)."""
    data = form.cleaned_data
    result = {
        "result": data.get("result", Enrolment.Result.PENDING),
        "certificate_number": data.get("certificate_number", ""),
        "certificate_on": data.get("certificate_on"),
    }
    try:
        if form.instance.pk is None:
            # Both sides as the form set them (a row's page gives its own side).
            candidate, training_class = form.instance.candidate, form.instance.training_class
            if pipeline.enrolment_rules(training_class):  # it has ended
                enrolment = services.record_past_result(
                    candidate=candidate, training_class=training_class, by=by, **result
                )
            else:  # no result before its last day (``pipeline.result_rules``)
                services.enrol(candidates=[candidate], training_class=training_class, by=by)
                enrolment = Enrolment.objects.get(
                    candidate=candidate, training_class=training_class
                )
        else:  # as stored: the form has written its values on its own instance
            stored = Enrolment.objects.select_related("candidate", "training_class")
            enrolment = services.record_result(
                enrolment=stored.get(pk=form.instance.pk), by=by, **result
            )
    except pipeline.MoveRefused as refused:
        raise _SaveRefused(
            [str(_("Nothing was saved: please correct the errors below.")), *refused.messages]
        ) from refused
    form.instance = enrolment
    return enrolment


class EnrolmentsSavedByServicesMixin:
    """Admin pages with enrolment rows: saved by ``save_enrolment``, and a refused save
    (there, or by a candidate's move) shown as the page again with its reasons, nothing of
    it kept."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            with transaction.atomic():
                return super().changeform_view(request, object_id, form_url, extra_context)
        except _SaveRefused as refused:
            # Nothing of the save is kept: the form again, as stored, with the reasons.
            for message in refused.messages:
                self.message_user(request, message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def save_formset(self, request, form, formset, change):
        if formset.model is not Enrolment:
            super().save_formset(request, form, formset, change)
            return
        formset.save(commit=False)  # sorts the rows: new, changed, deleted
        for enrolment in formset.deleted_objects:
            enrolment.delete()
        saved = {
            id(obj) for obj in [*formset.new_objects, *(o for o, _ in formset.changed_objects)]
        }
        # Their candidates are locked already, all at once (``EnrolmentFormSet.clean``).
        for row in formset.forms:
            if id(row.instance) in saved:
                save_enrolment(row, by=request.user)


# Passes a candidate moved on with, and the last class of a candidate in training.
PASSES = KeptRows(
    Enrolment,
    ["candidate"],
    _pass_in_use,
    together=lambda rows: [str(broken) for broken in pipeline.unenrol_rules(rows)],
)


class EnrolmentFormSet(PASSES.formset()):
    """The rows of an enrolment inline: every row's candidate is locked at once, in id order
    (``pipeline.lock_candidates``), before the ticked rows are judged and any row is saved:
    locked row by row, in two rounds (the deleted rows', then the saved ones'), two pages
    saving the same class could each hold a candidate the other waits for."""

    def clean(self):
        candidates = {form.instance.candidate_id for form in self.forms}
        for form in self.forms:
            chosen = getattr(form, "cleaned_data", {}).get("candidate")
            candidates.add(getattr(chosen, "pk", None))
        pipeline.lock_candidates(candidates - {None})
        super().clean()


class EnrolmentInline(PreloadedInlineMixin, ScopedAdminMixin, admin.TabularInline):
    """Enrolments on a candidate's page (their classes) or a class's page (its candidates)."""

    model = Enrolment
    form = EnrolmentAdminForm
    formset = EnrolmentFormSet
    extra = 0

    @property
    def autocomplete_fields(self):
        # The side of the enrolment that is not the page's own object.
        return ["training_class" if self.parent_model is Candidate else "candidate"]

    def get_fields(self, request, obj=None):
        return [*self.autocomplete_fields, "result", "certificate_number", "certificate_on"]

    def get_queryset(self, request):
        # Both sides: the tabular inline prints each row's str(), which names them.
        return super().get_queryset(request).select_related("training_class", "candidate")


class StageChangeInline(admin.TabularInline):
    model = StageChange
    extra = 0
    can_delete = False
    fields = ["at", "on", "from_stage", "to_stage", "by", "reason"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("by", "candidate")


class IdNumbersAdminFormMixin:
    """A citizen ID or old ID number that another record carries, candidate or member, is
    refused here as on the site's pages (``duplicates.taken_errors``): the admin's own check
    sees one table only."""

    def clean(self):
        cleaned = super().clean()
        is_candidate = isinstance(self.instance, Candidate)
        numbers = {name: cleaned.get(name) for name in duplicates.ID_FIELDS if name in cleaned}
        for name, message in duplicates.taken_errors(
            None,
            **numbers,
            candidate=self.instance if is_candidate else None,
            member=None if is_candidate else self.instance,
        ).items():
            self.add_error(name, str(message))
        return cleaned


class UnitOpenAdminFormMixin:
    """A row put in a unit (a new one, or moved to another) goes only to a unit open today,
    as the site's forms offer only those (``pipeline.unit_open_rules``)."""

    def clean(self):
        cleaned = super().clean()
        unit = cleaned.get("unit")
        if unit is not None and unit.pk != self.instance.unit_id:
            for broken in pipeline.unit_open_rules(unit, timezone.localdate()):
                self.add_error("unit", str(broken))
        return cleaned


class CandidateAdminForm(UnitOpenAdminFormMixin, IdNumbersAdminFormMixin, forms.ModelForm):
    """The change form, plus an optional stage move checked by the pipeline module."""

    move_to = forms.ChoiceField(label=_("move to stage"), required=False, choices=[])
    move_reason = forms.CharField(
        label=_("reason for the move"),
        required=False,
        max_length=300,
        help_text=_("Needed when moving back or leaving the pipeline."),
    )

    class Meta:
        model = Candidate
        # CandidateAdmin.fieldsets decides the fields; the stage itself is read-only.
        fields = ["full_name"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        stages = pipeline.allowed_moves(self.instance) if self.instance.pk else []
        self.fields["move_to"].choices = [("", "—")] + [
            (stage, Stage(stage).label) for stage in stages
        ]

    def clean(self):
        cleaned = super().clean()
        target = cleaned.get("move_to")
        if target and not self.errors:
            probe = copy.copy(self.instance)
            for name, value in cleaned.items():
                if name in {f.name for f in Candidate._meta.concrete_fields}:
                    setattr(probe, name, value)
            for broken in pipeline.check(probe, target, reason=cleaned.get("move_reason", "")):
                self.add_error(None, str(broken))
        return cleaned


# Every step's paperwork, and how the candidate left: written by the pipeline alone.
PIPELINE_OWNED = [
    *dict.fromkeys(name for fields in pipeline.STEP_FIELDS.values() for name in fields),
    "exit_on",
    "exit_reason",
]


class DeleteEachMixin:
    """The change list's "delete selected" deletes row by row, through ``Model.delete()``,
    which keeps the kept counts, the latest certificate date and the namesakes (a queryset's
    delete skips it). In id order, whatever the list's: two deletes of overlapping rows
    then wait for each other instead of each locking a row the other needs."""

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for row in queryset.order_by("pk"):
                row.delete()


class _SaveRefused(Exception):
    """A change form's save undone (``CandidateAdmin.changeform_view``), with the reasons."""

    def __init__(self, messages: list[str]):
        super().__init__(*messages)
        self.messages = messages


@admin.register(Candidate)
class CandidateAdmin(
    EnrolmentsSavedByServicesMixin, DeleteEachMixin, ScopedAdminMixin, admin.ModelAdmin
):
    form = CandidateAdminForm
    list_display = ["full_name", "unit", "stage", "source", "decision_on", "works_away"]
    list_filter = [TopUnitFilter, "stage", DecisionYearFilter, "source", "works_away", "gender"]
    list_select_related = ["unit"]
    search_fields = ["search_name", "citizen_id", "old_id_number"]
    autocomplete_fields = ["unit"]
    readonly_fields = ["stage", "stage_since"]
    inlines = [SponsorshipInline, EnrolmentInline, StageChangeInline]

    def get_search_results(self, request, queryset, search_term):
        """The candidate list's search (``filters.search_by_name_or_number``): the name
        without diacritics, which a trigram index serves on PostgreSQL, or an ID number.
        Django's own ORs ``UPPER(…) LIKE`` over three columns for each word, which no index
        serves: a national search read every candidate (1.5 s for a million)."""
        if not search_term.strip():
            return queryset, False
        scope = SimpleNamespace(user=request.user)
        return search_by_name_or_number(scope, queryset, "q", search_term), False

    def get_ordering(self, request):
        """By name, as the candidate list orders it (``models.name_ordering``): while
        searching, by an expression of the name that no index serves (2.3 s against 85 ms
        for "nguyen van" nationally)."""
        return name_ordering(searching=bool(request.GET.get(SEARCH_VAR, "").strip()))

    def get_readonly_fields(self, request, obj=None):
        """The pipeline owns a recorded candidate's stage, paperwork and what the cell voted
        on: they change by a move or on the correction page (``pipeline.correct``), which
        re-run the rules and keep the reason, never by typing over them here."""
        fixed = pipeline.fixed_fields(obj) if obj is not None else []
        return ["stage", "stage_since", "correction_link", *PIPELINE_OWNED, *fixed]

    @admin.display(description=_("paperwork"))
    def correction_link(self, candidate):
        if candidate.pk is None:
            return "—"
        return format_html(
            '<a href="{}">{}</a>',
            reverse("recruitment:candidate-correct", args=[candidate.pk]),
            _("Enter or correct the paperwork, with a reason"),
        )

    actions = ["move_to_next_stage"]
    # No date hierarchy: it reads the distinct dates of every candidate in scope (a
    # million at national scope); the year of admission filter reads the kept counts.
    fieldsets = [
        (
            None,
            {
                "fields": [
                    ("full_name", "date_of_birth", "gender"),
                    ("ethnicity", "religion"),
                    ("citizen_id", "old_id_number"),
                    ("phone", "residence"),
                    ("unit", "source", "youth_union_member"),
                    ("education", "occupation", "workplace"),
                    ("private_enterprise", "works_away"),
                ]
            },
        ),
        (
            _("Stage"),
            {"fields": [("stage", "stage_since"), ("move_to", "move_reason"), "correction_link"]},
        ),
        (
            _("Paperwork"),
            {
                "classes": ["collapse"],
                "fields": [
                    ("application_on", "application_ref"),
                    ("personal_history_on", "personal_history_ref"),
                    ("background_check_on", "background_check_ref"),
                    ("youth_union_resolution_on", "youth_union_resolution_ref"),
                    ("cell_resolution_on", "cell_resolution_ref"),
                    ("votes_for", "votes_total"),
                    ("decision_number", "decision_on", "ceremony_on"),
                    "recognition_resolution_on",
                    ("exit_on", "exit_reason"),
                ],
            },
        ),
    ]

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        # A new candidate enters the source list with the first entry of its history.
        values = {
            f.name: getattr(obj, f.name)
            for f in Candidate._meta.concrete_fields
            if f.editable and f.name not in {"id", "stage", "stage_since"}
        }
        # Admins record namesakes as they are; the organisers' pages ask first.
        form.instance = services.create_candidate(
            by=request.user, same_person_confirmed=True, **values
        )
        obj.pk = form.instance.pk

    def save_related(self, request, form, formsets, change):
        # Move once the inlines are saved, so that the move's rules read them. The form
        # checked the move against the rows stored before (``CandidateAdminForm.clean``);
        # if the inlines saved with it break it (an introducer ended on the same page), the
        # whole save is undone rather than kept without the move.
        super().save_related(request, form, formsets, change)
        target = form.cleaned_data.get("move_to")
        if not target:
            return
        candidate = form.instance
        try:
            pipeline.move(
                candidate, target, by=request.user, reason=form.cleaned_data.get("move_reason", "")
            )
        except pipeline.MoveRefused as refused:
            nothing = _("Nothing was saved: the move to “%(stage)s” was refused.")
            reasons = [nothing % {"stage": Stage(target).label}, *refused.messages]
            raise _SaveRefused(reasons) from refused
        else:
            self.message_user(
                request,
                _("%(name)s moved to “%(stage)s”.")
                % {"name": candidate.full_name, "stage": Stage(target).label},
                messages.SUCCESS,
            )

    @admin.action(description=_("Move the selected candidates to their next stage"))
    def move_to_next_stage(self, request, queryset):
        moved, at_the_end = 0, 0
        # In id order, whatever the list's, as every write that locks several candidates.
        for candidate in queryset.order_by("pk"):
            target = pipeline.next_stage(candidate)
            if target is None:
                at_the_end += 1
                continue
            try:
                pipeline.move(candidate, target, by=request.user)
            except pipeline.MoveRefused as refused:
                self.message_user(
                    request,
                    _("%(name)s was not moved: %(reasons)s")
                    % {"name": candidate.full_name, "reasons": " ".join(refused.messages)},
                    messages.ERROR,
                )
            else:
                moved += 1
        if moved:
            self.message_user(
                request,
                ngettext("%(count)d candidate moved.", "%(count)d candidates moved.", moved)
                % {"count": moved},
                messages.SUCCESS,
            )
        if at_the_end:
            self.message_user(
                request,
                ngettext(
                    "%(count)d candidate has no next stage (recognised, or out of the "
                    "pipeline): not moved.",
                    "%(count)d candidates have no next stage (recognised, or out of the "
                    "pipeline): not moved.",
                    at_the_end,
                )
                % {"count": at_the_end},
                messages.WARNING,
            )


class PartyMemberAdminForm(UnitOpenAdminFormMixin, IdNumbersAdminFormMixin, forms.ModelForm):
    """A member by the member page's rules (``forms.MemberForm``): dates in order and none
    ahead, a date and a reason for leaving, both or neither."""

    class Meta:
        model = PartyMember
        # PartyMemberAdmin.get_fields decides which of these the page shows.
        fields = MEMBER_FIELDS

    def clean(self):
        cleaned = super().clean()
        typed = [name for name in MEMBER_DATES if name in self.fields]
        for name, error in member_date_errors(cleaned, typed).items():
            self.add_error(name, error)
        if "left_on" in self.fields:
            for name, error in member_leaving_errors(cleaned).items():
                if not self.has_error(name):
                    self.add_error(name, error)
        return cleaned


@admin.register(PartyMember)
class PartyMemberAdmin(DeleteEachMixin, ScopedAdminMixin, DiacriticSearchMixin, admin.ModelAdmin):
    form = PartyMemberAdminForm
    list_display = ["full_name", "unit", "admitted_on", "official_on", "left_on"]
    list_filter = [TopUnitFilter, "admitted_on", "official_on"]
    list_select_related = ["unit"]
    search_fields = ["search_name", "citizen_id", "old_id_number"]
    autocomplete_fields = ["unit"]

    def get_fields(self, request, obj=None):
        """The member page's fields. The candidate a member was admitted as is shown, never
        chosen: the pipeline links them at admission (``pipeline.link_rules``), and a merge
        links a member recorded by hand (``merge_members``)."""
        if obj is not None and obj.candidate_id:
            return ["candidate", *MEMBER_FIELDS]
        return MEMBER_FIELDS

    def get_readonly_fields(self, request, obj=None):
        """A member admitted through the pipeline is who the candidate's record says, with
        its paperwork (``forms.FOLLOWS_CANDIDATE``): corrected on the candidate's
        correction page, as the member page says."""
        if obj is not None and obj.candidate_id:
            return ["candidate", *MEMBER_FIELDS]
        return []


class TrainingClassAdminForm(UnitOpenAdminFormMixin, forms.ModelForm):
    """A class, by the class page's rules of its dates (``forms.add_class_dates_errors``)."""

    def clean(self):
        cleaned = super().clean()
        add_class_dates_errors(self, self.instance, cleaned)
        return cleaned


@admin.register(TrainingClass)
class TrainingClassAdmin(
    EnrolmentsSavedByServicesMixin, KeptRowsMixin, ScopedAdminMixin, admin.ModelAdmin
):
    form = TrainingClassAdminForm
    kept = PASSES

    def kept_rows(self, objs):
        """Deleting a class deletes the passes it gave."""
        return Enrolment.objects.filter(training_class__in=objs, result=Enrolment.Result.PASSED)

    list_display = ["title", "unit", "starts_on", "ends_on", "place"]
    list_filter = [TopUnitFilter, "starts_on"]
    list_select_related = ["unit"]
    search_fields = ["title", "place"]
    autocomplete_fields = ["unit"]
    inlines = [EnrolmentInline]

    # Classes run above the user's unit are visible (their candidates attend) but not theirs.
    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or request.user.can_change(obj.unit))

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or request.user.can_change(obj.unit))


class EnrolmentUnitFilter(TopUnitFilter):
    unit_path_lookup = "candidate__unit__path"


@admin.register(Enrolment)
class EnrolmentAdmin(
    EnrolmentsSavedByServicesMixin,
    KeptRowsMixin,
    DeleteEachMixin,
    ScopedAdminMixin,
    admin.ModelAdmin,
):
    form = EnrolmentAdminForm
    kept = PASSES
    # The newest recorded first, by id (an index walk); by the class's start date, PostgreSQL
    # sorted every enrolment in scope: 1.0 s nationally.
    ordering = ["-pk"]
    list_display = ["candidate", "training_class", "result", "certificate_number", "certificate_on"]
    list_filter = [EnrolmentUnitFilter, "result"]
    list_select_related = ["candidate", "training_class"]
    search_fields = ["candidate__search_name", "certificate_number"]
    autocomplete_fields = ["candidate", "training_class"]

    def save_model(self, request, obj, form, change):
        obj.pk = save_enrolment(form, by=request.user).pk  # the admin's message links to it
        obj._state.adding = False


class QuotaAdminForm(forms.ModelForm):
    """A quota for a unit of its year, as the quota page lists them and the quota import
    checks: a closed unit's quotas went to the unit that continues it."""

    def clean(self):
        cleaned = super().clean()
        unit, year = cleaned.get("unit"), cleaned.get("year")
        if unit is not None and year is not None and {"unit", "year"} & set(self.changed_data):
            for broken in pipeline.unit_of_year_rules(unit, year):
                self.add_error(broken.field, str(broken))
        return cleaned


@admin.register(Quota)
class QuotaAdmin(DeleteEachMixin, ScopedAdminMixin, DiacriticSearchMixin, admin.ModelAdmin):
    form = QuotaAdminForm
    list_display = ["unit", "year", "target", "note"]
    list_filter = [QuotaYearFilter, TopUnitFilter]
    list_select_related = ["unit"]
    search_fields = ["unit__search_name", "unit__code"]
    autocomplete_fields = ["unit"]
    # The latest year first, the newest set first, from an index: by the units' paths (the
    # model's order) PostgreSQL sorted every quota in scope, 0.7 s for 1.5 million at
    # national scope (0.4 ms so). A column's header still sorts by it.
    ordering = ["-year", "-pk"]

    # A unit's quota is set by the level above: staff set those of the units below theirs.
    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or request.user.sets_quota_of(obj.unit))

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or request.user.sets_quota_of(obj.unit))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "unit" and not request.user.is_superuser:
            field.queryset = field.queryset.exclude(pk=request.user.unit_id)
        return field


class StageChangeUnitFilter(TopUnitFilter):
    unit_path_lookup = "candidate__unit__path"


@admin.register(StageChange)
class StageChangeAdmin(ScopedAdminMixin, DiacriticSearchMixin, admin.ModelAdmin):
    """Read-only: stage history is written by the pipeline module alone, and never deleted
    here: it is the audit trail, and the trained cohorts are counted from it."""

    list_display = ["candidate", "from_stage", "to_stage", "on", "at", "by", "reason"]
    list_filter = [StageChangeUnitFilter, "to_stage"]
    list_select_related = ["candidate", "by"]
    search_fields = ["candidate__search_name"]
    # No date hierarchy: several million rows at national scope. The newest recorded first,
    # by id, which an index walks until a page is found: by the date of the move
    # (StageChange's own order) PostgreSQL sorted every move in scope, 4.3 s nationally.
    ordering = ["-pk"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class HolidayAdminForm(UnitOpenAdminFormMixin, forms.ModelForm):
    pass


@admin.register(Holiday)
class HolidayAdmin(DeleteEachMixin, ScopedAdminMixin, admin.ModelAdmin):
    form = HolidayAdminForm
    list_display = ["day", "name", "unit"]
    list_filter = [TopUnitFilter]
    list_select_related = ["unit"]
    search_fields = ["name"]
    date_hierarchy = "day"
    autocomplete_fields = ["unit"]


@admin.register(Sponsorship)
class SponsorshipAdmin(KeptRowsMixin, ScopedAdminMixin, DiacriticSearchMixin, admin.ModelAdmin):
    form = SponsorshipAdminForm
    kept = INTRODUCERS
    list_display = ["candidate", "role", "member", "assigned_on", "known_since", "ended_on"]
    list_filter = ["role", "ended_on"]
    list_select_related = ["candidate", "member"]
    search_fields = ["candidate__search_name", "member__search_name"]
    autocomplete_fields = ["candidate", "member"]


class TransferUnitFilter(TopUnitFilter):
    unit_path_lookup = "member__unit__path"


@admin.register(Transfer)
class TransferAdmin(ScopedAdminMixin, DiacriticSearchMixin, admin.ModelAdmin):
    """Read-only: a transfer moves its member, so it is recorded by ``services.transfer_in``
    and ``services.transfer_out`` (the member's page), never typed in here."""

    list_display = ["member", "direction", "on", "from_unit", "from_place", "to_unit", "to_place"]
    list_filter = [TransferUnitFilter, "direction"]
    list_select_related = ["member", "from_unit", "to_unit"]
    search_fields = ["member__search_name"]
    date_hierarchy = "on"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# --- Paperwork (recruitment/documents/) ------------------------------------------------------


class DocumentTemplateForm(forms.ModelForm):
    """The DOCX is uploaded, checked as a template docxtpl can fill, and kept in the database."""

    upload = forms.FileField(label=_("DOCX file"))

    class Meta:
        model = DocumentTemplate
        fields = ["unit", "code"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["upload"].required = False
        forms_and_report = [*((f.slug, f.number) for f in GENERATED), (QUOTA_REPORT, _("report"))]
        blanks = format_html_join(
            ", ",
            '<a href="{}" download>{}</a>',
            (
                (reverse("recruitment:document-blank", args=[c]), name)
                for c, name in forms_and_report
            ),
        )
        self.fields["upload"].help_text = format_html(
            "{} {}",
            _(
                "A Word file with the {{ … }} tags of the form's blank template: download it, "
                "change it in Word and upload it here. Blank templates:"
            ),
            blanks,
        )

    def clean_upload(self):
        upload = self.cleaned_data.get("upload")
        if upload and upload.size > MAX_TEMPLATE_BYTES:  # before reading it into memory
            raise forms.ValidationError(_("The file is larger than 2 MB."), code="too_large")
        if upload:
            content = upload.read()
            check_template(content)
            self.instance.content = content
            self.instance.file_name = upload.name[:200]
        return upload

    def clean(self):
        """The template fills the form it is uploaded for (``check_fills``), checked again
        when its form or unit changes."""
        cleaned = super().clean()
        unit, code = cleaned.get("unit"), cleaned.get("code")
        if unit is not None and code and self.instance.content and not self.has_error("upload"):
            try:
                check_fills(bytes(self.instance.content), code, unit)
            except forms.ValidationError as error:
                self.add_error("upload" if "upload" in self.changed_data else None, error)
        return cleaned


@admin.register(DocumentTemplate)
class DocumentTemplateAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """A unit's own version of a form; the nearest ancestor's serves the units below."""

    form = DocumentTemplateForm
    list_display = ["unit", "code", "file_name", "uploaded_at"]
    list_filter = [TopUnitFilter, "code"]
    list_select_related = ["unit"]
    autocomplete_fields = ["unit"]
    readonly_fields = ["file_name", "uploaded_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).defer("content")  # up to 2 MB a row


@admin.register(PaperworkSetting)
class PaperworkSettingAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """Number, place and signer of a unit's documents; empty fields print as dotted lines."""

    list_display = ["unit", "issuer_name", "place", "report_number", "signer_title", "signer_name"]
    list_filter = [TopUnitFilter]
    list_select_related = ["unit"]
    autocomplete_fields = ["unit"]


# The worker's own bookkeeping (django-tasks-db): an import shows its progress and result
# on its page (/imports/<id>/), scoped to who uploaded it; the task rows are not for staff.
def _unregister_task_results() -> None:
    from django_tasks_db.models import DBTaskResult

    if admin.site.is_registered(DBTaskResult):
        admin.site.unregister(DBTaskResult)


_unregister_task_results()
