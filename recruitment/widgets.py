"""Form widgets and fields shared by the forms: dates typed and shown as dd/mm/yyyy, a
unit found by typing its name, rows chosen by id and JSON read without a 500."""

from django import forms
from django.utils.translation import gettext_lazy as _

DATE_INPUT_FORMATS = ["%d/%m/%Y", "%d-%m-%Y", "%Y-%m-%d"]


class DateInput(forms.DateInput):
    """A text box for dd/mm/yyyy (a native date picker would show the browser's format)."""

    def __init__(self, attrs=None):
        defaults = {
            "placeholder": _("dd/mm/yyyy"),
            "inputmode": "numeric",
            "autocomplete": "off",
            "pattern": r"\d{1,2}[/\-]\d{1,2}[/\-]\d{4}|\d{4}-\d{2}-\d{2}",
        }
        super().__init__(attrs={**defaults, **(attrs or {})}, format="%d/%m/%Y")


class DateField(forms.DateField):
    widget = DateInput

    def __init__(self, **kwargs):
        kwargs.setdefault("input_formats", DATE_INPUT_FORMATS)
        super().__init__(**kwargs)
        self.error_messages["invalid"] = _("Enter a date as dd/mm/yyyy.")


def date_formfield(db_field, **kwargs):
    """``formfield_callback`` for ModelForms: every DateField becomes a dd/mm/yyyy field."""
    from django.db import models

    if isinstance(db_field, models.DateField) and not isinstance(db_field, models.DateTimeField):
        return db_field.formfield(form_class=DateField, **kwargs)
    return db_field.formfield(**kwargs)


class UnitSearchInput(forms.Widget):
    """A unit chosen by typing its name: never a select of every unit of the scope.

    Renders the chosen unit's id in a hidden ``name`` field and a search box ``name_q``
    showing its name. ``static/js/app.js`` asks ``search_url`` (a JSON list of the user's
    units matching what is typed) and fills the hidden field with the one picked. Without
    JavaScript the box is sent as typed, and the page offers the matching units as links
    (``filters.ScopedFilterSet.unit_matches``). ``queryset`` is the user's units: the chosen
    unit's name is read from it (one query), so an id outside the scope shows no name.
    """

    PASSED_ON = ("aria-invalid", "aria-describedby", "required", "disabled")

    def __init__(self, attrs=None, *, search_url: str = ""):
        super().__init__(attrs)
        self.search_url = search_url
        self.queryset = None
        self.typed = ""

    def value_from_datadict(self, data, files, name):
        self.typed = (data.get(f"{name}_q") or "")[:100]
        return data.get(name)

    def chosen(self, value):
        from recruitment.views.params import MAX_ID, parse_int

        pk = parse_int(str(value), low=1, high=MAX_ID) if value not in (None, "") else None
        if pk is None or self.queryset is None:
            return None
        return self.queryset.filter(pk=pk).only("name").first()

    def render(self, name, value, attrs=None, renderer=None):
        from django.forms.utils import flatatt
        from django.urls import reverse
        from django.utils.html import format_html

        attrs = self.build_attrs(self.attrs, attrs)
        widget_id = attrs.get("id", f"id_{name}")
        unit = self.chosen(value)
        # What the form says of the field (its error, its help, required) reaches the box.
        described = {k: v for k, v in attrs.items() if k in self.PASSED_ON}
        return format_html(
            '<div class="unit-search position-relative" data-unit-search="{url}">'
            '<input type="hidden" name="{name}" value="{pk}" data-unit-value>'
            '<input type="search" name="{name}_q" id="{id}" value="{text}" class="{cls}" '
            'placeholder="{placeholder}" autocomplete="off" maxlength="100" '
            'role="combobox" aria-autocomplete="list" aria-expanded="false" '
            'aria-controls="{id}-results" data-unit-text{described}>'
            '<div class="list-group position-absolute w-100 shadow-sm unit-search-results" '
            'id="{id}-results" role="listbox" hidden></div></div>',
            url=self.search_url or reverse("recruitment:unit-search"),
            name=name,
            pk=unit.pk if unit else "",
            id=widget_id,
            text=unit.name if unit else self.typed,
            cls=attrs.get("class", "form-control"),
            placeholder=_("Type a unit's name"),
            described=flatatt(described),
        )


class RowsField(forms.ModelMultipleChoiceField):
    """Several rows chosen by id, where an id no row can have (past 2^63, or not a number)
    is refused as any other id that is not a choice: Django looks it up as it comes, and the
    database fails on it (SQLite: "Python int too large"), a 500 for a tampered form."""

    def _check_values(self, value):
        from recruitment.views.params import could_be_id

        for pk in value if isinstance(value, (list, tuple)) else []:
            if not could_be_id(pk):
                raise forms.ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": str(pk)[:30]},
                )
        return super()._check_values(value)


class JSONField(forms.JSONField):
    """Django's JSON box, refusing as not valid JSON a number too long for Python to read
    (past 4,300 digits): Django's lets that ``ValueError`` through, a 500, when it reads the
    value and again when it shows it back with the form's errors."""

    def to_python(self, value):
        try:
            return super().to_python(value)
        except ValueError:
            raise forms.ValidationError(
                self.error_messages["invalid"], code="invalid", params={"value": value}
            ) from None

    def bound_data(self, data, initial):
        try:
            return super().bound_data(data, initial)
        except ValueError:
            return forms.fields.InvalidJSONInput(data)
