"""Health checks for a load balancer or a process supervisor: no authentication, no data.

``/healthz`` answers as long as the process serves requests (it touches no database), so a
supervisor restarts only a process that is stuck. ``/readyz`` says whether this process can
serve pages: the database answers and every migration is applied; a load balancer sends no
traffic to a process that is not ready (during a deploy before ``migrate``, or while the
database is down). With a replica (``DATABASE_REPLICA_URL``) it asks the replica too: every
read-only page reads from it, so a process whose replica is down serves 503s, and says so
("replica unavailable"). Both answer a word, never a page, and are exempt from the HTTPS
redirect (``SECURE_REDIRECT_EXEMPT``), so that a probe may ask gunicorn directly over
loopback.
"""

from django.db import DatabaseError, connections, transaction
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from config.replica import REPLICA, replica_configured

# Once every migration is applied it stays applied until the next deploy restarts the
# process, so the migration graph (tens of milliseconds to load) is read only until then:
# afterwards a readiness check costs one query (and one on the replica, if any).
_migrations_applied = False


def _plain(text: str, status: int = 200) -> HttpResponse:
    return HttpResponse(f"{text}\n", status=status, content_type="text/plain; charset=utf-8")


@require_safe
@never_cache
@transaction.non_atomic_requests
def healthz(request):
    """The process is alive and serving requests."""
    return _plain("ok")


@require_safe
@never_cache
@transaction.non_atomic_requests
def readyz(request):
    """The database (and the replica, if any) answers and no migration is pending; 503
    otherwise, with a word on what is wrong."""
    global _migrations_applied
    connection = connections["default"]
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        if not _migrations_applied:
            executor = MigrationExecutor(connection)
            pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
            if pending:
                return _plain("migrations pending", status=503)
            _migrations_applied = True
    except DatabaseError:
        return _plain("database unavailable", status=503)
    if replica_configured():
        try:
            with connections[REPLICA].cursor() as cursor:
                cursor.execute("SELECT 1")
        except DatabaseError:
            return _plain("replica unavailable", status=503)
    return _plain("ok")
