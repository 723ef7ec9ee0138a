"""Gaps a reviewer found in daily use: a refused reorganisation step keeps what was typed,
every refused form says so at the top, the classes list is searched, filtered and sorted,
the members list is sorted, past imports are paged, breadcrumbs are named in the user's
language, and a sorted column says which way it sorts."""

from datetime import date, timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from recruitment.imports.models import ImportJob
from recruitment.models import Reorganisation, TrainingClass
from tests.factories import (
    TODAY,
    CandidateFactory,
    PartyMemberFactory,
    TrainingClassFactory,
    on_today,
)
from tests.helpers import english, messages_of
from tests.test_class_views import class_data
from tests.test_reorganisation_views import merge_step

pytestmark = pytest.mark.django_db

REFUSED = "Nothing was saved: please correct the errors below."
CLASSES = reverse("recruitment:class-list")
MEMBERS = reverse("recruitment:member-list")
CANDIDATES = reverse("recruitment:candidate-list")
IMPORTS = reverse("recruitment:import-start")


def count_queries(client, url, params=None) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(queries)


# --- 1. a refused reorganisation step keeps what was typed ---------------------------------


@pytest.fixture
def draft(tree, staff):
    return Reorganisation.objects.create(
        title="Sắp xếp phường",
        effective_on=date(2025, 7, 1),
        document_reference="01-NQ",
        unit=staff.unit,
    )


def split_step(tree, **extra) -> dict:
    return {
        "kind": "split",
        "units": [tree["ward1"].pk],
        "new_code": "VT-PA",
        "new_name": "Phường A mới",
        "new_kind": "committee",
        "second_code": "VT-PB",
        "second_name": "Phường B mới",
        **extra,
    }


def test_a_refused_step_keeps_what_was_typed_with_the_error_beside_its_field(
    tree, draft, staff_client
):
    step = split_step(tree, second_people="093095000777\n079000000000")
    response = english(staff_client).post(
        reverse("recruitment:reorganisation-step-add", args=[draft.pk]), step
    )
    assert response.status_code == 200
    assert "recruitment/reorganisations/detail.html" in [t.name for t in response.templates]
    form = response.context["step_form"]
    assert form.is_bound and form.data["new_name"] == "Phường A mới"
    assert form.errors["second_people"] == [
        "Nobody directly in the unit split has this ID number: 093095000777, 079000000000."
    ]
    page = response.text
    assert 'value="Phường B mới"' in page
    assert "093095000777\n079000000000</textarea>" in page
    assert 'id="error_1_id_second_people"' in page  # beside its field, not only at the top
    assert messages_of(response) == [REFUSED]
    assert not draft.steps.exists()


def test_a_refused_step_still_shows_the_drafts_steps_and_preview(tree, draft, staff_client):
    staff_client.post(
        reverse("recruitment:reorganisation-step-add", args=[draft.pk]), merge_step(tree)
    )
    response = english(staff_client).post(
        reverse("recruitment:reorganisation-step-add", args=[draft.pk]),
        {"kind": "rename", "units": [tree["ward3_cell"].pk]},
    )
    assert response.status_code == 200
    assert response.context["step_form"].errors["new_name"] == ["Give the new name."]
    assert [s.step for s in response.context["steps"]] == list(draft.steps.all())
    assert response.context["effects"]  # the preview of the step already there
    assert draft.steps.count() == 1


# --- 2. every refused form says so at the top ----------------------------------------------


def test_a_refused_new_class_says_nothing_was_saved(staff_client, tree):
    data = class_data(tree["city"], starts_on="13/03/2026", ends_on="02/03/2026")
    response = english(staff_client).post(reverse("recruitment:class-create"), data)
    assert response.status_code == 200
    assert messages_of(response) == [REFUSED]
    assert not TrainingClass.objects.exists()


def test_a_refused_class_edit_says_nothing_was_saved(staff_client, tree):
    training_class = TrainingClassFactory(unit=tree["city"], title="Lớp cũ")
    response = english(staff_client).post(
        reverse("recruitment:class-edit", args=[training_class.pk]),
        class_data(tree["city"], title=""),
    )
    assert response.status_code == 200
    assert messages_of(response) == [REFUSED]
    training_class.refresh_from_db()
    assert training_class.title == "Lớp cũ"


def test_a_refused_new_reorganisation_says_nothing_was_saved(staff_client):
    response = english(staff_client).post(
        reverse("recruitment:reorganisation-create"),
        {"title": "Sắp xếp", "effective_on": "31/02/2025", "document_reference": "01"},
    )
    assert response.status_code == 200
    assert messages_of(response) == [REFUSED]
    assert not Reorganisation.objects.exists()


def test_an_import_sent_without_a_file_says_nothing_was_saved(organiser_client, tree):
    response = english(organiser_client).post(IMPORTS, {"kind": "candidates"})
    assert response.status_code == 200
    assert "file" in response.context["form"].errors
    assert messages_of(response) == [REFUSED]
    assert not ImportJob.objects.exists()


def test_a_refused_profile_says_nothing_was_saved(organiser_client, organiser):
    response = english(organiser_client).post(
        reverse("accounts:profile"),
        {"email": "other@example.org", "reminders": "weekly", "language": "vi"},
    )
    assert response.status_code == 200
    assert "password" in response.context["form"].errors
    assert messages_of(response) == [REFUSED]
    organiser.refresh_from_db()
    assert organiser.email != "other@example.org"


def test_a_refused_password_change_says_nothing_was_saved(organiser_client, organiser):
    response = english(organiser_client).post(
        reverse("accounts:password-change"),
        {"old_password": "pw", "new_password1": "a", "new_password2": "b"},
    )
    assert response.status_code == 200
    assert messages_of(response) == [REFUSED]
    organiser.refresh_from_db()
    assert organiser.check_password("pw")


# --- 3. the classes list: search, organising unit, open or ended, sort ----------------------


@pytest.fixture
def classes(tree):
    """Classes the organiser of Ward I sees: two ended, one under way, one to come."""
    return {
        "ended": TrainingClassFactory(
            unit=tree["city"],
            title="Lớp bồi dưỡng nhận thức về Đảng khóa 1",
            starts_on=date(2026, 1, 5),
            ends_on=date(2026, 1, 16),
        ),
        "ward": TrainingClassFactory(
            unit=tree["ward1"],
            title="Lớp Phường I đợt 2",
            starts_on=date(2026, 3, 2),
            ends_on=date(2026, 3, 6),
        ),
        "running": TrainingClassFactory(
            unit=tree["city"],
            title="Lớp bồi dưỡng nhận thức về Đảng khóa 2",
            starts_on=TODAY - timedelta(days=2),
            ends_on=TODAY + timedelta(days=3),
        ),
        "coming": TrainingClassFactory(
            unit=tree["ward1_cell"],
            title="Lớp Khu vực 3",
            starts_on=TODAY + timedelta(days=30),
            ends_on=TODAY + timedelta(days=35),
        ),
    }


def titles(response) -> list[str]:
    return [c.title for c in response.context["classes"]]


def test_saving_a_class_keeps_its_title_searchable(tree):
    training_class = TrainingClassFactory(unit=tree["city"], title="Lớp ĐẢNG  viên mới")
    assert training_class.search_title == "lop dang vien moi"
    training_class.title = "Lớp Hỏa Lựu"
    training_class.save(update_fields=["title"])
    training_class.refresh_from_db()
    assert training_class.search_title == "lop hoa luu"


@on_today
def test_the_classes_list_is_searched_by_title_ignoring_diacritics(organiser_client, classes):
    response = organiser_client.get(CLASSES, {"q": "nhan thuc KHOA 2"})
    assert titles(response) == ["Lớp bồi dưỡng nhận thức về Đảng khóa 2"]
    assert titles(organiser_client.get(CLASSES, {"q": "phường i"})) == ["Lớp Phường I đợt 2"]


@on_today
def test_the_classes_list_narrows_to_an_organising_unit_and_below(organiser_client, classes, tree):
    response = organiser_client.get(CLASSES, {"unit": tree["ward1"].pk})
    assert titles(response) == ["Lớp Khu vực 3", "Lớp Phường I đợt 2"]


@on_today
@pytest.mark.parametrize(
    "status, expected",
    [
        ("open", ["Lớp Khu vực 3", "Lớp bồi dưỡng nhận thức về Đảng khóa 2"]),
        ("ended", ["Lớp Phường I đợt 2", "Lớp bồi dưỡng nhận thức về Đảng khóa 1"]),
    ],
)
def test_the_classes_list_shows_those_open_for_enrolment_or_ended(
    organiser_client, classes, status, expected
):
    assert titles(organiser_client.get(CLASSES, {"status": status})) == expected


@on_today
def test_a_class_ending_today_is_still_open_for_enrolment(organiser_client, tree):
    TrainingClassFactory(unit=tree["city"], title="Hôm nay", starts_on=TODAY, ends_on=TODAY)
    assert titles(organiser_client.get(CLASSES, {"status": "open"})) == ["Hôm nay"]
    assert titles(organiser_client.get(CLASSES, {"status": "ended"})) == []


@on_today
def test_the_classes_list_sorts_newest_first_or_oldest_first(organiser_client, classes):
    newest_first = [
        "Lớp Khu vực 3",
        "Lớp bồi dưỡng nhận thức về Đảng khóa 2",
        "Lớp Phường I đợt 2",
        "Lớp bồi dưỡng nhận thức về Đảng khóa 1",
    ]
    assert titles(organiser_client.get(CLASSES)) == newest_first
    assert titles(organiser_client.get(CLASSES, {"sort": "-starts"})) == newest_first
    assert titles(organiser_client.get(CLASSES, {"sort": "starts"})) == newest_first[::-1]


@on_today
def test_the_classes_dates_header_reverses_the_order(organiser_client, classes):
    page = organiser_client.get(CLASSES).text
    assert 'aria-sort="descending"><a href="?sort=starts">' in page
    page = organiser_client.get(CLASSES, {"sort": "starts"}).text
    assert 'aria-sort="ascending"><a href="?sort=-starts">' in page


@on_today
def test_bad_class_filters_are_errors_on_the_form_not_a_server_error(organiser_client, classes):
    response = organiser_client.get(CLASSES, {"status": "nope", "sort": "title;drop"})
    assert response.status_code == 200
    assert response.context["filter"].errors.keys() == {"status", "sort"}
    assert len(titles(response)) == 4


@on_today
def test_a_class_search_with_no_match_says_what_to_do(organiser_client, classes):
    page = english(organiser_client).get(CLASSES, {"q": "không có lớp này"}).text
    assert "No class matches these filters." in page
    assert f'href="{CLASSES}">Clear the filters</a>' in page


@on_today
def test_the_classes_list_is_paged_without_counting(staff_client, tree):
    for n in range(25):
        TrainingClassFactory(unit=tree["city"], starts_on=date(2025, 1, 1) + timedelta(days=n))
    first = staff_client.get(CLASSES)
    assert len(titles(first)) == 20 and first.context["page_obj"].has_next
    second = staff_client.get(CLASSES, {"page": 2})
    assert len(titles(second)) == 5 and not second.context["page_obj"].has_next


@on_today
@pytest.mark.parametrize("params", [{}, {"q": "lop", "status": "open", "sort": "starts"}])
def test_the_filtered_classes_list_costs_no_query_per_row(staff_client, tree, params):
    def add(count):
        for n in range(count):
            TrainingClassFactory(
                unit=tree["ward1"] if n % 2 else tree["city"],
                starts_on=TODAY - timedelta(days=n),
                ends_on=TODAY + timedelta(days=n % 3),
            )

    add(3)
    with_three = count_queries(staff_client, CLASSES, params)
    add(17)
    assert count_queries(staff_client, CLASSES, params) == with_three


@pytest.mark.django_db(transaction=True)
def test_upgrading_makes_the_existing_classes_searchable():
    before = [("recruitment", "0027_candidate_due_unit_index")]
    after = [("recruitment", "0028_trainingclass_search_title")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    try:
        apps = executor.loader.project_state(before).apps
        unit = apps.get_model("recruitment", "Organisation").objects.create(
            path="0001", depth=1, numchild=0, kind="city", name="Vị Thanh", code="VT"
        )
        apps.get_model("recruitment", "TrainingClass").objects.create(
            title="Lớp Bồi Dưỡng Đảng", unit=unit, starts_on=TODAY, ends_on=TODAY
        )
        executor = MigrationExecutor(connection)
        executor.migrate(after)
        apps = executor.loader.project_state(after).apps
        row = apps.get_model("recruitment", "TrainingClass").objects.get()
        assert row.search_title == "lop boi duong dang"
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())


# --- 4. the members list sorts by its columns -----------------------------------------------


@pytest.fixture
def members(tree):
    def member(unit, name, year):
        return PartyMemberFactory(
            unit=tree[unit],
            full_name=name,
            admitted_on=date(year, 1, 1),
            official_on=date(2020, 1, 1),
        )

    return [member("ward1_cell", "An", 2015), member("ward1", "Bình", 2019),
            member("ward1_cell", "Chi", 2012)]  # fmt: skip


def member_names(response) -> list[str]:
    return [m.full_name for m in response.context["members"]]


@pytest.mark.parametrize(
    "sort, expected",
    [
        ("", ["An", "Bình", "Chi"]),
        ("-name", ["Chi", "Bình", "An"]),
        ("admitted", ["Chi", "An", "Bình"]),
        ("-admitted", ["Bình", "An", "Chi"]),
        ("unit", ["Bình", "An", "Chi"]),  # Ward I before its cell, then by name
        ("-unit", ["An", "Chi", "Bình"]),
    ],
)
def test_the_members_list_sorts_by_column(organiser_client, members, sort, expected):
    assert member_names(organiser_client.get(MEMBERS, {"sort": sort})) == expected


def test_the_members_headers_are_sort_links(organiser_client, members):
    page = organiser_client.get(MEMBERS).text
    assert 'aria-sort="ascending"><a href="?sort=-name">' in page  # by name unless asked
    assert '<a href="?sort=unit">' in page
    assert '<a href="?sort=-admitted">' in page  # the latest admitted first, at first
    page = organiser_client.get(MEMBERS, {"sort": "-admitted", "q": "a"}).text
    assert 'aria-sort="descending"><a href="?sort=admitted&amp;q=a">' in page


def test_a_bad_members_sort_is_an_error_on_the_form(organiser_client, members):
    response = organiser_client.get(MEMBERS, {"sort": "citizen_id"})
    assert response.status_code == 200
    assert "sort" in response.context["filter"].errors
    assert member_names(response) == ["An", "Bình", "Chi"]


@pytest.mark.parametrize("params", [{"sort": "-admitted"}, {"sort": "unit", "q": "dang"}])
def test_the_sorted_members_list_costs_no_query_per_row(organiser_client, tree, params):
    PartyMemberFactory.create_batch(3, unit=tree["ward1_cell"])
    with_three = count_queries(organiser_client, MEMBERS, params)
    PartyMemberFactory.create_batch(20, unit=tree["ward1"], official_on=None)
    assert count_queries(organiser_client, MEMBERS, params) == with_three


# --- 5. past imports are paged -------------------------------------------------------------


def test_past_imports_are_paged(organiser_client, organiser, tree):
    for n in range(27):
        ImportJob.objects.create(
            kind="candidates", file_name=f"{n:02d}.csv", content=b"x", by=organiser
        )
    first = english(organiser_client).get(IMPORTS)
    names = [job.file_name for job in first.context["jobs"]]
    assert names == [f"{n:02d}.csv" for n in range(26, 6, -1)]  # the latest 20
    assert '<a class="page-link" href="?page=2">Next</a>' in first.text
    second = organiser_client.get(IMPORTS, {"page": 2})
    assert [job.file_name for job in second.context["jobs"]] == [
        f"{n:02d}.csv" for n in range(6, -1, -1)
    ]


def test_the_import_page_keeps_its_kind_across_pages(organiser_client, organiser, tree):
    for n in range(21):
        ImportJob.objects.create(kind="members", file_name=f"{n}.csv", content=b"x", by=organiser)
    page = organiser_client.get(IMPORTS, {"kind": "members"}).text
    assert 'href="?kind=members&amp;page=2"' in page


# --- 6. breadcrumbs are named in the user's language ---------------------------------------


def test_no_template_names_its_breadcrumbs_in_english_only():
    hard_coded = [
        str(path.relative_to(settings.BASE_DIR))
        for path in Path(settings.BASE_DIR, "templates").rglob("*.html")
        if 'aria-label="breadcrumb"' in path.read_text(encoding="utf-8")
    ]
    assert hard_coded == []


def test_the_breadcrumbs_are_named_in_vietnamese(organiser_client, tree):
    candidate = CandidateFactory(unit=tree["ward1_cell"])
    page = organiser_client.get(candidate.get_absolute_url()).text
    assert '<nav aria-label="Đường dẫn điều hướng">' in page
    page = english(organiser_client).get(candidate.get_absolute_url()).text
    assert '<nav aria-label="Breadcrumb">' in page


# --- 7. the candidate list's headers sort both ways ----------------------------------------


def test_the_active_candidate_header_reverses_and_shows_its_direction(organiser_client, tree):
    CandidateFactory(unit=tree["ward1_cell"])
    page = organiser_client.get(CANDIDATES).text
    assert 'aria-sort="ascending"><a href="?sort=-name">' in page  # by name unless asked
    assert '<a href="?sort=stage">' in page
    page = organiser_client.get(CANDIDATES, {"sort": "-name"}).text
    assert 'aria-sort="descending"><a href="?sort=name">' in page
    page = organiser_client.get(CANDIDATES, {"sort": "-since", "stage": "source"}).text
    assert 'aria-sort="descending"><a href="?sort=since&amp;stage=source">' in page
    assert page.count("aria-sort=") == 1


def test_the_direction_arrow_is_hidden_from_screen_readers(organiser_client, tree):
    CandidateFactory(unit=tree["ward1_cell"])
    page = organiser_client.get(CANDIDATES, {"sort": "stage"}).text
    assert '<span aria-hidden="true">▲</span>' in page
