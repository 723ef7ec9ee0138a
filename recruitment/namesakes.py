"""The names and birth dates that two people or more carry (``models.Namesake``), kept on
every write, so that the duplicates page reads the few keys two people share instead of
grouping every record of its scope: 1.5 s for a million candidates, whatever the page shows.

A key is a record's ``search_name`` (no diacritics, case or double spaces) and date of
birth. A person is a candidate, or a member who is not a candidate's: the member a candidate
became is that candidate (``PartyMember.candidate``), one person on two records.

Writes: ``Candidate.save`` and ``delete``, ``PartyMember.save`` and ``delete`` (the
admin deletes members one by one), and the candidate importer once its file is written, call
``keep`` with the keys they wrote, before and after, in their transaction. ``recount``
remakes the table from the records (the migration that made it, the generated trees);
``manage.py verify_rollups`` compares it with a recount.

A key's row stays locked until the transaction that wrote one of its records ends: a
member import, and the rows a candidate import updates, hold those of their rows' keys for
the length of the file, and a save of the same name and birth date waits for it. Two
imports meeting the same keys in opposite orders can deadlock: PostgreSQL ends one, which
wrote nothing, and the importer runs it again from the start (``imports.runner.ATTEMPTS``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date

from django.db import connection, transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce

Key = tuple[str, date]
CHUNK = 200  # keys per query


def key_of(search_name: str | None, date_of_birth: date | None) -> Key | None:
    """A record's key; None without a name or a birth date (no namesake then)."""
    return (search_name, date_of_birth) if search_name and date_of_birth else None


# What a record's namesakes depend on, as its save reads them.
CANDIDATE_FIELDS = ("search_name", "date_of_birth")
MEMBER_FIELDS = ("search_name", "date_of_birth", "candidate_id")
# A save of these writes the column beside them.
_WRITTEN_WITH = {"full_name": "search_name", "candidate": "candidate_id"}


def saved(record, fields: tuple[str, ...], before: tuple | None, update_fields) -> None:
    """After a save of ``record``: ``keep`` its keys, before and after, if the values of
    ``fields`` (a key first) changed. ``before``, the stored values; None for a new row."""
    after = tuple(getattr(record, name) for name in fields)
    if before is not None and update_fields is not None:
        written = _columns(update_fields)
        after = tuple(
            a if n in written else b for n, a, b in zip(fields, after, before, strict=True)
        )
    if after != before:
        keep([key_of(*before[:2]) if before else None, key_of(*after[:2])])


def writes_key(fields: tuple[str, ...], update_fields) -> bool:
    """Whether a save of ``update_fields`` (None: all) may change what ``fields`` hold."""
    return update_fields is None or bool(_columns(update_fields) & set(fields))


def _columns(update_fields) -> set[str]:
    """The fields a save of ``update_fields`` writes, as ``fields`` name them."""
    return {_WRITTEN_WITH.get(name, name) for name in update_fields}


def keep(keys: Iterable[Key | None]) -> None:
    """Make the table say, for each of ``keys``, whether two people or more carry it now, in
    the current transaction: five queries per ``CHUNK`` keys at most.

    Each key's row is claimed first (inserted if missing, locked either way), so that two
    transactions writing records of one key take turns: the second reads the first's
    records once it has committed, instead of each counting only its own. Row locks, not
    advisory ones: an import holds thousands (PostgreSQL's table of locks would not)."""
    from recruitment.models import Namesake

    keys = sorted({key for key in keys if key is not None})
    with transaction.atomic():
        for start in range(0, len(keys), CHUNK):
            chunk = keys[start : start + CHUNK]
            rows = [Namesake(search_name=name, date_of_birth=born) for name, born in chunk]
            Namesake.objects.bulk_create(rows, ignore_conflicts=True)
            claimed = Namesake.objects.select_for_update().filter(_exactly(chunk))
            list(claimed.order_by("search_name", "date_of_birth").values_list("pk"))
            shared = _shared(chunk)
            gone = _exactly(key for key in chunk if key not in shared)
            if gone:
                Namesake.objects.filter(gone).delete()
            # Again: a row found at the claim may have been deleted since by the transaction
            # that held it (it counted before this one's records were committed).
            shared_rows = [r for r in rows if (r.search_name, r.date_of_birth) in shared]
            Namesake.objects.bulk_create(shared_rows, ignore_conflicts=True)


def _exactly(keys: Iterable[Key]) -> Q:
    """Rows of exactly these keys (not every name with every date)."""
    match = Q()
    for name, born in keys:
        match |= Q(search_name=name, date_of_birth=born)
    return match


def _shared(keys: list[Key]) -> set[Key]:
    """Which of ``keys`` two people or more carry."""
    wanted = set(keys)
    near = Q(search_name__in={n for n, _ in keys}, date_of_birth__in={d for _, d in keys})
    people: dict[Key, set[int]] = defaultdict(set)
    for name, born, person in _people(near):
        if (name, born) in wanted:
            people[(name, born)].add(person)
    return {key for key, found in people.items() if len(found) > 1}


def _people(match: Q):
    """(search_name, date_of_birth, person) of the candidates and members that ``match``,
    one query. A person: a candidate, itself; a member, the candidate it was (negative ids
    for the others: never a candidate's)."""
    from recruitment.models import Candidate, PartyMember

    person = {Candidate: F("pk"), PartyMember: Coalesce("candidate_id", F("pk") * -1)}
    rows = [
        model.objects.filter(match)
        .annotate(person=person[model])
        .order_by()
        .values_list("search_name", "date_of_birth", "person")
        for model in (Candidate, PartyMember)
    ]
    return rows[0].union(rows[1], all=True)


def recounted() -> set[Key]:
    """Every key two people or more carry, counted from the records: one pass over them,
    grouped in the database."""
    known = Q(date_of_birth__isnull=False) & ~Q(search_name="")
    sql, params = _people(known).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT search_name, date_of_birth FROM ({sql}) people "
            "GROUP BY search_name, date_of_birth HAVING MIN(person) <> MAX(person)",
            params,
        )
        return {(name, _as_date(born)) for name, born in cursor.fetchall()}


def _as_date(value) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value


def differences() -> tuple[set[Key], set[Key]]:
    """(keys missing from the table, keys in it that no two people carry)."""
    from recruitment.models import Namesake

    kept = set(Namesake.objects.values_list("search_name", "date_of_birth"))
    found = recounted()
    return found - kept, kept - found


def recount() -> int:
    """Remake the table from the records, in one transaction; returns how many keys two
    people share."""
    from recruitment.models import Namesake

    with transaction.atomic():
        found = recounted()
        Namesake.objects.all().delete()
        Namesake.objects.bulk_create(
            [Namesake(search_name=name, date_of_birth=born) for name, born in found],
            batch_size=5000,
        )
    return len(found)
