"""The pipeline at the end of each year (``models.PipelineAtYearEnd``), for the dashboard's
year on year. Today's counts are kept (``rollups``); the past is recorded here.

- ``record(year)``: the current year, from today's kept counts (one read, one write), run
  daily by ``manage.py record_pipeline``: the year's last run leaves where it ended.
- ``record_from_history(years)``: past years, worked out once from the stage changes: each
  candidate's stage on 31 December is that of its latest change on or before that day,
  counted in its unit today and in every unit above it, recorded on the day of the run.
  Counted in today's units, so it only fills years never recorded (``record_all``): a year
  recorded as it ended is the tree as it stood then (DESIGN.md §4), which a move or a
  reorganisation since would rewrite.

Only units with candidates get a row, and every top unit open during the year one (0 if
need be), which marks the year recorded. ``read`` gives 0 for the other units open during a
year recorded as it ended (on or before 31 December: nobody in their pipeline), nothing for
a unit without a row in a year worked out later (a unit closed since may have held
candidates then), nor for a year never recorded, nor for a unit not open in the year.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.db.models import Max, OuterRef, Q, Subquery
from django.utils import timezone

from recruitment import figures_cache, rollups, stages
from recruitment.models import Candidate, Organisation, PipelineAtYearEnd, StageChange, Tally


def _write(year: int, counts: dict[int, int], on: date) -> int:
    """Replace the year's rows with ``counts`` (unit id: n) in one transaction, with a row
    for each top unit open during the year, 0 if it has none: the year's mark of being
    recorded (``read``)."""
    tops = Organisation.objects.filter(depth=1).open_during(year).values_list("pk", flat=True)
    counts = {**dict.fromkeys(tops, 0), **counts}
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
    """Each of ``years`` (past years) worked out from the stage changes, replacing what was
    recorded (``record_all`` passes only the years never recorded), recorded today: after
    the year's end, which tells ``read`` it was not recorded as it ended. Returns the number
    of units written per year."""
    today = timezone.localdate()
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
        written[year] = _write(year, counts, today)
    return written


@dataclass
class Recorded:
    """What ``record_all`` did: the past years it worked out (units written), those it kept
    as recorded (the day of their record), and the current year (units written)."""

    filled: dict[int, int]
    kept: dict[int, date]
    current: tuple[int, int]  # (year, units written)


def recorded_years(years: Iterable[int]) -> dict[int, date]:
    """Those of ``years`` that have rows, with the day they were recorded (the latest)."""
    rows = PipelineAtYearEnd.objects.filter(year__in=list(years)).values("year")
    return dict(rows.annotate(on=Max("recorded_on")).values_list("year", "on"))


def record_all() -> Recorded:
    """Every past year from the first stage change that was never recorded, from history;
    those recorded are kept, as the tree stood then. Then the current year from today's
    kept counts."""
    today = timezone.localdate()
    first = StageChange.objects.order_by("on").values_list("on", flat=True).first()
    past = range(first.year, today.year) if first else range(0)
    kept = recorded_years(past)
    filled = record_from_history([year for year in past if year not in kept])
    return Recorded(filled=filled, kept=kept, current=(today.year, record()))


def read(units: Iterable[Organisation], years) -> dict[tuple[int, int], int]:
    """The recorded pipeline of ``units`` in ``years``, by (unit id, year), for the units
    open during the year. A unit with no row of its own reads 0 in a year recorded as it
    ended (on or before 31 December, by ``record``: nobody in its pipeline then), nothing in
    a year worked out later from the history (counted in today's units, it cannot say what
    a unit closed since held), nor in a year never recorded. One query."""
    units, years = list(units), list(years)
    # With the top units' rows, which say whether and when a year was recorded (``_write``).
    asked = Organisation.objects.filter(Q(pk__in=[u.pk for u in units]) | Q(depth=1))
    rows = PipelineAtYearEnd.objects.filter(unit__in=asked.values("pk"), year__in=years)
    found, as_it_ended = {}, set()
    for unit_id, year, n, on in rows.values_list("unit_id", "year", "n", "recorded_on"):
        found[(unit_id, year)] = n
        if on <= date(year, 12, 31):
            as_it_ended.add(year)
    pipelines = {}
    for unit in units:
        for year in years:
            if not unit.is_open_during(year):
                continue
            if (unit.pk, year) in found:
                pipelines[(unit.pk, year)] = found[(unit.pk, year)]
            elif year in as_it_ended:
                pipelines[(unit.pk, year)] = 0
    return pipelines
