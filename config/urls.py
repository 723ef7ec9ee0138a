from django.contrib import admin
from django.urls import include, path

from accounts.views import home
from config.health import healthz, readyz

handler400 = "config.views.bad_request"
handler500 = "config.views.server_error"

urlpatterns = [
    path("", home, name="home"),
    # For load balancers and supervisors (config/health.py): no authentication, no data.
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("accounts/", include("accounts.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("", include("recruitment.urls")),
]
