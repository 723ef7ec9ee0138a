"""A real streaming replica on loopback, and the app reading from it (`make bench-replica`).

1. a primary PostgreSQL cluster of its own (initdb in a temporary directory, a free port),
   with a database migrated and given the demo data;
2. a streaming replica of it (``pg_basebackup -R``, a second free port);
3. the app (the Django test client, production middleware and router, DATABASE_URL the
   primary, DATABASE_REPLICA_URL the replica) as the city's staff member:
   - the dashboard: its queries are counted on each connection, and must run on the replica;
   - a write (the staff member's own e-mail address, on /accounts/profile/), then the next
     page shows it: read from the primary, as the browser wrote a moment ago;
   - the dashboard timed from the replica and from the primary (median of --runs);
4. both clusters stopped and removed, whatever the outcome.

Needs PostgreSQL's server binaries (/usr/lib/postgresql/<version>/bin); run as root, the
clusters run as the ``postgres`` user.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from scripts.loopback import free_port  # noqa: E402


def pg_bin() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if not found:
        raise SystemExit("PostgreSQL's server binaries are missing (/usr/lib/postgresql/*/bin)")
    return found[-1].parent


def as_postgres(*command: str, check: bool = True, **kwargs) -> subprocess.CompletedProcess:
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    return subprocess.run([*prefix, *command], check=check, **kwargs)


class Clusters:
    def __init__(self, tmp: Path):
        self.bin = pg_bin()
        self.tmp = tmp
        self.primary, self.replica = tmp / "primary", tmp / "replica"
        self.primary_port, self.replica_port = free_port(), free_port()
        self.started: list[Path] = []

    def start(self, data: Path, port: int) -> None:
        as_postgres(
            str(self.bin / "pg_ctl"),
            "-D",
            str(data),
            "-l",
            str(data.parent / f"{data.name}.log"),
            "-o",
            f"-p {port} -k {self.tmp} -c listen_addresses=127.0.0.1",
            "-w",
            "start",
            stdout=subprocess.DEVNULL,
        )
        self.started.append(data)

    def set_up(self) -> None:
        as_postgres(
            str(self.bin / "initdb"),
            "-D",
            str(self.primary),
            "-A",
            "trust",
            "-U",
            "postgres",
            stdout=subprocess.DEVNULL,
        )
        self.start(self.primary, self.primary_port)
        as_postgres(
            str(self.bin / "pg_basebackup"),
            "-h",
            "127.0.0.1",
            "-p",
            str(self.primary_port),
            "-U",
            "postgres",
            "-D",
            str(self.replica),
            "-R",
            "-X",
            "stream",
            "-c",
            "fast",
        )
        self.start(self.replica, self.replica_port)

    def stop(self) -> None:
        for data in reversed(self.started):
            as_postgres(
                str(self.bin / "pg_ctl"),
                "-D",
                str(data),
                "-m",
                "fast",
                "-w",
                "stop",
                stdout=subprocess.DEVNULL,
                check=False,
            )


def run_app(primary: str, replica: str, runs: int, cache_dir: Path) -> int:
    """In a process of its own, so that Django reads DATABASE_URL/DATABASE_REPLICA_URL."""
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")},
        "DATABASE_URL": primary,
        "DATABASE_REPLICA_URL": replica,
        "DJANGO_DEBUG": "1",
    }
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "--no-input", "-v0"], cwd=ROOT, env=environment, check=True)
    subprocess.run(
        [*manage, "load_demo"], cwd=ROOT, env=environment, check=True, stdout=subprocess.DEVNULL
    )
    environment.update(
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="replica-bench-" + "r" * 40,
        DJANGO_ALLOWED_HOSTS="testserver",
        DJANGO_SECURE_SSL_REDIRECT="0",
        DJANGO_REQUEST_LOG="0",
        DJANGO_CACHE_DIR=str(cache_dir),
    )
    # Production settings name the collected static files by their hashes: without them,
    # a fresh clone's first page failed ("Missing staticfiles manifest entry").
    subprocess.run(
        [*manage, "collectstatic", "--no-input", "-v0"], cwd=ROOT, env=environment, check=True
    )
    return subprocess.run(
        [sys.executable, __file__, "--app", "--runs", str(runs)], cwd=ROOT, env=environment
    ).returncode


def app(runs: int) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.cache import cache
    from django.db import connections
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User
    from config import replica
    from recruitment.demo import DEMO_PASSWORD

    # The demo was loaded into the primary a moment ago: wait until the replica has it.
    deadline = time.monotonic() + 30
    while not User.objects.using("replica").filter(username="staff").exists():
        if time.monotonic() > deadline:
            print("the replica did not catch up within 30 s")
            return 1
        time.sleep(0.2)

    client = Client()
    client.force_login(User.objects.get(username="staff"))
    client.cookies.pop(replica.COOKIE, None)

    def dashboard():
        cache.clear()  # the figures computed each time: the database does the work
        with CaptureQueriesContext(connections["default"]) as on_primary:
            with CaptureQueriesContext(connections["replica"]) as on_replica:
                response = client.get("/dashboard/", secure=True)
        assert response.status_code == 200, response.status_code
        return len(on_primary), len(on_replica)

    primary_queries, replica_queries = dashboard()
    print(
        f"dashboard: {replica_queries} queries on the replica, {primary_queries} on the "
        "primary (the request's transaction and the session)"
    )
    failures = []
    if replica_queries < 5:
        failures.append("the dashboard was not served by the replica")

    address = f"replica-bench-{int(time.time())}@example.gov.vn"
    # A new address needs the current password (the demo's).
    form = {"email": address, "reminders": "off", "language": "vi", "password": DEMO_PASSWORD}
    response = client.post("/accounts/profile/", form, secure=True)
    if response.status_code != 302:
        failures.append(f"the profile form answered {response.status_code}")
    with CaptureQueriesContext(connections["replica"]) as on_replica:
        page = client.get("/accounts/profile/", secure=True)
    shown = address in page.content.decode()
    print(
        f"a write, then the next page: {'shows it' if shown else 'DOES NOT show it'} "
        f"({len(on_replica)} queries on the replica: read from the primary for "
        f"{replica.settings.REPLICA_STICKY_SECONDS} s after a write)"
    )
    if not shown or len(on_replica):
        failures.append("the next page after a write did not read the primary")

    client.cookies.pop(replica.COOKIE, None)
    timings = {}
    for label in ("replica", "primary"):
        if label == "primary":
            client.cookies[replica.COOKIE] = str(int(time.time()) + 3600)
        durations = []
        for _ in range(runs):
            started = time.perf_counter()
            dashboard()
            durations.append((time.perf_counter() - started) * 1000)
        timings[label] = statistics.median(durations)
    print(
        f"dashboard, median of {runs}: {timings['replica']:.0f} ms from the replica, "
        f"{timings['primary']:.0f} ms from the primary"
    )
    for failure in failures:
        print("FAILED:", failure)
    return 1 if failures else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--app", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.app:
        return app(args.runs)
    tmp = Path(tempfile.mkdtemp(prefix="replica-bench-"))
    shutil.chown(tmp, "postgres", "postgres") if os.geteuid() == 0 else None
    clusters = Clusters(tmp)
    try:
        clusters.set_up()
        print(
            f"primary on 127.0.0.1:{clusters.primary_port}, streaming replica on "
            f"127.0.0.1:{clusters.replica_port}"
        )
        as_postgres(
            str(clusters.bin / "createdb"),
            "-h",
            "127.0.0.1",
            "-p",
            str(clusters.primary_port),
            "-U",
            "postgres",
            "recruitment",
        )
        base = "postgres://postgres@127.0.0.1:{}/recruitment"
        return run_app(
            base.format(clusters.primary_port),
            base.format(clusters.replica_port),
            args.runs,
            cache_dir=tmp / "c",
        )
    finally:
        clusters.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
