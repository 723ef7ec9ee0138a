"""The pipeline at the end of each year (``models.PipelineAtYearEnd``), for the dashboard's
year on year. Today's counts are kept (``rollups``); the past is recorded here.

- ``record(year)``: the current year, from today's kept counts (one read, one write), run
  daily by ``manage.py record_pipeline``: the year's last run leaves where it ended.
- ``record_from_history(years)``: past years, worked out once from the stage changes: each
  candidate's stage on 31 December is that of its latest change on or before that day,
  counted in its unit today and in every unit above it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date

from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from recruitment import figures_cache, rollups, stages
from recruitment.models import Candidate, Organisation, PipelineAtYearEnd, StageChange, Tally


def _write(year: int, counts: dict[int, int], on: date) -> int:
    """Replace the year's rows with ``counts`` (unit id: n) in one transaction."""
    rows = [PipelineAtYearEnd(unit_id=u, year=year, n=n, recorded_on=on) for u, n in counts.items()]
    with transaction.atomic():
        PipelineAtYearEnd.objects.filter(year=year).delete()
        PipelineAtYearEnd.objects.bulk_create(rows, batch_size=5000)
        figures_cache.bump()  # the steering table's earlier years
    return len(rows)


def record(year: int | None = None) -> int:
    """Today's pipeline of every unit (its whole subtree, as kept) as ``year``'s (by default
    the current year). Returns how many units were written."""
    today = timezone.localdate()
    keys = [rollups.stage_key(s) for s in stages.ACTIVE]
    counts: Counter = Counter()
    kept = Tally.objects.filter(year=rollups.NOW, key__in=keys, n__gt=0)
    for unit_id, n in kept.values_list("unit_id", "n").iterator(chunk_size=10_000):
        counts[unit_id] += n
    return _write(year or today.year, counts, today)


def record_from_history(years: Iterable[int]) -> dict[int, int]:
    """Each of ``years`` (past years) worked out from the stage changes. Returns the number
    of units written per year."""
    paths = dict(Organisation.objects.values_list("pk", "path"))
    by_path = {path: pk for pk, path in paths.items()}
    written = {}
    for year in years:
        end = date(year, 12, 31)
        latest = StageChange.objects.filter(candidate=OuterRef("pk"), on__lte=end).order_by(
            "-on", "-at", "-id"
        )
        then = Candidate.objects.annotate(stage_then=Subquery(latest.values("to_stage")[:1]))
        active = then.filter(stage_then__in=stages.ACTIVE)
        per_unit = Counter(active.values_list("unit_id", flat=True).iterator(chunk_size=10_000))
        counts: Counter = Counter()
        for unit_id, n in per_unit.items():
            path = paths[unit_id]
            for prefix in [*Organisation.ancestor_paths(path), path]:
                counts[by_path[prefix]] += n
        written[year] = _write(year, counts, end)
    return written


def record_all() -> dict[int, int]:
    """Every past year from the first stage change, from history, then the current year from
    today's kept counts. Returns the number of units written per year."""
    today = timezone.localdate()
    first = StageChange.objects.order_by("on").values_list("on", flat=True).first()
    written = record_from_history(range(first.year, today.year)) if first else {}
    written[today.year] = record()
    return written


def read(units, years) -> dict[tuple[int, int], int]:
    """The recorded pipeline of ``units`` in ``years``, by (unit id, year). One query."""
    rows = PipelineAtYearEnd.objects.filter(unit__in=list(units), year__in=list(years))
    return {(u, y): n for u, y, n in rows.values_list("unit_id", "year", "n")}
