"""The client's address behind the TLS proxy, as django-axes sees it (docs/deploy.md).

Each test builds the settings from the environment as a deployment would, in a separate
process, and replays the requests that the proxy would pass on.
"""

import json

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client, override_settings
from django.urls import reverse

from tests.helpers import settings_process

pytestmark = pytest.mark.django_db

PROXY = "127.0.0.1"  # nginx on the same server: every request reaches Django from here
ADDRESS_SETTINGS = ["AXES_CLIENT_IP_CALLABLE", "PROXY_COUNT"]


def run_settings(**env):
    expression = f"{{n: getattr(s, n) for n in {ADDRESS_SETTINGS!r} if hasattr(s, n)}}"
    return settings_process(expression, drop=("DJANGO_", "DATABASE"), **env)


def address_settings(**env) -> dict:
    """The client-address settings that config/settings.py makes of this environment."""
    result = run_settings(**env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def sign_in(client, password, forwarded_for=None):
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    return client.post(
        reverse("accounts:login"), {"username": "alice", "password": password}, headers=headers
    )


def lock_out(client, forwarded_for=None):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = sign_in(client, "wrong", forwarded_for)
    assert response.status_code == 429


def test_behind_the_proxy_locking_one_address_leaves_another_free(organiser):
    with override_settings(**address_settings(DJANGO_BEHIND_TLS_PROXY="1")):
        lock_out(Client(REMOTE_ADDR=PROXY), "10.0.0.5")
        assert sign_in(Client(REMOTE_ADDR=PROXY), "pw", "10.0.0.6").status_code == 302
        assert sign_in(Client(REMOTE_ADDR=PROXY), "pw", "10.0.0.5").status_code == 429
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["10.0.0.5"]


def test_behind_the_proxy_an_address_the_client_sends_is_not_believed(organiser):
    # The client at 10.0.0.5 claims to be 10.0.0.6; the proxy appends the address it saw.
    with override_settings(**address_settings(DJANGO_BEHIND_TLS_PROXY="1")):
        lock_out(Client(REMOTE_ADDR=PROXY), "10.0.0.6, 10.0.0.5")
        assert sign_in(Client(REMOTE_ADDR=PROXY), "pw", "10.0.0.6").status_code == 302
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["10.0.0.5"]


def test_behind_two_proxies_the_client_is_second_from_the_right(organiser):
    with override_settings(**address_settings(DJANGO_PROXY_COUNT="2")):
        lock_out(Client(REMOTE_ADDR="10.0.1.2"), "203.0.113.9, 10.0.0.5, 10.0.1.1")
        assert (
            sign_in(Client(REMOTE_ADDR="10.0.1.2"), "pw", "10.0.0.6, 10.0.1.1").status_code == 302
        )
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["10.0.0.5"]


def test_without_a_proxy_the_header_is_ignored(organiser):
    with override_settings(**address_settings()):
        client = Client(REMOTE_ADDR="10.0.0.5")
        for n in range(settings.AXES_FAILURE_LIMIT):
            # A new made-up address each time does not buy more attempts.
            response = sign_in(client, "wrong", f"192.0.2.{n}")
        assert response.status_code == 429
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["10.0.0.5"]


@pytest.mark.parametrize(("value", "error"), [("-1", "is below 0"), ("two", "is not a whole")])
def test_a_bad_proxy_count_is_a_clear_startup_error(value, error):
    result = run_settings(DJANGO_PROXY_COUNT=value)
    assert result.returncode != 0
    assert f"DJANGO_PROXY_COUNT={value!r} {error}" in result.stderr


@pytest.mark.parametrize(
    "sent",
    [
        '"',  # an unclosed quote once swallowed the proxy's address: no address at all
        '192.0.2.1, "',  # ... and made the address the client wrote the client's
        "192.0.2.1, for=192.0.2.2",
    ],
)
def test_behind_the_proxy_a_client_cannot_choose_its_address_with_a_quote(organiser, sent):
    # nginx appends the address it saw to whatever the client sent (docs/deploy.md).
    forwarded_for = f"{sent}, 10.0.0.5"
    with override_settings(**address_settings(DJANGO_BEHIND_TLS_PROXY="1")):
        lock_out(Client(REMOTE_ADDR=PROXY), forwarded_for)
        assert sign_in(Client(REMOTE_ADDR=PROXY), "pw", "10.0.0.6").status_code == 302
        assert sign_in(Client(REMOTE_ADDR=PROXY), "pw", "10.0.0.5").status_code == 429
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["10.0.0.5"]
