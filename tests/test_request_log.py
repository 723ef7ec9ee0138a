"""One log line per request with its id, the id in a header and on the 500 page
(config/requestlog.py)."""

import json
import logging

import pytest
from django.test import Client
from django.urls import path

from config.requestlog import JsonFormatter


def boom(request):
    raise RuntimeError("boom")


# The 500 handler is read from the root URLconf: this module is one for the test below.
urlpatterns = [path("boom/", boom)]
handler500 = "config.views.server_error"


def request_lines(caplog):
    return [r for r in caplog.records if r.name == "config.requests"]


def test_each_request_logs_one_line_with_its_id(client, caplog):
    caplog.set_level(logging.INFO, logger="config.requests")
    response = client.get("/healthz")
    [record] = request_lines(caplog)
    fields = record.request_fields
    assert fields["request_id"] == response["X-Request-ID"]
    assert len(fields["request_id"]) == 32
    assert (fields["method"], fields["path"], fields["status"]) == ("GET", "/healthz", 200)
    assert fields["user_id"] is None
    assert fields["duration_ms"] >= 0
    assert f"id={fields['request_id']}" in record.getMessage()


def test_the_proxys_request_id_is_kept_and_a_forged_one_replaced(client):
    response = client.get("/healthz", headers={"X-Request-ID": "0f1e2d3c4b5a69788796a5b4"})
    assert response["X-Request-ID"] == "0f1e2d3c4b5a69788796a5b4"
    response = client.get("/healthz", headers={"X-Request-ID": "<script>\n"})
    assert response["X-Request-ID"] != "<script>\n"
    assert len(response["X-Request-ID"]) == 32


@pytest.mark.django_db
def test_the_line_names_the_signed_in_user(organiser, organiser_client, caplog):
    caplog.set_level(logging.INFO, logger="config.requests")
    assert organiser_client.get("/candidates/").status_code == 200
    [record] = request_lines(caplog)
    assert record.request_fields["user_id"] == organiser.pk
    assert record.request_fields["status"] == 200


def test_json_lines_hold_the_requests_fields(client, caplog):
    caplog.set_level(logging.INFO, logger="config.requests")
    response = client.get("/healthz")
    [record] = request_lines(caplog)
    entry = json.loads(JsonFormatter().format(record))
    assert entry["request_id"] == response["X-Request-ID"]
    assert entry["status"] == 200
    assert entry["path"] == "/healthz"
    assert entry["logger"] == "config.requests"
    assert entry["level"] == "INFO"


def test_json_lines_of_other_loggers_keep_their_message():
    record = logging.LogRecord("x", logging.WARNING, __file__, 1, "disk %s full", ("/",), None)
    assert json.loads(JsonFormatter().format(record))["message"] == "disk / full"


@pytest.mark.urls("tests.test_request_log")
def test_the_500_page_shows_the_request_id(caplog):
    caplog.set_level(logging.INFO, logger="config.requests")
    response = Client(raise_request_exception=False).get("/boom/")
    assert response.status_code == 500
    request_id = response["X-Request-ID"]
    assert f"<code>{request_id}</code>" in response.content.decode()
    [record] = request_lines(caplog)
    assert record.request_fields["request_id"] == request_id
    assert record.request_fields["status"] == 500
