"""The dashboard's figures in Django's cache (recruitment/figures_cache.py): computed once
per unit, year and version; the writes that change them bump the version on commit."""

import json
import re
import time
from datetime import date

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from recruitment import figures_cache
from recruitment.models import Stage
from recruitment.reports import steering
from tests.factories import CandidateFactory, QuotaFactory
from tests.helpers import settings_process

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 27)


@pytest.fixture(autouse=True)
def local_cache(settings):
    settings.CACHES = {
        **settings.CACHES,
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "t"},
    }
    figures_cache.cache.clear()


def test_the_second_dashboard_reads_the_figures_from_the_cache(
    tree, staff_client, django_assert_num_queries
):
    url = reverse("recruitment:dashboard") + f"?unit={tree['city'].pk}&year=2021"
    QuotaFactory(unit=tree["city"], year=2021, target=7)
    assert staff_client.get(url).status_code == 200
    today = timezone.localdate()  # the page's day: the key has it
    with django_assert_num_queries(0):
        figures_cache.dashboard_figures(tree["city"], 2021, today)
    first = staff_client.get(url)
    figures_cache.cache.clear()
    # Units, quotas, kept counts ×4, and the steering table of a past year (5): what the
    # cache saves.
    with django_assert_num_queries(11):
        figures_cache.dashboard_figures(tree["city"], 2021, today)
    assert first.status_code == 200


def test_a_candidate_written_shows_on_the_next_dashboard(tree, django_capture_on_commit_callbacks):
    before = figures_cache.dashboard_figures(tree["city"], 2021, TODAY)
    assert before.rows[0].pipeline == {}
    with django_capture_on_commit_callbacks(execute=True):
        CandidateFactory(unit=tree["ward1_cell"], stage=Stage.SOURCE)
    after = figures_cache.dashboard_figures(tree["city"], 2021, TODAY)
    assert after.rows[0].pipeline == {Stage.SOURCE: 1}


def test_a_quota_set_shows_on_the_next_dashboard(tree, django_capture_on_commit_callbacks):
    assert figures_cache.dashboard_figures(tree["city"], 2021, TODAY).rows[0].quota is None
    with django_capture_on_commit_callbacks(execute=True):
        quota = QuotaFactory(unit=tree["city"], year=2021, target=7)
    assert figures_cache.dashboard_figures(tree["city"], 2021, TODAY).rows[0].quota == 7
    with django_capture_on_commit_callbacks(execute=True):
        quota.target = 9
        quota.save()
    assert figures_cache.dashboard_figures(tree["city"], 2021, TODAY).rows[0].quota == 9


def test_a_write_rolled_back_keeps_the_cached_figures(tree, django_capture_on_commit_callbacks):
    figures_cache.dashboard_figures(tree["city"], 2021, TODAY)
    version = figures_cache.version()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                CandidateFactory(unit=tree["ward1_cell"], stage=Stage.SOURCE)
                raise RuntimeError("the request failed")
        except RuntimeError:
            pass
    assert callbacks == []
    assert figures_cache.version() == version


def test_every_write_gives_a_version_never_used_before_even_after_a_clear(tree):
    first = figures_cache.version()
    figures_cache._bump()
    second = figures_cache.version()
    figures_cache.cache.clear()
    assert len({first, second, figures_cache.version()}) == 3


def test_the_version_outlives_the_file_caches_default_timeout(tree, settings, tmp_path):
    """The file cache's ``incr`` is get-then-set with the default timeout (300 s): a version
    kept that way went back after five minutes, and figures cached before a write came back."""
    from unittest import mock

    from django.core.cache import caches

    settings.CACHES = {
        **settings.CACHES,
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(tmp_path),
        },
    }
    caches["default"].clear()
    figures_cache._bump()
    written = figures_cache.version()
    figures_cache._bump()
    later = time.time() + 3600
    with mock.patch("django.core.cache.backends.filebased.time.time", return_value=later):
        assert figures_cache.version() not in (None, written)


def test_the_figures_are_cached_per_language(tree):
    from django.utils import translation

    # The youth group's label is formatted when the figures are computed.
    with translation.override("en"):
        english = str(
            figures_cache.dashboard_figures(tree["city"], 2021, TODAY).composition[1].label
        )
    with translation.override("vi"):
        vietnamese = str(
            figures_cache.dashboard_figures(tree["city"], 2021, TODAY).composition[1].label
        )
    assert english.startswith("Youth") and not vietnamese.startswith("Youth")


def test_figures_read_from_a_replica_are_not_cached_for_others(tree, django_assert_num_queries):
    from unittest import mock

    with mock.patch("recruitment.figures_cache.reading_replica", return_value=True):
        figures_cache.dashboard_figures(tree["city"], 2021, TODAY)
    with django_assert_num_queries(11, exact=False) as read:
        figures_cache.dashboard_figures(tree["city"], 2021, TODAY)
    assert len(read) > 0  # computed again: nothing was kept from the replica's read


def test_the_navigation_badge_is_counted_once_a_minute(
    tree, organiser, django_assert_num_queries, django_capture_on_commit_callbacks
):
    from recruitment.reminders import Badge

    assert Badge(organiser).count == 0
    with django_assert_num_queries(0):
        assert Badge(organiser).count == 0
    # A write that changes the kept counts shows at once.
    with django_capture_on_commit_callbacks(execute=True):
        CandidateFactory(unit=tree["ward1_cell"], stage=Stage.SOURCE)
    with django_assert_num_queries(1):
        assert Badge(organiser).count == 1  # counted again: the new candidate is due a step


def cache_backend(**env) -> str:
    result = settings_process("s.CACHES['default']['BACKEND']", drop=("DJANGO_", "REDIS"), **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_the_cache_is_a_file_cache_and_redis_with_redis_url():
    assert cache_backend() == "config.cache.AmortisedFileBasedCache"
    assert cache_backend(REDIS_URL="redis://127.0.0.1:6379/0").endswith("RedisCache")


def test_the_admins_delete_selected_of_quotas_makes_the_figures_stale(
    tree, admin_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):  # its own transaction, committed
        quota = QuotaFactory(unit=tree["city"], year=2021, target=7)
    assert figures_cache.dashboard_figures(tree["city"], 2021, TODAY).rows[0].quota == 7
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/admin/recruitment/quota/",
            {"action": "delete_selected", "_selected_action": [quota.pk], "post": "yes"},
        )
    assert response.status_code == 302
    assert figures_cache.dashboard_figures(tree["city"], 2021, TODAY).rows[0].quota is None


def test_the_steering_table_and_warnings_come_from_the_cache_too(tree, staff_client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = reverse("recruitment:dashboard") + f"?unit={tree['city'].pk}"
    with CaptureQueriesContext(connection) as first:
        assert staff_client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as second:
        assert staff_client.get(url).status_code == 200
    # Saved: the figures (6), the steering table (6) and the warnings (6 kinds × 2).
    assert len(first) - len(second) >= 6 + 6 + 12


def test_a_write_that_changes_no_count_shows_in_the_warnings_at_once(
    tree, staff_client, django_capture_on_commit_callbacks
):
    """A rename, a corrected date or deadline: the kept counts stay, the version moves."""
    long_ago = timezone.localdate().replace(day=1) - timezone.timedelta(days=400)
    with django_capture_on_commit_callbacks(execute=True):
        stuck = CandidateFactory(unit=tree["ward1_cell"], stage=Stage.SOURCE, full_name="Lê Văn A")
        type(stuck).objects.filter(pk=stuck.pk).update(stage_since=long_ago)
        figures_cache.bump()  # the test's own update, as the pipeline's bulk writes do
    url = reverse("recruitment:dashboard") + f"?unit={tree['city'].pk}"
    assert "Lê Văn A" in staff_client.get(url).text
    with django_capture_on_commit_callbacks(execute=True):
        stuck.refresh_from_db()
        stuck.full_name = "Lê Văn Bình"
        stuck.save()
    page = staff_client.get(url).text
    assert "Lê Văn Bình" in page and "Lê Văn A<" not in page


def test_cached_panels_hold_text_not_lazy_translations(tree):
    """A lazy translation costs a quarter of a millisecond to unpickle: a national
    dashboard's steering table holds hundreds of labels."""
    from recruitment.reports.deadlines import due_items
    from recruitment.reports.figures import shares

    assert all(type(share.label) is str for share in shares({}))
    assert all(type(group.label) is str for group in due_items(tree["city"], TODAY))


def test_a_transaction_bumps_the_version_once_however_many_rows_it_writes(
    tree, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        for _ in range(3):
            CandidateFactory(unit=tree["ward1_cell"], stage=Stage.SOURCE)
    assert len([c for c in callbacks if isinstance(c, figures_cache._Bump)]) == 1


def test_a_unit_deleted_leaves_the_next_dashboard(tree, django_capture_on_commit_callbacks):
    from recruitment.models import Organisation

    names = [r.unit.name for r in figures_cache.dashboard_figures(tree["city"], 2021, TODAY).rows]
    assert tree["ward3"].name in names
    with django_capture_on_commit_callbacks(execute=True):
        Organisation.objects.filter(pk=tree["ward3"].pk).delete()  # as "delete selected" does
    rows = figures_cache.dashboard_figures(tree["city"], 2021, TODAY).rows
    assert tree["ward3"].name not in [r.unit.name for r in rows]


def test_the_dashboards_tables_are_kept_with_their_figures_and_go_with_them(
    tree, staff_client, django_capture_on_commit_callbacks
):
    from django.template import engines

    url = reverse("recruitment:dashboard") + f"?unit={tree['city'].pk}&year=2021"
    with django_capture_on_commit_callbacks(execute=True):
        quota = QuotaFactory(unit=tree["city"], year=2021, target=7)
    first = staff_client.get(url)
    from contextlib import ExitStack
    from unittest import mock

    with ExitStack() as stack:
        for name in ("_table", "_years", "_months", "_composition", "_retention"):
            table = engines["django"].engine.get_template(f"recruitment/dashboard/{name}.html")
            stack.enter_context(
                mock.patch.object(table, "render", side_effect=AssertionError(f"{name} drawn"))
            )
        again = staff_client.get(url)  # the tables come from the cache

    def unmasked(page):  # the CSRF token is masked anew on every page
        return re.sub(r'name="csrfmiddlewaretoken" value="\w+"', "", page.text)

    assert unmasked(again) == unmasked(first)
    with django_capture_on_commit_callbacks(execute=True):
        quota.target = 9
        quota.save()
    page = staff_client.get(url)
    assert "<td>9</td>" in page.text and "<td>7</td>" not in page.text


def test_the_dashboards_charts_are_drawn_once_per_version_of_their_figures(
    tree, staff_client, django_capture_on_commit_callbacks
):
    from unittest import mock

    from recruitment.reports import charts

    url = reverse("recruitment:dashboard") + f"?unit={tree['city'].pk}&year=2021"
    with django_capture_on_commit_callbacks(execute=True):
        QuotaFactory(unit=tree["city"], year=2021, target=7)
    drawn = {name: mock.Mock(wraps=getattr(charts, name)) for name in CHARTS}
    with mock.patch.multiple(charts, **drawn):
        first = staff_client.get(url)
        again = staff_client.get(url)
        assert {name: d.call_count for name, d in drawn.items()} == dict.fromkeys(CHARTS, 1)
        assert again.text.count('role="img"') == first.text.count('role="img"') == 3
        with django_capture_on_commit_callbacks(execute=True):
            CandidateFactory(unit=tree["ward1_cell"])
        staff_client.get(url)
        assert {name: d.call_count for name, d in drawn.items()} == dict.fromkeys(CHARTS, 2)


CHARTS = ("quota_bars", "pace_line", "funnel")


def test_tables_read_from_a_replica_are_not_kept(tree, staff_client):
    from unittest import mock

    url = reverse("recruitment:dashboard") + f"?unit={tree['city'].pk}&year=2021"
    with mock.patch("recruitment.figures_cache.reading_replica", return_value=True):
        page = staff_client.get(url)
    assert page.context["figures_key"] == page.context["warnings_key"] == ""
    assert page.context["figures_timeout"] == page.context["warnings_timeout"] == 0
    assert figures_cache.cache.get(figures_cache.VERSION_KEY) is not None
    kept = [k for k in figures_cache.cache._cache if "template.cache" in k]
    assert [figures_cache.cache.get(k.split(":", 2)[2]) for k in kept] == [None] * len(kept)


def test_panels_kept_by_another_release_are_not_read(tree, django_assert_num_queries):
    """After a deploy the cache still holds what the code before kept, shaped as it was."""
    from unittest import mock

    figures_cache.dashboard_figures(tree["city"], 2021, TODAY)
    with django_assert_num_queries(0):
        figures_cache.dashboard_figures(tree["city"], 2021, TODAY)
    with mock.patch("recruitment.figures_cache.release", return_value="another"):
        with django_assert_num_queries(11):
            figures_cache.dashboard_figures(tree["city"], 2021, TODAY)


def test_a_unit_moved_shows_under_its_new_parent_even_with_nothing_to_recount(
    tree, django_capture_on_commit_callbacks
):
    from recruitment.models import Organisation
    from tests.factories import add_unit

    with django_capture_on_commit_callbacks(execute=True):
        empty = add_unit(tree["ward3"], "VT-P3-KV9", "Chi bộ trống")
    figures_cache.dashboard_figures(tree["ward1"], 2021, TODAY)  # kept
    with django_capture_on_commit_callbacks(execute=True):
        Organisation.objects.move(
            Organisation.objects.get(pk=empty.pk), tree["ward1"], "last-child"
        )
    rows = figures_cache.dashboard_figures(tree["ward1"], 2021, TODAY).rows
    assert "Chi bộ trống" in [r.unit.name for r in rows]


def test_the_release_changes_with_the_translations(settings, tmp_path):
    """A deploy that changes only the wording is a new release: no panel kept with the
    labels before is read."""
    mo = tmp_path / "vi" / "LC_MESSAGES" / "django.mo"
    mo.parent.mkdir(parents=True)
    mo.write_bytes(b"one wording")
    settings.LOCALE_PATHS = [tmp_path]
    figures_cache.release.cache_clear()
    try:
        before = figures_cache.release()
        mo.write_bytes(b"another wording")
        figures_cache.release.cache_clear()
        assert figures_cache.release() != before
    finally:
        figures_cache.release.cache_clear()


def test_two_databases_behind_one_cache_never_read_each_others_figures():
    """Kept per unit id and year, a dashboard's figures of one database were served for
    another's unit of the same id (the national benchmark showed a demo city's figures
    under the nation's name): the cache's keys name the database."""
    prefixes = [
        settings_process(
            's.CACHES["default"]["KEY_PREFIX"]', drop=("DJANGO_", "DATABASE_"), DATABASE_URL=url
        )
        for url in (
            "postgres://u@db.example:5432/production",
            "postgres://u@db.example:5432/staging",
            "postgres://u@db.example:5432/production",
        )
    ]
    assert all(p.returncode == 0 for p in prefixes), [p.stderr for p in prefixes]
    first, other, again = (p.stdout.strip() for p in prefixes)
    assert first != other and first == again and len(first) > 2


# --- Region versions: a write makes stale the dashboards of its unit's line only ------------


def _kept(unit, year: int = 2021) -> bool:
    """Whether ``unit``'s figures of ``year`` come from the cache (no query)."""
    with CaptureQueriesContext(connection) as queries:
        figures_cache.dashboard_figures(unit, year, TODAY)
    return len(queries) == 0


def test_a_write_in_one_ward_leaves_the_other_wards_and_cities_figures_kept(
    tree, django_capture_on_commit_callbacks
):
    """At national scale someone writes every few seconds: one version for the whole site
    made every dashboard of the country recompute on nearly every request."""
    units = ["province", "city", "ward1", "ward1_cell", "ward3", "ward3_cell", "other_city"]
    for name in units:
        figures_cache.dashboard_figures(tree[name], 2021, TODAY)
    with django_capture_on_commit_callbacks(execute=True):
        CandidateFactory(unit=tree["ward1_cell"], stage=Stage.SOURCE)
    kept = {name: _kept(tree[name]) for name in units}
    # The line of the write: the province, the city, the ward (the district's level, which
    # its cells share) and the cell.
    assert kept == {
        "province": False,
        "city": False,
        "ward1": False,
        "ward1_cell": False,
        "ward3": True,
        "ward3_cell": True,
        "other_city": True,
    }
    shown = figures_cache.dashboard_figures(tree["city"], 2021, TODAY)
    assert shown.rows[0].pipeline == {Stage.SOURCE: 1}


def test_a_candidate_moved_to_another_ward_makes_both_wards_stale(
    tree, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        candidate = CandidateFactory(unit=tree["ward1_cell"], stage=Stage.SOURCE)
    for name in ("ward1", "ward3", "other_city"):
        figures_cache.dashboard_figures(tree[name], 2021, TODAY)
    with django_capture_on_commit_callbacks(execute=True):
        candidate.refresh_from_db()
        candidate.unit = tree["ward3_cell"]
        candidate.save()
    assert not _kept(tree["ward1"])
    assert not _kept(tree["ward3"])
    assert _kept(tree["other_city"])
    assert figures_cache.dashboard_figures(tree["ward3"], 2021, TODAY).rows[0].pipeline == {
        Stage.SOURCE: 1
    }


def test_a_write_below_a_unit_above_the_districts_makes_every_dashboard_stale(
    tree, django_capture_on_commit_callbacks
):
    """A day off of a city moves the deadlines of every ward of it; each ward reads its own
    region's version, so a change over a subtree wider than a district bumps the site's."""
    for name in ("ward1", "ward3", "other_city"):
        figures_cache.dashboard_figures(tree[name], 2021, TODAY)
    with django_capture_on_commit_callbacks(execute=True):
        figures_cache.bump(subtree=tree["ward1"].path)  # a district's level: its region
    assert not _kept(tree["ward1"])
    assert _kept(tree["ward3"])
    with django_capture_on_commit_callbacks(execute=True):
        figures_cache.bump(subtree=tree["city"].path)
    assert not _kept(tree["ward3"])
    assert not _kept(tree["other_city"])


def test_a_quota_set_makes_its_parents_dashboard_stale_not_its_neighbours(
    tree, django_capture_on_commit_callbacks
):
    for name in ("city", "ward3", "other_city"):
        figures_cache.dashboard_figures(tree[name], 2021, TODAY)
    with django_capture_on_commit_callbacks(execute=True):
        QuotaFactory(unit=tree["ward1"], year=2021, target=4)
    rows = figures_cache.dashboard_figures(tree["city"], 2021, TODAY).rows
    assert {row.unit.pk: row.quota for row in rows}[tree["ward1"].pk] == 4
    assert _kept(tree["ward3"])
    assert _kept(tree["other_city"])


def test_the_badge_is_counted_again_after_a_write_in_the_users_ward_only(
    tree,
    organiser,
    other_organiser,
    django_assert_num_queries,
    django_capture_on_commit_callbacks,
):
    from recruitment.reminders import Badge

    assert Badge(organiser).count == 0 and Badge(other_organiser).count == 0
    with django_capture_on_commit_callbacks(execute=True):
        CandidateFactory(unit=tree["ward1_cell"], stage=Stage.SOURCE)
    with django_assert_num_queries(0):
        assert Badge(other_organiser).count == 0  # Ward III: kept
    with django_assert_num_queries(1):
        assert Badge(organiser).count == 1


def test_a_superusers_badge_follows_every_write(
    tree, admin_user, django_capture_on_commit_callbacks
):
    from recruitment.reminders import Badge

    first = Badge(admin_user).count
    with django_capture_on_commit_callbacks(execute=True):
        CandidateFactory(unit=tree["other_cell"], stage=Stage.SOURCE)
    assert Badge(admin_user).count == first + 1


def test_a_candidate_written_makes_stale_the_line_of_the_unit_that_admitted_them(
    tree, django_capture_on_commit_callbacks
):
    """The steering table counts admissions by the admitting unit and day: a decision date
    corrected within its month changes no kept count, and the candidate may now be in
    another region (a transfer, a reorganisation)."""
    with django_capture_on_commit_callbacks(execute=True):
        candidate = CandidateFactory(
            unit=tree["other_cell"],
            admitted_unit=tree["ward1_cell"],
            stage=Stage.ADMITTED,
            decision_on=date(2025, 11, 20),
        )
    figures_cache.dashboard_figures(tree["ward1"], 2025, TODAY)
    figures_cache.dashboard_figures(tree["ward3"], 2025, TODAY)
    with django_capture_on_commit_callbacks(execute=True):
        candidate.refresh_from_db()
        candidate.decision_on = date(2025, 11, 5)
        candidate.save()
    assert not _kept(tree["ward1"], 2025)
    assert _kept(tree["ward3"], 2025)


def test_a_quota_given_to_another_unit_leaves_the_dashboard_of_the_one_it_had(
    tree, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        quota = QuotaFactory(unit=tree["ward1"], year=2021, target=4)
    assert figures_cache.dashboard_figures(tree["ward1"], 2021, TODAY).rows[0].quota == 4
    with django_capture_on_commit_callbacks(execute=True):
        quota.unit = tree["other_ward"]
        quota.save()  # as the admin's change form may
    assert figures_cache.dashboard_figures(tree["ward1"], 2021, TODAY).rows[0].quota is None


def test_the_badge_of_a_superuser_with_a_unit_follows_writes_anywhere(
    tree, admin_user, django_capture_on_commit_callbacks
):
    from recruitment.reminders import Badge

    admin_user.unit = tree["ward1"]
    admin_user.save()
    first = Badge(admin_user).count
    with django_capture_on_commit_callbacks(execute=True):
        CandidateFactory(unit=tree["other_cell"], stage=Stage.SOURCE)
    assert Badge(admin_user).count == first + 1


def test_a_dashboard_seen_again_reads_its_panels_and_fragments_from_the_process(tree, staff_client):
    """Once read back from the shared cache, the figures, the warnings and the page drawn from
    them are kept in the process (``config.cache.ReadOnceCache``): the next views read only
    the versions (and the session and badge) from the shared cache, and draw only the page's
    frame and breadcrumbs."""
    from unittest import mock

    from django.core.cache.backends.locmem import LocMemCache

    url = reverse("recruitment:dashboard") + f"?unit={tree['city'].pk}&year=2021"
    first = staff_client.get(url)
    staff_client.get(url)  # read back from the shared cache: kept in the process
    with mock.patch.object(LocMemCache, "get", autospec=True, side_effect=LocMemCache.get) as read:
        again = staff_client.get(url)
    keys = [call.args[1] for call in read.call_args_list]
    assert keys and not [k for k in keys if k.startswith("template.cache.dashboard_")]
    assert not [
        k for k in keys if k in (first.context["figures_key"], first.context["warnings_key"])
    ]
    drawn_first = {t.name for t in first.templates}
    assert "recruitment/dashboard/_page.html" in drawn_first
    assert {t.name for t in again.templates} == drawn_first - {
        t for t in drawn_first if t.startswith("recruitment/dashboard/_")
    } - {"recruitment/_due_item.html"}

    # The same page, but for what is drawn per request (the CSRF tokens, the time printed).
    def drawn(page):
        text = re.sub(r'value="\w{64}"', "", page.content.decode())
        return re.sub(r'class="print-header">.*</div>', "", text)

    assert drawn(again) == drawn(first)


def test_a_unit_no_reorganisation_links_asks_nothing_about_reorganisations(
    tree, staff, django_assert_num_queries, django_capture_on_commit_callbacks
):
    from recruitment.reorganisation.selectors import continued_paths, lineage, linked_units
    from recruitment.reorganisation.services import apply_reorganisation
    from tests.test_reorganisation import merge_wards

    linked_units()  # kept at the site's version
    with django_assert_num_queries(0):
        assert not lineage(tree["city"], 2021)
        assert continued_paths(tree["city"]) == ([], [])
    with django_capture_on_commit_callbacks(execute=True):
        apply_reorganisation(reorganisation=merge_wards(unit=staff.unit), by=staff)
    new = tree["city"].__class__.objects.get(code="VT-PVT")
    # The reorganisation changed the site's version: the new unit is linked at once.
    assert new.pk in linked_units()
    assert [u.code for u in lineage(new, 2026).predecessors] == ["VT-P1", "VT-P3"]


def test_a_succession_written_alone_links_its_units_at_once(
    tree, staff, django_capture_on_commit_callbacks
):
    """No unit is saved with it: the succession's own save changes the site's version."""
    from recruitment.reorganisation.models import Reorganisation, UnitSuccession
    from recruitment.reorganisation.selectors import linked_units

    assert tree["ward1"].pk not in linked_units()  # kept at the site's version
    reorganisation = Reorganisation.objects.create(
        title="Sáp nhập", effective_on=TODAY, document_reference="1", unit=staff.unit
    )
    with django_capture_on_commit_callbacks(execute=True):
        link = UnitSuccession.objects.create(
            predecessor=tree["ward3"], successor=tree["ward1"], reorganisation=reorganisation
        )
    assert {tree["ward1"].pk, tree["ward3"].pk} <= linked_units()
    with django_capture_on_commit_callbacks(execute=True):
        link.delete()
    assert tree["ward1"].pk not in linked_units()


def test_the_roots_are_kept_and_a_new_root_is_seen_at_once(
    tree, django_assert_num_queries, django_capture_on_commit_callbacks
):
    """Whether a root is the only one (the deadlines of a national dashboard skip the join to
    the units, the candidate list reads its kept counts) is asked once a site version."""
    from recruitment.models import Organisation
    from recruitment.reports.deadlines import candidates_under

    root = tree["province"]
    assert Organisation.objects.root_ids() == {root.pk}
    with django_capture_on_commit_callbacks(execute=True):
        figures_cache.bump()  # a write elsewhere: a day off, a unit renamed below the root
        tree["ward1"].save()
    with django_assert_num_queries(0):
        assert Organisation.objects.root_ids() == {root.pk}
        under = candidates_under(root)
    assert "recruitment_organisation" not in str(under.query)  # the whole table, no join
    with django_capture_on_commit_callbacks(execute=True):
        other = Organisation.objects.add_root({"kind": "province", "name": "Cần Thơ", "code": "CT"})
    assert Organisation.objects.root_ids() == {root.pk, other.pk}
    assert "recruitment_organisation" in str(candidates_under(root).query)
    with django_capture_on_commit_callbacks(execute=True):
        Organisation.objects.move(other, root, "last-child")
    assert Organisation.objects.root_ids() == {root.pk}
    with django_capture_on_commit_callbacks(execute=True):
        Organisation.objects.get(pk=other.pk).delete()
    assert Organisation.objects.root_ids() == {root.pk}


def drew_the_page(response) -> bool:
    """Whether the dashboard drew its page below the breadcrumbs (else it was kept)."""
    return "recruitment/dashboard/_page.html" in {t.name for t in response.templates}


def test_the_kept_dashboard_page_is_drawn_for_each_role_and_query(tree, organiser_client):
    """The page below the breadcrumbs is kept whole, but a staff member's (with the quota
    links) is never served to an organiser of the same unit, nor one order of the units for
    another."""
    from tests.factories import UserFactory

    ward = tree["ward1"]
    ward_staff = UserFactory(username="ward-staff", role="staff", unit=ward)
    staff_client = Client()
    staff_client.force_login(ward_staff)
    url = reverse("recruitment:dashboard") + f"?unit={ward.pk}&year=2021"
    plan = reverse("recruitment:quota-plan")
    for _ in range(3):  # drawn, read back (kept in the process), then served kept
        assert plan in staff_client.get(url).content.decode()
    for _ in range(3):
        page = organiser_client.get(url)
        assert plan not in page.content.decode()
    assert not drew_the_page(page)

    ordered = staff_client.get(f"{url}&sort=pace").content.decode()
    current = re.compile(r'<strong class="ms-2" aria-current="true">([^<]+)</strong>')
    assert current.findall(ordered) == [str(dict(steering.sort_choices())["pace"])]
    tree_order = str(steering.sort_choices()[0][1])
    assert current.findall(staff_client.get(url).content.decode()) == [tree_order]


def test_a_write_in_the_unit_redraws_its_kept_dashboard_page(
    tree, staff_client, django_capture_on_commit_callbacks
):
    url = reverse("recruitment:dashboard") + f"?unit={tree['city'].pk}"
    sources = staff_client.get(url).context["own"].pipeline.get(Stage.SOURCE, 0)
    staff_client.get(url)  # kept from now on
    assert not drew_the_page(staff_client.get(url))
    with django_capture_on_commit_callbacks(execute=True):
        CandidateFactory(unit=tree["ward1_cell"], stage=Stage.SOURCE)
    after = staff_client.get(url)
    assert drew_the_page(after)
    assert after.context["own"].pipeline[Stage.SOURCE] == sources + 1


def test_a_dashboard_page_is_not_kept_from_a_replica_nor_for_other_parameters(tree, staff_client):
    """Drawn from a replica (which may lag behind the versions the key holds), or for a
    query with parameters the page does not read, the page is served but not kept."""
    from unittest import mock

    def pages_kept():
        return len([k for k in figures_cache.cache._cache if "dashboard_page" in k])

    url = reverse("recruitment:dashboard") + f"?unit={tree['city'].pk}&year=2021"
    staff_client.get(url)  # the figures and warnings kept, and this page
    assert pages_kept() == 1
    with mock.patch("recruitment.figures_cache.reading_replica", return_value=True):
        assert staff_client.get(f"{url}&sort=pace").status_code == 200
    assert pages_kept() == 1
    for _ in range(2):
        assert staff_client.get(f"{url}&utm_source=mail").status_code == 200
    assert pages_kept() == 1
    staff_client.get(f"{url}&sort=pace")
    assert pages_kept() == 2
