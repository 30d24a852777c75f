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
import glob
import os
import secrets
import shlex
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import pytest

_BINARIES = ("initdb", "pg_ctl", "postgres")


def _unavailable(reason: str) -> NoReturn:
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI must test PostgreSQL: run scripts/ensure-postgres.sh")
    pytest.skip(f"{reason}; run scripts/ensure-postgres.sh to test PostgreSQL")


def _server_bindir() -> Path | None:
    """The folder holding initdb, pg_ctl and postgres, newest version first."""
    candidates: list[Path] = []
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        out = subprocess.run(
            ["pg_config", "--bindir"], capture_output=True, text=True, timeout=10, check=True
        )
        candidates.append(Path(out.stdout.strip()))
    versions = glob.glob("/usr/lib/postgresql/*/bin")
    candidates += sorted(
        (Path(p) for p in versions),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
        reverse=True,
    )
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(Path(initdb).parent)
    for folder in candidates:
        if all((folder / name).is_file() for name in _BINARIES):
            return folder
    return None


def _as_server_user() -> list[str]:
    """The command prefix that runs the server's tools as a user other than root."""
    if os.geteuid() != 0:
        return []
    if shutil.which("runuser"):
        return ["runuser", "-u", "postgres", "--"]
    return ["sudo", "-u", "postgres", "--"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run(cmd: list[str], what: str, cwd: Path, log: Path | None = None) -> None:
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0:
        tail = log.read_text()[-3000:] if log is not None and log.exists() else ""
        raise RuntimeError(
            f"{what} failed ({done.returncode}): {' '.join(cmd)}\n{done.stdout}\n{done.stderr}"
            f"\n{tail}"
        )


def _admin(port: int, statement: str, database: str) -> None:
    """Run ``statement`` (with ``{}`` standing for the quoted ``database``) as the superuser."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(
        host="127.0.0.1", port=port, user="postgres", dbname="postgres", autocommit=True
    ) as conn:
        conn.execute(sql.SQL(statement).format(sql.Identifier(database)))


def _watchdog(stop: list[str], folder: Path) -> subprocess.Popen[bytes]:
    """A process that stops the server and removes ``folder`` should this one die untidily
    (SIGKILL, a CI timeout), so no server outlives its test run."""
    script = (
        f"while kill -0 {os.getpid()} 2>/dev/null; do sleep 1; done; "
        f"{shlex.join([*stop, '-m', 'immediate'])} >/dev/null 2>&1; "
        f"rm -rf {shlex.quote(str(folder))}"
    )
    return subprocess.Popen(
        ["sh", "-c", script],
        cwd="/",
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """``postgresql+psycopg://postgres@127.0.0.1:PORT/rheostat`` on a private server.

    The role ``rheostat_pw`` must log in with a password over TCP (every other role is
    trusted), so tests can check what a wrong password shows.
    """
    bindir = _server_bindir()
    if bindir is None:
        _unavailable("no PostgreSQL server binaries (initdb, pg_ctl, postgres) found")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        _unavailable("the psycopg driver is missing: pip install 'rheostat[postgres]'")
    prefix = _as_server_user()
    folder = Path(tempfile.mkdtemp(prefix="rheostat-pg-"))
    data, log = folder / "data", folder / "server.log"
    started = False
    watchdog: subprocess.Popen[bytes] | None = None
    try:
        if prefix:
            shutil.chown(folder, "postgres", "postgres")
        _run(
            [
                *prefix,
                str(bindir / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C",  # English server messages, whatever the machine's locale
                "--no-sync",
            ],
            "initdb",
            folder,
        )
        (data / "pg_hba.conf").write_text(
            "local all all trust\n"
            "host all rheostat_pw 127.0.0.1/32 scram-sha-256\n"
            "host all all 127.0.0.1/32 trust\n"
        )
        # Durability against power loss is not what these tests check: skip fsync for speed.
        options = (
            f"-c listen_addresses=127.0.0.1 -c unix_socket_directories={folder} "
            "-c max_connections=200 -c fsync=off -c synchronous_commit=off "
            "-c full_page_writes=off"
        )
        for attempt in range(3):
            port = _free_port()
            try:
                _run(
                    [
                        *prefix,
                        str(bindir / "pg_ctl"),
                        "start",
                        "-D",
                        str(data),
                        "-l",
                        str(log),
                        "-w",
                        "-t",
                        "60",
                        "-o",
                        f"{options} -p {port}",
                    ],
                    "starting PostgreSQL",
                    folder,
                    log,
                )
                started = True
                break
            except RuntimeError:
                if attempt == 2:  # the port was taken between choosing and binding it?
                    raise
        watchdog = _watchdog([*prefix, str(bindir / "pg_ctl"), "stop", "-D", str(data)], folder)
        _admin(port, "CREATE DATABASE {}", "rheostat")
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/rheostat"
    finally:
        if watchdog is not None:
            watchdog.kill()
            watchdog.wait()
        if started:
            subprocess.run(
                [*prefix, str(bindir / "pg_ctl"), "stop", "-D", str(data), "-m", "fast", "-w"],
                cwd=folder,
                capture_output=True,
                timeout=60,
                check=False,
            )
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def postgres_db(postgres_url: str) -> Iterator[str]:
    """The URL of a fresh, empty database on the private server, dropped after the test."""
    import sqlalchemy as sa

    url = sa.make_url(postgres_url)
    name = f"t_{secrets.token_hex(6)}"
    _admin(int(url.port or 5432), "CREATE DATABASE {}", name)
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        _admin(int(url.port or 5432), "DROP DATABASE IF EXISTS {} WITH (FORCE)", name)
