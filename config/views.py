"""Error pages that need more than Django's defaults."""

from django.http import HttpResponseServerError
from django.shortcuts import render
from django.template.loader import render_to_string

from recruitment.views.params import BadParameter


def bad_request(request, exception):
    """The 400 page, saying what was wrong when the app knows (a parameter it cannot read).

    Other refusals (a forged host, an over-large request) keep the generic text: their
    exception's message is not written for users. Django's own 400 page is rendered without
    the request; this one has it, so that the page is in the user's language and layout.
    """
    reason = exception.message if isinstance(exception, BadParameter) else ""
    return render(request, "400.html", {"reason": reason}, status=400)


def server_error(request):
    """The 500 page, with the request's id for the user to quote (config/requestlog.py).

    Rendered without the request's context, as Django's own: whatever failed (the database,
    a context processor) must not fail the error page too.
    """
    request_id = getattr(request, "request_id", "")
    return HttpResponseServerError(render_to_string("500.html", {"request_id": request_id}))
