"""Forms sent with an id or a version that no row can have (past 2^63: SQLite cannot hold
it, PostgreSQL refuses it) are refused in words, never with a 500, and nothing is saved."""

from datetime import date

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from recruitment.models import Candidate, Enrolment, Reorganisation
from tests.factories import CandidateFactory, TrainingClassFactory, mentor
from tests.helpers import english, messages_of
from tests.test_candidate_views import candidate_data

pytestmark = pytest.mark.django_db

TOO_BIG = str(2**64)


def test_an_edit_form_with_a_version_no_record_has_is_refused(organiser_client, tree):
    candidate = CandidateFactory(unit=tree["ward1_cell"], full_name="Trần Văn Cũ")
    data = candidate_data(tree["ward1"], full_name="Trần Văn Mới", version=TOO_BIG)
    url = reverse("recruitment:candidate-edit", args=[candidate.pk])
    response = english(organiser_client).post(url, data)
    assert response.status_code == 200
    assert "This page was changed before it was sent: open it again." in response.text
    assert Candidate.objects.get().full_name == "Trần Văn Cũ"


def test_enrolling_a_candidate_no_row_can_be_is_refused_in_words(organiser_client, tree):
    course = TrainingClassFactory(
        unit=tree["city"], starts_on=date(2099, 1, 5), ends_on=date(2099, 1, 9)
    )
    candidate = CandidateFactory(unit=tree["ward1_cell"])
    mentor(candidate)
    response = english(organiser_client).post(
        reverse("recruitment:class-enrol", args=[course.pk]),
        {"candidates": [candidate.pk, TOO_BIG]},
        follow=True,
    )
    assert response.status_code == 200
    assert "One of the chosen candidates cannot be enrolled here." in response.content.decode()
    assert not Enrolment.objects.exists()


def test_a_reorganisation_step_naming_a_unit_no_row_can_be_is_refused(tree, staff, staff_client):
    draft = Reorganisation.objects.create(
        title="Sắp xếp", effective_on=date(2025, 7, 1), document_reference="01", unit=staff.unit
    )
    step = {"kind": "rename", "units": [TOO_BIG], "new_name": "Phường Mới"}
    response = english(staff_client).post(
        reverse("recruitment:reorganisation-step-add", args=[draft.pk]), step
    )
    assert response.status_code == 200
    assert response.context["step_form"].errors["units"]
    assert messages_of(response) == ["Nothing was saved: please correct the errors below."]
    assert not draft.steps.exists()


def test_an_admin_action_on_a_row_no_table_can_hold_is_a_400(admin_client, tree):
    CandidateFactory(unit=tree["ward1_cell"])
    response = english(admin_client).post(
        reverse("admin:recruitment_candidate_changelist"),
        {"action": "delete_selected", "_selected_action": [TOO_BIG], "index": 0},
    )
    assert response.status_code == 400
    assert "is not the number of a row" in response.content.decode()
    assert Candidate.objects.count() == 1


def test_a_group_given_a_permission_no_row_can_be_is_a_400(admin_client):
    response = admin_client.post(
        reverse("admin:auth_group_add"), {"name": "Ban Tổ chức", "permissions": [TOO_BIG]}
    )
    assert response.status_code == 400
    assert not Group.objects.filter(name="Ban Tổ chức").exists()


def test_a_monthly_plan_with_a_number_too_long_to_read_is_refused_in_words(admin_client, tree):
    from recruitment.models import Quota
    from tests.factories import QuotaFactory

    quota = QuotaFactory(unit=tree["ward1"], year=2026, target=3)
    response = english(admin_client).post(
        reverse("admin:recruitment_quota_change", args=[quota.pk]),
        {
            "unit": tree["ward1"].pk,
            "year": 2026,
            "target": 3,
            "note": "",
            "monthly_plan": "[" + "1" * 4400 + "]",
        },
    )
    assert response.status_code == 200
    assert "Enter a valid JSON." in response.content.decode()
    assert Quota.objects.get(pk=quota.pk).monthly_plan == []


@pytest.mark.parametrize("day", ["01/01/0001", "31/12/9999"])
def test_a_reorganisation_dated_outside_the_apps_years_is_refused(staff_client, day):
    response = english(staff_client).post(
        reverse("recruitment:reorganisation-create"),
        {"title": "Sắp xếp", "effective_on": day, "document_reference": "01"},
    )
    assert response.status_code == 200
    assert "The year must be from 1930 to 2100." in response.content.decode()
    assert not Reorganisation.objects.exists()


def test_a_csv_cell_too_long_to_read_is_refused_in_words_not_in_the_modules():
    from django.utils import translation

    from recruitment.imports.reading import Refused, read_table

    content = ("Họ và tên,Ngày sinh\r\n" + "A" * 200_000 + ",01/01/1990\r\n").encode()
    with translation.override("en"), pytest.raises(Refused) as refused:
        list(read_table(content, "ds.csv", {"ho va ten", "ngay sinh"}).rows)
    assert "Line 2 holds a cell of more than 131,072 characters" in str(refused.value)
    assert "field limit" not in str(refused.value)


@pytest.mark.parametrize("content", [b"plain text", b"PK\x05\x06" + b"\x00" * 18])
def test_a_template_that_is_no_word_document_is_refused_in_words(content):
    from django.core.exceptions import ValidationError
    from django.utils import translation

    from recruitment.documents.render import check_template

    with translation.override("en"), pytest.raises(ValidationError) as refused:
        check_template(content)
    assert refused.value.messages == [
        "This file is not a Word document (DOCX): save it from Word as .docx."
    ]


def test_a_nul_in_a_csv_is_refused_in_words_before_it_reaches_the_database():
    from django.utils import translation

    from recruitment.imports.reading import Refused, read_table

    rows = "".join(f"Người {n},01/01/1990\r\n" for n in range(400))  # past the sniffed start
    content = ("Họ và tên,Ngày sinh\r\n" + rows + "Người\x00Lạ,01/01/1990\r\n").encode()
    with translation.override("en"), pytest.raises(Refused) as refused:
        list(read_table(content, "ds.csv", {"ho va ten", "ngay sinh"}).rows)
    assert "Line 402 holds a NUL character" in str(refused.value)
