"""Time the quota dashboard and its exports on a generated province.

    DJANGO_DEBUG=1 .venv/bin/python bench/dashboard_bench.py [--cells 10] [--per-cell 20]

Builds, in a fresh temporary SQLite database, one province with 10 cities of 10 wards of
``--cells`` cells each, ``--per-cell`` candidates in every cell (about 20,000 by default)
and quotas for every city and ward; then requests the dashboard and each export as a staff
member of the province and of one city, printing the queries and the median time of a few
runs. Nothing outside the temporary file is touched.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DB_FILE = Path(tempfile.mkdtemp(prefix="dashboard-bench-")) / "bench.sqlite3"
os.environ["DATABASE_URL"] = f"sqlite:///{DB_FILE}"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from accounts.models import User  # noqa: E402
from bench.treegen import add_candidates, add_children, add_quotas  # noqa: E402
from recruitment.models import Candidate, Organisation  # noqa: E402

YEAR = 2025
TODAY = date(2026, 6, 15)
RUNS = 5


def build(cells_per_ward: int, per_cell: int) -> tuple[Organisation, Organisation]:
    province = Organisation.objects.add_root(
        {"code": "P", "name": "Tỉnh ủy (bench)", "kind": "provincial"}
    )
    cities = add_children(province, 10, prefix="P-C", kind="city")
    wards, cells = [], []
    for city in cities:
        city_wards = add_children(city, 10, prefix=f"{city.code}-W", kind="committee")
        wards += city_wards
        for ward in city_wards:
            cells += add_children(ward, cells_per_ward, prefix=f"{ward.code}-", kind="cell")
    add_candidates(cells, per_cell, year=YEAR, today=TODAY)
    add_quotas([province, *cities, *wards], years=[YEAR - 1, YEAR])
    return (
        Organisation.objects.get(pk=province.pk),
        Organisation.objects.get(pk=cities[0].pk),
    )


def measure(client: Client, url: str) -> tuple[int, float]:
    """(queries, median milliseconds) over RUNS requests, after one warm-up."""
    client.get(url)
    timings = []
    queries = 0
    for _ in range(RUNS):
        with CaptureQueriesContext(connection) as captured:
            start = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
        queries = len(captured)
    return queries, statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=10, help="cells per ward")
    parser.add_argument("--per-cell", type=int, default=20, help="candidates per cell")
    args = parser.parse_args()

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    province, city = build(args.cells, args.per_cell)
    print(
        f"built {Organisation.objects.count()} units, {Candidate.objects.count()} candidates "
        f"in {time.perf_counter() - started:.1f} s ({DB_FILE})"
    )
    for unit in (province, city):
        staff = User.objects.create_user(
            username=f"staff-{unit.code}", password="x", unit=unit, role=User.Role.STAFF
        )
        client = Client()
        client.force_login(staff)
        base = f"/dashboard/?year={YEAR}&unit={unit.pk}"
        print(f"\n{unit.name} ({unit.numchild} child units)")
        for label, url in [
            ("dashboard", base),
            ("print", f"{base}&print=1"),
            ("csv", f"{base}&format=csv"),
            ("xlsx", f"{base}&format=xlsx"),
            ("json", f"{base}&format=json"),
            ("quota plan", f"/quotas/plan/?year={YEAR}&unit={unit.pk}"),
        ]:
            queries, ms = measure(client, url)
            print(f"  {label:<11} {queries:>3} queries  {ms:>8.1f} ms median of {RUNS}")
    DB_FILE.unlink(missing_ok=True)
    DB_FILE.parent.rmdir()
    print(f"\ntotal {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
