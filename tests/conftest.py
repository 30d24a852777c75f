"""Shared fixtures: a private PostgreSQL server for the tests that need one.

``postgres_url`` (session): a throw-away server in a temporary folder, on a free port bound to
127.0.0.1, started on first use and stopped (and its folder removed) at the end of the session,
also when tests fail. ``postgres_db``: a fresh empty database on it for one test, dropped after.

Without PostgreSQL's server binaries (or the psycopg driver) these tests are skipped, unless the
environment variable ``CI`` is set: CI must really test PostgreSQL, so there they fail.
``scripts/ensure-postgres.sh`` installs the server.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from typing import NoReturn

import pytest

from rheostat.testing._postgres import PostgresServer, PostgresUnavailableError, postgres_server


def _unavailable(reason: str) -> NoReturn:
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI must test PostgreSQL: run scripts/ensure-postgres.sh")
    pytest.skip(f"{reason}; run scripts/ensure-postgres.sh to test PostgreSQL")


@pytest.fixture(scope="session")
def _postgres_server() -> Iterator[PostgresServer]:
    """The private server (``rheostat.testing._postgres``), for the whole session."""
    with contextlib.ExitStack() as stack:
        try:
            server = stack.enter_context(postgres_server())
        except PostgresUnavailableError as exc:
            _unavailable(str(exc))
        yield server


@pytest.fixture(scope="session")
def postgres_url(_postgres_server: PostgresServer) -> str:
    """``postgresql+psycopg://postgres@127.0.0.1:PORT/rheostat`` on a private server.

    The role ``rheostat_pw`` must log in with a password over TCP (every other role is
    trusted), so tests can check what a wrong password shows.
    """
    return _postgres_server.create_database("rheostat")


@pytest.fixture
def postgres_db(postgres_url: str, _postgres_server: PostgresServer) -> Iterator[str]:
    """The URL of a fresh, empty database on the private server, dropped after the test."""
    name = f"t_{secrets.token_hex(6)}"
    url = _postgres_server.create_database(name)
    try:
        yield url
    finally:
        _postgres_server.drop_database(name)
