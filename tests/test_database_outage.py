"""While the database is down, each failed request is one log line naming the error."""

import logging
from contextlib import contextmanager
from unittest import mock

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.db import OperationalError
from django.db.backends.base.base import BaseDatabaseWrapper
from django.test import Client
from django.urls import reverse

from config.middleware import REFRESHED_KEY

pytestmark = pytest.mark.django_db

REFUSED = (
    'connection to server at "127.0.0.1", port 5432 failed: Connection refused\n'
    "\tIs the server running on that host and accepting TCP/IP connections?\n"
)


@contextmanager
def failing_queries(error):
    """Every query fails with ``error``, as every connection attempt does in an outage."""

    def cursor(self, *args, **kwargs):
        raise error

    with mock.patch.object(BaseDatabaseWrapper, "cursor", cursor):
        yield


def server_error_lines(caplog) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.levelno >= logging.ERROR]


def assert_one_line_about_the_outage(caplog, response):
    assert response.status_code == 503
    assert "thử lại sau" in response.text and "try again" in response.text
    [line] = server_error_lines(caplog)
    message = line.getMessage()
    assert "OperationalError" in message and "Connection refused" in message
    assert "\n" not in message and line.exc_info is None
    assert "AttributeError" not in caplog.text and "_session_cache" not in caplog.text


def test_a_page_during_an_outage_is_one_log_line(organiser, caplog):
    client = Client(raise_request_exception=False)
    client.force_login(organiser)
    with failing_queries(OperationalError(REFUSED)):
        response = client.get(reverse("recruitment:candidate-list"))
    assert_one_line_about_the_outage(caplog, response)
    assert reverse("recruitment:candidate-list") in server_error_lines(caplog)[0].getMessage()


def test_signing_in_during_an_outage_is_one_log_line(organiser, caplog):
    client = Client(raise_request_exception=False)
    with failing_queries(OperationalError(REFUSED)):
        response = client.post(reverse("accounts:login"), {"username": "alice", "password": "pw"})
    assert_one_line_about_the_outage(caplog, response)


def test_a_session_that_cannot_be_saved_is_one_log_line(organiser, caplog):
    # The page was built, then the database went away before the session was saved.
    client = Client(raise_request_exception=False)
    client.force_login(organiser)
    session = client.session
    session[REFRESHED_KEY] = 0  # due to be written again (config/middleware.py)
    session.save()
    with mock.patch.object(SessionStore, "save", side_effect=OperationalError(REFUSED)):
        response = client.get(reverse("recruitment:candidate-list"))
    assert_one_line_about_the_outage(caplog, response)


def test_a_database_fault_that_is_no_outage_keeps_its_traceback(organiser, caplog):
    class DeadlockDetected(Exception):
        pgcode = "40P01"

    error = OperationalError("deadlock detected")
    error.__cause__ = DeadlockDetected()
    client = Client(raise_request_exception=False)
    client.force_login(organiser)
    with failing_queries(error):
        response = client.get(reverse("recruitment:candidate-list"))
    assert response.status_code == 500
    [line] = server_error_lines(caplog)
    assert line.exc_info and line.exc_info[1] is error
