"""Every page of issue 13 on a generated national tree, against its raw-SQL floor.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mydb DJANGO_DEBUG=1 \\
        .venv/bin/python bench/national_bench.py [--scale national|province|smoke] [--reuse]

Migrates the database, builds the shape (``bench/nationgen.py``: COPY, paths computed) into
its empty tables, then requests each page as national staff, province staff, district staff
and a ward organiser (the Django test client, signed in with ``force_login``): one warm-up,
then the median of ``--runs`` requests, their queries and the size of the page; then the
Python memory peak of one request (tracemalloc). In the same run it times the raw SQL floor,
"admissions per child unit in 2023" (one join grouped by path prefix) at each level, and
prints a table with the ratios the issue sets as goals, also written as JSON under
``bench/results/``.

``--reuse`` times an already-built database (built by an earlier run with the same scale).
The database must be PostgreSQL, and its recruitment tables empty unless ``--reuse``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
import tracemalloc
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import User  # noqa: E402
from bench.nationgen import SCALES, build  # noqa: E402
from recruitment import stages  # noqa: E402
from recruitment.models import Candidate, Organisation  # noqa: E402

YEAR = 2023
RESULTS = ROOT / "bench" / "results"


@dataclass
class Timing:
    page: str
    scope: str
    url: str
    queries: int
    median_ms: float
    kilobytes: float
    peak_mb: float | None = None


def measure(client: Client, url: str, runs: int) -> tuple[int, float, int]:
    """(queries, median milliseconds, bytes) over ``runs`` requests after one warm-up."""
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    timings = []
    queries = 0
    for _ in range(runs):
        with CaptureQueriesContext(connection) as captured:
            start = time.perf_counter()
            response = client.get(url)
            body = b"".join(response) if response.streaming else response.content
            timings.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
        queries = len(captured)
    return queries, statistics.median(timings), len(body)


def peak_memory(client: Client, url: str) -> float:
    """The Python memory peak of one request, in MB."""
    tracemalloc.start()
    try:
        response = client.get(url)
        if response.streaming:
            b"".join(response)
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def floor_ms(unit: Organisation, runs: int) -> float:
    """The raw SQL "admissions per child unit in YEAR": one join grouped by path prefix."""
    sql = f"""
        SELECT substr(o.path, 1, %s) AS child, count(*)
        FROM {Candidate._meta.db_table} c
        JOIN {Organisation._meta.db_table} o ON o.id = c.unit_id
        WHERE o.path LIKE %s AND c.stage IN %s
          AND c.decision_on >= %s AND c.decision_on < %s
        GROUP BY 1
    """
    params = [
        len(unit.path) + Organisation.steplen,
        unit.path + "%",
        tuple(str(s) for s in stages.ADMITTED),
        f"{YEAR}-01-01",
        f"{YEAR + 1}-01-01",
    ]
    timings = []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)  # warm-up
        for _ in range(runs):
            start = time.perf_counter()
            cursor.execute(sql, params)
            cursor.fetchall()
            timings.append((time.perf_counter() - start) * 1000)
    return statistics.median(timings)


def pick_units() -> dict[str, Organisation]:
    """The nation, its first province, that province's first district, and a ward in it."""
    nation = Organisation.objects.get(depth=1)
    province = Organisation.objects.get_children(nation).first()
    district = Organisation.objects.get_children(province).first()
    ward = Organisation.objects.get_children(district).first()
    return {"national": nation, "province": province, "district": district, "ward": ward}


def user_for(unit: Organisation, role: str) -> User:
    user, _created = User.objects.get_or_create(
        username=f"bench-{role}-{unit.code}", defaults={"unit": unit, "role": role}
    )
    return user


def pages(units: dict[str, Organisation]) -> list[tuple[str, str, str, str]]:
    """(page, scope, role, url) for every row of the issue's table."""
    staff, organiser = User.Role.STAFF, User.Role.ORGANISER
    candidate = Candidate.objects.filter(unit__path__startswith=units["ward"].path).first()
    rows = [
        ("candidates", "national", staff, "/candidates/"),
        ("candidates", "province", staff, "/candidates/"),
        ("candidates", "ward", organiser, "/candidates/"),
        ("candidates ?q=", "national", staff, "/candidates/?q=nguyen+van+an"),
    ]
    for scope in ("national", "province", "district", "ward"):
        role = organiser if scope == "ward" else staff
        unit = units[scope].pk
        rows.append(("dashboard", scope, role, f"/dashboard/?year={YEAR}&unit={unit}"))
    for scope in ("national", "district"):
        unit = units[scope].pk
        for fmt in ("csv", "xlsx", "json"):
            rows.append((fmt, scope, staff, f"/dashboard/?year={YEAR}&unit={unit}&format={fmt}"))
        rows.append(("quotas", scope, staff, f"/quotas/?year={YEAR}&unit={unit}"))
        rows.append(("quota plan", scope, staff, f"/quotas/plan/?year={YEAR + 2}&unit={unit}"))
        rows.append(("admin candidates", scope, staff, "/admin/recruitment/candidate/"))
        rows.append(
            ("admin candidates ?q=", scope, staff, "/admin/recruitment/candidate/?q=nguyen+van")
        )
    rows.append(("candidate detail", "ward", organiser, f"/candidates/{candidate.pk}/"))
    rows.append(("candidate detail", "national", staff, f"/candidates/{candidate.pk}/"))
    return rows


# The goals: (label, page, scope, against, limit); "floor:<scope>" is the raw join.
GOALS = [
    ("national dashboard / national floor", "dashboard", "national", "floor:national", 0.5),
    ("province dashboard / province floor", "dashboard", "province", "floor:province", 1),
    ("district dashboard / district floor", "dashboard", "district", "floor:district", 1),
    ("candidates national / ward", "candidates", "national", "candidates:ward", 2),
    ("quotas national / district", "quotas", "national", "quotas:district", 3),
    ("quota plan national / district", "quota plan", "national", "quota plan:district", 3),
    ("csv national / district", "csv", "national", "csv:district", 3),
    ("xlsx national / district", "xlsx", "national", "xlsx:district", 3),
    ("json national / district", "json", "national", "json:district", 3),
    ("admin national / district", "admin candidates", "national", "admin candidates:district", 3),
    (
        "admin search national / district",
        "admin candidates ?q=",
        "national",
        "admin candidates ?q=:district",
        3,
    ),
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="national")
    parser.add_argument("--candidates", type=int, help="override the scale's candidate count")
    for size in ("provinces", "districts", "grassroots", "cells"):
        parser.add_argument(f"--{size}", type=int, help=f"override the scale's {size} (per parent)")
    parser.add_argument("--runs", type=int, default=5, help="timed requests per page (≥ 5)")
    parser.add_argument("--reuse", action="store_true", help="time an already-built database")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        print("bench-national needs PostgreSQL: set DATABASE_URL.", file=sys.stderr)
        return 2
    shape = SCALES[args.scale]
    sizes = ("candidates", "provinces", "districts", "grassroots", "cells")
    shape = replace(shape, **{k: getattr(args, k) for k in sizes if getattr(args, k)})
    today = timezone.localdate()

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    built = {}
    if not args.reuse:
        if Organisation.objects.exists() or Candidate.objects.exists():
            print(
                "The database already holds units: use a fresh database, or --reuse.",
                file=sys.stderr,
            )
            return 2
        print(f"building the {args.scale} shape: {shape}")
        built = build(shape, today=today)
    build_seconds = time.perf_counter() - started
    print(f"built in {build_seconds:.0f} s: {built or 'reused'}")

    units = pick_units()
    floors = {scope: floor_ms(unit, args.runs) for scope, unit in units.items()}
    timings: list[Timing] = []
    clients: dict[tuple[str, str], Client] = {}
    for page, scope, role, url in pages(units):
        key = (scope, role)
        if key not in clients:
            clients[key] = Client()
            clients[key].force_login(user_for(units[scope], role))
        queries, ms, size = measure(clients[key], url, args.runs)
        peak = peak_memory(clients[key], url) if scope == "national" else None
        timings.append(Timing(page, scope, url, queries, ms, size / 1024, peak))
        print(f"  {page:<22} {scope:<9} {ms:>9.1f} ms {queries:>3} q {size / 1024:>8.1f} KB")

    by_key = {f"{t.page}:{t.scope}": t.median_ms for t in timings}
    by_key.update({f"floor:{scope}": ms for scope, ms in floors.items()})
    ratios = []
    for label, page, scope, against, limit in GOALS:
        value = by_key[f"{page}:{scope}"] / max(by_key[against], 0.001)
        ratios.append(
            {"goal": label, "ratio": round(value, 2), "limit": limit, "ok": value <= limit}
        )

    print(f"\n{args.scale} scale, {YEAR}, median of {args.runs} after a warm-up\n")
    print("| page | scope | ms | queries | KB | peak MB |\n|---|---|---|---|---|---|")
    for t in timings:
        peak = f"{t.peak_mb:.0f}" if t.peak_mb is not None else ""
        print(
            f"| {t.page} | {t.scope} | {t.median_ms:.1f} | {t.queries} | {t.kilobytes:.0f} "
            f"| {peak} |"
        )
    print("\n| raw SQL floor: admissions per child unit | ms |\n|---|---|")
    for scope, ms in floors.items():
        print(f"| {scope} | {ms:.1f} |")
    print("\n| goal | ratio | limit | met |\n|---|---|---|---|")
    for r in ratios:
        print(f"| {r['goal']} | {r['ratio']} | ≤ {r['limit']} | {'yes' if r['ok'] else 'NO'} |")
    too_big = [t for t in timings if t.kilobytes > 150 and not t.page.startswith(("xlsx", "csv"))]
    for t in too_big:
        print(f"HTML over 150 KB: {t.page} {t.scope} {t.kilobytes:.0f} KB")

    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = RESULTS / f"national-{args.scale}-{stamp}.json"
    out.write_text(
        json.dumps(
            {
                "scale": args.scale,
                "shape": asdict(shape),
                "built": built,
                "build_seconds": round(build_seconds, 1),
                "year": YEAR,
                "runs": args.runs,
                "machine": platform.platform(),
                "pages": [asdict(t) for t in timings],
                "floors_ms": floors,
                "ratios": ratios,
            },
            indent=2,
            ensure_ascii=False,
        )
    )
    print(f"\nwritten to {out.relative_to(ROOT)}; total {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
