"""The reorganisation pages: a staff member creates one, adds steps, previews, applies and
undoes it; outsiders learn nothing; users of a closed unit are told at sign-in."""

from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from recruitment.models import Organisation, Reorganisation, Stage
from recruitment.reports.figures import quota_figures
from tests.factories import CandidateFactory, QuotaFactory
from tests.helpers import english, messages_of
from tests.test_reorganisation import merge_wards

ON = date(2025, 7, 1)


@pytest.fixture
def draft(tree, staff):
    return Reorganisation.objects.create(
        title="Sắp xếp phường", effective_on=ON, document_reference="01-NQ", unit=staff.unit
    )


def merge_step(tree) -> dict:
    return {
        "kind": "merge",
        "units": [tree["ward1"].pk, tree["ward3"].pk],
        "new_code": "VT-PVT",
        "new_name": "Đảng bộ phường Vị Thanh",
        "new_kind": "committee",
        "parent": tree["city"].pk,
    }


def test_staff_create_a_draft_for_their_own_unit(staff_client, staff):
    response = staff_client.post(
        reverse("recruitment:reorganisation-create"),
        {"title": "Sắp xếp", "effective_on": "01/07/2025", "document_reference": "01-NQ"},
    )
    reorganisation = Reorganisation.objects.get()
    assert response.status_code == 302 and response.url == reorganisation.get_absolute_url()
    assert (reorganisation.unit, reorganisation.effective_on) == (staff.unit, ON)
    assert reorganisation.status == Reorganisation.Status.DRAFT


def test_a_bad_date_is_refused_in_words_and_nothing_is_saved(staff_client):
    response = english(staff_client).post(
        reverse("recruitment:reorganisation-create"),
        {"title": "Sắp xếp", "effective_on": "31/02/2025", "document_reference": "01"},
    )
    assert response.status_code == 200
    assert "Enter a date as dd/mm/yyyy." in response.content.decode()
    assert not Reorganisation.objects.exists()


def test_staff_add_a_step_preview_it_apply_and_undo(tree, draft, staff_client, organiser):
    CandidateFactory(unit=tree["ward1_cell"], stage=Stage.SOURCE)
    QuotaFactory(unit=tree["ward1"], year=2025, target=3)
    QuotaFactory(unit=tree["ward3"], year=2025, target=2)
    url = draft.get_absolute_url()
    response = staff_client.post(
        reverse("recruitment:reorganisation-step-add", args=[draft.pk]), merge_step(tree)
    )
    assert response.status_code == 302
    assert draft.steps.get().params["sources"] == ["VT-P1", "VT-P3"]

    page = staff_client.get(url)
    preview = "\n".join(line for _n, lines in page.context["effects"] for line in lines)
    assert "VT-PVT" in preview and "(VT-P1 3 + VT-P3 2)" in preview
    assert not Organisation.objects.filter(code="VT-PVT").exists()  # a preview saves nothing

    response = staff_client.post(reverse("recruitment:reorganisation-apply", args=[draft.pk]))
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == Reorganisation.Status.APPLIED
    organiser.refresh_from_db()
    assert organiser.unit.code == "VT-PVT"

    response = staff_client.post(reverse("recruitment:reorganisation-undo", args=[draft.pk]))
    draft.refresh_from_db()
    organiser.refresh_from_db()
    assert draft.status == Reorganisation.Status.UNDONE
    assert organiser.unit == tree["ward1"]
    assert not Organisation.objects.filter(code="VT-PVT").exists()


def test_a_step_naming_units_outside_the_pickers_is_refused(tree, draft, staff_client):
    step = {**merge_step(tree), "units": [tree["other_ward"].pk]}
    response = english(staff_client).post(
        reverse("recruitment:reorganisation-step-add", args=[draft.pk]), step
    )
    assert response.status_code == 200  # the page again, with the step as it was typed
    assert any("valid choice" in e for e in response.context["step_form"].errors["units"])
    assert not draft.steps.exists()


def test_the_pickers_show_the_units_open_on_the_effective_date(tree, draft, staff_client):
    Organisation.objects.filter(pk=tree["ward3"].pk).update(closed_on=date(2024, 1, 1))
    form = staff_client.get(draft.get_absolute_url()).context["step_form"]
    codes = set(form.fields["units"].queryset.values_list("code", flat=True))
    assert "VT-P1" in codes and "VT-P3" not in codes and "NB" not in codes


def test_outsiders_get_404_and_organisers_403(draft, other_staff_client, organiser_client):
    url = draft.get_absolute_url()
    assert other_staff_client.get(url).status_code == 404
    assert organiser_client.get(url).status_code == 403
    apply = reverse("recruitment:reorganisation-apply", args=[draft.pk])
    assert other_staff_client.post(apply).status_code == 404
    draft.refresh_from_db()
    assert draft.status == Reorganisation.Status.DRAFT


def test_the_list_shows_only_the_users_reorganisations(draft, staff_client, other_staff_client):
    assert list(staff_client.get(reverse("recruitment:reorganisation-list")).context[
        "reorganisations"]) == [draft]  # fmt: skip
    assert not other_staff_client.get(reverse("recruitment:reorganisation-list")).context[
        "reorganisations"]  # fmt: skip


def test_a_user_whose_unit_closed_is_told_at_sign_in_where_they_now_are(
    tree, draft, staff_client, organiser
):
    staff_client.post(
        reverse("recruitment:reorganisation-step-add", args=[draft.pk]), merge_step(tree)
    )
    staff_client.post(reverse("recruitment:reorganisation-apply", args=[draft.pk]))
    client = english(Client())
    credentials = {"username": organiser.username, "password": "pw"}
    response = client.post(reverse("accounts:login"), credentials, follow=True)
    told = "Đảng bộ Phường I closed on 01/07/2025 (01-NQ): you now work in Đảng bộ phường Vị Thanh."
    assert told in response.content.decode()
    client.post(reverse("accounts:logout"), follow=True)
    again = client.post(reverse("accounts:login"), credentials, follow=True)
    assert again.status_code == 200
    assert "you now work in" not in again.content.decode()  # told once


def test_a_successors_dashboard_shows_its_predecessors_line(tree, staff_client, staff):
    from recruitment.reorganisation.services import apply_reorganisation
    from tests.test_reorganisation import admitted

    admitted(tree["ward1_cell"], decided=date(2024, 5, 2))
    admitted(tree["ward3_cell"], decided=date(2024, 8, 2))
    apply_reorganisation(reorganisation=merge_wards(unit=staff.unit), by=staff)
    new = Organisation.objects.get(code="VT-PVT")
    response = english(staff_client).get(
        reverse("recruitment:dashboard"), {"unit": new.pk, "year": 2025}
    )
    assert response.context["lineage"].lines == [(2024, 2), (2025, 0)]
    assert "Predecessors, 2024: 2 admitted" in response.content.decode()
    old = english(staff_client).get(
        reverse("recruitment:dashboard"), {"unit": tree["ward1"].pk, "year": 2024}
    )
    assert "Continued by: Đảng bộ phường Vị Thanh" in old.content.decode()


def test_a_merged_wards_draft_quota_is_marked_until_staff_confirm_it(tree, staff_client, staff):
    from recruitment.models import Quota
    from recruitment.reorganisation.services import apply_reorganisation
    from tests.test_quotas_view import formset_data

    QuotaFactory(unit=tree["ward1"], year=2026, target=3)
    QuotaFactory(unit=tree["ward3"], year=2026, target=2)
    apply_reorganisation(reorganisation=merge_wards(unit=staff.unit), by=staff)
    new = Organisation.objects.get(code="VT-PVT")
    url = f"{reverse('recruitment:quota-list')}?unit={tree['city'].pk}&year=2026"
    page = staff_client.get(url)
    # 2026's table has the new ward only, its quota a draft of 3 + 2.
    assert [u.code for u in page.context["children"]] == ["VT-PVT"]
    assert page.context["drafts"] == {new.pk}
    assert 'class="badge text-bg-warning quota-draft"' in page.content.decode()
    staff_client.post(url, formset_data([(new, 5)]))
    quota = Quota.objects.get(unit=new, year=2026)
    assert (quota.target, quota.draft) == (5, False)


def test_a_past_admission_is_recorded_in_the_unit_of_its_date(tree, staff_client, staff):
    """After Ward I is merged away, its 2019 admissions are still recorded in its cell; a
    candidate still on the way cannot be put in a closed unit."""
    from recruitment.models import Candidate
    from recruitment.reorganisation.services import apply_reorganisation
    from tests.test_paper_records import RECORD_URL, paper_record

    apply_reorganisation(reorganisation=merge_wards(unit=staff.unit), by=staff)
    old_cell = tree["ward1_cell"]
    form = staff_client.get(RECORD_URL).context["form"]
    assert "(đã kết thúc 01/07/2025)" in dict(form.fields["unit"].choices)[old_cell.pk]
    response = staff_client.post(RECORD_URL, paper_record(old_cell))
    assert response.status_code == 302
    candidate = Candidate.objects.get(full_name="Lâm Thị Hồ Sơ")
    assert (candidate.unit, candidate.admitted_unit) == (old_cell, old_cell)
    assert quota_figures(Organisation.objects.get(pk=tree["ward1"].pk), 2019)[0].admitted == 1

    on_the_way = paper_record(old_cell, full_name="Lê Thị Đang Chờ", reached="trained")
    response = english(staff_client).post(RECORD_URL, on_the_way)
    assert response.status_code == 200
    assert "was not open on" in " ".join(response.context["form"].errors["unit"])
    assert not Candidate.objects.filter(full_name="Lê Thị Đang Chờ").exists()


def test_the_list_reads_in_a_fixed_number_of_queries(tree, staff, staff_client):
    def count() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            assert staff_client.get(reverse("recruitment:reorganisation-list")).status_code == 200
        return len(queries)

    Reorganisation.objects.create(
        title="1", effective_on=ON, document_reference="1", unit=staff.unit
    )
    one = count()
    for n in range(5):
        Reorganisation.objects.create(
            title=f"x{n}", effective_on=ON, document_reference="x", unit=staff.unit
        )
    assert count() == one


def test_the_lineage_of_a_unit_reads_in_a_few_queries(tree, staff, django_assert_num_queries):
    from recruitment.reorganisation.selectors import lineage
    from recruitment.reorganisation.services import apply_reorganisation

    apply_reorganisation(reorganisation=merge_wards(unit=staff.unit), by=staff)
    new = Organisation.objects.get(code="VT-PVT")
    # The units reorganisations link (one query: the tests keep nothing in the cache),
    # successions in and out (one), then for 2025 (the year before): predecessors, kept
    # counts.
    with django_assert_num_queries(1 + 1 + 2):
        found = lineage(new, 2026)
    assert [u.code for u in found.predecessors] == ["VT-P1", "VT-P3"]


def test_the_list_of_reorganisations_is_paged(staff, staff_client):
    for n in range(27):
        Reorganisation.objects.create(
            title=f"Sắp xếp {n:02d}", effective_on=ON, document_reference=f"{n}", unit=staff.unit
        )
    first = staff_client.get(reverse("recruitment:reorganisation-list"))
    second = staff_client.get(reverse("recruitment:reorganisation-list"), {"page": 2})
    assert len(first.context["reorganisations"]) == 25 and first.context["page_obj"].has_next
    assert len(second.context["reorganisations"]) == 2


def test_a_reorganisation_is_not_applied_before_it_takes_effect(tree, staff_client):
    """Applied early, it closed today's wards while this year's dashboard still reads
    today's tree: the city's figures lost them before the day."""
    later = timezone.localdate() + timedelta(days=30)
    draft = Reorganisation.objects.create(
        title="Sắp xếp năm sau", effective_on=later, document_reference="02-NQ", unit=tree["city"]
    )
    staff_client.post(
        reverse("recruitment:reorganisation-step-add", args=[draft.pk]), merge_step(tree)
    )
    response = english(staff_client).post(
        reverse("recruitment:reorganisation-apply", args=[draft.pk]), follow=True
    )
    assert messages_of(response)[-1] == (
        f"This reorganisation takes effect on {later:%d/%m/%Y}: apply it on or after that day."
    )
    draft.refresh_from_db()
    assert draft.status == Reorganisation.Status.DRAFT
    assert Organisation.objects.get(pk=tree["ward1"].pk).active


def test_a_drafts_steps_read_in_words_and_one_can_be_removed_or_the_draft_deleted(
    tree, draft, staff_client
):
    add = reverse("recruitment:reorganisation-step-add", args=[draft.pk])
    staff_client.post(add, merge_step(tree))
    staff_client.post(add, {"kind": "rename", "units": [tree["ward3"].pk], "new_name": "Phường Ba"})
    page = english(staff_client).get(draft.get_absolute_url()).content.decode()
    assert (
        "Merge Đảng bộ Phường I (VT-P1), Đảng bộ Phường III (VT-P3) into Đảng bộ phường Vị Thanh "
        "(VT-PVT), a new Grassroots committee under Đảng bộ thành phố Vị Thanh (VT)"
    ) in page
    assert "Rename Đảng bộ Phường III (VT-P3) “Phường Ba”" in page
    assert "{&#x27;" not in page and "'sources'" not in page  # no stored parameters
    first = draft.steps.get(position=1)
    remove = reverse("recruitment:reorganisation-step-remove", args=[draft.pk, first.pk])
    assert remove in page
    response = english(staff_client).post(remove, follow=True)
    assert messages_of(response) == ["Step 1 removed."]
    assert [(s.position, s.kind) for s in draft.steps.all()] == [(1, "rename")]
    delete = reverse("recruitment:reorganisation-delete", args=[draft.pk])
    response = english(staff_client).post(delete, follow=True)
    assert messages_of(response) == ["The draft “Sắp xếp phường” was deleted."]
    assert not Reorganisation.objects.exists()


def shown(form, name="units") -> list[int]:
    return [pk for pk, _label in form.fields[name].widget.choices if pk != ""]


def test_a_large_scopes_pickers_list_one_part_of_the_tree_typed_by_name(
    tree, draft, staff_client, monkeypatch
):
    """Nationally each picker was a select of 311,000 units. Past PICKED_AT_ONCE units the
    pickers list the top of the scope and two levels below it, or the unit typed in
    "Work within" and two levels below it; any unit of the scope is still accepted."""
    monkeypatch.setattr("recruitment.reorganisation.forms.PICKED_AT_ONCE", 3)
    page = english(staff_client).get(draft.get_absolute_url())
    form = page.context["step_form"]
    assert form.within == tree["city"]
    assert shown(form) == [tree["city"].pk, tree["ward1"].pk, tree["ward3"].pk]
    assert "The unit pickers below list" in page.text and 'id="within-form"' in page.text
    within = staff_client.get(draft.get_absolute_url(), {"within": tree["ward3"].pk})
    form = within.context["step_form"]
    assert shown(form) == [tree["ward3"].pk, tree["ward3_cell"].pk]
    assert shown(form, "parent") == shown(form)
    # Ward III is not shown on the first page: a step naming it is still taken.
    response = staff_client.post(
        reverse("recruitment:reorganisation-step-add", args=[draft.pk]), merge_step(tree)
    )
    assert response.status_code == 302
    assert draft.steps.get().params["sources"] == ["VT-P1", "VT-P3"]


def test_a_refused_step_shows_its_chosen_units_again_beyond_the_part_listed(
    tree, draft, staff_client, monkeypatch
):
    monkeypatch.setattr("recruitment.reorganisation.forms.PICKED_AT_ONCE", 3)
    step = {**merge_step(tree), "new_kind": ""}  # refused: the new unit's kind is missing
    response = staff_client.post(
        reverse("recruitment:reorganisation-step-add", args=[draft.pk]), step
    )
    assert response.status_code == 200
    assert tree["ward3"].pk in shown(response.context["step_form"])
    assert not draft.steps.exists()


def test_a_small_scopes_pickers_list_every_unit(tree, draft, staff_client):
    form = staff_client.get(draft.get_absolute_url()).context["step_form"]
    assert form.within is None
    assert len(shown(form)) == form.fields["units"].queryset.count() == 5


def test_a_cut_list_of_pickers_keeps_the_siblings_together(tree, draft, staff_client, monkeypatch):
    """Cut in tree order, Ward I's cell took the last place and Ward III never showed beside
    Ward I: two wards could not be merged from the page."""
    monkeypatch.setattr("recruitment.reorganisation.forms.PICKED_AT_ONCE", 3)
    page = english(staff_client).get(draft.get_absolute_url())
    form = page.context["step_form"]
    assert shown(form) == [tree["city"].pk, tree["ward1"].pk, tree["ward3"].pk]
    assert form.cut and "the units of the first level come first" in page.text
