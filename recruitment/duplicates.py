"""Two records of one person (DESIGN.md §5, issue 10 §5): reads only.

A person is the same person when they carry the same citizen ID (CCCD, 12 digits) or the
same old ID number (CMND, 9 digits), whichever table holds them: each number is on one
record at most, candidate or member (``holders``). Two records of the same name and date of
birth (diacritics, case and spacing ignored) are probably one person, and are confirmed, not
refused (``namesakes``). A candidate and the member it became (``PartyMember.candidate``)
are one person on two linked records, never a duplicate.

``likely_duplicates`` lists the pairs of a user's subtree for the staff's duplicates page,
in a fixed number of queries whatever the size of the subtree.
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy

from recruitment.models import (
    Candidate,
    Namesake,
    Organisation,
    PartyMember,
    same_name_and_birth,
)
from recruitment.text import lazy_message as _

# The numbers that say who someone is, by field name.
ID_FIELDS = ("citizen_id", "old_id_number")


def id_digits(raw: str | None) -> str | None:
    """A typed or imported ID number as its digits: spaces, dots, dashes and a spreadsheet's
    leading apostrophe dropped, full-width digits read as ASCII; None when empty."""
    text = unicodedata.normalize("NFKC", raw or "").strip().lstrip("'")
    value = "".join(text.split()).replace(".", "").replace("-", "")
    return value or None


def holders(
    *,
    citizen_id: str | None = None,
    old_id_number: str | None = None,
    candidate: Candidate | None = None,
    member: PartyMember | None = None,
) -> list[Candidate | PartyMember]:
    """The other records that carry one of these numbers, candidates first.

    ``candidate`` and ``member`` are the record being written and the one linked to it (a
    candidate's member, a member's candidate): the same person, left out. Two queries at
    most; none without a number.
    """
    given = zip(ID_FIELDS, (citizen_id, old_id_number), strict=True)
    numbers = {name: value for name, value in given if value}
    if not numbers:
        return []
    match = Q()
    for name, value in numbers.items():
        match |= Q(**{name: value})
    candidates = Candidate.objects.filter(match).select_related("unit")
    members = PartyMember.objects.filter(match).select_related("unit")
    candidate_pk = getattr(candidate, "pk", None) or getattr(member, "candidate_id", None)
    if candidate_pk:
        candidates = candidates.exclude(pk=candidate_pk)
        members = members.exclude(candidate=candidate_pk)  # the member it became
    if member is not None and member.pk:
        members = members.exclude(pk=member.pk)
    return [*candidates, *members]


def taken_message(name: str, holder: Candidate | PartyMember, user):
    """Why the number in field ``name`` is refused: where it is registered, named only to a
    user who may see that unit (the number itself is sensitive)."""
    seen = user is not None and Organisation.objects.for_user(user).filter(pk=holder.unit_id)
    if seen and seen.exists():
        if name == "old_id_number":
            text = _("This old ID number is already registered, in %(unit)s.")
        else:
            text = _("This citizen ID is already registered, in %(unit)s.")
        return text % {"unit": holder.unit.name}
    if name == "old_id_number":
        return _(
            "This old ID number is already registered in another unit; ask the Organisation Board."
        )
    return _("This citizen ID is already registered in another unit; ask the Organisation Board.")


def taken_errors(
    user,
    *,
    citizen_id: str | None = None,
    old_id_number: str | None = None,
    candidate: Candidate | None = None,
    member: PartyMember | None = None,
) -> dict[str, object]:
    """``taken_message`` by field for every number another record carries ({}: none)."""
    found = holders(
        citizen_id=citizen_id, old_id_number=old_id_number, candidate=candidate, member=member
    )
    errors = {}
    for name, value in zip(ID_FIELDS, (citizen_id, old_id_number), strict=True):
        holder = next((h for h in found if value and getattr(h, name) == value), None)
        if holder is not None:
            errors[name] = taken_message(name, holder, user)
    return errors


def namesake(
    full_name: str,
    date_of_birth: date | None,
    *,
    candidate: Candidate | None = None,
    member: PartyMember | None = None,
) -> Candidate | PartyMember | None:
    """Another record of the same name and birth date, a candidate first; None if none.

    Leaves out ``candidate``, ``member`` and the records linked to them, as ``holders``.
    """
    if not full_name or date_of_birth is None:
        return None
    candidates = Candidate.objects.namesakes(full_name, date_of_birth).select_related("unit")
    members = PartyMember.objects.namesakes(full_name, date_of_birth).select_related("unit")
    candidate_pk = getattr(candidate, "pk", None) or getattr(member, "candidate_id", None)
    if candidate_pk:
        candidates = candidates.exclude(pk=candidate_pk)
        members = members.exclude(candidate=candidate_pk)
    if member is not None and member.pk:
        members = members.exclude(pk=member.pk)
    return candidates.first() or members.first()


def twins_of(record: Candidate | PartyMember, user) -> list[Candidate | PartyMember]:
    """The records of ``user``'s subtree that are likely the same person as ``record``: the
    same ID number, or the same name and birth date; those sharing a number first, then
    candidates before members. Two queries at most (one per table); none without a scope."""
    prefix = getattr(user, "scope_path", None)
    if prefix is None:
        return []
    numbers = {name: getattr(record, name) for name in ID_FIELDS if getattr(record, name)}
    same = Q()
    for name, value in numbers.items():
        same |= Q(**{name: value})
    if record.date_of_birth is not None:
        same |= same_name_and_birth(record.full_name, record.date_of_birth)
    if not same:
        return []
    is_candidate = isinstance(record, Candidate)
    linked = record.pk if is_candidate else record.candidate_id  # the same person
    candidates = Candidate.objects.filter(same, unit__path__startswith=prefix)
    members = PartyMember.objects.filter(same, unit__path__startswith=prefix)
    if linked:
        candidates = candidates.exclude(pk=linked)
        members = members.exclude(candidate=linked)
    if not is_candidate:
        members = members.exclude(pk=record.pk)
    found = [*candidates.select_related("unit"), *members.select_related("unit")]
    return sorted(found, key=lambda t: not any(getattr(t, n) == v for n, v in numbers.items()))


# --- The staff's duplicates page -------------------------------------------------------------


class Reason:
    CITIZEN_ID = "citizen_id"
    OLD_ID_NUMBER = "old_id_number"
    NAME_AND_BIRTH = "name_and_birth"


REASON_LABELS = {
    Reason.CITIZEN_ID: gettext_lazy("same citizen ID"),
    Reason.OLD_ID_NUMBER: gettext_lazy("same old ID number"),
    Reason.NAME_AND_BIRTH: gettext_lazy("same name and date of birth"),
}


@dataclass
class Pair:
    """Two records that are likely one person, and why."""

    first: Candidate | PartyMember
    second: Candidate | PartyMember
    reasons: list[str] = field(default_factory=list)

    @property
    def reason_labels(self) -> list:
        return [REASON_LABELS[reason] for reason in self.reasons]

    @property
    def merge_url(self) -> str:
        return merge_url(self.first, self.second)


def merge_url(first, second) -> str:
    """The comparison page of two records (a candidate first when they are of both kinds)."""
    if isinstance(first, Candidate) and isinstance(second, Candidate):
        return reverse("recruitment:merge-candidates", args=[first.pk, second.pk])
    if isinstance(first, PartyMember) and isinstance(second, PartyMember):
        return reverse("recruitment:merge-members", args=[first.pk, second.pk])
    candidate, member = (first, second) if isinstance(first, Candidate) else (second, first)
    return reverse("recruitment:merge-candidate-member", args=[candidate.pk, member.pk])


def _shared_names() -> Exists:
    """A condition on a candidate's or member's row: two people or more carry its name and
    birth date (``Namesake``, kept on every write), not necessarily both in the scope: the
    pairs are made of the rows in it. The database reads the few keys shared, not the whole
    scope grouped by name and birth date (1.5 s for a million candidates)."""
    keys = Namesake.objects.filter(
        search_name=OuterRef("search_name"), date_of_birth=OuterRef("date_of_birth")
    )
    return Exists(keys)


def _shared_numbers(candidates, members) -> dict[str, set[str]]:
    """By field, the ID numbers that a candidate and a member of the scope both carry, the
    member not being that candidate's: one query per field."""
    shared = {}
    for name in ID_FIELDS:
        held = candidates.filter(**{f"{name}__isnull": False}).order_by().values(name)
        rows = members.filter(**{f"{name}__in": held}).order_by()
        # A number is on one candidate at most: the member's own candidate has it if linked.
        rows = rows.values_list(name, f"candidate__{name}")
        shared[name] = {number for number, own in rows if own != number}
    return shared


class Row(NamedTuple):
    """A record as the pairing reads it: its values only, no model instance (a national
    list pairs tens of thousands); ``read_records`` reads those of a page."""

    model: type
    pk: int
    search_name: str
    date_of_birth: date | None
    citizen_id: str | None
    old_id_number: str | None
    candidate_id: int | None  # a member's candidate


# The fields of a record that the duplicates page shows (with a candidate's stage, a
# member's candidate).
SHOWN = ("full_name", "search_name", "date_of_birth", *ID_FIELDS, "unit__name")


def likely_duplicates(user) -> list[Pair]:
    """Pairs of records of the user's subtree that are likely one person, by name; a
    candidate comes before a member. The pairs hold ``Row``s: ``read_records`` reads the
    records of those shown.

    Both records are in the subtree: a pair across its edge is for the board above, which
    sees both. Four queries: the ID numbers a candidate and a member share (one per
    number), then the candidates and the members that have a likely twin (a name and birth
    date that two people or more carry, ``_shared_names``, or a shared number); the pairs
    are made up in Python from those rows only.
    """
    candidates = Candidate.objects.for_user(user)
    members = PartyMember.objects.for_user(user)
    numbers = _shared_numbers(candidates, members)

    def twins(queryset) -> list[Row]:
        condition = Q(_shared_names())
        for name in ID_FIELDS:
            if numbers[name]:
                condition |= Q(**{f"{name}__in": numbers[name]})
        model = queryset.model
        fields = ["pk", "search_name", "date_of_birth", *ID_FIELDS]
        if model is PartyMember:
            rows = queryset.filter(condition).order_by().values_list(*fields, "candidate_id")
            return [Row(model, *values) for values in rows]
        rows = queryset.filter(condition).order_by().values_list(*fields)
        return [Row(model, *values, None) for values in rows]

    twin_candidates = twins(candidates)
    twin_members = twins(members)
    pairs: dict[tuple, Pair] = {}

    def add(first: Row, second: Row, reason):
        key = (first.model.__name__, first.pk, second.model.__name__, second.pk)
        pairs.setdefault(key, Pair(first, second)).reasons.append(reason)

    def linked(candidate: Row, member: Row) -> bool:
        return member.candidate_id == candidate.pk

    by_name = defaultdict(list)

    # Each table's rows by name, birth date and id: the order of the pairs that tie on
    # their sort key below.
    def by_key(row: Row):
        return (row.search_name, row.date_of_birth is None, row.date_of_birth or date.min, row.pk)

    twin_candidates.sort(key=by_key)
    twin_members.sort(key=by_key)
    for record in [*twin_candidates, *twin_members]:
        if record.date_of_birth is not None:
            by_name[(record.search_name, record.date_of_birth)].append(record)
    for group in by_name.values():
        for i, first in enumerate(group):
            for second in group[i + 1 :]:
                if first.model is Candidate and second.model is PartyMember:
                    if linked(first, second):
                        continue
                add(first, second, Reason.NAME_AND_BIRTH)
    for name, reason in ((ID_FIELDS[0], Reason.CITIZEN_ID), (ID_FIELDS[1], Reason.OLD_ID_NUMBER)):
        by_number = defaultdict(list)
        for record in twin_members:
            if getattr(record, name):
                by_number[getattr(record, name)].append(record)
        for candidate in twin_candidates:
            for member in by_number.get(getattr(candidate, name) or "", []):
                if not linked(candidate, member):
                    add(candidate, member, reason)
    return sorted(pairs.values(), key=lambda p: (p.first.search_name, p.first.pk, p.second.pk))


def read_records(pairs: list[Pair]) -> list[Pair]:
    """``pairs`` (of ``likely_duplicates``, a page of them) with the records their ``Row``s
    stand for, read with what the page shows: two queries, one per table. A pair one of
    whose records has gone since (merged, deleted) is left out."""
    wanted = defaultdict(set)
    for pair in pairs:
        for row in (pair.first, pair.second):
            wanted[row.model].add(row.pk)
    read = {}
    for model, own in ((Candidate, "stage"), (PartyMember, "candidate")):
        # Asked even for no row (id 0 is none's), so that every page costs the same queries.
        rows = model.objects.filter(pk__in=wanted[model] or [0]).select_related("unit")
        read.update({(model, r.pk): r for r in rows.only(*SHOWN, own)})
    found = []
    for pair in pairs:
        first = read.get((pair.first.model, pair.first.pk))
        second = read.get((pair.second.model, pair.second.pk))
        if first is not None and second is not None:
            found.append(Pair(first, second, pair.reasons))
    return found
