"""The forms of the reorganisation pages: the event, then its steps one by one."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from recruitment.forms import UnitChoiceField, sent_ids, show_only
from recruitment.models import MAX_YEAR, MIN_YEAR, Organisation
from recruitment.reorganisation.models import Reorganisation, ReorganisationStep
from recruitment.views.params import year_message
from recruitment.widgets import DateField, RowsField

Kind = ReorganisationStep.Kind

# The most units a step's pickers list at once: a province or the nation has thousands, and
# each picker was a select of all of them (311,000 nationally). Past it, the page works
# within one unit and two levels below it, chosen by typing its name.
PICKED_AT_ONCE = 300


class ReorganisationForm(forms.ModelForm):
    effective_on = DateField(label=capfirst(_("effective on")))

    class Meta:
        model = Reorganisation
        fields = ["title", "effective_on", "document_reference"]

    def clean_effective_on(self):
        """Within the app's years: applied on 01/01/0001 it closed units in year 1."""
        on = self.cleaned_data["effective_on"]
        if not MIN_YEAR <= on.year <= MAX_YEAR:
            raise ValidationError(year_message(), code="year")
        return on


class StepForm(forms.Form):
    """One step. The unit pickers list the units of the user's subtree open on the
    reorganisation's effective date; a unit an earlier step opens is named by its code."""

    kind = forms.ChoiceField(label=_("What happens"), choices=Kind.choices)
    units = RowsField(
        label=_("Units"),
        queryset=Organisation.objects.none(),
        required=False,
        help_text=_(
            "Merge: the units merged; split, move, rename, close: one unit; "
            "level removed: the unit under which the level goes."
        ),  # fmt: skip
    )
    target = forms.ModelChoiceField(
        label=_("Merge into an existing unit"), queryset=Organisation.objects.none(), required=False
    )
    parent = forms.ModelChoiceField(
        label=_("New parent"),
        queryset=Organisation.objects.none(),
        required=False,
        help_text=_(
            "Close, level removed: the unit the closed units' users go to; none: they are "
            "attached to no unit until an administrator gives them one."
        ),
    )
    parent_code = forms.CharField(
        label=_("or the code of a parent opened by an earlier step"), max_length=30, required=False
    )
    new_code = forms.CharField(label=_("New unit's code"), max_length=30, required=False)
    new_name = forms.CharField(label=_("New unit's name (or the new name)"), max_length=200,
                               required=False)  # fmt: skip
    new_kind = forms.ChoiceField(
        label=_("New unit's kind (level removed: the kind removed)"),
        choices=[("", "—"), *Organisation.Kind.choices],
        required=False,
    )
    second_code = forms.CharField(label=_("Split: second unit's code"), max_length=30,
                                  required=False)  # fmt: skip
    second_name = forms.CharField(label=_("Split: second unit's name"), max_length=200,
                                  required=False)  # fmt: skip
    second_units = RowsField(
        label=_("Split: the units (just below the unit split) that go to the second unit"),
        queryset=Organisation.objects.none(),
        required=False,
        help_text=_("With their people and work; the others go to the first new unit."),
    )
    second_users = RowsField(
        label=_("Split: the users of the unit split who go to the second unit"),
        queryset=User.objects.none(),
        required=False,
        help_text=_("The others go to the first new unit."),
    )

    second_people = forms.CharField(
        label=_("Split: the candidates and members directly in the unit split who go to the "
                "second unit"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text=_("Their citizen ID or old ID number, one per line; the others go to the "
                    "first new unit."),
    )  # fmt: skip

    PICKERS = ("units", "target", "parent", "second_units")

    def __init__(self, *args, units, within: Organisation | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.PICKERS:
            self.fields[name].queryset = units
        self.fields["second_users"].queryset = User.objects.filter(unit__in=units).order_by(
            "username"
        )
        self.within = None  # the unit the pickers list, where the scope is too large for all
        self.cut = False  # whether even that part of the tree was more than the pickers list
        shown = self._shown_units(units, within)
        if shown is not None:
            self._offer(shown)

    def _shown_units(self, units, within):
        """The units the pickers show: all of ``units`` up to ``PICKED_AT_ONCE``; past that,
        ``within`` (or the top of the scope) and two levels below it, in tree order. None
        for all. Any unit of ``units`` is accepted either way."""
        if len(units.values_list("pk", flat=True)[: PICKED_AT_ONCE + 1]) <= PICKED_AT_ONCE:
            return None
        top = within or units.order_by("depth", "path").first()
        self.within = top
        near = units.filter(path__startswith=top.path, depth__lte=top.depth + 2)
        # Level by level, then in tree order: cut in tree order, the first children's own
        # children filled the list and their later siblings never showed beside them.
        nearest = list(near.order_by("depth", "path")[: PICKED_AT_ONCE + 1])
        self.cut = len(nearest) > PICKED_AT_ONCE
        shown = sorted(nearest[:PICKED_AT_ONCE], key=lambda unit: unit.path)
        sent = [self.data.getlist(name) for name in self.PICKERS] if self.is_bound else []
        chosen = {pk for values in sent for pk in sent_ids(values)}
        missing = chosen - {unit.pk for unit in shown}
        return [*units.filter(pk__in=missing).order_by("path"), *shown] if missing else shown

    def _offer(self, shown) -> None:
        for name in self.PICKERS:
            show_only(self.fields[name], shown)
        users = self.fields["second_users"]
        show_only(users, users.queryset.filter(unit__in=[unit.pk for unit in shown]))

    def _one_unit(self, units) -> str:
        if len(units) != 1:
            raise ValidationError({"units": _("Choose exactly one unit for this step.")})
        return units[0].code

    def _split_assignment(self, source, data, *, second: str) -> dict:
        """What goes to the second new unit: units just below the source, and its users."""
        units = list(data.get("second_units") or [])
        users = list(data.get("second_users") or [])
        children = {u.pk for u in Organisation.objects.get_children(source)}
        if any(unit.pk not in children for unit in units):
            raise ValidationError(
                {"second_units": _("Choose only units just below the unit split.")}
            )
        if any(user.unit_id != source.pk for user in users):
            raise ValidationError({"second_users": _("Choose only users of the unit split.")})
        assign = {}
        if units:
            assign["units"] = {unit.code: second for unit in units}
        if users:
            assign["users"] = {str(user.pk): second for user in users}
        for kind, pks in self._people_of(source, data.get("second_people") or "").items():
            assign[kind] = {str(pk): second for pk in pks}
        return assign

    @staticmethod
    def _people_of(source, text: str) -> dict[str, list[int]]:
        """The candidates and members directly in ``source`` named by ``text`` (an ID
        number a line), as ``{"candidates": [pk…], "members": [pk…]}``; an ID number that
        is nobody's there is refused, with the line it was on."""
        from recruitment.duplicates import id_digits
        from recruitment.models import Candidate, PartyMember

        lines = [(line.strip(), id_digits(line)) for line in text.splitlines()]
        numbers = {digits for _line, digits in lines if digits is not None}
        found: dict[str, list[int]] = {}
        named = set()  # the ID numbers someone in the unit holds
        for kind, model in (("candidates", Candidate), ("members", PartyMember)):
            by_id = Q(citizen_id__in=numbers) | Q(old_id_number__in=numbers)
            rows = model.objects.filter(by_id, unit=source).order_by("pk")
            for pk, citizen_id, old_id_number in rows.values_list(
                "pk", "citizen_id", "old_id_number"
            ):
                found.setdefault(kind, []).append(pk)
                named.update({citizen_id, old_id_number})
        missing = [line for line, digits in lines if digits is not None and digits not in named]
        if missing:
            raise ValidationError(
                {
                    "second_people": _(
                        "Nobody directly in the unit split has this ID number: %(numbers)s."
                    )
                    % {"numbers": ", ".join(missing)}
                }
            )
        return {kind: pks for kind, pks in found.items() if pks}

    def clean(self):
        data = super().clean()
        kind, units = data.get("kind"), list(data.get("units") or [])
        parent = data.get("parent").code if data.get("parent") else data.get("parent_code", "")
        new = {"name": data.get("new_name", ""), "kind": data.get("new_kind", "")}
        if kind == Kind.MERGE:
            if not units:
                raise ValidationError({"units": _("Choose the units to merge.")})
            params = {"sources": [u.code for u in units]}
            if data.get("target"):
                params["target"] = data["target"].code
            elif data.get("new_code") and new["name"] and new["kind"]:
                params.update(target=data["new_code"], new={**new, "parent": parent or None})
            else:
                raise ValidationError(
                    _("Merge into an existing unit, or give the new unit's code, name and kind.")
                )
        elif kind == Kind.SPLIT:
            targets = [(data.get("new_code"), new["name"]),
                       (data.get("second_code"), data.get("second_name"))]  # fmt: skip
            if not all(code and name for code, name in targets):
                raise ValidationError(_("A split needs the code and name of both new units."))
            params = {
                "source": self._one_unit(units),
                "targets": [
                    {"code": c, "name": n, "kind": new["kind"], "parent": parent or None}
                    for c, n in targets
                ],  # fmt: skip
            }
            assign = self._split_assignment(units[0], data, second=targets[1][0])
            if assign:
                params["assign"] = assign
        elif kind == Kind.MOVE:
            if not parent:
                raise ValidationError({"parent": _("Choose the new parent.")})
            params = {"unit": self._one_unit(units), "parent": parent}
        elif kind == Kind.RENAME:
            if not new["name"]:
                raise ValidationError({"new_name": _("Give the new name.")})
            params = {"unit": self._one_unit(units), "name": new["name"]}
        elif kind == Kind.CLOSE:
            params = {"unit": self._one_unit(units)}
        else:
            if not new["kind"]:
                raise ValidationError({"new_kind": _("Choose the kind of unit removed.")})
            params = {"under": self._one_unit(units), "kind": new["kind"]}
        if kind in (Kind.CLOSE, Kind.LEVEL_REMOVED) and parent:
            params["users_to"] = parent
        data["params"] = params
        return data


class WithinForm(forms.Form):
    """The unit whose part of the tree a large scope's step pickers list (``StepForm``),
    typed by name."""

    within = UnitChoiceField(
        queryset=Organisation.objects.none(), required=False, label=_("Work within")
    )

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["within"].queryset = units

    def unit(self) -> Organisation | None:
        return self.cleaned_data.get("within") if self.is_bound and self.is_valid() else None
