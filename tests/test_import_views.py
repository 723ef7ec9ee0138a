"""The import pages: upload, preview, commit; large files in the background; the admin's
links; who may import what."""

import io
from unittest import mock

import pytest
from django.urls import reverse

from recruitment.imports.models import ImportJob
from recruitment.models import Candidate
from tests.imports_helpers import candidate_rows, csv_bytes, upload

pytestmark = pytest.mark.django_db

START = reverse("recruitment:import-start")


def detail(job):
    return reverse("recruitment:import-detail", args=[job.pk])


def commit_url(job):
    return reverse("recruitment:import-commit", args=[job.pk])


def bad_file() -> bytes:
    rows = candidate_rows("VT-P1-KV3", 3)
    rows[2][1] = "31/02/1990"
    return csv_bytes(rows)


def test_upload_shows_the_preview_with_row_level_messages(organiser_client, organiser, tree):
    response = organiser_client.post(
        START, {"kind": "candidates", "file": upload("ds.csv", bad_file())}
    )
    job = ImportJob.objects.get(by=organiser)
    assert response.status_code == 302 and response["Location"] == detail(job)
    page = organiser_client.get(detail(job)).content.decode()
    assert "dòng 3, cột Ngày sinh: 31/02/1990 không phải ngày hợp lệ" in page
    assert 'id="count-new">2<' in page and 'id="count-error">1<' in page
    assert 'id="import-commit-valid"' in page
    assert not Candidate.objects.exists()


def test_a_file_with_errors_is_not_written_unless_only_valid_rows_are_chosen(
    organiser_client, organiser, tree
):
    organiser_client.post(START, {"kind": "candidates", "file": upload("ds.csv", bad_file())})
    job = ImportJob.objects.get(by=organiser)
    response = organiser_client.post(commit_url(job), follow=True)
    assert "Chưa ghi gì" in response.content.decode()
    assert not Candidate.objects.exists()
    organiser_client.post(commit_url(job), {"only_valid": "1"})
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE and job.only_valid
    assert Candidate.objects.count() == 2


def test_a_valid_file_is_written_in_one_go_and_the_people_are_listed(
    organiser_client, organiser, tree
):
    content = csv_bytes(candidate_rows("VT-P1-KV3", 3))
    organiser_client.post(START, {"kind": "candidates", "file": upload("ds.csv", content)})
    job = ImportJob.objects.get(by=organiser)
    response = organiser_client.post(commit_url(job), follow=True)
    assert 'id="import-done"' in response.content.decode()
    listing = organiser_client.get(reverse("recruitment:candidate-list")).content.decode()
    assert "Nguyễn Văn Nhập 2" in listing
    # Writing twice writes once.
    organiser_client.post(commit_url(job))
    assert Candidate.objects.count() == 3
    # The file (names, citizen IDs) is not kept once it is written.
    assert bytes(ImportJob.objects.get(pk=job.pk).content) == b""


def test_of_two_commits_at_once_only_one_writes(organiser_client, organiser, tree):
    content = csv_bytes(candidate_rows("VT-P1-KV3", 3))
    organiser_client.post(START, {"kind": "candidates", "file": upload("ds.csv", content)})
    job = ImportJob.objects.get(by=organiser)
    stale = ImportJob.objects.get(pk=job.pk)  # what the second click read, before the first
    organiser_client.post(commit_url(job))
    assert Candidate.objects.count() == 3
    with mock.patch("recruitment.views.imports._get_job_for_user", return_value=stale):
        response = organiser_client.post(commit_url(job), follow=True)
    assert "Lần nhập này không ở trạng thái chờ ghi." in response.content.decode()
    assert ImportJob.objects.get(pk=job.pk).status == ImportJob.Status.DONE
    assert Candidate.objects.count() == 3


def test_a_large_file_is_checked_and_written_in_the_background(
    organiser_client, organiser, tree, settings, django_capture_on_commit_callbacks
):
    settings.IMPORT_INLINE_BYTES = 100
    content = csv_bytes(candidate_rows("VT-P1-KV3", 30))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        organiser_client.post(START, {"kind": "candidates", "file": upload("ds.csv", content)})
    job = ImportJob.objects.get(by=organiser)
    assert job.status == ImportJob.Status.QUEUED
    page = organiser_client.get(detail(job)).content.decode()
    assert "<progress" in page and 'http-equiv="refresh"' in page
    for callback in callbacks:
        callback()  # the task is queued when the request commits; the test backend runs it
    job.refresh_from_db()
    assert job.status == ImportJob.Status.CHECKED and job.counts["new"] == 30
    with django_capture_on_commit_callbacks(execute=True):
        organiser_client.post(commit_url(job))
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert Candidate.objects.count() == 30


def test_organisers_may_not_import_quotas(organiser_client, organiser, tree):
    content = csv_bytes([["Mã đơn vị", "Năm", "Chỉ tiêu"], ["VT-P1-KV3", 2027, 1]])
    response = organiser_client.post(START, {"kind": "quotas", "file": upload("ct.csv", content)})
    assert response.status_code == 200  # the form says the choice is not one of theirs
    assert not ImportJob.objects.exists()
    template = reverse("recruitment:import-template", args=["quotas"])
    assert organiser_client.get(template).status_code == 404


def test_templates_download_as_xlsx(staff_client, tree):
    from openpyxl import load_workbook

    response = staff_client.get(reverse("recruitment:import-template", args=["quotas"]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    assert sheet["A2"].value == "VT"  # the example names the user's unit


def test_the_admin_links_each_list_to_its_import(admin_client_, tree):
    for model, kind in [
        ("candidate", "candidates"),
        ("partymember", "members"),
        ("enrolment", "results"),
        ("quota", "quotas"),
    ]:
        page = admin_client_.get(f"/admin/recruitment/{model}/").content.decode()
        assert f"/imports/?kind={kind}" in page


def test_an_unknown_kind_in_the_query_is_a_bad_request(organiser_client, tree):
    assert organiser_client.get(START + "?kind=nope").status_code == 400


def test_the_import_page_lists_past_imports_in_a_fixed_number_of_queries(
    organiser_client, organiser, tree
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert organiser_client.get(START).status_code == 200
        return len(captured)

    ImportJob.objects.create(kind="candidates", file_name="0.csv", content=b"x", by=organiser)
    one = queries()
    for n in range(1, 6):
        ImportJob.objects.create(
            kind="candidates", file_name=f"{n}.csv", content=b"x", by=organiser
        )
    assert queries() == one
