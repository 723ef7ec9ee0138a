"""Test data builders. Each test makes the few rows it needs."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import factory
import pytest
from django.conf import settings

from accounts.models import User
from recruitment import stages
from recruitment.models import (
    Candidate,
    Education,
    Enrolment,
    Gender,
    Organisation,
    PartyMember,
    Quota,
    Source,
    Sponsorship,
    Stage,
    TrainingClass,
)

TODAY = date(2026, 6, 15)  # tests that depend on "today" pass it explicitly
# ... or, where a page moves a candidate "today", stop the clock on that day.
on_today = pytest.mark.time_machine(
    datetime(2026, 6, 15, 12, tzinfo=ZoneInfo(settings.TIME_ZONE)), tick=False
)


def add_unit(parent, code, name=None, kind=Organisation.Kind.CELL):
    """Add a unit under ``parent`` (or a root when None), re-reading the parent first."""
    values = {"code": code, "name": name or code, "kind": kind}
    if parent is None:
        return Organisation.objects.add_root(values)
    parent = Organisation.objects.get(pk=parent.pk)
    return Organisation.objects.add_child(parent, values)


def build_tree() -> dict[str, Organisation]:
    """The tree the named cast works in (drawn in tests/conftest.py), keyed by short names."""
    province = add_unit(None, "HG", "Đảng bộ tỉnh Hậu Giang", Organisation.Kind.PROVINCIAL)
    city = add_unit(province, "VT", "Đảng bộ thành phố Vị Thanh", Organisation.Kind.CITY)
    ward1 = add_unit(city, "VT-P1", "Đảng bộ Phường I", Organisation.Kind.COMMITTEE)
    ward1_cell = add_unit(ward1, "VT-P1-KV3", "Chi bộ Khu vực 3")
    ward3 = add_unit(city, "VT-P3", "Đảng bộ Phường III", Organisation.Kind.COMMITTEE)
    ward3_cell = add_unit(ward3, "VT-P3-KV1", "Chi bộ Khu vực 1 (Phường III)")
    other_city = add_unit(province, "NB", "Đảng bộ thành phố Ngã Bảy", Organisation.Kind.CITY)
    other_ward = add_unit(other_city, "NB-LH", "Đảng bộ phường Lái Hiếu", "committee")
    other_cell = add_unit(other_ward, "NB-LH-KV1", "Chi bộ Khu vực 1 (Lái Hiếu)")
    units = {
        "province": province,
        "city": city,
        "ward1": ward1,
        "ward1_cell": ward1_cell,
        "ward3": ward3,
        "ward3_cell": ward3_cell,
        "other_city": other_city,
        "other_ward": other_ward,
        "other_cell": other_cell,
    }
    # Re-read: adding children changed the stored numchild of the parents.
    return {key: Organisation.objects.get(pk=unit.pk) for key, unit in units.items()}


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    role = User.Role.ORGANISER
    password = factory.django.Password("pw")


# The named cast (tests/conftest.py): one fixture each, and all of them in the access matrix.
CAST = {
    "organiser": {"username": "alice", "unit": "ward1", "role": User.Role.ORGANISER},
    "other_organiser": {"username": "bob", "unit": "ward3", "role": User.Role.ORGANISER},
    "staff": {"username": "charlie", "unit": "city", "role": User.Role.STAFF},
    "other_staff": {"username": "dana", "unit": "other_city", "role": User.Role.STAFF},
    "admin": {"username": "root", "is_superuser": True, "is_staff": True},
}


def add_cast_member(name: str, tree: dict[str, Organisation] | None = None) -> User:
    """The user ``CAST[name]``, working in their unit of ``tree``."""
    values = dict(CAST[name])
    if "unit" in values:
        values["unit"] = tree[values["unit"]]
    return UserFactory(**values)


class PartyMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PartyMember

    full_name = factory.Sequence(lambda n: f"Đảng viên {n}")
    admitted_on = date(2010, 1, 1)
    official_on = date(2011, 1, 1)


class CandidateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Candidate

    full_name = factory.Sequence(lambda n: f"Quần chúng {n}")
    date_of_birth = date(1995, 5, 20)
    gender = Gender.MALE
    source = Source.ASSOCIATION
    education = Education.UPPER_SECONDARY
    stage_since = date(2025, 12, 1)  # before every move the tests date


class TrainingClassFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TrainingClass

    title = factory.Sequence(lambda n: f"Lớp bồi dưỡng {n}")
    starts_on = date(2026, 1, 5)
    ends_on = date(2026, 1, 16)


class QuotaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Quota

    year = 2021
    target = 3


def mentor(candidate, member=None):
    member = member or PartyMemberFactory(unit=candidate.unit)
    return Sponsorship.objects.create(
        candidate=candidate, member=member, role=Sponsorship.Role.MENTOR
    )


def introducer(candidate, member=None, known_since=date(2020, 1, 1)):
    member = member or PartyMemberFactory(unit=candidate.unit)
    return Sponsorship.objects.create(
        candidate=candidate,
        member=member,
        role=Sponsorship.Role.INTRODUCER,
        known_since=known_since,
    )


def passed(candidate, certificate_on=date(2026, 1, 16)):
    training_class = TrainingClassFactory(
        unit=candidate.unit,
        starts_on=certificate_on - timedelta(days=11),
        ends_on=certificate_on,
    )
    return Enrolment.objects.create(
        candidate=candidate,
        training_class=training_class,
        result=Enrolment.Result.PASSED,
        certificate_number="CN-1",
        certificate_on=certificate_on,
    )


def ready_for(to_stage, unit, **fields):
    """A candidate that meets every rule for moving to ``to_stage`` on ``TODAY``.

    Tests then break one rule at a time.
    """
    position = stages.PIPELINE.index(to_stage)
    steps = stages.PIPELINE[1 : position + 1]
    previous = stages.PIPELINE[position - 1]
    values = {"stage": previous}
    if Stage.DOSSIER in steps:
        values.update(
            application_on=date(2026, 2, 1),
            personal_history_on=date(2026, 2, 1),
            background_check_on=date(2026, 3, 1),
        )
    if Stage.ADMITTED in steps and to_stage != Stage.PROPOSED:
        values.update(cell_resolution_on=date(2026, 4, 1), votes_for=3, votes_total=3)
    if to_stage == Stage.RECOGNISED:
        values.update(
            decision_on=date(2025, 5, 1),
            stage_since=date(2025, 5, 1),
            decision_number="1-QĐ/TU",
            ceremony_on=date(2025, 6, 1),
            application_on=date(2025, 1, 1),
            personal_history_on=date(2025, 1, 1),
            background_check_on=date(2025, 2, 1),
            cell_resolution_on=date(2025, 4, 1),
        )
    values.update(fields)
    candidate = CandidateFactory(unit=unit, **values)
    mentor(candidate)
    if to_stage == Stage.TRAINING:
        TrainingClassFactory(unit=unit)
        Enrolment.objects.create(
            candidate=candidate, training_class=TrainingClass.objects.filter(unit=unit).first()
        )
    else:
        passed(candidate, date(2024, 12, 1) if to_stage == Stage.RECOGNISED else date(2026, 1, 16))
    if Stage.DOSSIER in steps:
        introducer(candidate)
        introducer(candidate)
    if to_stage == Stage.RECOGNISED:
        PartyMember.objects.create(
            full_name=candidate.full_name,
            unit=unit,
            admitted_on=candidate.decision_on,
            candidate=candidate,
        )
    return candidate


def admitted_member(unit, admitted_on: date) -> PartyMember:
    """A member admitted through the pipeline: its candidate, decided on ``admitted_on``, and
    the member record linked to it, in ``unit``."""
    candidate = CandidateFactory(unit=unit, decision_on=admitted_on)
    return PartyMember.objects.create(
        full_name=candidate.full_name, unit=unit, admitted_on=admitted_on, candidate=candidate
    )
