"""Shared test set-up: the seed organisations, personas for every role, a fixed
clock, and a client that speaks to the API as a given user."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client

from accord.accounts.models import ApiToken, User
from accord.organisations.models import Organisation
from accord.organisations.seed.load import load_organisations

LONDON = ZoneInfo("Europe/London")


def london(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    """An instant in UK local time: london(2026, 12, 24, 10, 0)."""
    return dt.datetime(year, month, day, hour, minute, tzinfo=LONDON)


@pytest.fixture(autouse=True)
def _fresh_throttle(request: pytest.FixtureRequest) -> None:
    # The throttles count in the shared cache (the database's cache table by default);
    # each test that reaches the database starts with a clean count.
    marker = request.node.get_closest_marker("django_db")
    names = set(request.fixturenames)
    if "transactional_db" in names or (marker is not None and marker.kwargs.get("transaction")):
        request.getfixturevalue("transactional_db")
    elif "db" in names or marker is not None:
        request.getfixturevalue("db")
    else:
        return
    cache.clear()


@pytest.fixture(autouse=True)
def _long_sessions(settings: Any) -> None:
    # Many tests sign in once and then move the clock on by days; a session there lasts
    # as long as the test needs. tests/test_sessions.py checks the real default.
    settings.SESSION_COOKIE_AGE = 30 * 24 * 3600


def flush_database() -> None:
    """Empty every table, as the end of a transactional test does. The timeline's
    append-only triggers refuse that flush on SQLite (it deletes events while their case
    still exists), so they are lifted for it and put back after."""
    from django.core.management import call_command
    from django.db import connection

    from accord.cases import triggers

    with connection.schema_editor() as editor:
        triggers.remove(None, editor)
    try:
        call_command("flush", interactive=False, verbosity=0)
    finally:
        with connection.schema_editor() as editor:
            triggers.install(None, editor)


@pytest.fixture
def committed_db(transactional_db: None) -> Iterator[None]:
    """A database other threads see (a live server, a mail listener): committed for real
    and flushed afterwards. The flush also removes the default letter templates the
    migrations load, so each such test starts by putting back any that are missing."""
    from accord.letters.defaults import ensure_default_templates

    ensure_default_templates()
    yield
    flush_database()


@pytest.fixture
def organisations(db: None) -> dict[str, Organisation]:
    return {o.slug: o for o in load_organisations()}


@pytest.fixture
def occs(organisations: dict[str, Organisation]) -> Organisation:
    return organisations["occs"]


@pytest.fixture
def optimised(organisations: dict[str, Organisation]) -> Organisation:
    return organisations["optimised"]


@pytest.fixture
def ocasa(organisations: dict[str, Organisation]) -> Organisation:
    return organisations["ocasa"]


def make_staff(organisation: Organisation, role: str, name: str) -> User:
    return User.objects.create_user(
        username=name, organisation=organisation, staff_role=role, email=f"{name}@example.com"
    )


@pytest.fixture
def staff(organisations: dict[str, Organisation]) -> Callable[[str, str], User]:
    """staff("occs", "handler") -> a new user with that role at that organisation."""
    counter = {"n": 0}

    def make(slug: str, role: str) -> User:
        counter["n"] += 1
        return make_staff(organisations[slug], role, f"{slug}-{role}-{counter['n']}")

    return make


class ApiClient:
    """Calls the JSON API as one user (or anonymously), with JSON in and out."""

    def __init__(self, user: User | None = None) -> None:
        self.client = Client()
        self.headers: dict[str, str] = {}
        if user is not None:
            _, raw = ApiToken.issue(user, "test")
            self.headers["Authorization"] = f"Bearer {raw}"

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(f"/api{path}", params, headers=self.headers)

    def post(self, path: str, body: Any = None, headers: dict[str, str] | None = None) -> Any:
        return self.client.post(
            f"/api{path}",
            json.dumps(body if body is not None else {}),
            content_type="application/json",
            headers={**self.headers, **(headers or {})},
        )

    def step(self, reference: str, action: str, **body: Any) -> Any:
        if "letters" not in body:
            body["letters"] = typical_letter_fields(reference, action, bool(body.get("reason")))
            later = [name for name, fields in body["letters"].items() if fields is None]
            body["letters"] = {k: v for k, v in body["letters"].items() if v is not None}
            body.setdefault("letters_later", later)
        return self.post(f"/cases/{reference}/steps/{action}", body)


def _dated(procedure: Any, action: str) -> bool:
    return any(action in c.starts_on and c.due_on_input for c in procedure.clocks.values())


def typical_step_letters(case: Any, action: str, reason: str = "") -> Any:
    """`typical_letter_fields` as the engine takes them (for tests calling the engine)."""
    from accord.letters.steps import StepLetters

    typed = typical_letter_fields(case.reference, action, bool(reason))
    return StepLetters(
        fields={k: v for k, v in typed.items() if v is not None},
        later=tuple(k for k, v in typed.items() if v is None),
    )


def typical_letter_fields(reference: str, action: str, has_reason: bool) -> dict[str, Any]:
    """What a handler would type into the letters a step sends (a test that is not about
    the letters' words takes the step as a handler would)."""
    from accord.cases.engine import procedure_of
    from accord.cases.models import Case
    from accord.letters.kinds import kind_of, typed_fields
    from accord.procedures.definition import Role
    from accord.procedures.wording import party_wording

    case = Case.objects.filter(reference=reference).first()
    if case is None:
        return {}
    procedure = procedure_of(case)
    transition = procedure.transitions.get(action)
    if transition is None:
        return {}
    typed: dict[str, Any] = {}
    for name in transition.letters:
        kind = kind_of(procedure, name)
        if kind is None:
            continue
        if party_wording(procedure).letter(name).may_follow:
            typed[name] = None  # left for later, as the pack allows
            continue
        fields = {
            field.name: f"The {field.label.lower()}, as the handler wrote it."
            for field in typed_fields(kind, mediates=party_wording(procedure).mediates)
            if field.name != "reason"
            and not (field.name == "anticipated_date" and _dated(procedure, action))
        }
        if "anticipated_date" in fields:
            fields["anticipated_date"] = (
                (case.received_at + dt.timedelta(days=21)).date().isoformat()
            )
        # A step's own reason is staff's and reaches only the complainant's copy (the case
        # policy); a letter the business gets too says why in words typed for it.
        to_business = Role.RESPONDENT in party_wording(procedure).letter(name).to
        if (not has_reason or to_business) and any(
            f.name == "reason" for f in typed_fields(kind, mediates=False)
        ):
            fields["reason"] = "The reasons, as the handler wrote them."
        typed[name] = fields
    return typed


@pytest.fixture
def api() -> Callable[[User | None], ApiClient]:
    return ApiClient


def complaint_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "complainant": {"name": "Alex Morgan", "email": "alex@example.com"},
        "description": "My glasses were made to the wrong prescription.",
        "desired_outcome": "A remake.",
    }
    body.update(overrides)
    return body


def take(
    client: ApiClient, reference: str, at: dt.datetime, *steps: str, **body: Any
) -> dict[str, Any]:
    """Take `steps` in order at `at`, each expected to succeed; the last case detail."""
    result: dict[str, Any] = {}
    with time_machine.travel(at, tick=False):
        for step in steps:
            response = client.step(reference, step, **body)
            assert response.status_code == 200, (step, response.content)
            result = response.json()
    return result


def attempt(client: ApiClient, reference: str, at: dt.datetime, step: str, **body: Any) -> Any:
    """Try a step at `at`; the response, whatever it is."""
    with time_machine.travel(at, tick=False):
        return client.step(reference, step, **body)


def detail_at(client: ApiClient, reference: str, at: dt.datetime) -> dict[str, Any]:
    with time_machine.travel(at, tick=False):
        response = client.get(f"/cases/{reference}")
    assert response.status_code == 200, response.content
    return dict(response.json())


def clock(detail: dict[str, Any], key: str) -> dict[str, Any]:
    """One clock of a case detail, by key."""
    return dict(next(c for c in detail["clocks"] if c["key"] == key))


def verified_client(user: User) -> Client:
    """A Django test client signed in as this staff member with a verified TOTP device,
    as if they had entered their password and a code (django-otp's session key)."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def open_to_business(reference: str, handler: User, at: dt.datetime) -> None:
    """The mediator opens the case to the business complained about (until then the
    business does not know of it)."""
    from accord.cases.models import Case
    from accord.mediation.opening import open_to_respondent

    open_to_respondent(Case.objects.get(reference=reference).pk, handler, now=at)
