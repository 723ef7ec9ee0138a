"""Exports: the same figures as the page, safe to open in a spreadsheet."""

import csv
import io
import json
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation
from openpyxl import load_workbook

from recruitment.models import Organisation, Stage
from recruitment.reports import exports, steering
from recruitment.reports.figures import quota_figures
from tests.factories import CandidateFactory, QuotaFactory, add_unit
from tests.helpers import english

URL = "/dashboard/"


def admit(unit, n, year=2021):
    for _ in range(n):
        CandidateFactory(unit=unit, stage=Stage.ADMITTED, decision_on=date(year, 6, 1))


@pytest.fixture
def figures_2021(tree):
    QuotaFactory(unit=tree["city"], year=2021, target=43)
    QuotaFactory(unit=tree["city"], year=2020, target=40)
    QuotaFactory(unit=tree["ward1"], year=2021, target=3)
    QuotaFactory(unit=tree["ward1"], year=2020, target=5)
    admit(tree["ward1_cell"], 4)
    admit(tree["ward3_cell"], 44)
    CandidateFactory(unit=tree["ward1_cell"], stage=Stage.TRAINED)
    return tree


def test_csv_has_a_bom_the_units_own_row_first_and_the_same_figures(staff_client, figures_2021):
    response = english(staff_client).get(URL, {"year": 2021, "format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    assert response.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    title, header, city, ward1, ward3 = rows
    assert title[:2] == ["Unit: Đảng bộ thành phố Vị Thanh (VT)", "Year: 2021"]
    assert title[2].startswith("Exported at: ")
    # The exact ratio spaced, so that a spreadsheet does not read "4/3" as a date.
    assert city[:9] == ["VT", "Đảng bộ thành phố Vị Thanh", "43", "40", "3", "48", "111",
                        "48 / 43", "1.1163"]  # fmt: skip
    assert ward1[:9] == ["VT-P1", "Đảng bộ Phường I", "3", "5", "-2", "4", "133", "4 / 3",
                         "1.3333"]  # fmt: skip
    assert ward3[2:9] == ["", "", "", "44", "", "", ""]  # no quota: nothing to show
    assert ward1[11] == "1"  # one trained candidate
    assert len(header) == len(city) > len(exports.columns())


def test_json_carries_the_header_and_rows_as_on_the_page(staff_client, figures_2021):
    data = staff_client.get(URL, {"year": 2021, "format": "json"}).json()
    assert data["unit"]["code"] == "VT" and data["year"] == 2021
    assert data["header"]["admitted"] == 48 and data["header"]["percent"] == 111
    ward1 = data["rows"][1]
    assert (ward1["quota_change"], ward1["ratio"], ward1["ratio_decimal"]) == (-2, "4/3", 1.3333)
    assert data["rows"][2]["percent"] is None and data["rows"][2]["no_source"] is True
    page = staff_client.get(URL, {"year": 2021}).context["rows"]
    assert [r["admitted"] for r in data["rows"]] == [r.admitted for r in page]


def test_xlsx_has_numbers_as_numbers_and_the_same_figures(staff_client, figures_2021):
    response = english(staff_client).get(URL, {"year": 2021, "format": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][:2] == ("Unit: Đảng bộ thành phố Vị Thanh (VT)", "Year: 2021")
    assert values[2][:9] == ("VT", "Đảng bộ thành phố Vị Thanh", 43, 40, 3, 48, 111, "48/43",
                             1.1163)  # fmt: skip
    assert values[3][4] == -2 and isinstance(values[3][4], int)
    assert values[4][2] is None
    assert sheet["H4"].data_type == "s"  # "4/3" stays text, never a date


def test_exports_are_attachments_named_with_year_and_unit_code(staff_client, figures_2021):
    for fmt in exports.FORMATS:
        response = staff_client.get(URL, {"year": 2021, "format": fmt})
        disposition = response["Content-Disposition"]
        assert disposition.startswith("attachment;")
        assert "quota-2021-VT-" in disposition and disposition.endswith(f'.{fmt}"')


@pytest.mark.parametrize(
    ("value", "safe"),
    [("=SUM(A1)", "'=SUM(A1)"), ("+1", "'+1"), ("-2", "'-2"), ("@cmd", "'@cmd"),
     ("Phường I", "Phường I"), (-2, -2), (0, 0), (None, None)],
)  # fmt: skip
def test_text_that_would_start_a_formula_is_neutralised_numbers_are_not(value, safe):
    assert exports.neutralise(value) == safe


def test_a_unit_named_like_a_formula_is_neutralised_in_csv_and_xlsx(staff_client, tree):
    add_unit(tree["city"], "=HYPERLINK", '=HYPERLINK("http://x")')
    QuotaFactory(unit=tree["city"], year=2021, target=2)
    csv_text = staff_client.get(URL, {"year": 2021, "format": "csv"}).content.decode("utf-8-sig")
    assert "'=HYPERLINK" in csv_text
    assert ",=" not in csv_text
    xlsx = staff_client.get(URL, {"year": 2021, "format": "xlsx"}).content
    sheet = load_workbook(io.BytesIO(xlsx)).active
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


@pytest.mark.parametrize(
    ("admitted", "quota", "percent", "ratio"),
    [(3, 3, 100, "3/3"), (2, 3, 66, "2/3"), (99, 100, 99, "99/100"), (1, 3, 33, "1/3"),
     (0, 5, 0, "0/5"), (1, 0, None, None), (6, 3, 200, "6/3")],
)  # fmt: skip
def test_rounding_at_exact_boundaries_in_the_export(tree, admitted, quota, percent, ratio):
    QuotaFactory(unit=tree["ward1"], year=2021, target=quota)
    admit(tree["ward1_cell"], admitted)
    row = exports.table_row(quota_figures(tree["ward1"], 2021)[0])
    assert (row["percent"], row["ratio"]) == (percent, ratio)


def export_of(unit, year, today=date(2026, 7, 2)):
    rows = quota_figures(unit, year)
    at = datetime(2026, 7, 2, 9, 30, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
    return exports.Export(unit, year, at, rows, steering.steering(rows, today))


def test_json_export_is_utf8_without_escapes(tree):
    QuotaFactory(unit=tree["ward1"], year=2021, target=3)
    content = exports.write_json(export_of(tree["ward1"], 2021))
    assert "Đảng bộ Phường I" in content.decode("utf-8")
    assert json.loads(content)["rows"][0]["quota"] == 3


def test_exports_run_a_fixed_number_of_queries(staff_client, tree, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from bench.treegen import add_candidates, add_quotas, add_subtree

    def counts():
        result = []
        for fmt in exports.FORMATS:
            with CaptureQueriesContext(connection) as queries:
                assert staff_client.get(URL, {"year": 2021, "format": fmt}).status_code == 200
            result.append(len(queries))
        return result

    small = counts()
    committees, cells = add_subtree(tree["city"], wards=20, cells=3, prefix="E")
    add_candidates(cells, 4, year=2021, today=date(2026, 6, 15))
    add_quotas(committees, years=[2020, 2021])
    assert counts() == small


@translation.override("en")
def test_the_exports_carry_pace_year_on_year_overdue_and_composition(tree):
    """Issue 11 §3: the whole picture, in each format, with what it was made from."""
    QuotaFactory(unit=tree["ward1"], year=2026, target=12)
    QuotaFactory(unit=tree["ward1"], year=2025, target=4)
    CandidateFactory(unit=tree["ward1_cell"], stage=Stage.ADMITTED, decision_on=date(2026, 3, 1),
                     gender="female", ceremony_on=date(2026, 3, 20))  # fmt: skip
    CandidateFactory(unit=tree["ward1_cell"], stage=Stage.ADMITTED, decision_on=date(2025, 6, 1),
                     ceremony_on=date(2025, 6, 10))  # fmt: skip
    cell = tree["ward1_cell"]
    CandidateFactory(unit=cell, stage=Stage.PROPOSED, application_on=date(2025, 10, 1),
                     cell_resolution_on=date(2025, 11, 3))  # fmt: skip
    export = export_of(tree["city"], 2026)
    data = json.loads(exports.write_json(export))
    assert data["exported_at"] == "2026-07-02T09:30:00+07:00"
    ward1 = data["rows"][1]
    assert (ward1["expected_by_now"], ward1["against_pace"], ward1["near_admission"]) == (6, -5, 1)
    assert ward1["by_now_last_year"] == 1
    assert (ward1["admitted_1"], ward1["quota_1"], ward1["percent_1"]) == (1, 4, 25)
    assert ward1["overdue_decision"] == 1 and ward1["overdue_ceremony"] == 0
    assert (ward1["women"], ward1["women_percent"]) == (1, 100.0)
    assert set(data["columns"]) == set(ward1)

    csv_rows = list(csv.reader(io.StringIO(exports.write_csv(export).decode("utf-8-sig"))))
    header = csv_rows[1]
    assert csv_rows[0][2] == "Exported at: 2026-07-02 09:30+07:00"
    by_label = dict(zip(header, csv_rows[3], strict=True))
    assert by_label["Against the pace"] == "-5" and by_label["Decision overdue"] == "1"
    assert by_label["Admitted 2025"] == "1" and by_label["Women"] == "1"

    workbook = load_workbook(io.BytesIO(exports.write_xlsx(export)))
    assert workbook.sheetnames == ["2026", "Pace", "Year on year", "Overdue", "Composition"]
    for sheet in workbook.worksheets:
        assert sheet.freeze_panes == "C3"
        assert sheet["A1"].value == "Unit: Đảng bộ thành phố Vị Thanh (VT)"
        # Each column fits its longest cell: the unit names are not cut.
        assert sheet.column_dimensions["B"].width >= len("Đảng bộ thành phố Vị Thanh")
    overdue = [row for row in workbook["Overdue"].iter_rows(min_row=2, values_only=True)]
    assert overdue[0][:3] == ("Code", "Unit", "Decision overdue")
    assert overdue[2][:3] == ("VT-P1", "Đảng bộ Phường I", 1)


def test_a_unit_name_pasted_with_a_control_character_exports_to_a_spreadsheet(staff_client, tree):
    """Word's soft line break (\x0b) in a name pasted from a decision: no spreadsheet cell
    may hold it. A name saved from now on loses it; one saved before is cleaned on export."""
    ward1 = tree["ward1"]
    Organisation.objects.filter(pk=ward1.pk).update(name="Phường I\x0b(cũ)")  # saved before
    response = staff_client.get(URL, {"year": 2021, "format": "xlsx"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert "Phường I (cũ)" in [row[1] for row in sheet.iter_rows(values_only=True)]
    ward1.name = "Phường I\x0b(mới)"
    ward1.save()
    ward1.refresh_from_db()
    assert ward1.name == "Phường I (mới)"
