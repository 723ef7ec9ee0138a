"""What every page that saves says when it saved nothing."""

from django.contrib import messages
from django.utils.translation import gettext as _


def refused_if_posted(request) -> None:
    """A refused form says so at the top too, not only on its fields."""
    if request.method == "POST":
        messages.error(request, _("Nothing was saved: please correct the errors below."))
