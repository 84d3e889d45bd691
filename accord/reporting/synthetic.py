"""A realistic data set of several years for an organisation: cases with their timeline
events, clocks, outcomes, sources, categories, handlers and teams, and (for a mediation
service) the parties' feedback. Used by the reporting tests (a few hundred cases) and
by bench/report.py (a million, on PostgreSQL).

How it is made, fast but true to the procedures:
- Each case takes one of a handful of *routes* through its procedure (the seed
  figures guide the weights: over half of OCCS's cases resolved early, 14% referred in
  by the regulator, under 2% of direct enquiries referred out). Routes are checked
  against the procedure definition before use, so a route the pack does not allow
  fails loudly.
- A few hundred *templates* per procedure version take a route with random delays,
  and their clocks come from the real projection (`procedures.clocks.project` through
  `cases.clocks.clock_rows`), once for every prefix of the route (a case still open
  has taken only the steps before "now").
- Each case copies a template moved by whole weeks (weekday and time of day stay the
  template's; a moved working-day deadline may therefore land on a bank holiday), and
  the part of the route already taken by `now` decides its stage, clocks and outcome.
- Rows go in with explicit ids: COPY on PostgreSQL, bulk_create elsewhere. The
  sequences and the organisation's reference counters are moved on afterwards, so run
  it while nobody else writes cases.

Clock explanations are short ("synthetic: due ..."), and the sweeper's at-risk and
breach events are not written (breach_recorded_at and at_risk_notified_at are set as
the sweeper would have set them).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import random
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.db.models import Max

from accord.accounts.choices import StaffRole
from accord.accounts.models import User
from accord.cases import sort_keys
from accord.cases.choices import Channel, EventKind, Source
from accord.cases.clocks import clock_rows
from accord.cases.models import Case, CaseClosure, Clock, Complainant, Event, ReferenceCounter
from accord.cases.search import search_text
from accord.mediation.choices import Party
from accord.mediation.models import Feedback
from accord.organisations.calendar import calendar_for
from accord.organisations.choices import OrganisationKind
from accord.organisations.models import Business, Organisation, Team
from accord.procedures.clocks import Happening, project
from accord.procedures.definition import Procedure
from accord.procedures.registry import UnknownProcedure, registry
from accord.reporting.periods import LONDON

Step = tuple[str, str | None]  # a transition, and the outcome it records


@dataclass(frozen=True)
class Route:
    weight: float
    steps: tuple[Step, ...]


def _route(weight: float, *steps: str) -> Route:
    parsed = []
    for step in steps:
        action, _, outcome = step.partition(":")
        parsed.append((action, outcome or None))
    return Route(weight, tuple(parsed))


_OCCS_START = ("confirm_complaint", "accept_for_mediation", "record_consent")
_OCCS_MEDIATED = (*_OCCS_START, "gather_information", "begin_review")
_OCCS_SENIOR = (
    *_OCCS_MEDIATED,
    "record_no_agreement",
    "refer_to_senior_mediator",
    "complete_senior_consideration",
)
ROUTES: dict[str, tuple[Route, ...]] = {
    "occs-mediation": (
        _route(0.53, *_OCCS_START, "resolve_early"),
        _route(0.20, *_OCCS_MEDIATED, "agree_resolution", "confirm_implementation"),
        _route(0.07, *_OCCS_MEDIATED, "record_no_agreement", "accept_practice_response"),
        _route(
            0.06,
            *_OCCS_SENIOR,
            "hold_senior_mediation",
            "agree_senior_resolution",
            "confirm_implementation",
        ),
        _route(0.02, *_OCCS_SENIOR, "conclude_without_agreement"),
        _route(0.06, "confirm_complaint", "out_of_remit"),
        _route(0.015, "confirm_complaint", "refer_to_regulator"),
        _route(0.045, "confirm_complaint", "accept_for_mediation", "withdraw"),
    ),
    "client-services": (
        _route(0.45, "acknowledge", "resolve_quickly"),
        _route(
            0.25,
            "acknowledge",
            "propose_resolution",
            "client_accepts_resolution",
            "complete_resolution",
        ),
        _route(0.10, "acknowledge", "reject_complaint"),
        _route(0.08, "acknowledge", "propose_resolution", "escalate", "resolve_escalated"),
        _route(0.04, "acknowledge", "escalate", "reject_escalated_complaint"),
        _route(0.03, "acknowledge", "escalate", "issue_deadlock"),
        _route(0.05, "acknowledge", "withdraw"),
    ),
    "lettings": (
        _route(0.55, "acknowledge", "send_stage1_response", "close_stage1"),
        *(
            _route(
                weight,
                "acknowledge",
                "send_stage1_response",
                "request_stage2",
                "acknowledge_stage2",
                f"conclude_stage2:{outcome}",
            )
            for weight, outcome in ((0.10, "upheld"), (0.10, "partly_upheld"), (0.17, "not_upheld"))
        ),
        _route(0.08, "acknowledge", "withdraw"),
    ),
}
# Mean days before each step (exponentially distributed); others take DEFAULT_DELAY.
DELAYS = {
    "confirm_complaint": 1.2,
    "acknowledge": 1.0,
    "acknowledge_stage2": 0.6,
    "resolve_early": 9.0,
    "resolve_quickly": 6.0,
    "gather_information": 5.0,
    "begin_review": 12.0,
    "agree_resolution": 18.0,
    "record_no_agreement": 18.0,
    "confirm_implementation": 20.0,
    "complete_senior_consideration": 6.0,
    "hold_senior_mediation": 5.0,
    "agree_senior_resolution": 5.0,
    "conclude_without_agreement": 8.0,
    "send_stage1_response": 6.0,
    "close_stage1": 5.0,
    "request_stage2": 6.0,
    "conclude_stage2": 5.0,
    "propose_resolution": 9.0,
    "complete_resolution": 12.0,
    "resolve_escalated": 10.0,
}
DEFAULT_DELAY = 4.0
CATEGORIES = {
    "occs-mediation": (
        "Spectacles",
        "Contact lenses",
        "Eye examination",
        "Costs and refunds",
        "Customer service",
        "Appointments",
        "Records and prescriptions",
    ),
    "client-services": (
        "Billing",
        "Service delivery",
        "Communication",
        "Account management",
        "Technical support",
    ),
    "lettings": (
        "Repairs and maintenance",
        "Deposits",
        "Rent and fees",
        "Communication",
        "Moving in and out",
        "Viewings",
    ),
}
GENERIC_CATEGORIES = ("Service", "Communication", "Costs", "Other")
SOURCES = {
    OrganisationKind.MEDIATION_SERVICE: (
        (Source.DIRECT, 0.78),
        (Source.REGULATOR, 0.14),
        (Source.BUSINESS, 0.08),
    ),
    OrganisationKind.IN_HOUSE: (
        (Source.DIRECT, 0.94),
        (Source.REGULATOR, 0.03),
        (Source.BUSINESS, 0.03),
    ),
}
CHANNELS = (
    (Channel.WEB_FORM, 0.45),
    (Channel.EMAIL, 0.3),
    (Channel.PHONE, 0.15),
    (Channel.LETTER, 0.05),
    (Channel.SOCIAL_MEDIA, 0.05),
)
FIRST_NAMES = ("Alex", "Sam", "Jordan", "Priya", "Tom", "Aisha", "Megan", "Ravi", "Chloe", "Owen")
SURNAMES = ("Morgan", "Patel", "Jones", "Williams", "Khan", "Evans", "Taylor", "Brown", "Singh")
STREETS = ("High Street", "Station Road", "Church Lane", "Mill Road", "Park Avenue")
TEMPLATES_PER_VERSION = 300
HANDLERS_PER_ORGANISATION = 6
SENIORS_PER_ORGANISATION = 2
CHUNK = 20_000


@dataclass
class Template:
    """One walk along a route with its delays, and the clocks after each prefix."""

    procedure: Procedure
    route: Route
    received_at: dt.datetime
    step_at: list[dt.datetime]
    stages: list[str]  # the stage after each prefix (index 0: just received)
    clocks: list[list[dict[str, Any]]]  # the clock rows after each prefix
    escalated_from: int | None  # the prefix from which the senior team has the case


@dataclass
class Plan:
    """How many cases to make for one organisation, over which years."""

    organisation: Organisation
    cases: int
    years: float
    growth: float = 0.25  # year-on-year growth of the caseload


@dataclass
class _Ids:
    next: dict[type[models.Model], int] = field(default_factory=dict)

    def take(self, model: type[models.Model]) -> int:
        if model not in self.next:
            self.next[model] = (model._default_manager.aggregate(m=Max("pk"))["m"] or 0) + 1
        value = self.next[model]
        self.next[model] = value + 1
        return value


def _at_working_hour(day: dt.date, rng: random.Random) -> dt.datetime:
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    minutes = rng.randrange(9 * 60, 17 * 60)
    return dt.datetime.combine(day, dt.time(minutes // 60, minutes % 60), tzinfo=LONDON)


def check_route(procedure: Procedure, route: Route) -> list[str]:
    """The stage after each step of `route`, from the initial stage; raises if the
    procedure does not allow a step where the route takes it."""
    stage = procedure.initial_stage
    stages = [stage]
    for action, outcome in route.steps:
        transition = procedure.transitions.get(action)
        if transition is None or not procedure.available_from(transition, stage):
            raise ValueError(f"{procedure.ref}: '{action}' cannot be taken from '{stage}'")
        if transition.outcomes and (outcome or transition.outcomes[0]) not in transition.outcomes:
            raise ValueError(f"{procedure.ref}: '{action}' does not record '{outcome}'")
        stage = transition.to or stage
        stages.append(stage)
    if not procedure.stages[stage].terminal:
        raise ValueError(f"{procedure.ref}: a route must end in a terminal stage")
    return stages


def routes_for(procedure: Procedure) -> tuple[Route, ...]:
    try:
        return ROUTES[procedure.key]
    except KeyError:
        raise ValueError(f"no synthetic routes for the procedure '{procedure.key}'") from None


def make_template(
    organisation: Organisation, procedure: Procedure, route: Route, rng: random.Random
) -> Template:
    calendar = calendar_for(organisation)
    base = procedure.effective_from + dt.timedelta(days=rng.randrange(0, 56))
    received_at = _at_working_hour(base, rng)
    stages = check_route(procedure, route)
    step_at: list[dt.datetime] = []
    at = received_at
    history = [Happening(at=received_at, action="receive")]
    escalated_from = None
    for index, (action, _) in enumerate(route.steps):
        delay = rng.expovariate(1 / DELAYS.get(action, DEFAULT_DELAY))
        at = _at_working_hour((at + dt.timedelta(days=delay)).astimezone(LONDON).date(), rng)
        at = max(at, (step_at[-1] if step_at else received_at) + dt.timedelta(minutes=5))
        step_at.append(at)
        transition = procedure.transitions[action]
        target = procedure.stages.get(transition.to or "")
        if target is not None and target.separate_handler and escalated_from is None:
            escalated_from = index + 1
        history.append(
            Happening(
                at=at,
                action=action,
                closes=target is not None and target.terminal,
                marks=tuple(transition.marks),
            )
        )
    prefixes = []
    probe = Case(organisation=organisation)
    for taken in range(len(history)):
        projected = project(procedure, history[: taken + 1], calendar)
        rows, _ = clock_rows(probe, projected, calendar, existing={})
        prefixes.append(
            [
                {
                    "key": row.key,
                    "label": row.label,
                    "status": row.status,
                    "started_at": row.started_at,
                    "stopped_at": row.stopped_at,
                    "due_at": row.due_at,
                    "at_risk_at": row.at_risk_at,
                    "is_window": row.is_window,
                }
                for row in rows
            ]
        )
    return Template(procedure, route, received_at, step_at, stages, prefixes, escalated_from)


class _Writer:
    """Rows in, with explicit ids: COPY on PostgreSQL, bulk_create elsewhere."""

    def __init__(self) -> None:
        self.rows: dict[type[models.Model], list[dict[str, Any]]] = {}
        self.columns: dict[type[models.Model], list[str]] = {}
        self.defaults: dict[type[models.Model], dict[str, Any]] = {}
        self.written: dict[str, int] = {}

    def add(self, model: type[models.Model], row: dict[str, Any]) -> None:
        if model not in self.columns:
            fields = model._meta.concrete_fields
            self.columns[model] = [f.attname for f in fields]
            self.defaults[model] = {f.attname: f.get_default() for f in fields if f.attname != "id"}
        self.rows.setdefault(model, []).append(row)

    def flush(self) -> None:
        # Parents first: complainants, cases, then what hangs off a case.
        for model in (Complainant, Case, CaseClosure, Clock, Event, Feedback):
            rows = self.rows.pop(model, [])
            if rows:
                self._write(model, rows)
                self.written[model.__name__] = self.written.get(model.__name__, 0) + len(rows)

    def _write(self, model: type[models.Model], rows: list[dict[str, Any]]) -> None:
        columns = self.columns[model]
        defaults = self.defaults[model]
        if connection.vendor == "postgresql":
            table = connection.ops.quote_name(model._meta.db_table)
            names = ", ".join(connection.ops.quote_name(c) for c in columns)
            with (
                connection.cursor() as cursor,
                cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy,
            ):
                for row in rows:
                    copy.write_row([_copy_value(row.get(c, defaults.get(c))) for c in columns])
        else:
            model._default_manager.bulk_create(
                [model(**{c: row.get(c, defaults.get(c)) for c in columns}) for row in rows],
                batch_size=500,
            )


def _copy_value(value: Any) -> Any:
    if isinstance(value, dict | list):
        return json.dumps(value)
    return value


def _weighted(rng: random.Random, choices: Sequence[tuple[Any, float]]) -> Any:
    return rng.choices([c for c, _ in choices], weights=[w for _, w in choices])[0]


def _staff(organisation: Organisation) -> tuple[list[User], list[User]]:
    handlers: list[User] = []
    seniors: list[User] = []
    for role, count, into in (
        (StaffRole.HANDLER, HANDLERS_PER_ORGANISATION, handlers),
        (StaffRole.SENIOR_HANDLER, SENIORS_PER_ORGANISATION, seniors),
    ):
        for n in range(1, count + 1):
            user, _ = User.objects.get_or_create(
                username=f"{organisation.slug}-synthetic-{role}-{n}",
                defaults={
                    "organisation": organisation,
                    "staff_role": role,
                    "first_name": FIRST_NAMES[n % len(FIRST_NAMES)],
                    "last_name": f"{SURNAMES[n % len(SURNAMES)]} ({role.replace('_', ' ')})",
                    "is_active": True,
                },
            )
            into.append(user)
    return handlers, seniors


class Generator:
    """Makes the cases of one organisation's plan, `now` being the end of the data."""

    def __init__(self, plan: Plan, now: dt.datetime, rng: random.Random, ids: _Ids) -> None:
        self.plan = plan
        self.organisation = organisation = plan.organisation
        self.now = now
        self.rng = rng
        self.ids = ids
        self.templates: dict[int, list[Template]] = {}
        first_version = min(
            (
                loaded.procedure
                for loaded in registry().all()
                if loaded.procedure.key == organisation.procedure_key
            ),
            key=lambda p: p.effective_from,
        )
        earliest = dt.datetime.combine(first_version.effective_from, dt.time(), tzinfo=LONDON)
        self.start = max(earliest, now - dt.timedelta(days=365.25 * plan.years))
        self.span_years = (now - self.start).total_seconds() / (365.25 * 86400)
        self.handlers, self.seniors = _staff(organisation)
        self.handler_names = {
            user.pk: sort_keys.handler(user) for user in (*self.handlers, *self.seniors)
        }
        teams = list(Team.objects.filter(organisation=organisation).order_by("id"))
        self.first_team = teams[0].pk if teams else None
        self.senior_team = teams[-1].pk if teams else None
        self.respondent_names = dict(
            Business.objects.filter(organisation=organisation).values_list("pk", "name")
        )
        self.respondents = sorted(self.respondent_names)
        if not self.respondents:
            raise ValueError(f"{organisation.slug} has no respondent business")
        self.categories = CATEGORIES.get(organisation.procedure_key, GENERIC_CATEGORIES)
        self.category_drift = [rng.uniform(-0.3, 0.5) for _ in self.categories]
        self.sources = SOURCES[OrganisationKind(organisation.kind)]
        self.feedback = organisation.kind == OrganisationKind.MEDIATION_SERVICE
        self.counters: dict[int, int] = dict(
            ReferenceCounter.objects.filter(organisation=organisation).values_list("year", "last")
        )

    def _template(self, procedure: Procedure) -> Template:
        pool = self.templates.setdefault(procedure.version, [])
        wanted = min(TEMPLATES_PER_VERSION, max(self.plan.cases, 1))
        if len(pool) < wanted:
            routes = routes_for(procedure)
            route = self.rng.choices(routes, weights=[r.weight for r in routes])[0]
            pool.append(make_template(self.organisation, procedure, route, self.rng))
            return pool[-1]
        return self.rng.choice(pool)

    def _received_target(self) -> dt.datetime:
        # Growth compounding year on year: invert the cumulative share of the caseload.
        g = math.log1p(self.plan.growth)
        u = self.rng.random()
        years = math.log1p(u * math.expm1(g * self.span_years)) / g
        return self.start + dt.timedelta(days=365.25 * years)

    def cases(self) -> Iterator[_Writer]:
        """Yield a writer full of rows every CHUNK cases (the caller flushes it)."""
        writer = _Writer()
        for n in range(self.plan.cases):
            self._one(writer)
            if (n + 1) % CHUNK == 0:
                yield writer
                writer = _Writer()
        yield writer

    def _one(self, writer: _Writer) -> None:
        rng = self.rng
        target = self._received_target()
        try:
            procedure = registry().in_force(
                self.organisation.procedure_key, target.astimezone(LONDON).date()
            )
        except UnknownProcedure:
            procedure = registry().in_force(self.organisation.procedure_key, self.start.date())
        template = self._template(procedure)
        weeks = round((target - template.received_at) / dt.timedelta(weeks=1))
        shift = dt.timedelta(weeks=weeks)
        while template.received_at + shift > self.now:
            shift -= dt.timedelta(weeks=1)
        while template.received_at + shift < self.start:
            shift += dt.timedelta(weeks=1)
        received_at = template.received_at + shift
        steps_at = [at + shift for at in template.step_at]
        taken = sum(1 for at in steps_at if at <= self.now)
        stage = template.stages[taken]
        closed = taken == len(steps_at)
        steps = template.route.steps[:taken]
        outcome = ""
        if closed:
            action, chosen = steps[-1]
            outcome = chosen or template.procedure.transitions[action].outcomes[0]
        referred_at = next(
            (steps_at[i] for i, (a, _) in enumerate(steps) if a == "refer_to_regulator"), None
        )
        escalated = template.escalated_from is not None and taken >= template.escalated_from
        year = received_at.astimezone(LONDON).year
        self.counters[year] = self.counters.get(year, 0) + 1
        source = _weighted(rng, self.sources)
        case_id = self.ids.take(Case)
        complainant_id = self.ids.take(Complainant)
        first, last = rng.choice(FIRST_NAMES), rng.choice(SURNAMES)
        writer.add(
            Complainant,
            {
                "id": complainant_id,
                "name": f"{first} {last}",
                "email": f"{first}.{last}{case_id}@example.com".lower(),
                "phone": f"07700 9{case_id % 100000:05d}",
                "address": f"{rng.randrange(1, 200)} {rng.choice(STREETS)}, Testtown",
                "is_microbusiness": rng.random() < 0.05,
                "business_name": "",
                "user_id": None,
            },
        )
        handler = self._handler(escalated, closed)
        team = self.senior_team if escalated else self.first_team
        years_in = (received_at - self.start).total_seconds() / (365.25 * 86400)
        weights = [max(0.05, 1 + d * years_in) for d in self.category_drift]
        category = rng.choices(self.categories, weights=weights)[0]
        clocks = template.clocks[taken]
        running = [
            c for c in clocks if c["status"] == "running" and c["due_at"] and not c["is_window"]
        ]
        last_at = steps_at[taken - 1] if taken else received_at
        events = self._events(
            case_id, template, received_at, steps_at[:taken], steps, handler, team, source
        )
        writer.add(
            Case,
            {
                "id": case_id,
                "reference": f"{self.organisation.reference_prefix}-{year}-{self.counters[year]:06d}",
                "organisation_id": self.organisation.pk,
                "procedure_key": procedure.key,
                "procedure_version": procedure.version,
                "complainant_id": complainant_id,
                "respondent_id": (respondent := rng.choice(self.respondents)),
                "channel": _weighted(rng, CHANNELS),
                "source": source,
                "received_at": received_at,
                "issue_arose_on": (received_at - dt.timedelta(days=rng.randrange(1, 30))).date(),
                "description": f"{first} {last} says: the {category.lower()} went wrong.",
                "search_text": search_text(f"{first} {last}", self.respondent_names[respondent]),
                "desired_outcome": "An apology and a refund.",
                "category": category,
                "stage": stage,
                "stage_sort": sort_keys.stage(procedure, stage),
                "complainant_sort": sort_keys.complainant(f"{first} {last}"),
                "handler_sort": self.handler_names.get(handler) if handler else None,
                "is_open": not closed,
                "outcome": outcome,
                "closed_at": steps_at[-1] if closed else None,
                "team_id": team,
                "handler_id": handler,
                "raised_out_of_time": False,
                "safeguarding_concern": referred_at is not None,
                "referred_to_regulator_at": referred_at,
                "consent_given_at": next(
                    (steps_at[i] for i, (a, _) in enumerate(steps) if a == "record_consent"), None
                ),
                "next_deadline_at": min((c["due_at"] + shift for c in running), default=None),
                "next_at_risk_at": min(
                    (c["at_risk_at"] + shift for c in running if c["at_risk_at"]), default=None
                ),
                "event_count": 0,  # set below
                "idempotency_key": None,
                "created_at": received_at,
                "updated_at": last_at,
            },
        )
        if closed:
            writer.add(
                CaseClosure,
                {
                    "id": self.ids.take(CaseClosure),
                    "case_id": case_id,
                    "organisation_id": self.organisation.pk,
                    "procedure_key": procedure.key,
                    "procedure_version": procedure.version,
                    "outcome": outcome,
                    "received_at": received_at,
                    "closed_at": steps_at[-1],
                    "reopened_at": None,
                },
            )
        case_row = writer.rows[Case][-1]
        for clock in clocks:
            self._clock(writer, case_id, clock, shift)
        if closed and self.feedback:
            events += self._feedback(writer, case_id, steps_at[-1], outcome, template.procedure)
        for seq, event in enumerate(events, start=1):
            event["seq"] = seq
            writer.add(Event, event)
        case_row["event_count"] = len(events)

    def _handler(self, escalated: bool, closed: bool) -> int | None:
        if not closed and self.rng.random() < 0.15:
            return None
        return self.rng.choice(self.seniors if escalated else self.handlers).pk

    def _clock(
        self, writer: _Writer, case_id: int, clock: dict[str, Any], shift: dt.timedelta
    ) -> None:
        def moved(value: dt.datetime | None) -> dt.datetime | None:
            return None if value is None else value + shift

        due_at, stopped_at, at_risk_at = (
            moved(clock["due_at"]),
            moved(clock["stopped_at"]),
            moved(clock["at_risk_at"]),
        )
        watched = not clock["is_window"] and clock["status"] == "running"
        breach = None
        if (
            due_at is not None
            and not clock["is_window"]
            and due_at <= self.now
            and (stopped_at is None or stopped_at > due_at)
        ):
            breach = due_at + dt.timedelta(minutes=1)
        writer.add(
            Clock,
            {
                "id": self.ids.take(Clock),
                "case_id": case_id,
                "key": clock["key"],
                "label": clock["label"],
                "status": clock["status"],
                "started_at": moved(clock["started_at"]),
                "stopped_at": stopped_at,
                "due_at": due_at,
                "at_risk_at": at_risk_at,
                "explanation": {
                    "lines": [
                        f"Synthetic data: due {due_at:%d %B %Y}." if due_at else "Synthetic data."
                    ],
                    "due_date": due_at.astimezone(LONDON).date().isoformat() if due_at else None,
                    "due_at": due_at.isoformat() if due_at else None,
                    "synthetic": True,
                },
                "at_risk_notified_at": at_risk_at + dt.timedelta(minutes=1)
                if watched and at_risk_at is not None and at_risk_at < self.now
                else None,
                "breach_recorded_at": breach,
                "is_window": clock["is_window"],
            },
        )

    def _events(
        self,
        case_id: int,
        template: Template,
        received_at: dt.datetime,
        steps_at: list[dt.datetime],
        steps: Sequence[Step],
        handler: int | None,
        team: int | None,
        source: str,
    ) -> list[dict[str, Any]]:
        procedure = template.procedure
        events: list[dict[str, Any]] = [
            {
                "id": self.ids.take(Event),
                "case_id": case_id,
                "at": received_at,
                "actor_role": "system",
                "kind": EventKind.RECEIVED,
                "action": "receive",
                "to_stage": procedure.initial_stage,
                "data": {"procedure": procedure.ref, "source": source, "synthetic": True},
            }
        ]
        if handler is not None:
            events.append(
                {
                    "id": self.ids.take(Event),
                    "case_id": case_id,
                    "at": received_at + dt.timedelta(minutes=2),
                    "actor_role": "manager",
                    "kind": EventKind.ASSIGNED,
                    "data": {"handler": handler, "previous_handler": None, "team": team},
                }
            )
        for index, ((action, chosen), at) in enumerate(zip(steps, steps_at, strict=True)):
            transition = procedure.transitions[action]
            data: dict[str, Any] = {}
            if transition.to and procedure.stages[transition.to].terminal:
                data["outcome"] = chosen or transition.outcomes[0]
            if transition.marks:
                data["marks"] = list(transition.marks)
            if transition.letters:
                data["letters_required"] = list(transition.letters)
            events.append(
                {
                    "id": self.ids.take(Event),
                    "case_id": case_id,
                    "at": at,
                    "actor_id": handler,
                    "actor_role": "handler",
                    "kind": EventKind.TRANSITION,
                    "action": action,
                    "from_stage": template.stages[index],
                    "to_stage": template.stages[index + 1],
                    "reason": "Synthetic step." if transition.reason_required else "",
                    "data": data,
                }
            )
        return events

    def _feedback(
        self,
        writer: _Writer,
        case_id: int,
        closed_at: dt.datetime,
        outcome: str,
        procedure: Procedure,
    ) -> list[dict[str, Any]]:
        invited_at = closed_at + dt.timedelta(hours=2)
        if invited_at > self.now:
            return []
        resolved = procedure.outcomes[outcome].resolved
        weights = (2, 3, 10, 35, 50) if resolved else (25, 25, 25, 15, 10)
        events: list[dict[str, Any]] = [
            {
                "id": self.ids.take(Event),
                "case_id": case_id,
                "at": invited_at,
                "actor_role": "system",
                "kind": EventKind.FEEDBACK,
                "data": {"invited": [p.value for p in Party]},
            }
        ]
        for party, answers in ((Party.COMPLAINANT, 0.45), (Party.RESPONDENT, 0.35)):
            answered_at = invited_at + dt.timedelta(days=self.rng.uniform(0, 10))
            answered = self.rng.random() < answers and answered_at <= self.now
            writer.add(
                Feedback,
                {
                    "id": self.ids.take(Feedback),
                    "case_id": case_id,
                    "party": party,
                    "invited_at": invited_at,
                    "rating": self.rng.choices(range(1, 6), weights=weights)[0]
                    if answered
                    else None,
                    "comment": "Synthetic comment." if answered else "",
                    "answered_at": answered_at if answered else None,
                },
            )
            if answered:
                events.append(
                    {
                        "id": self.ids.take(Event),
                        "case_id": case_id,
                        "at": answered_at,
                        "actor_role": str(party),
                        "kind": EventKind.FEEDBACK,
                        "data": {"answered": party.value},
                    }
                )
        events.sort(key=lambda e: e["at"])
        return events

    def save_counters(self) -> None:
        for year, last in self.counters.items():
            ReferenceCounter.objects.update_or_create(
                organisation=self.organisation, year=year, defaults={"last": last}
            )


def generate(
    plans: Iterable[Plan],
    now: dt.datetime,
    *,
    seed: int = 1,
    progress: Any = None,
) -> dict[str, int]:
    """Make every plan's cases; return how many rows of each kind were written."""
    rng = random.Random(seed)  # noqa: S311 - synthetic data, not secrets
    ids = _Ids()
    written: dict[str, int] = {}
    for plan in plans:
        generator = Generator(plan, now, rng, ids)
        for writer in generator.cases():
            with transaction.atomic():
                writer.flush()
            for name, n in writer.written.items():
                written[name] = written.get(name, 0) + n
            if progress is not None:
                progress(plan.organisation.slug, written.get("Case", 0))
        generator.save_counters()
    _reset_sequences()
    return written


def _reset_sequences() -> None:
    statements = connection.ops.sequence_reset_sql(
        no_style(), [Complainant, Case, CaseClosure, Clock, Event, Feedback]
    )
    if statements:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
