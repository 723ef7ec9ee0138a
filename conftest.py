"""Run the test suite with the clock moved: ``pytest --clock-shift-years=5``.

Tests must not depend on today's date. CI runs the whole suite once five years ahead
(.ci/run); a test that needs a fixed day sets it with ``@pytest.mark.time_machine``.
"""

import datetime as dt

import pytest
import time_machine

_TRAVELLER = pytest.StashKey[time_machine.travel]()


def pytest_addoption(parser):
    parser.addoption(
        "--clock-shift-years",
        type=int,
        default=0,
        metavar="N",
        help="run every test with the clock N years ahead (ticking on from there)",
    )


def shifted(now: dt.datetime, years: int) -> dt.datetime:
    """``now`` moved ``years`` years; 29 February becomes the 28th in a common year."""
    try:
        return now.replace(year=now.year + years)
    except ValueError:
        return now.replace(year=now.year + years, day=28)


def pytest_configure(config):
    years = config.getoption("clock_shift_years")
    if years:
        traveller = time_machine.travel(shifted(dt.datetime.now(dt.UTC), years), tick=True)
        traveller.start()
        config.stash[_TRAVELLER] = traveller


def pytest_unconfigure(config):
    traveller = config.stash.get(_TRAVELLER, None)
    if traveller is not None:
        traveller.stop()


def pytest_report_header(config):
    years = config.getoption("clock_shift_years")
    return f"clock: {years} years ahead, today is {dt.date.today()}" if years else None
