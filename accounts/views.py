from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from accounts.forms import LimitedPasswordChangeForm, ProfileForm


@login_required
def home(request):
    """Organisers start at their candidates, Organisation Board staff at the dashboard."""
    if request.user.is_board_staff:
        return redirect("recruitment:dashboard")
    return redirect("recruitment:candidate-list")


@login_required
def profile(request):
    """The user's own settings: e-mail address, how often reminders come, their language."""
    form = ProfileForm(request.POST or None, instance=request.user)
    if form.is_valid():
        form.save()
        messages.success(request, _("Your preferences are saved."))
        return redirect("accounts:profile")
    return render(request, "accounts/profile.html", {"form": form})


class SignOutView(auth_views.LogoutView):
    """Django's logout (POST only), ending with a message like every other action."""

    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        messages.info(request, _("You have signed out."))
        return response


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's password change with wrong current passwords limited like sign-ins.

    A class, as Django's is: the admin's password change uses it too (config/admin.py).
    """

    form_class = LimitedPasswordChangeForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "request": self.request}

    def form_invalid(self, form):
        # At the limit django-axes would answer with its sign-in lockout page; the form says
        # it in its own words instead, to a user who is still signed in.
        self.request.axes_locked_out = False
        response = super().form_invalid(form)
        if form.has_error("old_password", "locked_out"):
            response.status_code = 429
        return response
