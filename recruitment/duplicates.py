"""Two records of one person (DESIGN.md §5, issue 10 §5): reads only.

A person is the same person when they carry the same citizen ID (CCCD, 12 digits) or the
same old ID number (CMND, 9 digits), whichever table holds them: each number is on one
record at most, candidate or member (``holders``). Two records of the same name and date of
birth (diacritics, case and spacing ignored) are probably one person, and are confirmed, not
refused (``namesakes``). A candidate and the member it became (``PartyMember.candidate``)
are one person on two linked records, never a duplicate.

``pairs_of`` lists the pairs of a user's subtree for the staff's duplicates page, made as a
page asks for them: its first pages in a fixed number of queries, whatever the size of the
subtree.
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from itertools import chain, groupby
from operator import attrgetter
from typing import NamedTuple

from django.db.models import Exists, F, IntegerField, OuterRef, Q, Value
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
    # What the twins' card shows and the order reads, in id order rather than the models'
    # name order: every column of both tables and of their units, in name order, cost each
    # staff member's view of a record 0.9 ms more CPU (4.0 against 3.1 ms).
    shown = ["full_name", *ID_FIELDS, "unit__name"]
    found = [
        *candidates.select_related("unit").only("stage", *shown).order_by("pk"),
        *members.select_related("unit").only(*shown).order_by("pk"),
    ]
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


# Records read per query, in name order, while pairs are asked for: a page of pairs needs a
# few dozen, so one query per table serves the first pages of any scope.
BATCH = 500


def pairs_of(user) -> Iterator[Pair]:
    """The pairs of records of the user's subtree that are likely one person, in name order
    (the first record's name, then the records' ids; a candidate comes before a member), made
    as they are asked for: a page reads the records of its own names and the few before it,
    not every shared name of the scope (a whole country's took 0.8 s). The pairs hold
    ``Row``s: ``read_records`` reads the records of those shown.

    Both records are in the subtree: a pair across its edge is for the board above, which
    sees both. The ID numbers that a candidate and a member share are read first (one query
    per number) with the records that hold them; then the records of the names that have a
    likely twin (``_name_groups``), ``BATCH`` at a time.
    """
    candidates = Candidate.objects.for_user(user)
    members = PartyMember.objects.for_user(user)
    numbers = _shared_numbers(candidates, members)
    by_candidate = _number_pairs(candidates, members, numbers)
    for rows in _name_groups(candidates, members, numbers):
        numbered = (by_candidate.get(r.pk, []) for r in rows if r.model is Candidate)
        yield from _in_order(_name_pairs(rows), *numbered)


ROW_FIELDS = ("pk", "search_name", "date_of_birth", *ID_FIELDS)


def _name_groups(candidates, members, numbers) -> Iterator[list[Row]]:
    """The records of the scope that have a likely twin (their name and birth date are two
    people's or more, ``_shared_names``; or they carry a shared number), a list per name, in
    the order of names: both tables in one query of ``BATCH`` records, in the database's
    order (its collation, which Python's may not be), the next, larger, from the name after
    the last whole one."""
    condition = Q(_shared_names()) | _holding(numbers)
    after, size = Q(), BATCH
    while True:
        rows = _twin_rows(candidates, members, condition & after, size)
        groups = [list(group) for _name, group in groupby(rows, key=attrgetter("search_name"))]
        if len(rows) < size:
            yield from groups
            return
        last = groups[-1][0].search_name
        if len(groups) == 1:  # one name's records fill a batch: read whole (if still there)
            whole = _twin_rows(candidates, members, condition & Q(search_name=last), None)
            groups = [whole] if whole else []
        else:
            groups.pop()  # the last name may go on in the next batch: read there whole
            last = groups[-1][0].search_name
        yield from groups
        # Each batch four times the last: a deep page reads a few, not one per 500 records
        # (a national batch costs the database about as much whatever its size).
        after, size = Q(search_name__gt=last), size * 4


def _twin_rows(candidates, members, condition: Q, limit: int | None) -> list[Row]:
    """The first ``limit`` (None: all) candidates and members that meet ``condition``, in
    (name, table, id) order: one query."""
    twins = [
        queryset.filter(condition)
        .order_by()
        .annotate(table=Value(n), linked=linked)
        .values_list("table", *ROW_FIELDS, "linked")
        for n, (queryset, linked) in enumerate(
            (
                (candidates, Value(None, output_field=IntegerField())),
                (members, F("candidate_id")),
            )
        )
    ]
    union = twins[0].union(twins[1], all=True).order_by("search_name", "table", "pk")
    return [Row(TABLES[table], *values) for table, *values in union[:limit]]


TABLES = (Candidate, PartyMember)


def _holding(numbers: dict[str, set[str]]) -> Q:
    """Records that carry one of ``numbers`` (``_shared_numbers``); none if there are none."""
    held = Q(pk__in=[])
    for name in ID_FIELDS:
        if numbers[name]:
            held |= Q(**{f"{name}__in": numbers[name]})
    return held


def _number_pairs(candidates, members, numbers) -> dict[int, list[Pair]]:
    """By candidate, its pairs with a member of the scope that carries the same ID number,
    the member not being that candidate's (a pair's reasons in the order of ``ID_FIELDS``)."""
    if not any(numbers.values()):
        return {}
    held = _holding(numbers)
    holding = [
        Row(Candidate, *values, None) for values in candidates.filter(held).values_list(*ROW_FIELDS)
    ]
    members_holding = [
        Row(PartyMember, *values)
        for values in members.filter(held).values_list(*ROW_FIELDS, "candidate_id")
    ]
    pairs: dict[tuple, Pair] = {}
    for name, reason in ((ID_FIELDS[0], Reason.CITIZEN_ID), (ID_FIELDS[1], Reason.OLD_ID_NUMBER)):
        by_value = defaultdict(list)
        for member in members_holding:
            if getattr(member, name):
                by_value[getattr(member, name)].append(member)
        for candidate in holding:
            for member in by_value.get(getattr(candidate, name) or "", []):
                if member.candidate_id != candidate.pk:
                    _add(pairs, candidate, member, reason)
    by_candidate = defaultdict(list)
    for pair in pairs.values():
        by_candidate[pair.first.pk].append(pair)
    return by_candidate


def _name_pairs(rows: list[Row]) -> list[Pair]:
    """The pairs of the records of one name: those of the same birth date, but a candidate
    and the member it became."""
    by_birth = defaultdict(list)
    # Candidates first, each table by id: the first record of a pair.
    for row in sorted(rows, key=lambda r: (r.model is PartyMember, r.pk)):
        if row.date_of_birth is not None:  # read for a shared number: no namesake
            by_birth[row.date_of_birth].append(row)
    pairs: dict[tuple, Pair] = {}
    for group in by_birth.values():
        for i, first in enumerate(group):
            for second in group[i + 1 :]:
                if first.model is Candidate and second.candidate_id == first.pk:
                    continue  # a candidate and the member it became: one person
                _add(pairs, first, second, Reason.NAME_AND_BIRTH)
    return list(pairs.values())


def _add(pairs: dict[tuple, Pair], first: Row, second: Row, reason: str) -> None:
    key = (first.model.__name__, first.pk, second.model.__name__, second.pk)
    pairs.setdefault(key, Pair(first, second)).reasons.append(reason)


def _in_order(*lists: list[Pair]) -> list[Pair]:
    """The pairs of one name, a pair in two lists once with the reasons of both, by the ids
    of their records (a candidate's before a member's of the same id)."""
    pairs: dict[tuple, Pair] = {}
    for pair in chain.from_iterable(lists):
        for reason in pair.reasons:
            _add(pairs, pair.first, pair.second, reason)
    return sorted(
        pairs.values(),
        key=lambda p: (
            p.first.pk,
            p.second.pk,
            p.first.model is PartyMember,
            p.second.model is PartyMember,
        ),
    )


def read_records(pairs: list[Pair]) -> list[Pair]:
    """``pairs`` (of ``pairs_of``, a page of them) with the records their ``Row``s
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
