"""The admin's change list rows (recruitment/templatetags/admin_rows.py): the same HTML as
Django's ``items_for_result``, on every change list of the demo, drawn for less."""

from unittest import mock

import pytest
from django.contrib import admin
from django.contrib.admin.templatetags import admin_list
from django.test import TestCase
from django.urls import reverse

from accounts.models import User
from recruitment.demo import load_demo
from recruitment.templatetags import admin_rows
from tests.snapshots import kept_snapshot

CHANGE_LISTS = sorted(
    f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"
    for model in admin.site._registry
)


def rows(results) -> list[list[str]]:
    return [list(row) for row in results]


@pytest.mark.xdist_group("demo")
class AdminRowsTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        kept_snapshot(load_demo).restore()
        cls.admin = User.objects.create_superuser("rows-admin", "rows@example.org", "x")

    def setUp(self):
        self.client.force_login(self.admin)

    def change_list(self, url: str, **query):
        response = self.client.get(url, query)
        self.assertEqual(response.status_code, 200, url)
        return response

    def test_every_change_list_draws_django_s_rows(self):
        drawn = 0
        for name in CHANGE_LISTS:
            with self.subTest(name):
                response = self.change_list(reverse(name))
                cl = response.context["cl"]
                expected = rows(admin_list.results(cl))
                self.assertEqual(rows(admin_rows.results(cl)), expected)
                # The page shows them (its own tag, not Django's, drew them).
                for row in expected:
                    for cell in row:
                        self.assertContains(response, cell, html=False)
                drawn += len(expected)
        self.assertGreater(drawn, 500)  # the demo fills the lists: each kind of column is met

    def test_the_change_lists_draw_their_rows_here(self):
        for name in ("admin:recruitment_candidate_changelist", "admin:accounts_user_changelist"):
            with mock.patch.object(admin_rows, "results", wraps=admin_rows.results) as drawn:
                self.change_list(reverse(name))
            drawn.assert_called_once()

    def test_a_search_a_filter_and_an_order_draw_django_s_rows(self):
        url = reverse("admin:recruitment_candidate_changelist")
        for query in ({"q": "nguyen"}, {"stage__exact": "recognised"}, {"o": "-3.1"}):
            with self.subTest(query):
                cl = self.change_list(url, **query).context["cl"]
                self.assertTrue(cl.result_list)
                self.assertEqual(rows(admin_rows.results(cl)), rows(admin_list.results(cl)))

    def test_a_change_list_whose_links_differ_by_more_than_the_id_links_each_row_itself(self):
        cl = self.change_list(reverse("admin:recruitment_candidate_changelist")).context["cl"]

        class Anchored(type(cl)):
            def url_for_result(self, result):
                return f"{super().url_for_result(result)}#{result.full_name[:3]}"

        cl.__class__ = Anchored
        drawn = rows(admin_rows.results(cl))
        self.assertEqual(drawn, rows(admin_list.results(cl)))
        self.assertEqual(len({row[1].split("#")[1][:3] for row in drawn}) > 1, True)

    def test_a_popup_is_drawn_by_django(self):
        url = reverse("admin:recruitment_organisation_changelist")
        cl = self.change_list(url, _popup=1, _to_field="id").context["cl"]
        self.assertEqual(rows(admin_rows.results(cl)), rows(admin_list.results(cl)))
        self.assertIn("data-popup-opener", rows(admin_rows.results(cl))[0][0])

    def test_a_column_s_cells_are_drawn_once_per_value(self):
        cl = self.change_list(reverse("admin:recruitment_candidate_changelist")).context["cl"]
        stage = admin_rows.Column(cl, "stage", 3, first=False)
        for candidate in cl.result_list:
            stage.cell(candidate)
        shown = {candidate.stage for candidate in cl.result_list}
        self.assertEqual({value for _type, value in stage.drawn}, shown)
        self.assertLess(len(shown), len(cl.result_list))


def test_values_equal_to_python_but_shown_apart_are_drawn_apart():
    """True == 1 == 1.0 as keys of a dict; the admin shows them as three values."""
    from types import SimpleNamespace

    from django.db import models

    field = models.JSONField(name="data")
    column = admin_rows.Column.__new__(admin_rows.Column)
    column.name, column.field, column.link, column.empty = "data", field, False, "-"
    column.field_class, column.drawn = "field-data", {}
    cells = [column.cell(SimpleNamespace(data=value)) for value in (True, 1, 1.0)]
    assert cells == ['<td class="field-data">true</td>', '<td class="field-data">1</td>',
                     '<td class="field-data">1.0</td>']  # fmt: skip
