"""Reads from a streaming replica when DATABASE_REPLICA_URL is set (docs/scaling.md).

``PrimaryReplicaRouter`` sends a read to the replica only when all of these hold:

- the request is a read (GET or HEAD) — a form sent, and everything it reads, stays on the
  primary, so that a write never rests on a read that lags behind it;
- nothing was written in this request yet (a read after a write goes to the primary);
- the user wrote nothing in the last ``REPLICA_STICKY_SECONDS`` seconds: after a write the
  ``ReplicaMiddleware`` sets a cookie that keeps that browser's reads on the primary for a
  while, so a user always reads their own write on the next page (a forged cookie only
  buys reads from the primary);
- the model is not one that must be current: sessions, the sign-in lockout (axes) and the
  background tasks always read the primary.

Migrations run on the primary only; the replica gets them by replication.
"""

import time
from contextvars import ContextVar

from django.conf import settings

REPLICA = "replica"
COOKIE = "primary_until"
# The user (is it still active, is its password the session's?) is read from the primary
# too: a replica that lags must not keep a deactivated user's session working.
PRIMARY_ONLY_APPS = {
    "sessions",
    "axes",
    "django_tasks_db",
    "django_tasks_database",
    settings.AUTH_USER_MODEL.split(".")[0],
}
SAFE_METHODS = {"GET", "HEAD"}

# Per request (and per thread: gthread workers run several requests at once).
_may_read_replica: ContextVar[bool] = ContextVar("may_read_replica", default=False)
_wrote: ContextVar[bool] = ContextVar("wrote", default=False)


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


def reading_replica() -> bool:
    """Whether this request's reads may come from the replica, which may lag: what they
    compute must not be cached for others (``figures_cache``)."""
    return _may_read_replica.get() and not _wrote.get() and replica_configured()


class PrimaryReplicaRouter:
    def db_for_read(self, model, **hints):
        if reading_replica() and model._meta.app_label not in PRIMARY_ONLY_APPS:
            return REPLICA
        return "default"

    def db_for_write(self, model, **hints):
        _wrote.set(True)
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the same data on both

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"


class ReplicaMiddleware:
    """Decides per request whether its reads may go to the replica, and keeps a browser on
    the primary for a few seconds after it wrote."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not replica_configured():  # no replica: nothing to decide, no cookie to keep
            return self.get_response(request)
        sticky = _cookie_time(request) > time.time()
        may = request.method in SAFE_METHODS and not sticky
        read_token, wrote_token = _may_read_replica.set(may), _wrote.set(False)
        try:
            response = self.get_response(request)
            if _wrote.get() or request.method not in SAFE_METHODS:
                until = int(time.time()) + settings.REPLICA_STICKY_SECONDS
                response.set_cookie(
                    COOKIE,
                    str(until),
                    max_age=settings.REPLICA_STICKY_SECONDS,
                    secure=settings.SESSION_COOKIE_SECURE,
                    httponly=True,
                    samesite="Lax",
                )
            return response
        finally:
            _may_read_replica.reset(read_token)
            _wrote.reset(wrote_token)


def _cookie_time(request) -> float:
    try:
        return float(request.COOKIES.get(COOKIE, 0))
    except ValueError:
        return 0.0
