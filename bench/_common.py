"""Shared set-up for the bench scripts: a throwaway database, Django, the seed data,
and small statistics helpers. Nothing here ever opens the developer's var/accord.sqlite3.

Without DATABASE_URL the bench runs on SQLite in a new temporary directory (removed at
the end). With DATABASE_URL the bench uses that database as it is: it runs the
migrations there and fills the tables. For PostgreSQL use a dedicated database, e.g.
postgres://postgres@127.0.0.1:5432/accord_bench; it is created if missing, and
--reset-db drops and recreates it first (only for a database whose name has "bench").
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import re
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
HIGH_INTAKE_RATE = "1000000/s"


def add_db_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--reset-db",
        action="store_true",
        help="with a PostgreSQL DATABASE_URL: drop and recreate that database first "
        "(refused unless its name contains 'bench')",
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help="SQLite: keep the temporary directory with the bench database",
    )


@dataclass
class BenchDatabase:
    """Where the bench writes, and how to clean up after it."""

    description: str
    vendor: str = ""
    tmp_dir: Path | None = None
    keep: bool = False
    env: dict[str, str] = field(default_factory=dict)

    def cleanup(self) -> None:
        from django.db import connections

        print(f"\nat the end: {load_average()} (other work on the machine skews the figures)")
        connections.close_all()
        if self.tmp_dir is not None:
            if self.keep:
                print(f"(kept {self.tmp_dir})")
            else:
                shutil.rmtree(self.tmp_dir, ignore_errors=True)


def _prepare_postgres(url: str, reset: bool) -> str:
    """Create the database named in `url` if it is missing (or recreate it on reset)."""
    import dj_database_url
    import psycopg
    from psycopg import sql

    cfg = dj_database_url.parse(url)
    name = cfg["NAME"]
    params: dict[str, Any] = {"dbname": "postgres", "autocommit": True}
    for key, param in (("HOST", "host"), ("PORT", "port"), ("USER", "user")):
        if cfg.get(key):
            params[param] = cfg[key]
    if cfg.get("PASSWORD"):
        params["password"] = cfg["PASSWORD"]
    with psycopg.connect(**params) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and reset:
            if "bench" not in name:
                raise SystemExit(
                    f"--reset-db refused: database {name!r} has no 'bench' in its name"
                )
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
            exists = None
            print(f"dropped database {name}")
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"created database {name}")
    return name


def setup(args: argparse.Namespace, *, intake_rate: str | None = None) -> BenchDatabase:
    """Point Django at a throwaway database, set it up, migrate it and load the seeds."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    os.environ["DJANGO_SETTINGS_MODULE"] = "accord.settings"
    # The development settings (no SECRET_KEY, no HTTPS redirect); the timed in-process
    # work turns the per-query debug log off again below.
    os.environ["DEBUG"] = "1"
    if intake_rate is not None:
        os.environ["ACCORD_INTAKE_RATE"] = intake_rate
    url = os.environ.get("DATABASE_URL", "")
    bench = BenchDatabase(description="")
    if not url:
        bench.tmp_dir = Path(tempfile.mkdtemp(prefix="accord-bench-"))
        bench.keep = args.keep
        os.environ["ACCORD_VAR_DIR"] = str(bench.tmp_dir)
        bench.description = f"SQLite (throwaway) {bench.tmp_dir / 'accord.sqlite3'}"
    elif url.startswith(("postgres://", "postgresql://")):
        name = _prepare_postgres(url, args.reset_db)
        bench.description = f"PostgreSQL database {name} (from DATABASE_URL)"
    else:
        bench.description = f"{url} (from DATABASE_URL)"

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    target = str(settings.DATABASES["default"]["NAME"])
    developer_db = ROOT / "var" / "accord.sqlite3"
    if connection.vendor == "sqlite" and Path(target).resolve() == developer_db.resolve():
        raise SystemExit(f"refusing to bench against the developer database {developer_db}")
    bench.vendor = connection.vendor
    settings.DEBUG = False  # no per-query log in the timed loops
    call_command("migrate", verbosity=0, interactive=False)

    from accord.accounts.demo import create_demo_users
    from accord.organisations.seed.load import load_organisations

    create_demo_users(load_organisations())
    bench.env = dict(os.environ)
    print(f"database: {bench.description}")
    print(
        f"python {platform.python_version()}, {os.cpu_count()} CPUs, {load_average()}, "
        f"{connection.vendor} {connection.Database.__name__} "
        f"{getattr(connection.Database, 'sqlite_version', '')}".rstrip()
    )
    return bench


def load_average() -> str:
    try:
        one, five, _ = os.getloadavg()
    except OSError:
        return "load average unknown"
    return f"load average {one:.2f} (1 min) {five:.2f} (5 min)"


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (pct in 0..100) of a non-empty sequence."""
    ordered = sorted(values)
    rank = min(len(ordered), max(1, math.ceil(pct / 100 * len(ordered))))
    return ordered[rank - 1]


def latency_line(values_s: Sequence[float]) -> str:
    ms = [v * 1000 for v in values_s]
    return (
        f"p50 {percentile(ms, 50):7.2f} ms  p95 {percentile(ms, 95):7.2f} ms  "
        f"max {max(ms):7.2f} ms  (n={len(ms)})"
    )


_TABLE = re.compile(r'\b(?:FROM|INTO|UPDATE)\s+"?([A-Za-z0-9_]+)"?', re.IGNORECASE)


def statement_summary(captured: Sequence[dict[str, Any]]) -> str:
    """`SELECT organisations_business, INSERT cases_case, ...` for a captured query list."""
    parts = []
    for query in captured:
        sql_text = query["sql"].lstrip()
        verb = sql_text.split(None, 1)[0].upper() if sql_text else "?"
        match = _TABLE.search(sql_text)
        parts.append(f"{verb} {match.group(1)}" if match else sql_text[:30])
    counts = Counter(parts)
    return ", ".join(f"{part}" + (f" x{n}" if n > 1 else "") for part, n in counts.items())


def profiler() -> Any:
    """A cProfile.Profile counting this process's CPU time, not the wall clock: time
    spent waiting for the database or for a core is left out."""
    import cProfile

    return cProfile.Profile(time.process_time)


def profile_top(profiler: Any, limit: int = 25) -> None:
    """Print the functions with the most cumulative CPU time from `profiler()`, then
    those with the most CPU time of their own."""
    import io
    import pstats

    for order in ("cumulative", "tottime"):
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.strip_dirs().sort_stats(order).print_stats(limit)
        print(out.getvalue())
