from django.conf import settings
from django.contrib.auth.models import AbstractUser, Group
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.roles import ORGANISER_GROUP, STAFF_GROUP


class UserManager(DjangoUserManager):
    def get_queryset(self):
        """Users come with their unit: every page asks the signed-in user's (their scope),
        which was a second query on each request. The unit may be empty (a superuser), so
        the join is an outer one: to lock users, lock their own rows,
        ``select_for_update(of=("self",))`` (PostgreSQL refuses to lock an outer join's
        nullable side); and an ``only()`` of users names ``unit`` too."""
        return super().get_queryset().select_related("unit")


class User(AbstractUser):
    """A person who signs in: works in one unit, with one role.

    What they may see is the unit's subtree: ``scope_path`` bounds every scoped queryset
    (``Model.objects.for_user(user)``); ``can_change`` and ``sets_quota_of`` say what of it
    is theirs to change.
    """

    class Role(models.TextChoices):
        ORGANISER = "organiser", _("Organiser")
        STAFF = "staff", _("Organisation Board staff")

    unit = models.ForeignKey(
        "recruitment.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
        verbose_name=_("unit"),
        help_text=_("The unit this person works in; they see it and every unit below it."),
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.ORGANISER)

    class Reminders(models.TextChoices):
        DAILY = "daily", _("Every day")
        WEEKLY = "weekly", _("Once a week")
        OFF = "off", _("Never")

    reminders = models.CharField(
        _("reminder e-mails"),
        max_length=10,
        choices=Reminders.choices,
        default=Reminders.DAILY,
        help_text=_("A digest of what falls due in your units, sent only when something does."),
    )
    language = models.CharField(
        _("language"),
        max_length=10,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
        help_text=_("The language of the e-mails you receive."),
    )

    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def clean(self):
        super().clean()
        if not self.is_superuser and self.unit_id is None:
            raise ValidationError({"unit": _("Every user except a superuser works in a unit.")})

    def save(self, *args, **kwargs):
        # Board staff and admins use the Django admin (scoped to their subtree there too).
        self.is_staff = self.is_superuser or self.role == self.Role.STAFF
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "is_staff"}
        super().save(*args, **kwargs)
        if update_fields is None or "role" in update_fields:
            self.groups.set(Group.objects.filter(name=ROLE_GROUPS[self.role]))

    @property
    def scope_path(self) -> str | None:
        """The materialised path prefix that bounds what this user may see.

        ``""`` means everything (superusers); ``None`` means nothing (users attached to no
        unit). Anonymous users have no ``scope_path``: scoped querysets give them nothing.
        """
        if self.is_superuser:
            return ""
        return self.unit.path if self.unit_id is not None else None

    def can_change(self, unit) -> bool:
        """True if ``unit`` is the user's unit or lies below it: theirs to change.

        Some rows are visible from above (a class run by the city for its wards) without
        being the viewer's to change.
        """
        prefix = self.scope_path
        return prefix is not None and unit is not None and unit.path.startswith(prefix)

    def sees_from_line(self, unit) -> bool:
        """True if ``unit`` is the user's, lies below it or above it: what a unit shares with
        its line (a class run by the city for its wards) is seen from both ends, as
        ``ScopedQuerySet.above_or_under`` reads it."""
        prefix = self.scope_path
        above = unit is not None and prefix is not None and prefix.startswith(unit.path)
        return above or self.can_change(unit)

    def sets_quota_of(self, unit) -> bool:
        """The level above sets a unit's quota: a user sets those of the units below their own."""
        return self.can_change(unit) and (self.is_superuser or unit.path != self.scope_path)

    @property
    def is_board_staff(self) -> bool:
        """Organisation Board staff (or an admin): quotas, classes, dashboard, exports."""
        return self.is_superuser or self.role == self.Role.STAFF


ROLE_GROUPS = {User.Role.ORGANISER: ORGANISER_GROUP, User.Role.STAFF: STAFF_GROUP}
