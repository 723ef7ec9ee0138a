"""Forms of the accounts: password change with the same limit on wrong passwords as
signing in; the user's own preferences."""

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_credentials
from django import forms
from django.conf import settings
from django.contrib.auth.forms import PasswordChangeForm
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.models import User


class LimitedPasswordChangeForm(PasswordChangeForm):
    """Django's password change, where a wrong current password counts as a failed sign-in.

    Without a limit, anyone at a session left open could guess the password for ever. The
    failures go to django-axes, so the limit, its duration, counting per user and address,
    and the admin's unlock are those of signing in; both count towards the same lockout.
    """

    error_messages = {
        **PasswordChangeForm.error_messages,
        "locked_out": _(
            "Too many wrong passwords for this account from this address: changing the "
            "password and signing in are locked for a while. Try again later, or ask an "
            "administrator to unlock the account."
        ),
    }

    def __init__(self, user, *args, request, **kwargs):
        self.request = request
        super().__init__(user, *args, **kwargs)

    def clean_old_password(self):
        credentials = get_credentials(self.user.get_username())
        locked_out = ValidationError(self.error_messages["locked_out"], code="locked_out")
        if AxesProxyHandler.is_locked(self.request, credentials):
            raise locked_out  # even the right password, as at sign-in
        try:
            old_password = super().clean_old_password()
        except ValidationError:
            # The signal django-axes counts failed sign-ins by.
            user_login_failed.send(__name__, credentials=credentials, request=self.request)
            if self.request.axes_locked_out:
                raise locked_out from None
            raise
        if settings.AXES_RESET_ON_SUCCESS:
            AxesProxyHandler.reset_attempts(
                username=self.user.get_username(), ip_address=self.request.axes_ip_address
            )
        return old_password


class ProfileForm(forms.ModelForm):
    """What a user sets for themselves: where and how often reminders reach them."""

    class Meta:
        model = User
        fields = ["email", "reminders", "language"]
        help_texts = {"email": _("Reminder e-mails go to this address.")}
