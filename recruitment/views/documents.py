"""A candidate's paperwork: the dossier checklist and the pre-filled DOCX documents."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.text import slugify
from django.views.decorators.http import require_safe

from recruitment.documents import catalogue, dossier
from recruitment.documents import render as docx
from recruitment.documents.context import candidate_context
from recruitment.models import Candidate
from recruitment.text import search_key
from recruitment.views.candidates import _get_candidate_for_user


def _get_paperwork_candidate(request, pk: int) -> Candidate:
    """The candidate if the user may draft their paperwork: outsiders 404, as everywhere;
    a candidate seen but not theirs to change, 403."""
    candidate = _get_candidate_for_user(request, pk)
    if not request.user.can_change(candidate.unit):
        raise PermissionDenied
    return candidate


@login_required
@require_safe
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
@require_safe
def candidate_document(request, pk, form):
    """One document of the dossier as DOCX, filled from the record."""
    candidate = _get_paperwork_candidate(request, pk)
    found = catalogue.BY_SLUG.get(form)
    if found is None or not found.generated:
        raise Http404("No such document")
    content = docx.render(
        docx.template_bytes(found.slug, candidate.unit), candidate_context(candidate)
    )
    name = slugify(search_key(candidate.full_name)) or str(candidate.pk)
    response = HttpResponse(content, content_type=docx.DOCX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="mau-{found.slug}-{name}.docx"'
    return response
