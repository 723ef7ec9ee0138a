"""A generated national tree with its candidates, written with PostgreSQL's COPY.

    nation → provinces → districts → grassroots committees → cells

with candidates admitted over ``FIRST_YEAR``–``LAST_YEAR`` (and the rest in the pipeline),
their stage changes, training classes and enrolments, the party members they became, and a
quota for every unit and year. Materialised paths are computed here (treebeard's own
``_get_path``), ids are assigned here, and every table goes in with one COPY, so the national
shape (~310,000 units, 1,000,000 candidates, ~6,000,000 stage changes) takes minutes, not
hours. Generated rows carry no django-simple-history rows: they are the "before" of a history.

``build(shape)`` expects empty recruitment tables (a fresh database, migrated).
"""

from __future__ import annotations

import io
import random
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone

from recruitment import figures_cache, namesakes, stages
from recruitment.models import (
    Candidate,
    Education,
    Enrolment,
    Gender,
    Organisation,
    PartyMember,
    Quota,
    Source,
    StageChange,
    Tally,
    TrainingClass,
)
from recruitment.pipeline import deadlines
from recruitment.rollups import counts_of
from recruitment.stages import Stage
from recruitment.text import search_key
from recruitment.workdays import NationalCalendar, WorkCalendar

FIRST_YEAR = 2021
LAST_YEAR = 2025


@dataclass(frozen=True)
class Shape:
    """How big a tree to build. The default is the national shape of issue 13."""

    provinces: int = 63
    districts: int = 11  # per province
    grassroots: int = 75  # per district
    cells: int = 5  # per grassroots committee
    candidates: int = 1_000_000
    seed: int = 13

    @property
    def units(self) -> int:
        d = self.provinces * self.districts
        g = d * self.grassroots
        return 1 + self.provinces + d + g + g * self.cells


SCALES = {
    "national": Shape(),
    # One province of the national shape, with its share of the candidates.
    "province": Shape(provinces=1, candidates=16_000),
    # What CI runs: a small province, quick to build.
    "smoke": Shape(provinces=1, districts=3, grassroots=8, cells=3, candidates=3_000),
}


# --- COPY ------------------------------------------------------------------------------------


def _text(value) -> str:
    if value is None:
        return r"\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, str):
        return value.replace("\\", "\\\\").replace("\t", " ").replace("\n", " ")
    return str(value)


class Copier:
    """Rows of one model streamed to PostgreSQL with COPY, in chunks.

    ``add(**values)`` takes field names; fields left out get their model default, computed
    once (``auto_now`` fields: the time the copier started).
    """

    CHUNK = 200_000

    def __init__(self, model: type[Model]):
        self.model = model
        now = timezone.now()
        self.fields = [f for f in model._meta.concrete_fields]
        self.columns = [f.column for f in self.fields]
        self.defaults = {}
        for f in self.fields:
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                self.defaults[f.attname] = now
            else:  # None, or "" for a text field that is not nullable
                self.defaults[f.attname] = f.get_default()
        self.names = [f.attname for f in self.fields]
        self.buffer: list[str] = []
        self.count = 0
        self.added = 0  # ids are given in order from 1 unless ``add`` names one

    def add(self, **values) -> None:
        self.added += 1
        row = self.defaults | {"id": self.added} | values
        self.buffer.append("\t".join(_text(row[name]) for name in self.names))
        if len(self.buffer) >= self.CHUNK:
            self.flush()

    def flush(self) -> None:
        if not self.buffer:
            return
        data = io.StringIO("\n".join(self.buffer) + "\n")
        table = connection.ops.quote_name(self.model._meta.db_table)
        columns = ", ".join(connection.ops.quote_name(c) for c in self.columns)
        with connection.cursor() as cursor:
            cursor.cursor.copy_expert(f"COPY {table} ({columns}) FROM STDIN", data)
        self.count += len(self.buffer)
        self.buffer = []

    def close(self) -> int:
        self.flush()
        table = self.model._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
            )
        return self.count


# --- Names -------------------------------------------------------------------------------------

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi"]
MIDDLE = ["Văn", "Thị", "Đức", "Minh", "Ngọc", "Thanh", "Hữu", "Quốc", "Thu", "Hoài"]
GIVEN = [
    "An", "Bình", "Cường", "Dũng", "Giang", "Hà", "Hải", "Hạnh", "Hòa", "Hùng", "Khánh",
    "Lan", "Linh", "Long", "Mai", "Nam", "Nga", "Phúc", "Quang", "Sơn", "Tâm", "Thảo",
    "Toàn", "Trang", "Trọng", "Tuấn", "Vân", "Việt", "Xuân", "Yến",
]  # fmt: skip


class Names:
    def __init__(self, rng: random.Random):
        self.rng = rng
        self.keys: dict[str, str] = {}

    def draw(self) -> tuple[str, str]:
        rng = self.rng
        name = f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"
        key = self.keys.get(name)
        if key is None:
            key = self.keys[name] = search_key(name)
        return name, key


# --- The tree ----------------------------------------------------------------------------------


@dataclass
class Tree:
    root_id: int
    provinces: list[int]  # ids
    districts: list[int]
    grassroots: list[int]
    cells: list[int]
    district_of: dict[int, int]  # cell id → district id (where classes are run)
    by_level: list[list[int]]  # ids per depth, root first
    parent_of: dict[int, int]  # unit id → its parent's id (the root has none)


def build_tree(shape: Shape, copier: Copier) -> Tree:
    get_path = Organisation._get_path
    next_id = 0
    by_level: list[list[int]] = [[] for _ in range(5)]
    district_of: dict[int, int] = {}
    parent_of: dict[int, int] = {}
    kinds = [
        Organisation.Kind.CENTRAL,
        Organisation.Kind.PROVINCIAL,
        Organisation.Kind.CITY,
        Organisation.Kind.COMMITTEE,
        Organisation.Kind.CELL,
    ]
    labels = ["Ban Chấp hành Trung ương", "Tỉnh ủy", "Huyện ủy", "Đảng bộ xã", "Chi bộ ấp"]
    sizes = [None, shape.provinces, shape.districts, shape.grassroots, shape.cells]
    parents = [0] * 5  # the last unit added at each depth: the parent of the next one below

    def add(parent_path: str | None, depth: int, position: int, code: str, numchild: int):
        nonlocal next_id
        next_id += 1
        if depth > 1:
            parent_of[next_id] = parents[depth - 2]
        parents[depth - 1] = next_id
        path = get_path(parent_path, depth, position)
        name = f"{labels[depth - 1]} {code}"
        copier.add(
            id=next_id,
            path=path,
            depth=depth,
            numchild=numchild,
            kind=kinds[depth - 1],
            name=name,
            search_name=search_key(name),
            code=code,
            active=True,
        )
        by_level[depth - 1].append(next_id)
        return next_id, path

    def grow(parent_path: str, depth: int, code: str, district: int | None):
        count = sizes[depth - 1]
        for n in range(1, count + 1):
            child_code = f"{code}-{n}" if code != "VN" else f"P{n:02d}"
            numchild = sizes[depth] if depth < 5 else 0
            unit_id, path = add(parent_path, depth, n, child_code, numchild)
            here = unit_id if depth == 3 else district
            if depth == 5:
                district_of[unit_id] = here
            else:
                grow(path, depth + 1, child_code, here)

    _root, root_path = add(None, 1, 1, "VN", shape.provinces)
    grow(root_path, 2, "VN", None)
    copier.close()
    return Tree(
        root_id=by_level[0][0],
        provinces=by_level[1],
        districts=by_level[2],
        grassroots=by_level[3],
        cells=by_level[4],
        district_of=district_of,
        by_level=by_level,
        parent_of=parent_of,
    )


# --- Candidates --------------------------------------------------------------------------------

# Where generated candidates stand today (weights), about 3 in 4 admitted at some point.
STANDING = {
    Stage.SOURCE: 5,
    Stage.TRAINING: 4,
    Stage.TRAINED: 5,
    Stage.DOSSIER: 5,
    Stage.PROPOSED: 3,
    Stage.ADMITTED: 20,
    Stage.RECOGNISED: 50,
    Stage.WITHDRAWN: 3,
    Stage.DROPPED_OUT: 4,
    Stage.STRUCK_OFF: 1,
}
# Days before the decision at which each earlier step was taken.
STEP_DAYS_BEFORE = {
    Stage.SOURCE: 330,
    Stage.TRAINING: 270,
    Stage.TRAINED: 240,
    Stage.DOSSIER: 150,
    Stage.PROPOSED: 40,
}


class _Row:
    """What ``pipeline.deadlines`` reads of a candidate, for rows not made into models."""

    def __init__(self, stage: str, values: dict):
        self.stage = stage
        for name in ("cell_resolution_on", "application_on", "decision_on", "ceremony_on"):
            setattr(self, name, values.get(name))


def _random_day(rng: random.Random, first: date, last: date) -> date:
    return first + timedelta(days=rng.randrange((last - first).days + 1))


def build_people(shape: Shape, tree: Tree, today: date, kept: Counter) -> dict[str, int]:
    """Candidates, their stage changes, classes and enrolments, members; returns counts.

    What each candidate adds to the kept counts at its own unit is added to ``kept``
    (``rollups.counts_of``, as ``Candidate.save`` does)."""
    rng = random.Random(shape.seed)
    names = Names(rng)
    standings = list(STANDING)
    weights = list(STANDING.values())
    candidates = Copier(Candidate)
    changes = Copier(StageChange)
    members = Copier(PartyMember)
    enrolments = Copier(Enrolment)
    classes = Copier(TrainingClass)

    # One class per district a year, where the candidates of its cells are trained.
    class_of: dict[tuple[int, int], tuple[int, date]] = {}
    class_id = 0
    for district in tree.districts:
        for year in range(FIRST_YEAR - 1, today.year + 1):
            class_id += 1
            starts = date(year, 3, 1)
            title = f"Lớp bồi dưỡng nhận thức về Đảng {year}"
            classes.add(
                id=class_id,
                title=title,
                search_title=search_key(title),
                unit_id=district,
                starts_on=starts,
                ends_on=starts + timedelta(days=5),
                place="",
            )
            class_of[(district, year)] = (class_id, starts + timedelta(days=5))
    classes.close()

    # Generated units declare no days off: the national calendar holds everywhere.
    calendar = WorkCalendar(NationalCalendar())
    now = timezone.now()
    at = datetime.combine(today, datetime.min.time(), tzinfo=now.tzinfo)
    first_decision = date(FIRST_YEAR, 1, 1)
    last_decision = min(date(LAST_YEAR, 12, 31), today)
    cells = tree.cells
    pk = 0
    for _ in range(shape.candidates):
        pk += 1
        stage = rng.choices(standings, weights)[0]
        unit = rng.choice(cells)
        name, key = names.draw()
        admitted = stage in stages.ADMITTED
        values: dict = {}
        # The day of each step taken, in order.
        if admitted:
            if stage == Stage.ADMITTED:  # still probationary: decided in the last year
                decided = _random_day(rng, max(first_decision, today - timedelta(days=360)), today)
            else:
                decided = _random_day(rng, first_decision, last_decision - timedelta(days=400))
            steps = {s: decided - timedelta(days=d) for s, d in STEP_DAYS_BEFORE.items()}
            steps[Stage.ADMITTED] = decided
            ceremony = decided + timedelta(days=rng.randrange(5, 25))
            if ceremony > today:
                ceremony = None
            values.update(
                decision_on=decided,
                decision_number=f"{pk}-QĐ/HU",
                ceremony_on=ceremony,
                cell_resolution_on=steps[Stage.PROPOSED],
                votes_for=9,
                votes_total=10,
            )
            if stage != Stage.ADMITTED:
                recognised = (ceremony or decided) + timedelta(days=365 + rng.randrange(30))
                steps[Stage.RECOGNISED] = recognised
                values["recognition_resolution_on"] = recognised
            if stage in stages.LEFT:
                left = _random_day(rng, steps[Stage.RECOGNISED], today)
                steps[stage] = left
                values.update(exit_on=left, exit_reason="Bỏ sinh hoạt")
        else:
            since = today - timedelta(days=rng.randrange(1, 500))
            reached = stage if stage != Stage.WITHDRAWN else rng.choice(stages.ACTIVE)
            back = since
            steps = {}
            for s in reversed(stages.PIPELINE[: stages.PIPELINE.index(reached) + 1]):
                steps[s] = back
                back -= timedelta(days=30 + rng.randrange(60))
            steps = dict(reversed(steps.items()))
            if stage == Stage.WITHDRAWN:
                steps[Stage.WITHDRAWN] = since + timedelta(days=rng.randrange(0, 30))
                values.update(exit_on=steps[Stage.WITHDRAWN], exit_reason="Chuyển công tác")
            if reached == Stage.PROPOSED:
                values["cell_resolution_on"] = steps[Stage.PROPOSED]
        if Stage.DOSSIER in steps:
            values.setdefault("application_on", steps[Stage.DOSSIER])
            values["personal_history_on"] = steps[Stage.DOSSIER]
            values["background_check_on"] = steps[Stage.DOSSIER]
        if Stage.TRAINED in steps:
            trained_year = min(max(steps[Stage.TRAINING].year, FIRST_YEAR - 1), today.year)
            values["latest_certificate_on"] = class_of[(tree.district_of[unit], trained_year)][1]
        deadline = next(iter(deadlines(_Row(stage, values), calendar)), None)
        if deadline is not None:
            values.update(
                deadline_kind=deadline.kind,
                deadline_watch_on=deadline.watch_on,
                deadline_due_on=deadline.due,
            )
        born = date(1966 + rng.randrange(38), 1 + rng.randrange(12), 1 + rng.randrange(28))
        source = rng.choice(Source.values)
        state = {
            "unit_id": unit,
            "admitted_unit_id": unit if admitted else None,
            "stage": stage,
            "decision_on": values.pop("decision_on", None),
            "gender": rng.choice(Gender.values),
            "date_of_birth": born,
            "ethnicity": "Kinh" if rng.random() < 0.85 else "Khmer",
            "religion": "" if rng.random() < 0.8 else "Phật giáo",
            "youth_union_member": source == Source.YOUTH_UNION or rng.random() < 0.2,
            "private_enterprise": rng.random() < 0.15,
            "trained_on": steps.get(Stage.TRAINED),
        }
        kept.update(counts_of(state))
        candidates.add(
            id=pk,
            full_name=name,
            search_name=key,
            source=source,
            education=Education.UPPER_SECONDARY,
            works_away=rng.random() < 0.1,
            stage_since=max(steps.values()),
            **state,
            **values,
        )
        previous = ""
        for step, day in steps.items():
            changes.add(candidate_id=pk, from_stage=previous, to_stage=step, at=at, on=day)
            previous = step
        if Stage.TRAINING in steps:
            district = tree.district_of[unit]
            year = min(max(steps[Stage.TRAINING].year, FIRST_YEAR - 1), today.year)
            klass, ended = class_of[(district, year)]
            passed = Stage.TRAINED in steps
            enrolments.add(
                candidate_id=pk,
                training_class_id=klass,
                result=Enrolment.Result.PASSED if passed else Enrolment.Result.PENDING,
                certificate_number=f"GCN-{pk}" if passed else "",
                certificate_on=ended if passed else None,
            )
        if admitted:
            members.add(
                full_name=name,
                search_name=key,
                unit_id=unit,
                admitted_on=state["decision_on"],
                official_on=values.get("recognition_resolution_on"),
                left_on=values.get("exit_on"),
                left_reason=values.get("exit_reason", ""),
                candidate_id=pk,
            )
    return {
        "candidates": candidates.close(),
        "stage_changes": changes.close(),
        "members": members.close(),
        "enrolments": enrolments.close(),
        "classes": class_id,
    }


def build_quotas(shape: Shape, tree: Tree) -> int:
    """A quota for every unit and year, roughly what its subtree admits."""
    rng = random.Random(shape.seed + 1)
    quotas = Copier(Quota)
    per_cell = shape.candidates * 0.75 / max(len(tree.cells), 1) / (LAST_YEAR - FIRST_YEAR + 1)
    below = [len(tree.cells) or 1]
    for level in range(1, 5):
        below.append(max(len(tree.cells) // max(len(tree.by_level[level]), 1), 1))
    for depth, ids in enumerate(tree.by_level):
        expected = per_cell * below[depth]
        for unit in ids:
            for year in range(FIRST_YEAR, LAST_YEAR + 1):
                target = max(1, round(expected * (0.8 + 0.4 * rng.random())))
                quotas.add(unit_id=unit, year=year, target=target)
    return quotas.close()


def build_kept_counts(tree: Tree, kept: Counter) -> int:
    """The kept counts of every unit: what the candidates add at their own units (``kept``),
    summed up the tree a level at a time, copied in. What ``recompute_rollups`` would write,
    without reading a million candidates back (``verify_rollups`` recounts them)."""
    by_depth: dict[int, Counter] = defaultdict(Counter)
    depth_of = {unit: depth for depth, ids in enumerate(tree.by_level) for unit in ids}
    for (unit, year, key), n in kept.items():
        by_depth[depth_of[unit]][(unit, year, key)] += n
    tallies = Copier(Tally)
    for depth in range(len(tree.by_level) - 1, -1, -1):
        for (unit, year, key), n in by_depth.pop(depth, Counter()).items():
            if not n:
                continue
            tallies.add(unit_id=unit, year=year, key=key, n=n)
            if depth:
                by_depth[depth - 1][(tree.parent_of[unit], year, key)] += n
    return tallies.close()


def check_references(models: list[type[Model]]) -> None:
    """Every foreign key of the rows of ``models`` names a row that exists: one anti-join
    per key. Raises if one does not (the transaction is then rolled back)."""
    with connection.cursor() as cursor:
        for model in models:
            for field in model._meta.concrete_fields:
                if not field.is_relation:
                    continue
                table = connection.ops.quote_name(model._meta.db_table)
                column = connection.ops.quote_name(field.column)
                target = connection.ops.quote_name(field.related_model._meta.db_table)
                key = connection.ops.quote_name(field.target_field.column)
                cursor.execute(
                    f"SELECT count(*) FROM {table} t WHERE t.{column} IS NOT NULL AND NOT EXISTS "
                    f"(SELECT 1 FROM {target} r WHERE r.{key} = t.{column})"
                )
                missing = cursor.fetchone()[0]
                if missing:
                    raise RuntimeError(f"{missing} rows of {table}.{column} name no row")


def build(shape: Shape, *, today: date, log=print) -> dict[str, int]:
    """Build ``shape`` into empty tables; returns the rows written per table."""
    if connection.vendor != "postgresql":
        raise SystemExit("The national generator writes with COPY: set DATABASE_URL to PostgreSQL.")
    started = time.perf_counter()
    # One transaction. The foreign keys are not checked row by row (at the end of the
    # transaction that took minutes for ten million rows): each is checked once, by one
    # query per key, before the rows are committed.
    with transaction.atomic():
        with connection.cursor() as cursor:
            # Setting it needs a superuser (or a grant); a role without it has the keys
            # checked at commit instead: slower, the same rows.
            cursor.execute(
                "SELECT rolsuper OR has_parameter_privilege("
                "'session_replication_role', 'SET') FROM pg_roles WHERE rolname = current_user"
            )
            if cursor.fetchone()[0]:
                cursor.execute("SET LOCAL session_replication_role = replica")
            else:
                log("  (no right to skip the row-by-row key checks: they run at commit)")
        tree = build_tree(shape, Copier(Organisation))
        log(f"  units: {shape.units:,} in {time.perf_counter() - started:.0f} s")
        counts = {"units": shape.units}
        kept: Counter = Counter()
        counts.update(build_people(shape, tree, today, kept))
        log(f"  people: {counts['candidates']:,} in {time.perf_counter() - started:.0f} s")
        counts["quotas"] = build_quotas(shape, tree)
        # Rows copied in bypass Candidate.save, which keeps the counts: they are added up
        # as the rows are made.
        counts["kept_counts"] = build_kept_counts(tree, kept)
        counts["namesakes"] = namesakes.recount()  # kept by Candidate.save too
        check_references(
            [Organisation, TrainingClass, Candidate, StageChange, Enrolment, PartyMember, Quota]
            + [Tally]
        )
    log(f"  quotas and kept counts: {time.perf_counter() - started:.0f} s")
    # What autovacuum does to a live database: statistics for the planner, and the
    # visibility map that lets a count read an index without visiting the rows.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    log(f"  VACUUM ANALYZE: {time.perf_counter() - started:.0f} s")
    # Written by COPY, not by saves: what the cache kept of an earlier build of this database
    # (its figures, its roots, its reorganised units) is stale.
    figures_cache.bump(roots=True)
    return counts
