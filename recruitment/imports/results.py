"""Importing class results: class, candidate, result, certificate number and date.

The class is one the user sees, named by its title; the candidate one of the user's, by
citizen ID (or name and date of birth). A candidate not yet enrolled is enrolled as of the
class's first day (``services.enrol``); the result goes through ``services.record_result``,
so a pass moves a candidate in training to "trained" by the pipeline's rules. Keyed by class
and candidate: a result already recorded as in the file is unchanged.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from recruitment import pipeline, services
from recruitment.imports import values
from recruitment.imports.columns import Column, Row, choice_column, date_column
from recruitment.imports.outcome import (
    Outcome,
    attribute,
    broken_rules,
    validation_errors,
)
from recruitment.models import Candidate, Enrolment, TrainingClass
from recruitment.text import search_key

Result = Enrolment.Result


def columns() -> list[Column]:
    return [
        Column(
            "class_title",
            gettext_lazy("party-awareness class"),
            required=True,
            aliases=("Lớp", "Tên lớp", "Class"),
            example="Lớp bồi dưỡng nhận thức về Đảng khóa 1/2026",
        ),
        Column(
            "citizen_id",
            Candidate._meta.get_field("citizen_id").verbose_name,
            read=values.parse_citizen_id,
            aliases=("CCCD", "Số CCCD", "Citizen ID"),
            example="'093198000123",
        ),
        Column("full_name", Candidate._meta.get_field("full_name").verbose_name,
               aliases=("Họ tên", "Name"), example="Nguyễn Thị An"),
        date_column("date_of_birth", Candidate._meta.get_field("date_of_birth").verbose_name,
                    example="20/05/1998"),
        choice_column(
            "result",
            Enrolment._meta.get_field("result").verbose_name,
            Result,
            required=True,
            extra={"dat": Result.PASSED, "khong dat": Result.FAILED, "chua co": Result.PENDING},
            aliases=("Kết quả",),
            example=Result.PASSED.label,
        ),
        Column("certificate_number", gettext_lazy("certificate number"), example="123/GCN"),
        date_column("certificate_on", gettext_lazy("certificate date"), example="30/01/2026"),
    ]  # fmt: skip


class Importer:
    def __init__(self, *, user, reason: str, **_kwargs):
        self.user = user
        self.reason = reason
        self.started = timezone.now()
        self.seen: dict[tuple, int] = {}
        self.touched: set[int] = set()

    def _user(self):
        return self.user if getattr(self.user, "pk", None) else None

    def process(self, rows: list[Row]) -> list[Outcome]:
        titles = {row.values["class_title"] for row in rows if "class_title" in row.values}
        classes: dict[str, list[TrainingClass]] = {}
        for training_class in TrainingClass.objects.for_user(self.user).filter(title__in=titles):
            classes.setdefault(training_class.title, []).append(training_class)
        mine = Candidate.objects.for_user(self.user)
        ids = [r.values["citizen_id"][0] for r in rows if r.values.get("citizen_id", ("",))[0]]
        by_id = {c.citizen_id: c for c in mine.filter(citizen_id__in=ids)}
        names = {search_key(r.values["full_name"]) for r in rows if "full_name" in r.values}
        by_name: dict[tuple, list[Candidate]] = {}
        for candidate in mine.filter(search_name__in=names):
            by_name.setdefault((candidate.search_name, candidate.date_of_birth), []).append(
                candidate
            )
        return [self._one(row, classes, by_id, by_name) for row in rows]

    def _one(self, row: Row, classes, by_id, by_name) -> Outcome:
        v = row.values
        label = v.get("full_name", "")
        found = classes.get(v.get("class_title"), [])
        if "class_title" in v and len(found) != 1:
            row.error(
                "class_title",
                _("no class of yours has this title")
                if not found
                else _("several of your classes have this title; give each a distinct title"),
            )
        cccd, _cmnd = v.get("citizen_id", ("", ""))
        if cccd:
            candidate = by_id.get(cccd)
        else:
            twins = by_name.get((search_key(label), v.get("date_of_birth")), [])
            candidate = twins[0] if len(twins) == 1 else None
        if candidate is None:
            row.error(
                "citizen_id" if cccd else "full_name",
                _("no candidate of yours has this citizen ID (or this name and date of birth)"),
            )
        if row.errors:
            return Outcome.error(row, label)
        label = candidate.full_name
        training_class = found[0]
        key = (training_class.pk, candidate.pk)
        if key in self.seen:
            return Outcome.duplicate(
                row,
                label,
                _("the same candidate and class as row %(row)s; this row is skipped")
                % {"row": self.seen[key]},
            )
        self.seen[key] = row.number
        enrolment = Enrolment.objects.filter(
            candidate=candidate, training_class=training_class
        ).first()
        wanted = (v["result"], v.get("certificate_number", ""), v.get("certificate_on"))
        if enrolment is not None and wanted == (
            enrolment.result,
            enrolment.certificate_number,
            enrolment.certificate_on,
        ):
            return Outcome.unchanged(row, label)
        is_new = enrolment is None
        today = timezone.localdate()
        is_past = enrolment is None and training_class.ends_on < today
        try:
            with transaction.atomic():
                if is_past:
                    # A class that has ended: as the class page's past result, by its rules
                    # (a result, given at once, to someone not yet past training).
                    enrolment = services.record_past_result(
                        candidate=candidate,
                        training_class=training_class,
                        result=v["result"],
                        certificate_number=wanted[1],
                        certificate_on=wanted[2],
                        by=self._user(),
                    )
                elif enrolment is None:
                    broken = pipeline.enrollable_rules(candidate)
                    if broken:
                        raise pipeline.MoveRefused(broken)
                    services.enrol(
                        candidates=[candidate],
                        training_class=training_class,
                        by=self._user(),
                        # From the class's first day, not before the candidate was listed.
                        on=max(min(training_class.starts_on, today), candidate.stage_since),
                    )
                    enrolment = Enrolment.objects.get(
                        candidate=candidate, training_class=training_class
                    )
                if not is_past and (v["result"] != Result.PENDING or not is_new):
                    enrolment.candidate = Candidate.objects.get(pk=candidate.pk)
                    services.record_result(
                        enrolment=enrolment,
                        result=v["result"],
                        certificate_number=wanted[1],
                        certificate_on=wanted[2],
                        by=self._user(),
                    )
        except pipeline.MoveRefused as refused:
            broken_rules(row, refused.broken)
            return Outcome.error(row, label)
        except ValidationError as error:
            validation_errors(row, error)
            return Outcome.error(row, label)
        self.touched.add(enrolment.pk)
        self.touched_candidates = getattr(self, "touched_candidates", set()) | {candidate.pk}
        return Outcome.new(row, label) if is_new else Outcome.changed(row, label)

    def finish(self) -> None:
        user = self._user()
        attribute(Enrolment, self.touched, user, self.reason, self.started)
        attribute(
            Candidate, getattr(self, "touched_candidates", set()), user, self.reason, self.started
        )
        self.touched = set()
        self.touched_candidates = set()
