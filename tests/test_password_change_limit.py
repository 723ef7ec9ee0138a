"""Wrong current passwords in the password change are limited like sign-ins (django-axes)."""

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client
from django.urls import reverse

from accounts.models import User

pytestmark = pytest.mark.django_db

PASSWORD_URL = reverse("accounts:password-change")
NEW = "Cay-Lua-Vi-Thanh-2026"
LOCKED_EN = "Too many wrong passwords for this account from this address"
LOCKED_VI = "Đã nhập sai mật khẩu quá nhiều lần"


def change(client, old, url=PASSWORD_URL):
    return client.post(url, {"old_password": old, "new_password1": NEW, "new_password2": NEW})


def signed_in_client(user, address="10.0.0.5", language="en") -> Client:
    client = Client(REMOTE_ADDR=address)
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def test_wrong_current_passwords_lock_the_password_change(organiser):
    client = signed_in_client(organiser)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = change(client, "wrong")
        assert response.status_code == 200
        assert "old_password" in response.context["form"].errors
    locked = change(client, "wrong")
    assert locked.status_code == 429
    assert LOCKED_EN in locked.text
    # Even the right password is refused while locked; the user stays signed in.
    still_locked = change(client, "pw")
    assert still_locked.status_code == 429 and LOCKED_EN in still_locked.text
    assert User.objects.get(pk=organiser.pk).check_password("pw")
    assert client.get(PASSWORD_URL).status_code == 200


def test_the_lock_message_is_in_vietnamese_by_default(organiser):
    client = signed_in_client(organiser, language="vi")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = change(client, "wrong")
    assert response.status_code == 429
    assert LOCKED_VI in response.text


def test_the_lock_also_holds_at_sign_in_from_that_address_only(organiser):
    client = signed_in_client(organiser)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        change(client, "wrong")
    login = reverse("accounts:login")
    credentials = {"username": "alice", "password": "pw"}
    assert Client(REMOTE_ADDR="10.0.0.5").post(login, credentials).status_code == 429
    assert Client(REMOTE_ADDR="10.0.0.6").post(login, credentials).status_code == 302
    assert change(signed_in_client(organiser, "10.0.0.6"), "pw").status_code == 302


def test_the_right_password_clears_earlier_failures(organiser):
    client = signed_in_client(organiser)
    change(client, "wrong")
    response = change(client, "pw")
    assert response.status_code == 302
    assert response.url == reverse("accounts:password-change-done")
    assert not AccessAttempt.objects.exists()
    assert User.objects.get(pk=organiser.pk).check_password(NEW)


def test_failed_attempts_do_not_keep_the_passwords_typed(organiser):
    client = signed_in_client(organiser)
    client.post(
        PASSWORD_URL,
        {"old_password": "Guess-One", "new_password1": "Typed-New", "new_password2": "Typed-New"},
    )
    attempt = AccessAttempt.objects.get()
    assert attempt.username == "alice" and attempt.ip_address == "10.0.0.5"
    assert "Guess-One" not in attempt.post_data and "Typed-New" not in attempt.post_data


def test_the_admin_password_change_has_the_same_limit(staff):
    client = signed_in_client(staff)
    url = reverse("admin:password_change")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = change(client, "wrong", url)
    assert response.status_code == 429
    assert LOCKED_EN in response.text
    assert User.objects.get(pk=staff.pk).check_password("pw")
    assert change(client, "pw", url).status_code == 429
