"""Candidate pages: list (scope, search, filters, sort, chips), add, detail and edit."""

from datetime import date

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from recruitment.models import (
    Candidate,
    Enrolment,
    Organisation,
    Source,
    Sponsorship,
    Stage,
    StageChange,
)
from recruitment.stages import PIPELINE
from tests.factories import (
    CandidateFactory,
    PartyMemberFactory,
    TrainingClassFactory,
    UserFactory,
    introducer,
    mentor,
)
from tests.helpers import english, messages_of

pytestmark = pytest.mark.django_db

LIST_URL = reverse("recruitment:candidate-list")
CREATE_URL = reverse("recruitment:candidate-create")


def detail_url(candidate):
    return reverse("recruitment:candidate-detail", args=[candidate.pk])


def edit_url(candidate):
    return reverse("recruitment:candidate-edit", args=[candidate.pk])


def names(response) -> list[str]:
    return [c.full_name for c in response.context["candidates"]]


def candidate_data(unit, **overrides) -> dict:
    """What the add/edit form posts; booleans left out are False."""
    data = {
        "full_name": "Nguyễn Văn An",
        "date_of_birth": "20/05/1995",
        "gender": "male",
        "ethnicity": "Kinh",
        "religion": "",
        "citizen_id": "",
        "phone": "",
        "residence": "",
        "unit": unit.pk,
        "source": Source.YOUTH_UNION,
        "education": "upper_secondary",
        "occupation": "",
        "workplace": "",
    }
    data.update(overrides)
    return data


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


# --- access ---------------------------------------------------------------------------------


@pytest.mark.parametrize("page", ["list", "create", "detail", "edit"])
def test_anonymous_is_sent_to_login(client, tree, page):
    candidate = CandidateFactory(unit=tree["ward1_cell"])
    url = {
        "list": LIST_URL,
        "create": CREATE_URL,
        "detail": detail_url(candidate),
        "edit": edit_url(candidate),
    }[page]
    response = client.get(url)
    assert response.status_code == 302
    assert response.url == f"{reverse('accounts:login')}?next={url}"


def test_anonymous_post_saves_nothing(client, tree):
    response = client.post(CREATE_URL, candidate_data(tree["ward1_cell"]))
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))
    assert not Candidate.objects.exists()


@pytest.mark.parametrize("view", ["detail", "edit"])
def test_outsider_gets_404(other_organiser_client, tree, view):
    candidate = CandidateFactory(unit=tree["ward1_cell"])
    url = detail_url(candidate) if view == "detail" else edit_url(candidate)
    assert other_organiser_client.get(url).status_code == 404


def test_outsider_post_to_edit_gets_404_and_changes_nothing(other_organiser_client, tree):
    candidate = CandidateFactory(unit=tree["ward1_cell"], full_name="Lê Thị Hoa")
    response = other_organiser_client.post(
        edit_url(candidate), candidate_data(tree["ward3"], full_name="Changed")
    )
    assert response.status_code == 404
    candidate.refresh_from_db()
    assert (candidate.full_name, candidate.unit) == ("Lê Thị Hoa", tree["ward1_cell"])


def test_staff_of_another_city_gets_404(other_staff_client, tree):
    candidate = CandidateFactory(unit=tree["ward1_cell"])
    assert other_staff_client.get(detail_url(candidate)).status_code == 404


def test_unknown_candidate_is_404(organiser_client, tree):
    assert organiser_client.get("/candidates/999999/").status_code == 404


# --- list: scope ----------------------------------------------------------------------------


def test_list_shows_only_the_users_subtree(organiser_client, tree):
    CandidateFactory(unit=tree["ward1"], full_name="A Ward I")
    CandidateFactory(unit=tree["ward1_cell"], full_name="B Ward I cell")
    CandidateFactory(unit=tree["ward3_cell"], full_name="C Ward III")
    CandidateFactory(unit=tree["city"], full_name="D City")
    CandidateFactory(unit=tree["other_cell"], full_name="E Other city")
    response = organiser_client.get(LIST_URL)
    assert response.status_code == 200
    assert names(response) == ["A Ward I", "B Ward I cell"]
    assert b"C Ward III" not in response.content


def test_staff_list_covers_the_city_but_not_another_city(staff_client, tree):
    CandidateFactory(unit=tree["ward1_cell"], full_name="A Ward I")
    CandidateFactory(unit=tree["ward3_cell"], full_name="B Ward III")
    CandidateFactory(unit=tree["other_cell"], full_name="C Other city")
    response = staff_client.get(LIST_URL)
    assert names(response) == ["A Ward I", "B Ward III"]


def test_admin_sees_every_unit(admin_client_, tree):
    CandidateFactory(unit=tree["ward1_cell"], full_name="A Ward I")
    CandidateFactory(unit=tree["other_cell"], full_name="B Other city")
    assert names(admin_client_.get(LIST_URL)) == ["A Ward I", "B Other city"]
    assert admin_client_.get(CREATE_URL).status_code == 200


def test_unit_filter_outside_the_subtree_reveals_nothing(other_organiser_client, tree):
    CandidateFactory(unit=tree["ward1_cell"], full_name="A Ward I")
    CandidateFactory(unit=tree["ward3_cell"], full_name="B Ward III")
    response = other_organiser_client.get(LIST_URL, {"unit": tree["ward1"].pk})
    assert response.status_code == 200
    assert "A Ward I" not in names(response)
    assert "unit" in response.context["filter"].form.errors


def test_unit_filter_offers_only_units_of_the_subtree(organiser_client, tree):
    response = organiser_client.get(LIST_URL)
    offered = set(response.context["filter"].form.fields["unit"].queryset)
    assert offered == {tree["ward1"], tree["ward1_cell"]}


def test_the_filter_form_marks_a_bad_value_and_speaks_vietnamese(organiser_client, tree):
    html = organiser_client.get("/candidates/?year=abc&sort=-name").text
    assert '<input type="number" name="year" value="abc"' in html
    assert (
        'class="form-control is-invalid" aria-invalid="true" aria-describedby="id_year_error"'
        in html
    )
    assert (
        '<div id="id_year_error" class="invalid-feedback">'
        '<p id="error_1_id_year"><strong>Nhập một số nguyên.</strong>' in html
    )
    assert '<select name="sort" class="form-select" id="id_sort"><option value="">' in html
    assert '<option value="-name" selected>tên (giảm dần)</option>' in html
    assert "descending" not in html


def test_the_sort_box_speaks_english_too_and_keeps_several_orders(organiser_client, tree):
    html = english(organiser_client).get("/candidates/?sort=-name").text
    assert '<option value="-name" selected>name (descending)</option>' in html
    # Two orders at once do not fit a select: django-filter shows them in a text box.
    html = organiser_client.get("/candidates/?sort=name,-unit").text
    assert 'name="sort" value="name,-unit"' in html


@pytest.mark.parametrize(
    "url",
    [
        LIST_URL,
        LIST_URL + "?year=abc&sort=-name&source=nope&q=%3Cb%3E",
        LIST_URL + "?sort=name,-unit&works_away=true&year=2024",
        reverse("recruitment:member-list"),
        reverse("recruitment:member-list") + "?status=nope&q=L%C3%AA",
    ],
)
def test_filter_boxes_written_in_python_are_djangos_own(organiser_client, tree, url):
    """The text, number and select boxes the form_field tag writes itself are the HTML
    Django's widget templates write, in every state (empty, chosen, invalid, escaped)."""
    from django.test.html import parse_html

    from recruitment.templatetags.recruitment_tags import _input, _select

    form = organiser_client.get(url).context["filter"].form
    written = 0
    for field in form:
        attrs = {"class": "form-control is-invalid" if field.errors else "form-control"}
        ours = _input(field, dict(attrs)) or _select(field, dict(attrs))
        if ours is None:
            continue
        written += 1
        assert parse_html(ours) == parse_html(field.as_widget(attrs=dict(attrs))), field.name
    assert written >= 2


def test_boxes_python_does_not_write_are_left_to_django():
    """A localised number and django-filter's comma-separated box: Django writes them."""
    from django import forms
    from django_filters.widgets import CSVWidget

    from recruitment.templatetags.recruitment_tags import _input, form_field

    class Form(forms.Form):
        amount = forms.DecimalField(localize=True)
        codes = forms.CharField(widget=CSVWidget)

    form = Form(initial={"amount": "1234.5", "codes": ["a", "b"]})
    assert _input(form["amount"], {}) is None
    assert _input(form["codes"], {}) is None
    assert 'value="a,b"' in form_field(form["codes"])


def test_the_filter_field_tag_refuses_a_widget_it_does_not_lay_out():
    from django import forms

    from recruitment.templatetags.recruitment_tags import form_field

    class Form(forms.Form):
        agreed = forms.BooleanField()

    with pytest.raises(TypeError, match="CheckboxInput"):
        form_field(Form()["agreed"])


def test_organiser_sees_the_citizen_id_masked_and_staff_in_full(
    organiser_client, staff_client, tree
):
    CandidateFactory(unit=tree["ward1_cell"], citizen_id="093201004321")
    masked = organiser_client.get(LIST_URL).content.decode()
    assert "093201004321" not in masked
    assert "••••••••4321" in masked
    assert "093201004321" in staff_client.get(LIST_URL).content.decode()


# --- list: search, filters, sort, pages, chips -------------------------------------------------


@pytest.mark.parametrize("query", ["nguyen duc toan", "NGUYEN DUC", "Nguyễn Đức Toàn", "đức toàn"])
def test_search_ignores_diacritics_and_case(organiser_client, tree, query):
    CandidateFactory(unit=tree["ward1_cell"], full_name="Nguyễn Đức Toàn")
    CandidateFactory(unit=tree["ward1_cell"], full_name="Phan Đức Trọng")
    response = organiser_client.get(LIST_URL, {"q": query})
    assert names(response) == ["Nguyễn Đức Toàn"]


def test_a_search_lists_its_matches_by_name_sorted_outside_the_name_index(organiser_client, tree):
    """The matches in name order, sorted by an expression of the name that its index does
    not serve (``models.name_ordering``): a search walking the name index in order reads
    every name before its matches (a second nationally)."""
    for name in ["Trần Văn Bình", "Lê Văn An", "Nguyễn Văn An", "Phạm Thị Hoa"]:
        CandidateFactory(unit=tree["ward1_cell"], full_name=name)
    with CaptureQueriesContext(connection) as captured:
        response = organiser_client.get(LIST_URL, {"q": "van"})
    assert names(response) == ["Lê Văn An", "Nguyễn Văn An", "Trần Văn Bình"]
    listed = [q["sql"] for q in captured if "ORDER BY" in q["sql"] and "LIMIT" in q["sql"]]
    assert listed and all("ORDER BY LOWER(" in sql for sql in listed)
    with CaptureQueriesContext(connection) as captured:
        organiser_client.get(LIST_URL)
    assert not any("ORDER BY LOWER(" in q["sql"] for q in captured)


def test_staff_find_the_last_digits_of_a_citizen_id(staff_client, tree):
    CandidateFactory(unit=tree["ward1_cell"], full_name="Có CCCD", citizen_id="093201004321")
    CandidateFactory(unit=tree["ward1_cell"], full_name="Khác", citizen_id="093201009999")
    response = staff_client.get(LIST_URL, {"q": "4321"})
    assert names(response) == ["Có CCCD"]


def test_organisers_find_a_citizen_id_by_all_twelve_digits_only(organiser_client, tree):
    CandidateFactory(unit=tree["ward1_cell"], full_name="Có CCCD", citizen_id="093201004321")
    assert names(organiser_client.get(LIST_URL, {"q": "093 201 004 321"})) == ["Có CCCD"]
    # Digit by digit, the masked ID cannot be recovered: no partial match answers.
    for partial in ["4321", "04321", "93201004321", "0932010043"]:
        assert names(organiser_client.get(LIST_URL, {"q": partial})) == [], partial


def test_unicode_digits_are_not_taken_for_a_citizen_id(staff_client, tree):
    CandidateFactory(unit=tree["ward1_cell"], full_name="Có CCCD", citizen_id="093201004321")
    assert names(staff_client.get(LIST_URL, {"q": "²³²¹"})) == []


@pytest.fixture
def varied(tree):
    """Five candidates of Ward I that differ in every filtered and sorted column."""
    return {
        "An": CandidateFactory(
            unit=tree["ward1"],
            full_name="An",
            stage=Stage.SOURCE,
            source=Source.YOUTH_UNION,
            stage_since=date(2026, 3, 1),
        ),
        "Bình": CandidateFactory(
            unit=tree["ward1_cell"],
            full_name="Bình",
            stage=Stage.TRAINING,
            source=Source.MILITIA,
            works_away=True,
            stage_since=date(2026, 1, 1),
        ),
        "Chi": CandidateFactory(
            unit=tree["ward1_cell"],
            full_name="Chi",
            stage=Stage.ADMITTED,
            source=Source.YOUTH_UNION,
            decision_on=date(2021, 9, 2),
            stage_since=date(2021, 9, 2),
        ),
        "Dũng": CandidateFactory(
            unit=tree["ward1"],
            full_name="Dũng",
            stage=Stage.RECOGNISED,
            source=Source.OTHER,
            decision_on=date(2020, 6, 1),
            stage_since=date(2021, 6, 1),
        ),
        "Giang": CandidateFactory(
            unit=tree["ward1_cell"],
            full_name="Giang",
            stage=Stage.SOURCE,
            source=Source.ASSOCIATION,
            works_away=True,
            stage_since=date(2026, 2, 1),
        ),
    }


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"stage": "source"}, ["An", "Giang"]),
        ({"source": "youth_union"}, ["An", "Chi"]),
        ({"year": "2021"}, ["Chi"]),
        ({"works_away": "true"}, ["Bình", "Giang"]),
        ({"works_away": "false"}, ["An", "Chi", "Dũng"]),
        ({"stage": "source", "works_away": "true"}, ["Giang"]),
    ],
)
def test_filters_narrow_the_list(organiser_client, varied, params, expected):
    response = organiser_client.get(LIST_URL, params)
    assert names(response) == expected


def test_unit_filter_includes_the_units_below(organiser_client, tree, varied):
    response = organiser_client.get(LIST_URL, {"unit": tree["ward1_cell"].pk})
    assert names(response) == ["Bình", "Chi", "Giang"]
    response = organiser_client.get(LIST_URL, {"unit": tree["ward1"].pk})
    assert len(names(response)) == 5


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("name", ["An", "Bình", "Chi", "Dũng", "Giang"]),
        ("-name", ["Giang", "Dũng", "Chi", "Bình", "An"]),
        ("since", ["Dũng", "Chi", "Bình", "Giang", "An"]),
        ("-since", ["An", "Giang", "Bình", "Chi", "Dũng"]),
    ],
)
def test_list_sorts_by_column(organiser_client, varied, sort, expected):
    assert names(organiser_client.get(LIST_URL, {"sort": sort})) == expected


def test_list_sorts_by_unit_stage_and_admission(organiser_client, varied):
    by_unit = names(organiser_client.get(LIST_URL, {"sort": "unit"}))
    assert set(by_unit[:2]) == {"An", "Dũng"}  # Ward I sorts before its cell
    by_stage = names(organiser_client.get(LIST_URL, {"sort": "stage"}))
    stages = [varied[name].stage for name in by_stage]
    order = [*PIPELINE, Stage.WITHDRAWN, Stage.DROPPED_OUT, Stage.STRUCK_OFF]
    assert stages == sorted(stages, key=order.index)  # the pipeline's order, not the alphabet
    # Where undecided rows (NULL) go depends on the database; compare the two decided ones.
    latest_first = names(organiser_client.get(LIST_URL, {"sort": "-admitted"}))
    assert latest_first.index("Chi") < latest_first.index("Dũng")
    earliest_first = names(organiser_client.get(LIST_URL, {"sort": "admitted"}))
    assert earliest_first.index("Dũng") < earliest_first.index("Chi")


def test_list_is_paginated(organiser_client, tree):
    CandidateFactory.create_batch(30, unit=tree["ward1_cell"])
    first = organiser_client.get(LIST_URL)
    second = organiser_client.get(LIST_URL, {"page": 2})
    assert len(names(first)) == 25
    assert len(names(second)) == 5
    assert not set(names(first)) & set(names(second))


def test_a_row_shows_the_unit_the_source_and_the_number_and_links_to_the_candidate(
    organiser_client, staff_client, tree
):
    candidate = CandidateFactory(
        unit=tree["ward1_cell"],
        full_name="Hàng Mẫu",
        source=Source.MILITIA,
        citizen_id="093201004321",
        works_away=True,
    )
    for client, number in ((organiser_client, "••••••••4321"), (staff_client, "093201004321")):
        page = english(client).get(LIST_URL).content.decode()
        row = page[page.index(f'<a href="/candidates/{candidate.pk}/">Hàng Mẫu</a>') :]
        row = row[: row.index("</tr>")]
        assert row.count(tree["ward1_cell"].name) == 2  # its column, and under the name on phones
        assert "Militia" in row
        assert 'title="Works away from home"' in row
        assert number in row


def test_stage_chips_count_every_stage_whatever_the_stage_filter(organiser_client, varied):
    response = organiser_client.get(LIST_URL, {"stage": "training"})
    counts = {value: count for value, _label, count in response.context["stage_counts"]}
    assert counts[Stage.SOURCE] == 2
    assert counts[Stage.TRAINING] == 1
    assert counts[Stage.ADMITTED] == 1
    assert counts[Stage.RECOGNISED] == 1
    assert counts[Stage.WITHDRAWN] == 0
    assert names(response) == ["Bình"]


def test_stage_chips_follow_the_other_filters(organiser_client, varied):
    response = organiser_client.get(LIST_URL, {"works_away": "true"})
    counts = {value: count for value, _label, count in response.context["stage_counts"]}
    assert (counts[Stage.SOURCE], counts[Stage.TRAINING], counts[Stage.ADMITTED]) == (1, 1, 0)


def test_stage_chips_do_not_count_outside_the_subtree(other_organiser_client, varied):
    response = other_organiser_client.get(LIST_URL)
    assert all(count == 0 for _v, _l, count in response.context["stage_counts"])


def test_empty_list_says_what_to_do_next(organiser_client, tree):
    response = english(organiser_client).get(LIST_URL)
    content = response.content.decode()
    assert "No candidates yet" in content
    assert f'href="{CREATE_URL}"' in content


def test_filter_without_match_offers_to_clear_the_filters(organiser_client, varied):
    response = english(organiser_client).get(LIST_URL, {"q": "nobody by this name"})
    content = response.content.decode()
    assert names(response) == []
    assert "No candidate matches these filters." in content
    assert "No candidates yet" not in content


def test_tampered_list_parameters_are_ignored_not_an_error(organiser_client, varied):
    response = organiser_client.get(
        LIST_URL,
        {"unit": "x", "stage": "promoted", "year": "abc", "sort": "citizen_id", "page": "zzz"},
    )
    assert response.status_code == 200
    assert len(names(response)) == 5


def _fill(unit, count):
    """``count`` more candidates in ``unit``, in several stages, each with a citizen ID."""
    start = Candidate.objects.count()
    for i in range(start, start + count):
        CandidateFactory(
            unit=unit,
            stage=[Stage.SOURCE, Stage.TRAINING, Stage.ADMITTED][i % 3],
            works_away=bool(i % 2),
            citizen_id=f"{i:012d}",
        )


@pytest.mark.parametrize("params", ["", "?stage=source&sort=-since&q=quan"])
def test_list_query_count_does_not_grow_with_rows(organiser_client, tree, params):
    _fill(tree["ward1_cell"], 5)
    with_five = count_queries(organiser_client, LIST_URL + params)
    _fill(tree["ward1"], 45)
    assert Candidate.objects.count() == 50
    assert count_queries(organiser_client, LIST_URL + params) == with_five


def test_staff_list_query_count_does_not_grow_with_rows(staff_client, tree):
    _fill(tree["ward1_cell"], 5)
    with_five = count_queries(staff_client, LIST_URL)
    _fill(tree["ward3_cell"], 45)
    assert count_queries(staff_client, LIST_URL) == with_five


# --- add ------------------------------------------------------------------------------------


def test_add_form_starts_in_the_users_unit_and_offers_only_the_subtree(organiser_client, tree):
    response = organiser_client.get(CREATE_URL)
    assert response.status_code == 200
    form = response.context["form"]
    assert form.initial["unit"] == tree["ward1"]
    assert set(form.fields["unit"].queryset) == {tree["ward1"], tree["ward1_cell"]}


def test_add_puts_the_candidate_on_the_source_list(organiser_client, organiser, tree):
    response = english(organiser_client).post(
        CREATE_URL,
        candidate_data(tree["ward1_cell"], citizen_id="093201004321", works_away="on"),
    )
    candidate = Candidate.objects.get()
    assert response.status_code == 302
    assert response.url == detail_url(candidate)
    assert candidate.unit == tree["ward1_cell"]
    assert candidate.stage == Stage.SOURCE
    assert candidate.date_of_birth == date(1995, 5, 20)  # dd/mm/yyyy, day first
    assert candidate.citizen_id == "093201004321"
    assert candidate.works_away is True
    change = StageChange.objects.get(candidate=candidate)
    assert (change.from_stage, change.to_stage, change.by) == ("", Stage.SOURCE, organiser)
    assert messages_of(response) == [
        "Nguyễn Văn An was added to the source list of Chi bộ Khu vực 3."
    ]


def test_add_reads_a_date_day_first(organiser_client, tree):
    organiser_client.post(CREATE_URL, candidate_data(tree["ward1"], date_of_birth="03/04/1999"))
    assert Candidate.objects.get().date_of_birth == date(1999, 4, 3)


def test_add_refuses_a_date_not_in_dd_mm_yyyy(organiser_client, tree):
    response = english(organiser_client).post(
        CREATE_URL, candidate_data(tree["ward1"], date_of_birth="05/20/1995")
    )
    assert response.status_code == 200
    assert response.context["form"].errors["date_of_birth"] == ["Enter a date as dd/mm/yyyy."]
    assert not Candidate.objects.exists()


def test_add_refuses_a_unit_outside_the_subtree(organiser_client, tree):
    response = organiser_client.post(CREATE_URL, candidate_data(tree["ward3_cell"]))
    assert response.status_code == 200
    assert "unit" in response.context["form"].errors
    assert not Candidate.objects.exists()


def test_add_refuses_an_inactive_unit(organiser_client, tree):
    tree["ward1_cell"].active = False
    tree["ward1_cell"].save()
    response = organiser_client.post(CREATE_URL, candidate_data(tree["ward1_cell"]))
    assert "unit" in response.context["form"].errors
    assert not Candidate.objects.exists()


def test_add_refuses_a_birth_date_in_the_future(organiser_client, tree):
    response = english(organiser_client).post(
        CREATE_URL, candidate_data(tree["ward1"], date_of_birth="01/01/2099")
    )
    assert response.status_code == 200
    assert response.context["form"].errors["date_of_birth"] == [
        "The date of birth cannot be in the future."
    ]
    assert not Candidate.objects.exists()


@pytest.mark.parametrize("citizen_id", ["12345", "09320100432", "0932010043210", "09320100432a"])
def test_add_refuses_a_citizen_id_that_is_not_12_digits(organiser_client, tree, citizen_id):
    response = english(organiser_client).post(
        CREATE_URL, candidate_data(tree["ward1"], citizen_id=citizen_id)
    )
    assert response.status_code == 200
    # Too long is caught by the field's max length first; either way the message says 12.
    [error] = response.context["form"].errors["citizen_id"]
    assert "12" in error
    assert not Candidate.objects.exists()


def test_duplicate_citizen_id_names_the_unit_the_user_may_see(organiser_client, tree):
    CandidateFactory(unit=tree["ward1_cell"], citizen_id="093201004321")
    response = english(organiser_client).post(
        CREATE_URL, candidate_data(tree["ward1"], citizen_id="093201004321")
    )
    assert response.context["form"].errors["citizen_id"] == [
        "This citizen ID is already registered, in Chi bộ Khu vực 3."
    ]
    assert Candidate.objects.count() == 1


def test_duplicate_citizen_id_from_another_ward_does_not_name_the_unit(organiser_client, tree):
    CandidateFactory(unit=tree["ward3_cell"], citizen_id="093201004321")
    response = english(organiser_client).post(
        CREATE_URL, candidate_data(tree["ward1"], citizen_id="093201004321")
    )
    errors = response.context["form"].errors["citizen_id"]
    assert errors == [
        "This citizen ID is already registered in another unit; ask the Organisation Board."
    ]
    assert "Phường III" not in response.content.decode()
    assert Candidate.objects.count() == 1


def test_empty_citizen_id_is_stored_as_none_so_many_may_lack_one(organiser_client, tree):
    CandidateFactory(unit=tree["ward1"], citizen_id=None)
    response = organiser_client.post(CREATE_URL, candidate_data(tree["ward1"], citizen_id=" "))
    assert response.status_code == 302
    assert list(Candidate.objects.values_list("citizen_id", flat=True)) == [None, None]


def test_post_without_csrf_token_is_refused(organiser, tree):
    client = Client(enforce_csrf_checks=True)
    client.force_login(organiser)
    response = client.post(CREATE_URL, candidate_data(tree["ward1"]))
    assert response.status_code == 403
    assert not Candidate.objects.exists()
    # The same post with the form's token goes through.
    client.get(CREATE_URL)
    token = client.cookies[settings.CSRF_COOKIE_NAME].value
    response = client.post(
        CREATE_URL, {**candidate_data(tree["ward1"]), "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302
    assert Candidate.objects.count() == 1


# --- detail ---------------------------------------------------------------------------------


def test_detail_shows_dates_as_dd_mm_yyyy(organiser_client, tree):
    candidate = CandidateFactory(
        unit=tree["ward1_cell"], date_of_birth=date(1995, 5, 20), stage_since=date(2026, 3, 7)
    )
    content = organiser_client.get(detail_url(candidate)).content.decode()
    assert "20/05/1995" in content
    assert "07/03/2026" in content


def test_detail_shows_the_checklist_for_the_next_step(organiser_client, tree):
    candidate = CandidateFactory(unit=tree["ward1_cell"], stage=Stage.SOURCE)
    response = english(organiser_client).get(detail_url(candidate))
    assert response.status_code == 200
    assert response.context["next_stage"] == Stage.TRAINING
    assert response.context["missing"] == [
        "An official party member must be assigned as the candidate's mentor.",
        "The candidate must be enrolled in a party-awareness class.",
    ]
    content = response.content.decode()
    assert "The candidate must be enrolled in a party-awareness class." in content
    # Training starts in a class: the first action leads there, not to a move bound to fail.
    assert 'id="find-class"' in content and reverse("recruitment:class-list") in content
    move_url = reverse("recruitment:candidate-move", args=[candidate.pk, "training"])
    assert move_url not in content


def test_detail_checklist_is_empty_when_the_step_is_ready(organiser_client, tree):
    candidate = CandidateFactory(unit=tree["ward1_cell"], stage=Stage.SOURCE)
    mentor(candidate)
    Enrolment.objects.create(
        candidate=candidate, training_class=TrainingClassFactory(unit=tree["ward1"])
    )
    response = organiser_client.get(detail_url(candidate))
    assert response.context["missing"] == []


def test_detail_shows_sponsors_enrolments_and_the_timeline(organiser_client, organiser, tree):
    candidate = CandidateFactory(unit=tree["ward1_cell"], stage=Stage.TRAINED)
    mentor(candidate, PartyMemberFactory(unit=tree["ward1"], full_name="Trần Văn Kèm"))
    introducer(candidate, PartyMemberFactory(unit=tree["ward1_cell"], full_name="Võ Thị Giới"))
    Enrolment.objects.create(
        candidate=candidate,
        training_class=TrainingClassFactory(unit=tree["city"], title="Lớp tháng 1"),
        result=Enrolment.Result.PASSED,
        certificate_number="CN-77",
        certificate_on=date(2026, 1, 16),
    )
    StageChange.objects.create(
        candidate=candidate,
        from_stage=Stage.TRAINING,
        to_stage=Stage.TRAINED,
        on=date(2026, 1, 16),
        by=organiser,
        reason="Đã có giấy chứng nhận",
    )
    response = organiser_client.get(detail_url(candidate))
    content = response.content.decode()
    for text in [
        "Trần Văn Kèm",
        "Võ Thị Giới",
        "Lớp tháng 1",
        "CN-77",
        "16/01/2026",
        "alice",
        "Đã có giấy chứng nhận",
    ]:
        assert text in content
    assert [(s.role, s.member.full_name) for s in response.context["sponsorships"]] == [
        (Sponsorship.Role.INTRODUCER, "Võ Thị Giới"),
        (Sponsorship.Role.MENTOR, "Trần Văn Kèm"),
    ]
    assert [c.reason for c in response.context["changes"]] == ["Đã có giấy chứng nhận"]


def test_detail_masks_the_citizen_id_for_organisers(organiser_client, staff_client, tree):
    candidate = CandidateFactory(unit=tree["ward1_cell"], citizen_id="093201004321")
    assert "093201004321" not in organiser_client.get(detail_url(candidate)).content.decode()
    assert "093201004321" in staff_client.get(detail_url(candidate)).content.decode()


def _grow_history(candidate, organiser, count):
    """``count`` more mentors, enrolments and timeline entries for ``candidate``."""
    for i in range(count):
        mentor(candidate, PartyMemberFactory(unit=candidate.unit))
        Enrolment.objects.create(
            candidate=candidate, training_class=TrainingClassFactory(unit=candidate.unit)
        )
        StageChange.objects.create(
            candidate=candidate,
            from_stage=Stage.SOURCE,
            to_stage=Stage.TRAINING,
            by=organiser,
            reason=f"move {i}",
        )


def test_detail_query_count_does_not_grow_with_rows(organiser_client, organiser, tree):
    candidate = CandidateFactory(unit=tree["ward1_cell"], stage=Stage.SOURCE)
    _fill(tree["ward1_cell"], 4)
    _grow_history(candidate, organiser, 5)
    with_five = count_queries(organiser_client, detail_url(candidate))
    _fill(tree["ward1_cell"], 45)
    _grow_history(candidate, organiser, 45)
    assert Candidate.objects.count() == 50
    assert candidate.stage_changes.count() == 50
    assert count_queries(organiser_client, detail_url(candidate)) == with_five


def test_detail_reads_sponsors_and_enrolments_once_for_the_page_and_the_checklist(
    organiser_client, tree
):
    candidate = CandidateFactory(unit=tree["ward1_cell"], stage=Stage.SOURCE)
    mentor(candidate)  # the next step's rules read the mentors and the enrolments
    with CaptureQueriesContext(connection) as queries:
        response = english(organiser_client).get(detail_url(candidate))
    assert response.context["missing"] == [
        "The candidate must be enrolled in a party-awareness class."
    ]
    tables = [q["sql"].split(" FROM ")[1].split()[0] for q in queries if " FROM " in q["sql"]]
    assert tables.count('"recruitment_sponsorship"') == 1
    assert tables.count('"recruitment_enrolment"') == 1


@pytest.mark.parametrize(
    "certificate", [("", None), ("GCN-1", date(2024, 5, 2))], ids=["without", "with"]
)
def test_the_checklist_reads_the_same_from_the_rows_the_page_read(tree, certificate):
    """``pipeline.check`` on a candidate whose sponsorships and enrolments were prefetched
    (the candidate page) says what it says reading them itself."""
    from django.db.models import prefetch_related_objects

    from recruitment import pipeline

    candidate = CandidateFactory(unit=tree["ward1_cell"], stage=Stage.TRAINING)
    mentor(candidate)
    number, on = certificate
    Enrolment.objects.create(
        candidate=candidate,
        training_class=TrainingClassFactory(unit=tree["ward1"]),
        result=Enrolment.Result.PASSED,
        certificate_number=number,
        certificate_on=on,
    )
    alone = [b.code for b in pipeline.check(Candidate.objects.get(pk=candidate.pk), Stage.TRAINED)]
    read = Candidate.objects.get(pk=candidate.pk)
    prefetch_related_objects([read], "sponsorships__member", "enrolments__training_class")
    assert [b.code for b in pipeline.check(read, Stage.TRAINED)] == alone
    assert ("certificate_missing" in alone) == (not number)


# --- edit -----------------------------------------------------------------------------------


def test_edit_form_shows_dates_as_dd_mm_yyyy(organiser_client, tree):
    candidate = CandidateFactory(unit=tree["ward1_cell"], date_of_birth=date(1995, 5, 20))
    response = organiser_client.get(edit_url(candidate))
    assert response.status_code == 200
    assert 'value="20/05/1995"' in response.content.decode()


def test_edit_saves_the_changes_and_says_so(organiser_client, tree):
    candidate = CandidateFactory(unit=tree["ward1_cell"], citizen_id="093201004321")
    response = english(organiser_client).post(
        edit_url(candidate),
        candidate_data(
            tree["ward1"],
            full_name="Nguyễn Đức Toàn",
            date_of_birth="02/09/1990",
            citizen_id="093201004321",  # its own ID is not a duplicate
        ),
    )
    assert response.status_code == 302
    assert response.url == detail_url(candidate)
    candidate.refresh_from_db()
    assert candidate.full_name == "Nguyễn Đức Toàn"
    assert candidate.search_name == "nguyen duc toan"
    assert candidate.date_of_birth == date(1990, 9, 2)
    assert candidate.unit == tree["ward1"]
    assert candidate.stage == Stage.SOURCE
    assert messages_of(response) == ["Changes to Nguyễn Đức Toàn saved."]


def test_edit_refuses_the_citizen_id_of_another_candidate(organiser_client, tree):
    CandidateFactory(unit=tree["ward3_cell"], citizen_id="093201004321")
    candidate = CandidateFactory(unit=tree["ward1_cell"], citizen_id="093201001111")
    response = english(organiser_client).post(
        edit_url(candidate), candidate_data(tree["ward1_cell"], citizen_id="093201004321")
    )
    assert response.status_code == 200
    assert response.context["form"].errors["citizen_id"] == [
        "This citizen ID is already registered in another unit; ask the Organisation Board."
    ]
    candidate.refresh_from_db()
    assert candidate.citizen_id == "093201001111"


def test_edit_refuses_moving_the_candidate_out_of_the_subtree(organiser_client, tree):
    candidate = CandidateFactory(unit=tree["ward1_cell"])
    response = organiser_client.post(edit_url(candidate), candidate_data(tree["other_cell"]))
    assert response.status_code == 200
    assert "unit" in response.context["form"].errors
    candidate.refresh_from_db()
    assert candidate.unit == tree["ward1_cell"]


def test_edit_refuses_a_birth_date_in_the_future(organiser_client, tree):
    candidate = CandidateFactory(unit=tree["ward1_cell"], date_of_birth=date(1995, 5, 20))
    response = organiser_client.post(
        edit_url(candidate), candidate_data(tree["ward1_cell"], date_of_birth="01/01/2099")
    )
    assert "date_of_birth" in response.context["form"].errors
    candidate.refresh_from_db()
    assert candidate.date_of_birth == date(1995, 5, 20)


def test_edit_cannot_change_the_stage(organiser_client, tree):
    candidate = CandidateFactory(unit=tree["ward1_cell"], stage=Stage.SOURCE)
    organiser_client.post(
        edit_url(candidate), candidate_data(tree["ward1_cell"], stage=Stage.ADMITTED)
    )
    candidate.refresh_from_db()
    assert candidate.stage == Stage.SOURCE


def test_a_user_attached_to_no_unit_sees_no_stage_counts(tree):
    # The kept counts of the one root unit would be the whole tree's: none of theirs.
    CandidateFactory(unit=tree["ward1_cell"], stage=Stage.SOURCE)
    client = Client()
    client.force_login(UserFactory(username="nobody", unit=None, role=User.Role.ORGANISER))
    response = client.get(reverse("recruitment:candidate-list"))
    assert response.status_code == 200
    assert [count for _stage, _label, count in response.context["stage_counts"]] == [0] * len(Stage)


def test_a_person_left_in_a_unit_a_reorganisation_closed_can_still_be_edited(
    organiser_client, tree
):
    """A reorganisation leaves the recognised and the withdrawn in the unit it closes: their
    record's own unit stays a choice, so a phone number can still be corrected."""
    cell = tree["ward1_cell"]
    candidate = CandidateFactory(unit=cell, stage=Stage.WITHDRAWN, full_name="Nguyễn Văn An")
    Organisation.objects.filter(pk=cell.pk).update(active=False)
    response = organiser_client.post(
        edit_url(candidate), candidate_data(cell, phone="0901234567", version=candidate.version)
    )
    assert response.status_code == 302, response.context["form"].errors
    candidate.refresh_from_db()
    assert candidate.phone == "0901234567"
    # A new candidate is not put in it.
    response = organiser_client.post(reverse("recruitment:candidate-create"), candidate_data(cell))
    assert response.status_code == 200 and "unit" in response.context["form"].errors


@pytest.mark.parametrize("sort", ["stage", "-unit", "since"])
def test_a_sorted_candidate_list_breaks_ties_by_name_then_id(organiser_client, tree, sort):
    """Thousands of candidates share a stage or a unit: without a last key PostgreSQL may
    put tied rows in another order on each page, repeating or skipping some."""
    response = organiser_client.get(reverse("recruitment:candidate-list"), {"sort": sort})
    assert response.context["filter"].qs.query.order_by[-2:] == ("search_name", "pk")


def test_pages_that_only_read_open_no_transaction_and_a_form_sent_does(
    organiser_client, staff_client, tree
):
    """Reads answer outside a transaction (``read_only``: no BEGIN and COMMIT per page);
    a form sent is saved in one (``ATOMIC_REQUESTS``). Inside a test's own transaction,
    the request's shows as a savepoint."""
    candidate = CandidateFactory(unit=tree["ward1_cell"], citizen_id="093201004321")
    with CaptureQueriesContext(connection) as reads:
        for client, url in [
            (organiser_client, LIST_URL),
            (organiser_client, detail_url(candidate)),
            (staff_client, reverse("recruitment:dashboard")),
        ]:
            assert client.get(url).status_code == 200
    assert not [q["sql"] for q in reads if "SAVEPOINT" in q["sql"]]
    with CaptureQueriesContext(connection) as write:
        response = organiser_client.post(
            edit_url(candidate),
            candidate_data(
                tree["ward1"],
                full_name="Nguyễn Đức Toàn",
                date_of_birth="02/09/1990",
                citizen_id="093201004321",
            ),
        )
    assert response.status_code == 302
    assert [q["sql"] for q in write if q["sql"].startswith("SAVEPOINT")]
