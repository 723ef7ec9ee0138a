"""Working days: weekends and national days off from the library, local days off from the table."""

from datetime import date, timedelta

import holidays
import pytest

from recruitment import workdays
from recruitment.models import Holiday
from recruitment.workdays import NationalCalendar, WorkCalendar, calendar_for
from tests.factories import add_unit


@pytest.fixture(scope="module")
def work():
    """The national calendar alone: no local day off."""
    return WorkCalendar(NationalCalendar())


def test_a_weekend_is_skipped(work):
    friday = date(2021, 3, 5)
    assert work.add(friday, 1) == date(2021, 3, 8)


def test_tet_and_the_weekend_around_it_are_skipped(work):
    # Tết 2021: Wednesday 10/2 to Tuesday 16/2 off, with the weekend inside it.
    assert not any(work.is_working_day(date(2021, 2, day)) for day in range(10, 17))
    assert work.add(date(2021, 2, 5), 3) == date(2021, 2, 17)


def test_sixty_working_days_of_a_resolution_across_tet(work):
    # Monday 11/01/2021 + 60 working days: 12 weeks (Monday 05/04), plus the five weekdays
    # of Tết → Monday 12/04.
    assert work.add(date(2021, 1, 11), 60) == date(2021, 4, 12)


def test_counting_backwards_and_zero(work):
    assert work.add(date(2021, 2, 17), -1) == date(2021, 2, 9)
    assert work.add(date(2021, 2, 13), 0) == date(2021, 2, 13)


def test_a_holiday_on_a_weekend_gives_the_next_monday_off(work):
    # 1/5/2021 fell on a Saturday; Monday 3/5 was the day off in lieu.
    assert not work.is_working_day(date(2021, 5, 3))
    assert work.add(date(2021, 4, 29), 1) == date(2021, 5, 4)


def test_a_saturday_worked_in_exchange_for_a_day_off_is_a_working_day(work):
    # 2024: Monday 29/4 off, bridging to 30/4 and 1/5; Saturday 4/5 worked in exchange.
    assert not work.is_working_day(date(2024, 4, 29))
    assert work.is_working_day(date(2024, 5, 4))
    assert work.add(date(2024, 5, 3), 1) == date(2024, 5, 4)
    # 2025: Saturday 26/4 worked for Friday 2/5; an ordinary Saturday is still a day off.
    assert work.add(date(2025, 4, 25), 1) == date(2025, 4, 26)
    assert not work.is_working_day(date(2025, 4, 19))


@pytest.mark.parametrize("year", [2026, 2030, 2031, 2045])
def test_every_year_has_the_fixed_national_days_off(work, year):
    # The Labour Code's, and Vietnam Culture Day (24/11) since 2026.
    national = work.national  # membership, not iteration: a year is computed on first use
    for month, day in [(1, 1), (4, 30), (5, 1), (9, 2), (11, 24)]:
        assert date(year, month, day) in national
    # National Day has two days since the 2019 Labour Code, the second before or after.
    assert date(year, 9, 1) in national or date(year, 9, 3) in national


def test_tet_2030_follows_the_vietnamese_calendar(work):
    # Mùng 1 Tết is Saturday 2/2/2030 in Viet Nam (3/2 in the Chinese calendar).
    assert all(date(2030, 1, 31) + timedelta(days=n) in work.national for n in range(7))
    assert work.is_working_day(date(2030, 2, 7))


def test_a_year_beyond_2030_has_tet(work):
    # Tết 2035: Wednesday 7/2 (New Year's Eve) to Monday 12/2 off.
    assert not any(work.is_working_day(date(2035, 2, day)) for day in range(7, 13))
    assert work.add(date(2035, 2, 6), 1) == date(2035, 2, 13)


def test_a_saturday_worked_for_a_day_off_of_the_next_year_is_a_working_day(work):
    # Friday 2/1/2015 off, Saturday 27/12/2014 worked in exchange: known from 2015's year.
    assert work.is_working_day(date(2014, 12, 27))
    assert not work.is_working_day(date(2015, 1, 2))
    assert work.add(date(2014, 12, 26), 1) == date(2014, 12, 27)


def test_every_day_reads_as_the_library_says(work):
    library = holidays.country_holidays("VN", years=range(2009, 2042))
    day = date(2010, 1, 1)
    while day.year <= 2040:
        assert work.is_working_day(day) == library.is_working_day(day), day
        assert (day in work.national) == (day in library), day
        day += timedelta(days=1)


def test_each_year_is_computed_once_per_process():
    workdays._national_year.cache_clear()
    for _ in range(3):
        calendar = NationalCalendar()
        calendar.is_working_day(date(2021, 3, 5))
    # 2020, 2021 and 2022, asked three times.
    assert workdays._national_year.cache_info()[:2] == (6, 3)


def test_a_local_holiday_applies_to_its_unit_and_the_units_below(tree, django_assert_num_queries):
    Holiday.objects.create(day=date(2021, 3, 8), name="Lễ hội", unit=tree["ward1"])
    with django_assert_num_queries(1):
        calendars = calendar_for(tree["city"], date(2021, 1, 1), date(2021, 12, 31))
    friday = date(2021, 3, 5)
    assert calendars.for_path(tree["ward1"].path).add(friday, 1) == date(2021, 3, 9)
    assert calendars.for_path(tree["ward1_cell"].path).add(friday, 1) == date(2021, 3, 9)
    assert calendars.for_path(tree["ward3_cell"].path).add(friday, 1) == date(2021, 3, 8)
    assert calendars.for_path(tree["city"].path).add(friday, 1) == date(2021, 3, 8)


def test_local_and_national_days_off_add_up(tree):
    # Friday 30/4/2021 and Monday 3/5 are national; Ward I also took Tuesday 4/5 off.
    Holiday.objects.create(day=date(2021, 5, 4), name="Lễ hội", unit=tree["ward1"])
    calendars = calendar_for(tree["city"], date(2021, 1, 1), date(2021, 12, 31))
    thursday = date(2021, 4, 29)
    assert calendars.for_path(tree["ward1_cell"].path).add(thursday, 1) == date(2021, 5, 5)
    assert calendars.for_path(tree["ward3_cell"].path).add(thursday, 1) == date(2021, 5, 4)


def test_another_citys_local_holiday_is_not_read(tree):
    Holiday.objects.create(day=date(2021, 3, 8), name="Lễ hội", unit=tree["other_ward"])
    calendars = calendar_for(tree["city"], date(2021, 1, 1), date(2021, 12, 31))
    assert calendars.local == {}


def test_a_holiday_declared_above_applies_below(tree):
    Holiday.objects.create(day=date(2021, 3, 8), name="Ngày thành lập", unit=tree["province"])
    unit = add_unit(tree["ward1"], "VT-P1-KV9")
    calendars = calendar_for(tree["ward1"], date(2021, 1, 1), date(2021, 12, 31))
    assert calendars.for_path(unit.path).add(date(2021, 3, 5), 1) == date(2021, 3, 9)
