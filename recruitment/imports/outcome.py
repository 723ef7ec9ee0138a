"""What became of one row, and the helpers every kind shares to say it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from recruitment.imports.columns import Row

NEW, CHANGED, UNCHANGED, DUPLICATE, ERROR = "new", "changed", "unchanged", "duplicate", "error"
ACTIONS = (NEW, CHANGED, UNCHANGED, DUPLICATE, ERROR)


@dataclass
class Outcome:
    row: int
    action: str
    label: str
    messages: list = field(default_factory=list)  # (column, message, is_error)

    @classmethod
    def _make(cls, action: str, row: Row, label: str, extra: Iterable = ()) -> Outcome:
        messages = [(column, message, True) for column, message in row.errors]
        messages += [(column, message, False) for column, message in row.notes]
        messages += [(column, message, False) for column, message in extra]
        return cls(row.number, action, str(label or ""), messages)

    @classmethod
    def error(cls, row: Row, label: str) -> Outcome:
        return cls._make(ERROR, row, label)

    @classmethod
    def new(cls, row: Row, label: str) -> Outcome:
        return cls._make(NEW, row, label)

    @classmethod
    def changed(cls, row: Row, label: str) -> Outcome:
        return cls._make(CHANGED, row, label)

    @classmethod
    def unchanged(cls, row: Row, label: str) -> Outcome:
        return cls._make(UNCHANGED, row, label)

    @classmethod
    def duplicate(cls, row: Row, label: str, message: str) -> Outcome:
        return cls._make(DUPLICATE, row, label, [("", str(message))])


def broken_rules(row: Row, broken) -> None:
    """A pipeline refusal, on the columns it concerns."""
    for rule in broken:
        row.error(rule.field if rule.field in row.headers else None, str(rule))


def validation_errors(row: Row, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for name, errors in error.message_dict.items():
            key = None if name == NON_FIELD_ERRORS else name
            for message in errors:
                row.error(key if key in row.headers else None, message)
    else:
        for message in error.messages:
            row.error(None, message)


def attribute(model, ids: Iterable[int], user, reason: str, since) -> None:
    """Mark the history rows of ``ids`` written since ``since`` (in this import's
    transaction) with ``user`` and ``reason`` (the file): the services write them
    unattributed in a background worker."""
    ids = list(ids)
    if not ids:
        return
    history = model.history.model
    for start in range(0, len(ids), 1000):
        history.objects.filter(
            id__in=ids[start : start + 1000],
            history_date__gte=since,
            history_change_reason__isnull=True,
        ).update(history_user=user, history_change_reason=reason)
