from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LogoutView
from django.shortcuts import redirect
from django.utils.translation import gettext as _


@login_required
def home(request):
    """Organisers start at their candidates, Organisation Board staff at the dashboard."""
    if request.user.is_board_staff:
        return redirect("recruitment:dashboard")
    return redirect("recruitment:candidate-list")


class SignOutView(LogoutView):
    """Django's logout (POST only), ending with a message like every other action."""

    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        messages.info(request, _("You have signed out."))
        return response
