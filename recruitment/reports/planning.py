"""Planning next year's quotas from each unit's pipeline and conversion rate (DESIGN.md §4).

Reads only: the suggestions are accepted on the quota plan page (``views/quotas.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from recruitment import rollups, stages
from recruitment.models import Organisation, Quota
from recruitment.regulation import rule
from recruitment.reports.figures import half_up

# --- Planning --------------------------------------------------------------------------------


@dataclass
class PlanRow:
    """One child unit's case for next year's quota."""

    unit: Organisation
    year: int  # this year; the plan is for year + 1
    quota: int | None
    admitted: int
    next_quota: int | None
    pipeline: dict[str, int]  # late stages, today
    # Of the candidates who passed training in the history years (a cohort): how many were
    # admitted since, and how many of them are decided (admitted or withdrawn). Those still
    # on their way are left out: they are neither a success nor a failure yet.
    history_admitted: int
    history_decided: int
    # Next year's saved quota's version (0: none yet): the plan page's accept cannot
    # overwrite a quota set since it was opened.
    next_version: int = 0

    @property
    def late_pipeline(self) -> int:
        return sum(self.pipeline.get(stage, 0) for stage in stages.LATE)

    @property
    def rate(self) -> Fraction | None:
        """The share of the trained cohort admitted, among those decided; None without any."""
        if not self.history_decided:
            return None
        return min(Fraction(self.history_admitted, self.history_decided), Fraction(1))

    @property
    def rate_percent(self) -> int | None:
        return None if self.rate is None else int(self.rate * 100)

    @property
    def suggested(self) -> int | None:
        """Late pipeline × conversion rate, rounded half up; None without history."""
        if self.rate is None:
            return None
        return half_up(self.late_pipeline * self.rate)


def planning(unit: Organisation, year: int, history_years: int | None = None) -> list[PlanRow]:
    """Suggested quotas for ``year + 1``, one row per child unit of ``unit``. Three queries,
    whatever the size of the subtree: the children, their quotas, their kept counts.

    A child's conversion rate follows the candidates who passed training (last entered
    "trained") in the ``history_years`` ending with ``year`` (default: the
    ``PLANNING_HISTORY_YEARS`` rule): how many of those since decided were admitted rather
    than withdrawn (the kept ``trained:*`` counts). Its suggestion applies that rate to
    today's trained, dossier and proposed candidates.
    """
    if history_years is None:
        history_years = rule("PLANNING_HISTORY_YEARS")
    # Next year's units: one a reorganisation closes gets no quota to plan.
    children = list(Organisation.objects.get_children(unit).open_during(year + 1))
    saved = Quota.objects.by_unit_and_year(children, [year, year + 1])

    def target(child, y):
        return saved[(child.pk, y)].target if (child.pk, y) in saved else None

    keys = [rollups.ADMITTED, *(rollups.stage_key(s) for s in stages.LATE)]
    cohort_keys = [rollups.TRAINED_ADMITTED, rollups.TRAINED_DECIDED]
    history = range(year - history_years + 1, year + 1)
    kept = rollups.read(children, [rollups.NOW, *{*history, year}], [*keys, *cohort_keys])

    def cohort(child, key):
        return sum(kept.get(child.pk, {}).get((y, key), 0) for y in history)

    return [
        PlanRow(
            unit=child,
            year=year,
            quota=target(child, year),
            admitted=kept.get(child.pk, {}).get((year, rollups.ADMITTED), 0),
            next_quota=target(child, year + 1),
            next_version=saved[(child.pk, year + 1)].version
            if (child.pk, year + 1) in saved
            else 0,
            pipeline={
                s: kept.get(child.pk, {}).get((rollups.NOW, rollups.stage_key(s)), 0)
                for s in stages.LATE
            },
            history_admitted=cohort(child, rollups.TRAINED_ADMITTED),
            history_decided=cohort(child, rollups.TRAINED_DECIDED),
        )
        for child in children
    ]
