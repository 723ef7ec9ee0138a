"""Backups of the PostgreSQL database: ``pg_dump -Fc`` files with a SHA-256 checksum beside
each, the newest ``keep`` kept (``manage.py backup``, ``make restore-drill``; docs/deploy.md).

A backup is written under a temporary name and renamed once complete and readable
(``pg_restore --list``), so a half-written file is never taken for the newest backup. The
checksum file is in ``sha256sum`` format: ``sha256sum -c`` checks a copy kept elsewhere.
"""

import hashlib
import os
import subprocess
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.db import connections
from django.utils import timezone

PREFIX = "recruitment-"
SUFFIX = ".dump"


class BackupError(Exception):
    pass


def pg_environment(alias: str = "default") -> tuple[list[str], dict[str, str]]:
    """libpq options and environment (the password) for the database ``alias``."""
    db = settings.DATABASES[alias]
    if connections[alias].vendor != "postgresql":
        raise BackupError(
            f"Backups need PostgreSQL; the database is {connections[alias].vendor} "
            "(set DATABASE_URL)."
        )
    options = []
    for flag, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if db.get(key):
            options.append(f"{flag}={db[key]}")
    environment = dict(os.environ)
    if db.get("PASSWORD"):
        environment["PGPASSWORD"] = str(db["PASSWORD"])
    return options, environment


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def checksum_path(dump: Path) -> Path:
    return dump.with_name(dump.name + ".sha256")


def backups(directory: Path) -> list[Path]:
    """The complete backups in ``directory``, oldest first (their names hold the time)."""
    return sorted(p for p in directory.glob(f"{PREFIX}*{SUFFIX}") if checksum_path(p).exists())


def verify(dump: Path) -> None:
    """Raise BackupError unless ``dump`` matches its checksum file."""
    recorded = checksum_path(dump).read_text().split()[0]
    if sha256_of(dump) != recorded:
        raise BackupError(f"{dump.name} does not match its checksum: do not restore it.")


def backup(*, directory: Path, keep: int, now: datetime | None = None) -> Path:
    """Write a new backup into ``directory``, then delete all but the newest ``keep``."""
    if keep < 1:
        raise BackupError("keep must be at least 1.")
    # Citizen IDs and password hashes: readable by the service's user only.
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    for left in directory.glob(f"{PREFIX}*{SUFFIX}.partial"):  # of a run that was killed
        left.unlink()
    stamp = timezone.localtime(now).strftime("%Y%m%d-%H%M%S")
    dump = directory / f"{PREFIX}{stamp}{SUFFIX}"
    partial = dump.with_name(dump.name + ".partial")
    partial.touch(mode=0o600)  # pg_dump writes into it, keeping its mode
    options, environment = pg_environment()
    name = settings.DATABASES["default"]["NAME"]
    try:
        subprocess.run(
            ["pg_dump", "--format=custom", f"--file={partial}", *options, name],
            env=environment,
            check=True,
            capture_output=True,
            text=True,
        )
        # A dump that pg_restore cannot read is no backup.
        subprocess.run(
            ["pg_restore", "--list", str(partial)], check=True, capture_output=True, text=True
        )
    except subprocess.CalledProcessError as error:
        partial.unlink(missing_ok=True)
        raise BackupError(f"{error.cmd[0]} failed: {error.stderr.strip()}") from error
    partial.rename(dump)
    checksum_path(dump).write_text(f"{sha256_of(dump)}  {dump.name}\n")
    for old in backups(directory)[:-keep]:
        old.unlink()
        checksum_path(old).unlink()
    return dump
