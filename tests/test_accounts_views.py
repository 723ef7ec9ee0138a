"""Sign in, sign out, password change, and where / sends each kind of user."""

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse

from tests.helpers import english

pytestmark = pytest.mark.django_db

LOGIN_URL = reverse("accounts:login")
LOGOUT_URL = reverse("accounts:logout")
PASSWORD_URL = reverse("accounts:password-change")
PASSWORD_DONE_URL = reverse("accounts:password-change-done")
CANDIDATES_URL = reverse("recruitment:candidate-list")
DASHBOARD_URL = reverse("recruitment:dashboard")


def is_signed_in(client: Client) -> bool:
    return SESSION_KEY in client.session


# --- / --------------------------------------------------------------------------------------


def test_home_sends_anonymous_users_to_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.url == f"{LOGIN_URL}?next=/"


def test_home_sends_organisers_to_their_candidates(organiser_client):
    response = organiser_client.get("/")
    assert response.status_code == 302
    assert response.url == CANDIDATES_URL


@pytest.mark.parametrize("who", ["staff_client", "admin_client_"])
def test_home_sends_staff_and_admins_to_the_dashboard(request, who):
    response = request.getfixturevalue(who).get("/")
    assert response.status_code == 302
    assert response.url == DASHBOARD_URL


# --- login ----------------------------------------------------------------------------------


def test_login_page_renders(client):
    response = client.get(LOGIN_URL)
    assert response.status_code == 200
    assert 'name="username"' in response.content.decode()


def test_login_with_the_right_password_signs_in_and_goes_home(client, organiser):
    response = client.post(LOGIN_URL, {"username": "alice", "password": "pw"})
    assert response.status_code == 302
    assert response.url == reverse("home")
    assert is_signed_in(client)
    assert client.get(response.url).url == CANDIDATES_URL


def test_login_follows_next(client, organiser):
    response = client.post(LOGIN_URL, {"username": "alice", "password": "pw", "next": "/members/"})
    assert response.url == "/members/"


def test_login_does_not_follow_next_to_another_site(client, organiser):
    response = client.post(
        LOGIN_URL, {"username": "alice", "password": "pw", "next": "https://evil.example/"}
    )
    assert response.status_code == 302
    assert response.url == reverse("home")


def test_login_with_a_wrong_password_is_refused(client, organiser):
    response = client.post(LOGIN_URL, {"username": "alice", "password": "wrong"})
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert not is_signed_in(client)


def test_signed_in_user_visiting_login_is_sent_home(organiser_client):
    response = organiser_client.get(LOGIN_URL)
    assert response.status_code == 302
    assert response.url == reverse("home")


def test_login_without_csrf_token_is_refused(organiser):
    client = Client(enforce_csrf_checks=True)
    response = client.post(LOGIN_URL, {"username": "alice", "password": "pw"})
    assert response.status_code == 403
    assert not is_signed_in(client)


# --- logout ---------------------------------------------------------------------------------


def test_logout_signs_out_and_returns_to_login(organiser_client):
    response = organiser_client.post(LOGOUT_URL)
    assert response.status_code == 302
    assert response.url == LOGIN_URL
    assert not is_signed_in(organiser_client)
    assert organiser_client.get(CANDIDATES_URL).status_code == 302


def test_logout_needs_a_post(organiser_client):
    assert organiser_client.get(LOGOUT_URL).status_code == 405
    assert is_signed_in(organiser_client)


# --- password -------------------------------------------------------------------------------


@pytest.mark.parametrize("target", [PASSWORD_URL, PASSWORD_DONE_URL])
def test_password_pages_need_login(client, target):
    response = client.get(target)
    assert response.status_code == 302
    assert response.url == f"{LOGIN_URL}?next={target}"


def test_password_change_page_renders(organiser_client):
    assert organiser_client.get(PASSWORD_URL).status_code == 200


def test_password_change_saves_the_new_password(organiser_client, organiser):
    response = organiser_client.post(
        PASSWORD_URL,
        {
            "old_password": "pw",
            "new_password1": "Cay-Lua-Vi-Thanh-2026",
            "new_password2": "Cay-Lua-Vi-Thanh-2026",
        },
    )
    assert response.status_code == 302
    assert response.url == PASSWORD_DONE_URL
    organiser.refresh_from_db()
    assert organiser.check_password("Cay-Lua-Vi-Thanh-2026")
    assert is_signed_in(organiser_client)  # the session survives the change
    assert english(organiser_client).get(PASSWORD_DONE_URL).status_code == 200


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (
            {
                "old_password": "wrong",
                "new_password1": "Cay-Lua-2026",
                "new_password2": "Cay-Lua-2026",
            },
            "old_password",
        ),
        (
            {"old_password": "pw", "new_password1": "Cay-Lua-2026", "new_password2": "Khac-2026"},
            "new_password2",
        ),
        ({"old_password": "pw", "new_password1": "123", "new_password2": "123"}, "new_password2"),
    ],
)
def test_password_change_refuses_bad_input(organiser_client, organiser, data, field):
    response = organiser_client.post(PASSWORD_URL, data)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    organiser.refresh_from_db()
    assert organiser.check_password("pw")


def test_password_change_without_csrf_token_is_refused(organiser):
    client = Client(enforce_csrf_checks=True)
    client.force_login(organiser)
    response = client.post(
        PASSWORD_URL,
        {"old_password": "pw", "new_password1": "Cay-Lua-2026", "new_password2": "Cay-Lua-2026"},
    )
    assert response.status_code == 403
    organiser.refresh_from_db()
    assert organiser.check_password("pw")


def test_signing_out_says_so_on_the_login_page(organiser_client):
    organiser_client.cookies["django_language"] = "en"
    response = organiser_client.post(reverse("accounts:logout"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("accounts:login")
    assert "You have signed out." in response.content.decode()
    assert "_auth_user_id" not in organiser_client.session
