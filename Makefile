# Two commands on a fresh machine: `make run` and `make test`.
# Extra pytest options: `make test PYTEST_ARGS="--clock-shift-years=5"` (see conftest.py).
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
DEV_ENV := DJANGO_DEBUG=1
# pytest-xdist workers for `make test` (one per core); TEST_WORKERS=0 runs in this process.
TEST_WORKERS ?= auto

.PHONY: install run test test-fuzz test-e2e lint format messages bench bench-national bench-import bench-import-smoke bench-load bench-replica restore-drill prod-smoke clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# The background worker (large imports) runs beside the server and stops with it.
run: install
	$(DEV_ENV) $(PY) manage.py migrate --no-input
	$(DEV_ENV) $(PY) manage.py load_demo
	$(DEV_ENV) $(PY) manage.py db_worker --no-startup-delay --no-reload & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(DEV_ENV) $(PY) manage.py runserver 127.0.0.1:8000

# Python keeps what it compiles, and pytest the test modules it rewrites, in __pycache__/ (its
# default, which some machines turn off with PYTHONDONTWRITEBYTECODE): each worker then
# starts in 2.3 s rather than 5.3 s, from the second run on.
TEST_ENV := PYTHONDONTWRITEBYTECODE=

# loadgroup: tests one at a time to whichever worker is free, except an xdist_group's, which
# go to one worker together (the demo classes, so that it loads the demo once).
test: install
	$(TEST_ENV) $(PY) -m pytest -m "not e2e and not fuzz and not prod_smoke" -n $(TEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

# Every URL pattern asked with every bad query value (~5,000 requests, a minute and a half of
# CPU): CI runs it on SQLite and PostgreSQL; `make test` keeps the check that each new URL
# says which parameters it reads.
test-fuzz: install
	$(TEST_ENV) $(PY) -m pytest -m fuzz -n $(TEST_WORKERS) $(PYTEST_ARGS)

test-e2e: install
	E2E_SQLITE_FILE=$(CURDIR)/.e2e-test.sqlite3 $(PY) -m pytest -m e2e tests/e2e

# The migration check fails when a model changed without its migration.
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(DEV_ENV) $(PY) manage.py makemigrations --check --dry-run

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: install
	$(DEV_ENV) $(PY) bench/dashboard_bench.py

# Every page of issue 13 on a generated national tree (PostgreSQL, an empty database):
# make bench-national DATABASE_URL=postgres://… [BENCH_ARGS="--scale province|smoke --reuse"]
bench-national: install
	@test -n "$(DATABASE_URL)" || { echo "bench-national needs DATABASE_URL (PostgreSQL)"; exit 2; }
	$(DEV_ENV) DJANGO_REQUEST_LOG=0 DATABASE_URL=$(DATABASE_URL) $(PY) bench/national_bench.py $(BENCH_ARGS)

# 100,000 candidate rows through the importer, on DATABASE_URL (PostgreSQL for the figures
# in the README): rows/s of the preview, the commit and a re-run, and peak memory.
bench-import: install
	$(DEV_ENV) $(PY) bench/import_bench.py $(BENCH_ARGS)

# What CI runs: 2,000 rows on a temporary SQLite file; fails if a row is lost or the commit
# is slower than 100 rows/s (a regression of an order of magnitude).
bench-import-smoke: install
	DATABASE_URL= $(DEV_ENV) $(PY) bench/import_bench.py --rows 2000 --min-rate 100

# The app under gunicorn with production settings on loopback, driven by locust (headless):
# req/s, p50/p95/p99 per page, errors, gunicorn's CPU per request, and the /healthz floor.
# make bench-load DATABASE_URL=postgres://… [BENCH_ARGS="--users 50 --compare ../main"]
# (the demo data is loaded into a database without candidates; bench/load_bench.py).
BENCH_STAMP := $(VENV)/.bench-stamp
$(BENCH_STAMP): pyproject.toml $(STAMP)
	$(PY) -m pip install --quiet -e '.[test,bench]'
	touch $(BENCH_STAMP)

bench-load: install $(BENCH_STAMP)
	@test -n "$(DATABASE_URL)" || { echo "bench-load needs DATABASE_URL (PostgreSQL)"; exit 2; }
	DATABASE_URL=$(DATABASE_URL) $(PY) bench/load_bench.py $(BENCH_ARGS)

# deploy/ run for real on loopback: PostgreSQL (a database of its own), gunicorn with production
# settings, Debian's nginx with a self-signed certificate; Playwright through https, the
# security headers, the lockout per client address; everything stopped after
# (scripts/prod_smoke.py). Installs nginx when missing.
prod-smoke: install
	command -v nginx >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null; }
	$(PY) scripts/prod_smoke.py

# A primary and a streaming replica of their own on loopback (initdb, pg_basebackup -R, two
# free ports); the dashboard read from the replica, a write read back from the primary on
# the next page; both clusters stopped and removed (bench/replica_bench.py).
bench-replica: install
	$(PY) bench/replica_bench.py $(BENCH_ARGS)

# Back up DATABASE_URL (PostgreSQL), restore the newest backup into a fresh database, migrate
# it and compare every table's row count and the dashboard's figures (scripts/restore_drill.py).
# Without DATABASE_URL: a database recruitment_drill_source with the demo data.
DRILL_SOURCE := postgres://postgres@127.0.0.1:5432/recruitment_drill_source
restore-drill: install
	@if [ -z "$(DATABASE_URL)" ]; then \
		createdb -h 127.0.0.1 -U postgres recruitment_drill_source 2>/dev/null || true; \
		$(DEV_ENV) DATABASE_URL=$(DRILL_SOURCE) $(PY) scripts/restore_drill.py --load-demo $(DRILL_ARGS); \
	else \
		$(DEV_ENV) DATABASE_URL=$(DATABASE_URL) $(PY) scripts/restore_drill.py $(DRILL_ARGS); \
	fi

# Needs GNU gettext (apt-get install gettext); the compiled .mo files are committed.
messages: install
	$(DEV_ENV) $(PY) manage.py makemessages -l vi -l en --no-location --ignore=.venv --ignore=tests
	$(PY) scripts/fill_english_catalogue.py
	$(DEV_ENV) $(PY) manage.py compilemessages --ignore=.venv

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache
