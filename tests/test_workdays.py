"""Working days: weekends and holidays skipped, Tết included; the seeded national table."""

from datetime import date, timedelta
from importlib import import_module

import pytest

from recruitment.models import Holiday
from recruitment.workdays import WorkCalendar, calendar_for
from tests.factories import add_unit

seed = import_module("recruitment.migrations.0003_national_holidays")

pytestmark = pytest.mark.django_db


def national(start=date(2020, 1, 1), end=date(2030, 12, 31)):
    return set(
        Holiday.objects.filter(unit__isnull=True, day__range=(start, end)).values_list(
            "day", flat=True
        )
    )


def test_a_weekend_is_skipped():
    friday = date(2021, 3, 5)
    assert WorkCalendar().add(friday, 1) == date(2021, 3, 8)


def test_tet_and_the_weekend_around_it_are_skipped():
    # Tết 2021: Wednesday 10/2 to Tuesday 16/2 off, with the weekend inside it.
    assert WorkCalendar(national()).add(date(2021, 2, 5), 3) == date(2021, 2, 17)


def test_without_holidays_tet_counts_as_working_days():
    assert WorkCalendar().add(date(2021, 2, 5), 3) == date(2021, 2, 10)


def test_sixty_working_days_of_a_resolution_across_tet():
    # Monday 11/01/2021 + 60 working days: 12 weeks (Monday 05/04), plus the five weekdays
    # of Tết → Monday 12/04.
    assert WorkCalendar(national()).add(date(2021, 1, 11), 60) == date(2021, 4, 12)


def test_counting_backwards_and_zero():
    calendar = WorkCalendar(national())
    assert calendar.add(date(2021, 2, 17), -1) == date(2021, 2, 9)
    assert calendar.add(date(2021, 2, 13), 0) == date(2021, 2, 13)


def test_a_holiday_on_a_weekend_gives_the_next_monday_off():
    # 1/5/2021 fell on a Saturday; Monday 3/5 was the day off in lieu.
    assert date(2021, 5, 3) in national()
    assert WorkCalendar(national()).add(date(2021, 4, 29), 1) == date(2021, 5, 4)


def test_the_seeded_table_has_every_holiday_of_each_year():
    days = national()
    assert len(days) == len(seed.HOLIDAYS)
    for year in range(2020, 2031):
        tet = date.fromisoformat(seed.LUNAR_NEW_YEAR[year])
        assert {
            tet - timedelta(days=1),
            tet,
            tet + timedelta(days=1),
            tet + timedelta(days=2),
        } <= days
        assert date.fromisoformat(seed.HUNG_KINGS[year]) in days
        assert {date(year, 1, 1), date(year, 4, 30), date(year, 5, 1), date(year, 9, 2)} <= days
    for year in range(2021, 2031):  # National Day has two days since the 2019 Labour Code
        assert {date(year, 9, 1), date(year, 9, 3)} & days


def test_tet_2021_is_wednesday_to_tuesday_and_tet_2030_follows_the_vietnamese_calendar():
    days = national()
    assert all(date(2021, 2, d) in days for d in range(10, 17))
    assert date.fromisoformat(seed.LUNAR_NEW_YEAR[2030]) == date(2030, 2, 2)


def test_a_local_holiday_applies_to_its_unit_and_the_units_below(tree, django_assert_num_queries):
    Holiday.objects.create(day=date(2021, 3, 8), name="Lễ hội", unit=tree["ward1"])
    with django_assert_num_queries(1):
        calendars = calendar_for(tree["city"], date(2021, 1, 1), date(2021, 12, 31))
    friday = date(2021, 3, 5)
    assert calendars.for_path(tree["ward1_cell"].path).add(friday, 1) == date(2021, 3, 9)
    assert calendars.for_path(tree["ward3_cell"].path).add(friday, 1) == date(2021, 3, 8)


def test_another_citys_local_holiday_is_not_read(tree):
    Holiday.objects.create(day=date(2021, 3, 8), name="Lễ hội", unit=tree["other_ward"])
    calendars = calendar_for(tree["city"], date(2021, 1, 1), date(2021, 12, 31))
    assert calendars.local == {}


def test_a_holiday_declared_above_applies_below(tree):
    Holiday.objects.create(day=date(2021, 3, 8), name="Ngày thành lập", unit=tree["province"])
    unit = add_unit(tree["ward1"], "VT-P1-KV9")
    calendars = calendar_for(tree["ward1"], date(2021, 1, 1), date(2021, 12, 31))
    assert calendars.for_path(unit.path).add(date(2021, 3, 5), 1) == date(2021, 3, 9)
