"""Kept counts (``models.Tally``): what the dashboard and the lists read instead of counting.

Every unit keeps the counts of its whole subtree, so a page about a unit reads the rows of
that unit and of its children: O(children), whatever the size of the tree below. A
candidate adds one to each of its counts in its unit and in every unit above it:

- year ``Tally.NOW`` (0): ``stage:<stage>``, in the candidate's unit;
- the year of the admission decision, once admitted, in the unit that admitted it
  (``Candidate.admitted_unit``): ``admitted``, ``m<month>``, the make-up keys of
  ``figures.composition`` (``COMPOSITION``) and ``left`` once dropped out or struck off;
- the year the candidate last passed training (``Candidate.trained_on``), in the
  candidate's unit: ``trained``, and ``trained:admitted`` once admitted, ``trained:decided``
  once admitted or withdrawn (the cohorts of ``reports.planning``).

Writes: ``Candidate.save`` and ``Candidate.delete`` call ``candidate_saved`` and
``candidate_deleted`` in their transaction: the difference between the counts the stored
row made and those the saved row makes is added to the unit and its ancestors, in one
``INSERT … ON CONFLICT`` statement. Writes that bypass ``save`` (bulk imports,
``QuerySet.update``, loaded fixtures) call ``recompute_rollups(units, years)`` afterwards.
``manage.py verify_rollups`` recounts everything and reports any difference.
"""

from __future__ import annotations

import os
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import date

from django.db import connection, transaction

from recruitment import figures_cache, stages

NOW = 0
# recompute_rollups recounts each subtree it is given apart, up to this many.
MAX_SUBTREES = 20
ADMITTED = "admitted"
LEFT = "left"
COMPOSITION = ["women", "youth", "minority", "religious", "private_enterprise", "youth_union"]
MONTHS = [f"m{month}" for month in range(1, 13)]
TRAINED = "trained"
TRAINED_ADMITTED = "trained:admitted"
TRAINED_DECIDED = "trained:decided"

# What a candidate's counts depend on.
FIELDS = [
    "unit_id",
    "admitted_unit_id",
    "stage",
    "decision_on",
    "gender",
    "date_of_birth",
    "ethnicity",
    "religion",
    "private_enterprise",
    "youth_union_member",
    "trained_on",
]

Key = tuple[int, int, str]  # (unit id, year, key)


def stage_key(stage: str) -> str:
    return f"stage:{stage}"


def is_youth(date_of_birth: date, decision_on: date) -> bool:
    """Aged ``YOUTH_UNION_MAX_AGE`` or less on the day of the decision, as
    ``figures.composition`` has always counted it."""
    from recruitment.regulation import rule

    edge = decision_on.year - rule("YOUTH_UNION_MAX_AGE") - 1
    if date_of_birth.year != edge:
        return date_of_birth.year > edge
    return (decision_on.month, decision_on.day) < (date_of_birth.month, date_of_birth.day)


def composition_keys(state: dict) -> list[str]:
    from recruitment.models import MAJORITY_ETHNICITY, Gender

    keys = []
    if state["gender"] == Gender.FEMALE:
        keys.append("women")
    if state["date_of_birth"] and is_youth(state["date_of_birth"], state["decision_on"]):
        keys.append("youth")
    ethnicity = state["ethnicity"] or ""
    if ethnicity and ethnicity.lower() != MAJORITY_ETHNICITY.lower():
        keys.append("minority")
    if state["religion"]:
        keys.append("religious")
    if state["private_enterprise"]:
        keys.append("private_enterprise")
    if state["youth_union_member"]:
        keys.append("youth_union")
    return keys


def counts_of(state: dict | None) -> Counter:
    """The counts one candidate, in ``state`` (``FIELDS``), adds to at its own unit."""
    counts: Counter = Counter()
    if state is None:
        return counts
    counts[(state["unit_id"], NOW, stage_key(state["stage"]))] += 1
    counts.update(admission_counts(state))
    counts.update(cohort_counts(state, state["trained_on"]))
    return counts


def admission_counts(state: dict) -> Counter:
    """What an admitted candidate adds in the year of its decision, where it was admitted."""
    counts: Counter = Counter()
    decided = state["decision_on"]
    if state["stage"] in stages.ADMITTED and decided is not None:
        unit = state["admitted_unit_id"] or state["unit_id"]
        keys = [ADMITTED, f"m{decided.month}", *composition_keys(state)]
        if state["stage"] in stages.LEFT:
            keys.append(LEFT)
        for key in keys:
            counts[(unit, decided.year, key)] += 1
    return counts


def cohort_counts(state: dict, trained_on: date | None) -> Counter:
    """What a candidate adds to the cohort of the year it last passed training."""
    counts: Counter = Counter()
    if trained_on is None:
        return counts
    keys = [TRAINED]
    if state["stage"] in stages.ADMITTED:
        keys += [TRAINED_ADMITTED, TRAINED_DECIDED]
    elif state["stage"] == stages.Stage.WITHDRAWN:
        keys.append(TRAINED_DECIDED)
    for key in keys:
        counts[(state["unit_id"], trained_on.year, key)] += 1
    return counts


# --- Following each write ------------------------------------------------------------------


def stored_state(candidate) -> dict | None:
    """The values of ``FIELDS`` in the candidate's stored row, which is locked until the
    transaction ends (None if there is no row), its latest certificate's date and its name
    (which the member follows, ``Candidate.save``; its search key, for its namesakes). Read
    before the row is written, so that what another request saved meanwhile is not counted
    twice."""
    from recruitment.models import Candidate

    if candidate.pk is None:
        return None
    rows = Candidate.objects.select_for_update().filter(pk=candidate.pk)
    rows = rows.values(*FIELDS, "latest_certificate_on", "full_name", "search_name")
    return rows.first()


def candidate_saved(candidate, before: dict | None, update_fields=None) -> None:
    """Add to the kept counts what writing ``candidate`` over ``before`` (its stored row,
    ``stored_state``) changed. Called by ``Candidate.save`` in its transaction."""
    after = {name: getattr(candidate, name) for name in FIELDS}
    if update_fields is not None and before is not None:
        written = {candidate._meta.get_field(name).attname for name in update_fields}
        after = {name: after[name] if name in written else before[name] for name in FIELDS}
    add(counts_of(after), counts_of(before))


def candidate_deleted(candidate) -> None:
    """Take the candidate's counts away (``Candidate.delete``, before the row goes)."""
    add(Counter(), counts_of(stored_state(candidate)))


def add(plus: Counter, minus: Counter) -> None:
    """Add ``plus - minus`` to the counts of each unit and of every unit above it."""
    from recruitment.models import Organisation

    delta: Counter = Counter(plus)
    delta.subtract(minus)
    delta = Counter({key: n for key, n in delta.items() if n})
    if not delta:
        return
    unit_ids = {unit for unit, _year, _key in delta}
    paths = dict(Organisation.objects.filter(pk__in=unit_ids).values_list("pk", "path"))
    above = {p for path in paths.values() for p in Organisation.ancestor_paths(path)}
    ids = dict(Organisation.objects.filter(path__in=above).values_list("path", "pk"))
    expanded: Counter = Counter()
    for (unit, year, key), n in delta.items():
        expanded[(unit, year, key)] += n
        for path in Organisation.ancestor_paths(paths[unit]):
            expanded[(ids[path], year, key)] += n
    _upsert(expanded)


def _upsert(delta: Counter) -> None:
    """``n += delta`` for each (unit, year, key), inserting missing rows: one statement.

    In a fixed order, so that two transactions adding to the same rows do not deadlock.
    """
    from recruitment.models import Tally

    rows = sorted((k for k, n in delta.items() if n))
    if not rows:
        return
    table = connection.ops.quote_name(Tally._meta.db_table)
    values = ", ".join(["(%s, %s, %s, %s)"] * len(rows))
    params = [v for key in rows for v in (*key, delta[key])]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (unit_id, year, key, n) VALUES {values} "
            f"ON CONFLICT (unit_id, year, key) DO UPDATE SET n = {table}.n + EXCLUDED.n",
            params,
        )
    # The cached figures of these units' dashboards are stale once this commits.
    figures_cache.bump(units={key[0] for key in rows})


# --- Recounting ------------------------------------------------------------------------------


def recount(root_path: str = "", years: Iterable[int] | None = None) -> dict[Key, int]:
    """The counts of every unit under ``root_path`` ("" for the whole tree), recounted from
    the candidates: today's and those of ``years`` (every year when None). Counts of the
    subtree only: the units above ``root_path`` are not included."""
    from recruitment.models import Candidate, Organisation
    from recruitment.pipeline import last_trained_on

    units = dict(Organisation.objects.filter(path__startswith=root_path).values_list("pk", "path"))
    ids = {path: pk for pk, path in units.items()}
    candidates = Candidate.objects.filter(unit__path__startswith=root_path)
    admitted_elsewhere = Candidate.objects.filter(admitted_unit__path__startswith=root_path)
    if years is not None:
        years = sorted(set(years))
    leaf: Counter = Counter()
    # Today's: one row per unit and stage.
    for unit, stage, n in (
        candidates.order_by().values_list("unit_id", "stage").annotate(n=_count()).iterator()
    ):
        leaf[(unit, NOW, stage_key(stage))] += n
    # Admissions: every admitted candidate counted where it was admitted (those admitted in
    # this subtree and moved away since included; those moved in excluded).
    admitted = (candidates | admitted_elsewhere).filter(
        stage__in=stages.ADMITTED, decision_on__isnull=False
    )
    if years is not None:
        admitted = admitted.filter(decision_on__year__in=years) if years else admitted.none()
    for state in admitted.order_by().values(*FIELDS).iterator(chunk_size=5000):
        for (unit, year, key), n in admission_counts(state).items():
            if unit in units:
                leaf[(unit, year, key)] += n
    # Trained cohorts: the day of the last stage change into "trained", read from the
    # history itself rather than from the date the pipeline keeps on the candidate.
    trained = candidates.annotate(last_trained=last_trained_on())
    trained = trained.filter(last_trained__isnull=False)
    if years is not None:
        trained = trained.filter(last_trained__year__in=years) if years else trained.none()
    for state in (
        trained.order_by().values("unit_id", "stage", "last_trained").iterator(chunk_size=5000)
    ):
        leaf.update(cohort_counts(state, state["last_trained"]))
    counts: Counter = Counter()
    top = len(root_path)
    for (unit, year, key), n in leaf.items():
        path = units[unit]
        counts[(unit, year, key)] += n
        for prefix in Organisation.ancestor_paths(path):
            if len(prefix) >= top and prefix in ids:
                counts[(ids[prefix], year, key)] += n
    return {key: n for key, n in counts.items() if n}


def _count():
    from django.db.models import Count

    return Count("pk")


def stored(root_path: str = "", years: Iterable[int] | None = None) -> dict[Key, int]:
    """The kept counts of every unit under ``root_path`` (today's and ``years``')."""
    from recruitment.models import Tally

    rows = Tally.objects.filter(unit__path__startswith=root_path).exclude(n=0)
    if years is not None:
        rows = rows.filter(year__in=[NOW, *years])
    return {(u, y, k): n for u, y, k, n in rows.values_list("unit_id", "year", "key", "n")}


def differences(root_path: str = "", years=None) -> list[tuple[Key, int, int]]:
    """(key, kept, recounted) wherever they differ."""
    kept, fresh = stored(root_path, years), recount(root_path, years)
    return [
        (key, kept.get(key, 0), fresh.get(key, 0))
        for key in sorted(kept.keys() | fresh.keys())
        if kept.get(key, 0) != fresh.get(key, 0)
    ]


@transaction.atomic
def recompute_rollups(units: Iterable | None = None, years: Iterable[int] | None = None) -> int:
    """Recount the kept counts after writes that bypassed ``Candidate.save`` (an import's
    bulk inserts or updates): those of the subtrees of ``units`` (units or ids; every unit
    when None) for today and ``years`` (every year when None), and what they add to the
    units above them. Returns the number of counts that changed.

    Give the units whose candidates were written (before and after a move, both), and every
    year of an admission written or changed; a unit's subtree is recounted whole. The
    deadlines and training dates stored on the candidates of those subtrees are computed
    again too (``pipeline.keep_deadlines``, ``keep_trained_on``), as the pipeline would have.
    """
    from recruitment.models import Organisation, Tally
    from recruitment.pipeline import keep_deadlines, keep_trained_on

    if units is None:
        roots = [""]
    else:
        ids = [getattr(u, "pk", u) for u in units]
        paths = sorted(Organisation.objects.filter(pk__in=ids).values_list("path", flat=True))
        roots = []
        for path in paths:  # the top-most only: a subtree recounted includes those below
            if not roots or not path.startswith(roots[-1]):
                roots.append(path)
        if len(roots) > MAX_SUBTREES:  # many small subtrees: the one that holds them all
            roots = [_common_ancestor(roots)]
    years = None if years is None else sorted(set(years))
    changed = 0
    for root in roots:
        if units is not None:
            keep_deadlines(root)
            keep_trained_on(root)
        kept, fresh = stored(root, years), recount(root, years)
        diff = Counter(fresh)
        diff.subtract(kept)
        diff = Counter({key: n for key, n in diff.items() if n})
        if not diff:
            continue
        changed += len(diff)
        _upsert(diff)
        if root:  # the units above the subtree change by what its top unit changed
            top = Organisation.objects.get(path=root)
            delta = Counter({k: n for k, n in diff.items() if k[0] == top.pk})
            above = list(Organisation.objects.filter(path__in=Organisation.ancestor_paths(root)))
            lifted: Counter = Counter()
            for (_unit, year, key), n in delta.items():
                for unit in above:
                    lifted[(unit.pk, year, key)] += n
            _upsert(lifted)
    Tally.objects.filter(n=0).delete()
    return changed


def _common_ancestor(paths: list[str]) -> str:
    from recruitment.models import Organisation

    common = os.path.commonprefix(paths)
    return common[: len(common) - len(common) % Organisation.steplen]


# --- Reading ---------------------------------------------------------------------------------


def read(units, years: Iterable[int], keys: Iterable[str] | None = None) -> dict:
    """The kept counts of ``units`` in ``years``: ``{unit id: {(year, key): n}}``. One query."""
    from recruitment.models import Tally

    rows = Tally.objects.filter(unit__in=list(units), year__in=list(years))
    if keys is not None:
        rows = rows.filter(key__in=list(keys))
    found: dict = defaultdict(dict)
    for unit, year, key, n in rows.values_list("unit_id", "year", "key", "n"):
        found[unit][(year, key)] = n
    return found
