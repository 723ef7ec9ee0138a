"""The demo's 2025 reorganisation: the past reads as it was, 2026 reads the new tree, and a
new unit shows what its predecessors admitted."""

import pytest
from django.test import TestCase
from django.urls import reverse

from accounts.models import User
from recruitment import rollups
from recruitment.demo import apply_reorganisation_2025, load_demo
from recruitment.models import Organisation, Reorganisation, UnitChangeNotice
from recruitment.reorganisation.selectors import predecessors_admitted
from recruitment.reports.figures import quota_figures
from tests.snapshots import kept_snapshot


def figures(code: str, year: int):
    row = quota_figures(Organisation.objects.get(code=code), year)[0]
    return row.quota, row.admitted, row.percent


@pytest.mark.xdist_group("demo")
class DemoReorganisationTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        kept_snapshot(load_demo).restore()
        cls.draft = Reorganisation.objects.get()
        cls.before = {code: figures(code, 2021) for code in ("VT", "VT-P1", "HG")}
        apply_reorganisation_2025()

    def test_the_demo_loads_the_reorganisation_as_a_draft_with_its_steps(self):
        self.assertEqual(self.draft.status, Reorganisation.Status.DRAFT)
        self.assertEqual(
            list(self.draft.steps.values_list("kind", flat=True)),
            ["merge", "level_removed", "merge", "merge", "merge"],
        )

    def test_2021_still_reads_48_of_43_for_vi_thanh_and_4_of_3_for_ward_one(self):
        self.assertEqual(figures("VT", 2021), (43, 48, 111))
        self.assertEqual(figures("VT-P1", 2021), (3, 4, 133))
        self.assertEqual(self.before["VT"], (43, 48, 111))
        self.assertEqual(figures("HG", 2021), self.before["HG"])
        city = Organisation.objects.get(code="VT")
        self.assertIn("VT-P1", [row.unit.code for row in quota_figures(city, 2021)[1:]])

    def test_2026_reads_the_new_tree(self):
        self.assertEqual(figures("CT-VT", 2026), (6, 3, 50))
        self.assertEqual(figures("CT-VTN", 2026), (5, 2, 40))
        self.assertEqual(figures("CT-HL", 2026), (5, 1, 20))
        city = Organisation.objects.get(code="CT")
        children = {row.unit.name for row in quota_figures(city, 2026)[1:]}
        self.assertLessEqual(
            {"Đảng bộ phường Vị Thanh", "Đảng bộ phường Vị Tân", "Đảng bộ xã Hỏa Lựu"}, children
        )
        self.assertNotIn("Đảng bộ thành phố Vị Thanh", children)
        self.assertEqual(rollups.differences(), [])

    def test_a_new_ward_shows_its_predecessors_line(self):
        ward = Organisation.objects.get(code="CT-VT")
        total, units = predecessors_admitted(ward, 2021)
        self.assertEqual(total, 4 + 6 + 4)  # Wards I, III and IV in 2021
        self.assertEqual({u.code for u in units}, {"VT-P1", "VT-P3", "VT-P4"})

    def test_the_demo_users_are_in_the_new_tree_and_told_so(self):
        self.assertEqual(User.objects.get(username="staff").unit.code, "CT")
        self.assertEqual(User.objects.get(username="organiser").unit.code, "CT-VT")
        notice = UnitChangeNotice.objects.get(user__username="organiser")
        self.assertEqual(notice.from_unit.code, "VT-P1")

    def test_the_staff_now_in_can_tho_still_read_vi_thanhs_2021_dashboard(self):
        self.client.force_login(User.objects.get(username="staff"))
        city = Organisation.objects.get(code="VT")
        response = self.client.get(
            reverse("recruitment:dashboard"), {"unit": city.pk, "year": 2021}
        )
        own = response.context["own"]
        self.assertEqual((own.quota, own.admitted, own.percent), (43, 48, 111))
        self.client.force_login(User.objects.get(username="organiser"))  # now phường Vị Thanh
        ward = Organisation.objects.get(code="VT-P1")
        response = self.client.get(
            reverse("recruitment:dashboard"), {"unit": ward.pk, "year": 2021}
        )
        self.assertEqual(response.context["own"].admitted, 4)
        # A ward it does not continue stays out of sight.
        other = Organisation.objects.get(code="VT-P5")
        response = self.client.get(
            reverse("recruitment:dashboard"), {"unit": other.pk, "year": 2021}
        )
        self.assertEqual(response.status_code, 404)
