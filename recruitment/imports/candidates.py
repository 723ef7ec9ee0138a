"""Importing candidates: the source list, and people at any stage with their paperwork.

Keyed by citizen ID (CCCD); a row without one is matched by name and date of birth
(diacritics and spacing ignored) in the user's units. A new candidate still in the source
list is inserted in bulk (the rate a 100,000-row source list needs); anyone further along is
recorded from the paper file through ``services.record_from_paper``, each step checked by
the pipeline's rules as of its own date. An existing candidate's details are updated, and
its paperwork corrected through ``pipeline.correct``; its stage is never moved by a file.
"""

from __future__ import annotations

from collections import Counter
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from recruitment import namesakes, pipeline, rollups, services, stages
from recruitment.imports import values
from recruitment.imports.bulk import insert_candidates
from recruitment.imports.columns import Column, Row, choice_column, date_column
from recruitment.imports.outcome import Outcome, broken_rules, validation_errors
from recruitment.models import (
    Candidate,
    Education,
    Enrolment,
    Gender,
    Organisation,
    PartyMember,
    Source,
    TrainingClass,
)
from recruitment.stages import Stage
from recruitment.text import search_key

# What an existing candidate's row may change directly (the rest is paperwork).
DETAILS = [
    "full_name",
    "date_of_birth",
    "gender",
    "ethnicity",
    "religion",
    "phone",
    "residence",
    "source",
    "youth_union_member",
    "education",
    "occupation",
    "workplace",
    "private_enterprise",
    "works_away",
]
PAPERWORK = list(
    dict.fromkeys(name for step in stages.PIPELINE for name in pipeline.STEP_FIELDS[step])
)
# How office sheets name the sources (DESIGN.md: đoàn viên, hội viên, dân quân tự vệ, …).
SOURCE_WORDS = {
    "đoàn viên": Source.YOUTH_UNION,
    "đoàn thanh niên": Source.YOUTH_UNION,
    "hội viên": Source.ASSOCIATION,
    "dân quân": Source.MILITIA,
    "công đoàn viên": Source.TRADE_UNION,
    "quần chúng": Source.OTHER,
}
TRAINING_KEYS = ["class_title", "certificate_number", "certificate_on"]


def _verbose(name: str):
    return Candidate._meta.get_field(name).verbose_name


def _field_column(name: str, **kwargs) -> Column:
    field = Candidate._meta.get_field(name)
    internal = field.get_internal_type()
    if internal == "DateField":
        return date_column(name, field.verbose_name, **kwargs)
    if internal == "BooleanField":
        return Column(name, field.verbose_name, read=values.parse_bool, **kwargs)
    if internal == "PositiveSmallIntegerField":
        return Column(name, field.verbose_name, read=_small_int, **kwargs)
    return Column(name, field.verbose_name, **kwargs)


def _small_int(cell) -> int:
    return values.parse_int(cell, maximum=10_000)


def _citizen_id(cell):
    return values.parse_citizen_id(cell)


def unit_column() -> Column:
    return Column(
        "unit",
        gettext_lazy("unit code"),
        required=True,
        aliases=("Mã đơn vị", "Mã chi bộ", "Đơn vị", "Chi bộ", "Unit"),
        example="VT-P1-KV3",
    )


# Read for new candidates only: an existing candidate's class results are recorded on the
# class's page (or by a class results import), their listing date is their history's.
# Said once per column and import, on the first row that has one.
NEW_ONLY = {
    "listed_on": gettext_lazy(
        "not changed for a candidate already in the app: the day they were put on the "
        "source list is in their history"
    ),
    **dict.fromkeys(
        ["class_title", "certificate_number", "certificate_on"],
        gettext_lazy(
            "not changed for a candidate already in the app: record a class result on the "
            "class's page or with a class results import"
        ),
    ),
}


def columns() -> list[Column]:
    return [
        _field_column("full_name", required=True, aliases=("Họ tên", "Name"),
                      example="Nguyễn Thị An"),
        _field_column("date_of_birth", required=True, example="20/05/1998"),
        choice_column(
            "gender",
            _verbose("gender"),
            Gender,
            required=True,
            extra={"nu": Gender.FEMALE, "nam": Gender.MALE},
            example=Gender.FEMALE.label,
        ),
        Column(
            "citizen_id",
            _verbose("citizen_id"),
            read=_citizen_id,
            aliases=("CCCD", "Số CCCD", "CMND/CCCD", "Số CMND/CCCD", "Số định danh", "Citizen ID"),
            example="'093198000123",
        ),
        _field_column("ethnicity", example="Kinh"),
        _field_column("religion"),
        _field_column("phone", aliases=("Số điện thoại", "SĐT", "Phone number")),
        _field_column("residence"),
        unit_column(),
        choice_column("source", _verbose("source"), Source, required=True, extra=SOURCE_WORDS,
                      example=Source.YOUTH_UNION.label),
        _field_column("youth_union_member", example="có"),
        choice_column("education", _verbose("education"), Education,
                      example=Education.UNIVERSITY.label),
        _field_column("occupation"),
        _field_column("workplace"),
        _field_column("private_enterprise"),
        _field_column("works_away"),
        choice_column("stage", _verbose("stage"), Stage, aliases=("Giai đoạn",),
                      example=Stage.SOURCE.label),
        date_column("listed_on", gettext_lazy("put on the source list on")),
        Column("class_title", gettext_lazy("party-awareness class")),
        Column("certificate_number", gettext_lazy("certificate number")),
        date_column("certificate_on", gettext_lazy("certificate date")),
        *(_field_column(name) for name in PAPERWORK),
    ]  # fmt: skip


class Importer:
    """Turns batches of rows into outcomes, writing as it goes (the runner rolls back)."""

    def __init__(self, *, user, reason: str, namesakes_confirmed: bool = False, **_kwargs):
        self.user = user
        self.reason = reason
        self.namesakes_confirmed = namesakes_confirmed
        self.today = timezone.localdate()
        self.started = timezone.now()
        self.seen: dict[int, int] = {}  # hash of a key → its first row
        self.units: dict[str, Organisation | None] = {}
        self.touched: set[int] = set()
        self.field_names = [f.name for f in Candidate._meta.fields]
        self.kept_counts: Counter = Counter()  # of the rows inserted in bulk (written())
        self.names: list = []  # their namesakes' keys (written())
        self.noted: set[str] = set()  # the columns said to be read for new candidates only

    def written(self) -> None:
        """The whole file is written and kept (the runner calls this last, in the import's
        transaction): the kept counts of the rows inserted in bulk, in one upsert
        (``bulk.insert_candidates``), and the names and birth dates they share with others
        (``namesakes``: confirmed, not refused)."""
        rollups.add(self.kept_counts, Counter())
        namesakes.keep(self.names)

    # --- one batch ---------------------------------------------------------------------------

    def process(self, rows: list[Row]) -> list[Outcome]:
        self._load_units(rows)
        existing, namesakes = self._load_existing(rows)
        outcomes: dict[int, Outcome] = {}
        bulk: list[tuple[Row, Candidate]] = []
        for row in rows:
            outcome = self._classify(row, existing, namesakes, bulk)
            if outcome is not None:
                outcomes[row.number] = outcome
        outcomes.update(self._insert(bulk))
        return [outcomes[row.number] for row in rows]

    def _load_units(self, rows: list[Row]) -> None:
        wanted = {str(row.values["unit"]) for row in rows if "unit" in row.values} - set(self.units)
        if not wanted:
            return
        scoped = Organisation.objects.for_user(self.user)
        found = {unit.code: unit for unit in scoped.filter(code__in=wanted)}
        names = wanted - set(found)
        if names:  # a unit written by its name, if the name is unique in the user's units
            by_name: dict[str, list] = {}
            for unit in scoped.filter(search_name__in=[search_key(n) for n in names]):
                by_name.setdefault(unit.search_name, []).append(unit)
            for name in names:
                matches = by_name.get(search_key(name), [])
                if len(matches) > 1:  # a unit closed by a reorganisation and its successor
                    matches = [unit for unit in matches if unit.active]
                if len(matches) == 1:
                    found[name] = matches[0]
        for name in wanted:
            self.units[name] = found.get(name)

    def _load_existing(self, rows: list[Row]):
        given = [row.values["citizen_id"] for row in rows if "citizen_id" in row.values]
        ids = [cccd for cccd, _cmnd in given if cccd]
        old_ids = [cmnd for _cccd, cmnd in given if cmnd]
        by_id: dict[str, Candidate] = {}
        matching = Candidate.objects.filter(Q(citizen_id__in=ids) | Q(old_id_number__in=old_ids))
        for c in matching.select_related("unit"):
            for number in (c.citizen_id, c.old_id_number):
                if number in ids or number in old_ids:
                    by_id[number] = c
        # A party member entered by hand who carries one of the numbers (a member admitted
        # through the pipeline carries its candidate's, found above).
        self.member_numbers: dict[str, PartyMember] = {}
        held = PartyMember.objects.filter(candidate__isnull=True).filter(
            Q(citizen_id__in=ids) | Q(old_id_number__in=old_ids)
        )
        for member in held.select_related("unit"):
            for number in (member.citizen_id, member.old_id_number):
                if number:
                    self.member_numbers[number] = member
        pairs = {
            (search_key(row.values["full_name"]), row.values["date_of_birth"])
            for row in rows
            if "full_name" in row.values and "date_of_birth" in row.values
        }
        # Both, so that a common name does not bring back everyone who bears it; and only
        # the keys first: the names and the birth dates of a batch cross into many pairs that
        # no row has, each a candidate to build for nothing.
        near = Candidate.objects.filter(
            search_name__in={name for name, _born in pairs},
            date_of_birth__in={born for _name, born in pairs},
        ).values_list("pk", "search_name", "date_of_birth")
        same = Candidate.objects.filter(pk__in=[pk for pk, *key in near if tuple(key) in pairs])
        namesakes: dict[tuple, list[Candidate]] = {}
        for candidate in same.select_related("unit"):
            namesakes.setdefault((candidate.search_name, candidate.date_of_birth), []).append(
                candidate
            )
        return by_id, namesakes

    def _classify(self, row: Row, existing, namesakes, bulk) -> Outcome | None:
        v = row.values
        name = v.get("full_name", "")
        cccd, cmnd = v.pop("citizen_id", ("", ""))
        member = self.member_numbers.get(cccd or cmnd)
        if member is not None:
            where = member.unit.name if self.user.can_change(member.unit) else _("another unit")
            row.error(
                "citizen_id",
                _("%(value)s is already registered for a party member in %(unit)s")
                % {"value": cccd or cmnd, "unit": where},
            )
        unit = None
        if "unit" in v:
            unit = self.units.get(str(v["unit"]))
            if unit is None:
                row.error(
                    "unit",
                    _("%(value)s is not one of your units") % {"value": v["unit"]},
                )
        if v.get("stage", Stage.SOURCE) not in stages.PIPELINE:  # the ways out
            row.error(
                "stage",
                _(
                    "“%(stage)s” is not imported: record the steps the person took, then the "
                    "way out on the candidate's page"
                )
                % {"stage": Stage(v["stage"]).label},
            )
        if row.errors:
            return Outcome.error(row, name)
        key_name = (search_key(name), v.get("date_of_birth"))
        # Keys of the rows seen, as hashes: a few dozen bytes a row, whatever the file.
        keys = [hash(("id", cccd or cmnd))] if cccd or cmnd else []
        if not (cccd or cmnd) or not self.namesakes_confirmed:
            keys.append(hash(("name", *key_name)))
        for key in keys:
            if key in self.seen:
                return Outcome.duplicate(
                    row,
                    name,
                    _("the same person as row %(row)s; this row is skipped")
                    % {"row": self.seen[key]},
                )
        number = cccd or cmnd
        candidate = existing.get(number) if number else None
        if candidate is None:
            twins = namesakes.get(key_name, [])
            mine = [t for t in twins if self.user.can_change(t.unit)]
            if number and twins and not self.namesakes_confirmed:
                return self._namesake(row, name, twins[0])
            if not number and len(mine) == 1:
                candidate = mine[0]
            elif not number and twins and not self.namesakes_confirmed:
                return self._namesake(row, name, twins[0])
        for key in keys:
            self.seen.setdefault(key, row.number)
        closed = self._closed_unit_error(row, unit, candidate)
        if closed:
            row.error("unit", closed)
            return Outcome.error(row, name)
        if candidate is not None:
            if not self.user.can_change(candidate.unit):
                row.error(
                    "citizen_id",
                    _(
                        "this citizen ID is already registered in another unit; ask the "
                        "Organisation Board"
                    ),
                )
                return Outcome.error(row, name)
            return self._update(row, candidate, unit)
        fields = {k: v[k] for k in DETAILS if k in v}
        fields.update(unit=unit, citizen_id=cccd or None, old_id_number=cmnd or None)
        stage = v.get("stage", Stage.SOURCE)
        has_paperwork = any(k in v for k in PAPERWORK + TRAINING_KEYS)
        if stage == Stage.SOURCE and not has_paperwork and not self.namesakes_confirmed:
            listed_on = v.get("listed_on") or self.today
            candidate = Candidate(**fields, stage=Stage.SOURCE, stage_since=listed_on)
            bulk.append((row, candidate))
            return None
        return self._record(row, fields, stage)

    def _closed_unit_error(self, row: Row, unit, candidate) -> str:
        """As the forms: no one goes into a unit closed by a reorganisation (a sheet sent
        again after a merge names the old cells), and a record from paper is in a unit open
        on its admission's date, or today for someone still on the way."""
        if unit is None or (candidate is not None and unit.pk == candidate.unit_id):
            return ""
        v = row.values
        day = self.today
        if candidate is None and v.get("stage") in stages.ADMITTED and v.get("decision_on"):
            day = v["decision_on"]
        broken = pipeline.unit_open_rules(unit, day, self.today)
        return str(broken[0]) if broken else ""

    def _namesake(self, row: Row, name: str, twin: Candidate) -> Outcome:
        where = twin.unit.name if self.user.can_change(twin.unit) else _("another unit")
        return Outcome.duplicate(
            row,
            name,
            _(
                "%(name)s, born on %(born)s, is already registered in %(unit)s; if this is "
                "another person, import again ticking “same name and birth date: other people”"
            )
            % {
                "name": name,
                "born": date_format(twin.date_of_birth, "SHORT_DATE_FORMAT"),
                "unit": where,
            },
        )

    # --- new candidates ---------------------------------------------------------------------

    def _insert(self, bulk: list[tuple[Row, Candidate]]) -> dict[int, Outcome]:
        outcomes: dict[int, Outcome] = {}
        ready = []
        for row, candidate in bulk:
            candidate.normalise()
            try:
                # The unit was found in the user's units; the citizen ID's uniqueness was
                # checked for the batch: neither is asked of the database row by row.
                candidate.full_clean(
                    exclude=self._not_given(row), validate_unique=False, validate_constraints=False
                )
            except ValidationError as error:
                validation_errors(row, error)
            if candidate.stage_since > self.today:
                row.error("listed_on", _("a date in the future"))
            if row.errors:
                outcomes[row.number] = Outcome.error(row, candidate.full_name)
            else:
                ready.append((row, candidate))
        if not ready:
            return outcomes
        self.kept_counts.update(
            insert_candidates(
                [candidate for _row, candidate in ready],
                from_paper=["listed_on" in row.values for row, _c in ready],
                user=self._user(),
                reason=self.reason,
            )
        )
        for row, candidate in ready:
            outcomes[row.number] = Outcome.new(row, candidate.full_name)
            self.names.append(namesakes.key_of(candidate.search_name, candidate.date_of_birth))
        return outcomes

    def _not_given(self, row: Row) -> list[str]:
        """Fields a new candidate's row leaves to their defaults, which need no check, and
        the unit, found among the user's units already (its check is a query a row)."""
        given = set(row.values) - {"unit"} | {"search_name", "ethnicity", "religion", "stage_since"}
        return [name for name in self.field_names if name not in given]

    def _user(self):
        return self.user if getattr(self.user, "pk", None) else None

    def _record(self, row: Row, fields: dict, stage: str) -> Outcome:
        """Someone further along than the source list: recorded from the paper file."""
        v = row.values
        name = fields.get("full_name", "")
        training = None
        if stage != Stage.SOURCE:
            training_class = None
            title = v.get("class_title", "")
            if title:
                # Offices give one course's title to every year's class: the one of that
                # title that had ended by the certificate's day, the latest first.
                classes = TrainingClass.objects.for_user(self.user).filter(title=title)
                if isinstance(v.get("certificate_on"), date):
                    classes = classes.filter(ends_on__lte=v["certificate_on"])
                training_class = classes.order_by("-ends_on", "-starts_on").first()
            if stage == Stage.TRAINING and training_class is None:
                row.error(
                    "class_title",
                    _("give the title of a class of the app the candidate is in"),
                )
                return Outcome.error(row, name)
            if stage == Stage.TRAINING or "certificate_on" in v or "certificate_number" in v:
                training = services.PaperTraining(
                    certificate_number=v.get("certificate_number", ""),
                    certificate_on=v.get("certificate_on"),
                    training_class=training_class,
                    class_title=title,
                )
        dates = [v[k] for k in ["certificate_on", *PAPERWORK] if isinstance(v.get(k), date)]
        listed_on = v.get("listed_on") or min(dates, default=self.today)
        paperwork = {k: v[k] for k in PAPERWORK if k in v}
        try:
            with transaction.atomic():
                if stage == Stage.SOURCE:
                    candidate = services.create_candidate(
                        by=self._user(),
                        on=listed_on,
                        same_person_confirmed=self.namesakes_confirmed,
                        from_paper="listed_on" in v,
                        **fields,
                    )
                    if paperwork:
                        raise pipeline.MoveRefused(
                            [
                                pipeline.BrokenRule(
                                    "paperwork_for_source",
                                    _("a candidate in the source list has no paperwork yet"),
                                    next(iter(paperwork)),
                                )
                            ]
                        )
                else:
                    candidate = services.record_from_paper(
                        by=self._user(),
                        reached=stage,
                        listed_on=listed_on,
                        training=training,
                        paperwork=paperwork,
                        same_person_confirmed=self.namesakes_confirmed,
                        **fields,
                    )
        except pipeline.MoveRefused as refused:
            broken_rules(row, refused.broken)
            return Outcome.error(row, name)
        except ValidationError as error:
            validation_errors(row, error)
            return Outcome.error(row, name)
        self.touched.add(candidate.pk)
        return Outcome.new(row, name)

    # --- existing candidates -----------------------------------------------------------------

    def _update(self, row: Row, candidate: Candidate, unit) -> Outcome:
        v = row.values
        name = candidate.full_name
        if "stage" in v and v["stage"] != candidate.stage:
            row.error(
                "stage",
                _(
                    "the file says “%(file)s”, the app “%(app)s”: moves are made on the "
                    "candidate's page"
                )
                % {"file": Stage(v["stage"]).label, "app": Stage(candidate.stage).label},
            )
            return Outcome.error(row, name)
        born = v.get("date_of_birth")
        renamed = "full_name" in v and search_key(v["full_name"]) != candidate.search_name
        if renamed and born and candidate.date_of_birth and born != candidate.date_of_birth:
            # Another name and another birth date under one number: most often a mistyped
            # number, which would rename someone else without a word.
            row.error(
                "citizen_id",
                _(
                    "this number is %(name)s's, born on %(born)s, in the app: check the "
                    "number, or correct the name and date of birth on the candidate's page"
                )
                % {
                    "name": candidate.full_name,
                    "born": candidate.date_of_birth.strftime("%d/%m/%Y"),
                },
            )
            return Outcome.error(row, name)
        before = {name_: getattr(candidate, name_) for name_ in DETAILS + ["unit_id"]}
        for key in DETAILS:
            if key in v:
                setattr(candidate, key, v[key])
        if unit is not None:
            candidate.unit = unit
        candidate.normalise()
        changed = [k for k in DETAILS + ["unit_id"] if getattr(candidate, k) != before[k]]
        fixed = set(pipeline.fixed_fields(candidate))
        for key in changed:
            field = "unit" if key == "unit_id" else key
            if field in fixed:
                row.error(
                    field,
                    _("cannot change once the cell has voted; correct it on the candidate's page"),
                )
        paperwork = {k: v[k] for k in PAPERWORK if k in v and getattr(candidate, k) != v[k]}
        if row.errors:
            return Outcome.error(row, name)
        # What a new candidate's row records once, and an existing one's does not change:
        # said, so that "unchanged" never hides a value of the file.
        for key, note in NEW_ONLY.items():
            if v.get(key) not in (None, "") and key not in self.noted:
                self.noted.add(key)
                row.note(key, note)
        if not changed and not paperwork:
            return Outcome.unchanged(row, name)
        try:
            with transaction.atomic():
                if changed:
                    candidate.full_clean(validate_unique=False, validate_constraints=False)
                    candidate._change_reason = self.reason
                    candidate._history_user = self._user()
                    fields = {("unit" if k == "unit_id" else k) for k in changed}
                    fields |= {"youth_union_member", "updated_at"}
                    candidate.save(update_fields=fields)
                if paperwork:
                    fresh = Candidate.objects.select_for_update().get(pk=candidate.pk)
                    pipeline.correct(fresh, paperwork, by=self._user(), reason=self.reason)
        except pipeline.MoveRefused as refused:
            broken_rules(row, refused.broken)
            return Outcome.error(row, name)
        except ValidationError as error:
            validation_errors(row, error)
            return Outcome.error(row, name)
        self.touched.add(candidate.pk)
        return Outcome.changed(row, name)

    def finish(self) -> None:
        """Attribute every history row written for this batch's records (who, which file);
        called after each batch."""
        from recruitment.imports.outcome import attribute

        user = self._user()
        attribute(Candidate, self.touched, user, self.reason, self.started)
        enrolments = Enrolment.objects.filter(candidate__in=self.touched)
        attribute(
            Enrolment, enrolments.values_list("pk", flat=True), user, self.reason, self.started
        )
        classes = TrainingClass.objects.filter(enrolments__candidate__in=self.touched)
        attribute(
            TrainingClass, classes.values_list("pk", flat=True), user, self.reason, self.started
        )
        self.touched = set()
