"""What a view declares about itself, beside ``login_required``."""

from django.db import transaction
from django.views.decorators.http import require_safe


def read_only(view):
    """A page that only reads: GET and HEAD (any other method is a 405), answered outside a
    transaction.

    Every other request runs in one (``ATOMIC_REQUESTS``), so that a form sent is saved
    whole or not at all. A read has nothing to roll back, and on PostgreSQL (read committed)
    a transaction gives its statements no common snapshot either: it would only cost two
    round trips to the database, ``BEGIN`` and ``COMMIT``, on every page. (On SQLite, the
    development database, a page's statements no longer share one snapshot; no page
    depends on it.) A page that tries a write to show its effect (a reorganisation's
    preview) does it in a transaction of its own and rolls it back.
    """
    return transaction.non_atomic_requests(require_safe(view))
