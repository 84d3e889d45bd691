"""Inbound e-mail bench: how many messages a second the SMTP/LMTP listener ingests into
cases. Starts `manage.py mail_listener` on a free 127.0.0.1 port (a real subprocess),
sends new complaints (each opens a case) and then replies (each reaches a thread) from
several client connections, and counts what the database holds afterwards. The
listener answers DATA only once a message is stored and processed, so the time to the
last answer is the time to ingest them all.

Target (printed against, never asserted): >= 50 messages/s on a 2-core machine.

    .venv/bin/python bench/inbound.py [--n 600] [--connections 4] [--lmtp]
"""

from __future__ import annotations

import sys
from pathlib import Path

_BENCH_DIR = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _BENCH_DIR]
sys.path.insert(0, str(_BENCH_DIR.parent))

import argparse  # noqa: E402
import contextlib  # noqa: E402
import smtplib  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
from concurrent.futures import ThreadPoolExecutor  # noqa: E402
from email.message import EmailMessage  # noqa: E402
from email.utils import format_datetime, make_msgid  # noqa: E402

from bench import _common  # noqa: E402

RATE_TARGET = 50.0
ADDRESS = "hello@optimised.net"
# The listener's and this process's: the reply addresses are signed with it.
SECRET_KEY = "bench-only-secret"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def complaint(i: int) -> bytes:
    message = EmailMessage()
    message["From"] = f"Bench Complainant {i} <bench{i}@example.com>"
    message["To"] = ADDRESS
    message["Subject"] = f"Complaint {i}: my order never arrived"
    message["Date"] = format_datetime(time_now())
    message["Message-ID"] = make_msgid(f"bench{i}", "example.com")
    message.set_content(
        f"Hello,\n\nOrder {i} never arrived and nobody answers the phone.\n"
        "I would like a refund.\n\nThanks\n"
    )
    message.add_alternative(
        f"<p>Hello,</p><p>Order {i} never arrived and nobody answers the phone.</p>"
        "<p>I would like a refund.</p>",
        subtype="html",
    )
    return bytes(message)


def reply(i: int, reference: str, to: str) -> tuple[str, bytes]:
    """A reply to the thread's signed reply address (`routing.reply_address`)."""
    message = EmailMessage()
    message["From"] = f"bench{i}@example.com"
    message["To"] = to
    message["Subject"] = f"Re: Your complaint {reference}"
    message["Message-ID"] = make_msgid(f"reply{i}", "example.com")
    message.set_content(
        f"Still waiting for order {i}.\n\nOn Mon, 1 Dec 2026 at 10:00, Optimised <{to}> "
        "wrote:\n> We are looking into it.\n"
    )
    return to, bytes(message)


def time_now():  # type: ignore[no-untyped-def]
    import datetime as dt

    return dt.datetime.now(dt.UTC)


def send_all(
    port: int, batches: list[list[tuple[str, bytes]]], lmtp: bool
) -> tuple[float, list[float]]:
    """Send each batch over its own connection, all at once; elapsed and latencies."""

    def run(batch: list[tuple[str, bytes]]) -> list[float]:
        latencies = []
        client_class = smtplib.LMTP if lmtp else smtplib.SMTP
        with client_class("127.0.0.1", port) as client:
            for recipient, raw in batch:
                started = time.perf_counter()
                client.sendmail("sender@example.com", [recipient], raw.replace(b"\n", b"\r\n"))
                latencies.append(time.perf_counter() - started)
        return latencies

    started = time.perf_counter()
    with ThreadPoolExecutor(len(batches)) as pool:
        results = list(pool.map(run, batches))
    return time.perf_counter() - started, [t for r in results for t in r]


def split(items: list[tuple[str, bytes]], parts: int) -> list[list[tuple[str, bytes]]]:
    return [items[i::parts] for i in range(parts)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=600, help="new complaints (and as many replies)")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--lmtp", action="store_true")
    parser.add_argument("--workers", type=int, default=1, help="the listener's worker processes")
    _common.add_db_arguments(parser)
    args = parser.parse_args()
    bench = _common.setup(args)
    from django.conf import settings

    from accord.cases.models import Case
    from accord.inbound.models import InboundMessage
    from accord.inbound.routing import reply_address
    from accord.mediation.choices import Party
    from accord.mediation.models import Message

    settings.SECRET_KEY = SECRET_KEY

    port = free_port()
    command = [sys.executable, "manage.py", "mail_listener", "--port", str(port)]
    command += ["--workers", str(args.workers)]
    if args.lmtp:
        command.append("--lmtp")
    log_path = Path(bench.env.get("ACCORD_VAR_DIR", "/tmp")) / "mail_listener.log"
    log = log_path.open("wb")
    listener = subprocess.Popen(
        command,
        cwd=_common.ROOT,
        # As in production: DEBUG off (no per-query log).
        env={**bench.env, "DEBUG": "0", "SECRET_KEY": SECRET_KEY},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                break
            if time.monotonic() > deadline or listener.poll() is not None:
                raise SystemExit("the listener did not start")
            time.sleep(0.1)
        protocol = "LMTP" if args.lmtp else "SMTP"
        print(
            f"\nlistener: manage.py mail_listener ({protocol}, {args.workers} worker processes) "
            f"on 127.0.0.1:{port}"
        )

        cases_before = Case.objects.count()
        new = [(ADDRESS, complaint(i)) for i in range(args.n)]
        elapsed, latencies = send_all(port, split(new, args.connections), args.lmtp)
        opened = Case.objects.count() - cases_before
        rate = args.n / elapsed
        print(f"\nnew complaints: {args.n} sent over {args.connections} connections")
        print(f"  {opened} cases opened in {elapsed:.2f}s: {rate:.0f} messages/s")
        print(f"  per message: {_common.latency_line(latencies)}")

        cases = {
            case.complainant.email: case
            for case in Case.objects.filter(complainant__email__startswith="bench").select_related(
                "complainant", "organisation"
            )
        }
        replies = []
        for i in range(args.n):
            case = cases[f"bench{i}@example.com"]
            replies.append(reply(i, case.reference, reply_address(case, Party.COMPLAINANT)))
        elapsed_r, latencies_r = send_all(port, split(replies, args.connections), args.lmtp)
        threaded = Message.objects.filter(author__isnull=True).count()
        rate_r = args.n / elapsed_r
        print(f"\nreplies: {args.n} sent over {args.connections} connections")
        print(f"  {threaded} reached their threads in {elapsed_r:.2f}s: {rate_r:.0f} messages/s")
        print(f"  per message: {_common.latency_line(latencies_r)}")

        statuses = sorted(InboundMessage.objects.values_list("status", flat=True).distinct())
        print(f"\nstatuses seen: {', '.join(statuses)}")
        overall = 2 * args.n / (elapsed + elapsed_r)
        verdict = "meets" if min(rate, rate_r) >= RATE_TARGET else "MISSES"
        print(
            f"\nINBOUND: {overall:.0f} messages/s overall (new {rate:.0f}/s, replies "
            f"{rate_r:.0f}/s); target >= {RATE_TARGET:.0f}/s: {verdict}"
        )
    finally:
        listener.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            listener.wait(10)
        if listener.poll() is None:
            listener.kill()
        log.close()
        errors = [
            line for line in log_path.read_text(errors="replace").splitlines() if "Error" in line
        ]
        print(
            f"listener log: {len(errors)} error lines" + (f", e.g. {errors[0]}" if errors else "")
        )
        bench.cleanup()


if __name__ == "__main__":
    main()
