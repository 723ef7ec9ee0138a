"""The signed-in user of each request, read from memory rather than the database.

Every signed-in request asks for its user (and their unit, their scope): a query that cost
about 2 ms of a dashboard's 7 at national scale, more than the rest of the page's reads.
``ModelBackend.get_user`` keeps the user, unit included, in each process's memory
(``CACHES["users"]``, a local-memory cache: the password hashes a user carries never go
to a file or a server) under the versions of what it holds, read from the shared cache on
every request: the user's own, changed once any write of the user commits (``forget``:
saved, deleted; a password changed, an account closed), and the site's
(``figures_cache.VERSION_KEY``), changed by every write that renames, moves or deletes a
unit, or that re-points users in bulk (a reorganisation undone): the user's unit and
scope. A user written since is read from the database again: the session of a closed
account, or of a changed password, ends at its next request, as it did. A write of users
that sends no signal (a bulk ``update()``, SQL) must bump the site's version.

The entry is unpickled for each request: every request has a user of its own, which it may
change (the admin keeps permissions on it). It is kept five minutes at most (the cache's
``TIMEOUT``): a server whose shared cache is not the one the write reached (two app
servers each with a file cache, instead of one Redis) sees the write then.

A request asks for its user before it writes (the views' access checks come first): what
is kept is what was committed.

Sessions signed in before this backend named Django's ``ModelBackend``, which
``AUTHENTICATION_BACKENDS`` no longer lists: they sign in again once.
"""

from __future__ import annotations

import functools
import time
import zlib

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend as DjangoModelBackend
from django.core.cache import cache, caches
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from recruitment import figures_cache

KEPT = "users"  # the local-memory cache the users are kept in


def _version_key(user_id) -> str:
    return f"auth:user:{user_id}"


@functools.cache
def _shape() -> str:
    """The columns of a user and their unit: a release that changes them (a process still
    running the one before) does not read users pickled by the other."""
    User = get_user_model()
    unit = User._meta.get_field("unit").related_model
    names = [f.attname for model in (User, unit) for f in model._meta.concrete_fields]
    return f"{zlib.crc32(' '.join(names).encode()):08x}"


class ModelBackend(DjangoModelBackend):
    """Django's, whose ``get_user`` reads from memory first (above)."""

    def get_user(self, user_id):
        version_key = _version_key(user_id)
        versions = figures_cache.current([version_key, figures_cache.VERSION_KEY])
        key = ":".join([version_key, _shape(), *map(str, versions)])
        kept = caches[KEPT]
        user = kept.get(key)
        if user is None:
            user = super().get_user(user_id)  # None for an account closed
            if user is not None:
                kept.set(key, user)
        return user


@receiver(post_save, sender=get_user_model(), dispatch_uid="accounts.forget_saved_user")
@receiver(post_delete, sender=get_user_model(), dispatch_uid="accounts.forget_deleted_user")
def forget(sender, instance, **kwargs) -> None:
    """The user kept for ``instance`` is not read again, once the write commits (a write
    rolled back leaves it as it was)."""
    key = _version_key(instance.pk)
    transaction.on_commit(lambda: cache.set(key, time.time_ns(), timeout=None))
