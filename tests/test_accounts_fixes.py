"""Sign-in, language and preference defects found in review: each test failed before its fix."""

import os
import re
import subprocess
import sys
from datetime import date

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.http import HttpResponse, HttpResponseNotAllowed
from django.test import Client, RequestFactory
from django.urls import reverse

from tests.factories import TrainingClassFactory
from tests.helpers import english, settings_process

pytestmark = pytest.mark.django_db

LOGIN_URL = reverse("accounts:login")
LOGOUT_URL = reverse("accounts:logout")
PROFILE_URL = reverse("accounts:profile")
HOME_URL = reverse("home")
SET_LANGUAGE_URL = reverse("set_language")
ONLY_A_FORM_EN = "This address only accepts a form sent from its page"
ONLY_A_FORM_VI = "Địa chỉ này chỉ nhận biểu mẫu gửi từ trang của nó"


def language_form_next(response) -> str:
    """Where the language switch at the foot of the page sends the user back to."""
    found = re.search(r'<input name="next" type="hidden" value="([^"]*)">', response.text)
    assert found, "no language form on the page"
    return found.group(1)


# --- signing in -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        LOGIN_URL,
        f"{LOGIN_URL}?next={LOGIN_URL}",
        f"http://testserver{LOGIN_URL}",
        f"?next={LOGIN_URL}",
    ],
)
def test_a_signed_in_user_sent_back_to_the_sign_in_page_goes_home(organiser_client, target):
    organiser_client.raise_request_exception = False
    response = organiser_client.get(LOGIN_URL, {"next": target})
    assert response.status_code == 302
    assert response.url == HOME_URL


def test_a_signed_in_user_still_follows_another_next(organiser_client):
    response = organiser_client.get(LOGIN_URL, {"next": "/members/"})
    assert response.status_code == 302
    assert response.url == "/members/"


def test_signing_in_with_the_sign_in_page_as_next_goes_home(client, organiser):
    response = client.post(LOGIN_URL, {"username": "alice", "password": "pw", "next": LOGIN_URL})
    assert response.status_code == 302
    assert response.url == HOME_URL


# --- the language switch ----------------------------------------------------------------------


def test_a_language_the_app_is_not_in_is_ignored(client):
    client.post(SET_LANGUAGE_URL, {"language": "fr", "next": LOGIN_URL})
    response = client.get(LOGIN_URL)
    assert response.headers["Content-Language"] == "vi"
    assert 'lang="vi"' in response.text


def test_a_regional_variant_of_english_gives_english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en-us"
    response = client.get(LOGIN_URL)
    assert response.headers["Content-Language"] == "en"


def test_the_chosen_language_is_kept_for_a_year(client):
    response = client.post(SET_LANGUAGE_URL, {"language": "en", "next": LOGIN_URL})
    cookie = response.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert cookie.value == "en"
    assert abs(int(cookie["max-age"]) - 365 * 24 * 60 * 60) <= 24 * 60 * 60
    assert cookie["samesite"] == "Lax"


def test_the_language_cookie_is_secure_in_production():
    # The process's own settings (DEBUG off), as the test settings run with DEBUG on.
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE"))}
    environment.update(
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="x" * 50,
        DJANGO_SETTINGS_MODULE="config.settings",
    )
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import config.settings as s; print(s.LANGUAGE_COOKIE_SECURE, s.SESSION_COOKIE_SECURE)",
        ],
        cwd=settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "True"]


def test_the_language_form_returns_to_a_page_shown_by_a_get(organiser_client):
    response = organiser_client.get(PROFILE_URL, {"tab": "1"})
    assert language_form_next(response) == f"{PROFILE_URL}?tab=1"


def test_the_language_form_of_a_refused_post_returns_home(organiser_client, tree):
    ended = TrainingClassFactory(
        unit=tree["city"], starts_on=date(2025, 1, 6), ends_on=date(2025, 1, 17)
    )
    url = reverse("recruitment:class-past-result", args=[ended.pk])
    response = organiser_client.post(url, {})
    assert response.status_code == 200  # the class page again, with the form's errors
    assert language_form_next(response) == HOME_URL
    # The switch then lands on a page, not on a GET of the POST-only address.
    switched = organiser_client.post(
        SET_LANGUAGE_URL, {"language": "en", "next": language_form_next(response)}
    )
    assert switched.url == HOME_URL


# --- 405 --------------------------------------------------------------------------------------


def test_opening_a_post_only_address_explains_itself(organiser_client):
    response = organiser_client.get(LOGOUT_URL)
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]
    assert ONLY_A_FORM_VI in response.text
    assert f'href="{HOME_URL}"' in response.text
    assert "_auth_user_id" in organiser_client.session  # still signed in


def test_the_405_page_speaks_english_when_asked(client, organiser, tree):
    ended = TrainingClassFactory(unit=tree["city"])
    client.force_login(organiser)
    response = english(client).get(reverse("recruitment:class-enrol", args=[ended.pk]))
    assert response.status_code == 405
    assert response.headers["Allow"] == "POST"
    assert ONLY_A_FORM_EN in response.text
    assert "Content-Security-Policy" in response.headers


def test_the_405_page_needs_no_sign_in(client):
    response = client.get(LOGOUT_URL)
    assert response.status_code == 405
    assert ONLY_A_FORM_VI in response.text


def test_a_405_that_has_a_body_is_left_alone():
    from config.middleware import MethodNotAllowedPageMiddleware

    written = HttpResponseNotAllowed(["POST"], content=b"own words")
    middleware = MethodNotAllowedPageMiddleware(lambda request: written)
    response = middleware(RequestFactory().get("/"))
    assert response is written


def test_other_empty_responses_are_left_alone():
    from config.middleware import MethodNotAllowedPageMiddleware

    empty = HttpResponse(status=204)
    middleware = MethodNotAllowedPageMiddleware(lambda request: empty)
    assert middleware(RequestFactory().get("/")) is empty


# --- preferences ------------------------------------------------------------------------------


def test_an_empty_current_password_is_asked_for_and_not_counted(organiser):
    client = Client(REMOTE_ADDR="10.0.0.5")
    client.force_login(organiser)
    preferences = {"email": "new@example.org", "reminders": "daily", "language": "vi"}
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = client.post(PROFILE_URL, {**preferences, "password": ""})
        assert response.status_code == 200
        assert response.context["form"].has_error("password", "required")
    organiser.refresh_from_db()
    assert organiser.email == ""
    client.logout()
    response = client.post(LOGIN_URL, {"username": "alice", "password": "pw"})
    assert response.status_code == 302


def test_a_wrong_current_password_still_counts(organiser_client, organiser):
    preferences = {"email": "new@example.org", "reminders": "daily", "language": "vi"}
    response = organiser_client.post(PROFILE_URL, {**preferences, "password": "guess"})
    assert response.context["form"].has_error("password", "password_incorrect")
    assert AccessAttempt.objects.get(username="alice").failures_since_start == 1


# --- limits read from the environment ---------------------------------------------------------


@pytest.mark.parametrize(
    ("variable", "setting"),
    [
        ("DJANGO_LOGIN_FAILURE_LIMIT", "AXES_FAILURE_LIMIT"),
        ("DJANGO_LOGIN_LOCKOUT_HOURS", "AXES_COOLOFF_TIME"),
        ("DJANGO_SESSION_IDLE_SECONDS", "SESSION_COOKIE_AGE"),
    ],
)
def test_a_zero_limit_stops_the_start(variable, setting):
    refused = settings_process(f"s.{setting}", **{variable: "0"})
    assert refused.returncode != 0
    assert f"{variable}='0' is below 1" in refused.stderr
    accepted = settings_process(f"s.{setting}", **{variable: "1"})
    assert accepted.returncode == 0, accepted.stderr
    assert accepted.stdout.strip() == "1"
