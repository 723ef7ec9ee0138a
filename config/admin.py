"""The admin site: Django's, with its "view on site" shortcut scoped like everything else."""

from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.contrib.contenttypes.views import shortcut
from django.http import Http404
from django.urls import path, reverse

from accounts.views import PasswordChangeView


class AdminSite(admin.AdminSite):
    def get_urls(self):
        urls = [url for url in super().get_urls() if getattr(url, "name", "") != "view_on_site"]
        return [
            path(
                "r/<path:content_type_id>/<path:object_id>/",
                self.admin_view(self.view_on_site),
                name="view_on_site",
            ),
            *urls,
        ]

    def password_change(self, request, extra_context=None):
        """Django's, with wrong current passwords limited like sign-ins (accounts.views)."""
        request.current_app = self.name
        return PasswordChangeView.as_view(
            success_url=reverse("admin:password_change_done", current_app=self.name),
            extra_context={**self.each_context(request), **(extra_context or {})},
        )(request)

    def view_on_site(self, request, content_type_id, object_id):
        """Django's shortcut looks the object up unscoped: a redirect would tell an outsider
        that the object exists. Here an object outside the user's subtree is a 404."""
        if not (content_type_id.isdigit() and object_id.isdigit()):
            raise Http404
        content_type = ContentType.objects.filter(pk=int(content_type_id)).first()
        model = content_type.model_class() if content_type else None
        if model is None:
            raise Http404
        queryset = model._default_manager.all()
        if hasattr(queryset, "for_user"):
            queryset = queryset.for_user(request.user)
        elif not request.user.is_superuser:
            raise Http404
        if not queryset.filter(pk=int(object_id)).exists():
            raise Http404
        return shortcut(request, content_type_id, object_id)
