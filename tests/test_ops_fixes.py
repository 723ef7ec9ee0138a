"""Operations: the environment file loads in a shell, upgrades restart what runs the code,
backups touch only their own files, /readyz asks the replica, old personal data is pruned."""

import fcntl
import json
import os
import re
import shutil
import subprocess
from datetime import datetime, timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.management import CommandError, call_command
from django.db import OperationalError, connections
from django.utils import timezone

from config import health
from recruitment import backups
from recruitment.imports import runner
from recruitment.imports.models import ImportJob
from scripts import restore_drill
from tests.imports_helpers import candidate_rows, csv_bytes, make_job

DEPLOY = settings.BASE_DIR / "deploy"
DOCS = settings.BASE_DIR / "docs"
ENV_EXAMPLE = DEPLOY / "recruitment.env.example"


# The environment file ------------------------------------------------------------------------


@pytest.mark.parametrize("shell", ["sh", "bash"])
def test_the_environment_example_loads_in_a_shell_as_the_docs_load_it(shell):
    # docs/deploy.md: `set -a && . ./.env` (dash, for cron; bash by hand).
    if not shutil.which(shell):
        pytest.fail(f"{shell} is not installed")
    loaded = subprocess.run(
        [shell, "-c", f"set -a && . ./{ENV_EXAMPLE.name} && env"],
        cwd=DEPLOY,
        env={"PATH": os.environ["PATH"]},
        capture_output=True,
        encoding="utf-8",
    )
    assert loaded.returncode == 0, loaded.stderr
    environment = dict(line.split("=", 1) for line in loaded.stdout.splitlines() if "=" in line)
    assert environment["DEFAULT_FROM_EMAIL"] == "Ban Tổ chức <ketnap@example.gov.vn>"
    assert environment["BACKUP_DIR"] == "/var/backups/recruitment"  # a line after it
    assert environment["BACKUP_KEEP"] == "14"


def test_every_line_of_the_environment_example_means_the_same_to_sh_and_systemd():
    # systemd's EnvironmentFile strips one pair of double quotes and expands nothing; sh
    # splits on spaces and reads < > ; & | $ ` \ ' as its own. Plain words, or double quotes
    # around nothing that sh would expand, mean the same to both.
    plain = r'[A-Za-z0-9_./:@,+=%-]*|"[^"$`\\]*"'
    for number, line in enumerate(ENV_EXAMPLE.read_text().splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        assert re.fullmatch(rf"[A-Z_][A-Z0-9_]*=(?:{plain})", line), f"line {number}: {line}"


# Upgrades -------------------------------------------------------------------------------------


def section(text: str, heading: str) -> str:
    return text.split(f"\n{heading}\n", 1)[1].split("\n## ", 1)[0]


def test_the_upgrade_restarts_the_app_and_the_worker_and_advises_no_reload():
    deploy = (DOCS / "deploy.md").read_text()
    upgrades = section(deploy, "## Upgrades")
    restarted = set()
    for units in re.findall(r"systemctl restart ([\w. -]+)", upgrades):
        restarted.update(units.split())
    assert {"recruitment", "recruitment-worker"} <= restarted
    # With preload_app the master keeps the code it loaded: a HUP forks workers of it.
    assert "systemctl reload recruitment" not in deploy
    unit = (DEPLOY / "systemd" / "recruitment.service").read_text()
    assert "systemctl reload recruitment" not in unit
    assert "systemctl restart recruitment" in unit


def test_the_setup_enables_every_timer():
    deploy = (DOCS / "deploy.md").read_text()
    [enable] = re.findall(r"^systemctl enable --now (.+)$", deploy, re.MULTILINE)
    unit = (DEPLOY / "systemd" / "recruitment.service").read_text()
    [unit_enable] = re.findall(r"systemctl enable --now (.+)$", unit, re.MULTILINE)
    for timer in (DEPLOY / "systemd").glob("*.timer"):
        assert timer.name in enable.split(), timer.name
        assert timer.name in unit_enable.split(), timer.name
    assert "recruitment-worker" in enable.split()


def test_the_backup_unit_and_the_setup_make_the_backup_directory():
    make = "install -d -o recruitment -g recruitment -m 0700 /var/backups/recruitment"
    unit = (DEPLOY / "systemd" / "recruitment-backup.service").read_text()
    assert f"ExecStartPre=+/usr/bin/{make}\n" in unit  # "+": as root, User= notwithstanding
    assert "User=recruitment" in unit
    assert "BACKUP_DIR=/var/backups/recruitment" in ENV_EXAMPLE.read_text()
    assert make in section((DOCS / "deploy.md").read_text(), "## One server")


def test_the_cleanup_runs_every_day_like_the_other_scheduled_commands():
    service = (DEPLOY / "systemd" / "recruitment-cleanup.service").read_text()
    assert "ExecStart=/srv/recruitment/.venv/bin/python manage.py cleanup\n" in service
    assert "EnvironmentFile=/srv/recruitment/.env" in service
    assert "User=recruitment" in service
    timer = (DEPLOY / "systemd" / "recruitment-cleanup.timer").read_text()
    assert re.search(r"^OnCalendar=\*-\*-\* \d\d:\d\d ", timer, re.MULTILINE)
    assert "manage.py cleanup" in (settings.BASE_DIR / "README.md").read_text()


# Backups -------------------------------------------------------------------------------------


def at(hour):
    return timezone.make_aware(datetime(2026, 11, 27, hour, 30))


def hand_kept(directory: Path, name="recruitment-before-upgrade.dump") -> Path:
    """A dump an operator made by hand, checksum and all, in the backup directory."""
    dump = directory / name
    dump.write_text("kept by hand")
    backups.checksum_path(dump).write_text(f"{backups.sha256_of(dump)}  {dump.name}\n")
    return dump


def test_a_hand_kept_dump_is_neither_rotated_nor_taken_for_the_newest(tmp_path, fake_pg):
    mine = hand_kept(tmp_path)
    first = backups.backup(directory=tmp_path, keep=1, now=at(1))
    second = backups.backup(directory=tmp_path, keep=1, now=at(2))
    assert second.exists() and not first.exists()
    assert backups.backups(tmp_path) == [second]
    assert mine.exists() and backups.checksum_path(mine).exists()


def test_the_drill_restores_the_backup_it_just_made_not_a_hand_kept_dump(tmp_path, monkeypatch):
    hand_kept(tmp_path)
    commands = []

    def run(command, url, **kwargs):
        commands.append(command)
        if command[-2:] == ["backup", f"--dir={tmp_path}"]:
            dump = tmp_path / "recruitment-20261127-013000.dump"
            dump.write_text("tonight")
            backups.checksum_path(dump).write_text(f"{backups.sha256_of(dump)}  {dump.name}\n")
        figures = {"counts": {"t": 1}, "dashboard": {}}
        return subprocess.CompletedProcess(command, 0, json.dumps(figures), "")

    monkeypatch.setattr(restore_drill, "run", run)
    assert restore_drill.drill("postgres://127.0.0.1/source", tmp_path, False, False) == 0
    [restore] = [c for c in commands if c[0] == "pg_restore"]
    assert restore[-1] == str(tmp_path / "recruitment-20261127-013000.dump")


@pytest.mark.parametrize("content", ["", "\n", "garbled\n"])
def test_an_unreadable_checksum_file_is_a_backup_error(tmp_path, content):
    dump = tmp_path / "recruitment-20261127-013000.dump"
    dump.write_text("dump")
    backups.checksum_path(dump).write_text(content)
    with pytest.raises(backups.BackupError, match="checksum file .* unreadable"):
        backups.verify(dump)


def test_a_second_backup_at_once_is_refused_and_leaves_the_first_runs_file(tmp_path, fake_pg):
    writing = tmp_path / "recruitment-20261127-013000.dump.partial"  # the first run's
    writing.write_text("half")
    held = os.open(tmp_path, os.O_RDONLY)
    try:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)  # as the first run holds it
        with pytest.raises(backups.BackupError, match="Another backup is running"):
            backups.backup(directory=tmp_path, keep=1, now=at(1))
        assert writing.exists()
    finally:
        os.close(held)
    # Once it is over, the next run deletes what a killed run left and backs up.
    assert backups.backup(directory=tmp_path, keep=1, now=at(2)).exists()
    assert not writing.exists()


def test_a_missing_pg_dump_is_a_clear_error_not_a_traceback(tmp_path, monkeypatch):
    def run(command, **kwargs):
        raise FileNotFoundError(2, "No such file or directory", command[0])

    monkeypatch.setattr(backups.subprocess, "run", run)
    monkeypatch.setattr(backups.connections["default"], "vendor", "postgresql")
    with pytest.raises(CommandError, match="pg_dump could not be started.*PATH"):
        call_command("backup", f"--dir={tmp_path}")
    assert list(tmp_path.iterdir()) == []


def test_a_backup_directory_that_cannot_be_made_is_a_clear_error(tmp_path, fake_pg):
    (tmp_path / "a-file").write_text("")
    with pytest.raises(CommandError, match="Cannot create the backup directory"):
        call_command("backup", f"--dir={tmp_path / 'a-file' / 'backups'}")


# /readyz and the replica ----------------------------------------------------------------------


class _Unreachable:
    def cursor(self):
        raise OperationalError("connection refused")


@pytest.fixture
def replica_down(monkeypatch):
    # raising=False: the checks must fail on what /readyz answers, whatever it imports.
    monkeypatch.setattr(health, "replica_configured", lambda: True, raising=False)
    databases = {"default": connections["default"], "replica": _Unreachable()}
    monkeypatch.setattr(health, "connections", databases, raising=False)


@pytest.mark.django_db
def test_readyz_is_503_and_says_so_while_the_replica_is_unreachable(client, replica_down):
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.content == b"replica unavailable\n"


@pytest.mark.django_db
def test_readyz_asks_the_replica_too_when_there_is_one(client, monkeypatch):
    asked = []

    class Replica:
        def cursor(self):
            asked.append("replica")
            return connections["default"].cursor()

    monkeypatch.setattr(health, "replica_configured", lambda: True, raising=False)
    databases = {"default": connections["default"], "replica": Replica()}
    monkeypatch.setattr(health, "connections", databases, raising=False)
    response = client.get("/readyz")
    assert response.status_code == 200
    assert asked == ["replica"]


# Cleanup of old personal data ----------------------------------------------------------------


def _aged(job: ImportJob, *, created_days: int, finished_days: int | None) -> ImportJob:
    now = timezone.now()
    ImportJob.objects.filter(pk=job.pk).update(
        created_at=now - timedelta(days=created_days),
        finished_at=None if finished_days is None else now - timedelta(days=finished_days),
    )
    return job


@pytest.mark.django_db
def test_cleanup_drops_the_file_of_imports_untouched_for_thirty_days_and_keeps_the_row(
    organiser,
):
    user = organiser
    content = csv_bytes(candidate_rows("P1"))
    Status = ImportJob.Status
    old = {
        status: _aged(
            make_job(user, content, status=status, counts={"new": 2}),
            created_days=45,
            finished_days=31,
        )
        for status in (Status.CHECKED, Status.NOT_WRITTEN, Status.FAILED, Status.DONE)
    }
    checked = {"status": Status.CHECKED}
    previewed_again = _aged(make_job(user, content, **checked), created_days=45, finished_days=29)
    recent = _aged(make_job(user, content), created_days=0, finished_days=None)
    out = StringIO()
    call_command("cleanup", stdout=out)
    for job in old.values():
        job.refresh_from_db()
        assert bytes(job.content) == b""
        assert (job.file_name, job.size, job.counts) == ("ds.csv", len(content), {"new": 2})
    for job in (previewed_again, recent):
        job.refresh_from_db()
        assert bytes(job.content) == content
    assert "4 import file(s)" in out.getvalue()
    out = StringIO()
    call_command("cleanup", "--days=1", stdout=out)
    previewed_again.refresh_from_db()
    assert bytes(previewed_again.content) == b""
    assert "1 import file(s)" in out.getvalue()


@pytest.mark.django_db
@pytest.mark.parametrize("days", [30, 1])
def test_cleanup_keeps_the_file_of_an_import_the_worker_has_still_to_check_or_write(
    organiser, days
):
    """Previewed 31 days ago and queued to be written (or being checked or written): the
    worker still reads the file, however old its last check."""
    content = csv_bytes(candidate_rows("P1"))
    Status = ImportJob.Status
    pending = [
        _aged(make_job(organiser, content, status=status), created_days=45, finished_days=31)
        for status in (Status.QUEUED, Status.CHECKING, Status.COMMIT_QUEUED, Status.COMMITTING)
    ]
    never_finished = _aged(
        make_job(organiser, content, status=Status.QUEUED), created_days=45, finished_days=None
    )
    out = StringIO()
    call_command("cleanup", f"--days={days}", stdout=out)
    for job in [*pending, never_finished]:
        job.refresh_from_db()
        assert bytes(job.content) == content, job.status
    assert "0 import file(s)" in out.getvalue()


def test_the_worker_is_given_time_to_finish_the_import_in_hand_when_stopped():
    unit = (DEPLOY / "systemd" / "recruitment-worker.service").read_text()
    [timeout] = re.findall(r"^TimeoutStopSec=(\d+)min$", unit, re.MULTILINE)
    assert int(timeout) >= 10
    upgrades = section((DOCS / "deploy.md").read_text(), "## Upgrades")
    assert f"up to {timeout} minutes" in upgrades


@pytest.mark.django_db
def test_cleanup_deletes_expired_sessions():
    now = timezone.now()
    Session.objects.create(session_key="old", session_data="", expire_date=now - timedelta(1))
    Session.objects.create(session_key="live", session_data="", expire_date=now + timedelta(1))
    out = StringIO()
    call_command("cleanup", stdout=out)
    assert list(Session.objects.values_list("session_key", flat=True)) == ["live"]
    assert "1 expired session(s)" in out.getvalue()


@pytest.mark.django_db
def test_cleanup_prunes_finished_task_results_of_the_database_backend(settings):
    from django_tasks_db.models import DBTaskResult

    from recruitment.imports import tasks

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    old, recent, waiting = (tasks.check_import.enqueue(job_id=n) for n in (1, 2, 3))
    now = timezone.now()
    DBTaskResult.objects.filter(id__in=[old.id, recent.id]).update(
        status="SUCCESSFUL", finished_at=now - timedelta(days=2)
    )
    DBTaskResult.objects.filter(id=old.id).update(finished_at=now - timedelta(days=31))
    out = StringIO()
    call_command("cleanup", stdout=out)
    left = {str(pk) for pk in DBTaskResult.objects.values_list("id", flat=True)}
    assert left == {str(recent.id), str(waiting.id)}
    assert "1 finished task result(s)" in out.getvalue()


@pytest.mark.django_db
def test_cleanup_says_it_prunes_no_task_results_when_the_backend_keeps_none():
    out = StringIO()
    call_command("cleanup", stdout=out)  # the tests' backend runs tasks at once
    assert "keeps no task results" in out.getvalue()


@pytest.mark.django_db
def test_writing_an_import_whose_file_was_cleaned_up_is_refused_with_the_reason(organiser):
    content = csv_bytes(candidate_rows("P1"))
    job = make_job(organiser, content, status=ImportJob.Status.CHECKED, language="en")
    ImportJob.objects.filter(pk=job.pk).update(content=b"")
    job.refresh_from_db()
    runner.commit(job)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.REFUSED
    english = job.refusal
    assert "no longer kept" in english
    job.language = "vi"  # every refusal is in the uploader's language
    runner.commit(job)
    job.refresh_from_db()
    assert job.refusal and job.refusal != english
