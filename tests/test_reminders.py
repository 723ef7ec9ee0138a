"""Reminders (issue 11 §2): the in-app list, the count in the navigation bar, the
preferences, and the daily or weekly digest e-mail of ``send_reminders``."""

import re
import smtplib
from datetime import timedelta
from unittest import mock

import pytest
from django.conf import settings
from django.core import mail
from django.core.mail import BadHeaderError
from django.core.mail.backends.locmem import EmailBackend
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from recruitment import reminders
from recruitment.demo import load_demo
from recruitment.models import Candidate, Organisation, ReminderDigest, Stage
from recruitment.reminders import due_candidate_count, week_start
from recruitment.reports.deadlines import COUNTS_FROM, WarningKind
from tests.factories import CandidateFactory
from tests.helpers import english
from tests.snapshots import kept_snapshot
from tests.test_security import run_manage

pytestmark = pytest.mark.django_db

URL = reverse("recruitment:reminder-list")
PROFILE_URL = reverse("accounts:profile")


def stuck(unit, **fields):
    """A candidate in the source stage for over a year: stuck (``STUCK_AFTER_DAYS``)."""
    since = timezone.localdate() - timedelta(days=400)
    return CandidateFactory(unit=unit, stage=Stage.SOURCE, stage_since=since, **fields)


def fresh(unit, **fields):
    """A candidate who entered the source stage today: nothing due."""
    fields = {"stage": Stage.SOURCE, **fields}
    return CandidateFactory(unit=unit, stage_since=timezone.localdate(), **fields)


def with_email(user, **fields):
    user.email = f"{user.username}@example.org"
    for name, value in fields.items():
        setattr(user, name, value)
    user.save()
    return user


def send(day=None) -> None:
    args = ["--date", day.isoformat()] if day else []
    call_command("send_reminders", *args, stdout=mock.Mock(), stderr=mock.Mock())


def monday_after(day):
    return day + timedelta(days=(7 - day.weekday()) % 7)


# --- the list page and the navigation bar ----------------------------------------------


def test_the_list_shows_what_falls_due_in_the_users_subtree_only(organiser_client, tree):
    english(organiser_client)
    mine = stuck(tree["ward1_cell"], full_name="Trần Văn Kẹt")
    theirs = stuck(tree["ward3_cell"], full_name="Lê Thị Khác")
    response = organiser_client.get(URL)
    assert response.status_code == 200
    assert [s["group"].kind for s in response.context["sections"]] == ["stuck"]
    assert [w.candidate_id for w in response.context["sections"][0]["items"]] == [mine.pk]
    assert reverse("recruitment:candidate-detail", args=[mine.pk]) in response.content.decode()
    assert theirs.full_name not in response.content.decode()


def test_the_list_says_so_when_nothing_is_due(organiser_client, tree):
    english(organiser_client)
    fresh(tree["ward1_cell"])
    stuck(tree["ward3_cell"])
    response = organiser_client.get(URL)
    assert response.context["sections"] == []
    assert b'id="no-reminders"' in response.content


def test_one_kind_is_read_a_page_at_a_time(organiser_client, tree):
    for n in range(27):
        stuck(tree["ward1_cell"], full_name=f"Kẹt {n:02}")
    first = organiser_client.get(URL, {"kind": "stuck"})
    assert len(first.context["items"]) == 25
    assert first.context["page_obj"].has_next
    second = organiser_client.get(URL, {"kind": "stuck", "page": 2})
    assert len(second.context["items"]) == 2
    assert not second.context["page_obj"].has_next


def test_the_overview_links_to_the_rest_of_a_long_kind(organiser_client, tree):
    for _ in range(12):
        stuck(tree["ward1_cell"])
    section = organiser_client.get(URL).context["sections"][0]
    assert (len(section["items"]), section["more"]) == (10, 2)


def test_one_kind_narrows_to_a_unit_of_the_users_scope(staff_client, tree):
    english(staff_client)
    mine = stuck(tree["ward1_cell"], full_name="Trần Văn Kẹt")
    other = stuck(tree["ward3_cell"], full_name="Lê Thị Khác")
    everything = staff_client.get(URL, {"kind": "stuck"})
    assert {w.candidate_id for w in everything.context["items"]} == {mine.pk, other.pk}
    ward = staff_client.get(URL, {"kind": "stuck", "unit": tree["ward1"].pk})
    assert [w.candidate_id for w in ward.context["items"]] == [mine.pk]
    assert ward.context["unit"] == tree["ward1"]
    assert b'id="reminder-unit"' in ward.content


def test_a_unit_outside_the_users_scope_is_not_found(organiser_client, tree):
    response = organiser_client.get(URL, {"kind": "stuck", "unit": tree["ward3"].pk})
    assert response.status_code == 404
    assert organiser_client.get(URL, {"kind": "stuck", "unit": "٣"}).status_code == 400


def test_the_navigation_bar_counts_candidates_with_something_due(organiser_client, tree):
    stuck(tree["ward1_cell"])
    stuck(tree["ward1_cell"])
    fresh(tree["ward1_cell"])
    stuck(tree["ward3_cell"])
    response = organiser_client.get(reverse("recruitment:candidate-list"))
    nav = re.search(r'id="nav-reminders">.*?</a>', response.content.decode(), re.S).group()
    assert '<span class="badge' in nav and ">2</span>" in nav


def test_the_navigation_bar_shows_no_count_when_nothing_is_due(organiser_client, tree):
    fresh(tree["ward1_cell"])
    response = organiser_client.get(reverse("recruitment:candidate-list"))
    nav = re.search(r'id="nav-reminders">.*?</a>', response.content.decode(), re.S).group()
    assert "badge" not in nav


def test_the_count_is_one_query_and_stops_at_its_limit(organiser, tree, django_assert_num_queries):
    for _ in range(4):
        stuck(tree["ward1_cell"])
    with mock.patch.object(reminders, "BADGE_LIMIT", 2):
        with django_assert_num_queries(1) as queries:
            assert due_candidate_count(organiser, timezone.localdate()) == 3
        assert reminders.Badge(organiser).label == "2+"
    # The first keys as the index gives them: sorting them would read every due row first.
    assert "ORDER BY" not in queries.captured_queries[0]["sql"]


def test_the_count_joins_every_kinds_condition(organiser, tree):
    """One candidate due for each kind: the badge counts each (a kind left out of the OR
    would not be counted), and no one with nothing due."""
    today = timezone.localdate()
    cell = tree["ward1_cell"]
    for kind in COUNTS_FROM:  # the deadline the pipeline keeps on the row, due today
        Candidate.objects.filter(pk=fresh(cell).pk).update(
            deadline_kind=kind, deadline_watch_on=today, deadline_due_on=today
        )
    fresh(cell, stage=Stage.TRAINED, latest_certificate_on=today - timedelta(days=10 * 365))
    stuck(cell)
    fresh(cell)
    assert due_candidate_count(organiser, today) == len(WarningKind.ORDER)


def test_the_list_reads_a_fixed_number_of_queries_whatever_is_due(organiser_client, tree):
    stuck(tree["ward1_cell"])
    few = {kind: query_count(organiser_client, URL, kind) for kind in ("", "stuck")}
    for _ in range(30):
        stuck(tree["ward1_cell"])
        CandidateFactory(unit=tree["ward1_cell"], stage=Stage.PROPOSED,
                         cell_resolution_on=timezone.localdate() - timedelta(days=100))  # fmt: skip
    many = {kind: query_count(organiser_client, URL, kind) for kind in ("", "stuck")}
    assert many == few
    # Session, user (with their unit), the badge, and per kind its first rows and its count;
    # one kind: its page only.
    assert few == {"": 3 + 2 * 6, "stuck": 3 + 1}


def query_count(client, url, kind) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, {"kind": kind} if kind else {})
    assert response.status_code == 200
    return len([q for q in queries if q["sql"].startswith("SELECT")])


# --- preferences -------------------------------------------------------------------------


def test_users_set_their_own_reminder_preferences(organiser_client, organiser):
    preferences = {"email": "alice@example.org", "reminders": "weekly", "language": "en"}
    response = organiser_client.post(PROFILE_URL, {**preferences, "password": "pw"})
    assert response.status_code == 302
    organiser.refresh_from_db()
    assert (organiser.email, organiser.reminders, organiser.language) == (
        "alice@example.org",
        User.Reminders.WEEKLY,
        "en",
    )


def test_a_new_address_needs_the_current_password_and_wrong_ones_count(
    organiser_client, organiser, settings
):
    preferences = {"email": "mallory@example.org", "reminders": "daily", "language": "en"}
    english(organiser_client)
    for password in ("", "guess"):
        response = organiser_client.post(PROFILE_URL, {**preferences, "password": password})
        assert response.status_code == 200
        assert "enter your current password" in response.content.decode()
    organiser.refresh_from_db()
    assert organiser.email == "" and organiser.reminders == User.Reminders.DAILY
    # Wrong passwords count as failed sign-ins: past the limit even the right one is refused.
    for _ in range(settings.AXES_FAILURE_LIMIT):
        organiser_client.post(PROFILE_URL, {**preferences, "password": "guess"})
    response = organiser_client.post(PROFILE_URL, {**preferences, "password": "pw"})
    assert "Too many wrong passwords" in response.content.decode()
    organiser.refresh_from_db()
    assert organiser.email == ""


def test_the_wrong_password_that_reaches_the_limit_gets_the_form_and_its_message(
    organiser_client, organiser, settings
):
    preferences = {"email": "mallory@example.org", "reminders": "daily", "language": "en"}
    english(organiser_client)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        organiser_client.post(PROFILE_URL, {**preferences, "password": "guess"})
    response = organiser_client.post(PROFILE_URL, {**preferences, "password": "guess"})
    assert response.status_code == 200  # the profile page, not the sign-in lockout page
    assert "Too many wrong passwords" in response.content.decode()
    assert "password" in response.context["form"].errors


def test_the_other_preferences_need_no_password(organiser_client, organiser):
    response = organiser_client.post(
        PROFILE_URL, {"email": "", "reminders": "off", "language": "vi"}
    )
    assert response.status_code == 302
    organiser.refresh_from_db()
    assert organiser.reminders == User.Reminders.OFF


def test_a_preference_outside_the_choices_is_refused(organiser_client, organiser):
    response = organiser_client.post(PROFILE_URL, {"reminders": "hourly", "language": "vi"})
    assert response.status_code == 200
    assert response.context["form"].has_error("reminders")
    organiser.refresh_from_db()
    assert organiser.reminders == User.Reminders.DAILY


# --- the digest e-mails -------------------------------------------------------------------


def test_a_digest_is_sent_once_a_day_with_a_link_to_each_item(organiser, tree):
    with_email(organiser, language="en")
    candidate = stuck(tree["ward1_cell"], full_name="Trần Văn Kẹt")
    send()
    send()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["alice@example.org"]
    assert message.subject == "1 reminder for Đảng bộ Phường I"
    link = settings.SITE_URL + reverse("recruitment:candidate-detail", args=[candidate.pk])
    html, mime = message.alternatives[0]
    assert mime == "text/html"
    assert link in message.body and f'href="{link}"' in html
    assert "Trần Văn Kẹt" in message.body and "Trần Văn Kẹt" in html
    digest = ReminderDigest.objects.get(user=organiser)
    assert (digest.day, digest.items) == (timezone.localdate(), 1)
    assert digest.sent_at is not None


def test_nothing_is_sent_when_nothing_is_due(organiser, tree):
    with_email(organiser)
    fresh(tree["ward1_cell"])
    stuck(tree["ward3_cell"])  # another ward's
    send()
    assert mail.outbox == []


def test_an_organiser_never_gets_another_wards_candidates(organiser, other_organiser, tree):
    with_email(organiser)
    with_email(other_organiser)
    mine = stuck(tree["ward1_cell"], full_name="Người Phường Một")
    theirs = stuck(tree["ward3_cell"], full_name="Người Phường Ba")
    send()
    by_user = {m.to[0]: m.body + m.alternatives[0][0] for m in mail.outbox}
    assert mine.full_name in by_user["alice@example.org"]
    assert theirs.full_name not in by_user["alice@example.org"]
    assert theirs.full_name in by_user["bob@example.org"]
    assert mine.full_name not in by_user["bob@example.org"]


def test_the_mail_carries_no_citizen_id(organiser, tree):
    with_email(organiser)
    stuck(tree["ward1_cell"], citizen_id="093012345678")
    send()
    message = mail.outbox[0]
    assert "093012345678" not in message.body + message.alternatives[0][0]
    assert "5678" not in message.body + message.alternatives[0][0]


def test_the_mail_is_in_the_users_language(organiser, other_organiser, tree):
    with_email(organiser, language="vi")
    with_email(other_organiser, language="en")
    stuck(tree["ward1_cell"])
    stuck(tree["ward3_cell"])
    send()
    by_user = {m.to[0]: m for m in mail.outbox}
    assert by_user["bob@example.org"].subject.startswith("1 reminder for")
    assert "Nhắc việc" in by_user["alice@example.org"].subject
    assert "Thân gửi" in by_user["alice@example.org"].body


def test_users_who_turned_reminders_off_get_none(organiser, tree):
    with_email(organiser, reminders=User.Reminders.OFF)
    stuck(tree["ward1_cell"])
    send()
    assert mail.outbox == []


def test_users_without_an_address_get_none(organiser, tree):
    stuck(tree["ward1_cell"])
    send()
    assert mail.outbox == []
    assert not ReminderDigest.objects.exists()


def test_weekly_users_get_one_digest_a_week_on_the_weeks_day(organiser, tree):
    with_email(organiser, reminders=User.Reminders.WEEKLY)
    stuck(tree["ward1_cell"])
    monday = monday_after(timezone.localdate())
    assert week_start(monday) == monday  # REMINDER_WEEKDAY: Monday by default
    ReminderDigest.objects.create(user=organiser, day=monday - timedelta(days=7), items=1)
    for day in range(-6, 7):  # Tuesday to Sunday, Monday, Tuesday to Sunday
        send(monday + timedelta(days=day))
    assert len(mail.outbox) == 1
    assert ReminderDigest.objects.latest("day").day == monday


def test_a_weekly_digest_that_failed_goes_on_the_next_day(organiser, tree, settings):
    with_email(organiser, reminders=User.Reminders.WEEKLY)
    stuck(tree["ward1_cell"])
    monday = monday_after(timezone.localdate())
    settings.EMAIL_BACKEND = "tests.test_reminders.DownBackend"
    with pytest.raises(CommandError):
        send(monday)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    send(monday + timedelta(days=1))
    assert len(mail.outbox) == 1


class DownBackend(EmailBackend):
    """A mail server that is down."""

    def send_messages(self, messages):
        raise smtplib.SMTPConnectError(421, "Service not available")


class RefusesBob(EmailBackend):
    """A mail server that refuses one address and delivers the others."""

    def send_messages(self, messages):
        if any("bob@example.org" in m.to for m in messages):
            raise smtplib.SMTPRecipientsRefused({"bob@example.org": (550, b"No")})
        return super().send_messages(messages)


def test_a_mail_server_that_is_down_loses_nothing_and_the_next_run_sends(organiser, tree, settings):
    with_email(organiser)
    stuck(tree["ward1_cell"])
    settings.EMAIL_BACKEND = "tests.test_reminders.DownBackend"
    with pytest.raises(CommandError) as failed:
        send()
    assert failed.value.returncode == 1
    assert not ReminderDigest.objects.exists()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    send()
    assert len(mail.outbox) == 1
    assert ReminderDigest.objects.get().sent_at is not None


def test_one_refused_address_does_not_stop_the_others(organiser, other_organiser, tree, settings):
    with_email(organiser)
    with_email(other_organiser)
    stuck(tree["ward1_cell"])
    stuck(tree["ward3_cell"])
    settings.EMAIL_BACKEND = "tests.test_reminders.RefusesBob"
    with pytest.raises(CommandError):
        send()
    assert [m.to for m in mail.outbox] == [["alice@example.org"]]
    assert list(ReminderDigest.objects.values_list("user__username", flat=True)) == ["alice"]


class BreaksOnAlice(EmailBackend):
    """A mail that cannot be built for one user (here a header Django refuses)."""

    def send_messages(self, messages):
        if any("alice@example.org" in m.to for m in messages):
            raise BadHeaderError("Header values can't contain newlines")
        return super().send_messages(messages)


def test_an_unexpected_error_with_one_digest_does_not_stop_the_others(
    organiser, other_organiser, tree, settings, caplog
):
    with_email(organiser)
    with_email(other_organiser)
    stuck(tree["ward1_cell"])
    stuck(tree["ward3_cell"])
    settings.EMAIL_BACKEND = "tests.test_reminders.BreaksOnAlice"
    with pytest.raises(CommandError):
        send()
    assert [m.to for m in mail.outbox] == [["bob@example.org"]]
    assert list(ReminderDigest.objects.values_list("user__username", flat=True)) == ["bob"]
    assert "The reminders of alice were not sent" in caplog.text


# --- settings ----------------------------------------------------------------------------

SHOW_MAIL_SETTINGS = (
    "from django.conf import settings as s; "
    "print(s.EMAIL_BACKEND, s.EMAIL_HOST, s.EMAIL_PORT, s.EMAIL_USE_TLS, s.SITE_URL)"
)


def last_line(result) -> list[str]:
    return (result.stdout.strip().splitlines() or [""])[-1].split()


def test_development_prints_e_mails_on_the_console():
    result = run_manage("shell", "-c", SHOW_MAIL_SETTINGS, DJANGO_DEBUG="1")
    assert last_line(result)[0] == "django.core.mail.backends.console.EmailBackend", result.stderr


def test_production_sends_by_smtp_with_the_servers_settings_from_the_environment():
    result = run_manage(
        "shell",
        "-c",
        SHOW_MAIL_SETTINGS,
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="x" * 50,
        EMAIL_HOST="smtp.internal",
        EMAIL_PORT="587",
        EMAIL_USE_TLS="1",
        DJANGO_SITE_URL="https://ketnap.example.org/",
    )
    assert last_line(result) == [
        "django.core.mail.backends.smtp.EmailBackend",
        "smtp.internal",
        "587",
        "True",
        "https://ketnap.example.org",
    ], result.stderr


# --- the demo ----------------------------------------------------------------------------


# The demo is loaded once per run (tests/snapshots.py); the demo classes share a worker.
@pytest.mark.xdist_group("demo")
class DemoRemindersTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        kept_snapshot(load_demo).restore()
        for user in User.objects.filter(unit__isnull=False):
            with_email(user)

    def test_send_reminders_run_twice_sends_each_due_digest_once(self):
        send()
        first = {m.to[0] for m in mail.outbox}
        self.assertTrue({"staff@example.org", "organiser@example.org"} <= first)
        self.assertEqual(len(mail.outbox), len(first))
        send()
        self.assertEqual(len(mail.outbox), len(first))
        self.assertEqual(ReminderDigest.objects.filter(items__gt=0).count(), len(first))

    def test_each_digest_links_only_to_candidates_of_its_users_subtree(self):
        send()
        for message in mail.outbox:
            user = User.objects.get(email=message.to[0])
            ids = {int(pk) for pk in re.findall(r"/candidates/(\d+)/", message.body)}
            self.assertTrue(ids)
            inside = set(
                Candidate.objects.for_user(user).filter(pk__in=ids).values_list("pk", flat=True)
            )
            self.assertEqual(ids, inside, user.username)

    def test_no_digest_carries_a_citizen_id(self):
        send()
        numbers = list(
            Candidate.objects.exclude(citizen_id__isnull=True)
            .exclude(citizen_id="")
            .values_list("citizen_id", flat=True)
        )
        self.assertTrue(numbers)
        for message in mail.outbox:
            text = message.body + message.alternatives[0][0]
            self.assertFalse([n for n in numbers if n in text], message.to)

    def test_the_ward_one_organiser_sees_the_list_and_the_count(self):
        organiser = User.objects.get(username="organiser")
        self.client.force_login(organiser)
        english(self.client)
        response = self.client.get(URL)
        self.assertEqual(response.status_code, 200)
        ward1 = Organisation.objects.get(code="VT-P1")
        for section in response.context["sections"]:
            for item in section["items"]:
                candidate = Candidate.objects.get(pk=item.candidate_id)
                self.assertTrue(candidate.unit.path.startswith(ward1.path))
        self.assertContains(response, 'id="nav-reminders"')


def test_a_digest_claimed_by_a_run_that_died_while_sending_goes_on_the_next_run(organiser, tree):
    with_email(organiser)
    stuck(tree["ward1_cell"])
    today = timezone.localdate()
    claim = ReminderDigest.objects.create(user=organiser, day=today, items=1)
    ReminderDigest.objects.filter(pk=claim.pk).update(
        claimed_at=timezone.now() - reminders.ABANDONED_AFTER + timedelta(minutes=1)
    )
    send()  # claimed 29 minutes ago: another run may still be sending it
    assert mail.outbox == []
    ReminderDigest.objects.filter(pk=claim.pk).update(
        claimed_at=timezone.now() - reminders.ABANDONED_AFTER - timedelta(minutes=1)
    )
    send()  # 31 minutes: that run died; this one sends it, once
    send()
    assert len(mail.outbox) == 1
    assert ReminderDigest.objects.get().sent_at is not None
