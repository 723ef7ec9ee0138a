from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from config.admin import AutocompleteMixin


@admin.register(User)
class UserAdmin(AutocompleteMixin, BaseUserAdmin):
    """Superusers only (no group grants user permissions). The role decides the groups."""

    list_display = ["username", "get_full_name", "unit", "role", "is_active", "is_superuser"]
    list_filter = ["role", "is_active", "is_superuser"]
    list_select_related = ["unit"]
    autocomplete_fields = ["unit"]
    readonly_fields = ["last_login", "date_joined", "is_staff"]
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        (_("Personal info"), {"fields": ["first_name", "last_name", "email"]}),
        (_("Unit and role"), {"fields": ["unit", "role"]}),
        (_("Status"), {"fields": ["is_active", "is_superuser", "is_staff"]}),
        (_("Important dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["username", "password1", "password2"]}),
        (_("Unit and role"), {"fields": ["unit", "role"]}),
    ]
