"""The deadline sweep: at-risk and breach events at the right working-day instant in
each UK nation, each exactly once, with notifications and automatic escalation."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml
from django.core import mail
from django_tasks_db.models import DBTaskResult

from accord.cases import actions, engine
from accord.cases.choices import Channel
from accord.cases.errors import ActionRefused
from accord.cases.intake import ComplainantDetails, Complaint, receive_complaint
from accord.cases.models import Case, Clock, Event
from accord.cases.sweep import sweep_once
from accord.cases.tasks import notify_clocks, send_clock_notice
from accord.organisations.models import Organisation
from accord.outbox.delivery import deliver_pending
from accord.procedures.registry import Registry
from accord.workdays.deadlines import Unit
from tests.conftest import london
from tests.test_procedure_validation import MINIMAL

pytestmark = pytest.mark.django_db


def receive(organisation: Organisation, at) -> Case:
    complaint = Complaint(
        complainant=ComplainantDetails(name="Jo", email="jo@example.com"),
        description="Repairs not done.",
        channel=Channel.EMAIL,
    )
    return receive_complaint(organisation, complaint, now=at)[0]


def sweep_events(case: Case) -> list[tuple[str, str]]:
    return [
        (e.kind, e.data["clock"])
        for e in Event.objects.filter(case=case, kind__in=["clock_at_risk", "clock_breached"])
    ]


@pytest.mark.parametrize(
    ("nation", "at_risk_day", "breach_day"),
    [
        # Received Friday 27 November 2026, 2 working days to acknowledge.
        # England and Wales: Mon 30 Nov (1), Tue 1 Dec (2) -> due end of Tue 1 Dec;
        # at risk from the start of Mon 30 Nov (one working day before).
        ("ENG", (2026, 11, 30), (2026, 12, 2)),
        # Scotland: Mon 30 Nov is St Andrew's Day -> Tue 1 Dec (1), Wed 2 Dec (2).
        ("SCT", (2026, 12, 1), (2026, 12, 3)),
        # Northern Ireland: as England (St Andrew's Day is not a holiday there).
        ("NIR", (2026, 11, 30), (2026, 12, 2)),
    ],
)
def test_at_risk_and_breach_come_at_the_right_working_day_instant(
    ocasa, staff, nation, at_risk_day, breach_day
):
    ocasa.nation = nation
    ocasa.save()
    handler = staff("ocasa", "handler")
    case = receive(ocasa, london(2026, 11, 27, 11))
    actions.assign(case.pk, handler, handler=handler, now=london(2026, 11, 27, 12))

    just_before_risk = london(*at_risk_day) - london(2026, 1, 1).resolution
    assert sweep_once(just_before_risk).at_risk == 0
    assert sweep_once(london(*at_risk_day)).at_risk == 1
    assert sweep_events(case) == [("clock_at_risk", "stage1_acknowledgement")]

    just_before_breach = london(*breach_day) - london(2026, 1, 1).resolution
    assert sweep_once(just_before_breach).breached == 0
    assert sweep_once(london(*breach_day)).breached == 1
    assert sweep_events(case) == [
        ("clock_at_risk", "stage1_acknowledgement"),
        ("clock_breached", "stage1_acknowledgement"),
    ]
    # Later passes find nothing more to do.
    later = sweep_once(london(breach_day[0], breach_day[1], breach_day[2], 9))
    assert (later.at_risk, later.breached) == (0, 0)
    assert len(sweep_events(case)) == 2


def test_a_clock_stopped_in_time_is_never_swept(ocasa, staff):
    handler = staff("ocasa", "handler")
    case = receive(ocasa, london(2026, 11, 27, 11))
    engine.take_step(
        case.pk, handler, "acknowledge", engine.StepRequest(), now=london(2026, 11, 30, 9)
    )
    result = sweep_once(london(2026, 12, 10))
    assert (result.at_risk, result.breached) == (0, 0)
    assert sweep_events(case) == []


def test_notifications_go_to_the_handler_and_on_breach_the_senior_handlers(ocasa, staff):
    handler = staff("ocasa", "handler")
    senior = staff("ocasa", "senior_handler")
    case = receive(ocasa, london(2026, 11, 27, 11))
    actions.assign(case.pk, handler, handler=handler, now=london(2026, 11, 27, 12))
    sweep_once(london(2026, 12, 2))  # at risk and breached in one late pass
    queued = DBTaskResult.objects.filter(task_path__endswith="notify_clocks")
    # The breach only: a clock already breached is not "at risk".
    assert [row.args_kwargs["args"][0] for row in queued] == [
        [[case.pk, "stage1_acknowledgement", "breached"]]
    ]
    # The worker runs the queued task as stored.
    notify_clocks.call(*queued.get().args_kwargs["args"])
    deliver_pending()  # the e-mail goes through the outbox
    assert len(mail.outbox) == 1
    assert set(mail.outbox[0].to) == {handler.email, senior.email}
    assert case.reference in mail.outbox[0].subject
    assert "has been breached" in mail.outbox[0].subject


def test_an_unassigned_case_at_risk_is_told_to_the_managers(ocasa, staff):
    manager = staff("ocasa", "manager")
    case = receive(ocasa, london(2026, 11, 27, 11))
    sweep_once(london(2026, 11, 30))
    send_clock_notice(case.pk, "stage1_acknowledgement", "at_risk")
    deliver_pending()
    assert mail.outbox[0].to == [manager.email]


def test_moving_the_due_date_lets_the_new_one_be_watched(tmp_path, monkeypatch, staff):
    document = copy.deepcopy(MINIMAL)
    document["clocks"]["acknowledgement"]["extendable"] = True
    path = tmp_path / "tiny" / "v1.yaml"
    path.parent.mkdir()
    path.write_text(yaml.safe_dump(document))
    registry = Registry(tmp_path)
    monkeypatch.setattr("accord.cases.intake.registry", lambda: registry)
    monkeypatch.setattr("accord.cases.engine.registry", lambda: registry)
    organisation = Organisation.objects.create(
        slug="tiny",
        name="Tiny",
        kind="in_house",
        nation="ENG",
        reference_prefix="TNY",
        procedure_key="tiny",
    )
    organisation.businesses.create(name="Tiny", is_self=True)
    handler = staff("optimised", "handler")
    handler.organisation = organisation
    handler.save()
    case = receive(organisation, london(2026, 3, 2, 10))  # due end of Wed 4 March
    assert sweep_once(london(2026, 3, 3)).at_risk == 1  # at risk from Tue 3 March
    actions.extend_clock(
        case.pk,
        handler,
        "acknowledgement",
        amount=3,
        unit=Unit.WORKING_DAYS,
        reason="Waiting for the contractor",
        now=london(2026, 3, 3, 9),
    )
    clock = Clock.objects.get(case=case)
    assert clock.at_risk_notified_at is None  # due end of Mon 9 March now: watched afresh
    assert sweep_once(london(2026, 3, 5, 12)).breached == 0
    assert sweep_once(london(2026, 3, 6)).at_risk == 1  # at risk from Fri 6 March
    assert sweep_once(london(2026, 3, 10)).breached == 1
    kinds = [e.kind for e in Event.objects.filter(case=case, kind__startswith="clock_")]
    assert kinds == ["clock_at_risk", "clock_extended", "clock_at_risk", "clock_breached"]
    # Once breached, the breach stands: no extension can undo it.
    with pytest.raises(ActionRefused, match="the breach stands"):
        actions.extend_clock(
            case.pk,
            handler,
            "acknowledgement",
            amount=3,
            unit=Unit.WORKING_DAYS,
            reason="Too late",
            now=london(2026, 3, 10, 9),
        )


def escalating_pack(folder: Path) -> Registry:
    document = copy.deepcopy(MINIMAL)
    document["stages"]["escalated"] = {"label": "Escalated", "separate_handler": True}
    document["transitions"]["escalate"] = {
        "label": "Escalate",
        "from": ["received", "working"],
        "to": "escalated",
        "roles": ["handler"],
    }
    document["transitions"]["resolve"]["from"] = ["working", "escalated"]
    document["clocks"]["acknowledgement"]["on_breach"] = "escalate"
    document["clocks"]["acknowledgement"]["stops_on"] = ["acknowledge", "escalate"]
    path = folder / "tiny" / "v1.yaml"
    path.parent.mkdir()
    path.write_text(yaml.safe_dump(document))
    return Registry(folder)


def test_a_breach_escalates_automatically_where_the_procedure_says_so(tmp_path, monkeypatch, staff):
    registry = escalating_pack(tmp_path)
    monkeypatch.setattr("accord.cases.intake.registry", lambda: registry)
    monkeypatch.setattr("accord.cases.engine.registry", lambda: registry)
    organisation = Organisation.objects.create(
        slug="tiny",
        name="Tiny",
        kind="in_house",
        nation="ENG",
        reference_prefix="TNY",
        procedure_key="tiny",
    )
    organisation.businesses.create(name="Tiny", is_self=True)
    case = receive(organisation, london(2026, 3, 2, 10))
    result = sweep_once(london(2026, 3, 5))
    assert (result.breached, result.escalated) == (1, 1)
    case.refresh_from_db()
    assert case.stage == "escalated"
    escalation = Event.objects.get(case=case, action="escalate")
    assert (escalation.actor, escalation.actor_role) == (None, "system")
    assert "was breached" in escalation.reason


# Received Friday 27 November 2026 at 11:00. Monday 30 November is St Andrew's Day in
# Scotland only. At risk from the start of the working day before the due date; breached
# at the end of the due date.
EVERY_PACK_AND_NATION = [
    # client-services: 4 working days. ENG/NIR: Mon 30 (1), Tue 1 (2), Wed 2 (3),
    # Thu 3 Dec (4). SCT: Tue 1 (1) ... Fri 4 Dec (4).
    ("optimised", "acknowledgement", "ENG", (2026, 12, 2), (2026, 12, 4)),
    ("optimised", "acknowledgement", "SCT", (2026, 12, 3), (2026, 12, 5)),
    ("optimised", "acknowledgement", "NIR", (2026, 12, 2), (2026, 12, 4)),
    # occs-mediation: 2 working days (Accord's default; see the pack).
    ("occs", "acknowledgement", "ENG", (2026, 11, 30), (2026, 12, 2)),
    ("occs", "acknowledgement", "SCT", (2026, 12, 1), (2026, 12, 3)),
    ("occs", "acknowledgement", "NIR", (2026, 11, 30), (2026, 12, 2)),
]


@pytest.mark.parametrize(
    ("slug", "clock", "nation", "at_risk_day", "breach_day"), EVERY_PACK_AND_NATION
)
def test_every_seed_pack_is_swept_at_the_right_instant_in_each_nation(
    organisations, slug, clock, nation, at_risk_day, breach_day
):
    organisation = organisations[slug]
    organisation.nation = nation
    organisation.save()
    complaint = Complaint(
        complainant=ComplainantDetails(name="Jo"),
        description="A complaint.",
        channel=Channel.EMAIL,
        respondent_id=organisation.businesses.order_by("pk").first().pk,
    )
    case = receive_complaint(organisation, complaint, now=london(2026, 11, 27, 11))[0]
    second = london(2026, 1, 1).resolution
    assert sweep_once(london(*at_risk_day) - second).at_risk == 0
    assert sweep_once(london(*at_risk_day)).at_risk == 1
    assert sweep_once(london(*breach_day) - second).breached == 0
    assert sweep_once(london(*breach_day)).breached == 1
    assert sweep_events(case) == [("clock_at_risk", clock), ("clock_breached", clock)]


def test_a_holding_response_date_is_watched_like_any_deadline(ocasa, staff):
    handler, senior = staff("ocasa", "handler"), staff("ocasa", "senior_handler")
    case = receive(ocasa, london(2026, 12, 1, 9))
    for action in ("acknowledge", "send_stage1_response", "request_stage2"):
        engine.take_step(
            case.pk, handler, action, engine.StepRequest(), now=london(2026, 12, 1, 10)
        )
    actions.assign(case.pk, senior, handler=senior, now=london(2026, 12, 1, 11))
    engine.take_step(
        case.pk, senior, "acknowledge_stage2", engine.StepRequest(), now=london(2026, 12, 1, 12)
    )
    engine.take_step(
        case.pk,
        senior,
        "send_holding_response",
        engine.StepRequest(
            reason="Awaiting the contractor.", data={"anticipated_date": "2026-12-18"}
        ),
        now=london(2026, 12, 7, 10),
    )
    holding = Event.objects.get(case=case, action="send_holding_response")
    assert holding.data["input"] == {"anticipated_date": "2026-12-18"}
    assert holding.data["letters_required"] == ["holding_response"]
    # Anticipated Friday 18 December: at risk from Thursday 17, breached at the end of the 18th.
    assert sweep_once(london(2026, 12, 17)).at_risk == 1
    assert sweep_once(london(2026, 12, 19)).breached == 1
    assert sweep_events(case)[-2:] == [
        ("clock_at_risk", "stage2_anticipated"),
        ("clock_breached", "stage2_anticipated"),
    ]


# Received Friday 27 November 2026 at 11:00; 5 working days to acknowledge (DISP default;
# Housing Ombudsman Code 6.2); 15 business days for a payment-services final response.
# ENG/NIR: Mon 30 (1) ... Fri 4 December (5). SCT (St Andrew's Day, Mon 30): Tue 1 (1)
# ... Mon 7 December (5). 15 days: ENG/NIR Fri 18 December; SCT Mon 21 December.
REGULATORY_PACKS = [
    ("fca-disp", "acknowledgement", "ENG", (2026, 12, 3), (2026, 12, 5)),
    ("fca-disp", "acknowledgement", "SCT", (2026, 12, 4), (2026, 12, 8)),
    ("fca-disp", "acknowledgement", "NIR", (2026, 12, 3), (2026, 12, 5)),
    ("housing-ombudsman", "stage1_acknowledgement", "ENG", (2026, 12, 3), (2026, 12, 5)),
    ("housing-ombudsman", "stage1_acknowledgement", "SCT", (2026, 12, 4), (2026, 12, 8)),
    ("housing-ombudsman", "stage1_acknowledgement", "NIR", (2026, 12, 3), (2026, 12, 5)),
]


@pytest.mark.parametrize(("key", "clock", "nation", "at_risk_day", "breach_day"), REGULATORY_PACKS)
def test_the_regulatory_packs_are_swept_at_the_right_instant_in_each_nation(
    monkeypatch, key, clock, nation, at_risk_day, breach_day
):
    from accord.procedures.registry import PACKS_DIR

    registry = Registry(PACKS_DIR)
    monkeypatch.setattr("accord.cases.intake.registry", lambda: registry)
    monkeypatch.setattr("accord.cases.engine.registry", lambda: registry)
    organisation = Organisation.objects.create(
        slug=key,
        name=key,
        kind="in_house",
        nation=nation,
        reference_prefix=key[:3].upper(),
        procedure_key=key,
    )
    organisation.businesses.create(name=key, is_self=True)
    case = receive(organisation, london(2026, 11, 27, 11))
    second = london(2026, 1, 1).resolution
    assert sweep_once(london(*at_risk_day) - second).at_risk == 0
    assert sweep_once(london(*at_risk_day)).at_risk >= 1
    assert sweep_once(london(*breach_day) - second).breached == 0
    assert sweep_once(london(*breach_day)).breached == 1
    assert ("clock_at_risk", clock) in sweep_events(case)
    assert sweep_events(case)[-1] == ("clock_breached", clock)
