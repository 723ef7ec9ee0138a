"""The named cast every test starts from (as in healthchecks' alice/bob/charlie).

Hậu Giang ─┬─ Vị Thanh (city) ─┬─ Ward I ── Area 3 cell
           │                   └─ Ward III ── Area 1 cell
           └─ Ngã Bảy (city) ── Lái Hiếu ward ── Area 1 cell
"""

import pytest
from django.test import Client

from accounts.models import User
from recruitment.models import Organisation
from tests.factories import UserFactory, add_unit


@pytest.fixture
def tree(db):
    province = add_unit(None, "HG", "Đảng bộ tỉnh Hậu Giang", Organisation.Kind.PROVINCIAL)
    city = add_unit(province, "VT", "Đảng bộ thành phố Vị Thanh", Organisation.Kind.CITY)
    ward1 = add_unit(city, "VT-P1", "Đảng bộ Phường I", Organisation.Kind.COMMITTEE)
    ward1_cell = add_unit(ward1, "VT-P1-KV3", "Chi bộ Khu vực 3")
    ward3 = add_unit(city, "VT-P3", "Đảng bộ Phường III", Organisation.Kind.COMMITTEE)
    ward3_cell = add_unit(ward3, "VT-P3-KV1", "Chi bộ Khu vực 1 (Phường III)")
    other_city = add_unit(province, "NB", "Đảng bộ thành phố Ngã Bảy", Organisation.Kind.CITY)
    other_ward = add_unit(other_city, "NB-LH", "Đảng bộ phường Lái Hiếu", "committee")
    other_cell = add_unit(other_ward, "NB-LH-KV1", "Chi bộ Khu vực 1 (Lái Hiếu)")
    units = {
        "province": province,
        "city": city,
        "ward1": ward1,
        "ward1_cell": ward1_cell,
        "ward3": ward3,
        "ward3_cell": ward3_cell,
        "other_city": other_city,
        "other_ward": other_ward,
        "other_cell": other_cell,
    }
    # Re-read: adding children changed the stored numchild of the parents.
    return {key: Organisation.objects.get(pk=unit.pk) for key, unit in units.items()}


@pytest.fixture
def organiser(tree):
    """Alice: organiser of Ward I."""
    return UserFactory(username="alice", unit=tree["ward1"], role=User.Role.ORGANISER)


@pytest.fixture
def other_organiser(tree):
    """Bob: organiser of Ward III, a neighbour who must not see Ward I."""
    return UserFactory(username="bob", unit=tree["ward3"], role=User.Role.ORGANISER)


@pytest.fixture
def staff(tree):
    """Charlie: Organisation Board staff of Vị Thanh city."""
    return UserFactory(username="charlie", unit=tree["city"], role=User.Role.STAFF)


@pytest.fixture
def other_staff(tree):
    """Dana: staff of Ngã Bảy city."""
    return UserFactory(username="dana", unit=tree["other_city"], role=User.Role.STAFF)


@pytest.fixture
def admin_user(db):
    return UserFactory(username="root", is_superuser=True, is_staff=True)


def _client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def organiser_client(organiser):
    return _client_for(organiser)


@pytest.fixture
def other_organiser_client(other_organiser):
    return _client_for(other_organiser)


@pytest.fixture
def staff_client(staff):
    return _client_for(staff)


@pytest.fixture
def other_staff_client(other_staff):
    return _client_for(other_staff)


@pytest.fixture
def admin_client_(admin_user):
    return _client_for(admin_user)
