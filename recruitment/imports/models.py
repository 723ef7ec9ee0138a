"""An import job: one uploaded file, checked (the preview), then written or not.

The file itself is kept in the row (bounded by ``IMPORT_MAX_BYTES``): the worker that checks
or writes it may run on another machine than the web server that received it. Only the
first rows' outcomes and a bounded number of problems are kept, so a 100,000-row file does
not make a 100,000-entry page.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

# At most this many problems and sample rows are kept for the preview page.
MAX_PROBLEMS = 2000
MAX_SAMPLE = 100


class ImportJobQuerySet(models.QuerySet):
    def for_user(self, user):
        """A user sees the imports they uploaded (superusers: all)."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        if user.is_superuser:
            return self.all()
        return self.filter(by=user)


class ImportJob(models.Model):
    class Kind(models.TextChoices):
        CANDIDATES = "candidates", _("Candidates")
        MEMBERS = "members", _("Party members")
        RESULTS = "results", _("Class results")
        QUOTAS = "quotas", _("Quotas")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting to be checked")
        CHECKING = "checking", _("Being checked")
        CHECKED = "checked", _("Checked: waiting for your decision")
        REFUSED = "refused", _("Refused")
        COMMIT_QUEUED = "commit_queued", _("Waiting to be written")
        COMMITTING = "committing", _("Being written")
        DONE = "done", _("Written")
        NOT_WRITTEN = "not_written", _("Nothing was written")
        FAILED = "failed", _("Failed")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.QUEUED
    )
    file_name = models.CharField(_("file"), max_length=255)
    content = models.BinaryField(editable=False)
    size = models.PositiveIntegerField(_("size (bytes)"), default=0)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    language = models.CharField(max_length=10, default="vi")
    year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True)
    only_valid = models.BooleanField(_("write only the valid rows"), default=False)
    namesakes_confirmed = models.BooleanField(default=False)
    total_rows = models.PositiveIntegerField(default=0)
    done_rows = models.PositiveIntegerField(default=0)
    counts = models.JSONField(default=dict)
    problems = models.JSONField(default=list)
    problem_count = models.PositiveIntegerField(default=0)
    sample = models.JSONField(default=list)
    refusal = models.TextField(blank=True)
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = ImportJobQuerySet.as_manager()

    class Meta:
        app_label = "recruitment"
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.file_name} ({self.get_kind_display()})"

    @property
    def running(self) -> bool:
        return self.status in RUNNING

    @property
    def percent(self) -> int:
        if not self.total_rows:
            return 0
        return min(100, self.done_rows * 100 // self.total_rows)

    @property
    def error_rows(self) -> int:
        return self.counts.get("error", 0)


# Waiting for the worker or in its hands (to check or to write): it still reads the file.
RUNNING = (
    ImportJob.Status.QUEUED,
    ImportJob.Status.CHECKING,
    ImportJob.Status.COMMIT_QUEUED,
    ImportJob.Status.COMMITTING,
)
