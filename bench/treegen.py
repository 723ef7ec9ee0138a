"""Generated unit trees and candidates, written in bulk, for benchmarks and query-count tests.

Paths are computed here (``Organisation.steplen`` characters per level) so that thousands of
units go in with one ``bulk_create`` per level instead of one ``add_child`` each.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from django.db.models import F

from recruitment import namesakes, stages
from recruitment.models import (
    Candidate,
    Gender,
    Organisation,
    Quota,
    Source,
    StageChange,
)
from recruitment.rollups import recompute_rollups
from recruitment.stages import Stage
from recruitment.text import search_key


def add_children(
    parent: Organisation, count: int, *, prefix: str, kind: str = Organisation.Kind.CELL
) -> list[Organisation]:
    """``count`` new children of ``parent`` coded ``{prefix}1``, ``{prefix}2``, … (2 queries)."""
    parent = Organisation.objects.get(pk=parent.pk)
    units = []
    for n in range(1, count + 1):
        name = f"{prefix}{n}"
        units.append(
            Organisation(
                path=Organisation._get_path(parent.path, parent.depth + 1, parent.numchild + n),
                depth=parent.depth + 1,
                numchild=0,
                code=name,
                name=name,
                search_name=search_key(name),
                kind=kind,
            )
        )
    Organisation.objects.bulk_create(units)
    Organisation.objects.filter(pk=parent.pk).update(numchild=F("numchild") + count)
    return list(Organisation.objects.filter(code__in=[u.code for u in units]))


def add_subtree(
    parent: Organisation, *, wards: int, cells: int, prefix: str
) -> tuple[list[Organisation], list[Organisation]]:
    """``wards`` committees under ``parent``, each with ``cells`` cells."""
    committees = add_children(parent, wards, prefix=f"{prefix}W", kind="committee")
    leaves = []
    for committee in committees:
        leaves += add_children(committee, cells, prefix=f"{committee.code}C")
    return committees, leaves


def add_candidates(
    units: list[Organisation], per_unit: int, *, year: int, seed: int = 1, today: date
) -> int:
    """``per_unit`` candidates in each unit: some admitted in ``year`` and the years before,
    the rest spread over the active stages, with their entries into "trained".
    """
    rng = random.Random(seed)
    drawn = [*stages.ACTIVE, Stage.ADMITTED, Stage.RECOGNISED, Stage.DROPPED_OUT]
    candidates = []
    for unit in units:
        for n in range(per_unit):
            stage = rng.choice(drawn)
            admitted = stage in stages.ADMITTED
            decided = date(year - rng.randrange(3), 1 + rng.randrange(12), 1 + rng.randrange(28))
            since = today - timedelta(days=rng.randrange(400))
            name = f"{unit.code} {n}"
            candidates.append(
                Candidate(
                    full_name=name,
                    search_name=search_key(name),
                    date_of_birth=date(1985 + rng.randrange(20), 1 + rng.randrange(12), 1),
                    gender=rng.choice(Gender.values),
                    religion=rng.choice(["", "", "", "Phật giáo"]),
                    ethnicity=rng.choice(["Kinh", "Kinh", "Kinh", "Khmer"]),
                    youth_union_member=rng.random() < 0.4,
                    private_enterprise=rng.random() < 0.2,
                    unit=unit,
                    source=rng.choice(Source.values),
                    stage=stage,
                    stage_since=decided if admitted else since,
                    decision_on=decided if admitted else None,
                    ceremony_on=decided + timedelta(days=10) if admitted else None,
                    cell_resolution_on=since if stage == Stage.PROPOSED else None,
                    application_on=since if stage in (Stage.DOSSIER, Stage.PROPOSED) else None,
                )
            )
    Candidate.objects.bulk_create(candidates, batch_size=2000)
    created = Candidate.objects.filter(unit__in=units).values_list("id", "stage", "decision_on")
    trained = [
        StageChange(
            candidate_id=pk,
            from_stage=Stage.TRAINING,
            to_stage=Stage.TRAINED,
            on=(decided - timedelta(days=90)) if decided else today - timedelta(days=30),
        )
        for pk, stage, decided in created
        if stage not in stages.ENROLLABLE
    ]
    StageChange.objects.bulk_create(trained, batch_size=2000)
    # Bulk inserts bypass Candidate.save, which keeps the counts and the namesakes.
    recompute_rollups(units)
    namesakes.recount()
    return len(candidates)


def add_quotas(units: list[Organisation], *, years: list[int], target: int = 3) -> None:
    Quota.objects.bulk_create(
        [
            Quota(unit=u, year=y, target=target + (i + y) % 3)
            for i, u in enumerate(units)
            for y in years
        ],
        batch_size=2000,
    )
