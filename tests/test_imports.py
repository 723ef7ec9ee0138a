"""The importer (issue 10 §1): each kind imported from its template, previews that write
nothing, all-or-nothing commits, idempotent re-runs, scope, and the history's attribution."""

import io
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from recruitment import rollups
from recruitment.imports import workbook
from recruitment.imports.models import ImportJob
from recruitment.models import (
    Candidate,
    Enrolment,
    Organisation,
    PartyMember,
    Quota,
    Stage,
    StageChange,
    TrainingClass,
)
from recruitment.reports import exports
from recruitment.reports.figures import quota_figures
from tests.factories import CandidateFactory, QuotaFactory, TrainingClassFactory, mentor
from tests.imports_helpers import (
    candidate_rows,
    check,
    check_and_commit,
    csv_bytes,
    problem_texts,
    xlsx_bytes,
)

pytestmark = pytest.mark.django_db


def filled_template(kind: str, rows: list[list], *, unit_code="VT-P1-KV3") -> bytes:
    """The template of ``kind`` as downloaded, its example row replaced by ``rows``
    (each a dict of header → value; headers not given stay empty)."""
    from openpyxl import load_workbook

    with translation.override("vi"):
        content = workbook.template(kind, unit_code=unit_code)
    book = load_workbook(io.BytesIO(content))
    sheet = book.worksheets[0]
    header = [cell.value for cell in sheet[1]]
    sheet.delete_rows(2)
    for values in rows:
        unknown = set(values) - set(header)
        assert not unknown, unknown
        sheet.append([values.get(name) for name in header])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --- templates ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", [k for k, _label in ImportJob.Kind.choices])
def test_each_template_has_vietnamese_headers_an_example_and_drop_downs(kind, staff, tree):
    from openpyxl import load_workbook

    with translation.override("vi"):
        content = workbook.template(kind, unit_code="VT-P1")
    book = load_workbook(io.BytesIO(content))
    sheet = book.worksheets[0]
    header = [cell.value for cell in sheet[1]]
    assert sheet.max_row == 2  # the header and one example
    if kind == "candidates":
        assert header[:3] == ["Họ và tên", "Ngày sinh", "Giới tính"]
        assert sheet.cell(2, 2).number_format == workbook.DATE_FORMAT
        lists = {str(dv.sqref): dv.type for dv in sheet.data_validations.dataValidation}
        assert lists["C2:C10000"] == "list"  # gender: a drop-down
        assert lists["B2:B10000"] == "date"
    assert book.worksheets[1].sheet_state == "hidden"  # the lists the drop-downs use


def test_the_candidate_template_imports_its_own_example_row(organiser, tree):
    with translation.override("vi"):
        content = workbook.template("candidates", unit_code="VT-P1-KV3")
    job = check(organiser, content, name="mau.xlsx")
    assert job.status == ImportJob.Status.CHECKED, job.refusal
    assert job.counts["new"] == 1, problem_texts(job)


def test_import_candidates_from_the_template(organiser, tree):
    content = filled_template(
        "candidates",
        [
            {
                "Họ và tên": "Trần Thị Mẫu",
                "Ngày sinh": date(1998, 5, 20),
                "Giới tính": "Nữ",
                "Số căn cước công dân (CCCD)": "093198000111",
                "Mã đơn vị": "VT-P1-KV3",
                "Nguồn": "Đoàn Thanh niên",
                "Trình độ học vấn": "Đại học",
            }
        ],
    )
    job = check_and_commit(organiser, content, name="mau.xlsx")
    assert job.status == ImportJob.Status.DONE, (job.refusal, problem_texts(job))
    candidate = Candidate.objects.get(citizen_id="093198000111")
    assert (candidate.full_name, candidate.unit, candidate.stage) == (
        "Trần Thị Mẫu",
        tree["ward1_cell"],
        Stage.SOURCE,
    )
    assert candidate.youth_union_member  # the Youth Union source says so
    assert candidate.stage_changes.get().to_stage == Stage.SOURCE


def test_import_members_from_the_template(organiser, tree):
    content = filled_template(
        "members",
        [
            {
                "Họ và tên": "Lê Văn Chuyển",
                "Mã đơn vị": "VT-P1-KV3",
                "Ngày kết nạp": "03/02/2015",
                "Chính thức từ ngày": "03/02/2016",
            }
        ],
    )
    job = check_and_commit(organiser, content, kind="members", name="dv.xlsx")
    assert job.status == ImportJob.Status.DONE, (job.refusal, problem_texts(job))
    member = PartyMember.objects.get(full_name="Lê Văn Chuyển")
    assert (member.admitted_on, member.official_on) == (date(2015, 2, 3), date(2016, 2, 3))
    assert member.is_official(date(2020, 1, 1))


def test_import_class_results_from_the_template(organiser, tree):
    candidate = CandidateFactory(
        unit=tree["ward1_cell"], citizen_id="093198000222", stage_since=date(2025, 1, 1)
    )
    mentor(candidate)
    TrainingClassFactory(
        unit=tree["ward1"],
        title="Lớp 1/2025",
        starts_on=date(2025, 3, 1),
        ends_on=date(2025, 3, 10),
    )
    content = filled_template(
        "results",
        [
            {
                "Lớp bồi dưỡng nhận thức về Đảng": "Lớp 1/2025",
                "Số căn cước công dân (CCCD)": "'093198000222",
                "Kết quả": "Đạt",
                "Số giấy chứng nhận": "12/GCN",
                "Ngày cấp giấy chứng nhận": "10/03/2025",
            }
        ],
    )
    job = check_and_commit(organiser, content, kind="results", name="kq.xlsx")
    assert job.status == ImportJob.Status.DONE, (job.refusal, problem_texts(job))
    enrolment = Enrolment.objects.get(candidate=candidate)
    assert (enrolment.result, enrolment.certificate_on) == ("passed", date(2025, 3, 10))
    candidate.refresh_from_db()
    assert candidate.stage == Stage.TRAINED


def test_a_results_file_is_held_to_the_class_pages_rules_for_a_past_class(organiser, tree):
    """An ended class's result, as the class page records one: not for someone already
    admitted; and for someone listed after the class began, with the steps dated as the
    candidate's history allows (the file said "before the candidate entered Source")."""
    klass = TrainingClassFactory(
        unit=tree["ward1"],
        title="Lớp 1/2025",
        starts_on=date(2025, 3, 1),
        ends_on=date(2025, 3, 10),
    )
    admitted = CandidateFactory(
        unit=tree["ward1_cell"], citizen_id="093198000333", stage=Stage.ADMITTED,
        decision_on=date(2025, 9, 1), admitted_unit=tree["ward1_cell"],
    )  # fmt: skip
    late = CandidateFactory(
        unit=tree["ward1_cell"], citizen_id="093198000222", stage_since=date(2025, 3, 5)
    )
    mentor(late)
    rows = [
        {
            "Lớp bồi dưỡng nhận thức về Đảng": "Lớp 1/2025",
            "Số căn cước công dân (CCCD)": f"'{person.citizen_id}",
            "Kết quả": "Đạt",
            "Số giấy chứng nhận": f"{n}/GCN",
            "Ngày cấp giấy chứng nhận": "10/03/2025",
        }
        for n, person in enumerate((admitted, late))
    ]
    job = check_and_commit(
        organiser, filled_template("results", rows), kind="results", name="kq.xlsx",
        only_valid=True, language="en",
    )  # fmt: skip
    with translation.override("en"):
        problems = problem_texts(job)
    assert any("a class result is recorded before that" in text for text in problems), problems
    assert not Enrolment.objects.filter(candidate=admitted).exists()
    late.refresh_from_db()
    assert late.stage == Stage.TRAINED
    assert Enrolment.objects.get(candidate=late, training_class=klass).result == "passed"


def test_import_quotas_from_the_template(staff, tree):
    content = filled_template(
        "quotas",
        [{"Mã đơn vị": "VT-P1", "Năm": 2027, "Chỉ tiêu": 4, "Ghi chú": "nhập"}],
    )
    job = check_and_commit(staff, content, kind="quotas", name="ct.xlsx")
    assert job.status == ImportJob.Status.DONE, (job.refusal, problem_texts(job))
    quota = Quota.objects.get(unit=tree["ward1"], year=2027)
    assert (quota.target, quota.note) == (4, "nhập")


# --- preview and commit -------------------------------------------------------------------------


def test_the_preview_writes_nothing_and_names_row_and_column(organiser, tree):
    rows = candidate_rows("VT-P1-KV3", 2)
    rows.append(["Lê Thị Sai", "31/02/1990", "Nữ", "", "VT-P1-KV3", "Đoàn viên"])
    job = check(organiser, csv_bytes(rows))
    assert job.status == ImportJob.Status.CHECKED
    assert job.counts == {"new": 2, "changed": 0, "unchanged": 0, "duplicate": 0, "error": 1}
    with translation.override("vi"):
        assert problem_texts(job) == ["dòng 4, cột Ngày sinh: 31/02/1990 không phải ngày hợp lệ"]
    assert not Candidate.objects.exists()
    assert not StageChange.objects.exists()


def test_one_bad_row_commits_nothing(organiser, tree):
    rows = candidate_rows("VT-P1-KV3", 3)
    rows[2][1] = "12/31/1990"  # month/day: never read as 31 December
    job = check_and_commit(organiser, csv_bytes(rows))
    assert job.status == ImportJob.Status.NOT_WRITTEN
    assert not Candidate.objects.exists()


def test_commit_only_the_valid_rows_when_asked(organiser, tree):
    rows = candidate_rows("VT-P1-KV3", 3)
    rows[2][1] = "12/31/1990"
    job = check_and_commit(organiser, csv_bytes(rows), only_valid=True)
    assert job.status == ImportJob.Status.DONE
    assert job.counts["new"] == 2 and job.counts["error"] == 1
    assert Candidate.objects.count() == 2


def test_a_rerun_of_the_same_file_changes_nothing(organiser, tree):
    content = csv_bytes(candidate_rows("VT-P1-KV3", 5))
    check_and_commit(organiser, content)
    history = Candidate.history.count()
    again = check_and_commit(organiser, content)
    assert again.counts == {"new": 0, "changed": 0, "unchanged": 5, "duplicate": 0, "error": 0}
    assert Candidate.objects.count() == 5
    assert Candidate.history.count() == history


def test_a_row_without_citizen_id_is_matched_by_name_and_birth_date(organiser, tree):
    rows = candidate_rows("VT-P1-KV3", 2)
    for row in rows[1:]:
        row[3] = ""
    check_and_commit(organiser, csv_bytes(rows))
    again = check(organiser, csv_bytes(rows))
    assert again.counts["unchanged"] == 2
    assert Candidate.objects.count() == 2


def test_a_changed_detail_is_updated_and_attributed(organiser, tree):
    rows = candidate_rows("VT-P1-KV3", 1)
    check_and_commit(organiser, csv_bytes(rows))
    rows[1][0] = "Nguyễn Văn Đổi Tên"
    job = check_and_commit(organiser, csv_bytes(rows), name="sua.csv")
    assert job.counts["changed"] == 1
    candidate = Candidate.objects.get()
    assert candidate.full_name == "Nguyễn Văn Đổi Tên"
    latest = candidate.history.first()
    assert latest.history_user == organiser
    assert latest.history_change_reason == f"Nhập #{job.pk} từ tệp sua.csv"


def test_every_imported_row_is_attributed_in_the_history(organiser, tree):
    job = check_and_commit(organiser, csv_bytes(candidate_rows("VT-P1-KV3", 3)), name="a.csv")
    records = Candidate.history.all()
    assert records.count() == 3
    assert {(r.history_user_id, r.history_change_reason) for r in records} == {
        (organiser.pk, f"Nhập #{job.pk} từ tệp a.csv")
    }


def test_the_same_person_twice_in_a_file_is_a_duplicate(organiser, tree):
    rows = candidate_rows("VT-P1-KV3", 2)
    rows.append(list(rows[1]))
    job = check_and_commit(organiser, csv_bytes(rows))
    assert job.counts["duplicate"] == 1 and job.counts["new"] == 2
    assert Candidate.objects.count() == 2


def test_a_namesake_elsewhere_is_a_duplicate_unless_confirmed(organiser, tree):
    CandidateFactory(
        unit=tree["ward3_cell"], full_name="Nguyễn Văn Nhập 0", date_of_birth=date(1995, 1, 1)
    )
    rows = candidate_rows("VT-P1-KV3", 1)
    rows[1][3] = ""
    job = check(organiser, csv_bytes(rows))
    assert job.counts["duplicate"] == 1
    with translation.override("vi"):
        assert "một tổ chức đảng khác" in problem_texts(job)[0]  # Ward III is not named
    job = check_and_commit(organiser, csv_bytes(rows), namesakes_confirmed=True)
    assert job.counts["new"] == 1
    assert Candidate.objects.filter(unit=tree["ward1_cell"]).count() == 1


# --- scope ---------------------------------------------------------------------------------------


def test_rows_outside_the_users_units_are_errors_never_written(organiser, tree):
    rows = candidate_rows("VT-P3-KV1", 1)  # Ward III's cell
    job = check_and_commit(organiser, csv_bytes(rows), only_valid=True)
    assert job.counts["error"] == 1
    with translation.override("vi"):
        assert problem_texts(job) == [
            "dòng 2, cột Mã đơn vị: VT-P3-KV1 không phải là đơn vị của bạn"
        ]
    assert not Candidate.objects.exists()


def test_a_citizen_id_registered_in_another_unit_is_an_error(organiser, tree):
    CandidateFactory(unit=tree["ward3_cell"], citizen_id="093195000000")
    job = check_and_commit(organiser, csv_bytes(candidate_rows("VT-P1-KV3", 1)), only_valid=True)
    assert job.counts["error"] == 1
    assert Candidate.objects.get(citizen_id="093195000000").unit == tree["ward3_cell"]


def test_quotas_of_units_the_user_does_not_set_are_errors(staff, tree):
    rows = [["Mã đơn vị", "Năm", "Chỉ tiêu"], ["VT", 2027, 9], ["NB", 2027, 9]]
    job = check_and_commit(staff, csv_bytes(rows), kind="quotas", only_valid=True)
    assert job.counts["error"] == 2  # its own city's (set above) and another city's
    assert not Quota.objects.filter(year=2027).exists()


def test_a_quota_file_sets_no_quota_of_a_unit_that_did_not_exist_that_year(staff, tree):
    this_year = timezone.localdate().year
    Organisation.objects.filter(pk=tree["ward1"].pk).update(
        active=False, closed_on=date(this_year - 1, 7, 1)
    )
    rows = [["Mã đơn vị", "Năm", "Chỉ tiêu"], ["VT-P1", this_year, 5], ["VT-P1", this_year - 1, 4]]
    job = check_and_commit(staff, csv_bytes(rows), kind="quotas", only_valid=True, language="en")
    with translation.override("en"):
        problems = problem_texts(job)
    assert any(f"did not exist in {this_year}" in text for text in problems), problems
    assert list(Quota.objects.values_list("year", "target")) == [(this_year - 1, 4)]


def test_a_quota_file_with_the_same_number_confirms_a_draft(staff, tree):
    quota = QuotaFactory(unit=tree["ward1"], year=2027, target=5, draft=True)
    rows = [["Mã đơn vị", "Năm", "Chỉ tiêu"], ["VT-P1", 2027, 5]]
    job = check_and_commit(staff, csv_bytes(rows), kind="quotas")
    assert job.status == ImportJob.Status.DONE, problem_texts(job)
    quota.refresh_from_db()
    assert (quota.target, quota.draft) == (5, False)


def test_a_number_mistyped_in_a_file_renames_no_one(organiser, tree):
    """Another name and another birth date under a number already on file: refused in its
    row. A name spelt again (same person, same birth date) is still updated."""
    CandidateFactory(
        unit=tree["ward1_cell"], full_name="Trần Thị Mai", date_of_birth=date(1990, 1, 2),
        citizen_id="093190000001",
    )  # fmt: skip
    rows = [
        ["Họ và tên", "Ngày sinh", "Giới tính", "Số CCCD", "Mã đơn vị", "Nguồn"],
        ["Lê Văn Khác", "05/06/1999", "Nam", "093190000001", "VT-P1-KV3", "Đoàn viên"],
    ]
    job = check_and_commit(organiser, csv_bytes(rows), language="en", only_valid=True)
    with translation.override("en"):
        problems = problem_texts(job)
    assert any("this number is Trần Thị Mai's, born on 02/01/1990" in t for t in problems), problems
    assert Candidate.objects.get().full_name == "Trần Thị Mai"
    rows[1][:3] = ["Trần Thị  Mai", "02/01/1990", "Nữ"]
    rows[1][0] = "Trần Thị Mãi"  # a spelling corrected: same person
    job = check_and_commit(organiser, csv_bytes(rows))
    assert job.status == ImportJob.Status.DONE, problem_texts(job)
    assert Candidate.objects.get().full_name == "Trần Thị Mãi"


def test_a_candidate_file_puts_no_one_in_a_closed_unit(organiser, tree):
    """A sheet sent again after a reorganisation names the old cell: its new people are
    refused there, and those already moved on stay where the reorganisation put them."""
    content = csv_bytes(candidate_rows("VT-P1-KV3", 2))
    assert check_and_commit(organiser, content).status == ImportJob.Status.DONE
    cell = tree["ward1_cell"]
    Candidate.objects.update(unit=tree["ward1"])  # as a merge moves them
    Organisation.objects.filter(pk=cell.pk).update(
        active=False, closed_on=timezone.localdate() - timedelta(days=30)
    )
    again = csv_bytes(candidate_rows("VT-P1-KV3", 3))  # the two, and one new
    job = check_and_commit(organiser, again, language="en", only_valid=True)
    with translation.override("en"):
        problems = problem_texts(job)
    assert sum("is no longer open" in text for text in problems) == 3, problems
    assert set(Candidate.objects.values_list("unit", flat=True)) == {tree["ward1"].pk}
    assert Candidate.objects.count() == 2


# --- the past, recorded from paper ---------------------------------------------------------------


def test_a_certificate_number_without_its_date_is_a_refused_row_not_a_failed_import(
    organiser, tree
):
    """Past the class, a row needs the certificate's date (which dates the step "trained");
    without it the row is refused, naming the column, and the rest of the file is read.
    The whole check used to fail on a database error."""
    header = [
        "Họ và tên", "Ngày sinh", "Giới tính", "Mã đơn vị", "Nguồn", "Trình độ học vấn",
        "Bước", "Ngày vào danh sách nguồn", "Lớp bồi dưỡng nhận thức về Đảng",
        "Số giấy chứng nhận", "Ngày cấp giấy chứng nhận",
    ]  # fmt: skip
    rows = [
        ["Lâm Thị Số", "12/03/1990", "Nữ", "VT-P1-KV3", "Đoàn viên", "Đại học",
         "Đã bồi dưỡng", "10/01/2018", "Lớp không có", "125/GCN", ""],
        ["Lâm Thị Đủ", "12/03/1991", "Nữ", "VT-P1-KV3", "Đoàn viên", "Đại học",
         "Đã bồi dưỡng", "10/01/2018", "Lớp 2/2018", "126/GCN", "20/04/2018"],
    ]  # fmt: skip
    job = check(organiser, csv_bytes([header, *rows]), language="en")
    assert job.status == ImportJob.Status.CHECKED, job.refusal
    assert job.counts.get("error") == 1
    with translation.override("en"):
        problems = problem_texts(job)
    assert any("certificate" in text.lower() for text in problems), problems
    assert not Candidate.objects.filter(full_name__startswith="Lâm Thị").exists()  # a check


def test_one_course_title_over_several_years_finds_each_rows_class(organiser, tree):
    """Offices write the course's title for every year's class: a row takes the class of
    that title that had ended by its certificate's day, or a class of its own on that day
    (rows of one day share it). The 2016 row was refused against the 2018 class."""
    header = [
        "Họ và tên", "Ngày sinh", "Giới tính", "Mã đơn vị", "Nguồn", "Trình độ học vấn",
        "Bước", "Ngày vào danh sách nguồn", "Lớp bồi dưỡng nhận thức về Đảng",
        "Số giấy chứng nhận", "Ngày cấp giấy chứng nhận",
    ]  # fmt: skip
    title = "Lớp bồi dưỡng nhận thức về Đảng"
    rows = [
        [f"Người {n}", "12/03/1990", "Nữ", "VT-P1-KV3", "Đoàn viên", "Đại học", "Đã bồi dưỡng",
         "10/01/2016", title, f"{n}/GCN", day]
        for n, day in enumerate(["20/04/2018", "10/05/2016", "20/04/2018"])
    ]  # fmt: skip
    job = check_and_commit(organiser, csv_bytes([header, *rows]), language="en")
    assert job.status == ImportJob.Status.DONE, (job.refusal, problem_texts(job))
    ends = {
        e.candidate.full_name: e.training_class.ends_on
        for e in Enrolment.objects.filter(training_class__title=title)
    }
    assert ends == {
        "Người 0": date(2018, 4, 20),
        "Người 1": date(2016, 5, 10),
        "Người 2": date(2018, 4, 20),
    }
    assert TrainingClass.objects.filter(title=title).count() == 2


def test_a_candidate_admitted_in_2019_is_recorded_with_her_dates(organiser, tree):
    before = quota_figures(tree["ward1"], 2019)[0].admitted
    header = [
        "Họ và tên", "Ngày sinh", "Giới tính", "Mã đơn vị", "Nguồn", "Trình độ học vấn",
        "Bước", "Ngày vào danh sách nguồn", "Lớp bồi dưỡng nhận thức về Đảng",
        "Số giấy chứng nhận", "Ngày cấp giấy chứng nhận",
        "Ngày nhận đơn xin vào Đảng (Mẫu 1-KNĐ)",
        "Ngày nhận lý lịch của người xin vào Đảng (Mẫu 2-KNĐ)",
        "Ngày hoàn thành thẩm tra lý lịch", "Ngày nghị quyết chi bộ (Mẫu 6-KNĐ)",
        "Số đảng viên tán thành", "Số đảng viên chính thức của chi bộ", "Số quyết định",
        "Ngày quyết định kết nạp (Mẫu 9-KNĐ)", "Ngày lễ kết nạp",
    ]  # fmt: skip
    row = [
        "Lâm Thị Hồ Sơ", "12/03/1990", "Nữ", "VT-P1-KV3", "Đoàn viên", "Đại học",
        "Đã kết nạp (dự bị)", "10/01/2018", "Lớp 2/2018", "125/GCN", "20/04/2018", "05/09/2018",
        "05/09/2018", "15/10/2018", "12/03/2019", 7, 8, "45-QĐ/ĐU", "20/05/2019", "03/06/2019",
    ]  # fmt: skip
    job = check_and_commit(organiser, csv_bytes([header, row]))
    assert job.status == ImportJob.Status.DONE, (job.refusal, problem_texts(job))
    candidate = Candidate.objects.get(full_name="Lâm Thị Hồ Sơ")
    assert (candidate.stage, candidate.decision_on) == (Stage.ADMITTED, date(2019, 5, 20))
    assert all(candidate.stage_changes.values_list("from_paper", flat=True))
    assert quota_figures(tree["ward1"], 2019)[0].admitted == before + 1
    reason = f"Nhập #{job.pk} từ tệp ds.csv"
    for history in (candidate.history, Enrolment.history.filter(candidate_id=candidate.pk)):
        assert {(h.history_user_id, h.history_change_reason) for h in history.all()} == {
            (organiser.pk, reason)
        }
    # The pipeline's rules ran as of 2019: two votes of eight are refused.
    row[0], row[15] = "Lâm Thị Thiếu Phiếu", 2
    job = check(organiser, csv_bytes([header, row]))
    assert job.counts["error"] == 1
    assert "2/3" in " ".join(problem_texts(job))


# --- the app's own exports -----------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_export_imports_back_with_zero_changes(fmt, staff, tree, client):
    QuotaFactory(unit=tree["city"], year=2021, target=43)
    QuotaFactory(unit=tree["ward1"], year=2021, target=3)
    QuotaFactory(unit=tree["ward3"], year=2021, target=2)
    client.force_login(staff)
    response = client.get(f"/dashboard/?year=2021&unit={tree['city'].pk}&format={fmt}")
    assert response.status_code == 200
    name = response["Content-Disposition"].split('filename="')[1].rstrip('"')
    history = Quota.history.count()
    job = check_and_commit(staff, response.content, kind="quotas", name=name)
    assert job.status == ImportJob.Status.DONE, (job.refusal, problem_texts(job))
    assert job.counts == {"new": 0, "changed": 0, "unchanged": 3, "duplicate": 0, "error": 0}
    assert Quota.history.count() == history


def test_an_edited_export_changes_the_quota(staff, tree):
    QuotaFactory(unit=tree["ward1"], year=2021, target=3)
    with translation.override("vi"):
        labels = [c.label for c in exports.columns()]
    content = xlsx_bytes([labels[:3], ["VT-P1", "Phường I", 5]], title="2021")
    job = check_and_commit(staff, content, kind="quotas", name="sua.xlsx")
    assert job.counts["changed"] == 1, problem_texts(job)
    assert Quota.objects.get(unit=tree["ward1"], year=2021).target == 5


def test_a_way_out_of_the_pipeline_is_not_imported(organiser, tree):
    rows = candidate_rows("VT-P1-KV3", 1)
    rows[0].append("Bước")
    rows[1].append("Dừng xem xét")
    job = check(organiser, csv_bytes(rows))
    assert job.counts["error"] == 1
    with translation.override("vi"):
        assert "không nhập được bước “Dừng xem xét”" in problem_texts(job)[0]


def test_text_with_backslashes_and_quotes_is_stored_as_written(organiser, tree):
    # On PostgreSQL new candidates are copied in (COPY's text format escapes backslashes).
    rows = candidate_rows("VT-P1-KV3", 1)
    rows[0].append("Nơi cư trú")
    rows[1].append('Ấp 2\\Khu "B"; số 7\tđường N')
    check_and_commit(organiser, csv_bytes(rows))
    candidate = Candidate.objects.get()
    assert candidate.residence == 'Ấp 2\\Khu "B"; số 7 đường N'
    assert candidate.history.get().residence == candidate.residence


def test_imported_candidates_count_in_the_kept_counts(organiser, tree):
    # New source-list candidates are inserted in bulk, past Candidate.save, which keeps them.
    rows = [
        {
            "Họ và tên": f"Nguyễn Văn Số {n}",
            "Ngày sinh": date(1995, 1, n),
            "Giới tính": "Nam",
            "Mã đơn vị": "VT-P1-KV3",
            "Nguồn": "Đoàn Thanh niên",
        }
        for n in (1, 2, 3)
    ]
    content = filled_template("candidates", rows)
    with CaptureQueriesContext(connection) as preview:
        check(organiser, content, name="so.xlsx")
    # The preview does not lock the kept counts of every unit up to the nation.
    assert not [q for q in preview.captured_queries if "recruitment_tally" in q["sql"]]
    job = check_and_commit(organiser, content, name="so.xlsx")
    assert job.status == ImportJob.Status.DONE, (job.refusal, problem_texts(job))
    key = rollups.stage_key(Stage.SOURCE)
    counts = rollups.read([tree["city"]], [rollups.NOW], [key])[tree["city"].pk]
    assert counts[(rollups.NOW, key)] == 3
    assert rollups.differences() == []


TOMORROW = (timezone.localdate() + timedelta(days=1)).strftime("%d/%m/%Y")


@pytest.mark.parametrize(
    "row, field, says",
    [
        ({"Ngày kết nạp": TOMORROW}, "admitted_on", "in the future"),
        ({"Ngày kết nạp": "03/02/1890"}, "admitted_on", "before 1900"),
        ({"Ngày kết nạp": "03/02/2015", "Chính thức từ ngày": "03/02/2014"}, "official_on",
         "official before being admitted"),
        ({"Ngày kết nạp": "03/02/2015", "Ngày ra khỏi Đảng": "03/02/2020"}, "left_reason",
         "Say why the member left."),
    ],
    ids=["future", "ancient", "official before admitted", "left without a reason"],
)  # fmt: skip
def test_a_member_file_is_held_to_the_member_forms_rules(organiser, tree, row, field, says):
    values = {"Họ và tên": "Lê Văn Sai", "Mã đơn vị": "VT-P1-KV3", **row}
    content = filled_template("members", [values])
    job = check_and_commit(organiser, content, kind="members", name="dv.xlsx", language="en")
    with translation.override("en"):
        problems = problem_texts(job)
    assert not PartyMember.objects.filter(full_name="Lê Văn Sai").exists()
    assert any(says in text for text in problems), problems


def test_a_candidate_born_in_the_future_is_refused_in_the_row(organiser, tree):
    rows = candidate_rows("VT-P1-KV3", 1)
    rows[1][1] = "31/12/2099"
    job = check_and_commit(organiser, csv_bytes(rows), name="ds.csv", language="en")
    with translation.override("en"):
        problems = problem_texts(job)
    assert job.counts["new"] == 0
    assert any("31/12/2099 is in the future" in text for text in problems), problems


def test_a_member_file_adds_no_one_to_a_closed_unit_but_records_a_past_member_there(
    organiser, tree
):
    cell = tree["ward1_cell"]
    cell.active = False
    cell.save(update_fields=["active"])
    new = {"Họ và tên": "Lê Văn Mới", "Mã đơn vị": "VT-P1-KV3", "Ngày kết nạp": "03/02/2015"}
    past = {
        **new,
        "Họ và tên": "Lê Văn Cũ",
        "Ngày ra khỏi Đảng": "03/02/2020",
        "Lý do bỏ sinh hoạt, xóa tên": "Chuyển đi",
    }
    for row in (new, past):
        job = check_and_commit(
            organiser, filled_template("members", [row]), kind="members", name="dv.xlsx",
            language="en",
        )  # fmt: skip
        with translation.override("en"):
            problems = problem_texts(job)
        if row is new:
            assert any("is no longer open" in text for text in problems), problems
    assert not PartyMember.objects.filter(full_name="Lê Văn Mới").exists()
    assert PartyMember.objects.filter(full_name="Lê Văn Cũ", unit=cell).exists(), problems


class _Deadlock(Exception):
    """What psycopg2 raises when PostgreSQL ends a transaction caught in a deadlock."""

    pgcode = "40P01"


def _aborted_runs(monkeypatch, times: int) -> list[int]:
    """The importer's pass over the rows fails, once its rows are written, as PostgreSQL
    ends a deadlocked transaction: its first ``times`` runs. Returns the runs, counted."""
    from django.db import OperationalError

    from recruitment.imports import runner

    process, runs = runner._process, []

    def aborted(*args, **kwargs):
        process(*args, **kwargs)
        runs.append(1)
        if len(runs) <= times:
            raise OperationalError("deadlock detected") from _Deadlock()

    monkeypatch.setattr(runner, "_process", aborted)
    return runs


def test_an_import_that_the_database_aborted_is_run_again_and_written_once(
    organiser, tree, monkeypatch
):
    content = csv_bytes(candidate_rows("VT-P1-KV3", count=2))
    job = check(organiser, content)
    runs = _aborted_runs(monkeypatch, times=1)
    from recruitment.imports import runner

    runner.commit(job)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE, job.refusal
    assert len(runs) == 2
    assert Candidate.objects.filter(full_name__startswith="Nguyễn Văn Nhập").count() == 2
    assert job.counts["new"] == 2  # counted once: the aborted run's counts were reset


def test_an_import_aborted_at_every_run_says_to_run_it_again_and_writes_nothing(
    organiser, tree, monkeypatch
):
    from recruitment.imports import runner

    job = check(organiser, csv_bytes(candidate_rows("VT-P1-KV3", count=2)))
    runs = _aborted_runs(monkeypatch, times=runner.ATTEMPTS)
    runner.commit(job)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert len(runs) == runner.ATTEMPTS
    assert "Hãy chạy lại việc nhập" in job.refusal  # the job's language: Vietnamese
    assert not Candidate.objects.filter(full_name__startswith="Nguyễn Văn Nhập").exists()


def test_an_unexpected_error_is_not_run_again(organiser, tree, monkeypatch):
    from recruitment.imports import runner

    job = check(organiser, csv_bytes(candidate_rows("VT-P1-KV3", count=2)))
    runs = []

    def broken(*args, **kwargs):
        runs.append(1)
        raise RuntimeError("a bug")

    monkeypatch.setattr(runner, "_process", broken)
    runner.commit(job)
    job.refresh_from_db()
    assert (job.status, len(runs)) == (ImportJob.Status.FAILED, 1)
    assert "ngoài dự kiến" in job.refusal  # "an unexpected error", in the job's Vietnamese


def test_an_abort_outside_the_runs_own_transaction_is_not_run_again(organiser, tree, monkeypatch):
    """Run again only what was rolled back whole: outside the run's transaction, an
    enclosing one (an inline import, in the request's) may be left unusable."""
    from django.db import OperationalError

    from recruitment.imports import runner

    job = check(organiser, csv_bytes(candidate_rows("VT-P1-KV3", count=2)))
    calls = []

    def aborted(job):
        calls.append(1)
        raise OperationalError("deadlock detected") from _Deadlock()

    monkeypatch.setattr(runner, "reason_for", aborted)
    runner.commit(job)
    job.refresh_from_db()
    assert (job.status, len(calls)) == (ImportJob.Status.FAILED, 1)
    assert "ngoài dự kiến" in job.refusal
