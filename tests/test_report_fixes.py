"""Reports, exports and the year-end pipeline: the cases a review found wrong, each kept as
a test (a merged ward's predecessors in its exports and report, past year ends kept as
recorded, an empty pipeline read as 0, numbers as numbers in CSV, a superuser's digest
scoped to their unit, the exact ratio never read as a date)."""

import csv
import io
import json
from datetime import date, datetime
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from openpyxl import load_workbook

from recruitment import yearend
from recruitment.models import Candidate, Organisation, PipelineAtYearEnd, Stage, StageChange
from recruitment.reorganisation.services import apply_reorganisation
from recruitment.reports import exports, steering
from recruitment.reports.figures import quota_figures
from tests import test_reorganisation as reorg
from tests.factories import CandidateFactory, QuotaFactory, UserFactory, add_unit
from tests.helpers import english
from tests.test_documents import document_text
from tests.test_quota_report_documents import pdf_text
from tests.test_reminders import send, stuck, with_email

URL = "/dashboard/"
work = reorg.work  # the fixture: something of everything in Wards I and III


# --- a merged ward's exports and report carry its predecessors' admissions -------------------


@pytest.fixture
def merged(tree, work):
    """Wards I and III merged into VT-PVT on 1 July 2025: VT-PVT's quota is a draft of 5,
    it admitted nobody, its predecessors admitted one (Ward I's cell, March 2025)."""
    apply_reorganisation(reorganisation=reorg.merge_wards(), by=work["staff"])
    return Organisation.objects.get(code="VT-PVT")


def test_the_csv_of_a_merged_ward_says_under_its_title_what_its_predecessors_admitted(
    staff_client, merged
):
    response = english(staff_client).get(URL, {"unit": merged.pk, "year": 2025, "format": "csv"})
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][0] == "Unit: Đảng bộ phường Vị Thanh (VT-PVT)"
    assert rows[1:3] == [["Predecessors, 2024: 0 admitted"], ["Predecessors, 2025: 1 admitted"]]
    header, own = rows[3], rows[4]
    assert header[:2] == ["Code", "Unit"]
    assert (own[0], own[2], own[5]) == ("VT-PVT", "5", "0")


def test_the_xlsx_of_a_merged_ward_says_under_its_title_what_its_predecessors_admitted(
    staff_client, merged
):
    response = english(staff_client).get(URL, {"unit": merged.pk, "year": 2025, "format": "xlsx"})
    workbook = load_workbook(io.BytesIO(response.content))
    for sheet in workbook.worksheets:
        values = list(sheet.iter_rows(values_only=True))
        assert values[1][0] == "Predecessors, 2024: 0 admitted"
        assert values[2][0] == "Predecessors, 2025: 1 admitted"
        assert values[3][:2] == ("Code", "Unit")
        assert values[4][:2] == ("VT-PVT", "Đảng bộ phường Vị Thanh")
        assert sheet.freeze_panes == "C5"  # below the header, wherever it is
        assert sheet["A4"].font.b
    table = workbook.worksheets[0]
    assert table["H5"].value == "0/5" and table["H5"].data_type == "s"


def test_the_json_of_a_merged_ward_carries_its_lineage(staff_client, merged, tree):
    data = staff_client.get(URL, {"unit": merged.pk, "year": 2025, "format": "json"}).json()
    assert (data["header"]["quota"], data["header"]["admitted"]) == (5, 0)
    lineage = data["lineage"]
    assert [u["code"] for u in lineage["predecessors"]] == ["VT-P1", "VT-P3"]
    assert lineage["successors"] == []
    assert lineage["predecessors_admitted"] == [
        {"year": 2024, "admitted": 0},
        {"year": 2025, "admitted": 1},
    ]
    # Ward I's own export of 2025 names what continues it, and has no predecessors.
    ward1 = staff_client.get(URL, {"unit": tree["ward1"].pk, "year": 2025, "format": "json"})
    assert ward1.json()["lineage"] == {
        "predecessors": [],
        "successors": [{"id": merged.pk, "code": "VT-PVT", "name": "Đảng bộ phường Vị Thanh"}],
        "predecessors_admitted": [],
    }


def test_the_report_of_a_merged_ward_says_what_its_predecessors_admitted(staff_client, merged):
    expected = (
        "Các đơn vị tiền thân (Đảng bộ Phường I, Đảng bộ Phường III): "
        "năm 2024 kết nạp 0 đảng viên; năm 2025 kết nạp 1 đảng viên."
    )
    query = {"unit": merged.pk, "year": 2025}
    docx = staff_client.get(URL, {**query, "format": "docx"})
    assert docx.status_code == 200
    assert expected in document_text(docx.content)
    pdf = staff_client.get(URL, {**query, "format": "pdf"})
    assert expected in " ".join(pdf_text(pdf.content).split())


def test_a_unit_that_continues_none_has_no_predecessors_in_its_report(staff_client, tree):
    QuotaFactory(unit=tree["ward1"], year=2021, target=3)
    docx = staff_client.get(URL, {"unit": tree["ward1"].pk, "year": 2021, "format": "docx"})
    assert "tiền thân" not in document_text(docx.content)


def test_the_exports_of_a_merged_ward_run_a_fixed_number_of_queries(staff_client, merged):
    """The predecessors' line costs the exports what it costs the page (one query for the
    successions, two per year shown), however large the ward."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from bench.treegen import add_candidates, add_quotas, add_subtree

    def counts() -> list[int]:
        found = []
        for fmt in exports.FORMATS:
            with CaptureQueriesContext(connection) as queries:
                response = staff_client.get(URL, {"unit": merged.pk, "year": 2025, "format": fmt})
                assert response.status_code == 200
            found.append(len(queries))
        return found

    small = counts()
    committees, cells = add_subtree(merged, wards=6, cells=2, prefix="M")
    add_candidates(cells, 3, year=2025, today=date(2026, 6, 15))
    add_quotas(committees, years=[2024, 2025])
    assert counts() == small


# --- record_pipeline --from-history keeps the year ends recorded -----------------------------


def _history(candidate, *changes):
    for stage, on in changes:
        StageChange.objects.create(candidate=candidate, to_stage=stage, on=on)


def _record_on(day):
    with mock.patch("django.utils.timezone.localdate", return_value=day):
        call_command("record_pipeline", stdout=io.StringIO())


def test_from_history_keeps_a_year_recorded_at_its_end_and_fills_only_the_missing_ones(tree):
    """A candidate in Ward I's cell at the end of 2023, since moved to Ward III's: 2023 as
    recorded that night stays Ward I's; 2022, never recorded, is worked out."""
    cell1, cell3 = tree["ward1_cell"], tree["ward3_cell"]
    moved = CandidateFactory(unit=cell1, stage=Stage.SOURCE)
    _history(moved, (Stage.SOURCE, date(2022, 3, 1)))
    _record_on(date(2023, 12, 31))
    Candidate.objects.filter(pk=moved.pk).update(unit=cell3)

    out = io.StringIO()
    call_command("record_pipeline", "--from-history", stdout=out)

    got = yearend.read([tree["ward1"], tree["ward3"]], [2022, 2023])
    assert got[(tree["ward1"].pk, 2023)] == 1  # kept as it stood in 2023
    assert got[(tree["ward3"].pk, 2023)] == 0
    assert got[(tree["ward3"].pk, 2022)] == 1  # filled from the history
    assert PipelineAtYearEnd.objects.get(unit=tree["ward1"], year=2023).recorded_on == date(
        2023, 12, 31
    )
    said = out.getvalue()
    assert "2022: worked out from the stage changes" in said
    assert "2023: kept, recorded on 2023-12-31" in said


def test_from_history_run_twice_keeps_what_it_worked_out_the_first_time(tree):
    cell1, cell3 = tree["ward1_cell"], tree["ward3_cell"]
    moved = CandidateFactory(unit=cell1, stage=Stage.SOURCE)
    _history(moved, (Stage.SOURCE, date(2022, 3, 1)))
    call_command("record_pipeline", "--from-history", stdout=io.StringIO())
    Candidate.objects.filter(pk=moved.pk).update(unit=cell3)
    out = io.StringIO()
    call_command("record_pipeline", "--from-history", stdout=out)
    got = yearend.read([tree["ward1"], tree["ward3"]], [2022])
    assert got[(tree["ward1"].pk, 2022)] == 1
    assert (tree["ward3"].pk, 2022) not in got  # worked out later: no row, no figure
    today = timezone.localdate().isoformat()
    assert f"2022: kept, recorded on {today}" in out.getvalue()


# --- an empty pipeline at a recorded year's end reads 0, an unrecorded year nothing ----------


def test_a_unit_with_no_candidates_at_a_recorded_years_end_reads_0(tree, django_assert_num_queries):
    CandidateFactory(unit=tree["ward1_cell"], stage=Stage.SOURCE)
    _record_on(date(2025, 12, 31))
    later = add_unit(tree["city"], "VT-NEW", kind=Organisation.Kind.COMMITTEE)
    Organisation.objects.filter(pk=later.pk).update(opened_on=date(2026, 3, 1))
    later.refresh_from_db()
    closed = add_unit(tree["city"], "VT-OLD", kind=Organisation.Kind.COMMITTEE)
    Organisation.objects.filter(pk=closed.pk).update(closed_on=date(2025, 1, 1), active=False)
    closed.refresh_from_db()
    units = [tree["ward1"], tree["ward3"], tree["other_city"], later, closed]
    with django_assert_num_queries(1):
        got = yearend.read(units, [2024, 2025])
    assert got[(tree["ward1"].pk, 2025)] == 1
    assert got[(tree["ward3"].pk, 2025)] == 0
    assert got[(tree["other_city"].pk, 2025)] == 0
    assert (later.pk, 2025) not in got  # opened after the year: nothing to say
    assert (closed.pk, 2025) not in got  # closed before it began
    assert not any(year == 2024 for _, year in got)  # never recorded
    rows = steering.steering(quota_figures(tree["city"], 2026), date(2026, 6, 15))
    ward3 = next(s for s in rows if s.figures.unit.code == "VT-P3")
    assert [(y.year, y.pipeline) for y in ward3.earlier] == [(2025, 0), (2024, None)]


def test_a_year_that_ended_with_no_candidate_anywhere_reads_0_everywhere(tree):
    _record_on(date(2025, 12, 31))
    got = yearend.read([tree["province"], tree["ward1_cell"]], [2025])
    assert got == {(tree["province"].pk, 2025): 0, (tree["ward1_cell"].pk, 2025): 0}
    # What marks the year recorded is a row per top unit, not one per unit.
    assert PipelineAtYearEnd.objects.filter(year=2025).count() == 1


def _from_history_on(day):
    with mock.patch("django.utils.timezone.localdate", return_value=day):
        call_command("record_pipeline", "--from-history", stdout=io.StringIO())


def _closed(unit, on):
    Organisation.objects.filter(pk=unit.pk).update(closed_on=on, active=False)
    unit.refresh_from_db()
    return unit


def test_a_year_worked_out_from_history_gives_no_figure_to_a_unit_without_a_row(tree):
    """Worked out in today's units, 2023 cannot say what a ward closed since held then (its
    candidate moved on): no figure, not 0. A year recorded as it ended still gives 0."""
    old = add_unit(tree["city"], "VT-OLD", kind=Organisation.Kind.COMMITTEE)
    old_cell = add_unit(old, "VT-OLD-1")
    moved = CandidateFactory(unit=old_cell, stage=Stage.SOURCE)
    _history(moved, (Stage.SOURCE, date(2023, 3, 1)))
    Candidate.objects.filter(pk=moved.pk).update(unit=tree["ward3_cell"])
    _closed(old, date(2024, 7, 1))
    _record_on(date(2025, 12, 30))  # the year's last run, a day early: the tree as it stood
    _from_history_on(date(2026, 2, 1))

    units = [old, tree["ward1"], tree["ward3"]]
    got = yearend.read(units, [2023, 2025])
    assert got[(tree["ward3"].pk, 2023)] == 1
    assert (old.pk, 2023) not in got  # it held the candidate then
    assert (tree["ward1"].pk, 2023) not in got
    assert PipelineAtYearEnd.objects.get(unit=tree["ward3"], year=2023).recorded_on == date(
        2026, 2, 1
    )
    assert got[(tree["ward1"].pk, 2025)] == 0  # recorded as it ended: nobody there
    assert (old.pk, 2025) not in got  # closed before 2025


def test_a_year_is_marked_recorded_only_in_the_top_units_open_during_it(tree):
    gone = _closed(add_unit(None, "OLD", kind=Organisation.Kind.PROVINCIAL), date(2025, 1, 1))
    _record_on(date(2025, 12, 31))
    assert set(PipelineAtYearEnd.objects.filter(year=2025).values_list("unit_id", flat=True)) == {
        tree["province"].pk
    }
    assert (gone.pk, 2025) not in yearend.read([gone], [2025])


def test_a_row_of_a_unit_not_open_during_the_year_is_not_read(tree, django_assert_num_queries):
    """Rows written before a unit's closing date was known, or by an older release."""
    _record_on(date(2025, 12, 31))
    gone = _closed(
        add_unit(tree["city"], "VT-OLD", kind=Organisation.Kind.COMMITTEE), date(2025, 1, 1)
    )
    PipelineAtYearEnd.objects.create(unit=gone, year=2025, n=2, recorded_on=date(2025, 12, 31))
    with django_assert_num_queries(1):
        got = yearend.read([gone, tree["ward1"]], [2025])
    assert got == {(tree["ward1"].pk, 2025): 0}


# --- quota_report --format csv: numbers stay numbers ------------------------------------------


def test_quota_report_csv_writes_a_negative_change_as_a_number(tree):
    QuotaFactory(unit=tree["ward1"], year=2021, target=3)
    QuotaFactory(unit=tree["ward1"], year=2020, target=5)
    add_unit(tree["ward1"], "VT-P1-EQ", "=HYPERLINK(1)")
    out = io.StringIO()
    call_command("quota_report", "--year", "2021", "--unit", "VT-P1", "--format", "csv", stdout=out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert (rows[0]["quota"], rows[0]["previous_quota"], rows[0]["quota_change"]) == (
        "3",
        "5",
        "-2",
    )
    assert rows[0]["ratio"] == "0 / 3"
    formula = next(r for r in rows if r["code"] == "VT-P1-EQ")
    assert (formula["unit"], formula["quota"]) == ("'=HYPERLINK(1)", "—")


# --- a superuser's digest is their unit's ---------------------------------------------------


def test_a_superuser_with_a_unit_gets_the_digest_of_that_unit_only(tree):
    admin = UserFactory(username="root", is_superuser=True, is_staff=True, unit=tree["ward1"])
    with_email(admin, language="en")
    mine = stuck(tree["ward1_cell"], full_name="Người Phường Một")
    theirs = stuck(tree["ward3_cell"], full_name="Người Phường Ba")
    send()
    (message,) = mail.outbox
    body = message.body + message.alternatives[0][0]
    assert message.subject == "1 reminder for Đảng bộ Phường I"
    assert mine.full_name in body
    assert theirs.full_name not in body


# --- the exact ratio in CSV is never a date ------------------------------------------------


def test_the_csv_writes_the_exact_ratio_so_that_no_spreadsheet_reads_a_date(staff_client, tree):
    QuotaFactory(unit=tree["ward1"], year=2021, target=3)
    for _ in range(4):
        CandidateFactory(
            unit=tree["ward1_cell"], stage=Stage.ADMITTED, decision_on=date(2021, 6, 1)
        )
    query = {"unit": tree["ward1"].pk, "year": 2021}
    text = staff_client.get(URL, {**query, "format": "csv"}).content.decode("utf-8-sig")
    own = list(csv.reader(io.StringIO(text)))[2]
    assert own[7] == "4 / 3"
    assert own[8] == "1.3333"
    data = json.loads(staff_client.get(URL, {**query, "format": "json"}).content)
    assert data["rows"][0]["ratio"] == "4/3"  # the JSON is read by programs: unchanged


def test_a_unit_without_a_ratio_leaves_its_cell_empty_in_csv(tree):
    QuotaFactory(unit=tree["ward1"], year=2021, target=0)  # a quota of 0: no ratio
    rows = quota_figures(tree["ward1"], 2021)
    at = datetime(2026, 6, 15, 9, 30, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
    export = exports.Export(tree["ward1"], 2021, at, rows, steering.steering(rows, at.date()))
    own = list(csv.reader(io.StringIO(exports.write_csv(export).decode("utf-8-sig"))))[2]
    assert own[7] == ""
