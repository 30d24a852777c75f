"""A private, throw-away PostgreSQL server for tests and benchmarks.

::

    with postgres_server() as server:
        url = server.create_database("bench")   # postgresql+psycopg://postgres@127.0.0.1:PORT/bench
        ...
        server.drop_database("bench")

The server lives in a temporary folder, listens on a free port bound to 127.0.0.1, trusts every
role over TCP except ``rheostat_pw`` (which must give a password, so callers can test what a
wrong one shows), and runs without fsync: durability against power loss is not what it is for.
Leaving the ``with`` block stops it and removes the folder, also on errors; a watchdog process
does the same should this process die untidily (SIGKILL, a CI timeout).

``PostgresUnavailableError`` is raised when the server binaries (``initdb``, ``pg_ctl``,
``postgres``) or the psycopg driver are missing; ``scripts/ensure-postgres.sh`` installs them.
As root, the server's tools run as the ``postgres`` user.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shlex
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = ["PostgresServer", "PostgresUnavailableError", "postgres_server"]

_BINARIES = ("initdb", "pg_ctl", "postgres")


class PostgresUnavailableError(RuntimeError):
    """No PostgreSQL server binaries or no psycopg driver: install them, or skip."""


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


def _watchdog(stop: list[str], folder: Path) -> subprocess.Popen[bytes]:
    """A process that stops the server and removes ``folder`` should this one die untidily."""
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


@dataclass(frozen=True)
class PostgresServer:
    """A running private server: ``port``, and ``url(database)`` for the superuser."""

    port: int

    def url(self, database: str) -> str:
        """``postgresql+psycopg://postgres@127.0.0.1:PORT/DATABASE`` (no password needed)."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def admin(self, statement: str, database: str) -> None:
        """Run ``statement`` as the superuser, with ``{}`` standing for the quoted identifier
        ``database`` (e.g. ``"CREATE DATABASE {}"``)."""
        import psycopg
        from psycopg import sql

        with psycopg.connect(
            host="127.0.0.1", port=self.port, user="postgres", dbname="postgres", autocommit=True
        ) as conn:
            conn.execute(sql.SQL(statement).format(sql.Identifier(database)))

    def create_database(self, name: str) -> str:
        """Create an empty database ``name``; return its URL."""
        self.admin("CREATE DATABASE {}", name)
        return self.url(name)

    def drop_database(self, name: str) -> None:
        """Drop database ``name``, disconnecting its clients; nothing if it does not exist."""
        self.admin("DROP DATABASE IF EXISTS {} WITH (FORCE)", name)


def _initdb(prefix: list[str], bindir: Path, folder: Path, data: Path) -> None:
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


def _start(prefix: list[str], bindir: Path, folder: Path, data: Path, log: Path) -> int:
    """Start the server on a free port; return the port."""
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
            return port
        except RuntimeError:
            if attempt == 2:  # the port was taken between choosing and binding it?
                raise
    raise AssertionError("unreachable")  # pragma: no cover


@contextlib.contextmanager
def postgres_server() -> Iterator[PostgresServer]:
    """Start a private server (see the module docstring); stop it and remove its folder after.

    ``PostgresUnavailableError`` when the binaries or psycopg are missing; ``RuntimeError``
    (with the server's log) when it fails to start.
    """
    bindir = _server_bindir()
    if bindir is None:
        raise PostgresUnavailableError(
            "no PostgreSQL server binaries (initdb, pg_ctl, postgres) found"
        )
    try:
        import psycopg  # noqa: F401
    except ImportError:
        raise PostgresUnavailableError(
            "the psycopg driver is missing: pip install 'rheostat[postgres]'"
        ) from None
    prefix = _as_server_user()
    folder = Path(tempfile.mkdtemp(prefix="rheostat-pg-"))
    data, log = folder / "data", folder / "server.log"
    started = False
    watchdog: subprocess.Popen[bytes] | None = None
    try:
        if prefix:
            shutil.chown(folder, "postgres", "postgres")
        _initdb(prefix, bindir, folder, data)
        port = _start(prefix, bindir, folder, data, log)
        started = True
        watchdog = _watchdog([*prefix, str(bindir / "pg_ctl"), "stop", "-D", str(data)], folder)
        yield PostgresServer(port)
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
