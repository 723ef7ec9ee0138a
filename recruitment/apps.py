from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RecruitmentConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "recruitment"
    verbose_name = _("Recruitment")

    def ready(self):
        from recruitment import checks  # noqa: F401  (registers the system checks)
