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
