"""DOCX documents from templates: the unit's own (uploaded in the admin; the nearest
ancestor's wins) or the one shipped in ``templates/``, filled with docxtpl."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from recruitment import archives
from recruitment.documents.catalogue import TEMPLATE_FILES
from recruitment.documents.models import DocumentTemplate
from recruitment.models import Organisation

TEMPLATES = Path(__file__).parent / "templates"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
MAX_TEMPLATE_BYTES = 2 * 1024 * 1024
MAX_UNPACKED_BYTES = 20 * MAX_TEMPLATE_BYTES


def template_bytes(code: str, unit: Organisation) -> bytes:
    """The template of ``code`` that serves ``unit``. One query."""
    own = DocumentTemplate.objects.nearest(unit, code)
    if own is not None:
        return bytes(own.content)
    return (TEMPLATES / TEMPLATE_FILES[code]).read_bytes()


def _jinja(**options):
    """Units' staff upload templates: Jinja runs their tags sandboxed (no way from a tag to
    Python's internals, the settings or the database) and escapes what it fills in (a name
    with "&" stays a name)."""
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    return ImmutableSandboxedEnvironment(autoescape=True, **options)


class CannotFill(Exception):
    """A template that cannot be filled, said in words for the person who asked for it."""


def render(template: bytes, context: dict, *, undefined=None) -> bytes:
    """``template`` filled with ``context``; ``CannotFill`` if a tag cannot be (a unit's own
    template with a misspelt name, one uploaded before the checks below)."""
    from docxtpl import DocxTemplate
    from jinja2 import StrictUndefined, TemplateError

    try:
        document = DocxTemplate(io.BytesIO(template))
        document.render(
            context, jinja_env=_jinja(undefined=undefined or StrictUndefined), autoescape=True
        )
        out = io.BytesIO()
        document.save(out)
    except (TemplateError, TypeError, ValueError, AttributeError) as error:
        raise CannotFill(_tag_error(error)) from error
    return out.getvalue()


def _tag_error(error: Exception) -> str:
    """What is wrong with a tag, in words: Jinja's own are English and name its internals."""
    from jinja2 import TemplateSyntaxError, UndefinedError
    from jinja2.sandbox import SecurityError

    if isinstance(error, TemplateSyntaxError):
        return _(
            "A tag is broken near line %(line)s of the document: check that each tag is "
            "closed and that each “if” or “for” has its “endif” or “endfor”."
        ) % {"line": error.lineno}
    if isinstance(error, SecurityError):
        return _("A tag reaches for something a template may not use: remove it.")
    if isinstance(error, UndefinedError):
        named = re.search(r"'([^']+)' is undefined|has no attribute '([^']+)'", str(error))
        name = next((n for n in named.groups() if n), "") if named else ""
        return _(
            "A tag asks for “%(name)s”, which this form does not have: check its spelling."
        ) % {"name": name or "?"}
    return _("A tag cannot be filled: open the template in Word and check its tags.")


def template_names(content: bytes) -> set[str]:
    """The names the template's tags use (``name``, ``certificate``…)."""
    from docxtpl import DocxTemplate

    return set(DocxTemplate(io.BytesIO(content)).get_undeclared_template_variables(_jinja()))


def check_template(content: bytes) -> None:
    """Refuse an upload that is not a DOCX template docxtpl can fill."""
    if len(content) > MAX_TEMPLATE_BYTES:
        raise ValidationError(_("The file is larger than 2 MB."), code="too_large")
    archive = archives.open_zip(content)
    if archive is not None and archives.unpacks_too_far(archive, MAX_UNPACKED_BYTES):
        raise ValidationError(
            _("The file unpacks to far more data than a Word document holds; it was not opened."),
            code="zip_bomb",
        )
    from jinja2 import ChainableUndefined, TemplateError

    try:
        template_names(content)
        # Filled once with nothing (every name empty, however deep): a tag that reaches for
        # what the sandbox forbids is refused now, not when someone downloads the form.
        render(content, {}, undefined=ChainableUndefined)
    except (zipfile.BadZipFile, KeyError, ValueError):  # not a zip; a zip that is no DOCX
        raise ValidationError(
            _("This file is not a Word document (DOCX): save it from Word as .docx."),
            code="not_a_template",
        ) from None
    except TemplateError as error:  # a tag broken beyond reading
        raise ValidationError(_tag_error(error), code="not_a_template") from None
    except CannotFill as error:
        raise ValidationError(str(error), code="not_a_template") from None


def check_fills(content: bytes, code: str, unit: Organisation) -> None:
    """Refuse a template that would not fill the form ``code`` for ``unit``'s people: one
    without tags (a filled document, which would print one person's data on everyone's
    form), one naming what the form does not have (a misspelling, another form's template)."""
    names = template_names(content)
    if not names:
        raise ValidationError(
            _(
                "This document has no {{ … }} tags: it would print the same words on every "
                "form, whoever it is for. Upload a template (the blank ones are linked under the "
                "file box), not a document filled for one person."
            ),
            code="no_tags",
        )
    sample = sample_context(code, unit)
    unknown = sorted(names - sample.keys())
    if unknown:
        raise ValidationError(
            _(
                "This form has no %(names)s: check the spelling of these tags, or whether "
                "the file is the template of another form. It has: %(known)s."
            )
            % {
                "names": ", ".join(unknown[:8]) + (", …" if len(unknown) > 8 else ""),
                "known": ", ".join(sorted(sample)),
            },
            code="unknown_names",
        )
    try:
        render(content, sample)
    except CannotFill as error:
        raise ValidationError(str(error), code="not_a_template") from None


def sample_context(code: str, unit: Organisation) -> dict:
    """What the form ``code`` is filled with for a person of ``unit`` the app knows nothing
    about yet: every name it has, as dotted lines."""
    from recruitment.documents.catalogue import QUOTA_REPORT

    if code == QUOTA_REPORT:
        from recruitment.documents.report import sample_context as report_sample

        return report_sample(unit)
    from recruitment.documents.context import candidate_context
    from recruitment.models import Candidate

    return candidate_context(Candidate(unit=unit, full_name="…"))
