"""Reads from the replica (config/replica.py): read-only requests only, never after a write,
and a browser that wrote reads from the primary for a few seconds."""

import time

import pytest
from django.contrib.sessions.models import Session
from django.http import HttpResponse
from django.test import RequestFactory

from config import replica
from recruitment.models import Candidate

router = replica.PrimaryReplicaRouter()


@pytest.fixture
def with_replica(monkeypatch):
    monkeypatch.setattr(replica, "replica_configured", lambda: True)


def serve(request, view=None):
    """The request through ReplicaMiddleware; what its view's reads were routed to."""
    seen = {}

    def get_response(request):
        if view:
            view()
        seen["candidate"] = router.db_for_read(Candidate)
        seen["session"] = router.db_for_read(Session)
        return HttpResponse()

    response = replica.ReplicaMiddleware(get_response)(request)
    return seen, response


def test_a_page_read_reads_the_replica_but_the_session_from_the_primary(with_replica):
    seen, response = serve(RequestFactory().get("/dashboard/"))
    assert seen == {"candidate": "replica", "session": "default"}
    assert replica.COOKIE not in response.cookies


def test_a_form_sent_reads_and_writes_the_primary_and_sticks_to_it(with_replica, settings):
    seen, response = serve(RequestFactory().post("/candidates/new/"))
    assert seen["candidate"] == "default"
    assert response.cookies[replica.COOKIE]["max-age"] == settings.REPLICA_STICKY_SECONDS
    # The next page, within the few seconds, reads the primary: the user sees their write.
    request = RequestFactory().get("/candidates/")
    request.COOKIES[replica.COOKIE] = response.cookies[replica.COOKIE].value
    assert serve(request)[0]["candidate"] == "default"
    # Later, the replica again.
    request.COOKIES[replica.COOKIE] = str(int(time.time()) - 1)
    assert serve(request)[0]["candidate"] == "replica"


def test_a_read_after_a_write_in_the_same_request_reads_the_primary(with_replica):
    seen, response = serve(RequestFactory().get("/x/"), view=lambda: router.db_for_write(Candidate))
    assert seen["candidate"] == "default"
    assert replica.COOKIE in response.cookies


def test_a_bad_cookie_is_no_cookie(with_replica):
    request = RequestFactory().get("/candidates/")
    request.COOKIES[replica.COOKIE] = "soon"
    assert serve(request)[0]["candidate"] == "replica"


def test_without_a_replica_everything_reads_the_primary():
    assert serve(RequestFactory().get("/dashboard/"))[0]["candidate"] == "default"


def test_outside_a_request_everything_reads_the_primary(with_replica):
    assert router.db_for_read(Candidate) == "default"


def test_migrations_run_on_the_primary_only():
    assert router.allow_migrate("default", "recruitment")
    assert not router.allow_migrate("replica", "recruitment")


def test_the_replica_and_pgbouncer_settings_from_the_environment():
    import json

    from tests.helpers import settings_process

    result = settings_process(
        "{a: [d['HOST'], d.get('DISABLE_SERVER_SIDE_CURSORS'), d.get('TEST')]"
        " for a, d in s.DATABASES.items()}",
        drop=("DJANGO_", "DATA"),
        DATABASE_URL="postgres://app@127.0.0.1:6432/recruitment",
        DATABASE_REPLICA_URL="postgres://app@10.0.0.2:6432/recruitment",
        DATABASE_PGBOUNCER="1",
    )
    assert result.returncode == 0, result.stderr
    databases = json.loads(result.stdout)
    assert databases["default"][:2] == ["127.0.0.1", True]
    assert databases["replica"] == ["10.0.0.2", True, {"MIRROR": "default"}]


def test_postgresql_connections_turn_jit_off_unless_behind_pgbouncer():
    """Compiling a costly query took 0.75 s of the 1 s a province's duplicates page spent on
    it; PgBouncer refuses startup options (docs/scaling.md)."""
    import json

    from tests.helpers import settings_process

    def options(**env):
        result = settings_process(
            "s.DATABASES['default'].get('OPTIONS', {})", drop=("DJANGO_", "DATA"), **env
        )
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    assert options(DATABASE_URL="postgres://app@127.0.0.1:5432/recruitment") == {
        "options": "-c jit=off"
    }
    pgbouncer = options(
        DATABASE_URL="postgres://app@127.0.0.1:6432/recruitment", DATABASE_PGBOUNCER="1"
    )
    assert "options" not in pgbouncer
    assert "options" not in options(DATABASE_URL="sqlite:///db.sqlite3")


@pytest.mark.django_db
def test_the_connection_runs_without_jit_on_postgresql():
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's own setting (CI runs the suite on it)")
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
