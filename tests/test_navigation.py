"""The navigation bar: its menu is kept per process (CACHES "fragments") by page, role and
language; what is the user's own (the badge, their name, the sign-out form) is not."""

import re

import pytest
from django.core.cache import caches

from tests.factories import CandidateFactory
from tests.helpers import english


@pytest.fixture(autouse=True)
def empty_fragments():
    caches["fragments"].clear()


def active_links(html: str) -> list[str]:
    return re.findall(r'class="nav-link text-nowrap active" href="([^"]+)"', html)


def test_the_kept_menu_follows_the_role(staff_client, organiser_client, tree):
    assert 'href="/quotas/"' in staff_client.get("/candidates/").text
    assert 'href="/quotas/"' not in organiser_client.get("/candidates/").text
    assert 'href="/quotas/"' in staff_client.get("/candidates/").text


def test_the_kept_menu_marks_the_page_shown(organiser_client, tree):
    assert active_links(organiser_client.get("/candidates/").text) == ["/candidates/"]
    assert active_links(organiser_client.get("/dashboard/").text) == ["/dashboard/"]
    assert active_links(organiser_client.get("/candidates/").text) == ["/candidates/"]


def test_the_kept_menu_speaks_the_users_language(organiser_client, tree):
    assert "Đối tượng kết nạp</a>" in organiser_client.get("/candidates/").text
    html = english(organiser_client).get("/candidates/").text
    assert ">Candidates</a>" in html
    assert "Đối tượng kết nạp</a>" not in html


def test_the_badge_and_the_name_are_the_users_own(organiser_client, organiser, tree):
    from datetime import timedelta

    from django.utils import timezone

    from recruitment.stages import Stage

    badge = r'id="nav-reminders">[^<]*<span class="badge[^>]*>(\d+)</span>'
    before = organiser_client.get("/candidates/").text
    assert not re.search(badge, before)
    CandidateFactory(
        unit=tree["ward1_cell"],
        stage=Stage.PROPOSED,
        cell_resolution_on=timezone.localdate() - timedelta(days=100),
    )
    after = organiser_client.get("/candidates/").text
    assert re.search(badge, after).group(1) == "1"
    assert (organiser.get_full_name() or organiser.username) in after
