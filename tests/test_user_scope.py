"""What a user may see and change lives with the user (DESIGN.md §5)."""

import pytest
from django.contrib.auth.models import AnonymousUser

from accounts.models import User
from recruitment.models import Organisation
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_user_sees_the_subtree_of_their_unit(organiser, tree):
    assert organiser.scope_path == tree["ward1"].path
    seen = set(Organisation.objects.for_user(organiser))
    assert seen == {tree["ward1"], tree["ward1_cell"]}


def test_a_superuser_sees_everything_and_an_anonymous_user_nothing(admin_user, tree):
    assert admin_user.scope_path == ""
    assert Organisation.objects.for_user(admin_user).count() == len(tree)
    assert not Organisation.objects.for_user(AnonymousUser()).exists()


def test_a_user_without_a_unit_sees_nothing(tree):
    nobody = UserFactory(username="nobody", unit=None, role=User.Role.STAFF)
    assert nobody.scope_path is None
    assert not Organisation.objects.for_user(nobody).exists()
    assert not nobody.can_change(tree["ward1"])


def test_a_user_changes_their_unit_and_below_but_not_above_or_beside(organiser, tree):
    assert organiser.can_change(tree["ward1"])
    assert organiser.can_change(tree["ward1_cell"])
    assert not organiser.can_change(tree["city"])
    assert not organiser.can_change(tree["ward3"])


def test_quotas_are_set_by_the_level_above(staff, admin_user, tree):
    assert staff.sets_quota_of(tree["ward1"])
    assert not staff.sets_quota_of(tree["city"])  # their own: set by the province
    assert not staff.sets_quota_of(tree["other_city"])
    assert admin_user.sets_quota_of(tree["province"])


def test_the_signed_in_user_is_read_with_their_unit_in_one_query(
    organiser_client, organiser, django_assert_num_queries
):
    from django.contrib.auth import get_user
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.session = organiser_client.session
    assert request.session["_auth_user_id"] == str(organiser.pk)  # the session read first
    with django_assert_num_queries(1):
        user = get_user(request)
        assert user.unit.name == organiser.unit.name


def test_the_only_roots_staff_read_without_a_path_filter_until_a_second_root_appears(
    tree, settings, django_capture_on_commit_callbacks
):
    """The national level's scope holds every unit: its rows are read without the filter
    by path (which PostgreSQL applies by reading every unit). A second root, once saved,
    is not theirs: the filter is back on their next request."""
    from django.core.cache import cache

    from recruitment.models import Candidate
    from tests.factories import CandidateFactory, add_unit

    settings.CACHES = {
        **settings.CACHES,
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "u"},
    }
    cache.clear()
    with django_capture_on_commit_callbacks(execute=True):  # writes, as if committed
        national = UserFactory(username="national", unit=tree["province"], role=User.Role.STAFF)
        mine = CandidateFactory(unit=tree["ward1_cell"])
    assert national.sees_every_unit
    assert "LIKE" not in str(Candidate.objects.for_user(national).query).upper()
    assert list(Candidate.objects.for_user(national)) == [mine]
    with django_capture_on_commit_callbacks(execute=True):
        other_root = add_unit(None, "CT", "Đảng bộ tỉnh Cần Thơ", Organisation.Kind.PROVINCIAL)
    CandidateFactory(unit=other_root)
    national = User.objects.get(pk=national.pk)  # as the next request reads the user
    assert not national.sees_every_unit
    assert list(Candidate.objects.for_user(national)) == [mine]
    assert other_root not in Organisation.objects.for_user(national)
    staff = User.objects.get(username="national")
    staff.unit = tree["city"]  # a city's staff never skip the filter
    assert not staff.sees_every_unit
