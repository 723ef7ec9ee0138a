"""Settings for the test suite: development defaults, fast password hashing."""

import os

os.environ.setdefault("DJANGO_DEBUG", "1")

from config.settings import *  # noqa: E402,F403

# Background tasks run at once, in the test's own transaction.
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# No cache shared between tests: a rolled-back test leaves nothing behind (the tests of the
# cache itself use a local-memory one).
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"},
    "fragments": CACHES["fragments"],  # noqa: F405 (what it holds is the same for every test)
    "kept": CACHES["kept"],  # noqa: F405 (keeps only what it reads from the dummy: nothing)
    # Keyed by versions that the dummy cache never bumps: nothing kept between tests.
    "users": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"},
}

# Django runs the tests with DEBUG off, so WhiteNoise indexes STATIC_ROOT each time a test
# client builds its middleware: with a collected static/ there (after a `collectstatic`, or
# `make bench-load`, which runs one), the suite took half as long again. No test serves a
# collected file.
STATIC_ROOT = BASE_DIR / "tests" / "no-collected-static"  # noqa: F405 (never created)

# Browser tests: the live server answers several requests at once, which an in-memory
# SQLite database shared between threads answers with "database table is locked". A file
# database waits for its lock instead.
if os.environ.get("E2E_SQLITE_FILE") and DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": os.environ["E2E_SQLITE_FILE"]}  # noqa: F405
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 30  # noqa: F405
