"""manage.py backup (recruitment/backups.py): a checksum beside each dump, the newest kept,
nothing half-written; the restore drill's comparison (scripts/restore_drill.py)."""

import subprocess
from datetime import datetime
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from recruitment import backups
from scripts.restore_drill import differences


def at(hour):
    return timezone.make_aware(datetime(2026, 11, 27, hour, 30))


def test_a_backup_is_a_custom_format_dump_with_its_checksum(tmp_path, fake_pg):
    dump = backups.backup(directory=tmp_path, keep=3, now=at(1))
    assert dump.name == "recruitment-20261127-013000.dump"
    assert "--format=custom" in fake_pg[0]
    assert fake_pg[1][:2] == ["pg_restore", "--list"]
    checksum = (tmp_path / f"{dump.name}.sha256").read_text()
    assert checksum == f"{backups.sha256_of(dump)}  {dump.name}\n"
    backups.verify(dump)


def test_only_the_newest_backups_are_kept(tmp_path, fake_pg):
    for hour in range(1, 6):
        backups.backup(directory=tmp_path, keep=2, now=at(hour))
    assert [p.name for p in backups.backups(tmp_path)] == [
        "recruitment-20261127-043000.dump",
        "recruitment-20261127-053000.dump",
    ]
    assert len(list(tmp_path.iterdir())) == 4


def test_a_changed_backup_fails_its_checksum(tmp_path, fake_pg):
    dump = backups.backup(directory=tmp_path, keep=1, now=at(1))
    dump.write_bytes(dump.read_bytes() + b"x")
    with pytest.raises(backups.BackupError, match="does not match its checksum"):
        backups.verify(dump)


def test_a_failed_dump_leaves_nothing_behind(tmp_path, monkeypatch):
    def fail(command, **kwargs):
        Path(tmp_path / "recruitment-20261127-013000.dump.partial").write_text("half")
        raise subprocess.CalledProcessError(1, command, "", "connection refused")

    monkeypatch.setattr(backups.subprocess, "run", fail)
    monkeypatch.setattr(backups.connections["default"], "vendor", "postgresql")
    with pytest.raises(backups.BackupError, match="pg_dump failed: connection refused"):
        backups.backup(directory=tmp_path, keep=1, now=at(1))
    assert list(tmp_path.iterdir()) == []


def test_the_command_refuses_sqlite_clearly(tmp_path, monkeypatch):
    monkeypatch.setattr(backups.connections["default"], "vendor", "sqlite")
    with pytest.raises(CommandError, match="Backups need PostgreSQL"):
        call_command("backup", f"--dir={tmp_path}")


def test_the_drill_reports_a_lost_row_and_a_changed_figure():
    source = {"counts": {"a": 3, "b": 1}, "dashboard": {"HG 2026": {"units": [["HG", 5, 2]]}}}
    restored = {"counts": {"a": 2, "b": 1}, "dashboard": {"HG 2026": {"units": [["HG", 5, 1]]}}}
    assert differences(source, source) == []
    assert differences(source, restored) == [
        "table a: 3 rows in the source, 2 restored",
        "dashboard HG 2026: the figures differ",
    ]


def test_backups_are_readable_by_their_owner_only_and_a_killed_runs_file_goes(tmp_path, fake_pg):
    directory = tmp_path / "new"
    directory.mkdir(mode=0o700)
    left = directory / "recruitment-20261126-013000.dump.partial"  # pg_dump killed last night
    left.write_text("half")
    dump = backups.backup(directory=directory, keep=3, now=at(1))
    assert dump.stat().st_mode & 0o077 == 0  # no one but the service's user
    assert not left.exists()
    fresh = backups.backup(directory=tmp_path / "made", keep=3, now=at(2))
    assert fresh.parent.stat().st_mode & 0o077 == 0
