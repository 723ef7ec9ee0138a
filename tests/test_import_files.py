"""Real files (issue 10 §1): the encodings, date and ID spellings and sheet layouts offices
produce are read; files that are not what they claim are refused with a message naming the
problem, never a 500, and nothing is written.

Each bad-file class is one test case of ``test_a_bad_file_is_refused_and_nothing_written``.
"""

import io
import re
import unicodedata
import zipfile
from datetime import date

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import translation
from openpyxl import Workbook

from recruitment.imports import reading, values
from recruitment.imports.models import ImportJob
from recruitment.models import Candidate
from tests.factories import CandidateFactory, PartyMemberFactory
from tests.imports_helpers import (
    CANDIDATE_HEADER,
    candidate_rows,
    check,
    check_and_commit,
    csv_bytes,
    problem_texts,
    upload,
    xlsx_bytes,
)

pytestmark = pytest.mark.django_db

START = reverse("recruitment:import-start")
NAMES = ["Nguyễn Văn Toàn", "Phan Đức Trọng", "Lê Thị Ngọc Ánh"]


def people_rows(unit="VT-P1-KV3") -> list[list]:
    return [CANDIDATE_HEADER] + [
        [name, f"0{n + 1}/02/1996", "Nam", f"09319600000{n}", unit, "Đoàn viên"]
        for n, name in enumerate(NAMES)
    ]


def cp1258(text: str) -> bytes:
    """Text as Windows-1258 stores it: letters with their hat or horn precomposed, the tone
    as a combining mark after them."""
    out = bytearray()
    for ch in unicodedata.normalize("NFC", text):
        try:
            out += ch.encode("cp1258")
        except UnicodeEncodeError:
            base, *marks = unicodedata.normalize("NFD", ch)
            tone = marks.pop()
            out += unicodedata.normalize("NFC", base + "".join(marks)).encode("cp1258")
            out += tone.encode("cp1258")
    return bytes(out)


def with_formula(content: bytes, cell: str, formula: str, cached: str) -> bytes:
    """An XLSX whose ``cell`` holds ``formula`` with the value Excel saved for it."""
    source = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                xml = data.decode()
                xml, found = re.subn(
                    rf'<c r="{cell}"[^>]*>.*?</c>',
                    f'<c r="{cell}" t="str"><f>{formula}</f><v>{cached}</v></c>',
                    xml,
                )
                assert found == 1
                data = xml.encode()
            target.writestr(item, data)
    return out.getvalue()


def imported_names() -> list[str]:
    return sorted(Candidate.objects.values_list("full_name", flat=True))


# --- files that are read --------------------------------------------------------------------


@pytest.mark.parametrize(
    "encoding, delimiter",
    [
        ("utf-8-sig", ","),  # UTF-8 with a BOM (Excel's "CSV UTF-8")
        ("utf-8", ","),  # UTF-8 without one
        ("utf-8", ";"),  # semicolons, as Excel writes CSV with a Vietnamese locale
        ("utf-16", "\t"),  # Excel's "Unicode text": UTF-16 with a BOM, tab-separated
        ("utf-16-le", "\t"),  # UTF-16 without a BOM
    ],
)
def test_text_encodings_are_read(encoding, delimiter, organiser, tree):
    content = csv_bytes(people_rows(), encoding=encoding, delimiter=delimiter)
    job = check_and_commit(organiser, content)
    assert job.status == ImportJob.Status.DONE, (job.refusal, problem_texts(job))
    assert imported_names() == sorted(NAMES)


def test_windows_1258_is_read_and_its_names_compose(organiser, tree):
    out = io.StringIO()
    for row in people_rows():
        out.write(",".join(row) + "\r\n")
    content = cp1258(out.getvalue())
    with pytest.raises(UnicodeDecodeError):
        content.decode("utf-8")
    job = check_and_commit(organiser, content)
    assert job.status == ImportJob.Status.DONE, (job.refusal, problem_texts(job))
    assert imported_names() == sorted(NAMES)  # composed (NFC), so search finds them


def test_merged_headers_title_rows_blank_rows_and_totals_are_skipped(organiser, tree):
    def title(sheet):
        sheet.append(["DANH SÁCH QUẦN CHÚNG ƯU TÚ NĂM 2026"])
        sheet.merge_cells("A1:F1")
        sheet.append([])
        sheet.append(["Thông tin cá nhân", None, None, "Giấy tờ", "Đơn vị", None])
        sheet.merge_cells("A3:C3")

    rows = people_rows()
    rows.insert(2, [None] * 6)  # a blank row between people
    rows.append([None] * 6)
    rows.append(["Tổng cộng: 3 người", None, None, None, None, None])
    job = check_and_commit(organiser, xlsx_bytes(rows, before=title), name="ds.xlsx")
    assert job.status == ImportJob.Status.DONE, (job.refusal, problem_texts(job))
    assert job.counts["new"] == 3 and job.counts["error"] == 0
    assert imported_names() == sorted(NAMES)


@pytest.mark.parametrize("name", ["Tống Thị Hoa", "Công Tằng Tôn Nữ Minh", "Tổng Văn Sum"])
def test_people_whose_names_begin_like_a_total_are_imported(organiser, tree, name):
    rows = [CANDIDATE_HEADER, [name, "01/02/1996", "Nữ", "093196000009", "VT-P1-KV3", "Đoàn viên"]]
    rows += [["Tổng số 1", None, None, None, None, None], ["Cộng: 1", None, None, None, None]]
    rows += [["TOTAL", None, None, None, None, None], ["Tổng số quần chúng: 1"]]
    rows += [["Tổng cộng số đảng viên", "1", None, None, None, None]]
    job = check_and_commit(organiser, csv_bytes(rows), name="ds.csv")
    assert job.status == ImportJob.Status.DONE, (job.refusal, problem_texts(job))
    assert job.counts["new"] == 1 and job.counts["error"] == 0
    assert imported_names() == [name]


def test_a_formula_is_read_as_its_saved_value_never_run(organiser, tree):
    content = xlsx_bytes(people_rows(), title="DS")
    content = with_formula(
        content, "A2", 'WEBSERVICE("http://127.0.0.1:9/leak")', "Nguyễn Văn Công Thức"
    )
    job = check_and_commit(organiser, content, name="ds.xlsx")
    assert job.status == ImportJob.Status.DONE, (job.refusal, problem_texts(job))
    assert "Nguyễn Văn Công Thức" in imported_names()


def test_date_and_id_spellings_of_real_sheets_are_read(organiser, tree):
    rows = [
        CANDIDATE_HEADER,
        ["Người Một", "05/02/1996", "Nam", "093 196 000 001", "VT-P1-KV3", "Hội viên"],
        ["Người Hai", "5/2/96", "Nữ", "093.196.000.002", "VT-P1-KV3", "Dân quân"],
        ["Người Ba", 35100, "Nam", 93196000003, "VT-P1-KV3", "Công đoàn viên"],  # serial, lost 0
        ["Người Bốn", "1996-02-05", "Nữ", "'093196000004", "VT-P1-KV3", "Quần chúng"],
        ["Người Năm", date(1996, 2, 5), "Nam", "381234567", "VT-P1-KV3", "Quần chúng"],  # CMND
    ]
    job = check_and_commit(organiser, xlsx_bytes(rows), name="ds.xlsx")
    assert job.status == ImportJob.Status.DONE, (job.refusal, problem_texts(job))
    people = {c.full_name: c for c in Candidate.objects.all()}
    assert {c.date_of_birth for c in people.values()} == {date(1996, 2, 5)}
    assert [people[n].citizen_id for n in ["Người Một", "Người Hai", "Người Ba", "Người Bốn"]] == [
        "093196000001",
        "093196000002",
        "093196000003",
        "093196000004",
    ]
    # A 9-digit number is an old ID card (CMND): kept as such, matched on the next run.
    assert (people["Người Năm"].citizen_id, people["Người Năm"].old_id_number) == (
        None,
        "381234567",
    )
    assert problem_texts(job) == []
    again = check_and_commit(organiser, xlsx_bytes(rows), name="ds.xlsx")
    assert again.status == ImportJob.Status.DONE and Candidate.objects.count() == 5


def test_a_number_a_party_member_carries_is_an_error(organiser, tree):
    PartyMemberFactory(unit=tree["ward3"], old_id_number="381234567")
    rows = [
        CANDIDATE_HEADER,
        ["Người Năm", date(1996, 2, 5), "Nam", "381234567", "VT-P1-KV3", "Quần chúng"],
    ]
    job = check(organiser, xlsx_bytes(rows), name="ds.xlsx")
    with translation.override("vi"):
        assert problem_texts(job) == [
            "dòng 2, cột Số CCCD: 381234567 đã được đăng ký cho một đảng viên ở một tổ chức "
            "đảng khác"
        ]
    assert not Candidate.objects.exists()


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("31/01/1990", date(1990, 1, 31)),
        ("1/2/1990", date(1990, 2, 1)),
        ("01.02.1990", date(1990, 2, 1)),
        ("1/2/90", date(1990, 2, 1)),
        ("1/2/05", date(2005, 2, 1)),
        ("1990-02-01", date(1990, 2, 1)),
        (32905, date(1990, 2, 1)),
        ("32905", date(1990, 2, 1)),
    ],
)
def test_dates_are_day_month_year_iso_or_excel_serials(raw, expected):
    assert values.parse_date(raw) == expected


@pytest.mark.parametrize("raw", ["12/31/1990", "31/02/1990", "0/1/1990", "1990", "mai", "1e5"])
def test_dates_that_are_not_are_refused_never_guessed(raw):
    with pytest.raises(values.Invalid):
        values.parse_date(raw)


def test_a_month_day_date_says_dates_are_day_month_year():
    with translation.override("vi"), pytest.raises(values.Invalid) as error:
        values.parse_date("12/31/1990")
    assert "ngày/tháng/năm" in error.value.message


@pytest.mark.parametrize("raw", ["09319600000", "0931960000011", "０９３１９６０００００１", "abc"])
def test_citizen_ids_of_the_wrong_length_or_digits_are_errors(raw):
    with pytest.raises(values.Invalid):
        values.parse_citizen_id(raw)


# --- files that are refused -------------------------------------------------------------------


def tcvn3() -> bytes:
    # "Họ và tên", "Nguyễn Văn Toàn", "Đảng" as the .VnTime font stores them.
    rows = [
        ["Hä vµ tªn", "Ngµy sinh", "Giíi tÝnh", "M· ®¬n vÞ", "Nguån"],
        ["NguyÔn V¨n Toµn", "01/02/1996", "Nam", "VT-P1-KV3", "§oµn viªn"],
        ["Phan §øc Träng", "02/02/1996", "Nam", "VT-P1-KV3", "§oµn viªn"],
    ]
    return csv_bytes(rows, encoding="cp1252")


def vni() -> bytes:
    rows = [
        ["Hoï vaø teân", "Ngaøy sinh", "Giôùi tính", "Maõ ñôn vò", "Nguoàn"],
        ["Nguyeãn Vaên Toaøn", "01/02/1996", "Nam", "VT-P1-KV3", "Ñoaøn vieân"],
        ["Phan Ñöùc Troïng", "02/02/1996", "Nam", "VT-P1-KV3", "Ñoaøn vieân"],
    ]
    return xlsx_bytes(rows)


def zip_bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (40 * 1024 * 1024))
    return out.getvalue()


def office_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    return out.getvalue()


BAD_FILES = {
    # name: (file name, content, words the refusal must contain, in Vietnamese)
    "empty": ("ds.csv", lambda: b"", "Tệp trống"),
    "blank": ("ds.csv", lambda: b"\r\n \r\n", "Tệp trống"),
    "png-renamed-csv": ("ds.csv", lambda: b"\x89PNG\r\n\x1a\n" + b"\0" * 200, "PNG"),
    "pdf-renamed-xlsx": ("ds.xlsx", lambda: b"%PDF-1.7\n%\xe2\xe3\n" + b"x" * 200, "PDF"),
    "executable": ("ds.xlsx", lambda: b"MZ\x90\x00" + bytes(range(256)) * 4, "EXE"),
    "random-binary": ("ds.csv", lambda: bytes(range(1, 32)) * 100, "nhị phân"),
    "old-xls": ("ds.xls", lambda: reading.OLD_EXCEL + b"\0" * 512, "97-2003"),
    "text-renamed-xlsx": ("ds.xlsx", lambda: b"Ho va ten,Ngay sinh\r\nA,1/1/1990\r\n", ".xlsx"),
    "zip-bomb-renamed-xlsx": ("ds.xlsx", zip_bomb, "bom zip"),
    "other-office-zip": ("ds.xlsx", office_zip, "không phải bảng tính Excel"),
    "truncated-xlsx": ("ds.xlsx", lambda: xlsx_bytes(people_rows())[:1500], "hỏng"),
    "tcvn3-text": ("ds.csv", tcvn3, "TCVN3"),
    "vni-text": ("ds.xlsx", vni, "VNI"),
    "false-utf16-bom": ("ds.csv", lambda: b"\xff\xfe" + b"\x00\xd8" * 3, "UTF-16"),
    "no-header-row": ("ds.csv", lambda: csv_bytes([["a", "b"], ["1", "2"]]), "dòng tiêu đề"),
    "required-column-missing": (
        "ds.csv",
        lambda: csv_bytes([row[:2] for row in people_rows()]),
        "Giới tính",
    ),
}


@pytest.mark.parametrize("case", BAD_FILES)
def test_a_bad_file_is_refused_and_nothing_written(case, organiser_client, organiser, tree):
    name, make, words = BAD_FILES[case]
    response = organiser_client.post(
        START, {"kind": "candidates", "file": upload(name, make())}, follow=True
    )
    assert response.status_code < 500
    page = response.content.decode()
    assert words in page, page[-3000:]
    job = ImportJob.objects.filter(by=organiser).first()
    if job is not None:
        assert job.status == ImportJob.Status.REFUSED
        assert words in job.refusal
        # Nothing can be written from a refused file.
        commit = organiser_client.post(reverse("recruitment:import-commit", args=[job.pk]))
        assert commit.status_code == 302
    assert not Candidate.objects.exists()


def sheet_declaring_every_cell() -> bytes:
    """A few kilobytes whose sheet declares all 16,384 columns and 1,048,576 rows, with one
    cell in the last row: openpyxl would pad every row in between to the declared width."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(CANDIDATE_HEADER)
    sheet.cell(row=1_048_576, column=1, value="x")
    plain = io.BytesIO()
    workbook.save(plain)
    source, out = zipfile.ZipFile(plain), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for entry in source.infolist():
            data = source.read(entry.filename)
            if entry.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(
                    rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1:XFD1048576"/>', data
                )
            archive.writestr(entry, data)
    return out.getvalue()


def test_a_sheet_that_declares_a_million_rows_is_refused_past_the_row_limit(
    organiser, tree, monkeypatch
):
    monkeypatch.setattr(reading, "MAX_ROWS", 2_000)  # the same path as 200,000, sooner
    content = sheet_declaring_every_cell()
    assert len(content) < 10_000
    job = check(organiser, content, name="ds.xlsx")
    assert job.status == ImportJob.Status.REFUSED
    assert job.refusal == "Trang tính có hơn 2.000 dòng: hãy chia thành nhiều tệp."
    assert not Candidate.objects.exists()


@override_settings(IMPORT_MAX_BYTES=2000)
def test_a_file_over_the_limit_is_refused_before_it_is_kept(organiser_client, organiser, tree):
    content = csv_bytes(candidate_rows("VT-P1-KV3", 100))
    assert len(content) > 2000
    response = organiser_client.post(
        START, {"kind": "candidates", "file": upload("ds.csv", content)}
    )
    assert response.status_code == 413
    assert "chỉ nhập được tệp đến" in response.content.decode()
    assert not ImportJob.objects.exists()
    assert not Candidate.objects.exists()


@override_settings(IMPORT_MAX_BYTES=2000)
def test_an_announced_size_over_the_limit_keeps_nothing_of_the_file(rf):
    from django.core.files.uploadhandler import StopUpload

    from recruitment.imports.uploads import SizeLimitUploadHandler

    request = rf.post("/imports/")
    handler = SizeLimitUploadHandler(request)
    handler.handle_raw_input(None, {}, 200 * 1024 * 1024, b"x")
    with pytest.raises(StopUpload):
        handler.receive_data_chunk(b"x" * 10, 0)  # the very first chunk
    assert request.upload_too_large > 2000


def test_a_file_over_the_limit_is_refused_by_the_runner_too(organiser, tree, settings):
    content = csv_bytes(candidate_rows("VT-P1-KV3", 50))
    settings.IMPORT_MAX_BYTES = 1000
    job = check(organiser, content)
    assert job.status == ImportJob.Status.REFUSED


@pytest.mark.parametrize("raw", ["1" * 5000, "12a", "", "-3"])
def test_what_is_not_a_short_whole_number_is_an_error_in_words(raw):
    with pytest.raises(values.Invalid):
        values.parse_int(raw, maximum=10**30)


def test_columns_the_import_does_not_read_are_named_in_the_preview(organiser, tree):
    header = [*CANDIDATE_HEADER, "Số điện thoại", "Ghi chú", "Ngày sinh"]
    rows = [header, ["Trần Văn Gọi", "01/02/1996", "Nam", "", "VT-P1-KV3", "Đoàn viên",
                     "0909 000 111", "hay đi công tác", "02/02/1996"]]  # fmt: skip
    job = check_and_commit(organiser, csv_bytes(rows), name="ds.csv", language="en")
    assert job.status == ImportJob.Status.DONE, (job.refusal, problem_texts(job))
    assert Candidate.objects.get().phone == "0909 000 111"  # "Số điện thoại" is the phone
    with translation.override("en"):
        texts = problem_texts(job)
    assert texts == [
        "row 1, column Ghi chú: not a column this import reads: its values are left out",
        "row 1, column Ngày sinh: a second column of this name: only the first one is read",
    ]


def test_an_existing_candidates_class_columns_are_said_to_be_left_unchanged(organiser, tree):
    CandidateFactory(unit=tree["ward1_cell"], full_name="Người Cũ", citizen_id="093196000001")
    header = [*CANDIDATE_HEADER, "Số giấy chứng nhận"]
    rows = [
        header,
        ["Người Cũ", "01/02/1996", "Nam", "093196000001", "VT-P1-KV3", "Đoàn viên", "GCN-7"],
    ]
    job = check_and_commit(organiser, csv_bytes(rows), name="ds.csv", language="en")
    with translation.override("en"):
        texts = problem_texts(job)
    assert job.counts["error"] == 0, texts
    assert any(
        "Số giấy chứng nhận: not changed for a candidate already in the app" in t for t in texts
    ), texts


def test_a_partly_filled_row_of_a_person_named_tong_is_an_error_not_a_total(organiser, tree):
    rows = [CANDIDATE_HEADER, ["Tống Văn An", None, None, "093196000010", None, None]]
    rows += [["Tổng cộng", None, None, "2 người", None, None], ["TỔNG CỘNG", "1", "-", None]]
    rows += [["Tổng số quần chúng"], ["Cộng (1 người)"]]
    job = check(organiser, csv_bytes(rows), name="ds.csv", language="en")
    assert job.counts["error"] == 1, problem_texts(job)  # the person, told what is missing
    assert {row for row, *_rest in job.problems} == {2}
