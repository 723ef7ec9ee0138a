"""The kinds of file the importer reads, and who may import each."""

from __future__ import annotations

from types import ModuleType

from recruitment.imports.models import ImportJob

Kind = ImportJob.Kind


def get(kind: str) -> ModuleType:
    """The module of ``kind``: its ``columns()``, ``Importer`` and ``EXAMPLE``."""
    from recruitment.imports import candidates, members, quotas, results

    return {
        Kind.CANDIDATES: candidates,
        Kind.MEMBERS: members,
        Kind.RESULTS: results,
        Kind.QUOTAS: quotas,
    }[kind]


def allowed(user) -> list[tuple[str, str]]:
    """The kinds ``user`` may import, as choices: quotas are set by the Organisation Board."""
    return [
        (value, label)
        for value, label in Kind.choices
        if value != Kind.QUOTAS or getattr(user, "is_board_staff", False)
    ]
