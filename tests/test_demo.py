"""The demo scenario shows the brief's own figures, and loading it twice changes nothing."""

import csv
import io
import json
from datetime import date

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import TestCase, override_settings
from django.urls import reverse

from accounts.models import User
from recruitment.demo import load_demo
from recruitment.models import Candidate, Organisation, PartyMember, Quota, Stage, StageChange
from recruitment.reports.figures import quota_figures
from tests.snapshots import kept_snapshot
from tests.test_paper_records import paper_record


def report(*args) -> str:
    out = io.StringIO()
    call_command("quota_report", *args, stdout=out)
    return out.getvalue()


# The demo is loaded once per run (tests/snapshots.py); both demo classes share a worker.
@pytest.mark.xdist_group("demo")
class DemoScenarioTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        kept_snapshot(load_demo).restore()

    def test_city_2021_admitted_48_against_43(self):
        city = Organisation.objects.get(name__contains="Vị Thanh", kind="city")
        row = quota_figures(city, 2021)[0]
        self.assertEqual((row.quota, row.admitted, row.percent), (43, 48, 111))

    def test_ward_one_admitted_4_against_3_up_2_from_2020(self):
        ward = Organisation.objects.get(name="Đảng bộ Phường I")
        row = quota_figures(ward, 2021)[0]
        self.assertEqual((row.quota, row.admitted, row.percent, row.quota_change), (3, 4, 133, 2))

    def test_the_named_candidates_are_there(self):
        toan = Candidate.objects.search("nguyen duc toan").get()
        trong = Candidate.objects.search("phan duc trong").get()
        self.assertEqual(
            (toan.unit.code, toan.decision_on.year, toan.decision_on.month), ("VT-P1-KV3", 2021, 9)
        )
        self.assertEqual((trong.unit.code, trong.decision_on.month), ("VT-P1-KV4", 6))
        self.assertTrue(PartyMember.objects.filter(candidate=toan).exists())

    def test_candidates_at_every_stage_some_working_away(self):
        stages = set(Candidate.objects.values_list("stage", flat=True))
        expected = {Stage.SOURCE, Stage.TRAINING, Stage.TRAINED, Stage.DOSSIER, Stage.PROPOSED,
                    Stage.RECOGNISED, Stage.DROPPED_OUT}  # fmt: skip
        self.assertLessEqual(expected, stages)
        self.assertTrue(Candidate.objects.filter(works_away=True).active().exists())

    def test_the_demo_organiser_records_a_2019_admission_from_paper(self):
        ward = Organisation.objects.get(code="VT-P1")
        cell = Organisation.objects.get(code="VT-P1-KV3")
        before = quota_figures(ward, 2019)[0].admitted
        members = PartyMember.objects.filter(unit=cell).official_on(date(2019, 3, 12)).count()
        self.client.force_login(User.objects.get(username="organiser"))
        data = paper_record(cell, votes_for=str(members), votes_total=str(members))
        response = self.client.post(reverse("recruitment:candidate-record"), data)
        self.assertEqual(response.status_code, 302)
        self.assertEqual(quota_figures(ward, 2019)[0].admitted, before + 1)

    def test_the_city_staff_find_a_pair_of_likely_duplicates(self):
        self.client.force_login(User.objects.get(username="staff"))
        response = self.client.get(reverse("recruitment:duplicate-list"))
        pairs = response.context["pairs"]
        self.assertEqual(len(pairs), 1)
        self.assertEqual(
            {pairs[0].first.unit.code, pairs[0].second.unit.code}, {"VT-P1-KV1", "VT-P3-KV1"}
        )

    def test_a_unit_has_no_source_left(self):
        ward7 = Organisation.objects.get(code="VT-P7")
        self.assertFalse(Candidate.objects.in_subtree(ward7).active().exists())

    def test_every_candidate_has_a_stage_history_ending_where_it_is(self):
        for candidate in Candidate.objects.all():
            last = StageChange.objects.filter(candidate=candidate).last()
            self.assertEqual(last.to_stage, candidate.stage)

    def test_demo_users(self):
        self.assertTrue(User.objects.get(username="admin").is_superuser)
        self.assertEqual(User.objects.get(username="staff").unit.code, "VT")
        self.assertEqual(User.objects.get(username="organiser").unit.name, "Đảng bộ Phường I")
        self.assertTrue(User.objects.get(username="organiser").check_password("demo"))

    def test_loading_twice_changes_nothing(self):
        before = [
            m.objects.count()
            for m in (Organisation, Candidate, Quota, PartyMember, StageChange, User)
        ]
        self.assertEqual(load_demo(), {})
        after = [
            m.objects.count()
            for m in (Organisation, Candidate, Quota, PartyMember, StageChange, User)
        ]
        self.assertEqual(before, after)

    def test_quota_report_csv_shows_vi_thanh_43_48_111(self):
        rows = list(csv.DictReader(io.StringIO(report("--year", "2021", "--format", "csv"))))
        vi_thanh = next(r for r in rows if r["code"] == "VT")
        self.assertEqual(
            (vi_thanh["quota"], vi_thanh["admitted"], vi_thanh["percent"]), ("43", "48", "111")
        )
        self.assertEqual(rows[0]["code"], "HG")  # the unit's own row first

    def test_quota_report_json_for_one_unit(self):
        rows = json.loads(report("--year", "2021", "--unit", "VT-P1", "--format", "json"))
        self.assertEqual(rows[0]["code"], "VT-P1")
        self.assertEqual((rows[0]["quota"], rows[0]["admitted"], rows[0]["percent"]), (3, 4, 133))
        self.assertEqual([r["code"] for r in rows[1:]], [f"VT-P1-KV{n}" for n in range(1, 6)])
        self.assertEqual(rows[0]["ratio"], "4/3")
        self.assertAlmostEqual(rows[0]["ratio_decimal"], 4 / 3, places=4)

    def test_quota_report_table_shows_a_dash_without_quota(self):
        lines = report("--year", "2021", "--unit", "VT-P1").splitlines()
        kv2 = next(line for line in lines if line.startswith("VT-P1-KV2 "))
        self.assertIn("—", kv2)
        self.assertTrue(lines[2].startswith("VT-P1 "))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--year", "2021", "--unit", "NOPE"], "No unit has the code 'NOPE'"),
        (["--year", "1800"], "out of range"),
        (["--year", "3000"], "out of range"),
    ],
)
def test_quota_report_bad_arguments_exit_2(args, message):
    with pytest.raises(CommandError) as error:
        call_command("quota_report", *args)
    assert error.value.returncode == 2
    assert message in str(error.value)


def test_quota_report_year_must_be_a_number():
    with pytest.raises(CommandError):
        call_command("quota_report", "--year", "twenty")


@pytest.mark.django_db
@override_settings(DEBUG=False)
def test_load_demo_refuses_with_debug_off():
    with pytest.raises(CommandError, match="DEBUG off"):
        call_command("load_demo")
    assert not Organisation.objects.exists()
