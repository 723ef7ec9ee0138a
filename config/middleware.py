from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation
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
