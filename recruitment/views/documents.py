"""A candidate's paperwork: the dossier checklist and the pre-filled DOCX documents."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.text import slugify
from django.utils.translation import gettext as _

from recruitment.documents import catalogue, dossier
from recruitment.documents import render as docx
from recruitment.documents.context import candidate_context
from recruitment.models import Candidate
from recruitment.text import search_key
from recruitment.views.candidates import _get_candidate_for_user
from recruitment.views.decorators import read_only


def _get_paperwork_candidate(request, pk: int) -> Candidate:
    """The candidate if the user may draft their paperwork: outsiders 404, as everywhere;
    a candidate seen but not theirs to change, 403."""
    candidate = _get_candidate_for_user(request, pk)
    if not request.user.can_change(candidate.unit):
        raise PermissionDenied
    return candidate


@login_required
@read_only
def candidate_dossier(request, pk):
    """The printable dossier checklist: each document, what the app holds, a download."""
    candidate = _get_paperwork_candidate(request, pk)
    entries = dossier.checklist(candidate)
    return render(
        request,
        "recruitment/candidates/dossier.html",
        {
            "candidate": candidate,
            "admission": [e for e in entries if e.form.procedure == catalogue.ADMISSION],
            "recognition": [e for e in entries if e.form.procedure == catalogue.RECOGNITION],
        },
    )


@login_required
@read_only
def candidate_document(request, pk, form):
    """One document of the dossier as DOCX, filled from the record."""
    candidate = _get_paperwork_candidate(request, pk)
    found = catalogue.BY_SLUG.get(form)
    if found is None or not found.generated:
        raise Http404("No such document")
    try:
        content = docx.render(
            docx.template_bytes(found.slug, candidate.unit), candidate_context(candidate)
        )
    except docx.CannotFill as error:
        # A unit's own template that does not fill: said on the dossier, not a server error.
        messages.error(
            request,
            _(
                "Form %(form)s cannot be filled from your unit's template. %(error)s Ask the "
                "Organisation Board staff who uploaded it to correct it."
            )
            % {"form": found.number, "error": error},
        )
        return redirect("recruitment:candidate-dossier", pk=candidate.pk)
    name = slugify(search_key(candidate.full_name)) or str(candidate.pk)
    response = HttpResponse(content, content_type=docx.DOCX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="mau-{found.slug}-{name}.docx"'
    return response


@login_required
@read_only
def blank_template(request, code):
    """A form's shipped template, its {{ … }} tags unfilled: what the Organisation Board's
    staff change in Word and upload in the admin as their unit's own. Holds no one's data."""
    if not request.user.is_board_staff:
        raise PermissionDenied
    file_name = catalogue.TEMPLATE_FILES.get(code)
    if file_name is None:
        raise Http404("No such form")
    response = HttpResponse((docx.TEMPLATES / file_name).read_bytes(), content_type=docx.DOCX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="mau-trong-{code}.docx"'
    return response
