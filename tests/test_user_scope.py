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


# --- The root of the only tree: no filter on the units' paths -------------------------------


@pytest.fixture
def local_cache(settings):
    from recruitment import figures_cache

    settings.CACHES = {
        **settings.CACHES,
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "r"},
    }
    figures_cache.cache.clear()


def test_staff_of_the_only_root_see_every_row_without_a_filter_on_the_units(tree, local_cache):
    """Nationally, the filter joined every candidate to its unit to keep them all."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from recruitment.models import Candidate
    from tests.factories import CandidateFactory

    CandidateFactory(unit=tree["other_cell"])
    national = UserFactory(username="national", unit=tree["province"], role=User.Role.STAFF)
    assert Candidate.objects.for_user(national).count() == 1
    with CaptureQueriesContext(connection) as queries:
        assert Candidate.objects.for_user(national).count() == 1
    assert len(queries) == 1  # the roots came from the cache
    assert "path" not in queries[0]["sql"]


def test_staff_of_one_root_never_see_the_rows_of_another(
    tree, local_cache, django_capture_on_commit_callbacks
):
    from recruitment.models import Candidate
    from tests.factories import CandidateFactory, add_unit

    national = UserFactory(username="national", unit=tree["province"], role=User.Role.STAFF)
    with django_capture_on_commit_callbacks(execute=True):
        CandidateFactory(unit=tree["other_cell"])
    assert Candidate.objects.for_user(national).count() == 1  # the only root: kept
    with django_capture_on_commit_callbacks(execute=True):
        other_root = add_unit(None, "CT", "Đảng bộ thành phố Cần Thơ", Organisation.Kind.PROVINCIAL)
        cell = add_unit(other_root, "CT-KV1", "Chi bộ Cần Thơ")
        theirs = CandidateFactory(unit=cell)
    seen = Candidate.objects.for_user(national)
    assert theirs not in seen and seen.count() == 1
    assert not Organisation.objects.for_user(national).filter(pk=other_root.pk).exists()
