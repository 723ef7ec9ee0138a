"""Load benchmark: the app under gunicorn with production settings on loopback, driven by
locust (headless, in this process) with signed-in organisers and staff (`make bench-load`).

    DATABASE_URL=postgres://… .venv/bin/python bench/load_bench.py [--users 50]
        [--requests 600] [--compare /path/to/another/checkout] [--workers N --threads T]

The database is migrated and given the demo data when it has no candidates (a larger one,
e.g. from ``make bench-national``, is used as it is, with its own users given by --logins).
Each version (this checkout, and ``--compare``'s, each with its own .venv and its own
deploy/gunicorn.conf.py when it has one) is started in turn on the same database and asked:

1. the floor: ``/healthz`` as fast as ``--saturate`` users can ask (no think time);
2. throughput: the mixed workload (candidate list, a candidate, search, the dashboard for
   staff) by ``--saturate`` users with no think time: the box's capacity in pages/s;
3. latency at 1 user: the mixed workload, one user, no think time (p50 per page);
4. ``--users`` users with a think time of 1–3 s (p50/p95/p99 per page, errors).

Every phase stops after a bounded number of requests. Printed per version: requests/s,
percentiles per page, errors, gunicorn's CPU time per request (its processes' user+system
time over the phase), and the mixed workload as a ratio of the floor; then the goals of
issue 14 §2 (throughput >= 3x the compared version's; p95 at N users <= 4x p50 at 1 user).
With ``--compare`` the throughput is measured again ``--rounds`` - 1 times, one version
after the other (the order swapped each round), and the goal is checked on the median of
the rounds' ratios: the machine's speed drifts over the minutes a full run takes.
Results are also written as JSON under bench/results/.
"""

from __future__ import annotations

# gevent must patch the standard library before anything else imports it (locust).
from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import socket  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from pathlib import Path  # noqa: E402
from urllib.parse import urlparse  # noqa: E402

import gevent  # noqa: E402
import psutil  # noqa: E402
import requests  # noqa: E402
from locust import FastHttpUser, between, constant, task  # noqa: E402
from locust.env import Environment  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from scripts.loopback import free_port  # noqa: E402

PAGES = ("list", "detail", "search", "dashboard")
ORGANISERS = ("organiser", "organiser_p3")
STAFF = ("staff", "staff_ngabay")
PASSWORD = "demo"
SEARCHES = ("Nguyễn", "Trần Thị", "Lê", "Phạm Văn", "Hoàng")
READY = {"users": 0}  # users that have signed in (or need not), for the warm-up's end


def server_environment(database_url: str, port: int) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    environment.update(
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="load-benchmark-only-" + "x" * 40,
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_BEHIND_TLS_PROXY="1",  # the benchmark plays nginx: X-Forwarded-Proto/-For
        DJANGO_SECURE_SSL_REDIRECT="0",
        DJANGO_REQUEST_LOG="0",  # no log line per request on the benchmark's terminal
        DATABASE_URL=database_url,
        GUNICORN_BIND=f"127.0.0.1:{port}",
    )
    return environment


def prepare_database(checkout: Path, database_url: str) -> None:
    """Migrate; load the demo data into a database without candidates."""
    environment = {**os.environ, "DATABASE_URL": database_url, "DJANGO_DEBUG": "1"}
    python = str(checkout / ".venv" / "bin" / "python")
    subprocess.run(
        [python, "manage.py", "migrate", "--no-input", "-v0"],
        cwd=checkout,
        env=environment,
        check=True,
    )
    count = (
        subprocess.run(
            [
                python,
                "manage.py",
                "shell",
                "-c",
                "from recruitment.models import Candidate; print(Candidate.objects.count())",
            ],
            cwd=checkout,
            env=environment,
            check=True,
            capture_output=True,
            text=True,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    if int(count) == 0:
        subprocess.run(
            [python, "manage.py", "load_demo"],
            cwd=checkout,
            env=environment,
            check=True,
            stdout=subprocess.DEVNULL,
        )
    subprocess.run(
        [python, "manage.py", "collectstatic", "--no-input", "-v0"],
        cwd=checkout,
        env={**environment, "DJANGO_DEBUG": "0", "DJANGO_SECRET_KEY": "x" * 50},
        check=True,
    )


class Server:
    """gunicorn for one checkout: its own config file when it has one, else main's flags."""

    def __init__(self, checkout: Path, database_url: str, workers: int | None, threads: int | None):
        self.checkout = checkout
        self.database_url = database_url
        self.port = free_port()
        environment = server_environment(database_url, self.port)
        gunicorn = str(checkout / ".venv" / "bin" / "gunicorn")
        config = checkout / "deploy" / "gunicorn.conf.py"
        if config.exists():
            command = [gunicorn, "-c", str(config), "config.wsgi"]
            if workers:
                environment["GUNICORN_WORKERS"] = str(workers)
            if threads:
                environment["GUNICORN_THREADS"] = str(threads)
        else:
            # What docs/deploy.md said before deploy/ existed.
            command = [
                gunicorn,
                "config.wsgi",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(workers or 3),
            ]
        self.process = subprocess.Popen(
            command,
            cwd=checkout,
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        self.host = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    break
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError(self.process.stderr.read().decode()) from None
                time.sleep(0.2)
        time.sleep(1)  # the workers boot after the master listens

    def cpu_seconds(self) -> float:
        """User + system CPU of gunicorn's master and workers so far."""
        return tree_cpu_seconds(psutil.Process(self.process.pid))

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()


def tree_cpu_seconds(root: psutil.Process) -> float:
    """User + system CPU of a process and its children so far (children that have exited
    are counted by their parent's children times: recycled workers, PostgreSQL backends of
    connections that were closed)."""
    total = 0.0
    for process in [root, *root.children(recursive=True)]:
        try:
            times = process.cpu_times()
            total += times.user + times.system + times.children_user + times.children_system
        except psutil.NoSuchProcess:
            pass
    return total


def postgres_cpu_seconds(port: int) -> float | None:
    """CPU of the PostgreSQL server listening on ``port`` on this machine (its postmaster and
    backends), or None when it is elsewhere or not ours to read."""
    for process in psutil.process_iter(["name", "ppid"]):
        if process.info["name"] != "postgres" or process.info["ppid"] in (None, 0):
            continue
        try:
            if psutil.Process(process.info["ppid"]).name() == "postgres":
                continue  # a backend: counted with its postmaster
            if any(
                c.laddr.port == port
                for c in process.net_connections(kind="inet")
                if c.status == psutil.CONN_LISTEN
            ):
                return tree_cpu_seconds(process)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return None


class SignedIn(FastHttpUser):
    """A user signed in once, then asking pages; cookies sent by hand (they are Secure, and
    the benchmark speaks plain HTTP to gunicorn as nginx does).

    Pages are asked through locust's FastHttpUser (geventhttpclient): the load generator
    shares the box with the server, and python-requests cost it about 1.9 ms of CPU per
    request, a tenth of a page's. The sign-in, not measured, goes through requests."""

    abstract = True
    accounts: tuple[str, ...] = ()
    counter = 0

    def on_start(self):
        SignedIn.counter += 1
        n = SignedIn.counter
        self.address = f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"
        username = self.accounts[n % len(self.accounts)]
        base = {"X-Forwarded-Proto": "https", "X-Forwarded-For": self.address}
        with requests.Session() as browser:
            page = browser.get(f"{self.host}/accounts/login/", headers=base)
            csrf = page.cookies.get("csrftoken", "")
            response = browser.post(
                f"{self.host}/accounts/login/",
                data={"username": username, "password": PASSWORD, "csrfmiddlewaretoken": csrf},
                headers={
                    **base,
                    "Cookie": f"csrftoken={csrf}",
                    "Origin": f"https://{self.host[7:]}",
                    "Referer": f"https://{self.host[7:]}/accounts/login/",
                },
                allow_redirects=False,
            )
        session = response.cookies.get("sessionid")
        if response.status_code != 302 or not session:
            raise RuntimeError(f"{username} could not sign in: {response.status_code}")
        self.headers = {**base, "Cookie": f"sessionid={session}; csrftoken={csrf}"}
        listing = self.get("/candidates/", "list")
        self.candidates = re.findall(r'href="/candidates/(\d+)/"', listing.text or "") or ["1"]
        READY["users"] += 1

    def get(self, path, name):
        with self.client.get(
            path, headers=self.headers, name=name, allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code != 200:
                response.failure(f"status {response.status_code}")
            return response

    @task(3)
    def candidate_list(self):
        self.get(f"/candidates/?page={random.randint(1, 2)}", "list")

    @task(3)
    def candidate_detail(self):
        self.get(f"/candidates/{random.choice(self.candidates)}/", "detail")

    @task(2)
    def search(self):
        self.get(f"/candidates/?q={random.choice(SEARCHES)}", "search")


class Organiser(SignedIn):
    abstract = True
    accounts = ORGANISERS


class Staff(SignedIn):
    abstract = True
    accounts = STAFF

    @task(3)
    def dashboard(self):
        self.get("/dashboard/", "dashboard")


class Probe(FastHttpUser):
    abstract = True

    def on_start(self):
        READY["users"] += 1

    @task
    def healthz(self):
        self.client.get("/healthz", name="healthz")


def concrete(base: type, wait) -> type:
    return type(base.__name__, (base,), {"abstract": False, "wait_time": wait})


STALLED_AFTER = 60  # seconds without a request answered: the users have stopped


def wait_for(done, environment, what: str) -> None:
    """Until ``done()``; an error, not a benchmark waiting for ever, once nothing has been
    answered for ``STALLED_AFTER`` seconds (a user whose sign-in failed stops)."""
    seen, since = -1, time.monotonic()
    while not done():
        answered = environment.stats.total.num_requests + READY["users"]
        if answered != seen:
            seen, since = answered, time.monotonic()
        elif time.monotonic() - since > STALLED_AFTER:
            errors = [str(e["msg"])[:300] for e in environment.runner.exceptions.values()]
            raise RuntimeError(f"stalled waiting for {what}: {errors or 'no error recorded'}")
        gevent.sleep(0.05)


def run_phase(server: Server, classes: list[type], users: int, requests: int) -> dict:
    """``users`` users of ``classes`` until ``requests`` page requests were answered."""
    environment = Environment(user_classes=classes, host=server.host)
    runner = environment.create_local_runner()
    READY["users"] = 0
    runner.start(users, spawn_rate=max(users, 1) * 4)
    # Sign-ins and each user's first list are warm-up: counted from when all have started.
    wait_for(lambda: READY["users"] >= users, environment, "every user to sign in")
    gevent.sleep(0.5)
    environment.stats.reset_all()
    database_port = urlparse(server.database_url).port or 5432
    database_before = postgres_cpu_seconds(database_port)
    own_before = time.process_time()
    cpu_before, started = server.cpu_seconds(), time.monotonic()
    wait_for(lambda: environment.stats.total.num_requests >= requests, environment, "the requests")
    elapsed = time.monotonic() - started
    cpu = server.cpu_seconds() - cpu_before
    own = time.process_time() - own_before
    database_after = postgres_cpu_seconds(database_port)
    total = environment.stats.total
    done = total.num_requests
    runner.quit()
    pages = {}
    for (name, _method), entry in environment.stats.entries.items():
        if name == "sign-in" or not entry.num_requests:
            continue
        pages[name] = {
            "requests": entry.num_requests,
            "errors": entry.num_failures,
            "p50": entry.get_response_time_percentile(0.5),
            "p95": entry.get_response_time_percentile(0.95),
            "p99": entry.get_response_time_percentile(0.99),
        }
    return {
        "users": users,
        "requests": done,
        "errors": total.num_failures,
        "seconds": round(elapsed, 2),
        "rps": round(done / elapsed, 1),
        "cpu_ms_per_request": round(cpu * 1000 / max(done, 1), 2),
        # Where the rest of the box's CPU went: PostgreSQL (when on this machine) and the
        # load generator itself, per request.
        "database_cpu_ms_per_request": (
            None
            if database_before is None or database_after is None
            else round((database_after - database_before) * 1000 / max(done, 1), 2)
        ),
        "generator_cpu_ms_per_request": round(own * 1000 / max(done, 1), 2),
        "p50": total.get_response_time_percentile(0.5),
        "p95": total.get_response_time_percentile(0.95),
        "pages": pages,
    }


def mixed_users() -> list[type]:
    """The mixed workload with no think time: organisers and staff."""
    return [concrete(Organiser, constant(0)), concrete(Staff, constant(0))]


def bench_version(label: str, checkout: Path, args) -> dict:
    server = Server(checkout, args.database_url, args.workers, args.threads)
    think = between(1, 3)
    mixed = mixed_users()
    try:
        result = {
            "label": label,
            "checkout": str(checkout),
            "commit": subprocess.run(
                ["git", "rev-parse", "--short", "HEAD"],
                cwd=checkout,
                capture_output=True,
                text=True,
            ).stdout.strip(),
            "floor": run_phase(
                server, [concrete(Probe, constant(0))], args.saturate, args.requests
            ),
            "throughput": run_phase(server, mixed, args.saturate, args.requests),
            # One staff member (who sees every page), asking one page after another.
            "one_user": run_phase(server, [concrete(Staff, constant(0))], 1, args.requests // 4),
            "loaded": run_phase(
                server,
                [concrete(Organiser, think), concrete(Staff, think)],
                args.users,
                args.requests,
            ),
        }
    finally:
        server.stop()
    return result


def throughput_round(checkout: Path, args) -> float:
    """The mixed workload's requests/s, saturated, on a server started for this round."""
    server = Server(checkout, args.database_url, args.workers, args.threads)
    try:
        return run_phase(server, mixed_users(), args.saturate, args.requests)["rps"]
    finally:
        server.stop()


def throughput_rounds(versions: list[tuple[str, Path]], results: list[dict], args) -> list:
    """(compared, this checkout) requests/s per round: the first from each version's full
    run, then ``--rounds`` - 1 more in turn, the order swapped every round. The machine's
    speed drifts over minutes (other tenants, its clock): a ratio of two phases measured
    minutes apart moved by ±15% from run to run, a ratio of neighbours much less."""
    rounds = [tuple(result["throughput"]["rps"] for result in results)]
    for n in range(1, args.rounds):
        order = (1, 0) if n % 2 else (0, 1)
        rps = {i: throughput_round(versions[i][1], args) for i in order}
        rounds.append((rps[0], rps[1]))
    return rounds


def print_version(result: dict) -> None:
    floor, mixed = result["floor"], result["throughput"]
    print(f"\n## {result['label']} ({result['commit']}, {result['checkout']})")
    cpu = f"{mixed['cpu_ms_per_request']} ms CPU/request"
    if floor["errors"]:
        # A version from before /healthz (issue 14) answers it with a 404: no floor to show.
        print(f"floor /healthz: {floor['errors']} errors, no floor (a version without /healthz)")
        ratios = f"; {cpu}"
    else:
        print(f"floor /healthz: {floor['rps']} req/s, {floor['cpu_ms_per_request']} ms CPU/request")
        ratios = (
            f" = {mixed['rps'] / floor['rps']:.2f} of the floor; {cpu} = "
            f"{mixed['cpu_ms_per_request'] / floor['cpu_ms_per_request']:.1f}x the floor's"
        )
    print(
        f"mixed, saturated ({mixed['users']} users, no think time): {mixed['rps']} req/s"
        f"{ratios}; errors {mixed['errors']}"
    )
    if mixed.get("database_cpu_ms_per_request") is not None:
        print(
            f"the rest of the box per request, saturated: PostgreSQL "
            f"{mixed['database_cpu_ms_per_request']} ms CPU, the load generator "
            f"{mixed['generator_cpu_ms_per_request']} ms CPU"
        )
    loaded, one = result["loaded"], result["one_user"]
    print(
        f"{loaded['users']} users, think time 1-3 s: {loaded['rps']} req/s, "
        f"errors {loaded['errors']}, {loaded['cpu_ms_per_request']} ms CPU/request"
    )
    print("| page | p50 1 user | p50 | p95 | p99 | sat. p50 | sat. p95 | errors | p95/p50@1 |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for page in PAGES:
        if page not in loaded["pages"]:
            continue
        row, alone = loaded["pages"][page], one["pages"].get(page, {})
        saturated = mixed["pages"].get(page, {})
        ratio = row["p95"] / alone["p50"] if alone.get("p50") else float("nan")
        print(
            f"| {page} | {alone.get('p50')} | {row['p50']} | {row['p95']} | {row['p99']} | "
            f"{saturated.get('p50')} | {saturated.get('p95')} | {row['errors']} | "
            f"{ratio:.1f} |"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument(
        "--saturate",
        type=int,
        default=12,
        help="users with no think time for the floor and the throughput",
    )
    parser.add_argument("--requests", type=int, default=600, help="page requests per phase")
    parser.add_argument("--compare", type=Path, help="another checkout to measure in the same run")
    parser.add_argument(
        "--rounds",
        type=int,
        default=5,
        help="with --compare: throughput rounds per version, in turn (the ratio is their median)",
    )
    parser.add_argument("--workers", type=int)
    parser.add_argument("--threads", type=int)
    args = parser.parse_args()
    args.database_url = os.environ.get("DATABASE_URL", "")
    if args.rounds < 1:
        parser.error("--rounds must be 1 or more")
    if not args.database_url.startswith(("postgres://", "postgresql://")):
        print("bench-load needs DATABASE_URL (PostgreSQL)")
        return 2
    versions = [("this checkout", ROOT)]
    if args.compare:
        versions.insert(0, ("compared", args.compare.resolve()))
    prepare_database(ROOT, args.database_url)
    for _label, checkout in versions[:-1]:
        subprocess.run(
            [str(checkout / ".venv/bin/python"), "manage.py", "collectstatic", "--no-input", "-v0"],
            cwd=checkout,
            check=True,
            env={
                **os.environ,
                "DJANGO_DEBUG": "0",
                "DJANGO_SECRET_KEY": "x" * 50,
                "DATABASE_URL": args.database_url,
            },
        )
    results = [bench_version(label, checkout, args) for label, checkout in versions]
    for result in results:
        print_version(result)
    rounds = []
    if len(results) == 2:
        rounds = throughput_rounds(versions, results, args)
        print("\n| throughput round | compared req/s | this checkout req/s | ratio |")
        print("| --- | --- | --- | --- |")
        for n, (before, after) in enumerate(rounds, 1):
            label = f"{n} (the full runs, minutes apart)" if n == 1 else str(n)
            print(f"| {label} | {before} | {after} | {after / before:.2f} |")
        gain = statistics.median(after / before for before, after in rounds)
        print(
            f"throughput, mixed workload, median of {len(rounds)} rounds in turn: "
            f"{gain:.2f}x (goal >= 3x)"
        )
    worst = max(
        (row["p95"] / results[-1]["one_user"]["pages"][page]["p50"], page)
        for page, row in results[-1]["loaded"]["pages"].items()
        if results[-1]["one_user"]["pages"].get(page, {}).get("p50")
    )
    print(
        f"worst p95 at {args.users} users / p50 at 1 user: {worst[0]:.1f}x ({worst[1]}; goal <= 4x)"
    )
    out = ROOT / "bench" / "results" / f"load-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(
        json.dumps(
            {
                "versions": results,
                "throughput_rounds": rounds,
                "throughput_ratio": round(gain, 2) if rounds else None,
            },
            indent=2,
        )
    )
    print(f"written to {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
