"""Reorganisations: the cases a review found wrong, each kept as a test (undo puts back
only what applying wrote, the kept tree counts, quotas moved once, users not widened)."""

import pytest
from django.utils import translation

from recruitment.models import Organisation, Quota
from recruitment.reorganisation.services import (
    ReorganisationError,
    apply_reorganisation,
    preview_reorganisation,
)
from tests import test_reorganisation as base
from tests.factories import QuotaFactory
from tests.helpers import english, messages_of
from tests.test_reorganisation import fresh, merge_wards, reorganisation

work = base.work  # the fixture: something of everything in two wards


def test_summed_quotas_over_the_maximum_refuse_the_step_in_words(tree, work, staff_client):
    Quota.objects.filter(unit=tree["ward1"], year=2025).update(target=60000)
    Quota.objects.filter(unit=tree["ward3"], year=2025).update(target=60000)
    reorg = merge_wards()
    reorg.unit = tree["city"]
    reorg.save()
    with translation.override("en"), pytest.raises(ReorganisationError, match="Step 1"):
        preview_reorganisation(reorganisation=reorg)
    page = english(staff_client).get(reorg.get_absolute_url())
    assert page.status_code == 200
    assert "Step 1" in page.content.decode() and "100000" in page.content.decode()
    response = staff_client.post(f"/reorganisations/{reorg.pk}/apply/")
    assert response.status_code == 302
    assert any("100000" in message for message in messages_of(response))
    assert fresh(reorg).status == reorg.Status.DRAFT
    assert not Organisation.objects.filter(code="VT-PVT").exists()


def test_a_summed_quota_written_on_an_existing_one_is_validated_too(tree, work):
    QuotaFactory(unit=tree["ward3"], year=2026, target=1)
    Quota.objects.filter(unit=tree["ward1"], year=2025).update(target=60000)
    Quota.objects.filter(unit=tree["ward3"], year=2025).update(target=60000)
    reorg = reorganisation(("merge", {"sources": ["VT-P1"], "target": "VT-P3"}))
    with translation.override("en"), pytest.raises(ReorganisationError, match="Step 1"):
        apply_reorganisation(reorganisation=reorg, by=work["staff"])
    assert Quota.objects.get(unit=tree["ward3"], year=2025).target == 60000
