from django.contrib import admin
from django.urls import include, path

from accounts.views import home

handler400 = "config.views.bad_request"

urlpatterns = [
    path("", home, name="home"),
    path("accounts/", include("accounts.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("", include("recruitment.urls")),
]
