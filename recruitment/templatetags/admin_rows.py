"""The rows of the admin's change lists, the same HTML as Django's, drawn for less.

Django's ``items_for_result`` works out each cell from scratch: which field the column
shows, its empty value, its CSS classes, then the value's display (``display_for_field``
rebuilds the choices of a field as a dict for every cell, formats a date, escapes). A
change list of a hundred rows spent about two thirds of its time there (the candidates'
at national scale: ~70 of ~110 ms). Here what is the same for every row of a column is
worked out once, and a column's cell is drawn once per value it shows: a hundred rows
show a handful of stages, units and dates. Each row's own cells (its link, its checkbox,
a column computed by the admin) are drawn for it, as Django draws them.

``{% result_list cl %}`` in ``templates/admin/change_list.html`` (which extends Django's)
is this module's: the same context for ``change_list_results.html`` as Django's tag
gives. A list with editable columns, opened in a popup or choosing by another field than
the id is drawn by Django's own code. A test compares the two on every change list.
"""

from __future__ import annotations

import datetime

from django import template
from django.contrib.admin.templatetags import admin_list
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.contrib.admin.templatetags.base import InclusionAdminNode
from django.contrib.admin.utils import (
    FieldIsAForeignKeyColumnName,
    _get_non_gfk_field,
    display_for_field,
    display_for_value,
    lookup_field,
)
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist
from django.db import models
from django.urls import NoReverseMatch
from django.utils.html import format_html
from django.utils.safestring import mark_safe

register = template.Library()

# Change lists whose row links are the same but for the row's id: Django's, and the one
# that writes the list's filters into each (``recruitment.admin.RowLinksChangeList``).
URLS_OF_THE_ID_ALONE = {ChangeList.url_for_result.__code__}


def links_rows_by_id_alone(change_list: type[ChangeList]) -> type[ChangeList]:
    """Mark ``change_list``'s ``url_for_result`` as the same for every row but for its id."""
    URLS_OF_THE_ID_ALONE.add(change_list.url_for_result.__code__)
    return change_list


def result_list(cl) -> dict:
    """Django's ``result_list`` (the context of ``change_list_results.html``), its rows
    drawn by ``results``."""
    headers = list(admin_list.result_headers(cl))
    return {
        "cl": cl,
        "result_hidden_fields": list(admin_list.result_hidden_fields(cl)),
        "result_headers": headers,
        "num_sorted_fields": sum(1 for h in headers if h["sortable"] and h["sorted"]),
        "results": list(results(cl)),
    }


@register.tag(name="result_list")
def result_list_tag(parser, token):
    return InclusionAdminNode(
        parser,
        token,
        func=result_list,
        template_name="change_list_results.html",
        takes_context=False,
    )


def results(cl):
    """Each row's cells, as Django's ``admin_list.results`` yields them."""
    if cl.formset or cl.is_popup or cl.to_field:
        yield from admin_list.results(cl)
        return
    columns = []
    first = True  # as Django's: the first column that links is a <th>
    for index, name in enumerate(cl.list_display):
        column = Column(cl, name, index, first)
        first = first and not column.link
        columns.append(column)
    for result in cl.result_list:
        yield admin_list.ResultList(None, [column.cell(result) for column in columns])


class Column:
    """One column of ``cl.list_display``: what Django's ``items_for_result`` works out for
    each of its cells, worked out once, and its cells drawn once per value (``drawn``)."""

    def __init__(self, cl, name, index: int, first: bool):
        self.cl = cl
        self.name = name
        self.empty = cl.model_admin.get_empty_value_display()
        self.field_class = f"field-{admin_list._coerce_field_name(name, index)}"
        links = cl.list_display_links
        self.link = links is not None and ((first and not links) or name in links)
        self.tag = "th" if first else "td"
        # A field of the model, read as an attribute; otherwise (a method of the admin or
        # the model, a property, a lookup through a relation) Django's ``lookup_field``.
        try:
            self.field = None if callable(name) else _get_non_gfk_field(cl.lookup_opts, name)
        except (FieldDoesNotExist, FieldIsAForeignKeyColumnName):
            self.field = None
        self.drawn: dict = {}
        self.url_around: tuple[str, str] | None = None  # a row's link, but for its id
        url_for_result = getattr(type(cl).url_for_result, "__code__", None)
        self.url_of_id_alone = url_for_result in URLS_OF_THE_ID_ALONE

    def cell(self, result) -> str:
        if self.field is not None and not self.link:
            try:
                value = getattr(result, self.name)
            except ObjectDoesNotExist:
                return self._td(self.empty, [self.field_class])
            # By type too: True, 1 and 1.0 are one key to a dict, not to display_for_field.
            seen = (type(value), value)
            try:
                return self.drawn[seen]
            except KeyError:
                drawn = self.drawn[seen] = self._td(*self._shown(self.field, None, value))
                return drawn
            except TypeError:  # not hashable
                return self._td(*self._shown(self.field, None, value))
        try:
            field, attr, value = lookup_field(self.name, result, self.cl.model_admin)
        except ObjectDoesNotExist:
            shown, classes = self.empty, [self.field_class]
        else:
            shown, classes = self._shown(field, attr, value)
        if self.link:
            return self._linked(result, shown, classes)
        return self._td(shown, classes)

    def _shown(self, field, attr, value) -> tuple[object, list[str]]:
        """The cell's content and classes, as ``items_for_result`` makes them."""
        empty = getattr(attr, "empty_value_display", self.empty)
        classes = [self.field_class]
        if isinstance(value, str) and value.strip() == "":
            value = ""
        if field is None or field.auto_created:
            if self.name == "action_checkbox":
                classes = ["action-checkbox"]
            boolean = getattr(attr, "boolean", False)
            if isinstance(attr, property) and hasattr(attr, "fget"):
                boolean = getattr(attr.fget, "boolean", False)
            shown = display_for_value(value, empty, boolean)
            if isinstance(value, (datetime.date, datetime.time)):
                classes.append("nowrap")
            return shown, classes
        if isinstance(field.remote_field, models.ManyToOneRel):
            shown = empty if value is None else value  # the related row, read with the list
        else:
            shown = display_for_field(value, field, empty, avoid_link=self.link)
        if isinstance(field, (models.DateField, models.TimeField, models.ForeignKey)):
            classes.append("nowrap")
        return shown, classes

    @staticmethod
    def _td(shown, classes: list[str]) -> str:
        return format_html("<td{}>{}</td>", _class_attribute(classes), shown)

    def _linked(self, result, shown, classes: list[str]) -> str:
        try:
            url = self._url(result)
        except NoReverseMatch:
            content = shown
        else:
            content = format_html('<a href="{}">{}</a>', url, shown)  # no popup here
        row_class = _class_attribute(classes)
        return format_html("<{}{}>{}</{}>", self.tag, row_class, content, self.tag)

    def _url(self, result) -> str:
        """The row's change page with the list's filters, as Django writes it: reversed once
        for the column, then the same but for the id (an integer: nothing of it is quoted),
        where the change list makes it of the id alone (Django's ``url_for_result``, or one
        that adds the same filters to every row: ``RowLinksChangeList``)."""
        pk = getattr(result, self.cl.pk_attname)
        if self.url_around is not None and type(pk) is int:
            return f"{self.url_around[0]}{pk}{self.url_around[1]}"
        url = add_preserved_filters(
            {"preserved_filters": self.cl.preserved_filters, "opts": self.cl.opts},
            self.cl.url_for_result(result),
        )
        marker = f"/{pk}/change/"
        if type(pk) is int and url.count(marker) == 1 and self.url_of_id_alone:
            before, after = url.split(marker)
            self.url_around = (f"{before}/", f"/change/{after}")
        return url


def _class_attribute(classes: list[str]) -> str:
    # As Django writes it: the names are the admin's own (field names, "nowrap").
    return mark_safe(f' class="{" ".join(classes)}"')
