"""The dashboard page: the brief's figures, drill-down, scope, warnings, and query counts."""

from datetime import date, timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from bench.treegen import add_candidates, add_quotas, add_subtree
from recruitment.demo import load_demo
from recruitment.models import Candidate, Enrolment, Organisation, Quota, Stage
from recruitment.reports import deadlines, figures
from recruitment.reports.deadlines import due_items
from tests.factories import CandidateFactory, QuotaFactory, TrainingClassFactory, add_unit
from tests.helpers import english
from tests.snapshots import kept_snapshot

URL = reverse("recruitment:dashboard")
TODAY = date(2026, 6, 15)


def admit(unit, n, year=2021, **fields):
    for _ in range(n):
        CandidateFactory(unit=unit, stage=Stage.ADMITTED, decision_on=date(year, 6, 1), **fields)


def query_count(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


# --- The brief's figures on the demo -----------------------------------------------------------


# The demo is loaded once per run (tests/snapshots.py); both demo classes share a worker.
@pytest.mark.xdist_group("demo")
class DemoDashboardTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        kept_snapshot(load_demo).restore()
        cls.staff = User.objects.get(username="staff")
        cls.city = Organisation.objects.get(code="VT")
        cls.ward1 = Organisation.objects.get(code="VT-P1")

    def setUp(self):
        self.client.force_login(self.staff)
        english(self.client)

    def test_city_2021_shows_48_of_43_111_percent(self):
        response = self.client.get(URL, {"year": 2021})
        own = response.context["own"]
        self.assertEqual((own.unit, own.quota, own.admitted, own.percent), (self.city, 43, 48, 111))
        self.assertContains(response, "48 of 43 · 111%")
        self.assertContains(response, "43, up 3 from 2020")

    def test_drilling_into_ward_one_shows_4_of_3_133_percent_up_2(self):
        response = self.client.get(URL, {"year": 2021, "unit": self.ward1.pk})
        own = response.context["own"]
        self.assertEqual((own.quota, own.admitted, own.percent, own.quota_change), (3, 4, 133, 2))
        self.assertContains(response, "4 of 3 · 133%")
        self.assertContains(response, "3, up 2 from 2020")
        crumbs = [u.code for u in response.context["breadcrumbs"]]
        self.assertEqual(crumbs, ["VT"])  # staff of the city do not see the province

    def test_the_city_table_links_to_each_ward_and_flags_ward_seven(self):
        response = self.client.get(URL, {"year": 2021})
        rows = {r.unit.code: r for r in response.context["children"]}
        self.assertContains(response, f"?year=2021&amp;unit={self.ward1.pk}")
        self.assertTrue(rows["VT-P7"].no_source)
        self.assertFalse(rows["VT-P1"].no_source)
        self.assertTrue(rows["VT-P7"].behind)  # 2 of 3

    def test_with_this_years_quotas_it_opens_on_this_year_with_pace_and_year_on_year(self):
        year = timezone.localdate().year
        for unit in Organisation.objects.get_children(self.city):
            Quota.objects.create(unit=unit, year=year, target=4)
        Quota.objects.create(unit=self.city, year=year, target=40)
        response = self.client.get(URL)
        self.assertEqual(response.context["year"], year)
        self.assertEqual(response.context["unit"], self.city)
        rows = response.context["steering_rows"]
        self.assertGreater(len(rows), 1)
        for row in rows:
            self.assertIsNotNone(row.expected, row.unit.code)  # the pace of each unit
            self.assertEqual([y.year for y in row.earlier], [year - 1, year - 2])
            self.assertIsNotNone(row.by_now_last_year)
        # The pipeline at the end of last year, worked out from the demo's history.
        self.assertGreater(rows[0].earlier[0].pipeline, 0)
        self.assertContains(response, "Year on year")
        self.assertContains(response, "Against the pace")

    def test_exports_carry_the_same_figures_as_the_page(self):
        page = self.client.get(URL, {"year": 2021})
        expected = [
            (r.unit.code, r.quota, r.admitted, r.percent, *r.stage_counts)
            for r in page.context["rows"]
        ]
        data = self.client.get(URL, {"year": 2021, "format": "json"}).json()
        keys = ["code", "quota", "admitted", "percent", "source", "training", "trained",
                "dossier", "proposed"]  # fmt: skip
        self.assertEqual([tuple(row[k] for k in keys) for row in data["rows"]], expected)
        self.assertEqual(data["header"]["ratio"], "48/43")

    def test_the_dashboard_runs_the_same_queries_on_a_tree_ten_times_larger(self):
        url = f"{URL}?year=2021"
        exports = [f"{url}&format={fmt}" for fmt in ("csv", "xlsx", "json")]
        this_year = f"{URL}?year={timezone.localdate().year}"  # with the same day last year
        pages = [url, this_year, f"{url}&sort=pace", *exports]
        small = [query_count(self.client, u) for u in pages]
        units = Organisation.objects.count()
        candidates = Candidate.objects.count()
        committees, cells = add_subtree(self.city, wards=130, cells=3, prefix="BIG")
        add_candidates(cells, 5, year=2021, today=TODAY)
        add_quotas(committees, years=[2020, 2021])
        self.assertGreaterEqual(Organisation.objects.count(), 10 * units)
        self.assertGreaterEqual(Candidate.objects.count(), 10 * candidates)
        large = [query_count(self.client, u) for u in pages]
        self.assertEqual(small, large)
        print(f"\ndashboard queries: demo {small[0]}, ten times larger {large[0]}")


# --- Scope ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_anonymous_users_are_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_an_organiser_sees_their_own_unit_by_default(organiser_client, tree):
    response = organiser_client.get(URL)
    assert response.context["unit"] == tree["ward1"]
    assert [r.unit for r in response.context["children"]] == [tree["ward1_cell"]]
    assert response.context["breadcrumbs"] == []


def test_the_breadcrumbs_of_the_users_own_unit_ask_the_database_nothing(staff_client, tree):
    """Above the user's own unit nothing is theirs to open, so nothing is asked for it; a
    unit below theirs, or their own once a reorganisation links it (the units it continues
    are read with it), still asks which units above it the user may open."""
    from recruitment.models import OrganisationQuerySet

    def asked_above(params, linked=frozenset()):
        with (
            mock.patch.object(
                OrganisationQuerySet, "ancestors_of", autospec=True, return_value=[]
            ) as ancestors_of,
            mock.patch("recruitment.views.params.linked_units", return_value=linked),
        ):
            assert staff_client.get(URL, params).status_code == 200
        return [call.args[1] for call in ancestors_of.call_args_list]

    assert asked_above({"year": 2021}) == []
    assert asked_above({"year": 2021, "unit": tree["city"].pk}) == []
    assert asked_above({"year": 2021, "unit": tree["ward1"].pk}) == [tree["ward1"]]
    assert asked_above({"year": 2021}, linked=frozenset({tree["city"].pk})) == [tree["city"]]
    quotas = reverse("recruitment:quota-list")
    with mock.patch.object(OrganisationQuerySet, "ancestors_of", autospec=True) as ancestors_of:
        assert staff_client.get(quotas, {"year": 2021}).status_code == 200
    assert not ancestors_of.called


def test_a_superuser_with_a_unit_keeps_the_breadcrumbs_above_it(client, tree):
    """A superuser reads every unit: the ones above their own are theirs to open."""
    from tests.factories import UserFactory

    root = UserFactory(username="root", is_superuser=True, is_staff=True, unit=tree["ward1"])
    client.force_login(root)
    response = client.get(URL, {"year": 2021})
    assert response.context["unit"] == tree["ward1"]
    assert response.context["breadcrumbs"] == [tree["province"], tree["city"]]


def test_naming_the_users_own_unit_in_the_query_costs_no_query(staff_client, tree):
    """Links carry ``?unit=`` even to the user's own unit: it was read with the user."""
    staff_client.get(URL, {"year": 2021})  # the figures kept: both views below read them

    def queries(params):
        with CaptureQueriesContext(connection) as captured:
            assert staff_client.get(URL, params).status_code == 200
        return len(captured)

    assert queries({"year": 2021, "unit": tree["city"].pk}) == queries({"year": 2021})
    assert queries({"year": 2021, "unit": tree["ward1"].pk}) > queries({"year": 2021})


def test_an_organiser_gets_404_above_or_beside_their_unit(organiser_client, tree):
    for unit in ("city", "ward3", "province", "other_ward"):
        assert organiser_client.get(URL, {"unit": tree[unit].pk}).status_code == 404


def test_an_organisers_exports_stop_at_their_unit(organiser_client, tree):
    admit(tree["ward3_cell"], 2)
    admit(tree["ward1_cell"], 1)
    data = organiser_client.get(URL, {"year": 2021, "format": "json"}).json()
    assert [row["code"] for row in data["rows"]] == ["VT-P1", "VT-P1-KV3"]
    assert data["header"]["admitted"] == 1
    response = organiser_client.get(URL, {"unit": tree["city"].pk, "format": "csv"})
    assert response.status_code == 404


def test_staff_of_one_city_get_404_for_another_citys_unit(other_staff_client, tree):
    for unit in ("city", "ward1", "ward1_cell"):
        assert other_staff_client.get(URL, {"unit": tree[unit].pk}).status_code == 404
        response = other_staff_client.get(URL, {"unit": tree[unit].pk, "format": "xlsx"})
        assert response.status_code == 404


def test_a_superuser_starts_at_the_first_root(admin_client_, tree):
    response = admin_client_.get(URL)
    assert response.context["unit"] == tree["province"]


@pytest.mark.parametrize("params", [{"year": "abc"}, {"year": "1800"}, {"unit": "x"},
                                    {"format": "doc"}])  # fmt: skip
def test_bad_parameters_are_a_bad_request(staff_client, params):
    assert staff_client.get(URL, params).status_code == 400


# --- Figures ---------------------------------------------------------------------------------


def test_a_unit_without_a_quota_shows_admissions_and_no_percent(staff_client, tree):
    QuotaFactory(unit=tree["city"], year=2021, target=10)
    admit(tree["ward3_cell"], 2)
    response = english(staff_client).get(URL, {"year": 2021, "unit": tree["ward3"].pk})
    own = response.context["own"]
    assert (own.quota, own.admitted, own.percent, own.ratio) == (None, 2, None, None)
    assert "2 admitted · no quota" in response.content.decode()
    assert "No quota for 2021" in response.content.decode()


def test_the_pace_is_the_elapsed_share_of_the_year(tree):
    row = figures.UnitFigures(unit=tree["city"], year=2026, quota=73, previous_quota=None,
                              admitted=20)  # fmt: skip
    pace = figures.pace(row, date(2026, 7, 2))  # day 183 of 365
    assert (pace.share_percent, pace.expected_rounded) == (50, 37)
    assert figures.pace(row, date(2027, 1, 1)).share == 1
    assert figures.pace(row, date(2025, 12, 31)).share == 0


def test_composition_counts_each_group_of_the_years_admissions(tree, django_assert_num_queries):
    cell = tree["ward1_cell"]
    admit(cell, 1, gender="female", ethnicity="Khmer", religion="Phật giáo")
    # 30 on the decision day (1 June 2021): born 2 June 1990; 31: born 1 June 1990.
    admit(cell, 1, date_of_birth=date(1990, 6, 2), youth_union_member=True)
    admit(cell, 1, date_of_birth=date(1990, 6, 1), private_enterprise=True, ethnicity="kinh")
    admit(cell, 1, year=2020, gender="female")
    with django_assert_num_queries(1):
        shares = {s.key: (s.count, s.percent) for s in figures.composition(tree["ward1"], 2021)}
    assert shares == {
        "women": (1, Decimal("33.3")),
        # born 1995, and born 2 June 1990; not the one born 1 June 1990. One decimal,
        # rounded half up: 66.7, where a whole percent rounded down said 66.
        "youth": (2, Decimal("66.7")),
        "minority": (1, Decimal("33.3")),  # "kinh" in lower case is the majority
        "religious": (1, Decimal("33.3")),
        "private_enterprise": (1, Decimal("33.3")),
        "youth_union": (1, Decimal("33.3")),
    }


def test_retention_counts_those_who_left_by_year_of_admission(tree, django_assert_num_queries):
    admit(tree["ward1_cell"], 3, year=2019)
    CandidateFactory(unit=tree["ward1_cell"], stage=Stage.DROPPED_OUT, decision_on=date(2019, 3, 1))
    CandidateFactory(unit=tree["ward1_cell"], stage=Stage.STRUCK_OFF, decision_on=date(2021, 3, 1))
    admit(tree["ward1_cell"], 1, year=2016)  # more than five years back
    with django_assert_num_queries(1):
        years = figures.retention(tree["ward1"], 2021)
    assert [(r.year, r.admitted, r.left) for r in years] == [
        (2017, 0, 0), (2018, 0, 0), (2019, 4, 1), (2020, 0, 0), (2021, 1, 1)
    ]  # fmt: skip
    assert years[2].left_percent == 25


def test_monthly_admissions_for_the_cumulative_chart(tree, django_assert_num_queries):
    CandidateFactory(unit=tree["ward1_cell"], stage=Stage.ADMITTED, decision_on=date(2021, 2, 3))
    admit(tree["ward1_cell"], 2)  # June
    with django_assert_num_queries(1):
        months = figures.monthly_admissions(tree["city"], 2021)
    assert months == [0, 1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0]


# --- Warnings --------------------------------------------------------------------------------


def test_deadlines_count_working_days_and_link_to_the_candidate(staff_client, tree):
    # Cell resolution on Friday 5/2/2021. Sixty weekdays end on Friday 30/4; Tết (5 weekdays),
    # the Hùng Kings' day (21/4), 30/4 and Monday 3/5 (for 1/5, a Saturday) push it to 12/5.
    proposed = CandidateFactory(unit=tree["ward1_cell"], stage=Stage.PROPOSED,
                                cell_resolution_on=date(2021, 2, 5))  # fmt: skip
    too_early = {g.kind: g for g in due_items(tree["city"], date(2021, 3, 1))}
    assert too_early["decision"].items == []  # due in more than WARN_AHEAD_DAYS
    groups = {g.kind: g for g in due_items(tree["city"], date(2021, 4, 20))}
    decision = groups["decision"].items[0]
    assert decision.candidate_id == proposed.pk
    assert decision.due == date(2021, 5, 12) and not decision.overdue
    with mock.patch("django.utils.timezone.localdate", return_value=date(2021, 4, 20)):
        response = staff_client.get(URL, {"year": 2021})
    assert reverse("recruitment:candidate-detail", args=[proposed.pk]) in response.content.decode()


def test_ceremony_recognition_dossier_certificate_and_stuck_warnings(tree):
    cell = tree["ward1_cell"]
    today = date(2026, 6, 15)
    ceremony = CandidateFactory(unit=cell, stage=Stage.ADMITTED, decision_on=date(2026, 4, 1))
    due = CandidateFactory(unit=cell, stage=Stage.ADMITTED, decision_on=date(2025, 5, 20),
                           ceremony_on=date(2025, 6, 1))  # fmt: skip
    CandidateFactory(unit=cell, stage=Stage.ADMITTED, decision_on=date(2026, 1, 5),
                     ceremony_on=date(2026, 1, 10))  # probation far from over  # fmt: skip
    old_dossier = CandidateFactory(unit=cell, stage=Stage.DOSSIER, application_on=date(2025, 6, 1),
                                   stage_since=today)  # fmt: skip
    lapsing = CandidateFactory(unit=cell, stage=Stage.TRAINED, stage_since=today)
    Enrolment.objects.create(
        candidate=lapsing, training_class=TrainingClassFactory(unit=cell),
        result=Enrolment.Result.PASSED, certificate_number="1", certificate_on=date(2021, 8, 1),
    )  # fmt: skip
    stuck = CandidateFactory(unit=cell, stage=Stage.SOURCE, stage_since=today - timedelta(days=400))
    CandidateFactory(unit=tree["other_cell"], stage=Stage.SOURCE, stage_since=date(2020, 1, 1))
    groups = {g.kind: g for g in due_items(tree["city"], today)}
    assert [w.candidate_id for w in groups["ceremony"].items] == [ceremony.pk]
    assert groups["ceremony"].items[0].overdue  # 30 working days from 1/4 is before 15/6
    assert [w.candidate_id for w in groups["recognition"].items] == [due.pk]
    assert groups["recognition"].items[0].since == date(2026, 6, 1)
    assert [w.candidate_id for w in groups["dossier"].items] == [old_dossier.pk]
    assert [(w.candidate_id, w.due) for w in groups["certificate"].items] == [
        (lapsing.pk, date(2026, 8, 1))
    ]
    assert [w.candidate_id for w in groups["stuck"].items] == [stuck.pk]
    assert groups["stuck"].total == 1


def test_warnings_run_a_fixed_number_of_queries(tree, django_assert_num_queries):
    for n in range(3):
        CandidateFactory(unit=tree["ward1_cell"], stage=Stage.PROPOSED,
                         cell_resolution_on=date(2026, 5, 1 + n))  # fmt: skip
    # Per kind: the first ones and a count (four deadlines, certificates, stuck).
    with django_assert_num_queries(12):
        due_items(tree["city"], TODAY)
    _committees, cells = add_subtree(tree["city"], wards=10, cells=2, prefix="X")
    add_candidates(cells, 10, year=2026, today=TODAY)
    city = Organisation.objects.get(pk=tree["city"].pk)
    with django_assert_num_queries(12):
        groups = due_items(city, TODAY)
    assert sum(g.total for g in groups) > 3


def test_at_the_root_of_the_only_tree_warnings_count_every_candidate(
    tree, django_assert_num_queries
):
    since = TODAY - timedelta(days=400)
    mine = CandidateFactory(unit=tree["ward1_cell"], stage=Stage.SOURCE, stage_since=since)
    theirs = CandidateFactory(unit=tree["other_cell"], stage=Stage.SOURCE, stage_since=since)
    with django_assert_num_queries(13):  # and one: is there another root?
        groups = {g.kind: g for g in due_items(tree["province"], TODAY)}
    assert {w.candidate_id for w in groups["stuck"].items} == {mine.pk, theirs.pk}
    # With a second tree, the root's subtree is read through the units' paths again.
    other_root = add_unit(None, "CT", "Đảng bộ thành phố Cần Thơ", Organisation.Kind.PROVINCIAL)
    elsewhere = CandidateFactory(unit=add_unit(other_root, "CT-1"), stage=Stage.SOURCE,
                                 stage_since=since)  # fmt: skip
    groups = {g.kind: g for g in due_items(tree["province"], TODAY)}
    assert {w.candidate_id for w in groups["stuck"].items} == {mine.pk, theirs.pk}
    assert elsewhere.pk not in {w.candidate_id for w in groups["stuck"].items}


def test_warnings_list_the_first_and_count_up_to_a_limit(tree, monkeypatch):
    monkeypatch.setattr(deadlines, "WARNING_LIMIT", 2)
    monkeypatch.setattr(deadlines, "COUNT_LIMIT", 3)
    for n in range(5):
        CandidateFactory(unit=tree["ward1_cell"], stage=Stage.PROPOSED,
                         cell_resolution_on=date(2026, 3, 1 + n))  # fmt: skip
    decision = {g.kind: g for g in due_items(tree["city"], TODAY)}["decision"]
    assert [w.due for w in decision.items] == sorted(w.due for w in decision.items)
    assert len(decision.items) == 2
    assert decision.total == 3 and decision.capped


def test_a_long_kind_shows_its_first_ten_and_links_to_all_of_them(staff_client, tree):
    english(staff_client)
    since = TODAY - timedelta(days=400)
    for _ in range(deadlines.WARNING_LIMIT + 2):
        CandidateFactory(unit=tree["ward1_cell"], stage=Stage.SOURCE, stage_since=since)
    with mock.patch("django.utils.timezone.localdate", return_value=TODAY):
        response = staff_client.get(URL, {"year": 2021, "unit": tree["ward1"].pk})
    stuck = {g.kind: g for g in response.context["warning_groups"]}["stuck"]
    assert (len(stuck.items), stuck.total) == (10, 12)
    reminders = reverse("recruitment:reminder-list")
    link = f'{reminders}?kind=stuck&amp;unit={tree["ward1"].pk}" class="see-all">see all 12</a>'
    assert link in response.content.decode()
    assert "and 2 more" in response.content.decode()


# --- Print view ------------------------------------------------------------------------------


def test_the_print_view_is_an_official_report(staff_client, tree):
    QuotaFactory(unit=tree["city"], year=2021, target=4)
    admit(tree["ward1_cell"], 3)
    response = english(staff_client).get(URL, {"year": 2021, "print": 1})
    content = response.content.decode()
    assert response.templates[0].name == "recruitment/dashboard/print.html"
    assert "Party admissions against quota in 2021" in content
    assert tree["city"].name in content
    assert "Printed on" in content
    assert "3 of 4 · 75%" in content
    assert "<script>" not in content and "onclick" not in content


def test_the_page_has_no_inline_script(staff_client, tree):
    content = staff_client.get(URL).content.decode()
    assert "<script>" not in content and " onclick=" not in content
    assert 'role="img"' in content


def test_quota_changes_are_phrased_up_down_and_same(staff_client, tree):
    QuotaFactory(unit=tree["city"], year=2021, target=40)
    QuotaFactory(unit=tree["city"], year=2020, target=43)
    response = english(staff_client).get(URL, {"year": 2021})
    assert "40, down 3 from 2020" in response.content.decode()
    Quota.objects.filter(year=2020).update(target=40)
    response = english(staff_client).get(URL, {"year": 2021})
    assert "40, the same as in 2020" in response.content.decode()


def test_the_print_header_names_the_level_above_even_outside_the_scope(staff_client, tree):
    QuotaFactory(unit=tree["city"], year=2021, target=43)
    page = staff_client.get(URL, {"year": 2021, "print": "1"}).content.decode()
    assert tree["province"].name.upper() in page.upper()
    assert "Communist Party of Vietnam" in page or "Đảng Cộng sản Việt Nam".upper() in page.upper()


def test_lapsing_certificates_past_the_first_ten_are_one_click_away(staff_client, tree):
    """The dashboard announces a lapse further ahead than the reminders do: its "see all"
    list uses the dashboard's window, so every one it counts is listed."""
    certified = TODAY - timedelta(days=5 * 365 - 60)  # lapses in about 60 days
    for _ in range(deadlines.WARNING_LIMIT + 2):
        CandidateFactory(unit=tree["ward1_cell"], stage=Stage.TRAINED,
                         latest_certificate_on=certified)  # fmt: skip
    with mock.patch("django.utils.timezone.localdate", return_value=TODAY):
        page = english(staff_client).get(URL, {"year": 2021, "unit": tree["ward1"].pk})
        rest = staff_client.get(
            reverse("recruitment:reminder-list"), {"kind": "certificate", "unit": tree["ward1"].pk}
        )
    group = {g.kind: g for g in page.context["warning_groups"]}["certificate"]
    assert group.total == 12
    assert f"?kind=certificate&amp;unit={tree['ward1'].pk}" in page.content.decode()
    assert len(rest.context["items"]) == 12


def test_a_leap_day_certificate_is_announced_on_its_last_day(tree):
    """A certificate of 29/02/2020 counts until 28/02/2025 (``pipeline``): on that day it
    lapses by the end of the day, as any certificate does on its fifth anniversary."""
    leap, plain = (
        CandidateFactory(unit=tree["ward1_cell"], stage=Stage.TRAINED, latest_certificate_on=on)
        for on in (date(2020, 2, 29), date(2020, 3, 1))
    )
    announced = deadlines.watched(
        deadlines.WarningKind.CERTIFICATE, Candidate.objects.all(), date(2025, 2, 28),
        certificate_days=0,
    )  # fmt: skip
    assert [c.pk for c in announced] == [leap.pk]
    later = deadlines.watched(
        deadlines.WarningKind.CERTIFICATE, Candidate.objects.all(), date(2025, 3, 1),
        certificate_days=0,
    )  # fmt: skip
    assert [c.pk for c in later] == [leap.pk, plain.pk]
