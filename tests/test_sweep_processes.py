"""The deadline sweeper as it runs in production: real `manage.py sweep` processes on a
real database (not pytest-django's test database), killed mid-pass and run side by side.

Each backend gets a database prepared once in a subprocess (tests/sweep_harness.py:
migrate, seed organisations, ~200 cases received 30 days ago so every acknowledgement
clock is breached); each test works on its own copy (a copied SQLite file, or a
PostgreSQL database made from it as a template). SQLite always runs; PostgreSQL runs
when postgres://postgres@127.0.0.1:5432/postgres answers (skipped otherwise, failed
instead under CI, which always has it).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
MANAGE = str(ROOT / "manage.py")
HARNESS = str(ROOT / "tests" / "sweep_harness.py")
PG_ADMIN_URL = os.environ.get(
    "ACCORD_TEST_PG_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres"
)
CASES = 200
TIMEOUT = 60  # seconds any one subprocess may take


@dataclass
class Database:
    """One prepared database and the environment that points Django at it."""

    vendor: str
    env: dict[str, str]
    due: int = 0
    sqlite_path: Path | None = None
    pg_url: str | None = None
    clones: list[str] = field(default_factory=list)

    def scalar(self, query: str) -> int:
        """One number from the database, read without Django."""
        if self.sqlite_path is not None:
            conn = sqlite3.connect(self.sqlite_path, timeout=20)
            try:
                return int(conn.execute(query).fetchone()[0])
            finally:
                conn.close()
        assert self.pg_url is not None
        with psycopg.connect(self.pg_url, autocommit=True) as pg:
            row = pg.execute(query.encode()).fetchone()
            assert row is not None
            return int(row[0])

    def breaches_recorded(self) -> int:
        return self.scalar("SELECT count(*) FROM cases_clock WHERE breach_recorded_at IS NOT NULL")

    def breach_events(self) -> int:
        return self.scalar("SELECT count(*) FROM cases_event WHERE kind = 'clock_breached'")


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "ACCORD_VAR_DIR")}
    env.update(DJANGO_SETTINGS_MODULE="accord.settings", DEBUG="1", PYTHONUNBUFFERED="1")
    env.update(extra)
    return env


def _run(args: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(  # noqa: S603 (our own interpreter and scripts)
        [sys.executable, *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert done.returncode == 0, f"{args} exited {done.returncode}:\n{done.stderr[-3000:]}"
    return done.stdout


def _harness(command: str, env: dict[str, str], *args: str) -> Any:
    stdout = _run([HARNESS, command, *args], env)
    return json.loads(stdout.strip().splitlines()[-1])


def _pg_admin() -> psycopg.Connection[Any]:
    return psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3)


def _pg_url(name: str) -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def prepared(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Database]:
    """A migrated, seeded database with CASES breached clocks, made in a subprocess."""
    var_dir = tmp_path_factory.mktemp(f"sweep-{request.param}")
    if request.param == "sqlite":
        db = Database("sqlite", _env(ACCORD_VAR_DIR=str(var_dir)))
        db.sqlite_path = var_dir / "accord.sqlite3"
        db.due = _harness("prepare", db.env, "--cases", str(CASES))["due"]
        yield db
        return
    try:
        _pg_admin().close()
    except psycopg.Error as exc:
        reason = f"PostgreSQL not reachable at {PG_ADMIN_URL}: {exc}"
        print(reason)
        if os.environ.get("CI"):
            pytest.fail(f"{reason} (CI always has PostgreSQL)")
        pytest.skip(reason)
    name = f"accord_sweep_{uuid.uuid4().hex[:12]}"
    with _pg_admin() as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    db = Database("postgresql", _env(ACCORD_VAR_DIR=str(var_dir), DATABASE_URL=_pg_url(name)))
    db.pg_url = _pg_url(name)
    try:
        db.due = _harness("prepare", db.env, "--cases", str(CASES))["due"]
        yield db
    finally:
        with _pg_admin() as admin:
            for each in [*db.clones, name]:
                admin.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(each))
                )


@pytest.fixture
def fresh(prepared: Database, tmp_path: Path) -> Database:
    """This test's own copy of the prepared database."""
    if prepared.sqlite_path is not None:
        path = tmp_path / "accord.sqlite3"
        shutil.copyfile(prepared.sqlite_path, path)
        db = Database("sqlite", _env(ACCORD_VAR_DIR=str(tmp_path)), prepared.due)
        db.sqlite_path = path
        return db
    base = str(prepared.env["DATABASE_URL"]).rsplit("/", 1)[1]
    name = f"{base}_{len(prepared.clones)}"
    prepared.clones.append(name)
    with _pg_admin() as admin:
        admin.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(name), sql.Identifier(base)
            )
        )
    db = Database(
        "postgresql", _env(ACCORD_VAR_DIR=str(tmp_path), DATABASE_URL=_pg_url(name)), prepared.due
    )
    db.pg_url = _pg_url(name)
    return db


def _sweeper(db: Database, *options: str) -> subprocess.Popen[str]:
    return subprocess.Popen(  # noqa: S603 (our own interpreter and manage.py)
        [sys.executable, MANAGE, "sweep", "--once", *options],
        env=db.env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _breached_in(stdout: str) -> int:
    match = re.search(r"sweep: (\d+) breached", stdout)
    assert match, f"no pass summary in {stdout!r}"
    return int(match.group(1))


def _assert_each_breach_once(db: Database) -> dict[str, Any]:
    """Every due clock breached, with exactly one event and one notification each."""
    report = _harness("report", db.env)
    events: dict[str, int] = report["breach_events"]
    twice = {clock: n for clock, n in events.items() if n != 1}
    assert twice == {}, f"clocks with more than one breach event: {twice}"
    assert report["still_due"] == 0, "breached clocks the sweep missed"
    assert len(report["breach_marked"]) == db.due
    assert set(events) == set(report["breach_marked"]), "breach marks without events or back"
    assert report["at_risk_events"] == {}  # every clock was past due, none only at risk
    assert report["event_count_mismatches"] == [], "event_count differs from the events"
    assert report["seq_gaps"] == []
    notified: dict[str, int] = report["notifications"]
    assert sum(notified.values()) == db.due
    assert set(notified) == {f"breached:{clock}" for clock in events}
    return report


def test_a_sweeper_killed_mid_pass_loses_and_repeats_nothing(fresh: Database) -> None:
    assert fresh.due == CASES
    assert fresh.breaches_recorded() == 0
    proc = _sweeper(fresh, "--pause", "0.02", "--batch", "2")
    try:
        started = time.monotonic()
        # Wait for the first claims (Django start-up takes a moment), then a little
        # more, so the kill lands in the middle of the pass.
        while fresh.breaches_recorded() == 0 and proc.poll() is None:
            assert time.monotonic() - started < TIMEOUT, "the sweeper claimed nothing"
            time.sleep(0.05)
        time.sleep(0.5)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=TIMEOUT)
    assert proc.returncode == -signal.SIGKILL, "the pass ended before the kill: widen --pause"

    claimed = fresh.breaches_recorded()
    assert 0 < claimed < fresh.due, f"{claimed} of {fresh.due} claimed at the kill"
    print(f"{fresh.vendor}: {claimed} of {fresh.due} claimed when killed")
    # Each claim was committed with its event; the one in hand at the kill, neither.
    assert fresh.breach_events() == claimed

    restarted = _run([MANAGE, "sweep", "--once"], fresh.env)
    assert _breached_in(restarted) == fresh.due - claimed
    _assert_each_breach_once(fresh)


def test_two_sweepers_side_by_side_deal_with_each_breach_once(fresh: Database) -> None:
    assert fresh.due == CASES
    first = _sweeper(fresh, "--pause", "0.005", "--batch", "5")
    second = _sweeper(fresh, "--pause", "0.005", "--batch", "5")
    outputs = []
    for proc in (first, second):
        stdout, stderr = proc.communicate(timeout=TIMEOUT)
        assert proc.returncode == 0, f"a sweeper exited {proc.returncode}:\n{stderr[-3000:]}"
        outputs.append(_breached_in(stdout))
    assert sum(outputs) == fresh.due, f"claims per sweeper {outputs}"
    print(f"{fresh.vendor}: claims per sweeper {outputs}")
    _assert_each_breach_once(fresh)
