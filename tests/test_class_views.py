"""Training classes: list, create/edit (staff only), enrol several candidates, record results."""

import re
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from recruitment.models import Candidate, Enrolment, Organisation, Stage, StageChange, TrainingClass
from tests.factories import CandidateFactory, TrainingClassFactory, mentor, ready_for
from tests.helpers import english, messages_of

pytestmark = pytest.mark.django_db

LIST_URL = reverse("recruitment:class-list")
CREATE_URL = reverse("recruitment:class-create")


def url(name, training_class):
    return reverse(f"recruitment:class-{name}", args=[training_class.pk])


def class_data(unit, **overrides) -> dict:
    data = {
        "title": "Lớp nhận thức về Đảng khóa 2",
        "unit": unit.pk,
        "starts_on": "02/03/2026",
        "ends_on": "13/03/2026",
        "place": "Hội trường Phường I",
    }
    data.update(overrides)
    return data


def results_data(rows: list[dict], initial: int | None = None) -> dict:
    """Management form (prefix "form") plus one block of fields per row."""
    data = {
        "form-TOTAL_FORMS": str(len(rows)),
        "form-INITIAL_FORMS": str(len(rows) if initial is None else initial),
        "form-MIN_NUM_FORMS": "0",
        "form-MAX_NUM_FORMS": "1000",
    }
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"form-{i}-{key}"] = value
    return data


def passed_row(enrolment, **overrides) -> dict:
    row = {
        "id": enrolment.pk,
        "result": Enrolment.Result.PASSED,
        "certificate_number": "CN-15",
        "certificate_on": "16/01/2026",
    }
    row.update(overrides)
    return row


@pytest.fixture
def city_class(tree):
    """A class the city ran for every ward (05/01/2026 – 16/01/2026)."""
    return TrainingClassFactory(unit=tree["city"], title="Lớp thành phố")


@pytest.fixture
def open_class(tree):
    """A class the city runs for every ward, under way today: candidates may still enrol."""
    today = timezone.localdate()
    return TrainingClassFactory(
        unit=tree["city"],
        title="Lớp đang mở",
        starts_on=today - timedelta(days=5),
        ends_on=today + timedelta(days=10),
    )


def enrolled(candidate, training_class, **fields):
    return Enrolment.objects.create(candidate=candidate, training_class=training_class, **fields)


def in_training(tree, training_class) -> Enrolment:
    """A candidate of Ward I's cell in training, enrolled in ``training_class``."""
    return enrolled(CandidateFactory(unit=tree["ward1_cell"], stage=Stage.TRAINING), training_class)


# --- access ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["list", "create", "detail", "edit", "results"])
def test_anonymous_is_sent_to_login(client, city_class, name):
    target = {"list": LIST_URL, "create": CREATE_URL}.get(name) or url(name, city_class)
    response = client.get(target)
    assert response.status_code == 302
    assert response.url == f"{reverse('accounts:login')}?next={target}"


def test_anonymous_cannot_enrol(client, tree, city_class):
    candidate = CandidateFactory(unit=tree["ward1_cell"])
    response = client.post(url("enrol", city_class), {"candidates": [candidate.pk]})
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))
    assert not Enrolment.objects.exists()


@pytest.mark.parametrize("name", ["detail", "edit", "results"])
def test_outsider_gets_404(other_staff_client, city_class, name):
    assert other_staff_client.get(url(name, city_class)).status_code == 404


@pytest.mark.parametrize("name", ["detail", "results"])
def test_organiser_of_another_ward_gets_404_for_a_ward_class(other_organiser_client, tree, name):
    ward_class = TrainingClassFactory(unit=tree["ward1"])
    assert other_organiser_client.get(url(name, ward_class)).status_code == 404


def test_a_class_of_another_ward_is_named_on_the_candidates_page_not_linked(
    organiser_client, staff_client, tree, city_class
):
    """The city's staff may enrol a Ward I candidate in a Ward III class: the Ward I
    organiser reads its name on the candidate's page, and is not sent to a page that is 404
    to them; the staff, who see both wards, follow the link."""
    ward3_class = TrainingClassFactory(unit=tree["ward3"], title="Lớp Phường III")
    enrolment = in_training(tree, ward3_class)
    enrolled(enrolment.candidate, city_class)
    page = reverse("recruitment:candidate-detail", args=[enrolment.candidate.pk])
    html = organiser_client.get(page).content.decode()
    assert "Lớp Phường III" in html
    assert url("detail", ward3_class) not in html
    assert url("detail", city_class) in html  # run above Ward I: theirs to open
    assert organiser_client.get(url("detail", ward3_class)).status_code == 404
    assert url("detail", ward3_class) in staff_client.get(page).content.decode()


def test_outsider_post_to_enrol_is_404(other_organiser_client, tree):
    ward_class = TrainingClassFactory(unit=tree["ward1"])
    theirs = CandidateFactory(unit=tree["ward3_cell"])
    response = other_organiser_client.post(url("enrol", ward_class), {"candidates": [theirs.pk]})
    assert response.status_code == 404
    assert not Enrolment.objects.exists()


def test_outsider_post_to_results_is_404(other_staff_client, tree, city_class):
    enrolment = enrolled(CandidateFactory(unit=tree["ward1_cell"]), city_class)
    response = other_staff_client.post(
        url("results", city_class), results_data([passed_row(enrolment)])
    )
    assert response.status_code == 404
    enrolment.refresh_from_db()
    assert enrolment.result == Enrolment.Result.PENDING


@pytest.mark.parametrize("method", ["get", "post"])
def test_organiser_may_not_create_a_class(organiser_client, tree, method):
    response = getattr(organiser_client, method)(CREATE_URL, class_data(tree["ward1"]))
    assert response.status_code == 403
    assert not TrainingClass.objects.exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_organiser_may_not_edit_a_class(organiser_client, tree, method):
    ward_class = TrainingClassFactory(unit=tree["ward1"], title="Cũ")
    response = getattr(organiser_client, method)(
        url("edit", ward_class), class_data(tree["ward1"], title="Mới")
    )
    assert response.status_code == 403
    ward_class.refresh_from_db()
    assert ward_class.title == "Cũ"


# --- list -----------------------------------------------------------------------------------


def test_list_shows_classes_of_the_subtree_and_above_it(organiser_client, tree):
    TrainingClassFactory(unit=tree["province"], title="A tỉnh", starts_on=date(2026, 1, 5))
    TrainingClassFactory(unit=tree["city"], title="B thành phố", starts_on=date(2026, 1, 4))
    TrainingClassFactory(unit=tree["ward1"], title="C Phường I", starts_on=date(2026, 1, 3))
    TrainingClassFactory(unit=tree["ward3"], title="D Phường III", starts_on=date(2026, 1, 2))
    TrainingClassFactory(unit=tree["other_city"], title="E Ngã Bảy", starts_on=date(2026, 1, 1))
    response = organiser_client.get(LIST_URL)
    assert response.status_code == 200
    titles = [c.title for c in response.context["classes"]]
    assert titles == ["A tỉnh", "B thành phố", "C Phường I"]


def test_list_counts_only_the_users_own_candidates(organiser_client, tree, city_class):
    enrolled(CandidateFactory(unit=tree["ward1_cell"]), city_class)
    enrolled(CandidateFactory(unit=tree["ward1"]), city_class)
    enrolled(CandidateFactory(unit=tree["ward3_cell"]), city_class)
    response = organiser_client.get(LIST_URL)
    [row] = response.context["classes"]
    assert row.enrolled == 2


def test_list_counts_the_enrolled_of_the_pages_classes_only(staff_client, tree, city_class):
    """Counted in the list's own query, every enrolment in scope was grouped before a page
    was taken: 1.3 s for the national staff's first page of 20 classes."""
    for i in range(25):
        TrainingClassFactory(unit=tree["city"], starts_on=date(2020, 1, 1) + timedelta(days=i))
    enrolled(CandidateFactory(unit=tree["ward1_cell"]), city_class)
    with CaptureQueriesContext(connection) as queries:
        response = staff_client.get(LIST_URL)
    shown = [c.pk for c in response.context["classes"]]
    assert len(shown) == 20 and {c.enrolled for c in response.context["classes"]} <= {0, 1}
    [counting] = [q["sql"] for q in queries if "COUNT(" in q["sql"]]
    assert "recruitment_trainingclass" not in counting.split("FROM")[1].split("WHERE")[0]
    assert all(str(pk) in counting for pk in shown)


def test_list_offers_new_class_only_to_staff(organiser_client, staff_client, tree):
    assert CREATE_URL not in organiser_client.get(LIST_URL).content.decode()
    assert CREATE_URL in staff_client.get(LIST_URL).content.decode()


def test_empty_list_tells_the_organiser_who_opens_classes(organiser_client, tree):
    content = english(organiser_client).get(LIST_URL).content.decode()
    assert "The Organisation Board has not opened a class for your units yet." in content


def _count(client, target) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(target)
    assert response.status_code == 200
    return len(queries)


def test_list_query_count_does_not_grow_with_rows(staff_client, tree):
    for i in range(5):
        TrainingClassFactory(unit=tree["ward1"] if i % 2 else tree["city"])
    with_five = _count(staff_client, LIST_URL)
    for i in range(45):
        TrainingClassFactory(unit=tree["ward3"] if i % 2 else tree["city"])
    assert _count(staff_client, LIST_URL) == with_five


# --- create and edit (staff) ----------------------------------------------------------------


def test_staff_creates_a_class(staff_client, tree):
    response = english(staff_client).post(CREATE_URL, class_data(tree["ward1"]))
    training_class = TrainingClass.objects.get()
    assert response.status_code == 302
    assert response.url == url("detail", training_class)
    assert (training_class.unit, training_class.starts_on, training_class.ends_on) == (
        tree["ward1"],
        date(2026, 3, 2),
        date(2026, 3, 13),
    )
    assert messages_of(response) == ["Class “Lớp nhận thức về Đảng khóa 2” created."]


def test_admin_creates_a_class_for_any_unit(admin_client_, tree):
    assert admin_client_.get(CREATE_URL).status_code == 200
    response = admin_client_.post(CREATE_URL, class_data(tree["other_city"]))
    assert response.status_code == 302
    assert TrainingClass.objects.get().unit == tree["other_city"]


def test_create_form_starts_in_the_staff_unit(staff_client, tree):
    response = staff_client.get(CREATE_URL)
    assert response.status_code == 200
    assert response.context["form"].initial["unit"] == tree["city"]


@pytest.mark.parametrize("unit", ["province", "other_city", "other_cell"])
def test_create_refuses_a_unit_outside_the_subtree(staff_client, tree, unit):
    response = staff_client.post(CREATE_URL, class_data(tree[unit]))
    assert response.status_code == 200
    assert "unit" in response.context["form"].errors
    assert not TrainingClass.objects.exists()


def test_create_refuses_a_class_that_ends_before_it_starts(staff_client, tree):
    response = english(staff_client).post(
        CREATE_URL, class_data(tree["city"], starts_on="13/03/2026", ends_on="02/03/2026")
    )
    assert response.context["form"].errors["ends_on"] == ["A class cannot end before it starts."]
    assert not TrainingClass.objects.exists()


def test_staff_edits_a_class(staff_client, tree):
    training_class = TrainingClassFactory(unit=tree["ward1"])
    response = english(staff_client).post(
        url("edit", training_class),
        class_data(tree["ward3"], title="Lớp đổi tên", ends_on="20/03/2026"),
    )
    assert response.status_code == 302
    assert response.url == url("detail", training_class)
    training_class.refresh_from_db()
    assert (training_class.title, training_class.unit, training_class.ends_on) == (
        "Lớp đổi tên",
        tree["ward3"],
        date(2026, 3, 20),
    )
    assert messages_of(response) == ["Class “Lớp đổi tên” saved."]


def test_edit_form_shows_dates_as_dd_mm_yyyy(staff_client, city_class):
    content = staff_client.get(url("edit", city_class)).content.decode()
    assert 'value="05/01/2026"' in content
    assert 'value="16/01/2026"' in content


def test_staff_of_another_city_cannot_edit(other_staff_client, tree, city_class):
    response = other_staff_client.post(url("edit", city_class), class_data(tree["other_city"]))
    assert response.status_code == 404
    city_class.refresh_from_db()
    assert city_class.unit == tree["city"]


@pytest.mark.parametrize("method", ["get", "post"])
def test_staff_cannot_edit_a_class_run_above_their_unit(staff_client, tree, method):
    """City staff see the province's class (their candidates attend it) but may not change it."""
    province_class = TrainingClassFactory(unit=tree["province"], title="Lớp của tỉnh")
    response = getattr(staff_client, method)(
        url("edit", province_class), class_data(tree["city"], title="Lớp của thành phố")
    )
    assert response.status_code == 403
    province_class.refresh_from_db()
    assert (province_class.title, province_class.unit) == ("Lớp của tỉnh", tree["province"])
    # Nor does its page offer an edit that would answer 403; their own class's does.
    edit = url("edit", province_class)
    assert edit not in staff_client.get(url("detail", province_class)).content.decode()
    own = TrainingClassFactory(unit=tree["city"], title="Lớp của thành phố")
    assert url("edit", own) in staff_client.get(url("detail", own)).content.decode()


# --- detail and enrolment -------------------------------------------------------------------


def test_detail_shows_only_the_users_own_enrolments(organiser_client, tree, city_class):
    enrolled(CandidateFactory(unit=tree["ward1_cell"], full_name="Của Phường I"), city_class)
    enrolled(CandidateFactory(unit=tree["ward3_cell"], full_name="Của Phường III"), city_class)
    response = organiser_client.get(url("detail", city_class))
    assert response.status_code == 200
    assert [e.candidate.full_name for e in response.context["enrolments"]] == ["Của Phường I"]
    assert "Của Phường III" not in response.content.decode()


def test_enrol_form_offers_the_source_list_not_yet_in_the_class(organiser_client, tree, open_class):
    # The form of a class still open: an ended class's page shows the past result's instead.
    source = CandidateFactory(unit=tree["ward1_cell"], stage=Stage.SOURCE)
    training = CandidateFactory(unit=tree["ward1"], stage=Stage.TRAINING)
    enrolled(CandidateFactory(unit=tree["ward1_cell"], stage=Stage.TRAINING), open_class)
    CandidateFactory(unit=tree["ward1_cell"], stage=Stage.TRAINED)
    CandidateFactory(unit=tree["ward1_cell"], stage=Stage.WITHDRAWN)
    CandidateFactory(unit=tree["ward3_cell"], stage=Stage.SOURCE)
    response = organiser_client.get(url("detail", open_class))
    offered = set(response.context["enrol_form"].fields["candidates"].queryset)
    assert offered == {source, training}


def test_a_candidate_whose_certificate_lapsed_may_attend_a_class_again(
    organiser_client, tree, open_class
):
    """Further on than training, a certificate older than five years no longer counts: the
    candidate is told to attend a class again, and the class page takes them (their stage
    stays; the new pass renews the certificate)."""
    today = timezone.localdate()
    lapsed, valid = (
        CandidateFactory(unit=tree["ward1_cell"], stage=Stage.DOSSIER, latest_certificate_on=on)
        for on in (today - timedelta(days=5 * 366 + 10), today - timedelta(days=400))
    )
    page = organiser_client.get(url("detail", open_class))
    offered = set(page.context["enrol_form"].fields["candidates"].queryset)
    assert lapsed in offered and valid not in offered
    response = english(organiser_client).post(url("enrol", open_class), {"candidates": [lapsed.pk]})
    assert response.status_code == 302
    assert Enrolment.objects.filter(candidate=lapsed, training_class=open_class).exists()
    lapsed.refresh_from_db()
    assert lapsed.stage == Stage.DOSSIER
    refused = english(organiser_client).post(url("enrol", open_class), {"candidates": [valid.pk]})
    assert refused.status_code == 200
    assert not Enrolment.objects.filter(candidate=valid).exists()


def test_enrolling_several_candidates_at_once(organiser_client, organiser, tree, open_class):
    first = CandidateFactory(unit=tree["ward1_cell"], stage=Stage.SOURCE)
    second = CandidateFactory(unit=tree["ward1"], stage=Stage.SOURCE)
    retaking = CandidateFactory(unit=tree["ward1"], stage=Stage.TRAINING)
    mentor(first)
    mentor(second)
    response = english(organiser_client).post(
        url("enrol", open_class), {"candidates": [first.pk, second.pk, retaking.pk]}
    )
    assert response.status_code == 302
    assert response.url == url("detail", open_class)
    assert set(Enrolment.objects.values_list("candidate", flat=True)) == {
        first.pk,
        second.pk,
        retaking.pk,
    }
    for candidate in (first, second):
        candidate.refresh_from_db()
        assert (candidate.stage, candidate.stage_since) == (Stage.TRAINING, timezone.localdate())
        assert StageChange.objects.get(candidate=candidate).by == organiser
    assert not StageChange.objects.filter(candidate=retaking).exists()
    assert messages_of(response) == ["3 candidates enrolled in “Lớp đang mở”."]


def test_enrolment_refused_by_the_pipeline_enrols_nobody(organiser_client, tree, open_class):
    ready = CandidateFactory(unit=tree["ward1_cell"], full_name="Có kèm cặp")
    mentor(ready)
    no_mentor = CandidateFactory(unit=tree["ward1_cell"], full_name="Chưa kèm cặp")
    response = english(organiser_client).post(
        url("enrol", open_class), {"candidates": [ready.pk, no_mentor.pk]}
    )
    assert response.status_code == 200
    errors = response.context["enrol_form"].errors["candidates"]
    assert any(e.startswith("Chưa kèm cặp: ") and "mentor" in e for e in errors)
    assert messages_of(response) == ["Nobody was enrolled; see the errors below."]
    assert not Enrolment.objects.exists()
    assert set(Candidate.objects.values_list("stage", flat=True)) == {Stage.SOURCE}
    assert not StageChange.objects.exists()


def test_enrolling_a_candidate_outside_the_subtree_is_refused(organiser_client, tree, open_class):
    mine = CandidateFactory(unit=tree["ward1_cell"])
    mentor(mine)
    theirs = CandidateFactory(unit=tree["ward3_cell"])
    mentor(theirs)
    response = organiser_client.post(url("enrol", open_class), {"candidates": [mine.pk, theirs.pk]})
    assert response.status_code == 200
    assert "candidates" in response.context["enrol_form"].errors
    assert not Enrolment.objects.exists()


@pytest.mark.parametrize("chosen", [[], ["abc"], ["999999"]])
def test_enrolling_nobody_or_a_tampered_id_is_a_form_error(
    organiser_client, tree, open_class, chosen
):
    CandidateFactory(unit=tree["ward1_cell"])
    response = organiser_client.post(url("enrol", open_class), {"candidates": chosen})
    assert response.status_code == 200
    assert "candidates" in response.context["enrol_form"].errors
    assert not Enrolment.objects.exists()


def test_enrolling_needs_a_post(organiser_client, city_class):
    assert organiser_client.get(url("enrol", city_class)).status_code == 405


def test_enrol_without_csrf_token_is_refused(organiser, tree, city_class):
    candidate = CandidateFactory(unit=tree["ward1_cell"])
    mentor(candidate)
    client = Client(enforce_csrf_checks=True)
    client.force_login(organiser)
    response = client.post(url("enrol", city_class), {"candidates": [candidate.pk]})
    assert response.status_code == 403
    assert not Enrolment.objects.exists()


def test_detail_query_count_does_not_grow_with_rows(organiser_client, tree, city_class):
    def add(count):
        start = Candidate.objects.count()
        for i in range(start, start + count):
            candidate = CandidateFactory(unit=tree["ward1_cell"], stage=Stage.TRAINING)
            if i % 2:
                enrolled(candidate, city_class)

    add(5)
    with_five = _count(organiser_client, url("detail", city_class))
    add(45)
    assert _count(organiser_client, url("detail", city_class)) == with_five


# --- results --------------------------------------------------------------------------------


def test_results_page_lists_the_users_candidates(organiser_client, tree, city_class):
    enrolled(CandidateFactory(unit=tree["ward1_cell"], full_name="Của Phường I"), city_class)
    enrolled(CandidateFactory(unit=tree["ward3_cell"], full_name="Của Phường III"), city_class)
    response = organiser_client.get(url("results", city_class))
    assert response.status_code == 200
    assert response.context["formset"].prefix == "form"
    names = [f.instance.candidate.full_name for f in response.context["formset"].forms]
    assert names == ["Của Phường I"]


def test_a_pass_records_the_certificate_and_moves_to_trained(
    organiser_client, organiser, tree, city_class
):
    passing = CandidateFactory(unit=tree["ward1_cell"], stage=Stage.TRAINING, full_name="A Đạt")
    failing = CandidateFactory(unit=tree["ward1_cell"], stage=Stage.TRAINING, full_name="B Trượt")
    first, second = enrolled(passing, city_class), enrolled(failing, city_class)
    response = english(organiser_client).post(
        url("results", city_class),
        results_data(
            [
                passed_row(first),
                {
                    "id": second.pk,
                    "result": "failed",
                    "certificate_number": "",
                    "certificate_on": "",
                },
            ]
        ),
    )
    assert response.status_code == 302
    assert response.url == url("detail", city_class)
    first.refresh_from_db()
    assert (first.result, first.certificate_number, first.certificate_on) == (
        Enrolment.Result.PASSED,
        "CN-15",
        date(2026, 1, 16),
    )
    passing.refresh_from_db()
    assert (passing.stage, passing.stage_since) == (Stage.TRAINED, date(2026, 1, 16))
    change = StageChange.objects.get(candidate=passing)
    assert (change.from_stage, change.to_stage, change.by) == (
        Stage.TRAINING,
        Stage.TRAINED,
        organiser,
    )
    second.refresh_from_db()
    assert second.result == Enrolment.Result.FAILED
    assert Candidate.objects.get(pk=failing.pk).stage == Stage.TRAINING
    assert messages_of(response) == ["2 results saved."]


def _refused_results(client, training_class, rows, **kwargs):
    response = client.post(url("results", training_class), results_data(rows, **kwargs))
    assert response.status_code == 200
    assert not StageChange.objects.exists()
    assert not Enrolment.objects.exclude(result=Enrolment.Result.PENDING).exists()
    return response.context["formset"]


def test_a_pass_needs_the_certificate_number_and_date(organiser_client, tree, city_class):
    enrolment = in_training(tree, city_class)
    formset = _refused_results(
        organiser_client,
        city_class,
        [passed_row(enrolment, certificate_number="", certificate_on="")],
    )
    assert set(formset.forms[0].errors) == {"certificate_number", "certificate_on"}


def test_a_fail_carries_no_certificate(organiser_client, tree, city_class):
    enrolment = in_training(tree, city_class)
    formset = _refused_results(
        english(organiser_client),
        city_class,
        [passed_row(enrolment, result=Enrolment.Result.FAILED, certificate_on="")],
    )
    assert formset.forms[0].errors["certificate_number"] == [
        "A certificate goes with a pass only: choose “Passed” or leave it empty."
    ]
    enrolment.refresh_from_db()
    assert (enrolment.result, enrolment.certificate_number) == ("pending", "")


def test_no_result_is_recorded_before_the_class_has_ended(organiser_client, tree, open_class):
    enrolment = in_training(tree, open_class)
    formset = _refused_results(
        english(organiser_client),
        open_class,
        [{"id": enrolment.pk, "result": Enrolment.Result.FAILED, "certificate_number": "",
          "certificate_on": ""}],
    )  # fmt: skip
    [error] = formset.forms[0].errors["result"]
    assert error.startswith("A class's results are recorded from its last day (")
    enrolment.refresh_from_db()
    assert enrolment.result == Enrolment.Result.PENDING


def test_a_certificate_dated_after_today_is_refused(organiser_client, tree, city_class):
    enrolment = in_training(tree, city_class)
    formset = _refused_results(
        english(organiser_client), city_class, [passed_row(enrolment, certificate_on="01/01/2099")]
    )
    assert formset.forms[0].errors["certificate_on"] == [
        "The certificate date cannot be after today."
    ]


def test_a_certificate_dated_before_the_class_is_refused(organiser_client, tree, city_class):
    enrolment = in_training(tree, city_class)
    formset = _refused_results(
        organiser_client, city_class, [passed_row(enrolment, certificate_on="04/01/2026")]
    )
    assert "certificate_on" in formset.forms[0].errors


def test_one_bad_row_saves_no_row(organiser_client, tree, city_class):
    good = enrolled(CandidateFactory(unit=tree["ward1_cell"], stage=Stage.TRAINING), city_class)
    bad = enrolled(CandidateFactory(unit=tree["ward1_cell"], stage=Stage.TRAINING), city_class)
    formset = _refused_results(
        organiser_client,
        city_class,
        [passed_row(good), passed_row(bad, certificate_on="01/01/2099")],
    )
    assert not formset.is_valid()
    assert set(Candidate.objects.values_list("stage", flat=True)) == {Stage.TRAINING}


def test_a_tampered_enrolment_id_from_another_ward_changes_nothing(
    organiser_client, tree, city_class
):
    """An id the page never offered (another ward's row) is refused, never a server error."""
    mine = enrolled(CandidateFactory(unit=tree["ward1_cell"], stage=Stage.TRAINING), city_class)
    theirs = enrolled(CandidateFactory(unit=tree["ward3_cell"], stage=Stage.TRAINING), city_class)
    response = organiser_client.post(
        url("results", city_class), results_data([passed_row(mine, id=theirs.pk)])
    )
    assert response.status_code in (200, 400)
    assert not Enrolment.objects.exclude(result=Enrolment.Result.PENDING).exists()
    assert Enrolment.objects.count() == 2
    assert not StageChange.objects.exists()


@pytest.mark.parametrize("bad_id", ["999999", "abc"])
def test_a_garbled_enrolment_id_is_not_a_server_error(organiser_client, tree, city_class, bad_id):
    mine = enrolled(CandidateFactory(unit=tree["ward1_cell"], stage=Stage.TRAINING), city_class)
    formset = _refused_results(organiser_client, city_class, [passed_row(mine, id=bad_id)])
    assert "id" in formset.forms[0].errors


def test_an_added_row_in_the_post_creates_nothing(organiser_client, tree, city_class):
    """The page edits existing enrolments; a forged extra row must not reach the database."""
    mine = enrolled(CandidateFactory(unit=tree["ward1_cell"], stage=Stage.TRAINING), city_class)
    forged = {"result": "passed", "certificate_number": "X", "certificate_on": "16/01/2026"}
    response = organiser_client.post(
        url("results", city_class),
        results_data([passed_row(mine), {"id": "", **forged}], initial=1),
    )
    assert response.status_code in (200, 302, 400)
    assert Enrolment.objects.count() == 1


def test_a_row_without_its_id_is_not_a_server_error(organiser_client, tree, city_class):
    mine = enrolled(CandidateFactory(unit=tree["ward1_cell"], stage=Stage.TRAINING), city_class)
    row = passed_row(mine)
    del row["id"]
    response = organiser_client.post(url("results", city_class), results_data([row]))
    assert response.status_code in (200, 400)
    assert Enrolment.objects.count() == 1
    assert not StageChange.objects.exists()


def test_a_broken_management_form_is_not_a_server_error(organiser_client, tree, city_class):
    enrolled(CandidateFactory(unit=tree["ward1_cell"], stage=Stage.TRAINING), city_class)
    response = organiser_client.post(url("results", city_class), {"form-0-result": "passed"})
    assert response.status_code in (200, 400)
    assert not StageChange.objects.exists()


def test_results_without_csrf_token_are_refused(organiser, tree, city_class):
    enrolment = in_training(tree, city_class)
    client = Client(enforce_csrf_checks=True)
    client.force_login(organiser)
    response = client.post(url("results", city_class), results_data([passed_row(enrolment)]))
    assert response.status_code == 403
    enrolment.refresh_from_db()
    assert enrolment.result == Enrolment.Result.PENDING


def test_an_ended_class_takes_no_more_enrolments(tree, organiser_client):
    ended = TrainingClassFactory(
        unit=tree["city"], starts_on=date(2025, 1, 6), ends_on=date(2025, 1, 17)
    )
    candidate = CandidateFactory(unit=tree["ward1_cell"])
    mentor(candidate)
    page = organiser_client.get(reverse("recruitment:class-detail", args=[ended.pk]))
    assert 'id="enrol-submit"' not in page.text
    response = organiser_client.post(
        reverse("recruitment:class-enrol", args=[ended.pk]), {"candidates": [candidate.pk]}
    )
    assert response.status_code == 302
    assert not Enrolment.objects.exists()
    assert Candidate.objects.get().stage == Stage.SOURCE


def offered(response, form="enrol_form", field="candidates") -> set[int]:
    """The candidates a class page offers (its first ones by name: ``forms.offer_first``)."""
    return {pk for pk, _ in response.context[form].fields[field].widget.choices if pk != ""}


def test_the_enrolment_list_can_be_narrowed_to_one_unit(staff_client, tree, open_class):
    ward1 = CandidateFactory(unit=tree["ward1_cell"], full_name="Ở Phường I")
    ward3 = CandidateFactory(unit=tree["ward3_cell"], full_name="Ở Phường III")
    everyone = staff_client.get(url("detail", open_class))
    assert offered(everyone) == {ward1.pk, ward3.pk}
    narrowed = staff_client.get(url("detail", open_class), {"unit": tree["ward3"].pk})
    assert offered(narrowed) == {ward3.pk}
    outside = staff_client.get(url("detail", open_class), {"unit": tree["other_city"].pk})
    assert offered(outside) == {ward1.pk, ward3.pk}


def test_a_certificate_dated_before_the_class_ends_is_refused(organiser_client, tree, city_class):
    candidate = CandidateFactory(unit=tree["ward1_cell"], stage=Stage.TRAINING)
    enrolment = enrolled(candidate, city_class)  # the class ends on 16/01/2026
    response = organiser_client.post(
        url("results", city_class),
        results_data([passed_row(enrolment, certificate_on="15/01/2026")]),
    )
    assert response.status_code == 200
    assert "certificate_on" in response.context["formset"].forms[0].errors
    assert Enrolment.objects.get().result == Enrolment.Result.PENDING
    assert Candidate.objects.get().stage == Stage.TRAINING


def test_a_certificate_the_later_steps_rely_on_keeps_its_date(organiser_client, tree):
    """Re-dated on the results page after the candidate moved on, it would fall after the
    cell's resolution that was checked against it. Its number can still be corrected."""
    candidate = ready_for(Stage.DOSSIER, tree["ward1_cell"])
    enrolment = candidate.enrolments.get(result=Enrolment.Result.PASSED)
    kept_on = enrolment.certificate_on
    results = url("results", enrolment.training_class)
    row = passed_row(
        enrolment,
        certificate_number=enrolment.certificate_number,
        certificate_on=(kept_on + timedelta(days=3)).strftime("%d/%m/%Y"),
    )
    response = english(organiser_client).post(results, results_data([row]))
    assert response.status_code == 200
    errors = response.context["formset"].forms[0].errors["certificate_on"]
    assert "has moved on with this certificate" in errors[0]
    enrolment.refresh_from_db()
    assert enrolment.certificate_on == kept_on
    row.update(certificate_number="CN-99", certificate_on=kept_on.strftime("%d/%m/%Y"))
    assert organiser_client.post(results, results_data([row])).status_code == 302
    enrolment.refresh_from_db()
    assert enrolment.certificate_number == "CN-99"


def test_a_class_cannot_end_after_the_certificates_it_gave(staff_client, tree):
    """Its trained candidates were checked against its end: moved past their certificates,
    every one of them would be stuck with "certificate before the class ended"."""
    candidate = ready_for(Stage.DOSSIER, tree["ward1_cell"])
    enrolment = candidate.enrolments.get(result=Enrolment.Result.PASSED)
    training_class = enrolment.training_class
    later = (enrolment.certificate_on + timedelta(days=4)).strftime("%d/%m/%Y")
    data = class_data(
        training_class.unit,
        title=training_class.title,
        starts_on=training_class.starts_on.strftime("%d/%m/%Y"),
        ends_on=later,
        version=training_class.version,
    )
    response = english(staff_client).post(url("edit", training_class), data)
    assert response.status_code == 200
    assert "it cannot end after that" in response.context["form"].errors["ends_on"][0]
    training_class.refresh_from_db()
    change = reverse("admin:recruitment_trainingclass_change", args=[training_class.pk])
    admin_data = {
        "title": training_class.title,
        "unit": training_class.unit_id,
        "starts_on": training_class.starts_on.isoformat(),
        "ends_on": (enrolment.certificate_on + timedelta(days=4)).isoformat(),
        "place": "",
        "enrolments-TOTAL_FORMS": 0,
        "enrolments-INITIAL_FORMS": 0,
    }
    response = english(staff_client).post(change, admin_data)
    assert response.status_code == 200
    assert "it cannot end after that" in str(response.context["adminform"].form.errors)
    assert TrainingClass.objects.get(pk=training_class.pk).ends_on <= enrolment.certificate_on


def test_a_class_form_sent_twice_makes_one_class(staff_client, tree):
    """A second click while the page loaded sent the form again: two classes of one, and
    the results import then found "several of your classes have this title"."""
    create = reverse("recruitment:class-create")
    data = class_data(tree["ward1"])
    assert staff_client.post(create, data).status_code == 302
    response = english(staff_client).post(create, data)
    assert response.status_code == 200
    assert response.context["form"].errors["title"] == [
        "Đảng bộ Phường I already has the class “Lớp nhận thức về Đảng khóa 2” starting on "
        "02/03/2026."
    ]
    assert TrainingClass.objects.count() == 1
    # Another start is another class.
    assert staff_client.post(create, {**data, "starts_on": "09/03/2026"}).status_code == 302


def test_no_class_is_edited_or_added_in_the_admin_as_another_of_its_unit_title_and_day(
    staff_client, tree
):
    """The twin check ran only on the class page's new classes: the admin, and an edit on
    the class page, made a second class of one unit, title and first day."""
    first = TrainingClassFactory(
        unit=tree["ward1"], title="Lớp 1/2026", starts_on=date(2026, 3, 2),
        ends_on=date(2026, 3, 13),
    )  # fmt: skip
    other = TrainingClassFactory(
        unit=tree["ward1"], title="Lớp 2/2026", starts_on=date(2026, 4, 6),
        ends_on=date(2026, 4, 17),
    )  # fmt: skip
    twin = class_data(tree["ward1"], title="Lớp 1/2026")
    response = english(staff_client).post(url("edit", other), {**twin, "version": other.version})
    assert response.status_code == 200
    assert response.context["form"].errors["title"] == [
        "Đảng bộ Phường I already has the class “Lớp 1/2026” starting on 02/03/2026."
    ]
    admin_twin = {**twin, "starts_on": "2026-03-02", "ends_on": "2026-03-13"}
    admin_twin.update({"enrolments-TOTAL_FORMS": 0, "enrolments-INITIAL_FORMS": 0})
    response = english(staff_client).post(
        reverse("admin:recruitment_trainingclass_add"), admin_twin
    )
    assert response.status_code == 200
    assert TrainingClass.objects.filter(title="Lớp 1/2026").get() == first
    # Its own title and day are no twin of itself.
    edited = {**twin, "place": "Nhà văn hóa", "version": first.version}
    assert english(staff_client).post(url("edit", first), edited).status_code == 302


def test_a_long_waiting_list_shows_its_first_candidates_and_finds_the_others_by_name(
    staff_client, tree, open_class, monkeypatch
):
    """National staff were offered every candidate waiting in the country as checkboxes
    (6.9 MB, 7 s): the page shows the first ones by name and says how to find the rest."""
    monkeypatch.setattr("recruitment.forms.OFFERED_AT_ONCE", 2)
    people = {
        name: CandidateFactory(unit=tree["ward1_cell"], full_name=name)
        for name in ["An", "Bình", "Chi", "Dũng"]
    }
    page = english(staff_client).get(url("detail", open_class))
    assert offered(page) == {people["An"].pk, people["Bình"].pk}
    assert "The first 2 candidates by name are shown" in page.text
    found = staff_client.get(url("detail", open_class), {"name": "dung"})
    assert offered(found) == {people["Dũng"].pk}
    none = english(staff_client).get(url("detail", open_class), {"name": "xuan"})
    assert offered(none) == set() and "No candidate waiting for a class matches" in none.text
    # Chosen from a narrowed page, a candidate beyond the first ones is enrolled.
    mentor(people["Dũng"])
    response = staff_client.post(url("enrol", open_class), {"candidates": [people["Dũng"].pk]})
    assert response.status_code == 302
    assert Enrolment.objects.filter(candidate=people["Dũng"], training_class=open_class).exists()


def test_a_refused_enrolment_keeps_a_chosen_candidate_beyond_the_first_ones(
    staff_client, tree, open_class, monkeypatch
):
    monkeypatch.setattr("recruitment.forms.OFFERED_AT_ONCE", 1)
    CandidateFactory(unit=tree["ward1_cell"], full_name="An")
    chosen = CandidateFactory(unit=tree["ward1_cell"], full_name="Dũng")
    response = staff_client.post(url("enrol", open_class), {"candidates": [chosen.pk, 99999]})
    assert response.status_code == 200
    assert chosen.pk in offered(response)
    [box] = re.findall(rf'<input[^>]*name="candidates" value="{chosen.pk}"[^>]*>', response.text)
    assert "checked" in box
    assert not Enrolment.objects.filter(training_class=open_class).exists()


def test_the_past_result_list_shows_its_first_candidates_and_is_narrowed(
    staff_client, tree, city_class, monkeypatch
):
    monkeypatch.setattr("recruitment.forms.OFFERED_AT_ONCE", 1)  # city_class has ended
    first = CandidateFactory(unit=tree["ward1_cell"], full_name="An")
    later = CandidateFactory(unit=tree["ward3_cell"], full_name="Dũng")
    page = staff_client.get(url("detail", city_class))
    assert offered(page, "past_form", "candidate") == {first.pk}
    narrowed = staff_client.get(url("detail", city_class), {"unit": tree["ward3"].pk})
    assert offered(narrowed, "past_form", "candidate") == {later.pk}


def test_the_class_pages_unit_filter_is_typed_not_a_select_of_every_unit(
    staff_client, tree, open_class, monkeypatch
):
    monkeypatch.setattr("recruitment.forms.TYPED_ABOVE", 3)  # the city has 5 units
    CandidateFactory(unit=tree["ward1_cell"])
    page = staff_client.get(url("detail", open_class))
    assert 'name="unit_q"' in page.text
    assert '<select name="unit"' not in page.text


def test_a_class_is_created_in_a_unit_typed_by_name_where_the_units_are_many(
    staff_client, tree, monkeypatch
):
    """Above TYPED_ABOVE units the form's unit is a search box holding the chosen unit's id
    (national staff's select of 311,000 units was 20 MB); the form saves as before, and a
    refused one shows the chosen unit's name again."""
    monkeypatch.setattr("recruitment.forms.TYPED_ABOVE", 3)
    new = reverse("recruitment:class-create")
    page = staff_client.get(new)
    assert 'name="unit_q"' in page.text and '<select name="unit"' not in page.text
    refused = staff_client.post(new, class_data(tree["ward3"], ends_on="01/01/2020"))
    assert refused.status_code == 200
    assert f'value="{tree["ward3"].name}"' in refused.text
    response = staff_client.post(new, class_data(tree["ward3"]))
    assert response.status_code == 302
    assert TrainingClass.objects.get().unit == tree["ward3"]


@pytest.mark.parametrize(
    "typed, saved, error",
    [
        ("VT-P3", "ward3", None),  # a code names one unit: taken
        ("Phường III", None, "Several of your units match “Phường III”"),
        ("Không có", None, "None of your units is called “Không có”."),
    ],
)
def test_without_javascript_a_typed_unit_is_taken_when_it_names_one(
    staff_client, tree, monkeypatch, typed, saved, error
):
    """The search box sends the name typed and an empty id when no script picked a unit:
    the form was refused with "This field is required." and nothing to choose."""
    monkeypatch.setattr("recruitment.forms.TYPED_ABOVE", 3)
    data = {**class_data(tree["ward3"]), "unit": "", "unit_q": typed}
    response = english(staff_client).post(reverse("recruitment:class-create"), data)
    if saved:
        assert response.status_code == 302
        assert TrainingClass.objects.get().unit == tree[saved]
    else:
        assert error in response.context["form"].errors["unit"][0]
        assert 'aria-invalid="true"' in re.search(r'<input type="search"[^>]*>', response.text)[0]
        assert not TrainingClass.objects.exists()


def test_the_forms_unit_search_offers_only_open_units(staff_client, tree):
    Organisation.objects.filter(pk=tree["ward3"].pk).update(active=False)
    search = reverse("recruitment:unit-search")
    names = lambda r: {u["id"] for u in r.json()["results"]}  # noqa: E731
    assert tree["ward3"].pk in names(staff_client.get(search, {"q": "Phường III"}))
    assert tree["ward3"].pk not in names(staff_client.get(search, {"q": "Phường III", "open": 1}))
