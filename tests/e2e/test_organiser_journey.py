"""The demo organiser takes a new candidate from the source list to the dossier step."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from recruitment.demo import load_demo
from recruitment.models import Candidate, Organisation, Stage, TrainingClass

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def demo(transactional_db):
    load_demo()


def dmy(day) -> str:
    return day.strftime("%d/%m/%Y")


def sign_in(page, base, username="organiser"):
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "demo")
    page.click("main button[type=submit]")


def open_menu_if_collapsed(page):
    toggler = page.locator(".navbar-toggler")
    if toggler.is_visible():
        toggler.click()


def test_organiser_carries_a_candidate_to_dossier(demo, live_server, page):
    base = live_server.url
    today = timezone.localdate()
    sign_in(page, base)
    page.wait_for_url(re.compile(r"/candidates/$"))
    assert page.locator("html").get_attribute("lang") == "vi"

    # Add a candidate to a cell of Ward I.
    page.click("#add-candidate")
    page.fill("#id_full_name", "Lâm Thị Thu Trang")
    page.fill("#id_date_of_birth", "15/03/1998")
    page.select_option("#id_gender", "female")
    page.select_option("#id_unit", str(Organisation.objects.get(code="VT-P1-KV2").pk))
    page.select_option("#id_source", "youth_union")
    page.fill("#id_citizen_id", "093198000777")
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"/candidates/\d+/$"))
    candidate = Candidate.objects.get(citizen_id="093198000777")
    assert candidate.stage == Stage.SOURCE
    assert page.locator(".alert-success").count() == 1

    # A mentor, then the class.
    page.click("#add-mentor")
    page.select_option("#id_member", index=1)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(rf"/candidates/{candidate.pk}/$"))

    training_class = TrainingClass.objects.get(title__contains="khóa 2 năm nay")
    page.goto(f"{base}/classes/")
    page.click(f"a[href='/classes/{training_class.pk}/']")
    page.check(f"input[name=candidates][value='{candidate.pk}']")
    page.click("#enrol-submit")
    page.wait_for_selector(".alert-success")
    candidate.refresh_from_db()
    assert candidate.stage == Stage.TRAINING

    # The class ends (today, for the test); record a pass: the candidate moves to "trained".
    TrainingClass.objects.filter(pk=training_class.pk).update(ends_on=today)
    page.click("#record-results")
    row = page.locator("fieldset", has_text="Lâm Thị Thu Trang")
    row.locator("select[name$='-result']").select_option("passed")
    row.locator("input[name$='-certificate_number']").fill("VT-2026/077")
    row.locator("input[name$='-certificate_on']").fill(dmy(today))
    page.click("#save-results")
    page.wait_for_selector(".alert-success")
    candidate.refresh_from_db()
    assert candidate.stage == Stage.TRAINED

    # Two introducers who have known her for years.
    for index in (2, 3):
        page.goto(f"{base}/candidates/{candidate.pk}/")
        page.click("#add-introducer")
        page.select_option("#id_member", index=index)
        page.fill("#id_known_since", "01/01/2020")
        page.click("main button[type=submit]")
        page.wait_for_selector(".alert-success")
    assert candidate.sponsorships.filter(role="introducer").count() == 2

    # The dossier.
    page.click("#next-step")
    for field in ("application_on", "personal_history_on", "background_check_on"):
        page.fill(f"#id_{field}", dmy(today - timedelta(days=1)))
    page.click("#confirm-move")
    page.wait_for_url(re.compile(rf"/candidates/{candidate.pk}/$"))
    candidate.refresh_from_db()
    assert candidate.stage == Stage.DOSSIER

    # A refused move: too few votes. The rule is shown in Vietnamese and nothing is saved.
    page.click("#next-step")
    page.fill("#id_cell_resolution_on", dmy(today))
    page.fill("#id_votes_for", "1")
    page.fill("#id_votes_total", "4")
    page.click("#confirm-move")
    error = page.locator(".invalid-feedback, .alert-danger").first
    error.wait_for()
    assert "1/4" in page.content() or "1 trên 4" in page.content() or "1 / 4" in page.content()
    assert "đảng viên chính thức" in page.content()
    candidate.refresh_from_db()
    assert candidate.stage == Stage.DOSSIER and candidate.votes_for is None

    # Switch to English: remembered on the next page.
    page.select_option("#language-select", "en")
    page.wait_for_function("document.documentElement.lang === 'en'")
    page.goto(f"{base}/candidates/{candidate.pk}/")
    assert page.locator("html").get_attribute("lang") == "en"
    assert "Stage history" in page.content()


def test_outsider_gets_not_found(demo, live_server, page):
    sign_in(page, live_server.url, "organiser_p3")
    toan = Candidate.objects.get(citizen_id="093095000301")  # Ward I
    response = page.goto(f"{live_server.url}/candidates/{toan.pk}/")
    assert response.status == 404
