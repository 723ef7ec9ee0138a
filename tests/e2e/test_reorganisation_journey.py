"""The city's staff member records a reorganisation: two wards merged into a new one, with
its preview, then applies it; the ward's organiser is in the new ward afterwards."""

import re

import pytest

from accounts.models import User
from recruitment.demo import load_demo
from recruitment.models import Organisation, Reorganisation
from tests.e2e.test_organiser_journey import open_menu_if_collapsed, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def demo(transactional_db):
    load_demo()


def test_staff_preview_and_apply_a_merge_of_two_wards(demo, live_server, page):
    base = live_server.url
    sign_in(page, base, "staff")
    page.wait_for_url(re.compile(r"/dashboard/"))
    open_menu_if_collapsed(page)
    page.click("#nav-reorganisations")
    page.wait_for_url(re.compile(r"/reorganisations/$"))

    page.click("#new-reorganisation")
    page.fill("#id_title", "Sắp xếp các phường (thử)")
    page.fill("#id_effective_on", "01/07/2025")
    page.fill("#id_document_reference", "01-NQ/TU (thử)")
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"/reorganisations/\d+/$"))
    assert page.locator("#no-steps").is_visible()

    ward1, ward3 = (Organisation.objects.get(code=c) for c in ("VT-P1", "VT-P3"))
    page.select_option("#id_kind", "merge")
    page.select_option("#id_units", [str(ward1.pk), str(ward3.pk)])
    page.fill("#id_new_code", "VT-PVT")
    page.fill("#id_new_name", "Đảng bộ phường Vị Thanh")
    page.select_option("#id_new_kind", "committee")
    page.select_option("#id_parent", str(Organisation.objects.get(code="VT").pk))
    page.click("#add-step")
    page.wait_for_selector("#preview")
    preview = page.locator("#preview").inner_text()
    assert "Đảng bộ phường Vị Thanh" in preview and "VT-PVT" in preview
    assert "Đảng bộ Phường I" in preview  # what closes and where its people go
    assert not Organisation.objects.filter(code="VT-PVT").exists()

    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    page.click("#apply")  # asks first: units close and people move
    page.wait_for_selector("#undo")
    assert asked and asked[0].startswith("Áp dụng “")
    assert page.locator(".alert-success").count() == 1
    assert page.locator("#successions li").count() >= 2
    assert Reorganisation.objects.get(title__endswith="(thử)").status == "applied"
    assert User.objects.get(username="organiser").unit.code == "VT-PVT"
