"""The restore drill: back up, restore that backup into a fresh database, migrate, and
compare it with the source (docs/deploy.md "Backups"; `make restore-drill`).

    DATABASE_URL=postgres://…/source .venv/bin/python scripts/restore_drill.py [--load-demo]

1. ``manage.py backup`` of the source into ``--dir`` (BACKUP_DIR; a temporary directory by
   default), then the backup it wrote is checked against its checksum;
2. a fresh database (the source's name + ``_drill``) gets it with ``pg_restore``, then
   ``migrate`` (a backup of an older release must come up to this one);
3. the row count of every table, and the dashboard's figures (quota, admissions and pipeline
   by stage of every unit, admissions by month) for every root unit and every year with a
   quota, must be equal in both; the fresh database is dropped at the end (``--keep`` keeps it).

Exit status 0 when everything is equal, 1 otherwise. ``--load-demo`` first loads the demo
data into an empty source, so that there is something to compare (CI, a fresh clone).
``--figures`` (internal) prints the counts and figures of DATABASE_URL as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
MANAGE = [sys.executable, str(ROOT / "manage.py")]

from scripts.loopback import pg_options  # noqa: E402


def figures() -> dict:
    """Every table's row count and the dashboard's figures of the configured database."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.db import connection

    from recruitment.models import Organisation, Quota
    from recruitment.reports import figures as reports

    counts = {}
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names(cursor)):
            cursor.execute(f'SELECT count(*) FROM "{table}"')
            counts[table] = cursor.fetchone()[0]
    years = sorted(set(Quota.objects.values_list("year", flat=True)))
    dashboard = {}
    for root in Organisation.get_root_nodes():
        for year in years:
            rows = reports.quota_figures(root, year)
            dashboard[f"{root.code} {year}"] = {
                "units": [[r.unit.code, r.quota, r.admitted, r.stage_counts] for r in rows],
                "months": reports.monthly_admissions(root, year),
            }
    return {"counts": counts, "dashboard": dashboard}


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def run(command: list[str], url: str, **kwargs) -> subprocess.CompletedProcess:
    environment = {**os.environ, "DATABASE_URL": url}
    password = urlsplit(url).password
    if password:
        environment["PGPASSWORD"] = password
    return subprocess.run(command, env=environment, check=True, cwd=ROOT, **kwargs)


def differences(source: dict, restored: dict) -> list[str]:
    found = []
    for table in sorted(set(source["counts"]) | set(restored["counts"])):
        a, b = source["counts"].get(table), restored["counts"].get(table)
        if a != b:
            found.append(f"table {table}: {a} rows in the source, {b} restored")
    for key in sorted(set(source["dashboard"]) | set(restored["dashboard"])):
        if source["dashboard"].get(key) != restored["dashboard"].get(key):
            found.append(f"dashboard {key}: the figures differ")
    return found


def drill(url: str, directory: Path, keep: bool, load_demo: bool) -> int:
    source_name = urlsplit(url).path.lstrip("/")
    if load_demo:
        run([*MANAGE, "migrate", "--no-input", "-v0"], url)
        run([*MANAGE, "load_demo"], url, stdout=subprocess.DEVNULL)
    from recruitment.backups import backups, verify

    # The backup this drill makes, whatever else the directory holds (older backups, a
    # dump kept by hand, one copied from another server with a later name).
    before = set(backups(directory))
    run([*MANAGE, "backup", f"--dir={directory}"], url)
    written = sorted(set(backups(directory)) - before)
    if not written:
        print(f"RESTORE DRILL FAILED: the backup wrote no new file into {directory}")
        return 1
    made = written[-1]
    verify(made)
    print(f"backup {made.name}: checksum OK")

    fresh = f"{source_name}_drill"
    fresh_url = with_database(url, fresh)
    options = pg_options(url)
    run(["dropdb", *options, "--if-exists", fresh], url)
    run(["createdb", *options, fresh], url)
    try:
        run(["pg_restore", *options, "--no-owner", f"--dbname={fresh}", str(made)], url)
        run([*MANAGE, "migrate", "--no-input", "-v0"], fresh_url)
        read = [sys.executable, __file__, "--figures"]
        source = json.loads(run(read, url, capture_output=True, text=True).stdout)
        restored = json.loads(run(read, fresh_url, capture_output=True, text=True).stdout)
    finally:
        if not keep:
            run(["dropdb", *options, "--if-exists", fresh], url)
    found = differences(source, restored)
    rows = sum(source["counts"].values())
    print(
        f"restored into {fresh}: {len(source['counts'])} tables, {rows:,} rows, "
        f"{len(source['dashboard'])} dashboards (unit × year) compared"
    )
    if found:
        print("RESTORE DRILL FAILED:", *found[:20], sep="\n  ")
        return 1
    print("restore drill passed: every row count and dashboard figure equal")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dir", default=os.environ.get("BACKUP_DIR"), help="backup directory")
    parser.add_argument("--keep", action="store_true", help="keep the restored database")
    parser.add_argument("--load-demo", action="store_true", help="load the demo data first")
    parser.add_argument("--figures", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.figures:
        print(json.dumps(figures()))
        return 0
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        print("The restore drill needs DATABASE_URL (PostgreSQL), the database to back up.")
        return 2
    if args.dir:
        return drill(url, Path(args.dir), args.keep, args.load_demo)
    with tempfile.TemporaryDirectory(prefix="restore-drill-") as directory:
        return drill(url, Path(directory), args.keep, args.load_demo)


if __name__ == "__main__":
    sys.exit(main())
