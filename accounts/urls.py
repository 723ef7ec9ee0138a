from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from accounts.views import PasswordChangeView, SignInView, SignOutView, profile

app_name = "accounts"

urlpatterns = [
    path(
        "login/",
        SignInView.as_view(template_name="accounts/login.html", redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", SignOutView.as_view(), name="logout"),
    path("profile/", profile, name="profile"),
    path(
        "password/",
        PasswordChangeView.as_view(
            template_name="accounts/password_change.html",
            success_url=reverse_lazy("accounts:password-change-done"),
        ),
        name="password-change",
    ),
    path(
        "password/done/",
        auth_views.PasswordChangeDoneView.as_view(template_name="accounts/password_done.html"),
        name="password-change-done",
    ),
]
