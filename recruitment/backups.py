"""Backups of the PostgreSQL database: ``pg_dump -Fc`` files with a SHA-256 checksum beside
each, the newest ``keep`` kept (``manage.py backup``, ``make restore-drill``; docs/deploy.md).

A backup is written under a temporary name and renamed once complete and readable
(``pg_restore --list``), so a half-written file is never taken for the newest backup. The
checksum file is in ``sha256sum`` format: ``sha256sum -c`` checks a copy kept elsewhere.
Only files named as ``backup()`` names them are backups: a dump an operator keeps in the
same directory (``recruitment-before-upgrade.dump``) is never rotated away nor restored by
the drill. One run at a time holds a lock on the directory, so that a run started while
another is writing neither deletes its unfinished file nor races its rotation.
"""

import fcntl
import hashlib
import os
import re
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.db import connections
from django.utils import timezone

PREFIX = "recruitment-"
SUFFIX = ".dump"
STAMP = "%Y%m%d-%H%M%S"
# The names backup() gives, and no others: recruitment-20261127-013000.dump.
NAME = re.compile(rf"{re.escape(PREFIX)}\d{{8}}-\d{{6}}{re.escape(SUFFIX)}")


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
    """The complete backups that ``backup()`` wrote in ``directory``, oldest first (their
    names hold the time); other dumps there are the operators' and are left alone."""
    return sorted(
        p
        for p in directory.glob(f"{PREFIX}*{SUFFIX}")
        if NAME.fullmatch(p.name) and checksum_path(p).exists()
    )


def verify(dump: Path) -> None:
    """Raise BackupError unless ``dump`` matches its checksum file."""
    try:
        recorded = re.match(r"([0-9a-fA-F]{64})\s", checksum_path(dump).read_text())
    except (OSError, UnicodeDecodeError):
        recorded = None
    if recorded is None:
        raise BackupError(
            f"The checksum file of {dump.name} is missing or unreadable: do not restore it "
            "before checking it against a copy kept elsewhere."
        )
    if sha256_of(dump) != recorded[1].lower():
        raise BackupError(f"{dump.name} does not match its checksum: do not restore it.")


def backup(*, directory: Path, keep: int, now: datetime | None = None) -> Path:
    """Write a new backup into ``directory``, then delete all but the newest ``keep``."""
    if keep < 1:
        raise BackupError("keep must be at least 1.")
    try:
        # Citizen IDs and password hashes: readable by the service's user only.
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as error:
        raise BackupError(
            f"Cannot create the backup directory {directory}: {error.strerror}. Create it, "
            "owned by the user that runs the backup, mode 0700 (docs/deploy.md)."
        ) from error
    with _only_run(directory):
        for left in directory.glob(f"{PREFIX}*{SUFFIX}.partial"):  # of a run that was killed
            left.unlink()
        stamp = timezone.localtime(now).strftime(STAMP)
        dump = directory / f"{PREFIX}{stamp}{SUFFIX}"
        partial = dump.with_name(dump.name + ".partial")
        options, environment = pg_environment()
        name = settings.DATABASES["default"]["NAME"]
        try:
            partial.touch(mode=0o600)  # pg_dump writes into it, keeping its mode
        except OSError as error:
            raise BackupError(f"Cannot write into {directory}: {error.strerror}.") from error
        try:
            _run(
                ["pg_dump", "--format=custom", f"--file={partial}", *options, name],
                env=environment,
            )
            # A dump that pg_restore cannot read is no backup.
            _run(["pg_restore", "--list", str(partial)])
        except BackupError:
            partial.unlink(missing_ok=True)
            raise
        partial.rename(dump)
        checksum_path(dump).write_text(f"{sha256_of(dump)}  {dump.name}\n")
        for old in backups(directory)[:-keep]:
            old.unlink()
            checksum_path(old).unlink()
    return dump


@contextmanager
def _only_run(directory: Path) -> Iterator[None]:
    """Hold the directory's lock for the run, or refuse at once: a second run (the timer
    and an operator by hand) would delete the first one's file while pg_dump writes it.
    The lock goes with the process, so a run that was killed leaves none behind."""
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError as error:
        raise BackupError(f"Cannot open {directory}: {error.strerror}.") from error
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BackupError(
                f"Another backup is running in {directory}: try again once it has finished."
            ) from None
        yield
    finally:
        os.close(descriptor)


def _run(command: list[str], **kwargs) -> None:
    """Run a PostgreSQL client program; a failure is a BackupError that says why."""
    try:
        subprocess.run(command, check=True, capture_output=True, text=True, **kwargs)
    except subprocess.CalledProcessError as error:
        raise BackupError(f"{command[0]} failed: {error.stderr.strip()}") from error
    except OSError as error:  # not installed, or not on PATH
        raise BackupError(
            f"{command[0]} could not be started ({error.strerror}): install PostgreSQL's "
            "client programs (postgresql-client) and put them on PATH."
        ) from error
