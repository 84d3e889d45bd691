"""Production load bench: Accord as `manage.py serve` runs it, on PostgreSQL, under a
bounded mixed load from a second process — and, with --peer, django-helpdesk beside it.

    .venv/bin/python bench/load.py [--clients 8] [--rounds 25] [--peer] [--burst 400]

Accord runs with 4 web processes (gunicorn), 2 task workers, the sweeper and the
outbox worker delivering to a local SMTP sink (aiosmtpd), DEBUG off, on a fresh database
`accord_load` (PostgreSQL at LOAD_PG, default postgres://postgres@127.0.0.1:5432), with
the shared cache in Redis (LOAD_CACHE_URL, default redis://127.0.0.1:6379/7). A
second process on 127.0.0.1 then drives `--clients` concurrent clients, each taking
`--rounds` turns of the mix: public intake (API), the staff work queue page, the staff
case page of a case with 200 events, the complainant's case page, the API work queue.
It prints requests/s and p50/p95/p99 per kind, the errors, the task and e-mail backlog
when the load ends and how long it took to drain.

With --peer, django-helpdesk 2.6 is installed from PyPI into its own virtual
environment (var/peer/, git-ignored; none of its code is in this repository), set up
like its demo project (settings written here: public submission on, its REST API on,
PostgreSQL `accord_load_peer`, e-mail to the same sink) and run under the same gunicorn
settings. The comparable paths are then driven in interleaved bursts of `--burst`
requests from the same clients: Accord's public intake against helpdesk's public
ticket form (each client fetches the form's CSRF token once), and a page of 25 rows of
the API work queue against helpdesk's API ticket list (a staff session each). After
each Accord burst the bench waits for Accord's task and e-mail backlog to drain before
helpdesk's burst starts, so Accord's deferred work is not done in helpdesk's time
(helpdesk sends its e-mail inside the request). Figures are printed, never asserted;
targets: Accord's intake >= 2x helpdesk's ticket creation, intake p95 <= 100 ms and the
staff case page p95 <= 150 ms at 8 clients, 0 errors, backlogs drained within 30 s.
"""

from __future__ import annotations

import sys
from pathlib import Path

_BENCH_DIR = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _BENCH_DIR]
sys.path.insert(0, str(_BENCH_DIR.parent))

import argparse  # noqa: E402
import contextlib  # noqa: E402
import http.client  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable, Iterator  # noqa: E402
from typing import Any  # noqa: E402

ROOT = _BENCH_DIR.parent
PEER_DIR = ROOT / "var" / "peer"
PEER_PYTHON = PEER_DIR / "venv" / "bin" / "python"
PEER_PACKAGE = "django-helpdesk>=2.6,<2.7"
PG = os.environ.get("LOAD_PG", "postgres://postgres@127.0.0.1:5432")
ACCORD_DB, PEER_DB = "accord_load", "accord_load_peer"
ACCORD_PORT, PEER_PORT = int(os.environ.get("LOAD_PORT", "8120")), 0  # peer: port + 1
SECRET = "load-bench-secret-" + "x" * 40
EVENTS_ON_BIG_CASE = 200
SEED_CASES = 300
TARGETS = {"intake_p95_ms": 100.0, "case_page_p95_ms": 150.0, "drain_s": 30.0, "ratio": 2.0}


# --- helpers ---------------------------------------------------------------------------


def _percentile(values: list[float], pct: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min) {five:.2f} (5 min) on {os.cpu_count()} CPUs"


def _recreate_database(name: str) -> str:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{PG}/{name}"


def _analyse(url: str) -> None:
    """VACUUM ANALYZE a freshly seeded database, as autovacuum would have done to one in
    service: without it the planner guesses one row for every table the seed filled, and
    the index-only scans of the queue's counts visit every row's heap page."""
    import psycopg

    with psycopg.connect(url.replace("postgres://", "postgresql://"), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def _drop_database(name: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _wait_for(url: str, timeout: float, ok: Callable[[int], bool] = lambda s: s == 200) -> None:
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=30) as response:
                if ok(response.status):
                    return
                last = response.status
        except urllib.error.HTTPError as error:
            last = f"{error.code} {error.read()[:300]!r}"
        except OSError as error:
            last = error
        time.sleep(0.5)
    raise RuntimeError(f"{url} not ready in {timeout:.0f}s (last: {last})")


@contextlib.contextmanager
def _smtp_sink() -> Iterator[tuple[list[int], int]]:
    """An SMTP server on a free port counting what it is given."""
    from aiosmtpd.controller import Controller

    received = [0]

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            received[0] += 1
            return "250 OK"

    controller = Controller(Handler(), hostname="127.0.0.1", port=ACCORD_PORT + 2)
    controller.start()
    try:
        yield received, ACCORD_PORT + 2
    finally:
        controller.stop()


def _accord_env(url: str, smtp_port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))}
    env.update(
        DATABASE_URL=url,
        DEBUG="0",
        SECRET_KEY=SECRET,
        SECURE_SSL_REDIRECT="0",
        SECURE_COOKIES="0",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        ACCORD_VAR_DIR=str(ROOT / "var" / "load"),
        ACCORD_MEDIA_ROOT=str(ROOT / "var" / "load" / "media"),
        ACCORD_INTAKE_RATE="1000000/s",
        ACCORD_BASE_URL=f"http://127.0.0.1:{ACCORD_PORT}",
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(smtp_port),
        LOG_LEVEL="WARNING",
        # The shared cache production uses (docs/DEPLOY.md): the throttles count in Redis.
        CACHE_URL=os.environ.get("LOAD_CACHE_URL", "redis://127.0.0.1:6379/7"),
    )
    return env


def _run_json(argv: list[str], env: dict[str, str], stdin: str = "", timeout: float = 900) -> Any:
    done = subprocess.run(
        argv, env=env, cwd=ROOT, input=stdin, capture_output=True, text=True, timeout=timeout
    )
    if done.returncode:
        raise RuntimeError(f"{argv[1:3]} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- seeding (run in a child with the target's settings) -------------------------------


def _session_for(user: Any, extra: dict[str, str] | None = None) -> str:
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    from django.conf import settings

    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    for key, value in (extra or {}).items():
        session[key] = value
    session.save()
    return str(session.session_key)


def seed_accord() -> None:
    """Organisations, a handler with a verified second factor, SEED_CASES cases, one
    case with EVENTS_ON_BIG_CASE events and its complainant signed in."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "accord.settings")
    django.setup()
    from django.utils import timezone
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accord.accounts.models import ApiToken, User
    from accord.cases.actions import add_note
    from accord.cases.choices import Channel
    from accord.cases.complainant_links import complainant_user
    from accord.cases.intake import ComplainantDetails, Complaint, receive_complaint
    from accord.organisations.seed.load import load_organisations

    orgs = {o.slug: o for o in load_organisations()}
    ocasa = orgs["ocasa"]
    handler = User.objects.create_user(
        "load-handler", email="handler@example.com", organisation=ocasa, staff_role="handler"
    )
    device = TOTPDevice.objects.create(user=handler, name="load", confirmed=True)
    _, token = ApiToken.issue(handler, "load")
    now = timezone.now()
    for i in range(SEED_CASES):
        complaint = Complaint(
            complainant=ComplainantDetails(name=f"Seed {i}", email=f"seed{i}@example.com"),
            description=f"Seed complaint {i}: the deposit has not been returned.",
            channel=Channel.WEB_FORM,
        )
        receive_complaint(ocasa, complaint, now=now)
    big, _ = receive_complaint(
        ocasa,
        Complaint(
            complainant=ComplainantDetails(name="Big Case", email="big@example.com"),
            description="A long-running complaint about repairs.",
            channel=Channel.WEB_FORM,
        ),
        now=now,
    )
    for n in range(EVENTS_ON_BIG_CASE - 1):
        add_note(big.pk, handler, f"Note {n}: rang the landlord again.", now=timezone.now())
    complainant = complainant_user(big.complainant)
    print(
        json.dumps(
            {
                "token": token,
                "staff_session": _session_for(
                    handler, {DEVICE_ID_SESSION_KEY: device.persistent_id}
                ),
                "party_session": _session_for(complainant),
                "big_case": big.reference,
                "events": big.events.count(),
            }
        )
    )


PEER_SETTINGS = '''"""django-helpdesk for bench/load.py: its demo project's settings (demodesk),
with PostgreSQL, DEBUG off and e-mail to the bench's SMTP sink. Written by the bench."""
import os
import dj_database_url

BASE_DIR = os.path.dirname(os.path.abspath(__file__))
SECRET_KEY = "peer-load-bench-" + "x" * 40
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = [
    "django.contrib.admin", "django.contrib.auth", "django.contrib.contenttypes",
    "django.contrib.sessions", "django.contrib.messages", "django.contrib.staticfiles",
    "django.contrib.sites", "django.contrib.humanize", "bootstrap4form", "helpdesk",
    "rest_framework",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
ROOT_URLCONF = "peerdesk.urls"
TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates", "DIRS": [], "APP_DIRS": True,
    "OPTIONS": {"context_processors": [
        "django.template.context_processors.debug", "django.template.context_processors.request",
        "django.contrib.auth.context_processors.auth",
        "django.contrib.messages.context_processors.messages",
    ]},
}]
WSGI_APPLICATION = "peerdesk.wsgi.application"
HELPDESK_DEFAULT_SETTINGS = {
    "use_email_as_submitter": True, "email_on_ticket_assign": True,
    "email_on_ticket_change": True, "login_view_ticketlist": True,
    "email_on_ticket_apichange": True, "preset_replies": True, "tickets_per_page": 25,
}
HELPDESK_PUBLIC_ENABLED = True
HELPDESK_VIEW_A_TICKET_PUBLIC = True
HELPDESK_SUBMIT_A_TICKET_PUBLIC = True
HELPDESK_KB_ENABLED = True
HELPDESK_TICKETS_TIMELINE_ENABLED = True
HELPDESK_REDIRECT_TO_LOGIN_BY_DEFAULT = False
# The demo installs pinax-teams for knowledge-base teams; the comparable paths need none.
HELPDESK_TEAMS_MODE_ENABLED = False
LOGIN_URL = "helpdesk:login"
LOGIN_REDIRECT_URL = "helpdesk:home"
DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"])}
DATABASES["default"]["CONN_MAX_AGE"] = 60
SITE_ID = 1
DEFAULT_FROM_EMAIL = SERVER_EMAIL = "helpdesk@example.com"
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = "127.0.0.1"
EMAIL_PORT = int(os.environ["PEER_SMTP_PORT"])
LANGUAGE_CODE = "en-US"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "/static/"
STATIC_ROOT = os.path.join(BASE_DIR, "static")
MEDIA_URL = "/media/"
MEDIA_ROOT = os.path.join(BASE_DIR, "media")
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
LOGGING = {"version": 1, "root": {"level": "WARNING"}}
'''
PEER_URLS = """from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("helpdesk.urls", namespace="helpdesk")),
]
"""
PEER_WSGI = """import os
from django.core.wsgi import get_wsgi_application
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peerdesk.settings")
application = get_wsgi_application()
"""


def seed_peer() -> None:
    """A public queue, a staff user signed in, SEED_CASES tickets (run by the peer's
    own Python)."""
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from helpdesk.models import Queue, Ticket

    queue = Queue.objects.create(
        title="Complaints", slug="complaints", allow_public_submission=True
    )
    staff = get_user_model().objects.create_superuser(
        "load-staff", "staff@example.com", "load-staff-password"
    )
    for i in range(SEED_CASES):
        Ticket.objects.create(
            title=f"Seed {i}",
            queue=queue,
            description=f"Seed complaint {i}: the deposit has not been returned.",
            submitter_email=f"seed{i}@example.com",
        )
    print(json.dumps({"queue": queue.pk, "staff_session": _session_for(staff)}))


def _install_peer() -> dict[str, str]:
    """The peer's virtual environment and project; returns the environment to run it."""
    if not PEER_PYTHON.exists():
        print(f"installing {PEER_PACKAGE} into {PEER_DIR / 'venv'} …", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(PEER_DIR / "venv")], check=True)
    check = subprocess.run(
        [
            str(PEER_PYTHON),
            "-c",
            "import helpdesk, bootstrap4form, gunicorn, psycopg, dj_database_url",
        ],
        capture_output=True,
        check=False,
    )
    if check.returncode:
        subprocess.run(
            [
                str(PEER_PYTHON),
                "-m",
                "pip",
                "install",
                "-q",
                PEER_PACKAGE,
                "gunicorn",
                "psycopg[binary]",
                "dj-database-url",
                # Its demo project's form rendering (not a declared dependency).
                "django-bootstrap4-form",
                "packaging",
            ],
            check=True,
        )
    project = PEER_DIR / "peerdesk"
    project.mkdir(parents=True, exist_ok=True)
    (project / "__init__.py").write_text("")
    (project / "settings.py").write_text(PEER_SETTINGS)
    (project / "urls.py").write_text(PEER_URLS)
    (project / "wsgi.py").write_text(PEER_WSGI)
    version = subprocess.run(
        [str(PEER_PYTHON), "-m", "pip", "show", "django-helpdesk"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    found = re.search(r"^Version: (.+)$", version, re.M)
    return {"version": found.group(1) if found else "?"}


# --- the load driver (a second process) ------------------------------------------------


class Target:
    """One kind of request: how to make it and what counts as success."""

    def __init__(
        self,
        kind: str,
        port: int,
        method: str,
        path: Callable[[int, int], str],
        body: Callable[[int, int], bytes | None] = lambda c, i: None,
        headers: dict[str, str] | None = None,
        ok: tuple[int, ...] = (200,),
    ) -> None:
        self.kind, self.port, self.method = kind, port, method
        self.path, self.body, self.headers, self.ok = path, body, headers or {}, ok


def _one(target: Target, client: int, i: int, extra: dict[str, str]) -> tuple[float, str | None]:
    conn = http.client.HTTPConnection("127.0.0.1", target.port, timeout=60)
    started = time.perf_counter()
    try:
        conn.request(
            target.method,
            target.path(client, i),
            body=target.body(client, i),
            headers={**target.headers, **extra},
        )
        response = conn.getresponse()
        data = response.read()
        elapsed = time.perf_counter() - started
        if response.status not in target.ok:
            return elapsed, f"{target.kind} {response.status} {data[:160]!r}"
        return elapsed, None
    except OSError as error:
        return time.perf_counter() - started, f"{target.kind} {type(error).__name__}: {error}"
    finally:
        conn.close()


def _peer_csrf(port: int) -> dict[str, str]:
    """A CSRF cookie and token from helpdesk's public form, for one client."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("GET", "/tickets/submit/")
    response = conn.getresponse()
    html = response.read().decode()
    cookie = response.getheader("Set-Cookie") or ""
    conn.close()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    found = re.search(r"csrftoken=([^;]+)", cookie)
    if token is None or found is None:
        raise RuntimeError(f"helpdesk's form gave no CSRF token ({response.status})")
    return {"Cookie": f"csrftoken={found.group(1)}", "_token": token.group(1)}


def _targets(plan: dict[str, Any]) -> dict[str, Target]:
    a, p = plan["accord_port"], plan.get("peer_port", 0)
    seed = plan["accord"]

    def complaint(client: int, i: int) -> bytes:
        return json.dumps(
            {
                "complainant": {
                    "name": f"Load {client}-{i}",
                    "email": f"load{client}x{i}@example.com",
                },
                "description": f"Load complaint {client}-{i}: the deposit has not been returned.",
            }
        ).encode()

    staff_cookie = {"Cookie": f"sessionid={seed['staff_session']}"}
    targets = {
        "intake": Target(
            "intake",
            a,
            "POST",
            lambda c, i: "/api/organisations/ocasa/complaints",
            complaint,
            {"Content-Type": "application/json"},
            ok=(201,),
        ),
        "staff_queue": Target(
            "staff_queue", a, "GET", lambda c, i: "/staff/", headers=staff_cookie
        ),
        "staff_case": Target(
            "staff_case",
            a,
            "GET",
            lambda c, i: f"/staff/cases/{seed['big_case']}/",
            headers=staff_cookie,
        ),
        "party_page": Target(
            "party_page",
            a,
            "GET",
            lambda c, i: f"/my/cases/{seed['big_case']}/",
            headers={"Cookie": f"sessionid={seed['party_session']}"},
        ),
        "api_queue": Target(
            "api_queue",
            a,
            "GET",
            lambda c, i: "/api/cases?limit=25",
            headers={"Authorization": f"Bearer {seed['token']}"},
        ),
    }
    if p:
        peer = plan["peer"]
        targets["peer_create"] = Target(
            "peer_create",
            p,
            "POST",
            lambda c, i: "/tickets/submit/",
            lambda c, i: (
                (
                    "queue={q}&title=Load+{c}-{i}&body=Load+complaint+{c}-{i}%3A+the+deposit+has+not"
                    "+been+returned.&priority=3&submitter_email=load{c}x{i}%40example.com"
                    "&due_date=&csrfmiddlewaretoken={{token}}"
                )
                .format(q=peer["queue"], c=c, i=i)
                .encode()
            ),
            {"Content-Type": "application/x-www-form-urlencoded"},
            ok=(302,),
        )
        targets["peer_list"] = Target(
            "peer_list",
            p,
            "GET",
            lambda c, i: "/api/tickets/?page=1",
            headers={"Cookie": f"sessionid={peer['staff_session']}"},
        )
    return targets


def drive() -> None:
    """Read a plan on stdin, run it with one thread per client, print the results."""
    plan = json.loads(sys.stdin.read())
    targets = _targets(plan)
    clients, kinds, turns = plan["clients"], plan["kinds"], plan["turns"]
    peer_extra: list[dict[str, str]] = []
    if any(k == "peer_create" for k in kinds):
        peer_extra = [_peer_csrf(plan["peer_port"]) for _ in range(clients)]
    timings: dict[str, list[float]] = {k: [] for k in kinds}
    errors: list[str] = []
    lock = threading.Lock()
    offset = plan.get("offset", 0)

    def client(c: int) -> None:
        for i in range(turns):
            for kind in kinds:
                target = targets[kind]
                extra: dict[str, str] = {}
                if kind == "peer_create":
                    extra = {"Cookie": peer_extra[c]["Cookie"]}
                    saved = target.body
                    token = peer_extra[c]["_token"]
                    body = saved(c, offset + i).replace(b"{token}", token.encode())
                    elapsed, error = _one(
                        Target(
                            kind,
                            target.port,
                            "POST",
                            target.path,
                            lambda *_, sent=body: sent,
                            target.headers,
                            target.ok,
                        ),
                        c,
                        offset + i,
                        extra,
                    )
                else:
                    elapsed, error = _one(target, c, offset + i, extra)
                with lock:
                    timings[kind].append(elapsed)
                    if error:
                        errors.append(error)

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(c,)) for c in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    print(
        json.dumps(
            {"wall": wall, "timings": timings, "errors": errors[:20], "n_errors": len(errors)}
        )
    )


# --- orchestration ---------------------------------------------------------------------


def _backlog(url: str) -> tuple[int, int]:
    """(tasks not finished, e-mails not sent) in Accord's database."""
    import psycopg

    with psycopg.connect(url.replace("postgres://", "postgresql://")) as conn:
        tasks = conn.execute(
            "SELECT count(*) FROM django_tasks_database_dbtaskresult "
            "WHERE status IN ('READY', 'RUNNING')"
        ).fetchone()
        mails = conn.execute(
            "SELECT count(*) FROM outbox_outboundmessage WHERE status IN ('queued', 'sending')"
        ).fetchone()
    return int(tasks[0] if tasks else 0), int(mails[0] if mails else 0)


def _drain(url: str, limit: float = 120) -> tuple[tuple[int, int], float]:
    started = time.monotonic()
    at_end = _backlog(url)
    while time.monotonic() - started < limit:
        if _backlog(url) == (0, 0):
            break
        time.sleep(0.25)
    return at_end, time.monotonic() - started


def _run_driver(plan: dict[str, Any]) -> dict[str, Any]:
    return dict(_run_json([sys.executable, __file__, "_drive"], dict(os.environ), json.dumps(plan)))


def _report(title: str, result: dict[str, Any]) -> dict[str, dict[str, float]]:
    wall = result["wall"]
    print(f"\n{title}  ({wall:.1f} s, {result['n_errors']} errors)")
    print(f"  {'kind':12} {'n':>6} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
    stats: dict[str, dict[str, float]] = {}
    for kind, values in result["timings"].items():
        ms = [v * 1000 for v in values]
        # The rate of one kind in a mix: its share of the wall time.
        row = {
            "n": len(ms),
            "rps": len(ms) / wall if wall else 0.0,
            "p50": _percentile(ms, 50),
            "p95": _percentile(ms, 95),
            "p99": _percentile(ms, 99),
        }
        stats[kind] = row
        print(
            f"  {kind:12} {row['n']:6.0f} {row['rps']:8.1f} {row['p50']:8.1f} "
            f"{row['p95']:8.1f} {row['p99']:8.1f}"
        )
    for error in result["errors"]:
        print(f"  error: {error}")
    return stats


def _verdict(ok: bool) -> str:
    return "meets" if ok else "MISSES"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=25, help="turns of the mix per client")
    parser.add_argument("--peer", action="store_true", help="django-helpdesk beside Accord")
    parser.add_argument("--burst", type=int, default=400, help="requests per peer burst")
    parser.add_argument("--bursts", type=int, default=3, help="interleaved bursts per path")
    parser.add_argument("--keep", action="store_true", help="keep the databases")
    parser.add_argument(
        "--collectstatic", action="store_true", help="collect the static files even if present"
    )
    args = parser.parse_args()
    print(f"before: {_load()}")
    accord_url = _recreate_database(ACCORD_DB)
    processes: list[subprocess.Popen[bytes]] = []
    log_dir = ROOT / "var" / "load"
    log_dir.mkdir(parents=True, exist_ok=True)
    with _smtp_sink() as (received, smtp_port):
        env = _accord_env(accord_url, smtp_port)
        try:
            subprocess.run(
                [sys.executable, "manage.py", "migrate", "--no-input", "-v0"],
                cwd=ROOT,
                env=env,
                check=True,
            )
            steps = [["createcachetable"]]
            if args.collectstatic or not (ROOT / "staticfiles" / "staticfiles.json").exists():
                steps.append(["collectstatic", "--no-input", "-v0"])  # minutes on a busy box
            for step in steps:
                subprocess.run([sys.executable, "manage.py", *step], cwd=ROOT, env=env, check=True)
            seed = _run_json([sys.executable, __file__, "_seed_accord"], env)
            _analyse(accord_url)
            print(f"Accord: {SEED_CASES} cases, {seed['big_case']} has {seed['events']} events")
            serve = subprocess.Popen(
                [
                    sys.executable,
                    "manage.py",
                    "serve",
                    "--bind",
                    f"127.0.0.1:{ACCORD_PORT}",
                    "--web",
                    "4",
                    "--tasks",
                    "2",
                    "--sweepers",
                    "1",
                    "--outboxes",
                    "1",
                    "--no-setup",
                ],
                cwd=ROOT,
                env=env,
                stdout=(log_dir / "serve.log").open("w"),
                stderr=subprocess.STDOUT,
            )
            processes.append(serve)
            _wait_for(f"http://127.0.0.1:{ACCORD_PORT}/readyz", 600)
            _drain(accord_url)  # the seed cases' receipt notices
            plan: dict[str, Any] = {
                "accord_port": ACCORD_PORT,
                "accord": seed,
                "clients": args.clients,
            }
            peer_port = ACCORD_PORT + 1
            if args.peer:
                installed = _install_peer()
                peer_url = _recreate_database(PEER_DB)
                peer_env = {
                    **{k: v for k, v in os.environ.items() if not k.startswith("VIRTUAL_ENV")},
                    "DATABASE_URL": peer_url,
                    "PEER_SMTP_PORT": str(smtp_port),
                    "DJANGO_SETTINGS_MODULE": "peerdesk.settings",
                    "PYTHONPATH": str(PEER_DIR),
                }
                subprocess.run(
                    [str(PEER_PYTHON), "-m", "django", "migrate", "--no-input", "-v0"],
                    cwd=PEER_DIR,
                    env=peer_env,
                    check=True,
                )
                peer = _run_json([str(PEER_PYTHON), __file__, "_seed_peer"], peer_env)
                _analyse(peer_url)
                gunicorn = subprocess.Popen(
                    [
                        str(PEER_PYTHON),
                        "-m",
                        "gunicorn",
                        "peerdesk.wsgi:application",
                        "--bind",
                        f"127.0.0.1:{peer_port}",
                        "--workers",
                        "4",
                        "--timeout",
                        "30",
                        "--no-control-socket",
                        "--access-logfile",
                        "/dev/null",
                    ],
                    cwd=PEER_DIR,
                    env=peer_env,
                    stdout=(log_dir / "peer.log").open("w"),
                    stderr=subprocess.STDOUT,
                )
                processes.append(gunicorn)
                _wait_for(f"http://127.0.0.1:{peer_port}/tickets/submit/", 120)
                plan.update(peer_port=peer_port, peer=peer)
                print(f"django-helpdesk {installed['version']}: {SEED_CASES} tickets")

            print(f"\nstarted: {_load()}")
            kinds = ["intake", "staff_queue", "staff_case", "party_page", "api_queue"]
            mixed = _run_driver({**plan, "kinds": kinds, "turns": args.rounds})
            stats = _report(
                f"(a) Accord, mixed load: {args.clients} clients x {args.rounds} turns of "
                f"{', '.join(kinds)}",
                mixed,
            )
            at_end, drained = _drain(accord_url)
            print(
                f"  backlog when the load ended: {at_end[0]} tasks, {at_end[1]} e-mails; "
                f"drained in {drained:.1f} s (target <= {TARGETS['drain_s']:.0f} s: "
                f"{_verdict(drained <= TARGETS['drain_s'])})"
            )
            print(
                f"  intake p95 {stats['intake']['p95']:.0f} ms (target <= "
                f"{TARGETS['intake_p95_ms']:.0f}: "
                f"{_verdict(stats['intake']['p95'] <= TARGETS['intake_p95_ms'])}); "
                f"staff case page p95 {stats['staff_case']['p95']:.0f} ms (target <= "
                f"{TARGETS['case_page_p95_ms']:.0f}: "
                f"{_verdict(stats['staff_case']['p95'] <= TARGETS['case_page_p95_ms'])}); "
                f"errors {mixed['n_errors']}"
            )
            print(f"  e-mails at the SMTP sink so far: {received[0]}")

            if args.peer:
                _peer_comparison(plan, args, accord_url)
        finally:
            for process in processes:
                process.send_signal(signal.SIGTERM)
            for process in processes:
                try:
                    process.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    process.kill()
            if not args.keep:
                _drop_database(ACCORD_DB)
                if args.peer:
                    _drop_database(PEER_DB)
    print(f"\nat the end: {_load()} (other work on the machine skews every figure)")


def _peer_comparison(plan: dict[str, Any], args: argparse.Namespace, accord_url: str) -> None:
    per_client = max(1, args.burst // args.clients)
    pairs = [("intake", "peer_create", "creation"), ("api_queue", "peer_list", "list of 25 rows")]
    totals: dict[str, dict[str, list[float]]] = {}
    wall: dict[str, float] = {}
    errors = 0
    drains: list[float] = []
    for burst in range(args.bursts):
        for ours, theirs, _ in pairs:
            for kind in (ours, theirs) if burst % 2 == 0 else (theirs, ours):
                result = _run_driver(
                    {**plan, "kinds": [kind], "turns": per_client, "offset": 10_000 * (burst + 1)}
                )
                totals.setdefault(kind, {"t": []})["t"] += result["timings"][kind]
                wall[kind] = wall.get(kind, 0.0) + result["wall"]
                errors += result["n_errors"]
                for error in result["errors"][:3]:
                    print(f"  error: {error}")
                if kind == "intake":
                    drains.append(_drain(accord_url)[1])
    print(
        f"\n(b) side by side with django-helpdesk: {args.bursts} interleaved bursts of "
        f"{per_client * args.clients} requests per path, {args.clients} clients; {errors} errors"
    )
    print(f"  {'path':34} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
    rates: dict[str, float] = {}
    labels = {
        "intake": "Accord public intake (API)",
        "peer_create": "helpdesk public ticket form",
        "api_queue": "Accord API queue, 25 rows",
        "peer_list": "helpdesk API ticket list, 25 rows",
    }
    for kind in ("intake", "peer_create", "api_queue", "peer_list"):
        ms = [v * 1000 for v in totals[kind]["t"]]
        rates[kind] = len(ms) / wall[kind]
        print(
            f"  {labels[kind]:34} {rates[kind]:8.1f} {_percentile(ms, 50):8.1f} "
            f"{_percentile(ms, 95):8.1f} {_percentile(ms, 99):8.1f}"
        )
    creation = rates["intake"] / rates["peer_create"]
    listing = rates["api_queue"] / rates["peer_list"]
    print(
        f"  ratio Accord / helpdesk: creation {creation:.2f}x (target >= {TARGETS['ratio']:.0f}x: "
        f"{_verdict(creation >= TARGETS['ratio'])}), list {listing:.2f}x"
    )
    print(
        f"  Accord's backlog after each intake burst drained in: {', '.join(f'{d:.1f} s' for d in drains)}"
    )


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command == "_drive":
        drive()
    elif command == "_seed_accord":
        seed_accord()
    elif command == "_seed_peer":
        seed_peer()
    else:
        main()
