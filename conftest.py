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


_UNGROUPED = pytest.StashKey[bool]()


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """Mark the tests that ``--dist loadgroup`` failed to group (see pytest_runtest_setup).

    pytest-xdist groups a test by adding ``@group`` to its id on the worker; pytest 9.2 made
    ids structured and the change silently stopped taking effect (pytest-xdist issue #1386),
    so the demo was loaded on every worker.
    """
    if not getattr(config.option, "loadgroup", False):
        return
    for item in items:
        if item.get_closest_marker("xdist_group") and "@" not in item.nodeid:
            item.stash[_UNGROUPED] = True


def pytest_runtest_setup(item):
    if item.stash.get(_UNGROUPED, False):
        pytest.fail(
            "--dist loadgroup did not group this test: this pytest and pytest-xdist do not "
            "work together; see the pin of pytest in pyproject.toml.",
            pytrace=False,
        )


def pytest_report_header(config):
    years = config.getoption("clock_shift_years")
    return f"clock: {years} years ahead, today is {dt.date.today()}" if years else None
