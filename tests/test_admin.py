"""Django admin: every model's pages open, run a bounded number of queries, and move stages
through the pipeline module."""

from datetime import date

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from recruitment import pipeline
from recruitment.models import (
    Candidate,
    Enrolment,
    Organisation,
    PartyMember,
    Quota,
    Sponsorship,
    Stage,
    StageChange,
    TrainingClass,
)
from tests.factories import (
    CandidateFactory,
    PartyMemberFactory,
    QuotaFactory,
    TrainingClassFactory,
    on_today,
    ready_for,
)
from tests.helpers import admin_deletes, english, messages_of

pytestmark = pytest.mark.django_db

MODELS = [Organisation, Candidate, PartyMember, TrainingClass, Enrolment, Quota, StageChange]


def fill(tree, n, start=0):
    """``n`` rows of every model, spread over the tree."""
    for i in range(start, start + n):
        unit = tree["ward1_cell"] if i % 2 else tree["ward3_cell"]
        candidate = ready_for(Stage.TRAINED, unit)
        StageChange.objects.create(candidate=candidate, to_stage=Stage.SOURCE)
        QuotaFactory(unit=unit, year=2000 + i)


def queries_for(client, url):
    # The process keeps content types once read; whether an earlier test in this worker read
    # them must not change the count.
    ContentType.objects.clear_cache()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_changelist_query_count_does_not_grow_with_rows(tree, admin_client_, model):
    url = reverse(f"admin:recruitment_{model._meta.model_name}_changelist")
    fill(tree, 3)
    few = queries_for(admin_client_, url)
    fill(tree, 12, start=3)
    many = queries_for(admin_client_, url)
    assert many == few
    assert few <= 20


def test_a_search_counts_fewer_matches_than_the_whole_list(tree, staff_client, monkeypatch):
    """Change lists count up to ``ADMIN_COUNT_LIMIT`` rows, a search up to
    ``ADMIN_SEARCH_COUNT_LIMIT`` (a national search of a common name spent 151 ms counting)."""
    from recruitment import admin as recruitment_admin

    monkeypatch.setattr(recruitment_admin, "ADMIN_COUNT_LIMIT", 4)
    monkeypatch.setattr(recruitment_admin, "ADMIN_SEARCH_COUNT_LIMIT", 2)
    for n in range(6):
        CandidateFactory(unit=tree["ward1_cell"], full_name=f"Nguyễn Văn Số {n}")
    url = reverse("admin:recruitment_candidate_changelist")
    assert staff_client.get(url).context["cl"].result_count == 5  # 4 + 1: "more than 4"
    found = staff_client.get(url, {"q": "nguyen van"}).context["cl"]
    assert found.result_count == 3  # 2 + 1
    assert len(found.result_list) == 6  # every match is still listed, on its pages


def test_a_search_reads_its_ids_once_to_count_and_page_them(tree, staff_client, monkeypatch):
    """A search reads the ids of its first matches in the list's order (counting them at the
    same time), then each page's rows by id: the trigram index is read once per page, not
    once to count and again for the rows."""
    from django.contrib import admin

    monkeypatch.setattr(admin.site.get_model_admin(Candidate), "list_per_page", 2)
    for name in ["Nguyễn Văn E", "Nguyễn Văn B", "Nguyễn Văn D", "Nguyễn Văn A", "Nguyễn Văn C"]:
        CandidateFactory(unit=tree["ward1_cell"], full_name=name)
    CandidateFactory(unit=tree["other_ward"], full_name="Nguyễn Văn Khác")  # not Charlie's
    CandidateFactory(unit=tree["ward1_cell"], full_name="Trần Thị F")
    url = reverse("admin:recruitment_candidate_changelist")
    pages = []
    for page in (1, 2, 3):
        with CaptureQueriesContext(connection) as queries:
            cl = staff_client.get(url, {"q": "nguyen van", "p": page}).context["cl"]
        pages.append([c.full_name[-1] for c in cl.result_list])
        assert cl.result_count == 5
        searches = [q["sql"] for q in queries if "LIKE" in q["sql"] and "candidate" in q["sql"]]
        scans = [sql for sql in searches if '"recruitment_candidate"."id" IN (' not in sql]
        assert len(searches) == 2, searches  # the ids, then the page's rows by id
        assert len(scans) == 1 and "COUNT(" not in scans[0], scans
    assert pages == [["A", "B"], ["C", "D"], ["E"]]


@pytest.mark.parametrize(
    "model", [m for m in MODELS if m is not StageChange], ids=lambda m: m.__name__
)
def test_add_page_opens_with_bounded_queries(tree, admin_client_, model):
    fill(tree, 3)
    url = reverse(f"admin:recruitment_{model._meta.model_name}_add")
    assert queries_for(admin_client_, url) <= 20


def test_candidate_change_page_has_bounded_queries(tree, admin_client_):
    candidate = ready_for(Stage.DOSSIER, tree["ward1_cell"])
    url = reverse("admin:recruitment_candidate_change", args=[candidate.pk])
    few = queries_for(admin_client_, url)
    for _ in range(5):
        Sponsorship.objects.create(
            candidate=candidate, member=PartyMemberFactory(unit=candidate.unit), role="mentor"
        )
        Enrolment.objects.create(
            candidate=candidate, training_class=TrainingClassFactory(unit=candidate.unit)
        )
        StageChange.objects.create(candidate=candidate, to_stage=Stage.SOURCE)
    assert queries_for(admin_client_, url) == few


def test_search_ignores_diacritics(tree, admin_client_):
    CandidateFactory(full_name="Nguyễn Đức Toàn", unit=tree["ward1_cell"])
    CandidateFactory(full_name="Phan Đức Trọng", unit=tree["ward1_cell"])
    response = admin_client_.get(
        reverse("admin:recruitment_candidate_changelist"), {"q": "nguyen duc toan"}
    )
    assert "Nguyễn Đức Toàn" in response.text and "Phan Đức Trọng" not in response.text


def test_stage_filter_and_year_filter(tree, admin_client_):
    CandidateFactory(full_name="Đã kết nạp", unit=tree["ward1_cell"], stage=Stage.ADMITTED,
                     decision_on=date(2021, 6, 1))  # fmt: skip
    CandidateFactory(full_name="Chưa kết nạp", unit=tree["ward1_cell"])
    url = reverse("admin:recruitment_candidate_changelist")
    response = admin_client_.get(url, {"stage__exact": "admitted", "year": "2021"})
    assert "Đã kết nạp" in response.text and "Chưa kết nạp" not in response.text


def candidate_form_data(candidate, **extra):
    data = {
        field.name: getattr(candidate, field.attname) or ""
        for field in Candidate._meta.concrete_fields
        if field.editable and field.name not in {"id", "stage", "stage_since"}
    }
    data = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in data.items()}
    for flag in ["youth_union_member", "private_enterprise", "works_away"]:
        if not data[flag]:
            data.pop(flag)
    for prefix in ["sponsorships", "enrolments", "stage_changes"]:
        data.update({f"{prefix}-TOTAL_FORMS": 0, f"{prefix}-INITIAL_FORMS": 0})
    data.update(extra)
    return data


def test_admin_move_goes_through_the_pipeline(tree, admin_client_):
    candidate = ready_for(Stage.DOSSIER, tree["ward1_cell"])
    Sponsorship.objects.filter(candidate=candidate).delete()  # mentor + introducers gone
    url = reverse("admin:recruitment_candidate_change", args=[candidate.pk])
    response = admin_client_.post(url, candidate_form_data(candidate, move_to="dossier"))
    assert response.status_code == 200  # re-rendered with the rules, no traceback
    assert "official introducers" in response.text or "giới thiệu" in response.text
    candidate.refresh_from_db()
    assert candidate.stage == Stage.TRAINED


@on_today
def test_admin_move_allowed(tree, admin_client_):
    candidate = ready_for(Stage.DOSSIER, tree["ward1_cell"])
    url = reverse("admin:recruitment_candidate_change", args=[candidate.pk])
    response = admin_client_.post(url, candidate_form_data(candidate, move_to="dossier"))
    assert response.status_code == 302
    candidate.refresh_from_db()
    assert candidate.stage == Stage.DOSSIER
    assert StageChange.objects.get(candidate=candidate).to_stage == Stage.DOSSIER


@on_today
def test_a_move_that_the_inlines_saved_with_it_break_undoes_the_whole_save(tree, admin_client_):
    """The form checks the move against the stored introducers; one ended on the same page
    breaks it once the inlines are saved: nothing of that save is kept, and it says why."""
    candidate = ready_for(Stage.DOSSIER, tree["ward1_cell"])
    rows = list(candidate.sponsorships.order_by("pk"))
    introducer = next(s for s in rows if s.role == Sponsorship.Role.INTRODUCER)
    data = candidate_form_data(candidate, phone="0909000111", move_to="dossier")
    data.update({"sponsorships-TOTAL_FORMS": len(rows), "sponsorships-INITIAL_FORMS": len(rows)})
    for i, row in enumerate(rows):
        known = row.known_since.isoformat() if row.known_since else ""
        ended = "2026-06-01" if row.pk == introducer.pk else ""
        fields = {
            "id": row.pk,
            "candidate": candidate.pk,
            "role": row.role,
            "member": row.member_id,
            "assigned_on": row.assigned_on.isoformat(),
            "known_since": known,
            "reference": row.reference,
            "ended_on": ended,
        }
        data.update({f"sponsorships-{i}-{name}": value for name, value in fields.items()})
    url = reverse("admin:recruitment_candidate_change", args=[candidate.pk])
    response = english(admin_client_).post(url, data)
    assert response.status_code == 302 and response.url == url
    shown = messages_of(response)
    assert any("Nothing was saved" in m for m in shown)
    assert not any("successfully" in m for m in shown)
    candidate.refresh_from_db()
    assert (candidate.stage, candidate.phone) == (Stage.TRAINED, "")
    assert Sponsorship.objects.get(pk=introducer.pk).ended_on is None


def test_admin_action_reports_refusals_as_messages(tree, admin_client_, admin_user):
    ok = ready_for(Stage.TRAINING, tree["ward1_cell"])
    stuck = CandidateFactory(unit=tree["ward1_cell"])
    response = admin_client_.post(
        reverse("admin:recruitment_candidate_changelist"),
        {"action": "move_to_next_stage", "_selected_action": [ok.pk, stuck.pk]},
    )
    assert response.status_code == 302
    texts = messages_of(response)
    assert len(texts) == 2 and any(stuck.full_name in t for t in texts)
    ok.refresh_from_db()
    stuck.refresh_from_db()
    assert (ok.stage, stuck.stage) == (Stage.TRAINING, Stage.SOURCE)
    # Those with no next stage are said too, not passed over in silence.
    done = CandidateFactory(unit=tree["ward1_cell"], stage=Stage.WITHDRAWN)
    response = english(admin_client_).post(
        reverse("admin:recruitment_candidate_changelist"),
        {"action": "move_to_next_stage", "_selected_action": [done.pk]},
    )
    assert messages_of(response)[-1] == (
        "1 candidate has no next stage (recognised, or out of the pipeline): not moved."
    )


def test_unit_changelist_query_count_does_not_grow_with_units(tree, admin_client_):
    from tests.factories import add_unit

    url = reverse("admin:recruitment_organisation_changelist")
    few = queries_for(admin_client_, url)
    for n in range(10):
        add_unit(tree["ward1"], f"VT-P1-X{n}")
    assert queries_for(admin_client_, url) == few


def test_adding_a_unit_in_the_admin_puts_it_under_the_chosen_parent(tree, admin_client_):
    data = {"name": "Chi bộ Khu vực 4", "code": "VT-P1-KV4", "kind": "cell", "active": "on"}
    data |= {"treebeard_position": "first-child", "treebeard_ref_node": tree["ward1"].pk}
    response = admin_client_.post(reverse("admin:recruitment_organisation_add"), data)
    assert response.status_code == 302
    unit = Organisation.objects.get(code="VT-P1-KV4")
    assert Organisation.objects.get_parent(unit) == tree["ward1"]
    assert Organisation.objects.get(pk=tree["ward1"].pk).numchild == 2


def test_adding_a_candidate_in_the_admin_starts_its_stage_history(tree, admin_client_):
    data = {
        "full_name": "Thêm Từ Admin",
        "date_of_birth": "1995-05-20",
        "gender": "male",
        "ethnicity": "Kinh",
        "unit": tree["ward1_cell"].pk,
        "source": "association",
        "education": "upper_secondary",
    }
    for prefix in ["sponsorships", "enrolments", "stage_changes"]:
        data.update({f"{prefix}-TOTAL_FORMS": 0, f"{prefix}-INITIAL_FORMS": 0})
    response = admin_client_.post(reverse("admin:recruitment_candidate_add"), data)
    assert response.status_code == 302
    candidate = Candidate.objects.get(full_name="Thêm Từ Admin")
    assert [(c.from_stage, c.to_stage) for c in candidate.stage_changes.all()] == [("", "source")]


def test_the_admin_refuses_a_number_another_table_holds(tree, admin_client_):
    PartyMemberFactory(unit=tree["ward3_cell"], citizen_id="093201004321")
    data = {
        "full_name": "Thêm Từ Admin",
        "date_of_birth": "1995-05-20",
        "gender": "male",
        "ethnicity": "Kinh",
        "unit": tree["ward1_cell"].pk,
        "source": "association",
        "education": "upper_secondary",
        "citizen_id": "093201004321",
    }
    for prefix in ["sponsorships", "enrolments", "stage_changes"]:
        data.update({f"{prefix}-TOTAL_FORMS": 0, f"{prefix}-INITIAL_FORMS": 0})
    admin_client_.cookies["django_language"] = "en"
    response = admin_client_.post(reverse("admin:recruitment_candidate_add"), data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["citizen_id"] == [
        "This citizen ID is already registered in another unit; ask the Organisation Board."
    ]
    assert not Candidate.objects.filter(full_name="Thêm Từ Admin").exists()


def staff_admin(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def test_staff_add_a_local_day_off_for_a_unit_of_their_subtree_only(tree, staff):
    from recruitment.models import Holiday

    client = staff_admin(staff)
    add = reverse("admin:recruitment_holiday_add")
    response = client.post(add, {"day": "2030-01-10", "name": "Không đơn vị"})
    assert response.status_code == 200 and not Holiday.objects.filter(name="Không đơn vị").exists()
    other = {"day": "2030-01-10", "name": "Nghỉ của Ngã Bảy", "unit": tree["other_city"].pk}
    response = client.post(add, other)
    assert response.status_code == 200 and not Holiday.objects.filter(unit=tree["other_city"])
    client.post(add, {"day": "2030-01-10", "name": "Nghỉ của phường", "unit": tree["ward1"].pk})
    assert Holiday.objects.filter(name="Nghỉ của phường", unit=tree["ward1"]).exists()


def test_staff_cannot_change_a_class_run_above_their_unit(tree, staff):
    above = TrainingClassFactory(unit=tree["province"], title="Lớp của tỉnh")
    client = staff_admin(staff)
    url = reverse("admin:recruitment_trainingclass_change", args=[above.pk])
    data = {
        "title": "Đổi tên",
        "unit": tree["city"].pk,
        "starts_on": "2026-01-05",
        "ends_on": "2026-01-16",
        "enrolments-TOTAL_FORMS": 0,
        "enrolments-INITIAL_FORMS": 0,
    }
    assert client.post(url, data).status_code == 403
    above.refresh_from_db()
    assert (above.title, above.unit) == ("Lớp của tỉnh", tree["province"])


def test_staff_cannot_set_their_own_units_quota_in_the_admin(tree, staff):
    own = QuotaFactory(unit=tree["city"], year=2021, target=43)
    client = staff_admin(staff)
    url = reverse("admin:recruitment_quota_change", args=[own.pk])
    assert (
        client.post(url, {"unit": tree["city"].pk, "year": 2021, "target": 99}).status_code == 403
    )
    response = client.post(
        reverse("admin:recruitment_quota_add"), {"unit": tree["city"].pk, "year": 2022, "target": 5}
    )
    assert response.status_code == 200
    assert (
        Quota.objects.get(pk=own.pk).target == 43 and not Quota.objects.filter(year=2022).exists()
    )


def test_the_quota_list_shows_the_latest_year_first_the_newest_set_first(tree, staff):
    """From an index (``quota_year_newest``): by the units' paths, PostgreSQL sorted every
    quota in scope, 0.7 s for 1.5 million nationally."""
    older = QuotaFactory(unit=tree["ward3"], year=2021, target=3)
    first = QuotaFactory(unit=tree["ward1"], year=2022, target=4)
    then = QuotaFactory(unit=tree["ward3"], year=2022, target=5)  # after Ward I by path
    response = staff_admin(staff).get(reverse("admin:recruitment_quota_changelist"))
    assert list(response.context["cl"].result_list) == [then, first, older]
    index = next(i for i in Quota._meta.indexes if i.name == "quota_year_newest")
    assert index.fields == ["-year", "-id"]


def test_search_is_the_lists_the_words_of_a_name_or_an_id_number(tree, admin_client_):
    # The candidate list's search: every word of the name in any order (diacritics
    # ignored; the middle name may be left out), or an ID number.
    toan = CandidateFactory(full_name="Nguyễn Đức Toàn", unit=tree["ward1_cell"],
                            citizen_id="079123456789")  # fmt: skip
    url = reverse("admin:recruitment_candidate_changelist")
    found = admin_client_.get(url, {"q": "duc toan"})
    assert [c.pk for c in found.context["cl"].result_list] == [toan.pk]
    assert admin_client_.get(url, {"q": "079123456789"}).context["cl"].result_list[0] == toan
    for typed in ("toan nguyen", "nguyen toan"):
        assert list(admin_client_.get(url, {"q": typed}).context["cl"].result_list) == [toan]
    assert list(admin_client_.get(url, {"q": "nguyen van"}).context["cl"].result_list) == []


def test_the_admin_attaches_sponsors_by_the_candidate_pages_rules(staff_client, tree):
    """A probationary member as introducer, without "known since": refused in the admin as
    on the candidate page; an official member with the date is attached."""
    candidate = CandidateFactory(unit=tree["ward1_cell"])
    probationary = PartyMemberFactory(
        unit=tree["ward1_cell"], admitted_on=date(2025, 1, 1), official_on=None
    )
    official = PartyMemberFactory(unit=tree["ward1_cell"])
    add = reverse("admin:recruitment_sponsorship_add")
    data = {
        "candidate": candidate.pk,
        "member": probationary.pk,
        "role": Sponsorship.Role.INTRODUCER,
        "assigned_on": "2026-01-05",
        "known_since": "",
        "reference": "",
    }
    response = english(staff_client).post(add, data)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "is not one" in errors["member"][0]
    assert errors["known_since"] == [
        "Say since when the introducer has worked or lived with the candidate."
    ]
    assert not Sponsorship.objects.exists()
    data.update(member=official.pk, known_since="2020-01-01")
    assert staff_client.post(add, data).status_code == 302
    assert Sponsorship.objects.get().member == official


@on_today
def test_no_one_deletes_stage_history_in_the_admin(tree, admin_client_):
    """The audit trail of moves, from which the trained cohorts are counted: deleting an
    entry left the kept counts disagreeing with a recount."""
    from recruitment import rollups

    candidate = ready_for(Stage.TRAINED, tree["ward1_cell"])
    pipeline.move(candidate, Stage.TRAINED)
    change = StageChange.objects.get(candidate=candidate, to_stage=Stage.TRAINED)
    delete = reverse("admin:recruitment_stagechange_delete", args=[change.pk])
    assert admin_client_.post(delete, {"post": "yes"}).status_code == 403
    changelist = reverse("admin:recruitment_stagechange_changelist")
    data = {"action": "delete_selected", "_selected_action": [change.pk], "post": "yes"}
    admin_client_.post(changelist, data)
    assert StageChange.objects.filter(pk=change.pk).exists()
    assert rollups.differences() == []


def test_the_admin_puts_no_candidate_in_a_closed_unit(tree, staff_client):
    cell = tree["ward1_cell"]
    Organisation.objects.filter(pk=cell.pk).update(active=False)
    add = reverse("admin:recruitment_candidate_add")
    data = {
        "full_name": "Trần Thị Mới",
        "date_of_birth": "1995-05-20",
        "gender": "female",
        "ethnicity": "Kinh",
        "unit": cell.pk,
        "source": "association",
        "education": "upper_secondary",
    }
    for prefix in ["sponsorships", "enrolments", "stage_changes"]:
        data.update({f"{prefix}-TOTAL_FORMS": 0, f"{prefix}-INITIAL_FORMS": 0})
    response = english(staff_client).post(add, data)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors["unit"] == [f"{cell.name} is no longer open: choose the unit that continues it."]
    assert not Candidate.objects.exists()
    Organisation.objects.filter(pk=cell.pk).update(active=True)  # the same form, open unit
    response = staff_client.post(add, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Candidate.objects.get().unit == cell


@on_today
def test_the_admin_deletes_no_pass_a_candidate_moved_on_with(tree, admin_client_):
    """Deleted, it left a candidate in "dossier" without a certificate; the class results
    page refuses to take such a pass back too. Refused as Django refuses a protected row."""
    candidate = ready_for(Stage.DOSSIER, tree["ward1_cell"])
    pipeline.move(candidate, Stage.DOSSIER)
    enrolment = candidate.enrolments.get(result=Enrolment.Result.PASSED)
    assert "has moved on with this pass" in admin_deletes(admin_client_, enrolment)
    klass = reverse("admin:recruitment_trainingclass_delete", args=[enrolment.training_class_id])
    admin_client_.post(klass, {"post": "yes"})
    assert Enrolment.objects.filter(pk=enrolment.pk).exists()
    # Nor ticked for deletion on the class's page.
    klass = enrolment.training_class
    change = reverse("admin:recruitment_trainingclass_change", args=[klass.pk])
    data = {
        "title": klass.title,
        "unit": klass.unit_id,
        "starts_on": klass.starts_on.isoformat(),
        "ends_on": klass.ends_on.isoformat(),
        "place": klass.place,
        "enrolments-TOTAL_FORMS": 1,
        "enrolments-INITIAL_FORMS": 1,
        "enrolments-0-id": enrolment.pk,
        "enrolments-0-training_class": klass.pk,
        "enrolments-0-candidate": candidate.pk,
        "enrolments-0-result": enrolment.result,
        "enrolments-0-certificate_number": enrolment.certificate_number,
        "enrolments-0-certificate_on": enrolment.certificate_on.isoformat(),
        "enrolments-0-DELETE": "on",
    }
    response = english(admin_client_).post(change, data)
    assert response.status_code == 200
    assert "has moved on with this pass" in response.text
    assert Enrolment.objects.filter(pk=enrolment.pk).exists()


def test_an_untouched_sponsor_row_is_not_judged_again(tree):
    """Saving a candidate's admin page re-validates every inline row: an old introducer
    recorded without "known since" must not block a save that does not touch it."""
    from django.forms.models import model_to_dict, modelform_factory

    from recruitment.admin import SponsorshipAdminForm as Base

    fields = ["candidate", "role", "member", "assigned_on", "known_since", "reference"]
    SponsorshipAdminForm = modelform_factory(Sponsorship, form=Base, fields=fields)

    candidate = CandidateFactory(unit=tree["ward1_cell"])
    old = Sponsorship.objects.create(
        candidate=candidate,
        member=PartyMemberFactory(unit=tree["ward1_cell"]),
        role=Sponsorship.Role.INTRODUCER,
    )
    data = {k: v for k, v in model_to_dict(old, fields=fields).items() if v is not None}
    data["initial-assigned_on"] = old.assigned_on  # as the page posts a callable default
    form = SponsorshipAdminForm(data=data, instance=old)
    assert form.is_valid(), form.errors
    changed = SponsorshipAdminForm(data={**data, "reference": "GT-1"}, instance=old)
    assert not changed.is_valid() and "known_since" in changed.errors


def as_shown(page) -> dict:
    """What a change page posts back when saved as it is shown: its form's and inlines'
    values."""
    forms = [page.context["adminform"].form]
    for inline in page.context["inline_admin_formsets"]:
        forms += [inline.formset.management_form, *inline.formset.forms]
    data = {}
    for form in forms:
        for name in form.fields:
            value = form[name].value()
            if value not in (None, False):
                data[form.add_prefix(name)] = "on" if value is True else value
    return data


@on_today
def test_the_admin_leaves_no_candidate_in_training_without_a_class(tree, admin_client_):
    """Moving into training needs an enrolment; deleting a candidate's last one in the admin
    left them "in training" in no class. Refused on every delete path of the admin; with a
    second class, the other one may go."""
    candidate = ready_for(Stage.TRAINING, tree["ward1_cell"])
    pipeline.move(candidate, Stage.TRAINING)
    enrolment = candidate.enrolments.get()
    page = admin_deletes(admin_client_, enrolment)
    assert "is in training: enrol them in another class" in page
    assert candidate.enrolments.filter(pk=enrolment.pk).exists()

    # On the candidate's page, both of two classes ticked: refused; one of them: deleted.
    second = Enrolment.objects.create(
        candidate=candidate, training_class=TrainingClassFactory(unit=tree["ward1_cell"])
    )
    change = reverse("admin:recruitment_candidate_change", args=[candidate.pk])
    data = as_shown(admin_client_.get(change))
    assert data["enrolments-TOTAL_FORMS"] == 2
    data.update({"enrolments-0-DELETE": "on", "enrolments-1-DELETE": "on"})
    response = english(admin_client_).post(change, data)
    assert response.status_code == 200
    assert "is in training: enrol them in another class" in response.text
    assert candidate.enrolments.count() == 2
    del data["enrolments-1-DELETE"]
    response = admin_client_.post(change, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert list(candidate.enrolments.all()) == [second]


def test_the_row_checkboxes_are_djangos_html_written_without_its_templates(tree):
    """Each scoped change list writes its rows' checkboxes itself (Django renders a widget's
    templates per row): the same HTML as Django's, in both languages, names escaped once."""
    from django.contrib import admin
    from django.utils import translation

    from recruitment.admin import ScopedAdminMixin

    candidate = CandidateFactory(unit=tree["ward1_cell"], full_name="Tên <b>\"Lạ\"</b> & 'x'")
    scoped = [a for a in admin.site._registry.values() if isinstance(a, ScopedAdminMixin)]
    assert type(admin.site._registry[Candidate]) in {type(a) for a in scoped}
    for language in ("vi", "en"):
        with translation.override(language):
            for model_admin in scoped:
                obj = candidate if model_admin.model is Candidate else tree["ward1"]
                ours = model_admin.action_checkbox(obj)
                assert ours == admin.ModelAdmin.action_checkbox(model_admin, obj)
    named = admin.site._registry[Candidate].action_checkbox(candidate)
    assert "&lt;b&gt;" in named and "&amp;lt;" not in named


def test_a_class_pages_enrolment_rows_lock_all_their_candidates_at_once_first(
    tree, admin_client_, monkeypatch
):
    """Locked row by row, in two rounds (ticked rows when judged, saved rows when saved),
    two pages saving the same class could each hold a candidate the other waits for: every
    row's candidate is locked in one call, in id order, before anything else locks one."""
    klass = TrainingClassFactory(unit=tree["ward1"])
    kept, ticked = (
        CandidateFactory(unit=tree["ward1_cell"], stage=Stage.TRAINING) for _ in range(2)
    )
    for candidate in (kept, ticked):
        Enrolment.objects.create(candidate=candidate, training_class=klass)
        Enrolment.objects.create(  # another class each: a ticked row may go
            candidate=candidate, training_class=TrainingClassFactory(unit=tree["ward1"])
        )
    change = reverse("admin:recruitment_trainingclass_change", args=[klass.pk])
    data = as_shown(admin_client_.get(change))
    row = next(
        i
        for i in range(data["enrolments-TOTAL_FORMS"])
        if data[f"enrolments-{i}-candidate"] == ticked.pk
    )
    data[f"enrolments-{row}-DELETE"] = "on"
    calls = []
    lock = pipeline.lock_candidates
    monkeypatch.setattr(
        pipeline, "lock_candidates", lambda pks, **kw: calls.append(set(pks)) or lock(pks, **kw)
    )
    response = admin_client_.post(change, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert calls[0] == {kept.pk, ticked.pk}
    assert list(klass.enrolments.values_list("candidate", flat=True)) == [kept.pk]


def test_the_actions_on_several_candidates_take_them_in_id_order(tree, admin_client_, monkeypatch):
    """Moving or deleting selected candidates locks each in turn: in id order, whatever the
    list's order (here by name, the reverse), so two admins acting on overlapping selections
    wait for each other instead of each holding a candidate the other needs."""
    selected = [
        CandidateFactory(unit=tree["ward1_cell"], full_name=name) for name in ("Chi", "Bình", "An")
    ]
    seen = []
    next_stage = pipeline.next_stage
    monkeypatch.setattr(pipeline, "next_stage", lambda c: seen.append(c.pk) or next_stage(c))
    changelist = reverse("admin:recruitment_candidate_changelist")
    action = {"_selected_action": [c.pk for c in selected], "o": "1"}  # by name
    admin_client_.post(changelist, {**action, "action": "move_to_next_stage"})
    assert seen == sorted(c.pk for c in selected)

    deleted = []
    delete = Candidate.delete
    monkeypatch.setattr(
        Candidate, "delete", lambda self, *a, **k: deleted.append(self.pk) or delete(self, *a, **k)
    )
    admin_client_.post(changelist, {**action, "action": "delete_selected", "post": "yes"})
    assert deleted == sorted(c.pk for c in selected)
    assert not Candidate.objects.filter(pk__in=deleted).exists()


def test_a_searched_lists_rows_link_as_djangos_without_resolving_each_row(
    tree, admin_client_, monkeypatch
):
    """The rows keep the search for the way back (``_changelist_filters``), as Django's own
    change list writes them, but their links are not resolved one by one
    (``RowLinksChangeList``)."""
    import re

    from django.contrib.admin.templatetags import admin_list, admin_urls
    from django.contrib.admin.views.main import ChangeList

    from recruitment.admin import CandidateAdmin
    from recruitment.templatetags import admin_rows

    for n in range(3):
        CandidateFactory(unit=tree["ward1_cell"], full_name=f"Nguyễn Văn Tìm {n}")
    url = reverse("admin:recruitment_candidate_changelist") + "?q=nguyen+van+tim&stage=source"
    rows = re.compile(r'<th class="field-full_name"><a href="([^"]+)"')
    resolved, resolve = [], admin_urls.resolve
    monkeypatch.setattr(admin_urls, "resolve", lambda path: resolved.append(path) or resolve(path))
    ours = rows.findall(admin_client_.get(url).content.decode())
    rows_resolved = [path for path in resolved if path.endswith("/change/")]
    assert len(ours) == 3 and rows_resolved == []
    # Django's change list and rows (admin_rows writes the links of either from the first).
    monkeypatch.setattr(CandidateAdmin, "get_changelist", lambda self, request: ChangeList)
    monkeypatch.setattr(admin_rows, "results", admin_list.results)
    assert rows.findall(admin_client_.get(url).content.decode()) == ours
    assert len([path for path in resolved if path.endswith("/change/")]) == 3
    assert all("?_changelist_filters=q%3Dnguyen%2Bvan%2Btim%26stage%3Dsource" in u for u in ours)
