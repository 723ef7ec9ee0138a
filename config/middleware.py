import time

from django.conf import settings
from django.contrib.sessions import middleware as sessions
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpResponse, HttpResponseNotAllowed
from django.middleware.locale import LocaleMiddleware
from django.shortcuts import render
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
        translation.activate(chosen_language(request) or settings.LANGUAGE_CODE)
        request.LANGUAGE_CODE = translation.get_language()


def chosen_language(request) -> str | None:
    """The language of the cookie when the app is in it (LANGUAGES), as the app names it.

    Django's language switch stores any language Django itself is translated into: ``fr``
    gave Django's own words and dates in French amid the app's Vietnamese. ``en-us`` is
    English.
    """
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    if not chosen:
        return None
    try:
        return translation.get_supported_language_variant(chosen)
    except LookupError:
        return None


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
            # Reading the session again (to refresh it, then to save it) fails as its first
            # read did when the database is down.
            self.refresh_when_due(request)
            return super().process_response(request, response)
        except DatabaseError as error:
            if response.status_code >= 500:
                # Django saves no session after a server error anyway, and the request's
                # failure has been reported: this is the same failure again.
                return response
            if is_database_unreachable(error):
                return database_unavailable(request, error)
            raise

    @staticmethod
    def refresh_when_due(request) -> None:
        """Write a signed-in session again (moving its expiry on: the idle timeout) when its
        last write is older than SESSION_REFRESH_SECONDS; not on every request, which cost
        an UPDATE and a commit per page. A session the request did not read is left alone.
        """
        session = getattr(request, "session", None)
        if session is None or not session.accessed or session.is_empty():
            return
        now = int(time.time())
        if session.modified:  # written anyway (a sign-in, a message): that is the refresh
            session[REFRESHED_KEY] = now
            return
        # A session written by something else than a request (force_login in a test, one
        # written before this rule) has no time: it is refreshed with its next change.
        refreshed = session.get(REFRESHED_KEY)
        if refreshed is not None and now - refreshed >= settings.SESSION_REFRESH_SECONDS:
            session[REFRESHED_KEY] = now


REFRESHED_KEY = "_refreshed_at"


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


class MethodNotAllowedPageMiddleware:
    """Django's 405 has an empty body: a user who opens an address that takes only a form
    (a bookmark of the sign-out, a page left after a refused form) sees a blank page. This
    one says why, in their language, with a way home; the status and the Allow header stay.
    A 405 that says something already is left as it is.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if isinstance(response, HttpResponseNotAllowed) and not response.content:
            page = render(request, "405.html", status=405)
            page["Allow"] = response["Allow"]
            return page
        return response
