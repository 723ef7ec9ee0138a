"""What the database guarantees, and the helpers the models rely on."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from recruitment.dates import add_months, age_in_months
from recruitment.models import Candidate, Organisation, PartyMember, Quota, TrainingClass
from recruitment.text import mask_citizen_id, search_key
from tests.factories import CandidateFactory, QuotaFactory

pytestmark = pytest.mark.django_db


def test_search_key_drops_diacritics_and_case():
    assert search_key("  Nguyễn ĐỨC   Toàn ") == "nguyen duc toan"
    assert search_key("Phan Đức Trọng") == "phan duc trong"


def test_candidate_search_ignores_diacritics(tree):
    toan = CandidateFactory(full_name="Nguyễn Đức Toàn", unit=tree["ward1_cell"])
    CandidateFactory(full_name="Phan Đức Trọng", unit=tree["ward1_cell"])
    assert list(Candidate.objects.search("nguyen duc toan")) == [toan]
    assert list(Candidate.objects.search("ĐỨC TOÀN")) == [toan]


def test_search_name_follows_a_partial_save(tree):
    candidate = CandidateFactory(full_name="Lê Văn A", unit=tree["ward1_cell"])
    candidate.full_name = "Trần Thị Bé"
    candidate.save(update_fields=["full_name"])
    assert Candidate.objects.get().search_name == "tran thi be"


def test_masked_citizen_id_shows_the_last_four_digits():
    assert mask_citizen_id("093095000301") == "••••••••0301"
    assert mask_citizen_id(None) == ""


def test_citizen_id_must_have_twelve_digits(tree):
    candidate = CandidateFactory.build(unit=tree["ward1_cell"], citizen_id="12345")
    with pytest.raises(ValidationError) as error:
        candidate.full_clean()
    assert "citizen_id" in error.value.message_dict


def test_citizen_id_is_unique_when_present(tree):
    CandidateFactory(unit=tree["ward1_cell"], citizen_id="093095000301")
    CandidateFactory(unit=tree["ward1_cell"], citizen_id=None)
    CandidateFactory(unit=tree["ward3_cell"], citizen_id=None)  # many without an ID
    with pytest.raises(IntegrityError), transaction.atomic():
        CandidateFactory(unit=tree["ward3_cell"], citizen_id="093095000301")


def test_one_quota_per_unit_and_year(tree):
    QuotaFactory(unit=tree["ward1"], year=2021)
    with pytest.raises(IntegrityError), transaction.atomic():
        QuotaFactory(unit=tree["ward1"], year=2021)


def test_quota_cannot_be_negative_in_the_database(tree):
    with pytest.raises(IntegrityError), transaction.atomic():
        Quota.objects.bulk_create([Quota(unit=tree["ward1"], year=2021, target=-1)])


def test_quota_year_out_of_range_is_refused(tree):
    with pytest.raises(ValidationError):
        Quota(unit=tree["ward1"], year=1800, target=1).full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        Quota.objects.bulk_create([Quota(unit=tree["ward1"], year=1800, target=1)])


def test_votes_cannot_exceed_the_total(tree):
    with pytest.raises(IntegrityError), transaction.atomic():
        CandidateFactory(unit=tree["ward1_cell"], votes_for=4, votes_total=3)


def test_class_cannot_end_before_it_starts(tree):
    with pytest.raises(IntegrityError), transaction.atomic():
        TrainingClass.objects.create(
            title="x", unit=tree["city"], starts_on=date(2026, 2, 1), ends_on=date(2026, 1, 1)
        )


def test_subtree_is_one_prefix_filter(tree, django_assert_num_queries):
    with django_assert_num_queries(1):
        codes = list(Organisation.objects.in_subtree(tree["city"]).values_list("code", flat=True))
    assert codes == ["VT", "VT-P1", "VT-P1-KV3", "VT-P3", "VT-P3-KV1"]


def test_for_user_scopes_to_the_users_subtree(tree, organiser, staff, admin_user):
    mine = CandidateFactory(unit=tree["ward1_cell"])
    neighbour = CandidateFactory(unit=tree["ward3_cell"])
    far = CandidateFactory(unit=tree["other_cell"])
    assert set(Candidate.objects.for_user(organiser)) == {mine}
    assert set(Candidate.objects.for_user(staff)) == {mine, neighbour}
    assert set(Candidate.objects.for_user(admin_user)) == {mine, neighbour, far}


def test_a_user_without_a_unit_sees_nothing(tree, django_user_model):
    CandidateFactory(unit=tree["ward1_cell"])
    loose = django_user_model.objects.create_user("loose", password="x")
    assert not Candidate.objects.for_user(loose).exists()


def test_age_is_counted_by_month():
    assert age_in_months(date(2008, 4, 30), date(2026, 4, 1)) == 18 * 12
    assert age_in_months(date(2008, 5, 1), date(2026, 4, 30)) == 18 * 12 - 1


def test_add_months_clamps_to_the_end_of_the_month():
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2024, 2, 29), 12) == date(2025, 2, 28)


@pytest.mark.django_db
def test_a_members_search_name_follows_a_partial_save_of_the_name(tree):
    member = PartyMember.objects.create(
        full_name="Trần Văn Cũ", unit=tree["ward1"], admitted_on=date(2010, 1, 1)
    )
    member.full_name = "Trần Văn Mới"
    member.save(update_fields=["full_name"])
    assert PartyMember.objects.search("tran van moi").get() == member


def test_the_source_is_shown_as_djangos_display_would_show_it():
    from django.utils import translation

    from recruitment.models import Source

    for source in Source:
        candidate = Candidate(source=source.value)
        for language in ("vi", "en"):
            with translation.override(language):
                shown = candidate.get_source_display()
                assert type(shown) is str  # as Django's: joined, written to JSON or Excel
                assert shown == str(source.label)
    assert Candidate(source="gone").get_source_display() == "gone"


def test_a_unit_is_open_from_its_opening_until_its_closing_day(tree):
    from datetime import date, timedelta

    from django.utils import timezone

    unit = tree["ward1_cell"]
    unit.opened_on, unit.closed_on = date(2025, 1, 1), date(2025, 7, 1)
    assert not unit.is_open_on(date(2024, 12, 31))
    assert unit.is_open_on(date(2025, 1, 1)) and unit.is_open_on(date(2025, 6, 30))
    assert not unit.is_open_on(date(2025, 7, 1))
    unit.closed_on, unit.active = None, False  # closed, no date: not open today
    assert not unit.is_open_on(timezone.localdate())
    assert unit.is_open_on(timezone.localdate() - timedelta(days=1))
