"""A reorganisation of the party tree as a recorded, dated event (DESIGN.md §4).

"The unit on a date": a unit that holds history is never moved (its materialised path is
never rewritten). A reorganisation closes units on its effective date and opens successor
units where the tree changes shape; ``UnitSuccession`` says which new unit continues which
old one. Past admissions (``Candidate.admitted_unit``) and kept counts (``Tally``) stay
with the units that held them, so a past year reads the tree of that year.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from recruitment import figures_cache
from recruitment.models import Organisation, ScopedQuerySet


class ReorganisationQuerySet(ScopedQuerySet):
    """Scoped by the unit that owns the reorganisation: the lowest unit above every unit it
    changes (none: only admins, e.g. when roots merge)."""


class Reorganisation(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        APPLIED = "applied", _("Applied")
        UNDONE = "undone", _("Undone")

    title = models.CharField(_("title"), max_length=200)
    effective_on = models.DateField(_("effective on"))
    document_reference = models.CharField(_("document reference"), max_length=100)
    unit = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by unit"),
        help_text=_("The unit above every unit it changes; empty: only admins may see it."),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    applied_at = models.DateTimeField(null=True, blank=True)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    undone_at = models.DateTimeField(null=True, blank=True)
    # What applying wrote, so that undo can check nothing was written since and put every
    # row back as it was (``services.undo_reorganisation``).
    changes = models.JSONField(default=dict, blank=True, editable=False)

    objects = ReorganisationQuerySet.as_manager()

    class Meta:
        verbose_name = _("reorganisation")
        verbose_name_plural = _("reorganisations")
        ordering = ["-effective_on", "-pk"]

    def __str__(self):
        return f"{self.title} ({self.effective_on:%d/%m/%Y})"

    def get_absolute_url(self):
        return reverse("recruitment:reorganisation-detail", args=[self.pk])


class ReorganisationStep(models.Model):
    """One step; ``params`` name units by code (new units by the code they will have).

    - merge: ``{"sources": [codes], "target": code}`` with ``"new": {"name", "kind",
      "parent"}`` when the target is a new unit;
    - split: ``{"source": code, "targets": [{"code", "name", "kind", "parent"}],
      "assign": {"candidates"|"members"|"users"|"units": {pk or code: target code}}}``
      (what is not assigned goes to the first target);
    - move: ``{"unit": code, "parent": code}``; rename: ``{"unit": code, "name": name}``;
    - close: ``{"unit": code, "users_to": code}`` (its children and people go to its
      parent; its users to ``users_to``, or to no unit when it is not given);
    - level_removed: ``{"under": code, "kind": kind, "users_to": code}``: every unit of that
      kind under it is closed, its children and people going to its parent (users: as close).
    """

    class Kind(models.TextChoices):
        MERGE = "merge", _("Merge")
        SPLIT = "split", _("Split")
        MOVE = "move", _("Move")
        RENAME = "rename", _("Rename")
        CLOSE = "close", _("Close/dissolve")
        LEVEL_REMOVED = "level_removed", _("Level removed")

    reorganisation = models.ForeignKey(
        Reorganisation, on_delete=models.CASCADE, related_name="steps"
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    params = models.JSONField(_("parameters"), default=dict)

    class Meta:
        verbose_name = _("reorganisation step")
        verbose_name_plural = _("reorganisation steps")
        ordering = ["reorganisation", "position", "pk"]

    def __str__(self):
        return f"{self.position}. {self.get_kind_display()}"


class UnitSuccession(models.Model):
    """``successor`` continues (part of) ``predecessor`` from the reorganisation's date."""

    predecessor = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="successions_out"
    )
    successor = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="successions_in"
    )
    reorganisation = models.ForeignKey(
        Reorganisation, on_delete=models.CASCADE, related_name="successions"
    )

    class Meta:
        verbose_name = _("unit succession")
        verbose_name_plural = _("unit successions")
        constraints = [
            models.UniqueConstraint(
                fields=["predecessor", "successor"], name="succession_once_per_pair"
            )
        ]

    def __str__(self):
        return f"{self.predecessor} → {self.successor}"

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        figures_cache.bump()  # every dashboard: which units are linked (``linked_units``)

    def delete(self, *args, **kwargs):
        deleted = super().delete(*args, **kwargs)
        figures_cache.bump()
        return deleted


class UnitChangeNotice(models.Model):
    """A user's unit closed: they are told at their next sign-in where they now are."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="unit_notices"
    )
    reorganisation = models.ForeignKey(
        Reorganisation, on_delete=models.CASCADE, related_name="notices"
    )
    from_unit = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    # Empty: the unit closed without a successor and the user is attached to no unit.
    to_unit = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="+", null=True, blank=True
    )
    seen_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"{self.user}: {self.from_unit} → {self.to_unit}"
