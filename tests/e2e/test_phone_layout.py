"""At 360 px no page scrolls sideways; wide tables scroll inside their own box."""

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
    "/quotas/?year=2021",
    "/quotas/plan/?year=2021",
    "/imports/",
]


def test_no_page_is_wider_than_a_phone(transactional_db, live_server, browser):
    load_demo()
    toan = Candidate.objects.get(citizen_id="093095000301").pk
    context = browser.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    sign_in(page, live_server.url, "staff")
    too_wide = {}
    for path in PAGES:
        page.goto(live_server.url + path.format(toan=toan))
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 360:
            too_wide[path] = width
        # A table's caption wraps at the screen's width instead of running off it.
        captions = page.evaluate(
            "Array.from(document.querySelectorAll('caption'))"
            ".map(c => c.getBoundingClientRect().width)"
        )
        assert all(w <= 360 for w in captions), (path, captions)
    context.close()
    assert too_wide == {}
