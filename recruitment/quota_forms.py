"""Forms for quotas: the yearly quota table and accepting next year's suggested quotas."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from recruitment.models import MAX_QUOTA, Quota


class QuotaRowForm(forms.Form):
    """One unit's quota in the yearly table; an empty quota removes it."""

    unit = forms.IntegerField(widget=forms.HiddenInput)
    target = forms.IntegerField(
        label=_("Quota"),
        min_value=0,
        max_value=MAX_QUOTA,
        required=False,
        widget=forms.NumberInput(attrs={"class": "form-control form-control-sm quota-input"}),
    )
    note = forms.CharField(
        label=_("Note"),
        max_length=Quota._meta.get_field("note").max_length,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}),
    )


class BaseRowFormSet(forms.BaseFormSet):
    """Rows bound to a fixed list of units; a row for another unit means the tree changed."""

    def __init__(self, *args, units, **kwargs):
        self.units = list(units)
        kwargs.setdefault("initial", [{"unit": u.pk} for u in self.units])
        super().__init__(*args, **kwargs)

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        sent = [form.cleaned_data.get("unit") for form in self.forms]
        if sent != [u.pk for u in self.units]:
            raise forms.ValidationError(
                _("The units changed while you were editing. Reload the page and try again.")
            )

    def rows(self):
        """(unit, form) pairs in the table's order."""
        return list(zip(self.units, self.forms, strict=True))


QuotaFormSet = forms.formset_factory(
    QuotaRowForm, formset=BaseRowFormSet, extra=0, min_num=0, max_num=10_000
)


class PlanRowForm(forms.Form):
    """Next year's quota for one unit, prefilled with the suggestion; kept only if ticked."""

    unit = forms.IntegerField(widget=forms.HiddenInput)
    target = forms.IntegerField(
        label=_("Next year's quota"),
        min_value=0,
        max_value=MAX_QUOTA,
        required=False,
        widget=forms.NumberInput(attrs={"class": "form-control form-control-sm quota-input"}),
    )


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
