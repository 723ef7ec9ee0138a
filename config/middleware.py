from django.conf import settings
from django.contrib.sessions import middleware as sessions
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpResponse
from django.middleware.locale import LocaleMiddleware
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.log import log_response
from django.utils.translation import gettext as _

from recruitment.views.params import BadParameter


class VietnameseFirstLocaleMiddleware(LocaleMiddleware):
    """Vietnamese unless the user chose otherwise with the language switch (a cookie).

    Django's own middleware would follow the browser's Accept-Language, and offices run
    English-language browsers too; the app is Vietnamese first.
    """

    def process_request(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen and translation.check_for_language(chosen) else None
        translation.activate(language or settings.LANGUAGE_CODE)
        request.LANGUAGE_CODE = translation.get_language()


class SessionMiddleware(sessions.SessionMiddleware):
    """Django's, with one log line and a 503 page per request while the database is down.

    Every signed-in page reads the session from the database first. When that fails,
    Django's session middleware reads it again to save it (SESSION_SAVE_EVERY_REQUEST),
    fails again, and each failure is logged as a traceback headed by the session's own
    "no attribute '_session_cache'": two per request, burying the OperationalError.
    """

    def process_exception(self, request, exception):
        if is_database_unreachable(exception):
            return database_unavailable(request, exception)
        return None

    def process_response(self, request, response):
        try:
            return super().process_response(request, response)
        except DatabaseError as error:
            if response.status_code >= 500:
                # Django saves no session after a server error anyway, and the request's
                # failure has been reported: this is the same failure again.
                return response
            if is_database_unreachable(error):
                return database_unavailable(request, error)
            raise


def is_database_unreachable(error: BaseException) -> bool:
    """Whether ``error`` says the database cannot be reached, rather than a query failed.

    PostgreSQL gives no SQLSTATE when it cannot be reached at all, class 08 for a lost
    connection and 57P for a server shutting down; a deadlock (40P01) or a timeout is a
    fault to see with its traceback.
    """
    if isinstance(error, InterfaceError):
        return True
    if not isinstance(error, OperationalError):
        return False
    sqlstate = getattr(error.__cause__, "pgcode", None)
    return sqlstate is None or sqlstate.startswith(("08", "57P"))


def database_unavailable(request, error: BaseException) -> HttpResponse:
    """A 503 page that needs no database, logged as one line naming the error."""
    response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = "60"
    log_response(
        "Database unavailable: %s %s: %s: %s",
        request.method,
        request.path,
        type(error).__name__,
        " ".join(str(error).split()),
        response=response,
        request=request,
    )
    return response


class RefuseNulCharactersMiddleware:
    """A NUL character in the path or in a GET or POST parameter is a 400.

    PostgreSQL refuses NUL in text ("A string literal cannot contain NUL"), so a NUL that
    reaches a query is a 500 on PostgreSQL and passes on SQLite; no form or page of the app
    has a use for one. Forms refuse it already (Django's ProhibitNullCharactersValidator);
    the admin's autocomplete and list filters do not. (A cookie cannot carry one: gunicorn
    refuses a NUL in any header.)
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        for name, values in (("path", [request.path]), *request.GET.lists(), *request.POST.lists()):
            if "\x00" in name or any("\x00" in value for value in values):
                raise BadParameter(
                    name, _("The request holds a NUL character, which is not allowed.")
                )
        return self.get_response(request)
