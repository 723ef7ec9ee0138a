from urllib.parse import urljoin, urlsplit

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import Resolver404, resolve
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.forms import LimitedPasswordChangeForm, ProfileForm
from recruitment.views.replies import refused_if_posted


@login_required
def home(request):
    """Organisers start at their candidates, Organisation Board staff at the dashboard."""
    if request.user.is_board_staff:
        return redirect("recruitment:dashboard")
    return redirect("recruitment:candidate-list")


@login_required
def profile(request):
    """The user's own settings: e-mail address, how often reminders come, their language."""
    form = ProfileForm(request.POST or None, instance=request.user, request=request)
    if form.is_valid():
        form.save()
        messages.success(request, _("Your preferences are saved."))
        return redirect("accounts:profile")
    refused_if_posted(request)
    return render(request, "accounts/profile.html", {"form": form})


class SignInView(auth_views.LoginView):
    """Django's login, then a word for a user whose unit a reorganisation closed: where
    they now are (once; ``UnitChangeNotice``)."""

    def get_redirect_url(self):
        """The ``next`` to follow, less one that is the sign-in page itself.

        A signed-in user who opens the sign-in page is sent on at once
        (``redirect_authenticated_user``); sent on to the sign-in page, Django stops with a
        500 ("Redirection loop"), or redirects until the browser gives up. They go home
        (LOGIN_REDIRECT_URL) instead, as after signing in.
        """
        url = super().get_redirect_url()
        return "" if url and is_sign_in_page(self.request, url) else url

    def form_valid(self, form):
        response = super().form_valid(form)
        tell_unit_changes(self.request)
        return response


def is_sign_in_page(request, url: str) -> bool:
    """Whether ``url``, read as the browser would from this page, leads to the sign-in page
    (``?next=…`` alone is this very page)."""
    path = urlsplit(urljoin(request.path, url)).path
    if path == request.path:
        return True
    try:
        return resolve(path).view_name == "accounts:login"
    except Resolver404:
        return False


def tell_unit_changes(request) -> None:
    from recruitment.models import UnitChangeNotice

    notices = UnitChangeNotice.objects.filter(user=request.user, seen_at__isnull=True)
    for notice in notices.select_related("from_unit", "to_unit", "reorganisation"):
        values = {
            "old": notice.from_unit.name,
            "day": notice.reorganisation.effective_on.strftime("%d/%m/%Y"),
            "reference": notice.reorganisation.document_reference,
        }
        if notice.to_unit is None:
            text = (
                _(
                    "%(old)s closed on %(day)s (%(reference)s): you are attached to no unit "
                    "until an administrator gives you one."
                )
                % values
            )
        else:
            text = _("%(old)s closed on %(day)s (%(reference)s): you now work in %(new)s.") % {
                **values,
                "new": notice.to_unit.name,
            }
        messages.info(request, text)
    notices.update(seen_at=timezone.now())


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
        refused_if_posted(self.request)
        response = super().form_invalid(form)  # at the limit, the form says why (``limited``)
        if form.has_error("old_password", "locked_out"):
            response.status_code = 429
        return response
