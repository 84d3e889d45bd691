"""`manage.py serve`: Accord in production on this machine. Migrates, makes the cache
table, collects the static files, then runs and supervises gunicorn (several worker
processes), the task workers, the deadline sweeper and the outbox worker (and the
inbound mail listener when ACCORD_INBOUND_PORT is set) until SIGTERM or Ctrl-C.
Counts and the address come from the environment (see docs/DEPLOY.md)."""

from __future__ import annotations

import sys
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accord.env import envbool, envint, envstr
from accord.operations.supervisor import Program, Supervisor


def programs(
    *,
    bind: str,
    web: int,
    tasks: int,
    sweepers: int,
    outboxes: int,
    inbound_port: int,
) -> list[Program]:
    manage = [sys.executable, str(settings.BASE_DIR / "manage.py")]
    # Every process keeps its database connection between requests and passes: gunicorn's
    # sync workers and the loops each use one connection at a time. The task worker closes
    # "old" connections around every task, so with Django's default of 0 it opened a new
    # PostgreSQL connection for each task, a backend forked and its caches filled again
    # each time (intake bursts: 105-121 -> 134-167 requests/s, the backlog drained in
    # 10-13 s instead of 18-20).
    kept = {"DB_CONN_MAX_AGE": envstr("DB_CONN_MAX_AGE", "60")}
    found: list[Program] = []
    if web:
        found.append(
            Program(
                "web",
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "accord.wsgi:application",
                    "--bind",
                    bind,
                    "--workers",
                    str(web),
                    "--timeout",
                    str(envint("ACCORD_WEB_TIMEOUT", 30)),
                    "--graceful-timeout",
                    "20",
                    "--no-control-socket",
                    "--access-logfile",
                    "-" if envint("ACCORD_ACCESS_LOG", 0) else "/dev/null",
                    "--max-requests",
                    "5000",
                    "--max-requests-jitter",
                    "500",
                ],
                # Sync workers: one request at a time each, so a kept connection is safe.
                env=kept,
            )
        )
    # The deferred work runs at a lower CPU priority than the web processes: under load a
    # request is answered first and its e-mail follows (bench/load.py measures both the
    # requests and how soon the backlog drains once the load ends). +19, the lowest
    # priority, rather than +10: at +10 the two task workers still took a tenth of the CPU
    # under the mixed load (15.2 -> 16.3 requests/s per kind at +19, the backlog drained
    # in the same few seconds after it). On Linux they also run only when the CPU is
    # otherwise idle (ACCORD_BACKGROUND_IDLE; SCHED_IDLE): a web process that wakes takes
    # its core at once (intake bursts: 139-146 -> 150-175 requests/s). Under a web load
    # that never lets up they wait; /readyz reports the oldest waiting task.
    nice = envint("ACCORD_BACKGROUND_NICENESS", 19)
    idle = envbool("ACCORD_BACKGROUND_IDLE", True)
    for name, command, count in (
        ("tasks", "db_worker", tasks),
        ("sweep", "sweep", sweepers),
        ("outbox", "deliver_email", outboxes),
    ):
        found += [
            Program(f"{name}-{i + 1}", [*manage, command], kept, niceness=nice, idle=idle)
            for i in range(count)
        ]
    if inbound_port:
        found.append(
            Program(
                "mail-listener",
                [*manage, "mail_listener", "--port", str(inbound_port)]
                + (["--lmtp"] if envint("ACCORD_INBOUND_LMTP", 0) else []),
                kept,
            )
        )
    return found


class Command(BaseCommand):
    help = "Set up and run Accord for production: web, task workers, sweeper, outbox."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default=envstr("ACCORD_BIND", "127.0.0.1:8000"))
        parser.add_argument("--web", type=int, default=envint("ACCORD_WEB_PROCESSES", 4))
        parser.add_argument("--tasks", type=int, default=envint("ACCORD_TASK_WORKERS", 2))
        parser.add_argument("--sweepers", type=int, default=envint("ACCORD_SWEEPERS", 1))
        parser.add_argument("--outboxes", type=int, default=envint("ACCORD_OUTBOX_WORKERS", 1))
        parser.add_argument("--inbound-port", type=int, default=envint("ACCORD_INBOUND_PORT", 0))
        parser.add_argument(
            "--no-setup", action="store_true", help="skip migrate, cache table, collectstatic"
        )
        parser.add_argument(
            "--grace", type=float, default=30.0, help="seconds each process has to stop"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.DEBUG and not envint("ACCORD_SERVE_DEBUG", 0):
            raise CommandError("serve runs Accord for production: set DEBUG=0 (and SECRET_KEY)")
        if not options["no_setup"]:
            self.stdout.write("serve: migrating, making the cache table, collecting static files")
            call_command("migrate", interactive=False, verbosity=0)
            call_command("createcachetable", verbosity=0)
            call_command("collectstatic", interactive=False, verbosity=0)
        found = programs(
            bind=options["bind"],
            web=options["web"],
            tasks=options["tasks"],
            sweepers=options["sweepers"],
            outboxes=options["outboxes"],
            inbound_port=options["inbound_port"],
        )
        self.stdout.write(
            f"serve: http://{options['bind']}/ — "
            + ", ".join(program.name for program in found)
            + "; Ctrl-C or SIGTERM stops them all"
        )
        self.stdout.flush()
        # Close this process's connection: the children open their own.
        from django.db import connections

        connections.close_all()
        Supervisor(found, grace=options["grace"]).run()
