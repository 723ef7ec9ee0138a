"""DOCX documents from templates: the unit's own (uploaded in the admin; the nearest
ancestor's wins) or the one shipped in ``templates/``, filled with docxtpl."""

from __future__ import annotations

import io
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


def render(template: bytes, context: dict) -> bytes:
    """``template`` filled with ``context``."""
    from docxtpl import DocxTemplate

    document = DocxTemplate(io.BytesIO(template))
    document.render(context, jinja_env=_jinja(), autoescape=True)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


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
    from recruitment.documents.context import DOTS

    try:
        from docxtpl import DocxTemplate

        document = DocxTemplate(io.BytesIO(content))
        document.get_undeclared_template_variables(jinja_env=_jinja())
        # Filled once with nothing (every name empty, however deep): a tag that reaches for
        # what the sandbox forbids is refused now, not when someone downloads the form.
        from jinja2 import ChainableUndefined

        document.render({}, jinja_env=_jinja(undefined=ChainableUndefined), autoescape=True)
    except (zipfile.BadZipFile, KeyError):  # not a zip; a zip that is no Word document
        raise ValidationError(
            _("This file is not a Word document (DOCX): save it from Word as .docx."),
            code="not_a_template",
        ) from None
    except Exception as error:  # a broken tag: its own words say where (line, tag)
        raise ValidationError(
            _("This is not a Word (DOCX) template that can be filled: %(error)s")
            % {"error": str(error)[:200] or DOTS},
            code="not_a_template",
        ) from None
