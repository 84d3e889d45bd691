"""Agreements and obligations through the API: drawn up from an accepted proposal with
due dates the procedure allows, confirmed by both parties by the document's hash, kept
as a PDF, the procedure's agreement step taken; obligations reminded, confirmed done by
both, and a missed one reopening the closed case."""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
from pathlib import Path
from typing import Any

import pytest
import time_machine
import yaml
from django.core import mail
from django_tasks_db.models import DBTaskResult

from accord.cases.models import Case, Event
from accord.cases.sweep import sweep_once
from accord.mediation import obligations
from accord.mediation.models import Agreement, AgreementConfirmation, Obligation
from accord.mediation.obligations import notify_obligations
from accord.procedures.loader import ProcedureError, parse
from accord.procedures.registry import PACKS_DIR, registry
from tests.conftest import ApiClient, london
from tests.test_proposals import accepted_proposal, call, make_world, put, refund

pytestmark = pytest.mark.django_db

DRAWN = london(2026, 12, 4, 10)
CONFIRMED = london(2026, 12, 7, 10)
REFUND_DUE = "2026-12-18"
RETURN_DUE = "2026-12-11"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def world(occs, staff) -> dict[str, Any]:
    return make_world(occs, staff)


def terms(refund_due: str = REFUND_DUE, return_due: str = RETURN_DUE) -> list[dict[str, str]]:
    return [
        {
            "party": "respondent",
            "what": "Refund £120.50 to the consumer's card.",
            "due_on": refund_due,
        },
        {
            "party": "complainant",
            "what": "Return the glasses to the practice.",
            "due_on": return_due,
        },
    ]


def draw_up(world: dict[str, Any], proposal_id: int, obligations: Any, when=DRAWN) -> Any:
    return call(
        world["handler"],
        when,
        "post",
        f"/cases/{world['reference']}/agreements",
        {"proposal_id": proposal_id, "obligations": obligations},
    )


def confirm(world, who: str, agreement_id: int, party: str, sha: str, when=CONFIRMED) -> Any:
    path = f"/cases/{world['reference']}/agreements/{agreement_id}/confirmations/{party}"
    return call(world[who], when, "post", path, {"document_sha256": sha})


def binding_agreement(world: dict[str, Any]) -> dict[str, Any]:
    drawn = draw_up(world, accepted_proposal(world), terms()).json()
    confirm(world, "consumer", drawn["id"], "complainant", drawn["document_sha256"])
    done = confirm(world, "practice", drawn["id"], "respondent", drawn["document_sha256"])
    assert done.status_code == 201, done.content
    return done.json()


def detail(world: dict[str, Any], when: dt.datetime) -> dict[str, Any]:
    return call(world["handler"], when, "get", f"/cases/{world['reference']}").json()


def obligation_done(world, who: str, obligation_id: int, party: str, when: dt.datetime) -> Any:
    path = f"/cases/{world['reference']}/obligations/{obligation_id}/done/{party}"
    return call(world[who], when, "post", path)


def test_the_full_path_from_proposal_to_feedback(world) -> None:
    ref = world["reference"]
    proposal_id = accepted_proposal(world)
    drawn = draw_up(world, proposal_id, terms())
    assert drawn.status_code == 201, drawn.content
    agreement = drawn.json()
    html = agreement["document_html"]
    assert agreement["status"] == "awaiting_confirmation"
    assert agreement["document_sha256"] == hashlib.sha256(html.encode()).hexdigest()
    assert "Alex Morgan" in html
    practice_name = Case.objects.get(reference=ref).respondent.name
    assert practice_name in html
    assert "Return the glasses to the practice." in html
    assert "This agreement is legally binding on both parties once both have confirmed it" in html
    # The document as served is the document hashed.
    served = call(
        world["consumer"], DRAWN, "get", f"/cases/{ref}/agreements/{agreement['id']}/document"
    )
    assert hashlib.sha256(served.content).hexdigest() == agreement["document_sha256"]
    # No PDF before both confirm.
    early = call(world["consumer"], DRAWN, "get", f"/cases/{ref}/agreements/{agreement['id']}/pdf")
    assert early.status_code == 409

    first = confirm(world, "consumer", agreement["id"], "complainant", agreement["document_sha256"])
    assert first.status_code == 201, first.content
    assert first.json()["status"] == "awaiting_confirmation"
    assert detail(world, CONFIRMED)["stage"] == "review_and_dialogue"
    second = confirm(world, "practice", agreement["id"], "respondent", agreement["document_sha256"])
    assert second.status_code == 201, second.content
    binding = second.json()
    assert binding["status"] == "binding"
    assert binding["binding_from"] == CONFIRMED.astimezone(dt.UTC).isoformat().replace(
        "+00:00", "Z"
    )
    confirmation = AgreementConfirmation.objects.get(
        agreement_id=agreement["id"], party="respondent"
    )
    assert (confirmation.ip_address, confirmation.confirmed_at) == ("127.0.0.1", CONFIRMED)
    assert confirmation.document_sha256 == agreement["document_sha256"]

    # The binding agreement is the agreement the procedure records: the system takes
    # the step from review and dialogue, and the agreement clock is met.
    case_now = detail(world, CONFIRMED)
    assert case_now["stage"] == "implementing"
    assert next(c for c in case_now["clocks"] if c["key"] == "agreement")["state"] == "met"
    step = Event.objects.get(case__reference=ref, action="agree_resolution")
    assert (step.actor_id, step.actor_role) == (None, "system")
    assert step.data["letters_required"] == ["agreement"]

    # The PDF is kept outside the web root, and served to staff and the two parties.
    stored = Agreement.objects.get(pk=agreement["id"])
    assert stored.pdf_stored_as.startswith("agreements/")
    pdf = call(
        world["consumer"], CONFIRMED, "get", f"/cases/{ref}/agreements/{agreement['id']}/pdf"
    )
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")
    for who in ("practice", "handler"):
        served_pdf = call(
            world[who], CONFIRMED, "get", f"/cases/{ref}/agreements/{agreement['id']}/pdf"
        )
        assert served_pdf.status_code == 200
    assert (
        call(
            world["stranger"], CONFIRMED, "get", f"/cases/{ref}/agreements/{agreement['id']}/pdf"
        ).status_code
        == 404
    )

    # Obligations: each party confirms, both are needed.
    by_party = {o["party"]: o["id"] for o in binding["obligations"]}
    day = london(2026, 12, 10, 12)
    half = obligation_done(world, "consumer", by_party["complainant"], "complainant", day)
    assert half.json()["status"] == "pending"
    assert (
        obligation_done(world, "consumer", by_party["complainant"], "respondent", day).status_code
        == 403
    )
    assert (
        obligation_done(world, "handler", by_party["complainant"], "respondent", day).status_code
        == 403
    )
    assert (
        obligation_done(world, "consumer", by_party["complainant"], "complainant", day).status_code
        == 409
    )
    whole = obligation_done(world, "practice", by_party["complainant"], "respondent", day)
    assert whole.json()["status"] == "done"
    for who, party in (("consumer", "complainant"), ("practice", "respondent")):
        obligation_done(world, who, by_party["respondent"], party, day)
    assert set(Obligation.objects.values_list("status", flat=True)) == {"done"}

    closing = london(2026, 12, 21, 10)
    with time_machine.travel(closing, tick=False):
        closed = world["handler"].step(ref, "confirm_implementation")
    assert closed.json()["outcome"] == "resolved_by_agreement"
    # Done obligations are neither reminded nor missed.
    result = sweep_once(london(2026, 12, 21, 11))
    assert (result.obligations_missed, result.obligations_reminded) == (0, 0)
    assert result.feedback_invited == 1
    later = london(2026, 12, 22, 9)
    for who, party, rating in (("consumer", "complainant", 5), ("practice", "respondent", 4)):
        given = call(
            world[who], later, "post", f"/cases/{ref}/feedback/{party}", {"rating": rating}
        )
        assert given.status_code == 201, given.content
    rows = call(world["handler"], later, "get", f"/cases/{ref}/feedback").json()
    assert [(r["party"], r["rating"]) for r in rows] == [("complainant", 5), ("respondent", 4)]
    # A later sweep at the old due dates finds nothing: the case stays closed.
    assert sweep_once(london(2026, 12, 19)).obligations_missed == 0
    assert Case.objects.get(reference=ref).is_open is False


def test_due_dates_must_fall_within_the_running_agreement_clock(world) -> None:
    proposal_id = accepted_proposal(world)
    # Accepted for mediation on 1 December 2026: 45 days -> Friday 15 January 2027.
    too_late = draw_up(world, proposal_id, terms(refund_due="2027-01-16"))
    assert too_late.status_code == 422, too_late.content
    assert too_late.json()["field"] == "obligations.0.due_on"
    assert "Friday 15 January 2027" in too_late.json()["message"]
    past = draw_up(world, proposal_id, terms(return_due="2026-12-03"))
    assert (past.status_code, past.json()["field"]) == (422, "obligations.1.due_on")
    assert draw_up(world, proposal_id, []).status_code == 422
    nobody = draw_up(world, proposal_id, [{"party": "the cat", "what": "x", "due_on": REFUND_DUE}])
    assert nobody.json()["field"] == "obligations.0.party"
    assert not Agreement.objects.exists()
    on_the_day = draw_up(world, proposal_id, terms(refund_due="2027-01-15"))
    assert on_the_day.status_code == 201, on_the_day.content


def test_only_an_accepted_proposal_is_drawn_up_and_only_by_handlers(world) -> None:
    open_one = put(world, refund()).json()["id"]
    assert draw_up(world, open_one, terms()).status_code == 409
    accepted = accepted_proposal(world)
    path = f"/cases/{world['reference']}/agreements"
    body = {"proposal_id": accepted, "obligations": terms()}
    assert call(world["consumer"], DRAWN, "post", path, body).status_code == 403
    assert call(world["practice"], DRAWN, "post", path, body).status_code == 403
    assert draw_up(world, accepted, terms()).status_code == 201


def test_confirming_a_changed_document_is_refused(world) -> None:
    proposal_id = accepted_proposal(world)
    first = draw_up(world, proposal_id, terms()).json()
    wrong = confirm(world, "consumer", first["id"], "complainant", "0" * 64)
    assert (wrong.status_code, wrong.json()["field"]) == (409, "document_sha256")
    assert "changed" in wrong.json()["message"]
    # Nobody confirms for the other party, nor staff for a party.
    assert (
        confirm(world, "consumer", first["id"], "respondent", first["document_sha256"]).status_code
        == 403
    )
    assert (
        confirm(world, "handler", first["id"], "complainant", first["document_sha256"]).status_code
        == 403
    )
    assert (
        confirm(world, "consumer", first["id"], "complainant", first["document_sha256"]).status_code
        == 201
    )
    # The handler changes the terms: a new document, the old draft is replaced.
    second = draw_up(
        world, proposal_id, terms(refund_due="2026-12-23"), when=london(2026, 12, 5, 9)
    ).json()
    assert second["document_sha256"] != first["document_sha256"]
    stale = confirm(world, "practice", first["id"], "respondent", first["document_sha256"])
    assert stale.status_code == 409
    assert "changed" in stale.json()["message"]
    # The old hash does not confirm the new document either.
    old_hash = confirm(world, "practice", second["id"], "respondent", first["document_sha256"])
    assert old_hash.status_code == 409
    assert (
        confirm(
            world, "practice", second["id"], "respondent", second["document_sha256"]
        ).status_code
        == 201
    )
    # The complainant's confirmation was of the replaced document: still needed.
    assert Agreement.objects.get(pk=second["id"]).status == "awaiting_confirmation"
    done = confirm(world, "consumer", second["id"], "complainant", second["document_sha256"])
    assert done.json()["status"] == "binding"
    # A binding agreement is not drawn up again.
    assert draw_up(world, proposal_id, terms()).status_code == 409
    listed = call(
        world["practice"], CONFIRMED, "get", f"/cases/{world['reference']}/agreements"
    ).json()
    # The parties see the agreement in force, not the drafts it replaced; staff see all.
    assert [(a["id"], a["superseded_at"] is not None) for a in listed] == [(second["id"], False)]
    everything = call(
        world["handler"], CONFIRMED, "get", f"/cases/{world['reference']}/agreements"
    ).json()
    assert [(a["id"], a["superseded_at"] is not None) for a in everything] == [
        (first["id"], True),
        (second["id"], False),
    ]
    events = Event.objects.filter(case__reference=world["reference"], kind="agreement")
    assert [e.data.get("replaces") for e in events] == [None, [first["id"]]]


def test_the_agreement_is_only_recorded_when_the_step_was_already_taken(world) -> None:
    proposal_id = accepted_proposal(world)
    with time_machine.travel(DRAWN, tick=False):
        assert world["handler"].step(world["reference"], "agree_resolution").status_code == 200
    # The agreement clock stopped with the step: no limit from it any more.
    drawn = draw_up(world, proposal_id, terms(refund_due="2027-02-01")).json()
    confirm(world, "consumer", drawn["id"], "complainant", drawn["document_sha256"])
    binding = confirm(world, "practice", drawn["id"], "respondent", drawn["document_sha256"])
    assert binding.json()["status"] == "binding"
    assert Event.objects.filter(case__reference=world["reference"], kind="transition").count() == 6
    assert detail(world, CONFIRMED)["stage"] == "implementing"


def refer_to_senior(world: dict[str, Any], senior) -> ApiClient:
    ref = world["reference"]
    with time_machine.travel(london(2026, 12, 2, 9), tick=False):
        assert world["handler"].step(ref, "record_no_agreement").status_code == 200
        assert world["consumer"].step(ref, "refer_to_senior_mediator").status_code == 200
        senior_client = ApiClient(senior)
        assert (
            senior_client.post(f"/cases/{ref}/assign", {"handler": senior.username}).status_code
            == 200
        )
        assert senior_client.step(ref, "complete_senior_consideration").status_code == 200
    return senior_client


def test_senior_mediation_limits_due_dates_to_three_weeks_and_takes_its_step(world, staff) -> None:
    senior = staff("occs", "senior_handler")
    senior_client = refer_to_senior(world, senior)
    world["handler"] = senior_client  # the senior mediator now handles the case
    proposal_id = accepted_proposal(world)
    # Referred on Wednesday 2 December 2026: three weeks -> Wednesday 23 December.
    refused = draw_up(world, proposal_id, terms(refund_due="2026-12-24"))
    assert refused.status_code == 422
    assert "Wednesday 23 December 2026" in refused.json()["message"]
    drawn = draw_up(world, proposal_id, terms(refund_due="2026-12-23")).json()
    confirm(world, "consumer", drawn["id"], "complainant", drawn["document_sha256"])
    confirm(world, "practice", drawn["id"], "respondent", drawn["document_sha256"])
    case_now = detail(world, CONFIRMED)
    assert case_now["stage"] == "implementing"
    assert next(c for c in case_now["clocks"] if c["key"] == "senior_timeframe")["state"] == "met"
    assert Event.objects.filter(
        case__reference=world["reference"], action="agree_senior_resolution"
    ).exists()


def test_an_obligation_is_reminded_once_before_it_is_due(world) -> None:
    agreement = binding_agreement(world)
    refund_id = next(o["id"] for o in agreement["obligations"] if o["party"] == "respondent")
    # The return is due by Friday 11 December: reminded from the start of the 8th.
    assert sweep_once(london(2026, 12, 8)).obligations_reminded == 1
    DBTaskResult.objects.all().delete()
    # The refund is due by Friday 18 December 2026: reminded 3 days before.
    just_before = sweep_once(london(2026, 12, 15) - dt.timedelta(microseconds=1))
    assert just_before.obligations_reminded == 0
    assert just_before.obligations_missed == 1  # the return, never confirmed done
    missed_ids = list(Obligation.objects.filter(status="missed").values_list("pk", flat=True))
    assert sweep_once(london(2026, 12, 15)).obligations_reminded == 1
    assert sweep_once(london(2026, 12, 16)).obligations_reminded == 0
    assert Obligation.objects.get(pk=refund_id).reminder_sent_at == london(2026, 12, 15)
    reminders = Event.objects.filter(
        case__reference=world["reference"], kind="obligation", data__reminded=True
    )
    assert reminders.count() == 2
    queued = [
        task.args_kwargs["args"]
        for task in DBTaskResult.objects.filter(task_path__endswith="notify_obligations")
    ]
    assert queued == [[[[pk, "missed"] for pk in missed_ids]], [[[refund_id, "reminder"]]]]
    from accord.outbox.delivery import deliver_pending

    deliver_pending()  # what was queued before (the steps' letters)
    mail.outbox.clear()
    notify_obligations.call(*queued[1])
    deliver_pending()  # the e-mail goes through the outbox
    # Staff get their reminder; the business gets its own notice (never one e-mail
    # copying staff and a party).
    assert [m.to for m in mail.outbox] == [[world["handler_user"].email]]
    assert "Refund £120.50" in mail.outbox[0].body
    from accord.notifications.tasks import fold_notices

    case = Case.objects.get(reference=world["reference"])
    mail.outbox.clear()
    fold_notices.call(case.pk)
    deliver_pending()
    practice = case.respondent
    [business] = [m for m in mail.outbox if practice.email in m.to]
    assert set(business.to) == {practice.email, "rep@practice.example"}
    assert "A reminder of what you agreed to do" in business.body
    assert "Refund £120.50" in business.body


def close(world: dict[str, Any], when: dt.datetime) -> None:
    with time_machine.travel(when, tick=False):
        closed = world["handler"].step(world["reference"], "confirm_implementation")
    assert closed.status_code == 200, closed.content


def test_a_missed_obligation_after_closure_reopens_the_case(world) -> None:
    agreement = binding_agreement(world)
    by_party = {o["party"]: o["id"] for o in agreement["obligations"]}
    day = london(2026, 12, 10, 12)
    for who, party in (("consumer", "complainant"), ("practice", "respondent")):
        obligation_done(world, who, by_party["complainant"], party, day)
    # Only the consumer says the refund arrived; the case is closed before it is due.
    obligation_done(world, "consumer", by_party["respondent"], "complainant", day)
    close(world, london(2026, 12, 14, 10))
    # The refund is due by the end of Friday 18 December 2026.
    assert sweep_once(london(2026, 12, 19) - dt.timedelta(microseconds=1)).obligations_missed == 0
    assert Case.objects.get(reference=world["reference"]).is_open is False
    result = sweep_once(london(2026, 12, 19))
    assert (result.obligations_missed, result.reopened) == (1, 1)
    case = Case.objects.get(reference=world["reference"])
    assert (case.is_open, case.stage, case.outcome, case.closed_at) == (
        True,
        "implementing",
        "",
        None,
    )
    missed = Obligation.objects.get(pk=by_party["respondent"])
    assert (missed.status, missed.missed_at) == ("missed", london(2026, 12, 19))
    kinds = list(Event.objects.filter(case=case).order_by("seq").values_list("kind", flat=True))
    assert kinds[-2:] == ["obligation", "reopened"]
    reopened = Event.objects.get(case=case, kind="reopened")
    assert (reopened.from_stage, reopened.to_stage) == ("closed", "implementing")
    assert "not confirmed done" in reopened.reason
    assert "Refund" not in reopened.reason  # the event says that, never what
    assert reopened.data["previous_outcome"] == "resolved_by_agreement"
    # Once: later passes do nothing more.
    again = sweep_once(london(2026, 12, 20))
    assert (again.obligations_missed, again.reopened) == (0, 0)
    # The handler works the reopened case and can close it again.
    close(world, london(2026, 12, 21, 10))
    assert Case.objects.get(pk=case.pk).outcome == "resolved_by_agreement"


def test_a_missed_obligation_on_an_open_case_is_marked_without_reopening(world) -> None:
    binding_agreement(world)
    result = sweep_once(london(2026, 12, 12))  # the return was due by 11 December
    assert (result.obligations_missed, result.reopened) == (1, 0)
    assert Case.objects.get(reference=world["reference"]).stage == "implementing"
    assert not Event.objects.filter(case__reference=world["reference"], kind="reopened").exists()


def test_a_case_under_a_version_without_reopens_to_is_not_reopened(world) -> None:
    case = Case.objects.get(reference=world["reference"])
    Case.objects.filter(pk=case.pk).update(procedure_version=1, is_open=False, stage="closed")
    case.refresh_from_db()
    assert obligations.reopen(case, london(2026, 12, 20), reason="test", data={}) is False
    assert Case.objects.get(pk=case.pk).is_open is False


def test_reopens_to_must_be_a_non_terminal_stage() -> None:
    raw = yaml.safe_load((PACKS_DIR / "occs-mediation" / "v2.yaml").read_text())
    assert registry().get("occs-mediation", 2).reopens_to == "implementing"
    assert registry().get("occs-mediation", 1).reopens_to is None
    for stage, fault in (("closed", "is terminal"), ("limbo", "is not a stage")):
        changed = copy.deepcopy(raw)
        changed["reopens_to"] = stage
        with pytest.raises(ProcedureError, match=fault):
            parse(changed, source="test")


def test_confirming_obligations_needs_a_binding_agreement(world) -> None:
    drawn = draw_up(world, accepted_proposal(world), terms()).json()
    obligation_id = drawn["obligations"][0]["id"]
    early = obligation_done(world, "consumer", obligation_id, "complainant", DRAWN)
    assert early.status_code == 409
