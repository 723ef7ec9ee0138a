"""The dossier documents (Mẫu …-KNĐ, Hướng dẫn 12-HD/BTCTW 2022): filled from the record,
dotted lines for what the app does not know, a unit's own template, and scope."""

import io
import zipfile
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from docx import Document
from jinja2.exceptions import SecurityError

from recruitment.documents import catalogue, render
from recruitment.documents.context import DOTS
from recruitment.documents.models import DocumentTemplate, PaperworkSetting
from recruitment.models import Sponsorship, Stage
from tests.factories import CandidateFactory, PartyMemberFactory, TrainingClassFactory
from tests.helpers import english, messages_of

NAME = "Nguyễn Thị Ánh Tuyết"


def document_text(content: bytes) -> str:
    """Every paragraph's text, table cells included, one per line."""
    document = Document(io.BytesIO(content))
    lines = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            for cell in row.cells:
                lines.extend(p.text for p in cell.paragraphs)
    return "\n".join(lines)


def url(candidate, slug):
    return reverse("recruitment:candidate-document", args=[candidate.pk, slug])


@pytest.fixture
def admitted(tree):
    """A candidate of area 3 of Ward I whose admission paperwork is all recorded."""
    cell = tree["ward1_cell"]
    candidate = CandidateFactory(
        unit=cell,
        full_name=NAME,
        date_of_birth=date(1998, 4, 7),
        gender="female",
        residence="Khu vực 3, Phường I",
        occupation="Giáo viên",
        stage=Stage.ADMITTED,
        youth_union_member=True,
        application_on=date(2021, 1, 10),
        application_ref="ĐXVĐ-01",
        personal_history_on=date(2021, 1, 12),
        background_check_on=date(2021, 2, 20),
        background_check_ref="TT-07",
        youth_union_resolution_on=date(2021, 3, 1),
        youth_union_resolution_ref="12-NQ/ĐTN",
        cell_resolution_on=date(2021, 3, 15),
        cell_resolution_ref="05-NQ/CB",
        votes_for=9,
        votes_total=10,
        decision_on=date(2021, 5, 20),
        decision_number="123-QĐ/TU",
        ceremony_on=date(2021, 6, 1),
    )
    for name, role in [("Trần Văn Đông", "introducer"), ("Lê Thị Hồng", "mentor")]:
        member = PartyMemberFactory(unit=cell, full_name=name)
        Sponsorship.objects.create(
            candidate=candidate,
            member=member,
            role=role,
            assigned_on=date(2020, 6, 1),
            known_since=date(2019, 1, 1),
            reference="GT-2021" if role == "introducer" else "",
        )
    training_class = TrainingClassFactory(
        unit=tree["ward1"], starts_on=date(2020, 9, 1), ends_on=date(2020, 9, 10)
    )
    candidate.enrolments.create(
        training_class=training_class,
        result="passed",
        certificate_number="CN-4521",
        certificate_on=date(2020, 9, 10),
    )
    return candidate


@pytest.mark.parametrize("form", catalogue.GENERATED, ids=lambda f: f.slug)
def test_each_document_opens_and_carries_the_record(form, admitted, organiser_client):
    response = organiser_client.get(url(admitted, form.slug))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert f"mau-{form.slug}-" in response["Content-Disposition"]
    text = document_text(response.content)
    assert NAME in text  # diacritics intact
    assert "None" not in text
    assert "{{" not in text and "{%" not in text
    if form.number:
        assert form.number in text or form.slug == "3-knd"


def test_the_documents_carry_dates_numbers_votes_and_introducers(admitted, organiser_client):
    texts = {
        form.slug: document_text(organiser_client.get(url(admitted, form.slug)).content)
        for form in catalogue.GENERATED
    }
    assert "sinh ngày 07 tháng 04 năm 1998" in texts["6-knd"]
    assert "Số 05-NQ/CB" in texts["6-knd"]
    assert "ngày 15 tháng 03 năm 2021" in texts["6-knd"]
    assert "số tán thành: 9 (90%)" in texts["6-knd"]
    assert "Trần Văn Đông" in texts["6-knd"] and "Trần Văn Đông" in texts["3-knd"]
    assert "CN-4521" in texts["6-knd"] and "10/09/2020" in texts["6-knd"]
    assert "Chi bộ Khu vực 3" in texts["6-knd"]
    assert "ĐẢNG BỘ PHƯỜNG I" in texts["6-knd"]
    assert "Số 12-NQ/ĐTN" in texts["4-knd"]
    assert "Số 123-QĐ/TU" in texts["9-knd"] and "ngày 20 tháng 05 năm 2021" in texts["9-knd"]
    assert "ĐẢNG BỘ THÀNH PHỐ VỊ THANH" in texts["9-knd"]  # the level above decides
    assert "Lê Thị Hồng" in texts["11-knd"] and "01/06/2022" in texts["11-knd"]
    assert "Nghị quyết số 05-NQ/CB ngày 15/03/2021" in texts["8-knd"]


def test_unknown_values_are_dotted_lines_never_none(tree, organiser_client):
    candidate = CandidateFactory(unit=tree["ward1_cell"], full_name="Đỗ Văn Ẩn", residence="")
    for form in catalogue.GENERATED:
        text = document_text(organiser_client.get(url(candidate, form.slug)).content)
        assert "Đỗ Văn Ẩn" in text
        assert "None" not in text
        assert DOTS in text, form.slug
    text = document_text(organiser_client.get(url(candidate, "9-knd")).content)
    assert f"Số {DOTS}" in text
    assert f"Nơi cư trú: {DOTS}" in document_text(
        organiser_client.get(url(candidate, "6-knd")).content
    )


def test_each_introducer_has_a_letter_on_a_page_of_its_own(admitted, organiser_client):
    member = PartyMemberFactory(unit=admitted.unit, full_name="Phạm Văn Bảy")
    Sponsorship.objects.create(candidate=admitted, member=member, role="introducer")
    content = organiser_client.get(url(admitted, "3-knd")).content
    text = document_text(content)
    assert text.count("GIẤY GIỚI THIỆU NGƯỜI VÀO ĐẢNG") == 2
    assert "Tôi là: Trần Văn Đông" in text and "Tôi là: Phạm Văn Bảy" in text
    body = Document(io.BytesIO(content)).element.body.xml
    assert body.count('w:type="page"') == 1  # between the two letters, not after the last


def test_the_paperwork_setting_fills_the_signer_and_the_place(admitted, organiser_client, tree):
    PaperworkSetting.objects.create(
        unit=tree["city"],
        issuer_name="Thành ủy Vị Thanh",
        place="Vị Thanh",
        signer_capacity="T/M BAN THƯỜNG VỤ",
        signer_title="PHÓ BÍ THƯ",
        signer_name="Võ Minh Khôi",
    )
    text = document_text(organiser_client.get(url(admitted, "9-knd")).content)
    assert "THÀNH ỦY VỊ THANH" in text
    assert "Vị Thanh, ngày 20 tháng 05 năm 2021" in text
    assert "PHÓ BÍ THƯ" in text and "Võ Minh Khôi" in text


def test_the_nearest_ancestors_own_template_wins(admitted, organiser_client, tree):
    def template_saying(words):
        document = Document()
        document.add_paragraph(words + " {{ name }}")
        out = io.BytesIO()
        document.save(out)
        return out.getvalue()

    DocumentTemplate.objects.create(
        unit=tree["city"], code="6-knd", content=template_saying("Mẫu của thành phố")
    )
    text = document_text(organiser_client.get(url(admitted, "6-knd")).content)
    assert f"Mẫu của thành phố {NAME}" in text
    DocumentTemplate.objects.create(
        unit=tree["ward1"], code="6-knd", content=template_saying("Mẫu của phường")
    )
    text = document_text(organiser_client.get(url(admitted, "6-knd")).content)
    assert f"Mẫu của phường {NAME}" in text
    # Another form, and another ward, keep the shipped template.
    assert "Mẫu 9-KNĐ" in document_text(organiser_client.get(url(admitted, "9-knd")).content)


def test_a_document_across_the_scope_is_refused(
    admitted, other_organiser_client, other_staff_client
):
    for client in (other_organiser_client, other_staff_client):
        assert client.get(url(admitted, "6-knd")).status_code == 404
        dossier = reverse("recruitment:candidate-dossier", args=[admitted.pk])
        assert client.get(dossier).status_code == 404


def test_a_form_the_app_does_not_generate_is_404(admitted, organiser_client):
    for slug in ("1-knd", "2-knd", "certificate", "no-such-form"):
        assert organiser_client.get(url(admitted, slug)).status_code == 404


def test_the_candidate_page_links_each_document(admitted, organiser_client):
    page = organiser_client.get(admitted.get_absolute_url()).text
    for form in catalogue.GENERATED:
        assert url(admitted, form.slug) in page
    assert reverse("recruitment:candidate-dossier", args=[admitted.pk]) in page


def test_the_dossier_checklist_shows_what_the_app_holds(
    admitted, organiser_client, django_assert_max_num_queries
):
    dossier = reverse("recruitment:candidate-dossier", args=[admitted.pk])
    # 13: the navigation bar's count of reminders is one of them.
    with django_assert_max_num_queries(13):
        response = organiser_client.get(dossier)
    assert response.status_code == 200
    entries = {e.form.slug: e for e in response.context["admission"]}
    entries.update({e.form.slug: e for e in response.context["recognition"]})
    assert entries["1-knd"].recorded and entries["1-knd"].reference == "ĐXVĐ-01"
    assert entries["6-knd"].on == date(2021, 3, 15)
    assert entries["certificate"].reference == "CN-4521"
    assert entries["3-knd"].reference == "GT-2021"
    assert not entries["8-knd"].recorded and not entries["13-knd"].recorded
    page = response.text
    assert url(admitted, "9-knd") in page
    assert url(admitted, "1-knd") not in page  # written by the candidate
    assert 'href="/static/css/print.css"' in page or "print.css" in page


def test_a_unit_uploads_its_own_template_in_the_admin(tree, staff, client):
    client.force_login(staff)
    document = Document()
    document.add_paragraph("Của thành phố {{ name }}")
    out = io.BytesIO()
    document.save(out)
    add = reverse("admin:recruitment_documenttemplate_add")
    upload = SimpleUploadedFile("6.docx", out.getvalue())
    response = client.post(add, {"unit": tree["city"].pk, "code": "6-knd", "upload": upload})
    assert response.status_code == 302, response.context["adminform"].form.errors
    saved = DocumentTemplate.objects.get()
    assert saved.unit == tree["city"] and saved.file_name == "6.docx"
    # Not a DOCX: refused with a message, nothing saved.
    bad = SimpleUploadedFile("x.docx", b"not a zip")
    response = client.post(add, {"unit": tree["ward1"].pk, "code": "6-knd", "upload": bad})
    assert response.status_code == 200
    assert DocumentTemplate.objects.count() == 1


def docx_with(text: str) -> bytes:
    document = Document()
    document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


# A tag that, run by Jinja without its sandbox, reaches the os module through a global.
ESCAPE = "{{ cycler.__init__.__globals__.os.getcwd() }}"


def test_an_uploaded_template_that_reaches_for_pythons_internals_is_refused(tree, staff, client):
    client.force_login(staff)
    add = reverse("admin:recruitment_documenttemplate_add")
    upload = SimpleUploadedFile("6.docx", docx_with(f"Của {{{{ name }}}} {ESCAPE}"))
    response = client.post(add, {"unit": tree["city"].pk, "code": "6-knd", "upload": upload})
    assert response.status_code == 200
    assert not DocumentTemplate.objects.exists()


def test_a_template_is_filled_in_jinjas_sandbox(admitted):
    with pytest.raises(render.CannotFill) as refused:
        render.render(docx_with(ESCAPE), {"name": "x"})
    assert isinstance(refused.value.__cause__, SecurityError)
    filled = Document(io.BytesIO(render.render(docx_with("Tên: {{ name }}"), {"name": "A & B"})))
    assert filled.paragraphs[0].text == "Tên: A & B"


def test_a_template_that_unpacks_to_far_more_than_it_weighs_is_refused(tree, staff, client):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", b"\0" * (60 * 1024 * 1024))
    client.force_login(staff)
    add = reverse("admin:recruitment_documenttemplate_add")
    upload = SimpleUploadedFile("6.docx", out.getvalue())
    response = client.post(add, {"unit": tree["city"].pk, "code": "6-knd", "upload": upload})
    assert response.status_code == 200
    assert "unpacks to far more" in response.text or "giải nén" in response.text
    assert not DocumentTemplate.objects.exists()


def test_staff_cannot_set_paperwork_of_a_unit_outside_their_scope(tree, staff, client):
    client.force_login(staff)
    add = reverse("admin:recruitment_paperworksetting_add")
    response = client.post(add, {"unit": tree["other_city"].pk, "signer_capacity": "X"})
    assert response.status_code == 200
    assert not PaperworkSetting.objects.exists()


# --- printing --------------------------------------------------------------------------------


def test_printed_pages_carry_a_header_and_the_print_stylesheet(admitted, organiser_client, tree):
    pages = {
        admitted.get_absolute_url(): ["Chi bộ Khu vực 3", NAME],
        reverse("recruitment:candidate-list"): ["Đảng bộ Phường I"],
        reverse("recruitment:dashboard") + "?year=2021": ["Đảng bộ Phường I · 2021"],
    }
    for page_url, expected in pages.items():
        page = organiser_client.get(page_url).text
        assert "/static/css/print.css" in page
        header = page.split('class="print-header">', 1)[1].split("</div>", 1)[0]
        for words in expected:
            assert words in header, (page_url, header)


def test_a_list_sorted_by_unit_starts_each_unit_on_a_new_printed_page(tree, organiser_client):
    for unit, n in ((tree["ward1"], 2), (tree["ward1_cell"], 3)):
        for _ in range(n):
            CandidateFactory(unit=unit)
    page = organiser_client.get(reverse("recruitment:candidate-list"), {"sort": "unit"}).text
    assert page.count('class="unit-start"') == 2
    page = organiser_client.get(reverse("recruitment:candidate-list")).text
    assert 'class="unit-start"' not in page


def test_a_document_runs_the_same_queries_whatever_the_number_of_introducers(
    admitted, organiser_client
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert organiser_client.get(url(admitted, "6-knd")).status_code == 200
        return len(queries)

    one = count()
    for name in ("Phạm Văn Bảy", "Huỳnh Thị Tám"):
        member = PartyMemberFactory(unit=admitted.unit, full_name=name)
        Sponsorship.objects.create(candidate=admitted, member=member, role="introducer")
    assert count() == one
    # The session and the user (5 with the savepoints and the session's save), then the
    # candidate, the unit's template, its line of units, their settings, the introducers and
    # mentors, the certificate and the member it became: 15.
    assert one <= 15


# --- uploads that would not fill their form -------------------------------------------------


def upload_as(client, unit, code, content, name="t.docx"):
    add = reverse("admin:recruitment_documenttemplate_add")
    upload = SimpleUploadedFile(name, content)
    return english(client).post(add, {"unit": unit.pk, "code": code, "upload": upload})


def upload_errors(response) -> str:
    form = response.context["adminform"].form
    return " ".join(str(e) for errors in form.errors.values() for e in errors)


def test_a_document_filled_for_one_person_is_refused_as_a_template(admitted, tree, staff, client):
    """Uploaded as a template, a filled 6-KNĐ would print this candidate's name, birth and
    residence on the form of everyone in the city."""
    client.force_login(staff)
    filled = client.get(url(admitted, "6-knd")).content
    response = upload_as(client, tree["city"], "6-knd", filled)
    assert response.status_code == 200
    assert "has no {{ … }} tags" in upload_errors(response)
    assert not DocumentTemplate.objects.exists()


@pytest.mark.parametrize(
    "code, content, words",
    [
        # Another form's template under the report: names the report does not have.
        ("quota-report", lambda: (render.TEMPLATES / "6-KND.docx").read_bytes(), "no application"),
        ("6-knd", lambda: docx_with("{{ name }} {{ certficate.date }}"), "has no certficate"),
        ("6-knd", lambda: docx_with("{{ name }} {{ certificate.dat }}"), "asks for “dat”"),
        ("6-knd", lambda: docx_with("{% if name %}{{ name }}"), "broken near line 1"),
    ],
)
def test_a_template_that_would_not_fill_its_form_is_refused_in_words(
    tree, staff, client, code, content, words
):
    client.force_login(staff)
    response = upload_as(client, tree["city"], code, content())
    assert response.status_code == 200
    errors = upload_errors(response)
    assert words in errors
    assert "Jinja" not in errors and "undefined" not in errors
    assert not DocumentTemplate.objects.exists()


def test_a_spreadsheet_uploaded_as_a_template_is_refused_in_words(tree, staff, client):
    from openpyxl import Workbook

    out = io.BytesIO()
    Workbook().save(out)
    client.force_login(staff)
    response = upload_as(client, tree["city"], "6-knd", out.getvalue(), "x.xlsx")
    assert upload_errors(response) == (
        "This file is not a Word document (DOCX): save it from Word as .docx."
    )


def test_a_template_kept_from_before_the_checks_is_said_not_a_server_error(
    admitted, tree, organiser_client, staff_client
):
    for code in ("6-knd", "quota-report"):
        DocumentTemplate.objects.create(
            unit=tree["city"], code=code, content=docx_with("{{ name }} {{ certficate.date }}")
        )
    response = english(organiser_client).get(url(admitted, "6-knd"), follow=True)
    dossier = reverse("recruitment:candidate-dossier", args=[admitted.pk])
    assert response.redirect_chain == [(dossier, 302)]
    assert messages_of(response) == [
        "Form 6-KNĐ cannot be filled from your unit's template. A tag asks for “certficate”, "
        "which this form does not have: check its spelling. Ask the Organisation Board staff "
        "who uploaded it to correct it."
    ]
    report = f"/dashboard/?year=2021&unit={tree['ward1'].pk}&format=docx"
    response = english(staff_client).get(report, follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[0][0] == f"/dashboard/?year=2021&unit={tree['ward1'].pk}"
    assert "The report cannot be filled" in messages_of(response)[0]


def test_the_staff_download_a_forms_blank_template_with_its_tags(staff_client, organiser_client):
    response = staff_client.get(reverse("recruitment:document-blank", args=["6-knd"]))
    assert response.status_code == 200
    assert response["Content-Type"] == render.DOCX_TYPE
    assert "name" in render.template_names(response.content)
    report = staff_client.get(reverse("recruitment:document-blank", args=["quota-report"]))
    assert "rows" in render.template_names(report.content)
    assert staff_client.get("/documents/blank/no-such-form/").status_code == 404
    blank = reverse("recruitment:document-blank", args=["6-knd"])
    assert organiser_client.get(blank).status_code == 403
    add = staff_client.get(reverse("admin:recruitment_documenttemplate_add")).text
    assert f'href="{blank}"' in add
