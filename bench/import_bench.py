"""Time the candidate import on a generated source list, and measure its peak memory.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mydb DJANGO_DEBUG=1 \
        .venv/bin/python bench/import_bench.py --rows 100000
    DJANGO_DEBUG=1 .venv/bin/python bench/import_bench.py --rows 2000 --min-rate 200   # smoke

Builds a city of 10 wards of 10 cells in a database of its own (on PostgreSQL a test
database next to the one DATABASE_URL names, made and dropped as the test runner does;
otherwise a temporary SQLite file), writes a CSV of ``--rows`` new candidates spread over the
cells (what a city's source list looks like), then runs what the background worker runs:
the preview (checked, rolled back), the commit (written in one transaction), and the same
file again (every row unchanged). Prints rows per second for each and the process's peak
resident memory (``resource.getrusage`` maxrss), before and after. Exits with status 1 if
the commit is slower than ``--min-rate`` rows/s or a row was not written.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
    DB_FILE = Path(tempfile.mkdtemp(prefix="import-bench-")) / "bench.sqlite3"
    os.environ["DATABASE_URL"] = f"sqlite:///{DB_FILE}"
else:
    DB_FILE = None
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from accounts.models import User  # noqa: E402
from bench.treegen import add_children  # noqa: E402
from recruitment.imports import runner  # noqa: E402
from recruitment.imports.models import ImportJob  # noqa: E402
from recruitment.models import Candidate, Organisation  # noqa: E402

HEADER = ["Họ và tên", "Ngày sinh", "Giới tính", "Số CCCD", "Mã đơn vị", "Nguồn", "Dân tộc"]
SOURCES = ["Đoàn viên", "Hội viên", "Dân quân", "Công đoàn viên", "Quần chúng"]
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Huỳnh", "Võ", "Phan", "Trương", "Đặng", "Bùi"]
GIVEN = ["Văn An", "Thị Bình", "Đức Toàn", "Thị Thu Trang", "Minh Khoa", "Ngọc Ánh"]


def peak_mb() -> float:
    """The process's peak resident memory so far (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def source_list(rows: int, cells: list[str]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    for n in range(rows):
        writer.writerow(
            [
                f"{FAMILY[n % 10]} {GIVEN[n % 6]} {n}",
                f"{n % 28 + 1:02d}/{n % 12 + 1:02d}/{1975 + n % 30}",
                "Nữ" if n % 2 else "Nam",
                f"093{n:09d}",
                cells[n % len(cells)],
                SOURCES[n % 5],
                "Kinh" if n % 7 else "Khmer",
            ]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def build() -> User:
    city = Organisation.objects.add_root({"code": "B", "name": "Thành phố (bench)", "kind": "city"})
    cells = []
    for ward in add_children(city, 10, prefix="B-W", kind="committee"):
        cells += add_children(ward, 10, prefix=f"{ward.code}-", kind="cell")
    return User.objects.create_user(
        username="bench", password="x", unit=Organisation.objects.get(pk=city.pk), role="staff"
    )


def server_cpu() -> float:
    """CPU seconds used so far by this connection's PostgreSQL backend, when the server runs
    on this machine (read from /proc); 0 otherwise."""
    if connection.vendor != "postgresql":
        return 0.0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed(label: str, job: ImportJob, step, rows: int) -> float:
    """Run ``step``; print wall time and rows/s, then the CPU time of this process and of
    its PostgreSQL backend (on a shared machine the wall time also counts the waits for a
    core: rows / CPU seconds is the rate the work itself allows), and the peak memory."""
    start, cpu, db_cpu = time.perf_counter(), time.process_time(), server_cpu()
    step(job)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    db_cpu = server_cpu() - db_cpu
    job.refresh_from_db()
    rate = rows / seconds if seconds else float("inf")
    print(
        f"  {label:<8} {seconds:>6.1f} s {rate:>6.0f} rows/s | CPU: Python {cpu:.1f} s"
        + (
            f" + PostgreSQL {db_cpu:.1f} s = {rows / (cpu + db_cpu):.0f} rows/CPU-s"
            if db_cpu
            else ""
        )
        + f" | {job.status} {job.counts} | peak RSS so far {peak_mb():.0f} MB"
    )
    return rate


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--min-rate", type=float, default=0, help="fail below this commit rate")
    args = parser.parse_args()

    settings.DEBUG = False  # no query log: the import runs as the worker runs it
    test_db = None
    if connection.vendor == "postgresql":
        test_db = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    else:
        call_command("migrate", verbosity=0)
    try:
        user = build()
        cells = list(Organisation.objects.filter(depth=3).values_list("code", flat=True))
        content = source_list(args.rows, cells)

        def upload() -> ImportJob:
            job = ImportJob.objects.create(
                kind="candidates",
                file_name="bench.csv",
                content=content,
                size=len(content),
                by=user,
                language="vi",
            )
            return ImportJob.objects.select_related("by__unit").get(pk=job.pk)

        job = upload()
        print(
            f"{args.rows:,} candidate rows ({len(content) / 1e6:.1f} MB CSV) on "
            f"{connection.vendor}; peak RSS before importing {peak_mb():.0f} MB"
        )
        timed("preview", job, runner.check, args.rows)
        rate = timed("commit", job, runner.commit, args.rows)
        written = Candidate.objects.count()
        # The same file uploaded again (a written job does not keep its file): all unchanged.
        again = upload()
        timed("re-run", again, runner.check, args.rows)
        again.refresh_from_db()
        unchanged = again.counts.get("unchanged", 0)
        print(f"written: {written:,} candidates; peak RSS {peak_mb():.0f} MB")
    finally:
        if test_db is not None:
            connection.creation.destroy_test_db(test_db, verbosity=0)
        if DB_FILE is not None:
            DB_FILE.unlink(missing_ok=True)
            DB_FILE.parent.rmdir()
    if written != args.rows or unchanged != args.rows or rate < args.min_rate:
        print(
            f"FAILED: {written} written, {unchanged} unchanged on a re-run, {rate:.0f} rows/s "
            f"(minimum {args.min_rate:.0f})"
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
