"""The signed-in user read from the cache (accounts/backends.py): once from the database,
then from the cache until a write of the user, or of the units, commits."""

import pytest
from django.core.cache import caches
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.backends import ModelBackend
from accounts.models import User
from recruitment import figures_cache
from recruitment.models import Organisation

pytestmark = pytest.mark.django_db

PAGE = reverse("accounts:profile")


@pytest.fixture(autouse=True)
def local_cache(settings):
    local = "django.core.cache.backends.locmem.LocMemCache"
    settings.CACHES = {
        **settings.CACHES,
        "default": {"BACKEND": local, "LOCATION": "u"},
        "users": {"BACKEND": local, "LOCATION": "test-users"},
    }
    figures_cache.cache.clear()
    caches["users"].clear()


def user_queries(client: Client, url: str = PAGE) -> tuple[int, int]:
    """(status, queries of the users' table) of a GET of ``url``."""
    with CaptureQueriesContext(connection) as captured:
        status = client.get(url).status_code
    return status, sum('FROM "accounts_user"' in q["sql"] for q in captured.captured_queries)


def signed_out(client: Client) -> bool:
    response = client.get(PAGE)
    return response.status_code == 302 and reverse("accounts:login") in response["Location"]


def test_the_signed_in_user_is_read_from_the_database_once(organiser_client):
    assert user_queries(organiser_client) == (200, 1)
    assert user_queries(organiser_client) == (200, 0)
    assert user_queries(organiser_client) == (200, 0)


def test_each_request_has_a_user_of_its_own(organiser):
    backend = ModelBackend()
    first = backend.get_user(organiser.pk)
    first.role = User.Role.STAFF  # as a view may change its request's user
    again = backend.get_user(organiser.pk)
    assert again is not first
    assert again.role == User.Role.ORGANISER
    assert again.unit == organiser.unit  # the unit comes with it, no query more


def test_a_closed_account_is_signed_out_at_its_next_request(
    organiser, organiser_client, django_capture_on_commit_callbacks
):
    assert user_queries(organiser_client) == (200, 1)
    with django_capture_on_commit_callbacks(execute=True):
        organiser.is_active = False
        organiser.save()
    assert signed_out(organiser_client)


def test_a_changed_password_ends_the_other_sessions(
    organiser, organiser_client, django_capture_on_commit_callbacks
):
    assert user_queries(organiser_client) == (200, 1)
    with django_capture_on_commit_callbacks(execute=True):
        organiser.set_password("a new one, long enough")
        organiser.save()
    assert signed_out(organiser_client)


def test_a_deleted_user_is_signed_out(
    organiser, organiser_client, django_capture_on_commit_callbacks
):
    assert user_queries(organiser_client) == (200, 1)
    with django_capture_on_commit_callbacks(execute=True):
        User.objects.filter(pk=organiser.pk).delete()  # as the admin's "delete selected"
    assert signed_out(organiser_client)


def test_a_new_role_or_unit_is_the_users_at_the_next_request(
    tree, organiser, django_capture_on_commit_callbacks
):
    backend = ModelBackend()
    assert backend.get_user(organiser.pk).scope_path == tree["ward1"].path
    with django_capture_on_commit_callbacks(execute=True):
        organiser.role = User.Role.STAFF
        organiser.unit = tree["city"]
        organiser.save()
    user = backend.get_user(organiser.pk)
    assert (user.role, user.scope_path) == (User.Role.STAFF, tree["city"].path)


def test_a_unit_renamed_or_moved_is_the_users_scope_at_the_next_request(
    tree, organiser, django_capture_on_commit_callbacks
):
    backend = ModelBackend()
    assert backend.get_user(organiser.pk).unit.name == tree["ward1"].name
    with django_capture_on_commit_callbacks(execute=True):
        ward = Organisation.objects.get(pk=tree["ward1"].pk)
        ward.name = "Phường Một"
        ward.save()
    assert backend.get_user(organiser.pk).unit.name == "Phường Một"
    with django_capture_on_commit_callbacks(execute=True):
        ward = Organisation.objects.get(pk=tree["ward1"].pk)
        Organisation.objects.move(ward, tree["other_city"], "last-child")
    moved = Organisation.objects.get(pk=tree["ward1"].pk)
    assert backend.get_user(organiser.pk).scope_path == moved.path != tree["ward1"].path


def test_users_repointed_in_bulk_are_read_again_after_the_bump_that_follows(
    tree, organiser, django_capture_on_commit_callbacks
):
    """A bulk update sends no signal: the writes that re-point users so (a reorganisation
    undone) bump the site's version, which the kept user's key holds."""
    backend = ModelBackend()
    assert backend.get_user(organiser.pk).unit == tree["ward1"]
    with django_capture_on_commit_callbacks(execute=True):
        User.objects.filter(pk=organiser.pk).update(unit=tree["ward3"])
        figures_cache.bump()
    assert backend.get_user(organiser.pk).unit == tree["ward3"]


def test_a_write_rolled_back_keeps_the_kept_user(organiser, django_assert_num_queries):
    backend = ModelBackend()
    backend.get_user(organiser.pk)
    with pytest.raises(RuntimeError), transaction.atomic():
        organiser.first_name = "Never"
        organiser.save()
        raise RuntimeError
    with django_assert_num_queries(0):
        assert backend.get_user(organiser.pk).first_name != "Never"


def test_no_password_hash_leaves_the_process(organiser_client, organiser):
    """The users are kept in the process's memory; the shared cache holds their versions."""
    assert user_queries(organiser_client) == (200, 1)
    shared = figures_cache.cache
    assert not any(organiser.password in repr(value) for value in shared._cache.values())
    assert user_queries(organiser_client) == (200, 0)
