"""The documents of the admission and recognition dossier, numbered as the Central
Organisation Commission's guidance numbers its forms: Hướng dẫn 12-HD/BTCTW of 18 July 2022
on party-member affairs (nghiệp vụ công tác đảng viên), "Mẫu …-KNĐ".

Those the organisation drafts are generated, pre-filled, from a DOCX template
(``templates/<file>``, built by ``scripts/build_document_templates.py``); those the candidate
writes by hand (the application, the personal history) and the verification are only
tracked on the dossier checklist.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

ADMISSION = "admission"
RECOGNITION = "recognition"


@dataclass(frozen=True)
class Form:
    number: str  # "3-KNĐ"; "" for a document the guidance gives no form number
    slug: str  # in URLs, ASCII: "3-knd"
    label: Promise  # what the page calls it
    procedure: str  # ADMISSION or RECOGNITION
    template: str = ""  # the DOCX template's file name; "" where the app does not generate it

    @property
    def generated(self) -> bool:
        return bool(self.template)


FORMS: list[Form] = [
    Form("1-KNĐ", "1-knd", _("Application to join the Party"), ADMISSION),
    Form("2-KNĐ", "2-knd", _("Personal history"), ADMISSION),
    Form("", "certificate", _("Party-awareness class certificate"), ADMISSION),
    Form("", "verification", _("Background verification"), ADMISSION),
    Form("3-KNĐ", "3-knd", _("Introducer's letter"), ADMISSION, "3-KND.docx"),
    Form(
        "4-KNĐ",
        "4-knd",
        _("Youth Union resolution introducing a member"),
        ADMISSION,
        "4-KND.docx",
    ),
    Form(
        "5-KNĐ",
        "5-knd",
        _("Summary of opinions of the organisations and the residence cell"),
        ADMISSION,
        "5-KND.docx",
    ),
    Form("6-KNĐ", "6-knd", _("Cell resolution proposing admission"), ADMISSION, "6-KND.docx"),
    Form(
        "8-KNĐ",
        "8-knd",
        _("Grassroots committee resolution proposing admission"),
        ADMISSION,
        "8-KND.docx",
    ),
    Form("9-KNĐ", "9-knd", _("Admission decision"), ADMISSION, "9-KND.docx"),
    Form(
        "11-KNĐ",
        "11-knd",
        _("Mentor's review of the probationary member"),
        RECOGNITION,
        "11-KND.docx",
    ),
    Form(
        "13-KNĐ", "13-knd", _("Cell resolution proposing recognition"), RECOGNITION, "13-KND.docx"
    ),
    Form(
        "16-KNĐ",
        "16-knd",
        _("Decision on recognition as an official member"),
        RECOGNITION,
        "16-KND.docx",
    ),
]
BY_SLUG: dict[str, Form] = {form.slug: form for form in FORMS}
GENERATED: list[Form] = [form for form in FORMS if form.generated]

QUOTA_REPORT = "quota-report"
QUOTA_REPORT_TEMPLATE = "quota-report.docx"

# What a unit may upload its own version of (DocumentTemplate.code).
TEMPLATE_CHOICES = [
    *((form.slug, format_lazy("{} · {}", form.number, form.label)) for form in GENERATED),
    (QUOTA_REPORT, _("Quota report")),
]
TEMPLATE_FILES = {
    **{form.slug: form.template for form in GENERATED},
    QUOTA_REPORT: QUOTA_REPORT_TEMPLATE,
}
