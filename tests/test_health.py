"""/healthz and /readyz (config/health.py): what a load balancer asks, without signing in."""

import pytest
from django.db import OperationalError
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.executor import MigrationExecutor
from django.test import Client

from config import health


def test_healthz_answers_without_the_database(client):
    # No django_db mark: any query would raise.
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok\n"
    assert "no-cache" in response["Cache-Control"]


def test_health_checks_refuse_a_post(client):
    assert client.post("/healthz").status_code == 405
    assert client.post("/readyz").status_code == 405


@pytest.mark.django_db
def test_readyz_costs_one_query_once_the_migrations_were_found_applied(
    client, monkeypatch, django_assert_num_queries
):
    monkeypatch.setattr(health, "_migrations_applied", False)
    assert client.get("/readyz").status_code == 200
    assert health._migrations_applied is True
    with django_assert_num_queries(1):
        response = client.get("/readyz")
    assert response.status_code == 200
    assert response.content == b"ok\n"


@pytest.mark.django_db
def test_readyz_is_503_while_a_migration_is_pending(client, monkeypatch):
    monkeypatch.setattr(health, "_migrations_applied", False)
    monkeypatch.setattr(MigrationExecutor, "migration_plan", lambda self, targets: [("x", False)])
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.content == b"migrations pending\n"
    assert health._migrations_applied is False


@pytest.mark.django_db
def test_readyz_is_503_while_the_database_is_unreachable(client, monkeypatch):
    def unreachable(*args, **kwargs):
        raise OperationalError("connection refused")

    # On the class: an attribute set through the connection proxy would outlive the test.
    monkeypatch.setattr(BaseDatabaseWrapper, "cursor", unreachable)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.content == b"database unavailable\n"


@pytest.mark.django_db
def test_health_checks_shows_no_data_to_a_signed_in_user(organiser_client):
    for url in ("/healthz", "/readyz"):
        response = organiser_client.get(url)
        assert response.status_code == 200
        assert response.content == b"ok\n"


def test_health_checks_are_not_redirected_to_https(settings):
    # A probe asks gunicorn directly over plain HTTP; every other page is redirected.
    settings.SECURE_SSL_REDIRECT = True
    client = Client()
    assert client.get("/healthz").status_code == 200
    assert client.get("/accounts/login/").status_code == 301
