"""List filters (django-filter). Choices come from the user's scope."""

import re

import django_filters
from django import forms
from django.db.models import Case, IntegerField, Q, Value, When
from django.utils import timezone
from django.utils.functional import cached_property, lazy
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_filters.constants import EMPTY_VALUES

from recruitment import duplicates, stages
from recruitment.forms import UnitChoiceField, base_depth
from recruitment.models import (
    MAX_YEAR,
    MIN_YEAR,
    Candidate,
    Organisation,
    PartyMember,
    Source,
    TrainingClass,
)
from recruitment.reports.steering import Overdue, overdue_candidates
from recruitment.stages import Stage
from recruitment.text import search_key
from recruitment.views.params import MAX_ID, parse_int
from recruitment.widgets import UnitSearchInput

MAX_SEARCH_LENGTH = 100
# Four to twelve ASCII digits: a citizen ID, an old ID number or the end of one
# (str.isdigit() would take "²").
CITIZEN_ID_DIGITS = re.compile(r"[0-9]{4,12}")


# Numbers in the query string are read with parse_int, as in every view: "٣" or "2021.0" is
# no year and no unit here either. A bad value is shown as an error on the filter form and
# that filter is left out.


class StrictIntegerField(forms.IntegerField):
    """Django's reads "٣" as 3 and "2021.0" as 2021."""

    # Django's own message, named here so that the project's catalogue keeps its better
    # Vietnamese ("enter an overall number" in Django's), which every integer field then shows.
    default_error_messages = {"invalid": _("Enter a whole number.")}

    def to_python(self, value):
        if value in self.empty_values:
            return None
        number = parse_int(str(value).strip(), low=-MAX_ID, high=MAX_ID)
        if number is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return number


class StrictUnitChoiceField(UnitChoiceField):
    """A unit by its id in ASCII digits (Django's looks up "٣" as unit 3)."""

    def to_python(self, value):
        if value not in self.empty_values and parse_int(str(value), low=1, high=MAX_ID) is None:
            raise forms.ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice"
            )
        return super().to_python(value)


class IntegerFilter(django_filters.NumberFilter):
    field_class = StrictIntegerField


class UnitSubtreeFilter(django_filters.ModelChoiceFilter):
    """A unit and everything under it, chosen by typing its name (``UnitSearchInput``)."""

    field_class = StrictUnitChoiceField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", UnitSearchInput)
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if value is None:
            return qs
        return qs.filter(unit__path__startswith=value.path)


def _descending_label(label) -> str:
    return gettext("%s (descending)") % label


_descending = lazy(_descending_label, str)


class SortFilter(django_filters.OrderingFilter):
    """A list's ``?sort=``. ``then``: the fields that order the rows the sort leaves tied,
    so that each page holds the same rows every time it is read."""

    def __init__(self, *args, then=(), **kwargs):
        self.then = tuple(then)
        super().__init__(*args, **kwargs)

    def build_choices(self, fields, labels):
        """django-filter's choices, with "(descending)" translated when shown: it has no
        Vietnamese catalogue, and formats the label once, when this module is imported."""
        ascending = [(param, labels.get(field, param)) for field, param in fields.items()]
        descending = [(f"-{param}", _descending(label)) for param, label in ascending]
        return [choice for pair in zip(ascending, descending, strict=True) for choice in pair]

    def filter(self, qs, value):
        if value in EMPTY_VALUES:
            return qs
        ordering = [self.get_ordering_value(param) for param in value if param]
        named = {field.lstrip("-") for field in ordering}
        return qs.order_by(*ordering, *(field for field in self.then if field not in named))


class StageOrderingFilter(SortFilter):
    """Sorting by stage follows the pipeline, not the alphabet of the stage codes."""

    def filter(self, qs, value):
        if value and any(v.lstrip("-") == "stage" for v in value):
            qs = qs.annotate(
                stage_rank=Case(
                    *(When(stage=stage, then=Value(i)) for i, stage in enumerate(stages.ORDER)),
                    output_field=IntegerField(),
                )
            )
        return super().filter(qs, value)

    def get_ordering_value(self, param):
        ordering = super().get_ordering_value(param)
        return (
            ordering.replace("stage", "stage_rank") if ordering.lstrip("-") == "stage" else ordering
        )


def search_filter(placeholder) -> django_filters.CharFilter:
    """The search box of a list: diacritics, case and spacing ignored (``.search()``)."""
    return django_filters.CharFilter(
        label=capfirst(_("search")),
        method="search",
        max_length=MAX_SEARCH_LENGTH,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": placeholder}),
    )


class ScopedFilterSet(django_filters.FilterSet):
    """A list of the user's subtree: a search box and a unit (with everything under it)."""

    unit = UnitSubtreeFilter(label=capfirst(_("unit")), queryset=Organisation.objects.none())
    # The ``?sort=`` value that gives the order the list has when none is asked for (its
    # view orders so): the column headers show it as the current order.
    default_sort = ""

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.filters["unit"].queryset = Organisation.objects.for_user(user)
        self.filters["unit"].extra["base_depth"] = base_depth(user)

    @property
    def form(self):
        form = super().form
        form.fields["unit"].widget.queryset = self.filters["unit"].queryset
        return form

    def queryset_without(self, *names: str):
        """The queryset with every filter but ``names`` applied, from the form already
        validated: the stage chips count every stage whatever the stage filter, without a
        second filter set (each one copies its filters and validates its form again)."""
        queryset = self.queryset.all()
        if self.is_bound:
            self.form.is_valid()  # fills cleaned_data with the valid fields, as FilterSet.qs does
            for name, value in self.form.cleaned_data.items():
                if name not in names:
                    queryset = self.filters[name].filter(queryset, value)
        return queryset

    @property
    def filtered(self) -> bool:
        """Whether anything narrows the list (its empty state then says "no match" rather
        than "none yet"); the page and the order do not."""
        return any(v for k, v in (self.data or {}).items() if k not in {"page", "sort"})

    @cached_property
    def sorted_by(self) -> list[str]:
        """The order asked for by a valid ``?sort=`` (e.g. ``["-admitted"]``), else []."""
        if not self.is_bound or "sort" not in self.filters:
            return []
        self.form.is_valid()  # fills cleaned_data with the valid fields, as FilterSet.qs does
        return [param for param in self.form.cleaned_data.get("sort") or [] if param]

    @property
    def current_sort(self) -> str:
        """The column the list is sorted by, "-" first when descending: what the headers show."""
        return self.sorted_by[0] if self.sorted_by else self.default_sort

    @property
    def searching(self) -> bool:
        """Whether a valid search was typed (the lists then order by ``name_ordering(True)``,
        and the candidates' stage buttons count fewer rows); one the form refused (too
        long, a NUL) is ignored, as the filter ignores it."""
        if not self.is_bound or not (self.data.get("q") or "").strip():
            return False
        self.form.is_valid()  # fills cleaned_data with the valid fields, as FilterSet.qs does
        return bool((self.form.cleaned_data.get("q") or "").strip())

    @cached_property
    def unit_matches(self) -> list[Organisation]:
        """Without JavaScript, a unit's name typed and sent: the units it may mean, to pick
        from (one query; none when a unit is chosen or nothing was typed)."""
        data = self.data or {}
        typed = (data.get("unit_q") or "")[:MAX_SEARCH_LENGTH]
        if data.get("unit") or not search_key(typed):
            return []
        return Organisation.objects.for_user(self.user).matching(typed)

    def search(self, queryset, name, value):
        return queryset.search(value)


class CandidateFilter(ScopedFilterSet):
    q = search_filter(_("Name or citizen ID"))
    stage = django_filters.ChoiceFilter(label=capfirst(_("stage")), choices=Stage.choices)
    # "Nguồn" alone is the first stage; this is the organisation the candidate came from.
    source = django_filters.ChoiceFilter(
        label=capfirst(_("source organisation")), choices=Source.choices
    )
    year = IntegerFilter(
        label=capfirst(_("year of admission")),
        field_name="decision_on",
        lookup_expr="year",
        min_value=MIN_YEAR,
        max_value=MAX_YEAR,
    )
    overdue = django_filters.ChoiceFilter(
        label=capfirst(_("overdue")), choices=Overdue.choices, method="by_overdue"
    )
    works_away = django_filters.BooleanFilter(
        label=capfirst(_("works away")),
        widget=forms.Select(choices=[("", _("Any")), ("true", _("Yes")), ("false", _("No"))]),
    )
    sort = StageOrderingFilter(
        label=capfirst(_("sort")),
        fields=[
            ("search_name", "name"),
            ("unit__path", "unit"),
            ("stage", "stage"),
            ("stage_since", "since"),
            ("decision_on", "admitted"),
        ],
        field_labels={
            "search_name": _("name"),
            "unit__path": _("unit"),
            "stage": _("stage"),
            "stage_since": _("in this stage since"),
            "decision_on": _("admission decision"),
        },
        then=("search_name", "pk"),  # thousands tie on a stage or a unit: pages stay stable
    )
    default_sort = "name"  # candidate_list: by_name()

    class Meta:
        model = Candidate
        fields = ["q", "unit", "stage", "source", "year", "overdue", "works_away"]

    def search(self, queryset, name, value):
        return search_by_name_or_number(self, queryset, name, value)

    def by_overdue(self, queryset, name, value):
        """The dashboard's overdue counts link here: the same rule, the same rows."""
        return overdue_candidates(queryset, value, timezone.localdate())


def search_by_name_or_number(filterset, queryset, name, value):
    """A name, or a citizen ID (12 digits) or an old ID number (9 digits): in full (exact
    match) for everyone, or its last digits (four or more) for those who see the numbers in
    full. Those who see only the masked number could otherwise recover it a digit at a time."""
    digits = duplicates.id_digits(value) or ""
    if CITIZEN_ID_DIGITS.fullmatch(digits):
        if len(digits) == 12:
            return queryset.filter(citizen_id=digits)
        if len(digits) == 9:
            return queryset.filter(old_id_number=digits)
        if filterset.user.is_board_staff:
            return queryset.filter(
                Q(citizen_id__endswith=digits) | Q(old_id_number__endswith=digits)
            )
        return queryset.none()
    return ScopedFilterSet.search(filterset, queryset, name, value)


class MemberFilter(ScopedFilterSet):
    """Party members of the user's subtree: by name, unit and status."""

    class Status:
        PROBATIONARY = "probationary"
        OFFICIAL = "official"
        LEFT = "left"

    q = search_filter(_("Name or citizen ID"))
    status = django_filters.ChoiceFilter(
        label=capfirst(_("status")),
        method="by_status",
        empty_label=_("All"),
        choices=[
            (Status.PROBATIONARY, _("Probationary")),
            (Status.OFFICIAL, _("Official")),
            (Status.LEFT, _("Left")),
        ],
    )

    sort = SortFilter(
        label=capfirst(_("sort")),
        fields=[
            ("search_name", "name"),
            ("unit__path", "unit"),
            ("admitted_on", "admitted"),
        ],
        field_labels={
            "search_name": _("name"),
            "unit__path": _("unit"),
            "admitted_on": _("admitted on"),
        },
        then=("search_name", "pk"),
    )
    default_sort = "name"  # member_list: by_name()

    class Meta:
        model = PartyMember
        fields = ["q", "unit", "status"]

    def search(self, queryset, name, value):
        return search_by_name_or_number(self, queryset, name, value)

    def by_status(self, queryset, name, value):
        if value == self.Status.PROBATIONARY:
            return queryset.filter(official_on__isnull=True, left_on__isnull=True)
        if value == self.Status.OFFICIAL:
            return queryset.official_on(timezone.localdate())
        if value == self.Status.LEFT:
            return queryset.filter(left_on__isnull=False)
        return queryset


class ClassFilter(ScopedFilterSet):
    """Training classes the user sees (``TrainingClassQuerySet.for_user``): by title, by the
    unit that runs them, open for enrolment or ended; newest or oldest first."""

    class Status:
        OPEN = "open"
        ENDED = "ended"

    q = search_filter(_("Class title"))
    unit = UnitSubtreeFilter(
        label=capfirst(_("organising unit")), queryset=Organisation.objects.none()
    )
    status = django_filters.ChoiceFilter(
        label=capfirst(_("status")),
        method="by_status",
        empty_label=_("All"),
        choices=[(Status.OPEN, _("Open for enrolment")), (Status.ENDED, _("Ended"))],
    )
    sort = SortFilter(
        label=capfirst(_("sort")),
        fields=[("starts_on", "starts")],
        choices=[("-starts", _("Newest first")), ("starts", _("Oldest first"))],
        empty_label=None,
        then=("pk",),
    )
    default_sort = "-starts"  # class_list

    class Meta:
        model = TrainingClass
        fields = ["q", "unit", "status"]

    def by_status(self, queryset, name, value):
        """Open: candidates may still enrol, until the class's last day included
        (``pipeline.enrolment_rules``); ended: the day after."""
        today = timezone.localdate()
        if value == self.Status.OPEN:
            return queryset.filter(ends_on__gte=today)
        if value == self.Status.ENDED:
            return queryset.filter(ends_on__lt=today)
        return queryset
