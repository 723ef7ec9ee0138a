"""Calendar arithmetic the rules need: whole months and years, ages counted by month."""

import calendar
from datetime import date


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (or earlier); clamps 31 Jan + 1 month to 28/29 Feb."""
    month_index = day.month - 1 + months
    year = day.year + month_index // 12
    month = month_index % 12 + 1
    last_day = calendar.monthrange(year, month)[1]
    return date(year, month, min(day.day, last_day))


def add_years(day: date, years: int) -> date:
    return add_months(day, 12 * years)


def age_in_months(born: date, on: date) -> int:
    """Age counted by month, as the admission rules count it: the day of the month is ignored.

    Someone born on 25/05/2005 is 18 years (216 months) old from 01/05/2023.
    """
    return (on.year - born.year) * 12 + (on.month - born.month)


def age_in_years(born: date, on: date) -> int:
    """Ordinary age in whole years on ``on``."""
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))
