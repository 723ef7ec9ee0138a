"""Error pages that need more than Django's defaults."""

from django.shortcuts import render

from recruitment.views.params import BadParameter


def bad_request(request, exception):
    """The 400 page, saying what was wrong when the app knows (a parameter it cannot read).

    Other refusals (a forged host, an over-large request) keep the generic text: their
    exception's message is not written for users. Django's own 400 page is rendered without
    the request; this one has it, so that the page is in the user's language and layout.
    """
    reason = exception.message if isinstance(exception, BadParameter) else ""
    return render(request, "400.html", {"reason": reason}, status=400)
