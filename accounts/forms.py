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

LOCKED_OUT = _(
    "Too many wrong passwords for this account from this address: changing the "
    "password and signing in are locked for a while. Try again later, or ask an "
    "administrator to unlock the account."
)

ENTER_THE_PASSWORD = _("To change the e-mail address, enter your current password.")


def limited(request, user, check):
    """``check()`` of the user's current password, where a wrong one counts as a failed
    sign-in (django-axes): the limit, its duration, counting per user and address, and the
    admin's unlock are those of signing in, and both count towards the same lockout.
    Without a limit, anyone at a session left open could guess the password for ever."""
    credentials = get_credentials(user.get_username())
    locked_out = ValidationError(LOCKED_OUT, code="locked_out")
    if AxesProxyHandler.is_locked(request, credentials):
        raise locked_out  # even the right password, as at sign-in
    try:
        checked = check()
    except ValidationError:
        # The signal django-axes counts failed sign-ins by.
        user_login_failed.send(__name__, credentials=credentials, request=request)
        if request.axes_locked_out:
            # django-axes would answer with its sign-in lockout page: the form says it in its
            # own words instead, to a user who is still signed in.
            request.axes_locked_out = False
            raise locked_out from None
        raise
    if settings.AXES_RESET_ON_SUCCESS:
        AxesProxyHandler.reset_attempts(
            username=user.get_username(), ip_address=request.axes_ip_address
        )
    return checked


class LimitedPasswordChangeForm(PasswordChangeForm):
    """Django's password change, where a wrong current password counts as a failed sign-in
    (``limited``)."""

    def __init__(self, user, *args, request, **kwargs):
        self.request = request
        super().__init__(user, *args, **kwargs)

    def clean_old_password(self):
        return limited(self.request, self.user, super().clean_old_password)


class ProfileForm(forms.ModelForm):
    """What a user sets for themselves: where and how often reminders reach them.

    A new e-mail address needs the current password: the digests name candidates, and a
    session left open must not be enough to send them elsewhere."""

    password = forms.CharField(
        label=_("Current password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text=_("Needed only to change the e-mail address."),
    )

    class Meta:
        model = User
        fields = ["email", "reminders", "language"]
        help_texts = {"email": _("Reminder e-mails go to this address.")}

    def __init__(self, *args, request, **kwargs):
        self.request = request
        super().__init__(*args, **kwargs)

    def clean(self):
        cleaned = super().clean()
        if "email" in self.changed_data and "email" in cleaned:
            password = cleaned.get("password") or ""
            if not password:
                # Asked for, not checked: an empty field is no guess at the password, and
                # counting it would lock a user out of signing in for forgetting to type.
                self.add_error("password", ValidationError(ENTER_THE_PASSWORD, code="required"))
                return cleaned

            def check():
                if not self.instance.check_password(password):
                    raise ValidationError(ENTER_THE_PASSWORD, code="password_incorrect")

            try:
                limited(self.request, self.instance, check)
            except ValidationError as error:
                self.add_error("password", error)
        return cleaned
