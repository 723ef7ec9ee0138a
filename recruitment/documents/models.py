"""What a unit sets for its paperwork: its own version of a form's template, and the lines of
its official documents (number, place, signer). Imported by ``recruitment.models``."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from recruitment.documents.catalogue import TEMPLATE_CHOICES
from recruitment.models import Organisation, ScopedQuerySet


class DocumentTemplateQuerySet(ScopedQuerySet):
    def nearest(self, unit, code: str):
        """The template of ``code`` that ``unit`` or its nearest ancestor uploaded, or None.

        One query: the unit's own path and its ancestors' are known from the path itself.
        """
        paths = [*Organisation.ancestor_paths(unit.path), unit.path]
        return self.filter(code=code, unit__path__in=paths).order_by("-unit__depth").first()


class DocumentTemplate(models.Model):
    """A unit's own DOCX template for one form; it serves the unit and every unit below it
    that has none of its own (the nearest ancestor's wins)."""

    unit = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="document_templates",
        verbose_name=_("unit"),
        help_text=_("The template serves this unit and every unit below it that has none."),
    )
    code = models.CharField(_("form"), max_length=30, choices=TEMPLATE_CHOICES)
    # Kept in the database, not on a disk: every app server sees the same file.
    content = models.BinaryField(_("DOCX file"), editable=False)
    file_name = models.CharField(_("file name"), max_length=200, blank=True)
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now=True)

    objects = DocumentTemplateQuerySet.as_manager()

    class Meta:
        verbose_name = _("document template")
        verbose_name_plural = _("document templates")
        ordering = ["unit__path", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "code"],
                name="document_template_one_per_unit_form",
                violation_error_message=_("This unit already has a template for this form."),
            ),
        ]

    def __str__(self):
        return f"{self.unit}: {self.get_code_display()}"


class PaperworkSetting(models.Model):
    """The lines of a unit's official documents that the app cannot know: what it is called
    at the head of a document, its place, the number of the report, who signs and in what
    capacity. Anything left empty prints as a dotted line, to fill by hand."""

    unit = models.OneToOneField(
        Organisation,
        on_delete=models.CASCADE,
        related_name="paperwork_setting",
        verbose_name=_("unit"),
    )
    issuer_name = models.CharField(
        _("name at the head of documents"),
        max_length=200,
        blank=True,
        help_text=_("For example “THÀNH ỦY VỊ THANH”; empty: the unit's name in capitals."),
    )
    place = models.CharField(
        _("place"), max_length=100, blank=True, help_text=_("For example “Vị Thanh”.")
    )
    report_number = models.CharField(
        _("quota report number"),
        max_length=50,
        blank=True,
        help_text=_("For example “25-BC/TU”."),
    )
    signer_capacity = models.CharField(
        _("signs on behalf of"),
        max_length=100,
        blank=True,
        default="T/M BAN THƯỜNG VỤ",
    )
    signer_title = models.CharField(
        _("signer's title"), max_length=100, blank=True, help_text=_("For example “PHÓ BÍ THƯ”.")
    )
    signer_name = models.CharField(_("signer's name"), max_length=150, blank=True)
    recipients = models.TextField(
        _("recipients (Nơi nhận)"),
        blank=True,
        help_text=_("One per line, for example “- Ban Tổ chức Tỉnh ủy,”."),
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("paperwork setting")
        verbose_name_plural = _("paperwork settings")
        ordering = ["unit__path"]

    def __str__(self):
        return str(self.unit)
