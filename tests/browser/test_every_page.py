"""Every staff, party and public page, at 390 px (a phone) and 1280 px: none is wider
than the viewport, axe-core finds nothing serious or critical, and the Nu HTML Checker
finds no error. The pages come from the URLconf, so a new page is visited without
anyone adding it here: a route this test cannot open fails it until it is given
a value below. The data is the demo seed (made through the real actions) plus a
corrective action and a complaint sent from the public form's session.

Screenshots of every page at both widths go to test-artifacts/screenshots/every-*.png and
the list of pages visited to test-artifacts/every-page.txt.

It runs on SQLite only: what it checks (layout, accessibility, HTML) does not depend on
the database, and CI runs the suite on SQLite as well as PostgreSQL; on PostgreSQL it
would cost about three minutes of CI for the same answer."""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from accord.accounts.demo import DEMO_PASSWORD
from accord.accounts.models import User
from accord.cases import engine
from accord.cases.complainant_links import link_path
from accord.cases.models import Case
from accord.organisations.models import ClosureDay, Organisation
from accord.procedures import own
from accord.procedures.registry import registry
from accord.quality.actions import ActionDetails, create_action
from accord.web.public.views import SUBMITTED
from tests.browser.conftest import SCREENSHOTS, assert_accessible, vnu_errors

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
WIDTHS = (390, 1280)
# Not pages people read in Accord's own layout: the Django admin and the JSON API.
# Not pages: the admin, the JSON API and the load balancer's health checks (JSON).
OUTSIDE = ("admin/", "api/", "healthz", "readyz")


def routes() -> Iterator[tuple[str, str, URLPattern]]:
    """(route, name, pattern) of every page: every URL but those in OUTSIDE."""

    def walk(
        resolver: URLResolver, prefix: str, space: str
    ) -> Iterator[tuple[str, str, URLPattern]]:
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                inner = f"{space}{entry.namespace}:" if entry.namespace else space
                yield from walk(entry, prefix + str(entry.pattern), inner)
            elif entry.name:
                yield prefix + str(entry.pattern), space + entry.name, entry

    for route, name, pattern in walk(get_resolver(), "", ""):
        if not route.startswith(OUTSIDE):
            yield route, name, pattern


@dataclass
class Visit:
    name: str
    path: str
    who: str
    status: str = ""
    problems: list[str] = field(default_factory=list)


def staff_session(user: User) -> Client:
    """Signed in with a password and a verified second factor (django-otp's key)."""
    client = Client()
    client.force_login(user)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    assert device is not None, user
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def pending_session(username: str) -> Client:
    """The right password given, the code not yet."""
    client = Client()
    response = client.post("/staff/login/", {"username": username, "password": DEMO_PASSWORD})
    assert response.status_code == 303, response.content
    return client


def party_session(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def build_world() -> dict[str, Any]:
    """The demo seed, a corrective action, a complaint sent from a browser session and a
    staff member who has not yet set up a second factor."""
    call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    occs = Organisation.objects.get(slug="occs")
    manager = User.objects.get(username="occs-manager")
    case = Case.objects.filter(organisation=occs).order_by("pk").first()
    assert case is not None
    action = create_action(
        occs,
        manager,
        ActionDetails(
            what="Remind every practice that eye tests advertised as free are free.",
            owner=manager,
            due_on=timezone.localdate() + dt.timedelta(days=30),
            case_references=(case.reference,),
        ),
        now=timezone.now(),
    )
    User.objects.create_user(
        username="new-starter",
        password=DEMO_PASSWORD,
        organisation=occs,
        staff_role="handler",
        first_name="Nina",
        last_name="Patel",
    )
    sender = Client()
    sender.get("/ocasa/")
    session = sender.session
    public_case = Case.objects.filter(organisation__slug="ocasa").order_by("pk").first()
    assert public_case is not None
    session[SUBMITTED] = [public_case.pk]
    session.save()
    complainant = User.objects.get(username="complainant")
    administrator = User.objects.get(username="occs-administrator")
    ClosureDay.objects.get_or_create(
        organisation=occs, date=dt.date(2027, 12, 24), defaults={"name": "Christmas Eve"}
    )
    procedure = registry().in_force(occs.procedure_key, timezone.localdate())
    draft = own.start_draft(occs, administrator, source=procedure.ref, now=timezone.now())
    letter = sent_letter(complainant)
    return {
        "inbound": held_email(),
        "letter": letter,
        "settings": {
            "day_id": occs.closure_days.first().pk,  # type: ignore[union-attr]
            "team_id": occs.teams.first().pk,  # type: ignore[union-attr]
            "user_id": manager.pk,
            "body_id": occs.external_bodies.first().pk,  # type: ignore[union-attr]
            "draft_id": draft.pk,
            "section": "clocks",
            "item": next(iter(procedure.clocks)),
        },
        "action": action,
        "public_case": public_case,
        "clients": {
            "anonymous": Client(),
            "sender": sender,
            "pending": pending_session("occs-handler"),
            "enrolling": pending_session("new-starter"),
            "complainant": party_session(complainant),
            "respondent": party_session(User.objects.get(username="occs-practice")),
            "occs manager": staff_session(manager),
            "occs administrator": staff_session(administrator),
            **{
                f"{slug} handler": staff_session(User.objects.get(username=f"{slug}-handler"))
                for slug in ("occs", "optimised", "ocasa")
            },
        },
        "complainant_cases": list(
            Case.objects.filter(complainant__user=complainant).order_by("pk")
        ),
        "respondent_cases": list(
            Case.objects.filter(
                respondent__organisation=occs, opened_to_respondent_at__isnull=False
            ).order_by("pk")[:2]
        ),
    }


def held_email() -> Any:
    """An e-mail in Ocasa's quarantine (an old guessable reply address), with an HTML
    body and an attachment."""
    from accord.inbound.ingest import receive

    raw = (
        b"From: Robin Hood <robin@example.org>\n"
        b"To: complaints+oca-2026-000001-complainant@ocasahomes.co.uk\n"
        b"Subject: My deposit\nMessage-ID: <every-page@example.org>\nMIME-Version: 1.0\n"
        b'Content-Type: multipart/mixed; boundary="XX"\n\n--XX\n'
        b"Content-Type: text/html; charset=utf-8\n\n<p>My deposit was <b>kept</b>.</p>\n"
        b'--XX\nContent-Type: application/pdf; name="deposit.pdf"\n'
        b'Content-Disposition: attachment; filename="deposit.pdf"\n\n%PDF-1.4\n--XX--\n'
    )
    outcome = receive(raw, envelope_to=["complaints+oca-2026-000001-complainant@ocasahomes.co.uk"])
    assert outcome.status == "quarantined", outcome
    from accord.inbound.models import InboundMessage

    return InboundMessage.objects.get(pk=outcome.inbound_id)


def sent_letter(complainant: User) -> Any:
    """A letter sent to the demo complainant (their page lists it): the demo's, or an
    acknowledgement sent now."""
    from accord.letters.models import Letter
    from accord.letters.rendering import LetterRequest
    from accord.letters.sending import send

    sent = Letter.objects.filter(
        case__complainant__user=complainant, recipient="complainant", status="sent"
    )
    if not sent.exists():
        case = Case.objects.filter(complainant__user=complainant).order_by("pk").first()
        assert case is not None
        handler = User.objects.get(username=f"{case.organisation.slug}-handler")
        request = LetterRequest(name="acknowledgement", recipient="complainant")
        send(case.pk, handler, request, timezone.now())
    return sent.order_by("pk").first()


# A route's parameter that must be a real value even for an action's URL to resolve.
PLACEHOLDERS = {"party": "complainant", "action": "withdraw"}
ANONYMOUS = {"staff-login", "party-login", "party-link-request"}


def candidates(world: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(url name, path, who) for every route, with real values where a page needs one
    and a placeholder where the route is an action (its GET is then refused)."""
    out: list[tuple[str, str, str]] = []
    orgs = list(Organisation.objects.order_by("slug"))
    cases = list(Case.objects.select_related("organisation").order_by("pk"))
    for route, name, _pattern in routes():
        params = re.findall(r"<(?:(\w+):)?(\w+)>", route)
        names = {param for _, param in params}
        placeholder: dict[str, Any] = {
            param: 999999 if converter == "int" else PLACEHOLDERS.get(param, "x")
            for converter, param in params
        }

        def url(name: str = name, placeholder: dict[str, Any] = placeholder, **values: Any) -> str:
            return reverse(name, kwargs={**placeholder, **values})

        if name == "staff-login-code":
            out.append((name, url(), "pending"))
        elif name == "staff-enrol":
            out.append((name, url(), "enrolling"))
        elif name in ANONYMOUS:
            out.append((name, url(), "anonymous"))
        elif name == "party-link-open":
            case = world["complainant_cases"][0]
            out.append((name, link_path(case), "anonymous"))
        elif name == "public-received":
            case = world["public_case"]
            out.append((name, url(slug="ocasa", reference=case.reference), "sender"))
        elif names == {"slug"}:
            out += [(name, url(slug=org.slug), "anonymous") for org in orgs]
        elif route.startswith("my/"):
            if "letter_id" in names:
                letter = world["letter"]
                values = {"reference": letter.case.reference, "letter_id": letter.pk}
                out.append((name, url(**values), "complainant"))
            elif names == {"reference"}:
                out += [
                    (name, url(reference=c.reference), "complainant")
                    for c in world["complainant_cases"]
                ]
                out += [
                    (name, url(reference=c.reference), "respondent")
                    for c in world["respondent_cases"]
                ]
            elif "reference" in names:
                case = world["complainant_cases"][0]
                out.append((name, url(reference=case.reference), "complainant"))
            else:
                out.append((name, url(), "complainant"))
                if name == "party-cases":
                    out.append((name, url(), "respondent"))
        elif route.startswith(("quality/", "reports/")):
            if "action_id" in names:
                out.append((name, url(action_id=world["action"].pk), "occs manager"))
            elif "reference" in names:
                case = world["action"].cases.first()
                out.append((name, url(reference=case.reference), "occs manager"))
            else:
                out.append((name, url(), "occs manager"))
        elif route.startswith("staff/settings/"):
            path = url(**{param: world["settings"][param] for param in names})
            out.append((name, path, "occs administrator"))
            if name == "settings-draft-simulate":
                dates = "?nation=NIR&received_on=2027-03-15&received_time=10:00"
                out.append((name, path + dates, "occs administrator"))
        elif route.startswith("staff/"):
            if "inbound_id" in names:
                values = {"inbound_id": world["inbound"].pk}
                values |= {"number": 0} if "number" in names else {}
                out.append((name, url(**values), "ocasa handler"))
            elif names == {"reference"}:
                for case in cases:
                    who = f"{case.organisation.slug} handler"
                    out.append((name, url(reference=case.reference), who))
                    if name == "staff-letter":
                        letter = next(iter(engine.procedure_of(case).letters), None)
                        if letter:
                            preview = f"?name={letter}&recipient=complainant"
                            out.append((name, url(reference=case.reference) + preview, who))
            elif "reference" in names:
                out.append((name, url(reference=cases[0].reference), "occs handler"))
            else:
                out += [(name, url(), f"{slug} handler") for slug in ("occs", "ocasa")]
        else:
            out.append((name, url(), "anonymous"))
    return out


def classify(world: dict[str, Any]) -> tuple[list[Visit], list[Visit]]:
    """Ask each candidate with the test client first: an HTML page (200) is visited in
    the browser; an action (405), a file (PDF, CSV, XLSX) or a redirect is listed."""
    pages: list[Visit] = []
    others: list[Visit] = []
    for name, path, who in candidates(world):
        visit = Visit(name, path, who)
        response = world["clients"][who].get(path)
        kind = response.get("Content-Type", "")
        if response.status_code == 200 and kind.startswith("text/html"):
            visit.status = "200 page"
            pages.append(visit)
            continue
        if response.status_code == 405:
            visit.status = "405 (an action: POST only)"
        elif response.status_code == 200:
            visit.status = f"200 file ({kind.split(';')[0]})"
        elif response.status_code in (301, 302, 303):
            visit.status = f"{response.status_code} to {response['Location']}"
        else:
            visit.status = f"{response.status_code}"
            visit.problems.append(
                f"{who} cannot open {path} ({response.status_code}): give this route a "
                "value in candidates() so its page is checked"
            )
        others.append(visit)
    return pages, others


def browser_cookies(client: Client, base: str) -> list[dict[str, Any]]:
    return [
        {"name": morsel.key, "value": morsel.value, "url": base}
        for morsel in client.cookies.values()
        if morsel.value
    ]


@pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3",
    reason="layout, accessibility and HTML do not depend on the database: the SQLite run checks them",
)
def test_every_page_fits_the_screen_is_accessible_and_valid(
    browser: Any, live_server: Any, tmp_path: Path
) -> None:
    world = build_world()
    pages, others = classify(world)
    contexts: dict[tuple[str, int], Any] = {}
    saved: dict[Path, Visit] = {}
    for number, visit in enumerate(pages):
        for width in WIDTHS:
            key = (visit.who, width)
            if key not in contexts:
                context = browser.new_context(
                    base_url=live_server.url,
                    locale="en-GB",
                    viewport={"width": width, "height": 900},
                )
                context.set_default_timeout(20_000)
                context.add_cookies(browser_cookies(world["clients"][visit.who], live_server.url))
                contexts[key] = context
            page = contexts[key].new_page()
            try:
                page.goto(visit.path)
                label = f"{visit.name} {visit.path} as {visit.who} at {width}px"
                wide = page.evaluate(
                    "() => [document.documentElement.scrollWidth, window.innerWidth]"
                )
                if wide[0] > wide[1]:
                    visit.problems.append(f"{label}: {wide[0]} px wide in a {wide[1]} px viewport")
                try:
                    assert_accessible(page, label)
                except AssertionError as exc:
                    visit.problems.append(str(exc))
                slug = re.sub(r"[^A-Za-z0-9]+", "-", f"{visit.path}-{visit.who}").strip("-")
                SCREENSHOTS.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(SCREENSHOTS / f"every-{width}-{slug}.png"), full_page=True)
                if width == WIDTHS[0]:
                    html = tmp_path / f"page-{number:03d}.html"
                    html.write_text(page.content(), encoding="utf-8")
                    saved[html] = visit
            finally:
                page.close()
    for context in contexts.values():
        context.close()
    # What the server sent, not the DOM after scripts ran: fetch it again for the checker.
    for html, visit in saved.items():
        response = world["clients"][visit.who].get(visit.path)
        html.write_bytes(response.content)
    for html, errors in vnu_errors(saved).items():
        visit = saved.get(html) or next(v for p, v in saved.items() if p.name == html.name)
        visit.problems += [f"HTML checker on {visit.path} as {visit.who}: {e}" for e in errors]

    listing = [
        f"{visit.status:32} {visit.who:18} {visit.path}  ({visit.name})"
        + (f"  PROBLEMS: {len(visit.problems)}" if visit.problems else "")
        for visit in pages + others
    ]
    report = ROOT / "test-artifacts" / "every-page.txt"
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text("\n".join(listing) + "\n", encoding="utf-8")
    problems = [problem for visit in pages + others for problem in visit.problems]
    assert len(pages) > 20, listing
    assert not problems, f"{len(problems)} problem(s):\n" + "\n".join(problems)
