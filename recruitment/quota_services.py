"""Writes of quotas. Keyword-only, atomic, validated before saving."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction

from recruitment.models import Organisation, Quota


@dataclass(frozen=True)
class QuotaChange:
    """The quota ``target`` for ``unit``; None removes the unit's quota for the year."""

    unit: Organisation
    target: int | None
    note: str | None = None  # None leaves the note as it is


@dataclass
class QuotaResult:
    created: list[Quota] = field(default_factory=list)
    updated: list[Quota] = field(default_factory=list)
    removed: int = 0

    @property
    def changed(self) -> int:
        return len(self.created) + len(self.updated) + self.removed


@transaction.atomic
def set_quotas(*, year: int, changes: list[QuotaChange]) -> QuotaResult:
    """Set, change or remove the quotas of several units for ``year`` in one transaction.

    Rows that would not change are left alone, so their history records nothing.
    """
    result = QuotaResult()
    units = [change.unit for change in changes]
    existing = {
        q.unit_id: q for q in Quota.objects.select_for_update().filter(unit__in=units, year=year)
    }
    for change in changes:
        quota = existing.get(change.unit.pk)
        note = change.note
        if change.target is None:
            if quota is not None:
                quota.delete()
                result.removed += 1
            continue
        if quota is None:
            quota = Quota(unit=change.unit, year=year, target=change.target, note=note or "")
            quota.full_clean()
            quota.save()
            result.created.append(quota)
            continue
        fields = []
        if quota.target != change.target:
            quota.target = change.target
            fields.append("target")
        if note is not None and quota.note != note:
            quota.note = note
            fields.append("note")
        if fields:
            quota.full_clean()
            quota.save(update_fields=fields)
            result.updated.append(quota)
    return result
