"""The production smoke test (`make prod-smoke`): the deploy/ files run for real on loopback.

1. a PostgreSQL database of its own (``recruitment_smoke_<pid>`` on DATABASE_SERVER), migrated,
   with the demo data and the static files collected;
2. gunicorn with deploy/gunicorn.conf.py and production settings (DEBUG off, behind the TLS
   proxy), on a free loopback port;
3. nginx (Debian's package) with deploy/nginx/recruitment.conf, its names, certificate,
   ports and paths replaced by a self-signed certificate and free loopback ports;
4. tests/smoke/test_prod_smoke.py through https: Playwright signs in and opens the candidate
   list, the dashboard and a CSV export; the security headers; five wrong passwords from one
   client address (127.0.0.2) lock that address and not another (127.0.0.3);
5. everything it started is stopped, the database dropped, the temporary files removed,
   whatever the outcome.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PYTHON = sys.executable
SERVER = os.environ.get("DATABASE_SERVER", "postgres://postgres@127.0.0.1:5432")
from scripts.loopback import free_port, pg_options  # noqa: E402

MAIN_CONF = """
user root;
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log;
daemon off;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log {tmp}/nginx-access.log;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    include {tmp}/site.conf;
}}
"""


def wait_for(port: int, process: subprocess.Popen, what: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{what} stopped at start (exit status {process.returncode})")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{what} did not listen on {port} within a minute")


def site_conf(tmp: Path, https: int, http: int, app: int) -> str:
    """deploy/nginx/recruitment.conf with this run's certificate, ports and paths."""
    site = (ROOT / "deploy" / "nginx" / "recruitment.conf").read_text()
    replacements = {
        "/etc/ssl/certs/ketnap.example.gov.vn.pem": str(tmp / "cert.pem"),
        "/etc/ssl/private/ketnap.example.gov.vn.key": str(tmp / "key.pem"),
        "server_name ketnap.example.gov.vn;": "server_name localhost;",
        "listen 443 ssl http2;": f"listen 127.0.0.1:{https} ssl http2;",
        "listen 80;": f"listen 127.0.0.1:{http};",
        "server 127.0.0.1:8000;": f"server 127.0.0.1:{app};",
        "/srv/recruitment/staticfiles/": f"{ROOT / 'staticfiles'}/",
        # https on another port than 443: the redirect must name it.
        "return 301 https://$host$request_uri;": f"return 301 https://$host:{https}$request_uri;",
    }
    for old, new in replacements.items():
        if old not in site:
            raise SystemExit(f"deploy/nginx/recruitment.conf no longer has {old!r}")
        site = site.replace(old, new)
    # IPv6 listeners are left out: loopback IPv4 only.
    return "\n".join(line for line in site.splitlines() if "listen [::]" not in line)


def main() -> int:
    if not shutil.which("nginx"):
        raise SystemExit("nginx is missing: apt-get install -y nginx (make prod-smoke does)")
    database = f"{os.environ.get('SMOKE_DB_PREFIX', 'recruitment_smoke')}_{os.getpid()}"
    database_url = f"{SERVER}/{database}"
    tmp = Path(tempfile.mkdtemp(prefix="prod-smoke-"))
    app, https, http = free_port(), free_port(), free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    environment.update(
        DATABASE_URL=database_url,
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="prod-smoke-only-" + "s" * 40,
        DJANGO_ALLOWED_HOSTS="localhost",
        DJANGO_BEHIND_TLS_PROXY="1",
        DJANGO_CACHE_DIR=str(tmp / "cache"),
        GUNICORN_BIND=f"127.0.0.1:{app}",
        GUNICORN_WORKERS="2",
    )
    setup = {**environment, "DJANGO_DEBUG": "1"}  # load_demo refuses with DEBUG off
    processes: list[subprocess.Popen] = []
    subprocess.run(["createdb", *pg_options(SERVER), database], check=True)
    try:
        manage = [PYTHON, "manage.py"]
        subprocess.run([*manage, "migrate", "--no-input", "-v0"], cwd=ROOT, env=setup, check=True)
        subprocess.run(
            [*manage, "load_demo"], cwd=ROOT, env=setup, check=True, stdout=subprocess.DEVNULL
        )
        subprocess.run(
            [*manage, "collectstatic", "--no-input", "-v0"], cwd=ROOT, env=environment, check=True
        )
        subprocess.run(
            [
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "2",
                "-subj",
                "/CN=localhost",
                "-keyout",
                str(tmp / "key.pem"),
                "-out",
                str(tmp / "cert.pem"),
            ],
            check=True,
            capture_output=True,
        )
        gunicorn = subprocess.Popen(
            [str(Path(PYTHON).parent / "gunicorn"), "-c", "deploy/gunicorn.conf.py", "config.wsgi"],
            cwd=ROOT,
            env=environment,
            stdout=open(tmp / "gunicorn.log", "w"),
            stderr=subprocess.STDOUT,
        )
        processes.append(gunicorn)
        wait_for(app, gunicorn, "gunicorn")
        (tmp / "site.conf").write_text(site_conf(tmp, https, http, app))
        (tmp / "nginx.conf").write_text(MAIN_CONF.format(tmp=tmp))
        subprocess.run(["nginx", "-t", "-q", "-c", str(tmp / "nginx.conf")], check=True)
        nginx = subprocess.Popen(["nginx", "-c", str(tmp / "nginx.conf")])
        processes.append(nginx)
        wait_for(https, nginx, "nginx")
        result = subprocess.run(
            [
                PYTHON,
                "-m",
                "pytest",
                "-m",
                "prod_smoke",
                "tests/smoke",
                "-p",
                "no:cacheprovider",
                "-q",
                "-n",
                "0",
            ],
            cwd=ROOT,
            env={
                **os.environ,
                "SMOKE_HTTPS": f"https://localhost:{https}",
                "SMOKE_HTTP": f"http://localhost:{http}",
                "SMOKE_HTTPS_PORT": str(https),
            },
        )
        if result.returncode:
            for log in ("gunicorn.log", "nginx-error.log"):
                print(f"--- {log} (last lines)")
                print("\n".join((tmp / log).read_text().splitlines()[-30:]))
        return result.returncode
    finally:
        for process in reversed(processes):
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        subprocess.run(["dropdb", *pg_options(SERVER), "--if-exists", database], check=False)
        shutil.rmtree(tmp, ignore_errors=True)


def _stop(signum, frame):
    """A CI timeout sends SIGTERM: exit through ``main``'s ``finally``, which stops nginx and
    gunicorn and drops the database, instead of leaving them behind."""
    raise SystemExit(128 + signum)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _stop)
    sys.exit(main())
