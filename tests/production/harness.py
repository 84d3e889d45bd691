"""Running Accord's production processes from a test: a database of their own (a fresh
PostgreSQL database beside the test one, or an SQLite file), `manage.py` subprocesses
with production settings, an SMTP sink, and the process trees to check nothing is left."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
# ACCORD_TEST_PORTS=8120-8129 keeps a run to its own ports on a machine shared by
# several runs (each of which would otherwise take its ports from 8200-8299).
_FIRST, _, _LAST = os.environ.get("ACCORD_TEST_PORTS", "8200-8299").partition("-")
PORTS = range(int(_FIRST), int(_LAST) + 1)


def free_port(ports: range = PORTS) -> int:
    """A free port in the tests' range (PORTS)."""
    for port in ports:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {ports.start}-{ports.stop - 1}")


def on_postgresql() -> bool:
    return bool(settings.DATABASES["default"]["ENGINE"].endswith("postgresql"))


@contextlib.contextmanager
def fresh_database(tmp_path: Path, suffix: str) -> Iterator[str]:
    """The URL of an empty database of the test run's kind, dropped afterwards."""
    if not on_postgresql():
        yield f"sqlite:///{tmp_path / f'{suffix}.sqlite3'}"
        return
    import psycopg

    db = settings.DATABASES["default"]
    name = f"{db['NAME']}_{suffix}"
    host, port, user = db.get("HOST") or "127.0.0.1", db.get("PORT") or 5432, db.get("USER")
    admin = f"postgresql://{user}@{host}:{port}/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgres://{user}@{host}:{port}/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Sink:
    """An SMTP server that keeps every message it is given."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


@contextlib.contextmanager
def smtp_sink() -> Iterator[tuple[Sink, int]]:
    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield sink, port
    finally:
        controller.stop()


def production_env(database_url: str, **extra: str) -> dict[str, str]:
    env = {
        key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "PYTEST"))
    }
    var_dir = Path(extra.pop("ACCORD_VAR_DIR", ROOT / "var"))
    env.update(
        DATABASE_URL=database_url,
        DEBUG="0",
        SECRET_KEY="production-test-key-" + "x" * 40,
        SECURE_SSL_REDIRECT="0",
        SECURE_COOKIES="0",
        ACCORD_VAR_DIR=str(var_dir),
        # Its own static root: `collectstatic` rewriting the checkout's staticfiles/
        # while another test process's whitenoise scans it fails that process.
        ACCORD_STATIC_ROOT=str(var_dir / "static"),
        CACHE_URL="db://accord_cache",
    )
    env.update(extra)
    return env


def manage(env: dict[str, str], *args: str, timeout: float = 300) -> str:
    done = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode:
        raise AssertionError(f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def prepare(env: dict[str, str]) -> None:
    """Migrate the fresh database and load the seed organisations."""
    manage(env, "migrate", "--no-input", "-v0")
    manage(
        env,
        "shell",
        "-c",
        "from accord.organisations.seed.load import load_organisations; load_organisations()",
    )


def descendants(pid: int) -> set[int]:
    """Every process below `pid` (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry.name))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@dataclass
class Served:
    process: subprocess.Popen[str]
    port: int
    log: Path
    pids: set[int] = field(default_factory=set)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def stop(self, timeout: float = 60) -> int:
        self.pids |= descendants(self.process.pid)
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout)


def serve(env: dict[str, str], log: Path, *args: str) -> Served:
    port = free_port()
    process = subprocess.Popen(  # noqa: S603
        [sys.executable, "manage.py", "serve", "--bind", f"127.0.0.1:{port}", *args],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        text=True,
    )
    served = Served(process, port, log)
    # Setting up (collectstatic compresses every file) takes ~35 s of CPU: minutes on a
    # busy CI machine.
    deadline = time.monotonic() + 420
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"serve exited:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(served.url("/healthz"), timeout=2):  # noqa: S310
                served.pids = descendants(process.pid)
                return served
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.3)
    served.stop()
    raise AssertionError(f"serve did not answer in time:\n{log.read_text()}")


def request(
    url: str, data: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, bytes]:
    req = urllib.request.Request(url, data=data, headers=headers or {})  # noqa: S310
    try:
        with urllib.request.urlopen(req, timeout=30) as response:  # noqa: S310
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
