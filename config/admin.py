"""The admin site: Django's, with its "view on site" shortcut scoped like everything else,
and the parameters of every admin page read as strictly as the app's own."""

from datetime import date
from functools import wraps

from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.views.main import TO_FIELD_VAR
from django.contrib.admin.widgets import AutocompleteSelect as DjangoAutocompleteSelect
from django.contrib.contenttypes.models import ContentType
from django.contrib.contenttypes.views import shortcut
from django.core.exceptions import ValidationError
from django.db import models
from django.http import Http404
from django.urls import path, reverse
from django.utils.translation import gettext as _

from accounts.views import PasswordChangeView
from recruitment.models import MAX_YEAR, MIN_YEAR
from recruitment.views.params import (
    MAX_ID,
    BadParameter,
    could_be_id,
    int_param,
    parse_int,
    year_message,
)


class AdminSite(admin.AdminSite):
    def get_urls(self):
        urls = [url for url in super().get_urls() if getattr(url, "name", "") != "view_on_site"]
        return [
            path(
                "r/<path:content_type_id>/<path:object_id>/",
                self.admin_view(self.view_on_site),
                name="view_on_site",
            ),
            *urls,
        ]

    def password_change(self, request, extra_context=None):
        """Django's, with wrong current passwords limited like sign-ins (accounts.views)."""
        request.current_app = self.name
        return PasswordChangeView.as_view(
            success_url=reverse("admin:password_change_done", current_app=self.name),
            extra_context={**self.each_context(request), **(extra_context or {})},
        )(request)

    def admin_view(self, view, cacheable=False):
        """Every page of a ModelAdmin (Django passes its bound methods here) first checks
        the parameters that Django's admin would turn into a 500 (``check_parameters``)."""
        model_admin = getattr(view, "__self__", None)
        if isinstance(model_admin, admin.ModelAdmin):
            view = _checking_parameters(view, model_admin)
        return super().admin_view(view, cacheable)

    def view_on_site(self, request, content_type_id, object_id):
        """Django's shortcut looks the object up unscoped: a redirect would tell an outsider
        that the object exists. Here an object outside the user's subtree is a 404."""
        content_type_pk = parse_int(content_type_id, low=1, high=MAX_ID)
        object_pk = parse_int(object_id, low=1, high=MAX_ID)
        if content_type_pk is None or object_pk is None:
            raise Http404
        content_type = ContentType.objects.filter(pk=content_type_pk).first()
        model = content_type.model_class() if content_type else None
        if model is None:
            raise Http404
        queryset = model._default_manager.all()
        if hasattr(queryset, "for_user"):
            queryset = queryset.for_user(request.user)
        elif not request.user.is_superuser:
            raise Http404
        if not queryset.filter(pk=object_pk).exists():
            raise Http404
        return shortcut(request, content_type_id, object_id)


def _checking_parameters(view, model_admin):
    @wraps(view)
    def checked(request, *args, **kwargs):
        check_parameters(request, model_admin)
        return view(request, *args, **kwargs)

    return checked


def check_parameters(request, model_admin) -> None:
    """Refuse (400) the parameters of an admin page that Django 5.2 fails on.

    - An empty ``_to_field``: Django looks up a field named "" (FieldDoesNotExist).
    - A date (of a date hierarchy or not) out of the app's years: ``?decision_on__year=9999``
      fails on the year after it, a year of eleven digits overflows (fixed in Django after
      5.2, ticket #37357, as a redirect to the admin's "database error" page); here it is a
      400 that says why.
    """
    for data in (request.GET, request.POST):
        if data.get(TO_FIELD_VAR) == "":
            raise BadParameter(TO_FIELD_VAR, _("“%(name)s” is empty.") % {"name": TO_FIELD_VAR})
    # Rows named by id in a form sent: the rows an action applies to, and the choices of a
    # many-to-many field (a group's permissions). Django filters ``pk__in`` with them as
    # they come, and an id past 2^63 fails in the database.
    meta = model_admin.model._meta
    keys = [f.name for f in meta.many_to_many if isinstance(f.target_field, models.IntegerField)]
    if isinstance(meta.pk, models.IntegerField):
        keys.append(ACTION_CHECKBOX_NAME)
    for name in keys:
        for value in request.POST.getlist(name):
            if not could_be_id(value):
                raise BadParameter(
                    name, _("“%(value)s” is not the number of a row.") % {"value": value[:30]}
                )
    # Every date of the model, whether a date hierarchy offers it or not: without one,
    # Django still applies ``?decision_on__year=`` as a lookup (change lists over a million
    # rows have none, see recruitment/admin.py).
    dates = [
        f.name for f in model_admin.model._meta.concrete_fields if isinstance(f, models.DateField)
    ]
    for field in dict.fromkeys(filter(None, [model_admin.date_hierarchy, *dates])):
        _check_date(request, field)


def _check_date(request, field: str) -> None:
    year = int_param(request, f"{field}__year", low=MIN_YEAR, high=MAX_YEAR, message=year_message())
    month = int_param(request, f"{field}__month", low=1, high=12)
    day = int_param(request, f"{field}__day", low=1, high=31)
    if year is not None and month is not None and day is not None:
        try:
            date(year, month, day)
        except ValueError:
            raise BadParameter(f"{field}__day", _("There is no such day.")) from None


class AutocompleteSelect(DjangoAutocompleteSelect):
    """Django's autocomplete, leaving out a selected value that cannot be a key.

    Django's widget looks up the selected value as it comes: ``?unit=%`` on an add page, or
    a posted form shown again with its errors, is a 500 where a plain select shows nothing
    selected (and the form says the choice is not valid).
    """

    def optgroups(self, name, value, attr=None):
        return super().optgroups(name, [v for v in value if self._could_be_key(v)], attr)

    def _could_be_key(self, value) -> bool:
        if str(value) in self.choices.field.empty_values:
            return True
        target = self.field.target_field
        if isinstance(target, models.IntegerField):
            return could_be_id(value)
        try:
            target.to_python(value)
        except ValidationError:
            return False
        return True


class AutocompleteMixin:
    """A ModelAdmin (or inline) whose autocomplete fields use the widget above."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name in self.get_autocomplete_fields(request):
            kwargs.setdefault(
                "widget", AutocompleteSelect(db_field, self.admin_site, using=kwargs.get("using"))
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
