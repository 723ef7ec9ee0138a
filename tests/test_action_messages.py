"""After every action a message says what happened, and an action that reverses a lot asks
first (the house rules: a serious web app, Vietnamese first)."""

from datetime import date

import pytest
from django.urls import reverse

from recruitment.models import Quota, Reorganisation, Stage
from tests.factories import CandidateFactory, QuotaFactory, TrainingClassFactory
from tests.helpers import english, messages_of
from tests.imports_helpers import candidate_rows, csv_bytes, upload
from tests.test_class_views import enrolled, results_data
from tests.test_quotas_view import LIST, formset_data
from tests.test_reorganisation_views import merge_step

pytestmark = pytest.mark.django_db


def test_applying_and_undoing_a_reorganisation_ask_first(tree, staff, staff_client):
    draft = Reorganisation.objects.create(
        title="Sắp xếp phường",
        effective_on=date(2025, 7, 1),
        document_reference="01",
        unit=staff.unit,
    )
    staff_client.post(
        reverse("recruitment:reorganisation-step-add", args=[draft.pk]), merge_step(tree)
    )
    page = english(staff_client).get(draft.get_absolute_url()).text
    assert 'data-confirm="Apply “Sắp xếp phường” from 01/07/2025?' in page
    staff_client.post(reverse("recruitment:reorganisation-apply", args=[draft.pk]))
    page = english(staff_client).get(draft.get_absolute_url()).text
    assert 'data-confirm="Undo “Sắp xếp phường”?' in page


def test_a_quota_removed_is_said_to_be_removed_not_saved(staff_client, tree):
    QuotaFactory(unit=tree["ward1"], year=2026, target=3)
    data = formset_data([(tree["ward1"], None), (tree["ward3"], None)])
    response = english(staff_client).post(f"{LIST}?unit={tree['city'].pk}&year=2026", data)
    assert response.status_code == 302
    assert messages_of(response) == ["1 quota for 2026 was removed."]
    assert not Quota.objects.exists()


def test_an_upload_and_a_write_of_an_import_each_say_so(organiser_client, tree):
    content = csv_bytes(candidate_rows("VT-P1-KV3", 1))
    response = english(organiser_client).post(
        reverse("recruitment:import-start"),
        {"kind": "candidates", "file": upload("ds.csv", content)},
    )
    assert response.status_code == 302
    assert messages_of(response) == [
        "ds.csv was received: it is read and checked before anything is written."
    ]
    organiser_client.get(response.url)  # the page that shows the message
    commit = response.url.rstrip("/") + "/commit/"
    written = english(organiser_client).post(commit)
    assert messages_of(written) == ["Writing ds.csv: this page shows how far it has got."]


def test_results_sent_unchanged_say_nothing_changed(organiser_client, tree):
    course = TrainingClassFactory(unit=tree["city"])
    enrolment = enrolled(CandidateFactory(unit=tree["ward1_cell"], stage=Stage.TRAINING), course)
    row = {"id": enrolment.pk, "result": "pending", "certificate_number": "", "certificate_on": ""}
    response = english(organiser_client).post(
        reverse("recruitment:class-results", args=[course.pk]), results_data([row])
    )
    assert response.status_code == 302
    assert messages_of(response) == ["Nothing changed."]


def test_the_member_list_of_a_unit_without_members_says_how_to_begin(organiser_client):
    page = english(organiser_client).get(reverse("recruitment:member-list")).text
    assert 'id="no-members"' in page and "No party members yet" in page
    filtered = english(organiser_client).get(reverse("recruitment:member-list"), {"q": "không ai"})
    assert "No party member matches." in filtered.text and 'id="no-members"' not in filtered.text
