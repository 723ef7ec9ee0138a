"""Login lockout, sessions, production settings, CSP, roles as groups, masked IDs, audit."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from accounts.models import User
from recruitment import pipeline
from recruitment.models import Candidate, Stage, StageChange
from tests.factories import CandidateFactory, UserFactory, ready_for

pytestmark = pytest.mark.django_db
BASE_DIR = Path(settings.BASE_DIR)


# --- login lockout ---------------------------------------------------------------------------


def attempt(client, username, password):
    return client.post(reverse("accounts:login"), {"username": username, "password": password})


def test_repeated_failed_logins_lock_the_account_from_that_address(organiser):
    client = Client(REMOTE_ADDR="10.1.1.1")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert attempt(client, "alice", "wrong").status_code == 200
    locked = attempt(client, "alice", "wrong")
    assert locked.status_code == 429
    assert "Tạm khóa đăng nhập" in locked.text
    # Even the right password is refused while locked.
    assert attempt(client, "alice", "pw").status_code == 429
    assert "_auth_user_id" not in client.session


def test_lockout_message_in_english(organiser):
    client = Client(REMOTE_ADDR="10.1.1.2")
    client.cookies["django_language"] = "en"
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = attempt(client, "alice", "wrong")
    assert "Too many failed sign-ins" in response.text


def test_lockout_is_per_user_and_address(organiser, other_organiser):
    client = Client(REMOTE_ADDR="10.1.1.3")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, "alice", "wrong")
    # Another user from the same address, and the same user elsewhere, may still sign in.
    assert attempt(client, "bob", "pw").status_code == 302
    assert attempt(Client(REMOTE_ADDR="10.9.9.9"), "alice", "pw").status_code == 302


def test_an_admin_can_unlock(organiser):
    from axes.models import AccessAttempt
    from django.core.management import call_command

    client = Client(REMOTE_ADDR="10.1.1.4")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, "alice", "wrong")
    assert AccessAttempt.objects.filter(username="alice").exists()
    call_command("axes_reset_username", "alice")
    assert attempt(client, "alice", "pw").status_code == 302


def test_sessions_expire_after_idle_time():
    # Written again at most every five minutes (tests/test_sessions.py), not on every page.
    assert settings.SESSION_COOKIE_AGE == 8 * 60 * 60
    assert settings.SESSION_REFRESH_SECONDS == 5 * 60


def test_password_validators_are_on():
    names = [v["NAME"].rsplit(".", 1)[-1] for v in settings.AUTH_PASSWORD_VALIDATORS]
    assert "MinimumLengthValidator" in names and "CommonPasswordValidator" in names


# --- production settings ---------------------------------------------------------------------


def run_manage(*args, **env):
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE"))}
    environment.update(env)
    environment["DJANGO_SETTINGS_MODULE"] = "config.settings"
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_production_settings():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="x" * 20 + "production-secret-key-for-the-check-only-" + "y" * 20,
        DJANGO_ALLOWED_HOSTS="kết-nạp.example.org",
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_missing_secret_key_with_debug_off_stops_the_server():
    result = run_manage("check", DJANGO_DEBUG="0")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_a_bad_boolean_is_a_clear_startup_error():
    result = run_manage("check", DJANGO_DEBUG="maybe")
    assert result.returncode != 0
    assert "DJANGO_DEBUG='maybe' is not a boolean" in result.stderr


def test_pages_carry_a_strict_content_security_policy(organiser_client):
    response = organiser_client.get(reverse("recruitment:candidate-list"))
    policy = response.headers["Content-Security-Policy"]
    assert (
        "script-src 'self'" in policy
        and "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    )
    assert "frame-ancestors 'none'" in policy
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_no_template_has_an_inline_script_or_an_external_resource():
    for template in (BASE_DIR / "templates").rglob("*.html"):
        text = template.read_text(encoding="utf-8")
        for line in text.splitlines():
            if "<script" in line:
                assert "src=" in line, f"inline script in {template}"
        assert "http://" not in text.replace("http://127.0.0.1", "")
        assert "https://" not in text, f"external resource in {template}"
        assert " onclick=" not in text and " onchange=" not in text and " onsubmit=" not in text


# --- roles as groups ---------------------------------------------------------------------------


def test_role_decides_the_groups(tree):
    user = UserFactory(unit=tree["ward1"], role=User.Role.ORGANISER)
    assert list(user.groups.values_list("name", flat=True)) == ["organiser"]
    assert not user.is_staff and not user.has_perm("recruitment.change_quota")
    assert user.has_perm("recruitment.change_candidate")
    user.role = User.Role.STAFF
    user.save()
    user = User.objects.get(pk=user.pk)
    assert list(user.groups.values_list("name", flat=True)) == ["staff"]
    assert user.is_staff and user.has_perm("recruitment.change_quota")
    assert not user.has_perm("accounts.change_user")


def test_the_migrated_groups_grant_what_the_roles_say(db):
    """Each change to ``accounts.roles`` comes with a migration that grants it."""
    from django.contrib.auth.models import Group

    from accounts.roles import GROUP_PERMISSIONS

    for name, permissions in GROUP_PERMISSIONS.items():
        granted = Group.objects.get(name=name).permissions.select_related("content_type")
        assert sorted(f"{p.content_type.app_label}.{p.codename}" for p in granted) == sorted(
            permissions
        ), name


def test_staff_see_transfers_in_the_admin_but_do_not_record_them_there(tree):
    staff = UserFactory(unit=tree["city"], role=User.Role.STAFF)
    assert staff.has_perm("recruitment.view_transfer")
    assert not staff.has_perm("recruitment.add_transfer")
    assert not staff.has_perm("recruitment.change_transfer")


# --- masked citizen IDs ------------------------------------------------------------------------


def test_citizen_id_is_masked_for_organisers_and_shown_to_staff(
    tree, organiser_client, staff_client
):
    candidate = CandidateFactory(unit=tree["ward1_cell"], citizen_id="093095000301")
    for url in [reverse("recruitment:candidate-list"), candidate.get_absolute_url()]:
        organiser_page = organiser_client.get(url).text
        assert "093095000301" not in organiser_page and "0301" in organiser_page
        assert "093095000301" in staff_client.get(url).text


def test_history_masks_the_citizen_id_for_organisers(tree, organiser, organiser_client):
    candidate = CandidateFactory(unit=tree["ward1_cell"], citizen_id="093095000301")
    candidate.citizen_id = "093095000999"
    candidate.save()
    page = organiser_client.get(reverse("recruitment:candidate-history", args=[candidate.pk])).text
    assert "093095000301" not in page and "093095000999" not in page
    assert "0999" in page


def test_history_masks_the_old_id_number_for_organisers(tree, organiser, organiser_client):
    candidate = CandidateFactory(unit=tree["ward1_cell"], old_id_number="381234567")
    candidate.old_id_number = "381234999"
    candidate.save()
    page = organiser_client.get(reverse("recruitment:candidate-history", args=[candidate.pk])).text
    assert "381234567" not in page and "381234999" not in page
    assert "4999" in page


# --- audit -------------------------------------------------------------------------------------


def test_history_tab_shows_an_edit_made_in_the_browser(tree, organiser, organiser_client):
    candidate = CandidateFactory(unit=tree["ward1_cell"], full_name="Lê Văn Cũ", phone="0901")
    organiser_client.cookies["django_language"] = "en"
    data = {
        "full_name": "Lê Văn Mới",
        "date_of_birth": "20/05/1995",
        "gender": "male",
        "ethnicity": "Kinh",
        "unit": tree["ward1_cell"].pk,
        "source": "association",
        "education": "upper_secondary",
        "phone": "0902",
    }
    response = organiser_client.post(
        reverse("recruitment:candidate-edit", args=[candidate.pk]), data
    )
    assert response.status_code == 302
    page = organiser_client.get(reverse("recruitment:candidate-history", args=[candidate.pk]))
    text = page.text
    assert "Lê Văn Cũ" in text and "Lê Văn Mới" in text
    assert "0901" in text and "0902" in text
    assert organiser.username in text  # who
    latest = candidate.history.first()
    assert latest.history_user == organiser


def test_stage_changes_and_history_agree(tree, organiser):
    candidate = ready_for(Stage.TRAINING, tree["ward1_cell"])
    pipeline.move(candidate, Stage.TRAINING, by=organiser)
    pipeline.move(candidate, Stage.SOURCE, by=organiser, reason="Chưa đủ điều kiện")
    moves = [(c.from_stage, c.to_stage) for c in StageChange.objects.filter(candidate=candidate)]
    stages = [h.stage for h in candidate.history.order_by("history_date", "history_id")]
    transitions = [(a, b) for a, b in zip(stages, stages[1:], strict=False) if a != b]
    assert transitions == moves == [(Stage.SOURCE, Stage.TRAINING), (Stage.TRAINING, Stage.SOURCE)]


def test_history_page_query_count_does_not_grow(
    tree, organiser_client, django_assert_max_num_queries
):
    candidate = CandidateFactory(unit=tree["ward1_cell"])
    url = reverse("recruitment:candidate-history", args=[candidate.pk])
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        organiser_client.get(url)
    for n in range(20):
        candidate.phone = f"09{n:08d}"
        candidate.save()
    with CaptureQueriesContext(connection) as many:
        organiser_client.get(url)
    assert len(many) == len(few)


# --- tampered requests ----------------------------------------------------------------------


def test_a_huge_page_number_shows_the_last_page(tree, organiser_client):
    CandidateFactory(unit=tree["ward1_cell"], full_name="Người duy nhất")
    response = organiser_client.get(reverse("recruitment:candidate-list"), {"page": "9" * 30})
    assert response.status_code == 200 and "Người duy nhất" in response.text


def test_an_over_long_search_is_refused_with_a_message(tree, organiser_client):
    CandidateFactory(unit=tree["ward1_cell"], full_name="Người duy nhất")
    organiser_client.cookies["django_language"] = "en"
    response = organiser_client.get(reverse("recruitment:candidate-list"), {"q": "a" * 5000})
    assert response.status_code == 200
    assert "at most 100 characters" in response.text


def test_a_stage_that_does_not_exist_is_404_and_changes_nothing(tree, organiser_client):
    candidate = CandidateFactory(unit=tree["ward1_cell"])
    url = f"/candidates/{candidate.pk}/move/promoted/"
    assert organiser_client.post(url, {"reason": "x"}).status_code == 404
    assert Candidate.objects.get().stage == Stage.SOURCE


def test_another_units_id_in_a_post_is_refused(tree, organiser_client):
    candidate = CandidateFactory(unit=tree["ward1_cell"])
    data = {
        "full_name": "Đổi đơn vị",
        "date_of_birth": "20/05/1995",
        "gender": "male",
        "ethnicity": "Kinh",
        "unit": tree["other_cell"].pk,
        "source": "association",
        "education": "upper_secondary",
    }
    response = organiser_client.post(
        reverse("recruitment:candidate-edit", args=[candidate.pk]), data
    )
    assert response.status_code == 200 and "unit" in response.context["form"].errors
    assert Candidate.objects.get().unit == tree["ward1_cell"]


def test_a_forged_object_id_in_an_admin_url_leads_nowhere(tree, staff, other_staff):
    candidate = CandidateFactory(unit=tree["ward1_cell"], full_name="Bí mật")
    client = Client()
    client.force_login(other_staff)
    url = reverse("admin:recruitment_candidate_change", args=[candidate.pk])
    response = client.get(url, follow=True)
    assert "Bí mật" not in response.text
    assert response.redirect_chain[-1][0] == reverse("admin:index")
    forged = client.get(
        reverse("admin:recruitment_candidate_change", args=["1 OR 1=1"]), follow=True
    )
    assert forged.status_code == 200 and "Bí mật" not in forged.text


def test_staff_admin_lists_only_their_subtree(tree, staff, other_staff):
    CandidateFactory(unit=tree["ward1_cell"], full_name="Ở Vị Thanh")
    CandidateFactory(unit=tree["other_cell"], full_name="Ở Ngã Bảy")
    client = Client()
    client.force_login(staff)
    page = client.get(reverse("admin:recruitment_candidate_changelist")).text
    assert "Ở Vị Thanh" in page and "Ở Ngã Bảy" not in page
    autocomplete = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "recruitment", "model_name": "candidate", "field_name": "unit", "term": ""},
    ).json()
    names = {row["text"] for row in autocomplete["results"]}
    assert tree["ward1_cell"].name in names and tree["other_cell"].name not in names


def test_staff_admin_refuses_a_unit_outside_the_subtree(tree, staff):
    client = Client()
    client.force_login(staff)
    response = client.post(
        reverse("admin:recruitment_quota_add"),
        {"unit": tree["other_city"].pk, "year": 2022, "target": 3},
    )
    assert response.status_code == 200
    assert "unit" in response.context["adminform"].form.errors


@pytest.mark.parametrize("target", ["abc", "1e3", "-1", "2.5", "9" * 30])
def test_a_bad_quota_is_refused_and_saves_nothing(tree, staff_client, target):
    from recruitment.models import Quota

    data = {
        "form-TOTAL_FORMS": 2,
        "form-INITIAL_FORMS": 2,
        "form-0-unit": tree["ward1"].pk,
        "form-0-target": target,
        "form-1-unit": tree["ward3"].pk,
        "form-1-target": 2,
    }
    response = staff_client.post(reverse("recruitment:quota-list") + "?year=2021", data)
    assert response.status_code == 200
    assert response.context["formset"].forms[0].errors
    assert not Quota.objects.exists()


@pytest.mark.parametrize(
    "query", ["year=abc", "year=99999", "unit=abc", "unit=999999", "format=exe"]
)
def test_a_tampered_dashboard_query_is_refused(tree, staff_client, query):
    response = staff_client.get(reverse("recruitment:dashboard") + "?" + query)
    assert response.status_code in (400, 404)


@pytest.mark.parametrize("votes", ["9" * 30, "-3", "x"])
def test_absurd_votes_are_refused_and_save_nothing(tree, organiser_client, votes):
    candidate = ready_for(Stage.PROPOSED, tree["ward1_cell"])
    url = reverse("recruitment:candidate-move", args=[candidate.pk, Stage.PROPOSED])
    data = {"cell_resolution_on": "01/04/2026", "votes_for": votes, "votes_total": votes}
    response = organiser_client.post(url, data)
    assert response.status_code == 200
    assert response.context["form"].errors
    assert Candidate.objects.get(pk=candidate.pk).stage == Stage.DOSSIER


@pytest.mark.parametrize(
    ("override", "bad"),
    [
        ({"MIN_EDUCATION": "phd"}, "MIN_EDUCATION"),
        ({"VOTE_SHARE_DENOMINATOR": 0}, "VOTE_SHARE_DENOMINATOR"),
        ({"VOTE_SHARE_NUMERATOR": 4}, "VOTE_SHARE_NUMERATOR"),
        ({"CERTIFICATE_VALID_YEARS": -1}, "CERTIFICATE_VALID_YEARS"),
        ({"MIN_AGE_YEARS": 61}, "MIN_AGE_YEARS"),
    ],
)
def test_a_wrong_pipeline_setting_fails_the_system_check(override, bad):
    from django.test import override_settings

    from recruitment.checks import check_pipeline_settings

    assert check_pipeline_settings() == []
    with override_settings(RECRUITMENT={**settings.RECRUITMENT, **override}):
        errors = check_pipeline_settings()
    assert [e.id for e in errors] == ["recruitment.E001"] * len(errors) and errors
    assert any(bad in e.msg for e in errors)


def test_a_wrong_pipeline_setting_stops_manage_py():
    result = run_manage("check", DJANGO_DEBUG="1", RECRUITMENT_MIN_EDUCATION="phd")
    assert result.returncode != 0
    assert "RECRUITMENT['MIN_EDUCATION']" in result.stderr
