"""gunicorn's configuration for production: `gunicorn -c deploy/gunicorn.conf.py config.wsgi`.

Every value can be changed from the environment file (deploy/recruitment.env.example) without
editing this file: GUNICORN_BIND, GUNICORN_WORKERS, GUNICORN_THREADS, GUNICORN_TIMEOUT.
"""

import gc
import multiprocessing
import os

# Loopback only: nginx in front is the only way in, so X-Forwarded-For is always nginx's.
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")

# Sync workers, one per core plus one: a page spends a little of its time waiting for
# PostgreSQL, and the extra process uses the core meanwhile. nginx in front buffers slow
# clients, so a sync worker never waits on one. More processes than that only take turns at
# the cores (with PostgreSQL beside them on the same machine): on 2 cores, `make bench-load`
# with both in one run served 1.10x the pages/s with 3 workers as with 5 (gunicorn's
# starting advice, 2 per core plus 1; every one of 7 rounds, 1.03x to 1.18x). Threads in a
# process take turns at Python's lock: 5 sync workers served 204-227 pages/s, 4 processes
# of 2 threads 195 (an earlier machine). Where many slow requests run together (large
# exports), raise GUNICORN_WORKERS, or GUNICORN_THREADS for threads (gthread) when memory
# is short.
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() + 1))
threads = int(os.environ.get("GUNICORN_THREADS", 1))
worker_class = "gthread" if threads > 1 else "sync"

# A request slower than this is killed and logged (a stuck query); nginx waits a little longer.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 60))
graceful_timeout = 30
keepalive = 5

# Recycle workers now and then so that a slow leak never grows unbounded.
max_requests = 2000
max_requests_jitter = 200

# Load the app once in the master: workers start faster and share its memory. The master
# then keeps the code it loaded, and a HUP forks workers of it: an upgrade restarts the
# service (docs/deploy.md "Upgrades").
preload_app = True


def when_ready(server):
    """Once the app is loaded, do in the master what each worker would otherwise do on its
    first pages (config/warmup.py: import the views, fill the URL lookups, compile every
    template), so that every worker, the ones started after ``max_requests`` too, starts
    with it done.

    Then move everything the app made out of the garbage collector's sight
    (``gc.freeze``), before the workers are forked: a worker's collections then walk only the
    objects of its own requests, not the thousands of modules, templates and URL patterns
    that live as long as it does, and they stop writing to (and so copying) pages shared with
    the master. Measured on the demo's mixed pages: 0.50 ms of collection per page before,
    0.26 after.

    Then the youngest generation is collected every 50,000 allocations instead of 700: a
    page allocates tens of thousands of objects (querysets, template nodes' contexts) that
    die with it, and a collection every 700 walked them again and again. Measured in one
    process alternating the two settings over the mixed pages: 2.2-2.5% less CPU per page.
    The workers inherit both."""
    from config.warmup import warm  # the app is loaded (preload_app): settings are ready

    try:
        warm()
    except Exception:  # the workers then start cold, as without it: no reason not to serve
        server.log.exception("The warm-up failed; the workers do it on their first pages.")
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, *gc.get_threshold()[1:])


# The app logs one line per request itself (config/requestlog.py, with the request id and
# user): no gunicorn access log as well. Errors go to stderr, i.e. the journal.
accesslog = None
errorlog = "-"

# X-Forwarded-Proto is believed only from nginx on the same host.
forwarded_allow_ips = "127.0.0.1,::1"

# The heartbeat file on a memory file system: a slow disk never makes a worker look dead.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
