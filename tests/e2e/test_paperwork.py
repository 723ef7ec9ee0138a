"""The city's staff download the quota report as PDF (page 1 kept as a picture in
tests/e2e/artifacts/ when pdftoppm is there) and a candidate's admission decision as DOCX."""

import io
import re
import shutil
import subprocess

import pytest
from pypdf import PdfReader

from recruitment.demo import load_demo
from recruitment.models import Candidate
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_organiser_journey import sign_in
from tests.test_documents import document_text

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def demo(transactional_db):
    load_demo()


def test_staff_download_the_quota_report_and_a_dossier_document(demo, live_server, page, request):
    base = live_server.url
    sign_in(page, base, "staff")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    page.goto(f"{base}/dashboard/?year=2021")
    with page.expect_download() as download_info:
        page.click("#report-pdf")
    download = download_info.value
    assert re.fullmatch(r"quota-2021-VT-\d{8}\.pdf", download.suggested_filename)
    ARTIFACTS.mkdir(exist_ok=True)
    pdf_path = ARTIFACTS / f"{request.node.name}-quota-report.pdf"
    download.save_as(pdf_path)
    text = "\n".join(p.extract_text() for p in PdfReader(pdf_path).pages)
    assert "48/43" in text and "111%" in text
    if shutil.which("pdftoppm"):
        prefix = ARTIFACTS / f"{request.node.name}-quota-report"
        subprocess.run(
            ["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", pdf_path, prefix],
            check=True,
            timeout=60,
        )
        assert prefix.with_suffix(".png").stat().st_size > 10_000

    toan = Candidate.objects.get(full_name="Nguyễn Đức Toàn")
    page.goto(f"{base}/candidates/{toan.pk}/")
    with page.expect_download() as download_info:
        page.click("#documents a[href$='/documents/9-knd/']")
    content = io.BytesIO()
    with open(download_info.value.path(), "rb") as file:
        content.write(file.read())
    text = document_text(content.getvalue())
    assert "Nguyễn Đức Toàn" in text and "None" not in text
    assert "tháng 09 năm 2021" in text  # the decision of September 2021

    page.goto(f"{base}/candidates/{toan.pk}/dossier/")
    assert page.locator("#dossier-admission tr.recorded").count() >= 5

    # Printed, the dossier has its header and no navigation (kept as a PDF in the artefacts).
    page.emulate_media(media="print")
    assert page.locator(".print-header").is_visible()
    assert not page.locator("nav.navbar").is_visible()
    page.pdf(path=str(ARTIFACTS / f"{request.node.name}-dossier.pdf"), format="A4")
