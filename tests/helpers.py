"""Small helpers that tests share."""

import os
import subprocess
import sys

from django.conf import settings
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse


def english(client: Client) -> Client:
    """``client``, asking for pages in English (the default is Vietnamese)."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def admin_deletes(client: Client, row) -> str:
    """Ask the admin to delete ``row`` both ways, on its delete page and by "delete
    selected" on its list; returns the delete page, as text in English."""
    name = f"admin:{row._meta.app_label}_{row._meta.model_name}"
    delete = reverse(f"{name}_delete", args=[row.pk])
    page = english(client).get(delete).text
    client.post(delete, {"post": "yes"})
    action = {"action": "delete_selected", "_selected_action": [row.pk], "post": "yes"}
    client.post(reverse(f"{name}_changelist"), action)
    return page


def messages_of(response) -> list[str]:
    """The messages a response left for the user, as text."""
    return [str(m) for m in get_messages(response.wsgi_request)]


def settings_process(expression: str, *, drop: tuple = ("DJANGO_",), **env):
    """``config/settings.py`` built from an environment as a deployment's would be, in a
    process of its own: the variables starting with ``drop`` are removed, ``env`` added (with
    ``DJANGO_DEBUG=1``), and ``json.dumps(expression)`` printed, ``s`` being the settings.
    Returns the finished process, for its output or its start-up error."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    environment.update(env, DJANGO_DEBUG="1")
    return subprocess.run(
        [
            sys.executable,
            "-c",
            f"import json, config.settings as s; print(json.dumps({expression}))",
        ],
        cwd=settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


def waiting_for_a_lock() -> bool:
    """Whether another connection of this database waits for a lock (PostgreSQL): the
    tests that stage two transactions wait for it instead of sleeping."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] > 0


def one_then_the_other(first, ready, second, go, timeout: float = 30) -> None:
    """Two transactions staged on PostgreSQL: ``first`` runs in a thread until it sets
    ``ready`` (holding its locks), then ``second`` in another until it waits for a lock;
    then ``go`` is set and both are waited for. Each callable closes its own connection."""
    import threading
    import time

    a = threading.Thread(target=first)
    a.start()
    assert ready.wait(timeout=timeout)
    b = threading.Thread(target=second)
    b.start()
    deadline = time.monotonic() + timeout
    while b.is_alive() and not waiting_for_a_lock():
        assert time.monotonic() < deadline
    go.set()
    a.join(timeout=timeout)
    b.join(timeout=timeout)
