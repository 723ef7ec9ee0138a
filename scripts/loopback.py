"""What the scripts and benchmarks that start the app or PostgreSQL on this machine share:
free loopback ports, and a database address as the options of PostgreSQL's own commands."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now (the system's choice)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pg_options(url: str) -> list[str]:
    """``--host``, ``--port`` and ``--username`` of a ``postgres://`` address, for createdb,
    dropdb, pg_restore…: loopback and 5432 where it names none."""
    parts = urlsplit(url)
    options = [f"--host={parts.hostname or '127.0.0.1'}", f"--port={parts.port or 5432}"]
    if parts.username:
        options.append(f"--username={parts.username}")
    return options
