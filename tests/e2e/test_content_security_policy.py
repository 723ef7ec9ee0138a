"""Pages run under the Content-Security-Policy without a single violation in the browser."""

import pytest

from recruitment.demo import load_demo
from recruitment.models import Candidate
from tests.e2e.test_organiser_journey import sign_in

pytestmark = pytest.mark.django_db(transaction=True)

PAGES = [
    "/candidates/",
    "/candidates/{toan}/",
    "/candidates/{toan}/history/",
    "/classes/",
    "/members/",
    "/dashboard/?year=2021",
    "/dashboard/?year=2021&print=1",
    "/quotas/?year=2021",
    "/quotas/plan/?year=2021",
    "/admin/",
    "/admin/recruitment/candidate/",
    "/admin/recruitment/candidate/{toan}/change/",
    "/admin/recruitment/organisation/",
    "/admin/recruitment/quota/add/",
]


@pytest.fixture
def browser_page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def test_no_page_breaks_the_content_security_policy(transactional_db, live_server, browser_page):
    load_demo()
    toan = Candidate.objects.get(citizen_id="093095000301").pk
    violations = []
    browser_page.on(
        "console",
        lambda message: (
            violations.append(f"{browser_page.url}: {message.text}")
            if "Content Security Policy" in message.text
            or "Content-Security-Policy" in message.text
            else None
        ),
    )
    sign_in(browser_page, live_server.url, "admin")
    for path in PAGES:
        response = browser_page.goto(live_server.url + path.format(toan=toan))
        assert response.status == 200, path
        assert "script-src 'self'" in response.headers["content-security-policy"], path
        browser_page.wait_for_load_state("load")
    assert violations == []
