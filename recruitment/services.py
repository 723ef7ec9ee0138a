"""Writes that touch several models. Keyword-only, atomic, validated before saving."""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from operator import attrgetter

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.formats import date_format

from recruitment import duplicates, pipeline, stages
from recruitment.models import (
    Candidate,
    Enrolment,
    Organisation,
    PartyMember,
    Quota,
    Sponsorship,
    StageChange,
    TrainingClass,
    Transfer,
)
from recruitment.stages import Stage
from recruitment.text import lazy_message as _


@contextmanager
def _refused_as(error: ValidationError):
    """Run an insert whose uniqueness was checked before, and answer a concurrent request
    that won the race (an IntegrityError) with the same ``error`` as the checked case."""
    try:
        with transaction.atomic():
            yield
    except IntegrityError:
        raise error from None


@transaction.atomic
def create_candidate(
    *,
    by=None,
    on: date | None = None,
    same_person_confirmed: bool = False,
    from_paper: bool = False,
    **fields,
) -> Candidate:
    """Add a candidate to a unit's source list, with the first entry of its stage history.

    Someone already recorded with the same name and date of birth (diacritics and spacing
    ignored) is refused unless ``same_person_confirmed``: it is most often the same person,
    or the same form sent twice. Creates in one unit are serialised (its row is locked), so
    a double submission finds the first one's candidate. Raises ``ValidationError``; nothing
    is saved then.
    """
    on = on or timezone.localdate()
    candidate = Candidate(**fields, stage=Stage.SOURCE, stage_since=on)
    refuse_taken_numbers(candidate, by=by)
    candidate.full_clean()
    # Locked, the unit is read again: a reorganisation applied since the form was checked
    # may have closed it (it locks the units it closes too).
    unit = Organisation.objects.select_for_update().filter(pk=candidate.unit_id).first()
    if unit is not None and (
        (not unit.active and not from_paper) or (unit.closed_on and unit.closed_on <= on)
    ):
        raise ValidationError(
            {
                "unit": _("%(unit)s is no longer open: choose the unit that continues it.")
                % {"unit": unit.name}
            }
        )
    if not same_person_confirmed:
        refuse_namesake(candidate, by=by)
    # Another request may take the citizen ID between the check above and this insert.
    with _refused_as(ValidationError({"citizen_id": _("This citizen ID is already registered.")})):
        candidate.save()
    StageChange.objects.create(
        candidate=candidate,
        from_stage="",
        to_stage=Stage.SOURCE,
        on=on,
        by=by if getattr(by, "pk", None) else None,
        from_paper=from_paper,
    )
    return candidate


def refuse_taken_numbers(record: Candidate | PartyMember, *, by=None) -> None:
    """Refuse a citizen ID or an old ID number that another record carries, candidate or
    member (``duplicates.holders``), saying where only to someone who may see it."""
    is_candidate = isinstance(record, Candidate)
    errors = duplicates.taken_errors(
        by,
        citizen_id=record.citizen_id,
        old_id_number=record.old_id_number,
        candidate=record if is_candidate else None,
        member=None if is_candidate else record,
    )
    if errors:
        raise ValidationError({name: [message] for name, message in errors.items()})


def refuse_namesake(record: Candidate | PartyMember, *, by=None) -> None:
    """Refuse, until confirmed, a record of the same name and birth date as another one,
    candidate or member: most often the same person, or the same form sent twice."""
    is_candidate = isinstance(record, Candidate)
    twin = duplicates.namesake(
        record.full_name,
        record.date_of_birth,
        candidate=record if is_candidate else None,
        member=None if is_candidate else record,
    )
    if twin is None:
        return
    seen = by is not None and Organisation.objects.for_user(by).filter(pk=twin.unit_id).exists()
    where = twin.unit.name if seen else _("another unit")
    raise ValidationError(
        _(
            "%(name)s, born on %(born)s, is already registered in %(unit)s. If this "
            "is another person, tick the box to confirm it."
        )
        % {
            "name": record.full_name,
            "born": date_format(record.date_of_birth, "SHORT_DATE_FORMAT"),
            "unit": where,
        },
        code="same_person",
    )


@transaction.atomic
def create_member(*, by=None, same_person_confirmed: bool = False, **fields) -> PartyMember:
    """Add a party member by hand (a mentor who transferred in, a member from the paper
    file). A citizen ID or old ID number on another record is refused; a namesake (same
    name and birth date) is refused unless ``same_person_confirmed``. Raises
    ``ValidationError``; nothing is saved then."""
    member = PartyMember(**fields)
    refuse_taken_numbers(member, by=by)
    member.full_clean()
    Organisation.objects.select_for_update().filter(pk=member.unit_id).exists()
    if not same_person_confirmed:
        refuse_namesake(member, by=by)
    member._history_user = by if getattr(by, "pk", None) else None
    with _refused_as(ValidationError({"citizen_id": _("This citizen ID is already registered.")})):
        member.save()
    return member


@dataclass(frozen=True)
class PaperTraining:
    """The party-awareness class of a record from paper: an ended class of the app, or the
    title of one that is not in it (it is then added, run by the candidate's unit)."""

    certificate_number: str
    certificate_on: date
    training_class: TrainingClass | None = None
    class_title: str = ""


def _paper_class(unit: Organisation, training: PaperTraining) -> TrainingClass:
    """The class a paper record names only by its title: the one the unit already holds
    from an earlier record of that title and certificate day, else a new one on that day
    (a unit's records of one course are not a class each)."""
    title = training.class_title or str(_("Class recorded from paper"))
    day = training.certificate_on
    found = TrainingClass.objects.filter(unit=unit, title=title, starts_on=day, ends_on=day)
    return found.order_by("pk").first() or TrainingClass.objects.create(
        title=title, unit=unit, starts_on=day, ends_on=day
    )


@transaction.atomic
def record_from_paper(
    *,
    by=None,
    reached: str,
    listed_on: date,
    training: PaperTraining | None = None,
    paperwork: dict | None = None,
    same_person_confirmed: bool = False,
    **fields,
) -> Candidate:
    """Record someone who went through the pipeline in the past, from the paper file: each
    step on its own date, up to ``reached`` (DESIGN.md §6: recorded, not replayed).

    Every step passes the pipeline's rules as of its own date (``pipeline.move`` with
    ``from_paper``); a refused step refuses the whole record (``pipeline.MoveRefused``) and
    nothing is saved. The stage history marks each step as recorded from paper, and an
    admission counts in the figures of its decision's year.
    """
    paperwork = dict(paperwork or {})
    candidate = create_candidate(
        by=by,
        on=listed_on,
        same_person_confirmed=same_person_confirmed,
        from_paper=True,
        **fields,
    )
    steps = stages.PIPELINE[1 : stages.PIPELINE.index(reached) + 1]
    if Stage.TRAINING in steps:
        # Past the class, its certificate's date dates the step "trained" (and a class
        # made from paper runs on that day): a number alone is not enough.
        if training is None or (Stage.TRAINED in steps and training.certificate_on is None):
            raise pipeline.MoveRefused(
                [
                    pipeline.BrokenRule(
                        "certificate_missing",
                        _("Give the certificate of the party-awareness class."),
                        "certificate_on",
                    )
                ]
            )
        training_class = training.training_class or _paper_class(candidate.unit, training)
        Enrolment.objects.create(candidate=candidate, training_class=training_class)
    for step in steps:
        on = _paper_date(step, training, paperwork)
        if step == Stage.TRAINED:
            enrolment = candidate.enrolments.get()
            broken = pipeline.result_rules(
                enrolment,
                result=Enrolment.Result.PASSED,
                certificate_number=training.certificate_number,
                certificate_on=training.certificate_on,
            )
            if broken:
                raise pipeline.MoveRefused(broken)
            enrolment.result = Enrolment.Result.PASSED
            enrolment.certificate_number = training.certificate_number
            enrolment.certificate_on = training.certificate_on
            enrolment.save()
        changes = {
            name: paperwork[name] for name in pipeline.STEP_FIELDS[step] if name in paperwork
        }
        pipeline.move(candidate, step, by=by, on=on, changes=changes, from_paper=True)
    return candidate


def _paper_date(step: str, training: PaperTraining | None, paperwork: dict) -> date | None:
    """The day a step of a paper record took effect: its paperwork's own date."""
    if step == Stage.TRAINING:
        return (
            training.training_class.starts_on
            if training.training_class
            else training.certificate_on
        )
    if step == Stage.TRAINED:
        return training.certificate_on
    if step == Stage.DOSSIER:
        dates = [
            paperwork.get(name)
            for name in ("application_on", "personal_history_on", "background_check_on")
        ]
        return max((d for d in dates if d), default=None)
    return None  # proposal, admission, recognition: the move takes its paperwork's date


@transaction.atomic
def add_sponsor(
    *,
    candidate: Candidate,
    member: PartyMember,
    role: str,
    assigned_on: date | None = None,
    known_since: date | None = None,
    reference: str = "",
) -> Sponsorship:
    """Attach a party member to a candidate as mentor or introducer."""
    sponsorship = Sponsorship(
        candidate=candidate,
        member=member,
        role=role,
        assigned_on=assigned_on or timezone.localdate(),
        known_since=known_since,
        reference=reference,
    )
    sponsorship.full_clean()
    with _refused_as(
        ValidationError(_("This member already has this role for the candidate."), code="unique")
    ):
        sponsorship.save()
    return sponsorship


@transaction.atomic
def enrol(
    *,
    candidates: Iterable[Candidate],
    training_class: TrainingClass,
    by=None,
    on: date | None = None,
) -> list[Enrolment]:
    """Enrol candidates in a class; those still in the source list move to "in training"
    as of ``on`` (today unless a past enrolment is being recorded).

    Candidates already enrolled in the class are left as they are. A refused move refuses
    the whole enrolment (``pipeline.MoveRefused``), so nothing is half-saved.
    """
    created = []
    refused: list[pipeline.BrokenRule] = []
    candidates = sorted(candidates, key=attrgetter("pk"))
    # Locked and read again: a second submission of the same page finds them enrolled.
    locked = pipeline.lock_candidates(candidate.pk for candidate in candidates)
    for candidate in candidates:
        if candidate.pk not in locked:  # deleted meanwhile, as ``refresh_from_db`` says it
            raise Candidate.DoesNotExist("Candidate matching query does not exist.")
        locked[candidate.pk].onto(candidate)
        enrolment, is_new = Enrolment.objects.get_or_create(
            candidate=candidate, training_class=training_class
        )
        if is_new:
            created.append(enrolment)
        if candidate.stage == Stage.SOURCE:
            try:
                pipeline.move(candidate, Stage.TRAINING, by=by, on=on or timezone.localdate())
            except pipeline.MoveRefused as error:
                refused += [
                    pipeline.BrokenRule(
                        b.code,
                        _("%(name)s: %(reason)s") % {"name": candidate.full_name, "reason": b},
                        b.field,
                    )
                    for b in error.broken
                ]
    if refused:
        raise pipeline.MoveRefused(refused)  # rolls back every enrolment of this call
    return created


@transaction.atomic
def record_result(
    *,
    enrolment: Enrolment,
    result: str,
    certificate_number: str = "",
    certificate_on: date | None = None,
    by=None,
) -> Enrolment:
    """Record a class result; a pass moves a candidate in training to "trained".

    Refused (``pipeline.MoveRefused``, nothing saved) on any of ``pipeline.result_rules``.

    The candidate is locked first and its stage read again, as ``enrol`` and the admin's
    deletes of enrolments lock their candidates (``pipeline.lock_candidates``): locking the
    enrolment first and the candidate after deadlocked against the admin deleting that
    enrolment. Saving several results, lock their candidates first, in that order.
    """
    candidate = enrolment.candidate
    locked = pipeline.lock_candidates([candidate.pk])
    # Gone with its candidate (deleted, or merged into another record), or on its own.
    kept = Enrolment.objects.filter(pk=enrolment.pk, candidate=candidate.pk)
    if candidate.pk not in locked or not kept.exists():
        raise pipeline.MoveRefused(
            [
                pipeline.BrokenRule(
                    "gone",
                    _("This enrolment was deleted meanwhile; nothing was saved."),
                    "result",
                )
            ]
        )
    locked[candidate.pk].onto(candidate)
    broken = pipeline.result_rules(
        enrolment,
        result=result,
        certificate_number=certificate_number,
        certificate_on=certificate_on,
    )
    if broken:
        raise pipeline.MoveRefused(broken)
    enrolment.result = result
    enrolment.certificate_number = certificate_number
    enrolment.certificate_on = certificate_on
    enrolment.full_clean()
    enrolment.save(update_fields=["result", "certificate_number", "certificate_on"])
    if result == Enrolment.Result.PASSED and candidate.stage == Stage.TRAINING:
        pipeline.move(candidate, Stage.TRAINED, by=by, on=certificate_on)
    return enrolment


@transaction.atomic
def record_past_result(
    *,
    candidate: Candidate,
    training_class: TrainingClass,
    result: str,
    certificate_number: str = "",
    certificate_on: date | None = None,
    by=None,
) -> Enrolment:
    """Record a candidate's result in a class that has ended: enrolled and the result given
    at once (issue 10 §2). Refused (``pipeline.MoveRefused``, nothing saved) by
    ``pipeline.past_result_rules``.

    The steps are recorded from the file, each on its own date where the candidate's
    history allows it: "in training" from the class's first day, "trained" from the
    certificate's date, never before the candidate entered the stage it leaves.
    """
    Candidate.objects.select_for_update().filter(pk=candidate.pk).exists()
    candidate.refresh_from_db(fields=["stage", "stage_since", "version"])
    broken = pipeline.past_result_rules(
        candidate,
        training_class,
        result=result,
        certificate_number=certificate_number,
        certificate_on=certificate_on,
    )
    if broken:
        raise pipeline.MoveRefused(broken)
    enrolment = Enrolment(
        candidate=candidate,
        training_class=training_class,
        result=result,
        certificate_number=certificate_number,
        certificate_on=certificate_on,
    )
    enrolment._history_user = by if getattr(by, "pk", None) else None
    enrolment.full_clean()
    enrolment.save()
    if candidate.stage == Stage.SOURCE:
        on = max(training_class.starts_on, candidate.stage_since)
        pipeline.move(candidate, Stage.TRAINING, by=by, on=on, from_paper=True)
    if result == Enrolment.Result.PASSED and candidate.stage == Stage.TRAINING:
        on = max(certificate_on, candidate.stage_since)
        pipeline.move(candidate, Stage.TRAINED, by=by, on=on, from_paper=True)
    return enrolment


# --- Quotas ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuotaChange:
    """The quota ``target`` for ``unit``; None removes the unit's quota for the year."""

    unit: Organisation
    target: int | None
    note: str | None = None  # None leaves the note as it is
    # The quota's version when the page was opened (0: there was none); None: not checked.
    version: int | None = None


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
    # A unit that did not exist that year has no quota to set.
    closed = [
        str(broken)
        for change in changes
        if change.target is not None
        for broken in pipeline.unit_of_year_rules(change.unit, year)
    ]
    if closed:
        raise ValidationError("; ".join(closed), code="unit_not_open")
    existing = {
        q.unit_id: q for q in Quota.objects.select_for_update().filter(unit__in=units, year=year)
    }
    # Someone else saved one of these quotas after the page was opened: keep theirs.
    changed = [
        change.unit.name
        for change in changes
        if change.version is not None
        and change.version != getattr(existing.get(change.unit.pk), "version", 0)
    ]
    if changed:
        raise ValidationError(
            _(
                "Someone else changed the quota of %(units)s for %(year)s after you opened "
                "this page. Nothing was saved: reload the page to see their figures."
            )
            % {"units": ", ".join(changed), "year": year},
            code="changed_meanwhile",
        )
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
            with _refused_as(
                ValidationError(
                    _("%(unit)s was given a quota for %(year)s meanwhile, by someone else.")
                    % {"unit": change.unit.name, "year": year},
                    code="unique",
                )
            ):
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
        if quota.draft:  # a reorganisation's draft, confirmed by whoever sets the quota
            quota.draft = False
            fields.append("draft")
        if fields:
            quota.full_clean()
            quota.save(update_fields=fields)
            result.updated.append(quota)
    return result


# --- Members: transfers in and out ------------------------------------------------------------


def _locked(member: PartyMember) -> PartyMember:
    """The member's row, locked and read again: two transfers of one member queue up."""
    return PartyMember.objects.select_for_update().select_related("unit").get(pk=member.pk)


def _transfer_date_rules(member: PartyMember, on: date) -> dict[str, list]:
    """A transfer is dated today or before, after the admission and after the member's
    previous transfer (the order of the moves is the order of their dates)."""
    if on > timezone.localdate():
        return {"on": [_("A transfer cannot be dated in the future.")]}
    if member.admitted_on and on < member.admitted_on:
        return {"on": [_("A transfer cannot be dated before the member's admission.")]}
    last = member.transfers.order_by("-on", "-pk").first() if member.pk else None
    if last is not None and on < last.on:
        return {
            "on": [
                _("The member's previous transfer is dated %(day)s; this one cannot be earlier.")
                % {"day": date_format(last.on, "SHORT_DATE_FORMAT")}
            ]
        }
    return {}


def _record(member: PartyMember, transfer: Transfer, by, reason: str) -> Transfer:
    """Save the moved member and the transfer, attributed to ``by`` in both histories."""
    user = by if getattr(by, "pk", None) else None
    member._change_reason = reason[:100]  # the history's reason column holds 100
    member._history_user = user
    member.full_clean()
    member.save()
    transfer.member = member
    transfer.by = user
    transfer._history_user = user
    transfer.full_clean()
    transfer.save()
    return transfer


def _refuse_if_owned_by_candidate(member: PartyMember) -> None:
    if member.candidate_id:
        raise ValidationError(
            _(
                "%(name)s was admitted through the pipeline: the unit and dates follow the "
                "candidate's record, where they are corrected."
            )
            % {"name": member.full_name},
            code="owned_by_candidate",
        )


@transaction.atomic
def transfer_out(
    *,
    member: PartyMember,
    on: date,
    to_unit: Organisation | None = None,
    to_place: str = "",
    document_number: str = "",
    note: str = "",
    by=None,
) -> Transfer:
    """Record a member's transfer out of their unit.

    To ``to_unit`` (a unit ``by`` may change): the member moves there. To ``to_place``, a
    place outside the tree (or outside the user's units, named in words): the member leaves,
    ``left_on`` = ``on``, and the record stays in its unit, so the past (sponsorships, the
    figures of the years they were here) is unchanged. Raises ``ValidationError``; nothing is
    saved then.
    """
    member = _locked(member)
    _refuse_if_owned_by_candidate(member)
    to_place = (to_place or "").strip()
    if member.left_on is not None:
        raise ValidationError(
            _("%(name)s left on %(day)s and can no longer be transferred out.")
            % {"name": member.full_name, "day": date_format(member.left_on, "SHORT_DATE_FORMAT")},
            code="already_left",
        )
    errors = _transfer_date_rules(member, on)
    if (to_unit is None) == (not to_place):
        errors["to_place"] = [
            _("Choose one of your units, or name a place outside them: one of the two.")
        ]
    elif to_unit is not None and to_unit.pk == member.unit_id:
        errors["to_unit"] = [_("The member is already in this unit.")]
    elif to_unit is not None and by is not None and not by.can_change(to_unit):
        errors["to_unit"] = [_("This unit is not one of yours: name it as a place instead.")]
    if errors:
        raise ValidationError(errors)
    transfer = Transfer(
        direction=Transfer.Direction.OUT,
        on=on,
        from_unit=member.unit,
        to_unit=to_unit,
        to_place=to_place,
        document_number=document_number,
        note=note,
    )
    if to_unit is not None:
        member.unit = to_unit
        reason = _left_reason(to_unit.name)
    else:
        member.left_on = on
        member.left_reason = reason = _left_reason(to_place)
    return _record(member, transfer, by, reason)


def _left_reason(place: str) -> str:
    """ "Transferred out to …", stored in the site's language (data, not interface)."""
    with translation.override(settings.LANGUAGE_CODE):
        return str(_("Transferred out to %(place)s") % {"place": place})[:300]


@transaction.atomic
def transfer_in(
    *,
    unit: Organisation,
    on: date,
    from_place: str,
    member: PartyMember | None = None,
    document_number: str = "",
    note: str = "",
    by=None,
    same_person_confirmed: bool = False,
    **member_fields,
) -> Transfer:
    """Record a member's transfer into ``unit`` from ``from_place``, named in words.

    A new arrival is added to ``unit`` with ``member_fields`` (name, admission and official
    dates). An existing ``member`` who left by a transfer out and comes back is moved to
    ``unit`` and is a member again. Where they come from is always words: a unit outside
    the user's scope is never read. A new arrival of the same name and birth date as a
    record on file is refused unless ``same_person_confirmed``. Raises ``ValidationError``;
    nothing is saved then.
    """
    from_place = (from_place or "").strip()
    if by is not None and not by.can_change(unit):
        raise ValidationError({"unit": [_("This unit is not one of yours.")]})
    if member is None:
        member = PartyMember(unit=unit, **member_fields)
        refuse_taken_numbers(member, by=by)
        member.full_clean()
        if not same_person_confirmed:  # as when a member is added: most often the same one
            refuse_namesake(member, by=by)
    else:
        member = _locked(member)
        _refuse_if_owned_by_candidate(member)
        last = member.transfers.order_by("-on", "-pk").first()
        returning = (
            last is not None
            and last.direction == Transfer.Direction.OUT
            and last.to_unit_id is None
            and member.left_on == last.on
        )
        if not returning:
            raise ValidationError(
                _(
                    "Only a member who transferred out can transfer back in; to move "
                    "%(name)s between your units, record a transfer out."
                )
                % {"name": member.full_name},
                code="not_returning",
            )
        member.unit = unit
        member.left_on = None
        member.left_reason = ""
    errors = _transfer_date_rules(member, on)
    if not from_place:
        errors["from_place"] = [_("Say where the member comes from.")]
    if errors:
        raise ValidationError(errors)
    transfer = Transfer(
        direction=Transfer.Direction.IN,
        on=on,
        from_place=from_place,
        to_unit=unit,
        document_number=document_number,
        note=note,
    )
    with translation.override(settings.LANGUAGE_CODE):
        reason = str(_("Transferred in from %(place)s") % {"place": from_place})
    return _record(member, transfer, by, reason)


# --- Two records of one person: merging ------------------------------------------------------

MERGE_HISTORY_REASON_LENGTH = 100  # the history's reason column holds 100


def _locked_pair(model, first_pk: int, second_pk: int, versions) -> tuple:
    """Both rows, locked in the order of their keys (two merges of the same pair queue up
    rather than deadlock), refused if either changed since the page showed ``versions``."""
    rows = (
        model.objects.select_for_update()
        .select_related("unit")
        .filter(pk__in=[first_pk, second_pk])
    )
    found = {row.pk: row for row in rows.order_by("pk")}
    if len(found) != len({first_pk, second_pk}):
        raise ValidationError(
            _("One of the two records was deleted or merged meanwhile; nothing was saved."),
            code="gone",
        )
    first, second = found[first_pk], found[second_pk]
    if versions is not None and (first.version, second.version) != tuple(versions):
        raise ValidationError(
            _(
                "Someone saved changes to one of the two records after you opened this page. "
                "Nothing was saved: compare them again."
            ),
            code="changed_meanwhile",
        )
    return first, second


def _refuse_outside_scope(by, *units) -> None:
    if by is not None and not all(by.can_change(unit) for unit in units):
        raise ValidationError(
            _("Both records must be in your units to merge them."), code="out_of_scope"
        )


def _merge_reason(text, **values) -> str:
    """A history note in the site's language (data, not interface)."""
    with translation.override(settings.LANGUAGE_CODE):
        return str(text % values)


def _begin_merge(model, rules, kept, removed, values: dict, reason: str, by, versions) -> tuple:
    """What both merges do first: lock the pair (``_locked_pair``), refuse it outside
    ``by``'s units, without a reason or on any of ``rules``. Returns the locked pair, the user
    to name in the history and the note that the kept record's history keeps."""
    kept, removed = _locked_pair(model, kept.pk, removed.pk, versions)
    _refuse_outside_scope(by, kept.unit, removed.unit, values.get("unit", kept.unit))
    if not reason.strip():
        raise ValidationError({"reason": [_("Say why these are one person.")]})
    broken = rules(kept, removed, values)
    if broken:
        raise pipeline.MoveRefused(broken)
    note = _merge_reason(
        _("Merged record #%(pk)s (%(name)s) into this one: %(reason)s"),
        pk=removed.pk,
        name=removed.full_name,
        reason=reason.strip(),
    )
    return kept, removed, (by if getattr(by, "pk", None) else None), note


def _end_merge(kept, removed, values: dict, user, note: str):
    """What both merges do last: delete ``removed`` (its history says where it went; first,
    as ``kept`` may take its unique ID numbers), then save ``kept`` with the chosen
    ``values``, its history naming the merge."""
    removed._change_reason = _merge_reason(_("Merged into record #%(pk)s"), pk=kept.pk)[
        :MERGE_HISTORY_REASON_LENGTH
    ]
    removed._history_user = user
    removed.delete()
    for name, value in values.items():
        setattr(kept, name, value)
    kept._change_reason = note[:MERGE_HISTORY_REASON_LENGTH]
    kept._history_user = user
    kept.full_clean()
    kept.save()
    return kept


@transaction.atomic
def merge_candidates(
    *,
    kept: Candidate,
    removed: Candidate,
    values: dict,
    reason: str,
    by=None,
    versions: tuple[int, int] | None = None,
) -> Candidate:
    """Merge candidate ``removed`` into ``kept``, two records of one person.

    ``kept`` takes the chosen ``values`` (fields of ``forms.CANDIDATE_FIELDS``) and every
    record of ``removed``'s history: its stage changes (marked as from the merged record),
    enrolments (one per class: the better result stays) and mentors and introducers. The
    removed record is deleted; its last state stays in its history, which says where it
    went, and ``kept``'s history names it, with ``reason``. Refused (``MoveRefused`` or
    ``ValidationError``, nothing saved) by ``pipeline.candidate_merge_rules``, outside
    ``by``'s units, or when either record changed since ``versions`` were read.
    """
    kept, removed, user, note = _begin_merge(
        Candidate, pipeline.candidate_merge_rules, kept, removed, values, reason, by, versions
    )
    today = timezone.localdate()
    # Stage history: the removed record's steps, kept as history of the same person.
    for change in removed.stage_changes.all():
        change.candidate = kept
        change.merged_from = removed.pk
        change.save(update_fields=["candidate", "merged_from"])
    # Classes: one enrolment per class; a pass is kept over a pending or failed result.
    kept_classes = {e.training_class_id: e for e in kept.enrolments.all()}
    for enrolment in removed.enrolments.all():
        enrolment._change_reason = note[:MERGE_HISTORY_REASON_LENGTH]
        enrolment._history_user = user
        twin = kept_classes.get(enrolment.training_class_id)
        if twin is None:
            enrolment.candidate = kept
            enrolment.save()
            continue
        if enrolment.result == Enrolment.Result.PASSED and twin.result != Enrolment.Result.PASSED:
            twin.result = enrolment.result
            twin.certificate_number = enrolment.certificate_number
            twin.certificate_on = enrolment.certificate_on
            twin._change_reason = enrolment._change_reason
            twin._history_user = user
            twin.save()
        enrolment.delete()
    # Mentors and introducers: a member active in the same role on both stays once.
    active = set(kept.sponsorships.filter(ended_on__isnull=True).values_list("member_id", "role"))
    for sponsorship in removed.sponsorships.all():
        if sponsorship.ended_on is None and (sponsorship.member_id, sponsorship.role) in active:
            sponsorship.ended_on = today
        sponsorship.candidate = kept
        sponsorship.save()
    # With both histories, the person last passed training at the later of the two dates.
    kept.trained_on = max(filter(None, [kept.trained_on, removed.trained_on]), default=None)
    return _end_merge(kept, removed, values, user, note)


@transaction.atomic
def merge_members(
    *,
    kept: PartyMember,
    removed: PartyMember,
    values: dict,
    reason: str,
    by=None,
    versions: tuple[int, int] | None = None,
) -> PartyMember:
    """Merge party member ``removed`` into ``kept``, two records of one person.

    ``kept`` takes the chosen ``values`` and ``removed``'s transfers and mentoring and
    introductions; the removed record is deleted, its last state kept in its history,
    which says where it went; ``kept``'s history names it, with ``reason``. Refused
    (``MoveRefused`` or ``ValidationError``, nothing saved) by
    ``pipeline.member_merge_rules``, outside ``by``'s units, or when either record changed
    since ``versions`` were read.
    """
    kept, removed, user, note = _begin_merge(
        PartyMember, pipeline.member_merge_rules, kept, removed, values, reason, by, versions
    )
    today = timezone.localdate()
    for transfer in removed.transfers.all():
        transfer.member = kept
        transfer._change_reason = note[:MERGE_HISTORY_REASON_LENGTH]
        transfer._history_user = user
        transfer.save()
    active = set(
        kept.sponsorships.filter(ended_on__isnull=True).values_list("candidate_id", "role")
    )
    for sponsorship in removed.sponsorships.all():
        if sponsorship.ended_on is None and (sponsorship.candidate_id, sponsorship.role) in active:
            sponsorship.ended_on = today
        sponsorship.member = kept
        sponsorship.save()
    numbers = {n: getattr(removed, n) for n in duplicates.ID_FIELDS}
    kept = _end_merge(kept, removed, values, user, note)
    if kept.candidate_id:
        # Who the person is lives on the candidate's record (the rules refused numbers that
        # differ): an ID number only the removed record knew is not lost. (A birth date is
        # fixed once the cell has voted: the removed record's history keeps it.)
        candidate = Candidate.objects.select_for_update().get(pk=kept.candidate_id)
        missing = {n: v for n, v in numbers.items() if v and not getattr(candidate, n)}
        if missing:
            for name, value in missing.items():
                setattr(candidate, name, value)
            candidate._change_reason = note[:MERGE_HISTORY_REASON_LENGTH]
            candidate._history_user = user
            candidate.save(update_fields=list(missing))
    return kept


@transaction.atomic
def link_member(
    *,
    candidate: Candidate,
    member: PartyMember,
    values: dict,
    reason: str,
    by=None,
    versions: tuple[int, int] | None = None,
) -> PartyMember:
    """Record that party member ``member``, entered by hand, is the member ``candidate``
    became: a candidate who is also recorded as a member.

    Both records stay. The candidate takes the chosen identity ``values`` (name, birth date,
    ID numbers) and the member follows the candidate's record from now on, as a member
    admitted through the pipeline does (``pipeline._follow_member``); both histories say so,
    with ``reason``. Refused by ``pipeline.link_rules``.
    """
    candidate = Candidate.objects.select_for_update().select_related("unit").filter(pk=candidate.pk)
    member = PartyMember.objects.select_for_update().select_related("unit").filter(pk=member.pk)
    candidate, member = candidate.first(), member.first()
    if candidate is None or member is None:
        raise ValidationError(
            _("One of the two records was deleted or merged meanwhile; nothing was saved."),
            code="gone",
        )
    if versions is not None and (candidate.version, member.version) != tuple(versions):
        raise ValidationError(
            _(
                "Someone saved changes to one of the two records after you opened this page. "
                "Nothing was saved: compare them again."
            ),
            code="changed_meanwhile",
        )
    _refuse_outside_scope(by, candidate.unit, member.unit)
    if not reason.strip():
        raise ValidationError({"reason": [_("Say why these are one person.")]})
    broken = pipeline.link_rules(candidate, member, values)
    if broken:
        raise pipeline.MoveRefused(broken)
    user = by if getattr(by, "pk", None) else None
    note = _merge_reason(
        _("Member record #%(member)s linked to candidate record #%(candidate)s: %(reason)s"),
        member=member.pk,
        candidate=candidate.pk,
        reason=reason.strip(),
    )[:MERGE_HISTORY_REASON_LENGTH]
    # The numbers move to the candidate's record, which says who a linked member is.
    member.citizen_id = member.old_id_number = member.date_of_birth = None
    member.candidate = candidate
    member._change_reason = note
    member._history_user = user
    member.save()
    for name, value in values.items():
        setattr(candidate, name, value)
    candidate._change_reason = note
    candidate._history_user = user
    candidate.full_clean()
    candidate.save()
    pipeline._follow_member(candidate, note)
    member.refresh_from_db()
    return member
