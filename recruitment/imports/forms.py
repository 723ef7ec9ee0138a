"""The upload form of ``/imports/``."""

from django import forms
from django.utils.translation import gettext_lazy

from recruitment.imports import kinds
from recruitment.models import MAX_YEAR, MIN_YEAR


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("What the file holds"))
    file = forms.FileField(
        allow_empty_file=True,  # the importer says "the file is empty" in its own words
        label=gettext_lazy("File (.xlsx or .csv)"),
        help_text=gettext_lazy(
            "The template of each kind, an export of this app, or your own sheet with the "
            "same column headers (Vietnamese or English)."
        ),
    )
    year = forms.IntegerField(
        label=gettext_lazy("Year (quotas)"),
        min_value=MIN_YEAR,
        max_value=MAX_YEAR,
        required=False,
        help_text=gettext_lazy(
            "For a quota file without a year column; an export's year is read from it."
        ),
    )
    namesakes_confirmed = forms.BooleanField(
        label=gettext_lazy("Same name and birth date as someone already registered: other people"),
        required=False,
        help_text=gettext_lazy("Tick only once you have checked they are not the same people."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = kinds.allowed(user)
