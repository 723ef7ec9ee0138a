"""Forms validate and normalise; the pipeline module decides what a move needs.

Every choice of a unit, a member, a class or a candidate comes from the user's scope
(``for_user``), so a tampered id is a form error, never a leak.
"""

from __future__ import annotations

import re
from datetime import date

from django import forms
from django.db.models import Q
from django.forms.models import fields_for_model
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from recruitment import duplicates, pipeline, services, stages
from recruitment.models import (
    MAX_QUOTA,
    Candidate,
    Enrolment,
    Organisation,
    PartyMember,
    Quota,
    Sponsorship,
    TrainingClass,
    Transfer,
)
from recruitment.stages import Stage
from recruitment.text import mask_citizen_id
from recruitment.widgets import DateField, RowsField, UnitSearchInput, date_formfield

CANDIDATE_FIELDS = [
    "full_name",
    "date_of_birth",
    "gender",
    "ethnicity",
    "religion",
    "citizen_id",
    "old_id_number",
    "phone",
    "residence",
    "unit",
    "source",
    "youth_union_member",
    "education",
    "occupation",
    "workplace",
    "private_enterprise",
    "works_away",
]


CITIZEN_ID = re.compile(r"[0-9]{12}")
OLD_ID_NUMBER = re.compile(r"[0-9]{9}")


# Above this many units to choose from, a form's unit is typed (``UnitSearchInput``), not
# picked from a select: national staff's select held 311,000 units, 20 MB and 20 s a page.
TYPED_ABOVE = 200


class UnitChoiceField(forms.ModelChoiceField):
    """Units shown indented by depth, so the tree reads as a tree in a plain select; typed
    instead, by name, where there are more than ``TYPED_ABOVE`` of them (one query to know)."""

    def __init__(self, *args, base_depth: int = 1, **kwargs):
        self.base_depth = base_depth
        super().__init__(*args, **kwargs)

    def _set_queryset(self, queryset):
        super()._set_queryset(queryset)
        if not isinstance(self.widget, UnitSearchInput) and self._many_units():
            # The search offers only open units, as the forms accept (``units_for``).
            self.widget = UnitSearchInput(
                attrs=self.widget.attrs, search_url=reverse("recruitment:unit-search") + "?open=1"
            )
        if isinstance(self.widget, UnitSearchInput):
            self.widget.queryset = self.queryset

    def clean(self, value):
        """Without JavaScript a typed box sends the name, not the unit: the one unit of the
        field's that it names is taken; several or none are an error that says so."""
        typed = self.widget.typed.strip() if isinstance(self.widget, UnitSearchInput) else ""
        if value in self.empty_values and typed:
            found = self.queryset.matching(typed, limit=6)
            if len(found) == 1:
                return found[0]
            if found:
                raise forms.ValidationError(
                    _("Several of your units match “%(typed)s”: %(units)s. Type more of the name.")
                    % {"typed": typed, "units": "; ".join(unit.name for unit in found[:5])},
                    code="ambiguous",
                )
            raise forms.ValidationError(
                _("None of your units is called “%(typed)s”.") % {"typed": typed}, code="none"
            )
        return super().clean(value)

    queryset = property(forms.ModelChoiceField._get_queryset, _set_queryset)

    def _many_units(self) -> bool:
        if self.queryset is None or self.queryset.query.is_empty():
            return False
        return len(self.queryset.values_list("pk", flat=True)[: TYPED_ABOVE + 1]) > TYPED_ABOVE

    def label_from_instance(self, obj):
        label = "\u2003" * max(obj.depth - self.base_depth, 0) + obj.name
        if obj.closed_on is not None:  # offered only where a past date is chosen
            label += " " + _("(closed %(day)s)") % {"day": obj.closed_on.strftime("%d/%m/%Y")}
        return label


def units_for(user, keep=None):
    """The open units a user may choose in a form: their subtree; and ``keep``, the record's
    own unit, even once a reorganisation closed it (a recognised or withdrawn person stays
    in it), so that the record's form still saves."""
    return Organisation.objects.for_user(user).filter(Q(active=True) | Q(pk=keep))


def base_depth(user) -> int:
    """The depth the user's unit list is indented from (their own unit's)."""
    unit = getattr(user, "unit", None)
    return unit.depth if unit is not None else 1


class VersionedModelForm(forms.ModelForm):
    """An edit form that will not silently overwrite what someone saved after it was opened.

    The form carries the record's ``version``. On saving, the record's row is locked and its
    version compared: if it moved on, the form is refused with what changed (and who changed
    it), the user's input is kept, and the form now carries the new version, so saving again
    is a deliberate choice to keep one's own values.
    """

    # Bounded as the column is (PostgreSQL's integer): a tampered value is a form error.
    version = forms.IntegerField(
        widget=forms.HiddenInput, required=False, min_value=1, max_value=2**31 - 1
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["version"].initial = self.instance.version

    def clean(self):
        cleaned = super().clean()
        if self._errors.pop("version", None):  # a hidden field's error is never shown
            raise forms.ValidationError(
                _("This page was changed before it was sent: open it again."), code="version"
            )
        if self.instance.pk is None:
            return cleaned
        model = type(self.instance)
        # Locked until the request's transaction ends (ATOMIC_REQUESTS): a second save of
        # the same record waits here and then sees the first one's version.
        current = (
            model.objects.select_for_update()
            .filter(pk=self.instance.pk)
            .values_list("version", flat=True)
            .first()
        )
        seen = cleaned.get("version")
        if current is not None:
            self.instance.version = current  # the save counts from the stored version
        if current is not None and seen is not None and seen != current:
            self.data = self.data.copy()
            self.data[self.add_prefix("version")] = current
            raise forms.ValidationError(
                self._changed_since(seen, current), code="changed_meanwhile"
            )
        return cleaned

    def _changed_since(self, seen: int, current: int) -> str:
        """What changed in the record from version ``seen`` to ``current``, in words."""
        history = getattr(self.instance, "history", None)
        versions = {}
        if history is not None:
            rows = history.filter(version__in=[seen, current]).select_related("history_user")
            versions = {row.version: row for row in rows}
        then, now = versions.get(seen), versions.get(current)
        changes = []
        if then is not None and now is not None:
            for name in self._meta.fields:
                field = self.instance._meta.get_field(name)
                old, new = _shown(then, field), _shown(now, field)
                if old != new:
                    changes.append(f"{capfirst(field.verbose_name)}: {old} → {new}")
        who = now.history_user if now is not None else None
        text = (
            _("%(user)s saved changes to this record after you opened it.") % {"user": who}
            if who
            else _("Someone saved changes to this record after you opened it.")
        )
        if changes:
            text = f"{text} {'; '.join(changes)}."
        return f"{text} " + _(
            "Nothing was saved. Your input is still below: save again to keep it, or reload "
            "the page to start from the saved record."
        )


def _shown(record, field) -> str:
    """A field's value as a person reads it; ID numbers masked (not everyone sees them)."""
    value = getattr(record, field.name if field.is_relation else field.attname)
    if value in (None, ""):
        return "—"
    if field.name in duplicates.ID_FIELDS:
        return mask_citizen_id(value)
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, date):
        return date_format(value, "SHORT_DATE_FORMAT")
    return str(value)


def id_number_field(model, name: str) -> forms.CharField:
    # Longer than the number: people type spaces or dots between the groups of digits.
    return forms.CharField(
        label=capfirst(model._meta.get_field(name).verbose_name),
        help_text=model._meta.get_field(name).help_text,
        max_length=20,
        required=False,
    )


class IdentityNumbersMixin:
    """The citizen ID (CCCD) and old ID number (CMND) boxes of a person's form.

    Typed with spaces or dots, stored as digits. Organisers never see a recorded number in
    full: the box is empty and says which number is kept, and an empty box keeps it. A
    number another record carries (candidate or member, ``duplicates.taken_errors``) is
    refused, naming the unit only to someone who may see it.
    """

    ID_PATTERNS = {"citizen_id": CITIZEN_ID, "old_id_number": OLD_ID_NUMBER}

    def set_up_id_numbers(self, user) -> None:
        self.user = user
        self.hidden_numbers = set()
        for name in duplicates.ID_FIELDS:
            if name not in self.fields:
                continue
            self.fields[name].widget.attrs.update(
                {"inputmode": "numeric", "maxlength": 15, "autocomplete": "off"}
            )
            recorded = getattr(self.instance, name)
            if recorded and not user.is_board_staff:
                self.hidden_numbers.add(name)
                self.initial[name] = ""
                self.fields[name].help_text = _(
                    "Recorded: %(masked)s. Leave empty to keep it; type a new one to replace it."
                ) % {"masked": mask_citizen_id(recorded)}

    def _clean_id_number(self, name: str, message):
        value = duplicates.id_digits(self.cleaned_data.get(name))
        if value is None:
            return getattr(self.instance, name) if name in self.hidden_numbers else None
        if not self.ID_PATTERNS[name].fullmatch(value):
            raise forms.ValidationError(message)
        is_candidate = isinstance(self.instance, Candidate)
        errors = duplicates.taken_errors(
            self.user,
            **{name: value},
            candidate=self.instance if is_candidate else None,
            member=None if is_candidate else self.instance,
        )
        if errors:
            raise forms.ValidationError(str(errors[name]))
        return value

    def clean_citizen_id(self):
        return self._clean_id_number("citizen_id", _("A citizen ID (CCCD) has exactly 12 digits."))

    def clean_old_id_number(self):
        return self._clean_id_number(
            "old_id_number", _("An old ID number (CMND) has exactly 9 digits.")
        )


def namesake_field() -> forms.BooleanField:
    """Shown (as a checkbox) only once someone of the same name and birth date was found."""
    return forms.BooleanField(
        label=_("This is another person with the same name and date of birth."),
        required=False,
        widget=forms.HiddenInput,
    )


class RefusalMixin:
    """A form that shows a service's refusal (a ``ValidationError``); one naming someone of
    the same name and birth date (``services.refuse_namesake``) asks whether this is another
    person, where the form has ``namesake_field()``."""

    def refuse(self, error) -> None:
        """Show a refusal of the service: on its field where the form has it; a namesake
        asks for confirmation."""
        if hasattr(error, "error_dict"):
            for name, errors in error.error_dict.items():
                self.add_error(name if name in self.fields else None, errors)
            return
        if getattr(error, "code", None) == "same_person" and "same_person_confirmed" in self.fields:
            self.fields["same_person_confirmed"].widget = forms.CheckboxInput()
        self.add_error(None, error)


class CandidateForm(RefusalMixin, IdentityNumbersMixin, VersionedModelForm):
    citizen_id = id_number_field(Candidate, "citizen_id")
    old_id_number = id_number_field(Candidate, "old_id_number")
    same_person_confirmed = namesake_field()

    def candidate_values(self) -> dict:
        """The cleaned values that are the candidate's own fields."""
        return {name: self.cleaned_data[name] for name in CANDIDATE_FIELDS}

    class Meta:
        model = Candidate
        fields = CANDIDATE_FIELDS
        formfield_callback = date_formfield

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["unit"] = UnitChoiceField(
            queryset=units_for(user, keep=self.instance.unit_id),
            base_depth=base_depth(user),
            label=capfirst(_("unit")),
            help_text=_("The cell or committee whose source list the candidate is on."),
        )
        self.set_up_id_numbers(user)
        for name in pipeline.fixed_fields(self.instance):
            self.fields[name].disabled = True
            self.fields[name].help_text = _(
                "Fixed once the cell has voted; an administrator can correct it."
            )
        self.fields["phone"].widget.attrs.update({"inputmode": "tel"})

    def clean_date_of_birth(self):
        born = self.cleaned_data["date_of_birth"]
        if born and born > timezone.localdate():
            raise forms.ValidationError(_("The date of birth cannot be in the future."))
        return born


# The paperwork of every step, in the order of the pipeline.
PAPERWORK_FIELDS = list(
    dict.fromkeys(name for step in stages.PIPELINE for name in pipeline.STEP_FIELDS[step])
)


class PaperRecordForm(CandidateForm):
    """Someone who went through the pipeline before the app: each step's date and papers
    from the file, up to the step reached (``services.record_from_paper``)."""

    reached = forms.ChoiceField(
        label=capfirst(_("step reached")),
        choices=[(stage.value, stage.label) for stage in stages.PIPELINE[1:]],
    )
    listed_on = DateField(
        label=capfirst(_("put on the source list on")),
        help_text=_("As written in the file; a guess to the month is fine."),
    )
    training_class = forms.ModelChoiceField(
        label=capfirst(_("party-awareness class")),
        queryset=TrainingClass.objects.none(),
        required=False,
        help_text=_("A class already in the app; or leave empty and give its title below."),
    )
    class_title = forms.CharField(
        label=capfirst(_("title of a class not in the app")), max_length=200, required=False
    )
    certificate_number = forms.CharField(
        label=capfirst(_("certificate number")), max_length=50, required=False
    )
    certificate_on = DateField(label=capfirst(_("certificate date")), required=False)

    class Meta(CandidateForm.Meta):
        fields = CANDIDATE_FIELDS + PAPERWORK_FIELDS

    field_order = [*CANDIDATE_FIELDS, "reached", "listed_on", "training_class", "class_title",
                   "certificate_number", "certificate_on", *PAPERWORK_FIELDS]  # fmt: skip

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        self.fields["training_class"].queryset = TrainingClass.objects.for_user(user).filter(
            ends_on__lt=timezone.localdate()
        )
        # A past admission may belong to a unit a reorganisation closed since: every unit
        # of the subtree is a choice, and ``clean`` checks it was open on the day it counts.
        self.fields["unit"].queryset = Organisation.objects.for_user(user)

    def clean(self):
        data = super().clean()
        self._check_training(data)
        unit = data.get("unit")
        if unit is None:
            return data
        # An admission counts in its unit on the decision's date; a candidate still on the
        # way is in a unit open today.
        day = timezone.localdate()
        if data.get("reached") in stages.ADMITTED and data.get("decision_on"):
            day = data["decision_on"]
        if not Organisation.objects.open_on(day).filter(pk=unit.pk).exists():
            self.add_error(
                "unit",
                _("%(unit)s was not open on %(day)s: choose the unit of that date.")
                % {"unit": unit.name, "day": day.strftime("%d/%m/%Y")},
            )
        return data

    def _check_training(self, data: dict) -> None:
        """The class and its certificate as far as the step reached: nothing typed is
        dropped without a word."""
        reached = data.get("reached")
        if data.get("training_class") and data.get("class_title"):
            self.add_error(
                "class_title", _("Choose the class from the list or type its title, not both.")
            )
        if reached == Stage.TRAINING:
            for name in ("certificate_number", "certificate_on"):
                if data.get(name):
                    self.add_error(
                        name,
                        _(
                            "A certificate is given once the class is passed: choose the "
                            "step “%(step)s” or a later one, or leave it empty."
                        )
                        % {"step": Stage.TRAINED.label},
                    )
            if not data.get("training_class"):
                self.add_error(
                    "training_class", _("Choose the class the candidate attended from the list.")
                )
        elif reached and stages.PIPELINE.index(reached) > stages.PIPELINE.index(Stage.TRAINING):
            if not data.get("certificate_on") and "certificate_on" not in self.errors:
                self.add_error(
                    "certificate_on", _("Give the certificate of the party-awareness class.")
                )

    def record_values(self) -> dict:
        """Keyword arguments of ``services.record_from_paper``."""
        data = self.cleaned_data
        training = None
        if any(data[name] for name in ("training_class", "class_title", "certificate_on",
                                       "certificate_number")):  # fmt: skip
            training = services.PaperTraining(
                certificate_number=data["certificate_number"],
                certificate_on=data["certificate_on"],
                training_class=data["training_class"],
                class_title=data["class_title"],
            )
        return {
            **self.candidate_values(),
            "reached": data["reached"],
            "listed_on": data["listed_on"],
            "training": training,
            "paperwork": {name: data[name] for name in PAPERWORK_FIELDS},
            "same_person_confirmed": data["same_person_confirmed"],
        }


class CorrectionForm(VersionedModelForm):
    """Paperwork entered late or corrected (``pipeline.correct``), with the reason."""

    reason = forms.CharField(
        label=capfirst(_("reason for the correction")),
        max_length=pipeline.REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Kept in the candidate's history with the old and new values."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if "unit" in self.fields:
            self.fields["unit"] = UnitChoiceField(
                queryset=units_for(user, keep=self.instance.unit_id),
                base_depth=base_depth(user),
                label=capfirst(_("unit")),
            )

    def changes(self) -> dict:
        return {name: self.cleaned_data[name] for name in self._meta.fields}


def correctable_by(candidate: Candidate, user) -> list[str]:
    """The fields this user may correct on this candidate: the paperwork of the steps
    taken; what the cell voted on, for Organisation Board staff."""
    fields = pipeline.correctable_fields(candidate)
    if not user.is_board_staff:
        fields = [name for name in fields if name not in pipeline.FIXED_AFTER_VOTE]
    return fields


def correction_form_class(candidate: Candidate, user) -> type[CorrectionForm]:
    """A correction form with the fields ``correctable_by`` the user."""
    return forms.modelform_factory(
        Candidate,
        form=CorrectionForm,
        fields=correctable_by(candidate, user),
        formfield_callback=date_formfield,
    )


def move_form_class(stage: str) -> type[forms.Form]:
    """A form with the paperwork fields of ``stage`` (``pipeline.STEP_FIELDS``) and a reason.

    A plain Form, not a ModelForm, so a refused move never touches the candidate.
    """
    fields = fields_for_model(
        Candidate, fields=pipeline.STEP_FIELDS[stage], formfield_callback=date_formfield
    )
    fields["reason"] = forms.CharField(
        label=capfirst(_("reason")),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    # The record's version when the page was opened: a move back writes the step's
    # paperwork as the page showed it, which must not undo a correction saved meanwhile.
    fields["version"] = forms.IntegerField(
        widget=forms.HiddenInput, required=False, min_value=1, max_value=2**31 - 1
    )
    return type("MoveForm", (forms.Form,), fields)


class SponsorForm(forms.ModelForm):
    """Attach a mentor or an introducer: official members of the user's subtree only."""

    class Meta:
        model = Sponsorship
        fields = ["role", "member", "assigned_on", "known_since", "reference"]
        formfield_callback = date_formfield

    def __init__(self, *args, user, candidate, **kwargs):
        super().__init__(*args, **kwargs)
        self.candidate = candidate
        today = timezone.localdate()
        self.fields["member"].queryset = (
            PartyMember.objects.for_user(user).official_on(today).select_related("unit")
        )
        self.fields["member"].label_from_instance = lambda m: f"{m.full_name} · {m.unit.name}"
        self.fields["member"].help_text = _(
            "Only official members of your units can mentor or introduce."
        )

    def clean(self):
        cleaned = super().clean()
        self.instance.candidate = self.candidate
        add_sponsorship_errors(self, self.instance, cleaned)
        return cleaned


def add_sponsorship_errors(form, sponsorship: Sponsorship, cleaned: dict) -> None:
    """The pipeline's sponsorship rules on ``form`` (the candidate page's, the admin's)."""
    for name in ("role", "member", "assigned_on", "known_since", "ended_on"):
        if name in cleaned:
            setattr(sponsorship, name, cleaned[name])
    if sponsorship.role and not form.has_error("member"):
        for broken in pipeline.sponsorship_rules(sponsorship):
            field = broken.field if broken.field in form.fields else None
            if field is None or not form.has_error(field):
                form.add_error(field, str(broken))


# --- Party members and their transfers ---------------------------------------------------------

MEMBER_FIELDS = [
    "full_name",
    "date_of_birth",
    "citizen_id",
    "old_id_number",
    "unit",
    "admitted_on",
    "official_on",
    "left_on",
    "left_reason",
]
# Who a member admitted through the pipeline is: recorded on the candidate's record.
MEMBER_IDENTITY = ["date_of_birth", "citizen_id", "old_id_number"]
# What a member admitted through the pipeline takes from the candidate's record (kept in step
# by ``pipeline.correct``, the name by ``Candidate.save``): changed there, never here.
FOLLOWS_CANDIDATE = ["full_name", "unit", "admitted_on", "official_on", "left_on", "left_reason"]
MEMBER_DATES = ["admitted_on", "official_on", "left_on"]


def member_date_errors(cleaned: dict, names) -> dict[str, str]:
    """A member's dates in order: none in the future (of ``names``, the fields typed in),
    official and left not before admitted. By field, for ``add_error``."""
    errors = {}
    today = timezone.localdate()
    for name in names:
        day = cleaned.get(name)
        if day and day > today:
            errors[name] = _("This date cannot be in the future.")
    admitted = cleaned.get("admitted_on")
    official, left = cleaned.get("official_on"), cleaned.get("left_on")
    if admitted and official and official < admitted and "official_on" not in errors:
        errors["official_on"] = _("A member cannot be official before being admitted.")
    if admitted and left and left < admitted and "left_on" not in errors:
        errors["left_on"] = _("A member cannot leave before being admitted.")
    return errors


def member_leaving_errors(values: dict) -> dict[str, str]:
    """A member who left has the date and the reason, both or neither. By field."""
    left_on, reason = values.get("left_on"), values.get("left_reason")
    if left_on and not reason:
        return {"left_reason": _("Say why the member left.")}
    if reason and not left_on:
        return {"left_on": _("Give the date the member left.")}
    return {}


class MemberForm(RefusalMixin, IdentityNumbersMixin, VersionedModelForm):
    """A party member of the user's units, added or corrected by hand (a mentor or an
    introducer who transferred in, a member recorded from paper)."""

    citizen_id = id_number_field(PartyMember, "citizen_id")
    old_id_number = id_number_field(PartyMember, "old_id_number")
    same_person_confirmed = namesake_field()

    class Meta:
        model = PartyMember
        fields = MEMBER_FIELDS
        formfield_callback = date_formfield

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"] = UnitChoiceField(
            queryset=units_for(user, keep=self.instance.unit_id),
            base_depth=base_depth(user),
            label=capfirst(_("unit")),
        )
        self.fields["left_reason"].help_text = _("Transfers out are recorded on the member's page.")
        if self.instance.candidate_id:
            for name in MEMBER_IDENTITY:
                del self.fields[name]  # on the candidate's record
        self.set_up_id_numbers(user)
        if self.instance.candidate_id:
            url = reverse("recruitment:candidate-correct", args=[self.instance.candidate_id])
            help_text = format_html(
                '{} <a href="{}">{}</a>',
                _("Follows the candidate's admission record."),
                url,
                _("Correct it there."),
            )
            for name in FOLLOWS_CANDIDATE:
                self.fields[name].disabled = True
                self.fields[name].help_text = help_text

    def member_values(self) -> dict:
        """The cleaned values that are the member's own fields."""
        return {name: self.cleaned_data[name] for name in MEMBER_FIELDS if name in self.fields}

    def clean_date_of_birth(self):
        born = self.cleaned_data["date_of_birth"]
        if born and born > timezone.localdate():
            raise forms.ValidationError(_("The date of birth cannot be in the future."))
        return born

    def clean(self):
        cleaned = super().clean()
        typed = [name for name in MEMBER_DATES if not self.fields[name].disabled]
        for name, error in member_date_errors(cleaned, typed).items():
            self.add_error(name, error)
        if not self.fields["left_on"].disabled:
            for name, error in member_leaving_errors(cleaned).items():
                if not self.errors.get(name):
                    self.add_error(name, error)
        return cleaned


def _transfer_fields(names: list[str]) -> dict:
    fields = fields_for_model(Transfer, fields=names, formfield_callback=date_formfield)
    if "note" in fields:
        fields["note"].widget = forms.Textarea(attrs={"rows": 2})
    return fields


class TransferOutForm(RefusalMixin, forms.Form):
    """A member leaves their unit: for another of the user's units, or for a place outside
    them, named in words. ``services.transfer_out`` holds the rules."""

    def __init__(self, *args, user, member: PartyMember, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.update(
            _transfer_fields(["on", "to_unit", "to_place", "document_number", "note"])
        )
        self.fields["to_unit"] = UnitChoiceField(
            queryset=units_for(user).exclude(pk=member.unit_id),
            base_depth=base_depth(user),
            required=False,
            label=capfirst(_("to unit")),
            help_text=_("One of your units: the member moves there."),
        )
        self.fields["to_place"].help_text = _(
            "Or a party unit or place outside your units, in words: the member leaves, and "
            "their record stays in %(unit)s with its history."
        ) % {"unit": member.unit.name}
        self.order_fields(["on", "to_unit", "to_place", "document_number", "note"])


class TransferInForm(RefusalMixin, IdentityNumbersMixin, forms.Form):
    """A member arrives in one of the user's units from a place named in words: a new
    member, or ``member`` coming back after a transfer out. ``services.transfer_in`` holds
    the rules."""

    def __init__(self, *args, user, member: PartyMember | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.new_member = member is None
        self.instance = member or PartyMember()  # whose ID numbers are checked
        if self.new_member:
            self.fields.update(
                fields_for_model(
                    PartyMember,
                    fields=["full_name", "date_of_birth", "admitted_on", "official_on"],
                    formfield_callback=date_formfield,
                )
            )
            self.fields["citizen_id"] = id_number_field(PartyMember, "citizen_id")
            self.fields["old_id_number"] = id_number_field(PartyMember, "old_id_number")
            self.fields["same_person_confirmed"] = namesake_field()
            self.set_up_id_numbers(user)
        self.fields["unit"] = UnitChoiceField(
            queryset=units_for(user),
            base_depth=base_depth(user),
            label=capfirst(_("to unit")),
            help_text=_("The unit of yours the member joins."),
        )
        self.fields.update(_transfer_fields(["on", "from_place", "document_number", "note"]))
        self.fields["from_place"].required = True
        if self.new_member:
            self.order_fields(["full_name", "date_of_birth", "citizen_id", "old_id_number"])

    def clean(self):
        cleaned = super().clean()
        if self.new_member:
            born = cleaned.get("date_of_birth")
            if born and born > timezone.localdate():
                self.add_error("date_of_birth", _("The date of birth cannot be in the future."))
            for name, error in member_date_errors(cleaned, ["admitted_on", "official_on"]).items():
                self.add_error(name, error)
        return cleaned

    def member_values(self) -> dict:
        """The new member's own fields (none for a member coming back)."""
        if not self.new_member:
            return {}
        names = ("full_name", "date_of_birth", "citizen_id", "old_id_number", "admitted_on",
                 "official_on")  # fmt: skip
        return {name: self.cleaned_data[name] for name in names}

    def transfer_values(self) -> dict:
        return {
            name: self.cleaned_data[name]
            for name in ("unit", "on", "from_place", "document_number", "note")
        }


class TrainingClassForm(VersionedModelForm):
    class Meta:
        model = TrainingClass
        fields = ["title", "unit", "starts_on", "ends_on", "place"]
        formfield_callback = date_formfield

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"] = UnitChoiceField(
            queryset=units_for(user, keep=self.instance.unit_id),
            base_depth=base_depth(user),
            label=capfirst(_("organising unit")),
        )

    def clean(self):
        cleaned = super().clean()
        add_class_dates_errors(self, self.instance, cleaned)
        return cleaned


def add_class_dates_errors(form, training_class: TrainingClass, cleaned: dict) -> None:
    """The pipeline's rules of a class's dates on ``form`` (the class page's, the admin's),
    and no second class of one unit, title and first day."""
    rules = pipeline.class_dates_rules(
        training_class, cleaned.get("starts_on"), cleaned.get("ends_on")
    )
    for broken in rules:
        if not form.has_error(broken.field):
            form.add_error(broken.field, str(broken))
    unit, title, starts_on = (cleaned.get(k) for k in ("unit", "title", "starts_on"))
    if unit and title and starts_on and form.has_changed():
        # A form sent twice (a second click while the page loaded) made two classes of one;
        # so did a class edited into another's title and day. Locked by unit: two requests
        # at once see each other's class.
        Organisation.objects.select_for_update().filter(pk=unit.pk).exists()
        twins = TrainingClass.objects.filter(
            unit=unit, title__iexact=title.strip(), starts_on=starts_on
        )
        twin = twins.exclude(pk=training_class.pk).first()  # pk None (a new class): none left out
        if twin is not None:
            form.add_error(
                "title",
                _("%(unit)s already has the class “%(title)s” starting on %(day)s.")
                % {"unit": unit.name, "title": twin.title, "day": starts_on.strftime("%d/%m/%Y")},
            )


# The most candidates a class page offers at once: above it, the user narrows the list by
# unit or by name (``EnrolUnitForm``). National staff were offered every candidate waiting in
# the country: 6.9 MB of checkboxes, 7 s.
OFFERED_AT_ONCE = 100


def sent_ids(values) -> list[int]:
    """The ids among ``values`` (sent with a form): those that can be a row's."""
    from recruitment.views.params import could_be_id

    return [int(value) for value in values if could_be_id(value)]


def show_only(field, rows) -> None:
    """``field`` (a model choice) shows ``rows`` as its choices, and still accepts any row
    of its queryset: a page offers part of a long list."""
    choices = [(row.pk, field.label_from_instance(row)) for row in rows]
    if getattr(field, "empty_label", None) is not None:
        choices.insert(0, ("", field.empty_label))
    field.widget.choices = choices


def offer_first(field, queryset, chosen=()) -> bool:
    """``field`` shows the first ``OFFERED_AT_ONCE`` rows of ``queryset`` by name, and the
    rows ``chosen`` (ids sent with a refused form, which stay ticked), and still accepts any
    row of ``field.queryset``. Returns whether more rows wait beyond those shown (no count)."""
    limit = field.limit = OFFERED_AT_ONCE
    rows = list(queryset.by_name()[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    shown = {row.pk for row in rows}
    chosen = [pk for pk in sent_ids(chosen) if pk not in shown]
    if chosen:
        rows = [*field.queryset.filter(pk__in=chosen).by_name(), *rows]
    show_only(field, rows)
    field.offered = len(rows)
    return more


def waiting_for(user, training_class, unit=None, name: str = ""):
    """The candidates of ``user``'s list who may join ``training_class``
    (``pipeline.enrollable``), not in it yet; of ``unit``'s subtree and matching ``name`` if
    given."""
    waiting = (
        Candidate.objects.for_user(user)
        .filter(pipeline.enrollable(timezone.localdate()))
        .exclude(enrolments__training_class=training_class)
        .select_related("unit")
    )
    if unit is not None:
        waiting = waiting.in_subtree(unit)
    return waiting.search(name) if name else waiting


class EnrolForm(forms.Form):
    """Several candidates at once, from the user's source list: the first of them by name
    are shown (``offer_first``), any of them is accepted."""

    candidates = RowsField(
        queryset=Candidate.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        label=capfirst(_("candidates")),
        error_messages={
            "required": _("Choose at least one candidate."),
            "invalid_choice": _("One of the chosen candidates cannot be enrolled here."),
            "invalid_pk_value": _("One of the chosen candidates cannot be enrolled here."),
        },
    )

    def __init__(self, *args, user, training_class, unit=None, name: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["candidates"]
        field.queryset = waiting_for(user, training_class)
        field.label_from_instance = lambda c: f"{c.full_name} · {c.unit.name}"
        chosen = self.data.getlist("candidates") if self.is_bound else []
        self.more = offer_first(field, waiting_for(user, training_class, unit, name), chosen)


class PastResultForm(forms.Form):
    """A candidate's result in a class that has ended, recorded at once from the file."""

    candidate = forms.ModelChoiceField(
        queryset=Candidate.objects.none(),
        label=capfirst(_("candidate")),
        error_messages={"invalid_choice": _("This candidate cannot be enrolled here.")},
    )
    result = forms.ChoiceField(
        label=capfirst(_("result")),
        choices=[
            (Enrolment.Result.PASSED, Enrolment.Result.PASSED.label),
            (Enrolment.Result.FAILED, Enrolment.Result.FAILED.label),
        ],
    )
    certificate_number = forms.CharField(
        label=capfirst(_("certificate number")), max_length=50, required=False
    )
    certificate_on = DateField(label=capfirst(_("certificate date")), required=False)

    def __init__(self, *args, user, training_class, unit=None, name: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["candidate"]
        field.queryset = waiting_for(user, training_class)
        field.label_from_instance = lambda c: f"{c.full_name} · {c.unit.name}"
        chosen = [self.data.get("candidate")] if self.is_bound else []
        self.more = offer_first(field, waiting_for(user, training_class, unit, name), chosen)


class EnrolUnitForm(forms.Form):
    """Narrows the class page's list of candidates to one unit of the user's subtree (a city
    has hundreds) and to a name (diacritics ignored)."""

    unit = UnitChoiceField(
        queryset=Organisation.objects.none(), required=False, label=capfirst(_("unit"))
    )
    name = forms.CharField(required=False, max_length=100, label=capfirst(_("name")))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units_for(user)
        self.fields["unit"].base_depth = base_depth(user)


class ResultForm(forms.ModelForm):
    """One row of the class results page."""

    class Meta:
        model = Enrolment
        fields = ["result", "certificate_number", "certificate_on"]
        formfield_callback = date_formfield

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk is None:
            # Only rows of this class's enrolments exist on the page; anything else is forged.
            raise forms.ValidationError(_("This row is not an enrolment of this class."))
        if "result" in cleaned and "certificate_on" in cleaned:
            for broken in pipeline.result_rules(
                self.instance,
                result=cleaned["result"],
                certificate_number=cleaned.get("certificate_number", ""),
                certificate_on=cleaned["certificate_on"],
            ):
                if broken.code != "pass_in_use":  # told when saving, with the move it needs
                    self.add_error(broken.field, str(broken))
        return cleaned


class BaseResultFormSet(forms.BaseModelFormSet):
    def add_fields(self, form, index):
        super().add_fields(form, index)
        # Django offers every enrolment as a row id; only this page's (scoped) rows count.
        form.fields["id"].queryset = self.get_queryset()


ResultFormSet = forms.modelformset_factory(
    Enrolment, form=ResultForm, formset=BaseResultFormSet, extra=0, edit_only=True
)


# --- Quotas: the yearly table and accepting next year's suggestions ---------------------------


def quota_field(label) -> forms.IntegerField:
    """A quota box in a table row: a whole number from 0 to MAX_QUOTA, empty allowed."""
    return forms.IntegerField(
        label=label,
        min_value=0,
        max_value=MAX_QUOTA,
        required=False,
        widget=forms.NumberInput(attrs={"class": "form-control form-control-sm quota-input"}),
    )


class QuotaRowForm(forms.Form):
    """One unit's quota in the yearly table; an empty quota removes it."""

    unit = forms.IntegerField(widget=forms.HiddenInput)
    # The saved quota's version (0: none yet), so that a save cannot undo someone else's.
    # Bounded as the column is (PostgreSQL's integer): a tampered value is a form error.
    version = forms.IntegerField(
        widget=forms.HiddenInput, required=False, min_value=0, max_value=2**31 - 1
    )
    target = quota_field(_("Quota"))
    note = forms.CharField(
        label=_("Note"),
        max_length=Quota._meta.get_field("note").max_length,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The saved quota, for the browser to ask before a box emptied since saving removes it.
        saved = self.initial.get("target")
        self.fields["target"].widget.attrs["data-initial"] = "" if saved is None else saved


class BaseRowFormSet(forms.BaseFormSet):
    """Rows bound to a fixed list of units; a row for another unit means the tree changed."""

    def __init__(self, *args, units, **kwargs):
        self.units = list(units)
        kwargs.setdefault("initial", [{"unit": u.pk} for u in self.units])
        super().__init__(*args, **kwargs)

    def clean(self):
        super().clean()
        # Checked even when a row has errors: a page from before the tree changed has other
        # rows than ``units``, and only a formset without non-form errors pairs up with them.
        sent = [form.cleaned_data.get("unit") for form in self.forms]
        if sent != [u.pk for u in self.units]:
            raise forms.ValidationError(
                _("The units changed while you were editing. Reload the page and try again.")
            )

    def add_error(self, error: forms.ValidationError) -> None:
        """Show an error found after validation, such as one raised by the service saving."""
        self.non_form_errors().extend(error.messages)

    def rows(self):
        """(unit, form) pairs in the table's order.

        Only for rows that are ``units``: an unbound formset, or a bound one that passed the
        check in clean(); after a "units changed" error, show a fresh formset instead.
        """
        return list(zip(self.units, self.forms, strict=True))


QuotaFormSet = forms.formset_factory(
    QuotaRowForm, formset=BaseRowFormSet, extra=0, min_num=0, max_num=10_000
)


class PlanRowForm(forms.Form):
    """Next year's quota for one unit, prefilled with the suggestion; kept only if ticked."""

    unit = forms.IntegerField(widget=forms.HiddenInput)
    # Next year's saved quota's version, as in the quota table (``QuotaRowForm``).
    version = forms.IntegerField(
        widget=forms.HiddenInput, required=False, min_value=0, max_value=2**31 - 1
    )
    target = quota_field(_("Next year's quota"))


PlanFormSet = forms.formset_factory(
    PlanRowForm, formset=BaseRowFormSet, extra=0, min_num=0, max_num=10_000
)


class AcceptForm(forms.Form):
    """Which rows of the plan to accept."""

    accept = forms.TypedMultipleChoiceField(
        coerce=int,
        error_messages={"required": _("Tick at least one unit whose quota to set.")},
    )

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["accept"].choices = [(u.pk, u.name) for u in units]


# --- Two records of one person: merging ------------------------------------------------------


class MergeForm(forms.Form):
    """Which record to keep, which value to keep of each field that differs, and why.

    ``first`` and ``second`` are the two records as the page showed them; their versions
    travel with the form, so a merge of records changed meanwhile is refused
    (``services._locked_pair``). ``keep_choice``: whether the user chooses the record kept
    (a candidate linked to a member keeps both). The page is shown, then confirmed:
    ``confirmed`` is set by the confirmation step only.
    """

    FIRST, SECOND = "first", "second"

    keep = forms.ChoiceField(
        label=capfirst(_("record to keep")),
        widget=forms.RadioSelect(attrs={"class": "form-check-input me-1"}),
    )
    reason = forms.CharField(
        label=capfirst(_("why these are one person")),
        max_length=pipeline.REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Kept in the history of the record kept."),
    )
    first_version = forms.IntegerField(widget=forms.HiddenInput)
    second_version = forms.IntegerField(widget=forms.HiddenInput)
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, first, second, choosable: list[str], keep_choice=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.first, self.second = first, second
        self.initial.setdefault("first_version", first.version)
        self.initial.setdefault("second_version", second.version)
        if keep_choice:
            default = pipeline.record_to_keep(first, second)
            self.fields["keep"].choices = [
                (self.FIRST, _("#%(pk)s") % {"pk": first.pk}),
                (self.SECOND, _("#%(pk)s") % {"pk": second.pk}),
            ]
            self.initial.setdefault("keep", self.FIRST if default is first else self.SECOND)
        else:
            del self.fields["keep"]
        self.choosable = [
            name for name in choosable if getattr(first, name) != getattr(second, name)
        ]
        for name in self.choosable:
            self.fields[f"value_{name}"] = forms.ChoiceField(
                label=capfirst(type(first)._meta.get_field(name).verbose_name),
                choices=[(self.FIRST, _("this value")), (self.SECOND, _("this value"))],
                widget=forms.RadioSelect(attrs={"class": "form-check-input me-1"}),
            )
            # The value of the record kept by default, unless it has none.
            if getattr(first, name) in (None, "") and getattr(second, name) not in (None, ""):
                self.initial.setdefault(f"value_{name}", self.SECOND)
            else:
                self.initial.setdefault(f"value_{name}", self.initial.get("keep", self.FIRST))

    def kept_and_removed(self) -> tuple:
        if self.cleaned_data.get("keep") == self.SECOND:
            return self.second, self.first
        return self.first, self.second

    def versions(self) -> tuple[int, int]:
        """The versions the page showed, in the order (kept, removed)."""
        pair = (self.cleaned_data["first_version"], self.cleaned_data["second_version"])
        return pair if self.cleaned_data.get("keep") != self.SECOND else pair[::-1]

    def values(self, kept) -> dict:
        """The chosen value of every field that differs; the others stay as ``kept`` has them."""
        chosen = {}
        for name in self.choosable:
            source = self.first if self.cleaned_data[f"value_{name}"] == self.FIRST else self.second
            field = type(kept)._meta.get_field(name)
            chosen[name] = getattr(source, field.name)
        return chosen

    def value_fields(self):
        """(name, bound field) of each choice of value, in order."""
        return [(name, self[f"value_{name}"]) for name in self.choosable]


class MonthlyPlanForm(VersionedModelForm):
    """How a unit spreads its quota over the months: twelve numbers, or none for the even
    pace. The pace reads the plan's shares, so the numbers need not add up to the target."""

    class Meta:
        model = Quota
        fields = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        plan = self.instance.monthly_plan or [None] * 12
        for month in range(1, 13):
            self.fields[f"month_{month}"] = forms.IntegerField(
                label=_("Month %(month)s") % {"month": month},
                min_value=0,
                max_value=MAX_QUOTA,
                required=False,
                initial=plan[month - 1],
            )

    def month_fields(self):
        return [self[f"month_{month}"] for month in range(1, 13)]

    def clean(self):
        cleaned = super().clean()
        values = [cleaned.get(f"month_{month}") for month in range(1, 13)]
        if all(v is None for v in values):
            plan = []  # the even pace
        else:
            plan = [v or 0 for v in values]
            if not sum(plan):
                raise forms.ValidationError(
                    _("Plan at least one admission, or leave every month empty for the even pace."),
                    code="empty_plan",
                )
        self.instance.monthly_plan = plan
        return cleaned

    def save(self, commit=True):
        """Only the plan (and the version): the quota's target, read before the row was
        locked, is not written back over a colleague's change of it."""
        if commit:
            self.instance.save(update_fields=["monthly_plan"])
        return self.instance
