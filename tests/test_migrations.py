"""Upgrading a database: the national holidays go, local days off stay."""

from datetime import date

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("recruitment", "0006_citizen_id_ascii_digits")]
AFTER = [("recruitment", "0008_holiday_unit_required")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_upgrading_deletes_the_national_holidays_and_keeps_the_local_ones():
    apps = migrate(BEFORE)
    try:
        Organisation = apps.get_model("recruitment", "Organisation")
        Holiday = apps.get_model("recruitment", "Holiday")
        unit = Organisation.objects.create(
            path="0001", depth=1, numchild=0, kind="city", name="Vị Thanh", code="VT"
        )
        Holiday.objects.create(day=date(2021, 2, 12), name="Tết Nguyên Đán")
        Holiday.objects.create(day=date(2021, 3, 8), name="Lễ hội", unit=unit)

        apps = migrate(AFTER)
        Holiday = apps.get_model("recruitment", "Holiday")
        assert list(Holiday.objects.values_list("day", "name", "unit__code")) == [
            (date(2021, 3, 8), "Lễ hội", "VT")
        ]
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_upgrading_keeps_the_training_dates_and_counts_the_trained_cohorts():
    apps = migrate([("recruitment", "0025_unit_change_notice_to_no_unit")])
    try:
        Organisation = apps.get_model("recruitment", "Organisation")
        Candidate = apps.get_model("recruitment", "Candidate")
        StageChange = apps.get_model("recruitment", "StageChange")
        unit = Organisation.objects.create(
            path="0001", depth=1, numchild=0, kind="city", name="Vị Thanh", code="VT"
        )
        candidate = Candidate.objects.create(
            full_name="Lê Văn Hai", date_of_birth=date(1995, 1, 1), unit=unit, stage="withdrawn"
        )
        for day in (date(2022, 3, 1), date(2023, 3, 1)):
            StageChange.objects.create(candidate=candidate, to_stage="trained", on=day)

        apps = migrate([("recruitment", "0026_candidate_trained_on")])
        Candidate = apps.get_model("recruitment", "Candidate")
        Tally = apps.get_model("recruitment", "Tally")
        assert Candidate.objects.get().trained_on == date(2023, 3, 1)
        cohort = Tally.objects.filter(year=2023, key__startswith="trained").order_by("key")
        assert list(cohort.values_list("key", "n")) == [("trained", 1), ("trained:decided", 1)]
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
