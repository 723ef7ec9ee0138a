"""The idle timeout without a database write per page (config/middleware.py): a signed-in
session is written again, its expiry moved on, once its last write is five minutes old."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

pytestmark = pytest.mark.django_db


def signed_in(organiser) -> Client:
    client = Client()
    response = client.post(reverse("accounts:login"), {"username": "alice", "password": "pw"})
    assert response.status_code == 302
    return client


def expiry() -> timezone.datetime:
    return Session.objects.get().expire_date


def test_a_page_soon_after_the_last_write_writes_no_session(organiser):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        client = signed_in(organiser)
        signed_in_until = expiry()
        clock.shift(timedelta(minutes=4))
        response = client.get(reverse("recruitment:candidate-list"))
        assert response.status_code == 200
        assert "sessionid" not in response.cookies
    assert expiry() == signed_in_until


def test_a_page_five_minutes_after_the_last_write_moves_the_expiry_on(organiser):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        client = signed_in(organiser)
        signed_in_until = expiry()
        clock.shift(timedelta(minutes=6))
        response = client.get(reverse("recruitment:candidate-list"))
        assert response.cookies["sessionid"]["max-age"] == 8 * 60 * 60
    assert expiry() == signed_in_until + timedelta(minutes=6)


def test_an_idle_session_expires(organiser):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        client = signed_in(organiser)
        clock.shift(timedelta(hours=8, minutes=1))
        response = client.get(reverse("recruitment:candidate-list"))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]
