"""Imports: ``/imports/`` (upload, and the user's past imports), the template of each kind,
the preview and result page of one import, and its commit.

A small file is checked (and written) during the request; a larger one by the background
worker, while its page shows a progress bar that refreshes itself (no script: the page's
Content-Security-Policy allows none inline).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from recruitment.imports import kinds, reading, runner, tasks, workbook
from recruitment.imports.forms import UploadForm
from recruitment.imports.models import ImportJob
from recruitment.paging import window
from recruitment.views.decorators import read_only
from recruitment.views.params import choice_param
from recruitment.views.replies import refused_if_posted

PAGE_SIZE = 20  # of the user's past imports, latest first


def _too_large(size: int) -> str:
    try:
        reading.check_size(size)
    except reading.Refused as refused:
        return refused.message
    return ""


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def import_start(request):
    kind = choice_param(request, "kind", [value for value, _label in kinds.allowed(request.user)])
    refusal = _too_large(getattr(request, "upload_too_large", 0))  # uploads.SizeLimitUploadHandler
    form = UploadForm(
        None if refusal else (request.POST or None),
        None if refusal else (request.FILES or None),
        user=request.user,
        initial={"kind": kind or ImportJob.Kind.CANDIDATES},
    )
    if request.method == "POST" and not refusal and form.is_valid():
        upload = form.cleaned_data["file"]
        content = upload.read(settings.IMPORT_MAX_BYTES + 1)
        refusal = _too_large(len(content))
        if not refusal:
            job = ImportJob.objects.create(
                kind=form.cleaned_data["kind"],
                file_name=(upload.name or "upload")[-255:],
                content=content,
                size=len(content),
                by=request.user,
                language=get_language() or settings.LANGUAGE_CODE,
                year=form.cleaned_data["year"],
                namesakes_confirmed=form.cleaned_data["namesakes_confirmed"],
            )
            _start(job, tasks.check_import, runner.check)
            messages.info(
                request,
                _("%(file)s was received: it is read and checked before anything is written.")
                % {"file": job.file_name},
            )
            return redirect("recruitment:import-detail", pk=job.pk)
    status = 200
    if refusal:
        messages.error(request, refusal)
        status = 413
    else:
        refused_if_posted(request)
    page = window(ImportJob.objects.for_user(request.user).defer("content"), request, PAGE_SIZE)
    return render(
        request,
        "recruitment/imports/start.html",
        {
            "form": form,
            "jobs": page.object_list,
            "page_obj": page,
            "kinds": kinds.allowed(request.user),
            "limit_mb": settings.IMPORT_MAX_BYTES // (1024 * 1024),
        },
        status=status,
    )


def _start(job: ImportJob, task, inline) -> None:
    """Run ``inline`` now for a small file; queue ``task`` for the worker otherwise."""
    if job.size <= settings.IMPORT_INLINE_BYTES:
        inline(job)
        return
    transaction.on_commit(lambda: task.enqueue(job.pk))


@login_required
@read_only
def import_template(request, kind):
    if kind not in dict(kinds.allowed(request.user)):
        raise Http404
    unit = getattr(request.user, "unit", None)
    content = workbook.template(kind, unit_code=unit.code if unit else "")
    response = HttpResponse(
        content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="{workbook.filename(kind)}"'
    return response


def _get_job_for_user(request, pk: int) -> ImportJob:
    return get_object_or_404(ImportJob.objects.for_user(request.user).defer("content"), pk=pk)


def problem_lines(job: ImportJob) -> list[dict]:
    """Each kept problem as a sentence: "row 14, column Date of birth: …"."""
    lines = []
    for row, column, message, is_error in job.problems:
        if column:
            text = _("row %(row)s, column %(column)s: %(message)s") % {
                "row": row,
                "column": column,
                "message": message,
            }
        else:
            text = _("row %(row)s: %(message)s") % {"row": row, "message": message}
        lines.append({"row": row, "text": text, "is_error": is_error})
    return lines


@login_required
@read_only
def import_detail(request, pk):
    job = _get_job_for_user(request, pk)
    counts = {
        key: job.counts.get(key, 0) for key in ("new", "changed", "unchanged", "duplicate", "error")
    }
    return render(
        request,
        "recruitment/imports/detail.html",
        {
            "job": job,
            "counts": counts,
            "writable": counts["new"] + counts["changed"],
            "problems": problem_lines(job),
            "more_problems": max(job.problem_count - len(job.problems), 0),
            "list_url": _list_url(job),
        },
    )


def _list_url(job: ImportJob) -> str:
    from django.urls import reverse

    return {
        ImportJob.Kind.CANDIDATES: reverse("recruitment:candidate-list"),
        ImportJob.Kind.MEMBERS: reverse("recruitment:member-list"),
        ImportJob.Kind.RESULTS: reverse("recruitment:class-list"),
        ImportJob.Kind.QUOTAS: reverse("recruitment:quota-list"),
    }[job.kind]


@login_required
@require_POST
def import_commit(request, pk):
    job = _get_job_for_user(request, pk)
    only_valid = request.POST.get("only_valid") == "1"
    waiting = (ImportJob.Status.CHECKED, ImportJob.Status.NOT_WRITTEN)
    if job.status not in waiting:
        messages.error(request, _("This import is not waiting to be written."))
    elif job.error_rows and not only_valid:
        messages.error(
            request,
            _(
                "Nothing was written: some rows have errors. Correct the file and upload it "
                "again, or choose to write only the valid rows."
            ),
        )
    # Claimed in one UPDATE: of two clicks (or tabs) at once, one starts the writing.
    elif not ImportJob.objects.filter(pk=job.pk, status__in=waiting).update(
        only_valid=only_valid, status=ImportJob.Status.COMMIT_QUEUED
    ):
        messages.error(request, _("This import is not waiting to be written."))
    else:
        job = ImportJob.objects.select_related("by__unit").get(pk=job.pk)
        _start(job, tasks.commit_import, runner.commit)
        messages.success(
            request,
            _("Writing %(file)s: this page shows how far it has got.") % {"file": job.file_name},
        )
    return redirect("recruitment:import-detail", pk=job.pk)
