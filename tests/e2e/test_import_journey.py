"""The demo organiser imports a candidate file: sees the errors row by row in Vietnamese,
fixes the file, writes it, and finds the people in the candidate list (issue 10, "Done
when")."""

import re

import pytest

from recruitment.demo import load_demo
from recruitment.models import Candidate
from tests.e2e.test_organiser_journey import open_menu_if_collapsed, sign_in
from tests.imports_helpers import CANDIDATE_HEADER, csv_bytes

pytestmark = pytest.mark.django_db(transaction=True)

FILE = [
    ["Đỗ Thị Nhập Một", "14/02/1999", "Nữ", "093199000101", "VT-P1-KV2", "Đoàn viên"],
    ["Huỳnh Văn Nhập Hai", "31/02/1998", "Nam", "093198000102", "VT-P1-KV2", "Hội viên"],
    ["Trương Nhập Ba", "03/07/1997", "Nam", "093197000103", "VT-P3-KV1", "Dân quân"],
]


@pytest.fixture
def demo(transactional_db):
    load_demo()


def choose_file(page, rows):
    page.set_input_files(
        "#id_file",
        files=[{"name": "danh-sach.csv", "mimeType": "text/csv", "buffer": csv_bytes(rows)}],
    )


def test_organiser_imports_a_candidate_file_after_fixing_it(demo, live_server, page):
    people = [list(row) for row in FILE]
    base = live_server.url
    sign_in(page, base)
    page.wait_for_url(re.compile(r"/candidates/$"))
    # The menu leads there (on a phone, once opened); the page is then opened by its address,
    # not by a click racing the menu's animation on a busy machine.
    open_menu_if_collapsed(page)
    assert page.locator("#nav-imports").get_attribute("href") == "/imports/"
    page.goto(f"{base}/imports/")

    # A file with two mistakes: a 31 February, and a cell of another ward.
    choose_file(page, [CANDIDATE_HEADER, *people])
    page.click("#import-check")
    page.wait_for_url(re.compile(r"/imports/\d+/$"))
    problems = page.locator("#import-problems").inner_text()
    assert "dòng 3, cột Ngày sinh: 31/02/1998 không phải ngày hợp lệ" in problems
    assert "dòng 4, cột Mã đơn vị: VT-P3-KV1 không phải là đơn vị của bạn" in problems
    assert page.locator("#count-error").inner_text() == "2"
    assert not Candidate.objects.filter(full_name__contains="Nhập").exists()

    # Fixed, uploaded again, written.
    people[1][1] = "28/02/1998"
    people[2][4] = "VT-P1-KV2"
    page.click("#import-again")
    page.wait_for_url(re.compile(r"/imports/\?kind=candidates$"))
    choose_file(page, [CANDIDATE_HEADER, *people])
    page.click("#import-check")
    page.wait_for_url(re.compile(r"/imports/\d+/$"))
    assert page.locator("#count-new").inner_text() == "3"
    assert page.locator("#count-error").inner_text() == "0"
    page.click("#import-commit")
    page.wait_for_selector("#import-done")

    # The people are in the list.
    page.click("#import-done a")
    page.wait_for_url(re.compile(r"/candidates/$"))
    page.goto(f"{base}/candidates/?q=nhap")
    listing = page.locator("main").inner_text()
    for person in people:
        assert person[0] in listing
    assert Candidate.objects.filter(full_name__contains="Nhập").count() == 3
