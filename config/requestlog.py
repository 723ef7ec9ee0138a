"""One log line per request, with an id that the user can quote from the error page.

The id is taken from the proxy's ``X-Request-ID`` header when it looks like one (nginx's
``$request_id``, so the proxy's log and the app's share it), made up otherwise; it is sent
back in the ``X-Request-ID`` response header and shown on the 500 page. The line names the
method, path, status, duration and the signed-in user's id (when the request looked at the
user: the log never costs a query of its own). ``DJANGO_LOG_JSON=1`` writes the lines as
JSON objects, one per line, for a log collector.
"""

import json
import logging
import re
import time
import uuid

logger = logging.getLogger("config.requests")

HEADER = "X-Request-ID"
_VALID_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")


def request_id_of(request) -> str:
    """The request's id: the proxy's when it sent a plausible one, a new one otherwise."""
    given = request.META.get("HTTP_X_REQUEST_ID", "")
    return given if _VALID_ID.fullmatch(given) else uuid.uuid4().hex


def _user_id(request):
    # AuthenticationMiddleware caches the user here once something asked for it.
    user = getattr(request, "_cached_user", None)
    return user.pk if user is not None and user.is_authenticated else None


class RequestLogMiddleware:
    """Outermost middleware: sees every response, the error pages included."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        request.request_id = request_id_of(request)
        response = self.get_response(request)
        response[HEADER] = request.request_id
        duration_ms = round((time.perf_counter() - started) * 1000, 1)
        fields = {
            "request_id": request.request_id,
            "method": request.method,
            "path": request.path,
            "status": response.status_code,
            "duration_ms": duration_ms,
            "user_id": _user_id(request),
        }
        logger.info(
            "%(method)s %(path)s %(status)s %(duration_ms)sms user=%(user_id)s id=%(request_id)s",
            fields,
            extra={"request_fields": fields},
        )
        return response


class JsonFormatter(logging.Formatter):
    """A log record as one JSON object; a request's fields at the top level."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
        }
        fields = getattr(record, "request_fields", None)
        if isinstance(fields, dict):
            entry.update(fields)
        else:
            entry["message"] = record.getMessage()
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)
