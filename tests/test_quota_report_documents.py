"""The quota report as an official document: ``/dashboard/?…&format=docx`` and ``&format=pdf``."""

import io

import pytest
from django.test import TestCase
from django.urls import reverse
from pypdf import PdfReader

from accounts.models import User
from recruitment.demo import load_demo
from recruitment.documents.context import DOTS
from recruitment.documents.models import PaperworkSetting
from recruitment.models import Organisation
from tests.snapshots import kept_snapshot
from tests.test_documents import document_text

URL = reverse("recruitment:dashboard")


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


# The demo is loaded once per run (tests/snapshots.py); the demo classes share a worker.
@pytest.mark.xdist_group("demo")
class DemoQuotaReportTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        kept_snapshot(load_demo).restore()
        cls.staff = User.objects.get(username="staff")
        cls.city = Organisation.objects.get(code="VT")

    def setUp(self):
        self.client.force_login(self.staff)

    def test_the_pdf_of_vi_thanh_2021_reads_48_of_43_111_percent(self):
        response = self.client.get(URL, {"year": 2021, "unit": self.city.pk, "format": "pdf"})
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["Content-Type"], "application/pdf")
        self.assertIn('filename="quota-2021-VT-', response["Content-Disposition"])
        text = pdf_text(response.content)
        self.assertIn("48/43", text)
        self.assertIn("111%", text)
        self.assertIn("ĐẢNG CỘNG SẢN VIỆT NAM", text)
        self.assertIn("Đảng bộ Phường I", text)  # a row of the table, diacritics intact
        self.assertIn("4/3", text)
        self.assertIn("133%", text)
        self.assertIn("Số " + DOTS, text)  # no number set: a dotted line
        self.assertNotIn("None", text)

    def test_the_pdf_embeds_its_fonts(self):
        response = self.client.get(URL, {"year": 2021, "format": "pdf"})
        reader = PdfReader(io.BytesIO(response.content))
        fonts = reader.pages[0]["/Resources"]["/Font"]
        for font in fonts.values():
            descriptor = font.get_object()["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            self.assertIn("/FontFile2", descriptor.get_object())
            self.assertIn("LiberationSerif", str(font.get_object()["/BaseFont"]))

    def test_the_docx_carries_the_same_figures_and_the_units_setting(self):
        PaperworkSetting.objects.create(
            unit=self.city,
            issuer_name="Thành ủy Vị Thanh",
            place="Vị Thanh",
            report_number="25-BC/TU",
            signer_capacity="T/M BAN THƯỜNG VỤ",
            signer_title="PHÓ BÍ THƯ",
            signer_name="Võ Minh Khôi",
            recipients="- Ban Tổ chức Tỉnh ủy,\n- Lưu Văn phòng Thành ủy.",
        )
        response = self.client.get(URL, {"year": 2021, "format": "docx"})
        self.assertEqual(response.status_code, 200)
        text = document_text(response.content)
        for expected in [
            "ĐẢNG BỘ TỈNH HẬU GIANG",
            "THÀNH ỦY VỊ THANH",
            "Số 25-BC/TU",
            "Vị Thanh, ngày",
            "KẾT QUẢ KẾT NẠP ĐẢNG VIÊN NĂM 2021",
            "48/43",
            "111%",
            "tăng 3 so với năm 2020",
            "Đảng bộ Phường I",
            "133%",
            "T/M BAN THƯỜNG VỤ",
            "Võ Minh Khôi",
            "- Ban Tổ chức Tỉnh ủy,",
        ]:
            self.assertIn(expected, text)
        self.assertNotIn("None", text)
        self.assertNotIn("{{", text)

    def test_the_pdf_has_the_units_setting(self):
        PaperworkSetting.objects.create(
            unit=self.city, place="Vị Thanh", report_number="25-BC/TU", signer_name="Võ Minh Khôi"
        )
        text = pdf_text(self.client.get(URL, {"year": 2021, "format": "pdf"}).content)
        self.assertIn("Số 25-BC/TU", text)
        self.assertIn("Vị Thanh, ngày", text)
        self.assertIn("Võ Minh Khôi", text)


def test_an_outsider_gets_404_for_the_report(other_staff_client, tree):
    for fmt in ("docx", "pdf"):
        response = other_staff_client.get(
            URL, {"year": 2021, "unit": tree["ward1"].pk, "format": fmt}
        )
        assert response.status_code == 404


@pytest.mark.parametrize("fmt", ["DOCX", "Pdf"])
def test_the_format_is_read_in_any_case(staff_client, tree, fmt):
    response = staff_client.get(URL, {"year": 2021, "format": fmt})
    assert response.status_code == 200


@pytest.mark.parametrize("fmt", ["doc", "pdf ", "docx\x00", "pdfx", "ｐｄｆ"])
def test_an_unknown_format_is_a_bad_request(staff_client, tree, fmt):
    assert staff_client.get(URL, {"year": 2021, "format": fmt}).status_code == 400


def test_a_unit_without_quota_has_dashes_not_none(staff_client, tree):
    response = staff_client.get(URL, {"year": 2021, "unit": tree["ward3"].pk, "format": "docx"})
    text = document_text(response.content)
    assert "chưa được giao chỉ tiêu" in text
    assert "—" in text and "None" not in text
