"""Every shipped pack version, as a property (issue 16): random sequences of steps by
every role — complainant, respondent, handler, senior handler, manager and the system —
with the reasons, outcomes and inputs they need, interleaved with assignments, the
complainant signing the consent form and time passing.

After every move:
- whatever `engine.allowed_steps` offers the actor can be taken without an error;
- whatever it does not offer is refused with a reason, and refusing writes nothing;
- a closed case offers nothing (no pack allows a step after closure) and refuses all;
- the timeline replayed through the procedure's clocks gives the stored clocks.

The versions come from the registry, not a list, so a new pack is covered when it
ships. CI runs PROPERTY_EXAMPLES examples per version (a few hundred in all); set
ACCORD_PROPERTY_EXAMPLES for a heavier run.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.accounts.models import User
from accord.cases import actions, engine
from accord.cases.choices import Channel
from accord.cases.clocks import clock_rows, project_events
from accord.cases.engine import refresh_clocks
from accord.cases.errors import ActionRefused
from accord.cases.intake import ComplainantDetails, Complaint, receive_complaint
from accord.cases.models import Case, Clock, Event
from accord.mediation.consent import publish_form, sign
from accord.organisations.calendar import calendar_for
from accord.organisations.models import Organisation
from accord.procedures.definition import InputKind, Procedure, Transition
from accord.procedures.registry import registry
from accord.reporting.periods import LONDON
from tests.conftest import make_staff

pytestmark = pytest.mark.django_db

PROPERTY_EXAMPLES = int(os.environ.get("ACCORD_PROPERTY_EXAMPLES", "20"))
MAX_MOVES = 14
ACTORS = ("complainant", "respondent", "handler", "senior", "manager", "system")
VERSIONS = [loaded.procedure for loaded in registry().all()]


class Rollback(Exception):
    """Ends an example's savepoint: every example starts from the same database."""


def world(procedure: Procedure) -> dict[str, Any]:
    slug = f"prop-{procedure.key}"[:40]
    organisation = Organisation.objects.create(
        slug=slug,
        name=f"Property {procedure.key}",
        kind="in_house",
        nation="ENG",
        reference_prefix="PROP",
        procedure_key=procedure.key,
    )
    business = organisation.businesses.create(name="The business", is_self=True)
    publish_form(
        organisation,
        title="Consent",
        text="I consent to my records being released.",
        effective_from=dt.date(2000, 1, 1),
    )
    people = {
        "handler": make_staff(organisation, "handler", f"{slug}-handler"),
        "senior": make_staff(organisation, "senior_handler", f"{slug}-senior"),
        "manager": make_staff(organisation, "manager", f"{slug}-manager"),
        "complainant": User.objects.create_user(f"{slug}-complainant"),
        "respondent": User.objects.create_user(f"{slug}-respondent", business=business),
    }
    return {"organisation": organisation, "business": business, "people": people}


def received_at(procedure: Procedure) -> dt.datetime:
    day = procedure.effective_from + dt.timedelta(days=2)
    return dt.datetime.combine(day, dt.time(10, 0), tzinfo=LONDON)


def open_case(
    setting: dict[str, Any], procedure: Procedure, channel: Channel, issue_days: int | None
) -> Case:
    at = received_at(procedure)
    case, _ = receive_complaint(
        setting["organisation"],
        Complaint(
            complainant=ComplainantDetails(name="Sam Property", email="sam@example.com"),
            description="Something went wrong.",
            channel=channel,
            issue_arose_on=None if issue_days is None else at.date() - dt.timedelta(issue_days),
            respondent_id=setting["business"].pk,
        ),
        now=at,
    )
    if case.procedure_version != procedure.version:
        # A later version in force from the same day shadows this one (e.g. lettings@4,
        # which only adds declarations, from the day lettings@3 would have come into
        # force): no case is received under it, so pin one to it by hand.
        shadow = registry().get(procedure.key, case.procedure_version)
        assert shadow.effective_from == procedure.effective_from
        Case.objects.filter(pk=case.pk).update(procedure_version=procedure.version)
        case.refresh_from_db()
        refresh_clocks(case, procedure, list(case.events.all()))
        case.save()
    assert (case.procedure_key, case.procedure_version) == (procedure.key, procedure.version)
    case.complainant.user = setting["people"]["complainant"]
    case.complainant.save()
    return case


def offered(case_id: int, actor: User | None, now: dt.datetime) -> list[str]:
    case = Case.objects.select_related("organisation", "complainant").get(pk=case_id)
    if actor is not None:
        return engine.allowed_steps(case, actor, now)
    procedure = engine.procedure_of(case)
    events = list(case.events.all())
    barred = engine.earlier_handlers(case, procedure, events)
    escalated = engine.is_escalated(procedure, events)
    return [
        key
        for key, transition in procedure.transitions.items()
        if not engine.problems_with(
            case, procedure, None, transition, barred, now, escalated=escalated
        )[1]
    ]


def request_for(transition: Transition, today: dt.date, pick: int) -> engine.StepRequest:
    data = {
        name: today.isoformat() if declared.kind == InputKind.DATE else "Given as needed."
        for name, declared in transition.inputs.items()
    }
    outcome = transition.outcomes[pick % len(transition.outcomes)] if transition.outcomes else None
    return engine.StepRequest(reason="As the procedure asks.", outcome=outcome, data=data)


FIELDS = ("status", "started_at", "stopped_at", "due_at", "at_risk_at", "is_window")


def assert_clocks_replay(case_id: int) -> None:
    """The stored clocks are the projection of the timeline (instants compared as
    instants: a stored explanation may write the same instant in another offset)."""
    case = Case.objects.select_related("organisation").get(pk=case_id)
    procedure = engine.procedure_of(case)
    calendar = calendar_for(case.organisation)
    projected = project_events(list(case.events.all()), procedure, calendar)
    stored = {clock.key: clock for clock in Clock.objects.filter(case=case)}
    replayed = {clock.key: clock for clock in clock_rows(case, projected, calendar, {})[0]}
    assert set(stored) == set(replayed), (set(stored), set(replayed))
    for key, clock in stored.items():
        again = replayed[key]
        if clock.status == "paused":
            continue  # a paused clock keeps its last due instant (see clock_rows)
        for name in FIELDS:
            assert getattr(clock, name) == getattr(again, name), (procedure.ref, key, name)
        assert clock.explanation.get("due_date") == again.explanation.get("due_date")


move = st.one_of(
    st.tuples(st.just("step"), st.sampled_from(ACTORS), st.integers(0, 10_000), st.integers(0, 7)),
    st.tuples(st.just("assign"), st.sampled_from(("handler", "senior")), st.just(0), st.just(0)),
    st.tuples(st.just("sign"), st.just("complainant"), st.just(0), st.just(0)),
    st.tuples(st.just("wait"), st.just("system"), st.integers(1, 30 * 24), st.just(0)),
)


def run_moves(
    setting: dict[str, Any],
    procedure: Procedure,
    channel: Channel,
    issue_days: int | None,
    moves: list[tuple[str, str, int, int]],
) -> None:
    people = setting["people"]
    case = open_case(setting, procedure, channel, issue_days)
    now = received_at(procedure) + dt.timedelta(minutes=5)
    keys = list(procedure.transitions)
    for kind, who, number, pick in moves:
        actor = None if who == "system" else people[who]
        if kind == "wait":
            now += dt.timedelta(hours=number)
            continue
        if kind == "assign":
            # A refusal (e.g. separation of duties) is not what this test is about.
            with contextlib.suppress(ActionRefused):
                actions.assign(case.pk, people["manager"], handler=actor, now=now)
            continue
        if kind == "sign":
            with contextlib.suppress(ActionRefused):  # refused on a closed case
                sign(
                    case.pk,
                    people["complainant"],
                    form_version=1,
                    typed_name="Sam Property",
                    ticked=True,
                    ip_address=None,
                    now=now,
                )
            continue
        allowed = offered(case.pk, actor, now)
        current = Case.objects.get(pk=case.pk)
        if not current.is_open:
            assert allowed == [], (procedure.ref, who, allowed)
        # Mostly a step on offer (so cases get deep into their procedure), else any step.
        pool = allowed if allowed and number % 4 else keys
        action = pool[(number // 4) % len(pool)]
        transition = procedure.transitions[action]
        before = Event.objects.filter(case_id=case.pk).count()
        today = calendar_for(setting["organisation"]).local_date(now)
        if action in allowed:
            try:
                engine.take_step(
                    case.pk, actor, action, request_for(transition, today, pick), now=now
                )
            except ActionRefused as refusal:
                raise AssertionError(
                    f"{procedure.ref}: '{action}' was offered to {who} at stage "
                    f"'{current.stage}' but refused: {refusal.message}"
                ) from refusal
            # One step event, plus one `letter_sent` per letter the step sent with it.
            added = list(Event.objects.filter(case_id=case.pk).order_by("seq")[before:])
            assert [e.kind for e in added][:1] == ["transition"]
            assert all(e.kind == "letter_sent" for e in added[1:])
        else:
            with pytest.raises(ActionRefused) as refused:
                engine.take_step(
                    case.pk, actor, action, request_for(transition, today, pick), now=now
                )
            assert refused.value.message.strip(), (procedure.ref, action)
            assert Event.objects.filter(case_id=case.pk).count() == before
        assert_clocks_replay(case.pk)
    # At the end, a closed case offers nobody anything.
    if not Case.objects.get(pk=case.pk).is_open:
        for who in ACTORS:
            actor = None if who == "system" else people[who]
            assert offered(case.pk, actor, now) == [], (procedure.ref, who)


@pytest.mark.parametrize("procedure", VERSIONS, ids=[p.ref for p in VERSIONS])
def test_every_offered_step_can_be_taken_and_every_other_is_refused(procedure: Procedure) -> None:
    setting = world(procedure)

    @settings(
        max_examples=PROPERTY_EXAMPLES,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(
        channel=st.sampled_from([Channel.WEB_FORM, Channel.PHONE]),
        issue_days=st.one_of(st.none(), st.integers(0, 120)),
        moves=st.lists(move, min_size=1, max_size=MAX_MOVES),
    )
    def example(channel: Channel, issue_days: int | None, moves: list[Any]) -> None:
        try:
            with transaction.atomic():
                run_moves(setting, procedure, channel, issue_days, moves)
                raise Rollback
        except Rollback:
            pass

    example()


def test_every_shipped_version_is_covered() -> None:
    refs = {p.ref for p in VERSIONS}
    assert len(refs) >= 12
    assert {"occs-mediation@3", "client-services@3", "lettings@3"} <= refs
