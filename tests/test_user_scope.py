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


# --- Staff of a root: the filter on the units' paths stays (a review of a shortcut) --------


def test_staff_of_one_root_never_see_the_rows_of_another(tree):
    """A shortcut once skipped the filter for the root of the only tree, trusting a cached
    list of roots: a rolled-back or lost cache write could leave the list stale."""
    from recruitment.models import Candidate
    from tests.factories import CandidateFactory, add_unit

    national = UserFactory(username="national", unit=tree["province"], role=User.Role.STAFF)
    ours = CandidateFactory(unit=tree["other_cell"])
    other_root = add_unit(None, "CT", "Đảng bộ thành phố Cần Thơ", Organisation.Kind.PROVINCIAL)
    theirs = CandidateFactory(unit=add_unit(other_root, "CT-KV1", "Chi bộ Cần Thơ"))
    assert list(Candidate.objects.for_user(national)) == [ours]
    assert theirs not in Candidate.objects.for_user(national)
    assert not Organisation.objects.for_user(national).filter(pk=other_root.pk).exists()


def test_staff_of_the_root_never_see_a_reorganisation_decided_above_every_unit(tree):
    """A reorganisation without a unit is for admins only: the same shortcut showed it, and
    let it be applied, to the staff of the only root."""
    from datetime import date

    from recruitment.reorganisation.models import Reorganisation

    national = UserFactory(username="national", unit=tree["province"], role=User.Role.STAFF)
    above = Reorganisation.objects.create(
        title="Merge the province", effective_on=date(2025, 7, 1), document_reference="1/NQ"
    )
    assert above not in Reorganisation.objects.for_user(national)
