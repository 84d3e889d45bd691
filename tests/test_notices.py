"""Notices: each party is told, in one e-mail per window, what concerns it — never the
other side's words unless the mediator passed them on — and staff hear that a party
wrote. Through the API, with the fold task run as the worker would."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine

from accord.cases.models import Case
from accord.cases.sweep import sweep_once
from accord.mediation.models import Obligation
from accord.notifications.models import NoticeWindow
from accord.notifications.plain import html_to_text
from accord.notifications.tasks import fold_notices
from accord.outbox.models import OutboundMessage
from accord.outbox.threads import thread_root
from tests.conftest import london
from tests.test_agreements import CONFIRMED, binding_agreement, obligation_done
from tests.test_mediation_threads import AT, call
from tests.test_mediation_threads import world as world
from tests.test_proposals import make_world

pytestmark = pytest.mark.django_db


def notices(case: Case, to: str) -> list[OutboundMessage]:
    return [
        m
        for m in OutboundMessage.objects.filter(case=case, purpose__startswith="notice").order_by(
            "pk"
        )
        if to in m.to
    ]


def fold(case: Case) -> None:
    with time_machine.travel(AT, tick=False):
        fold_notices.call(case.pk)


def test_a_burst_of_events_makes_one_e_mail_per_party_with_only_its_own_side(
    world: dict[str, Any],
) -> None:
    ref = world["reference"]
    case = Case.objects.get(reference=ref)
    fold(case)  # the opening of the case to the business, told on its own
    [opened] = notices(case, "practice@brightview.example")
    assert "has opened a complaint about you" in opened.text
    assert "/my/cases/" in opened.text
    secret = "The practice privately admits the lenses were wrong."
    call(world["practice"], "post", f"/cases/{ref}/threads/respondent/messages", {"body": secret})
    call(
        world["handler"],
        "post",
        f"/cases/{ref}/threads/complainant/messages",
        {"body": "Could you send us your receipt?"},
    )
    call(
        world["consumer"],
        "post",
        f"/cases/{ref}/threads/complainant/messages",
        {"body": "My own words."},
    )
    window = NoticeWindow.objects.get(case=case)
    assert window.due_at is not None  # one window open, its fold queued for its end
    fold(case)
    [to_consumer] = notices(case, "alex@example.com")[-1:]
    assert "Could you send us your receipt?" in to_consumer.text
    assert secret not in to_consumer.text + to_consumer.html  # the other side's words
    assert "My own words." not in to_consumer.text  # nobody is told of their own message
    assert "/my/link/" in to_consumer.text
    assert to_consumer.headers["References"] == thread_root(case.pk, "complainant")
    assert to_consumer.headers["Auto-Submitted"] == "auto-generated"
    assert "a new message" in to_consumer.subject
    # The business is not told of the complainant's thread at all.
    assert len(notices(case, "practice@brightview.example")) == 1
    # The mediator passes the practice's words on, edited: only then the consumer reads them.
    original = next(
        m
        for t in call(world["handler"], "get", f"/cases/{ref}/threads").json()
        for m in t["messages"]
        if m["body"] == secret
    )
    call(
        world["handler"],
        "post",
        f"/cases/{ref}/relay",
        {"message_id": original["id"], "body": "The practice will look at the lenses again."},
    )
    fold(case)
    relayed = notices(case, "alex@example.com")[-1]
    assert "The practice will look at the lenses again." in relayed.text
    assert secret not in relayed.text
    assert NoticeWindow.objects.get(case=case).due_at is None
    fold(case)  # a second run tells nothing twice
    assert len(notices(case, "alex@example.com")) == 2


def test_a_proposal_put_to_both_sides_is_told_to_each_with_its_terms(
    world: dict[str, Any],
) -> None:
    """Found by the case-policy property: the fold task failed on any proposal."""
    ref = world["reference"]
    case = Case.objects.get(reference=ref)
    fold(case)
    put = call(
        world["handler"],
        "post",
        f"/cases/{ref}/proposals",
        {
            "source": "handler",
            "kind": "refund",
            "description": "A refund of the lenses.",
            "amount": "120.00",
            "currency": "GBP",
            "answer_by": "2026-12-22",
        },
    )
    assert put.status_code == 201, put.content
    fold(case)
    for address in ("alex@example.com", "practice@brightview.example"):
        told = notices(case, address)[-1]
        assert "A proposal has been put to you" in told.text, address
        assert "A refund of the lenses." in told.text
        assert "Refund: £120.00" in told.text  # what it offers, the amount as people write it
        assert "GBP" not in told.text
        assert "by the end of Tuesday 22 December 2026" in told.text


def test_staff_hear_that_a_party_wrote_with_a_link_to_the_case(
    world: dict[str, Any],
    staff: Any,
) -> None:
    ref = world["reference"]
    case = Case.objects.get(reference=ref)
    handler = staff("occs", "handler")
    case.handler = handler
    case.save()
    call(world["consumer"], "post", f"/cases/{ref}/threads/complainant/messages", {"body": "Hi."})
    fold(case)
    [alert] = [m for m in OutboundMessage.objects.filter(case=case) if handler.email in m.to]
    assert "The complainant wrote in their thread." in alert.text
    assert f"/staff/cases/{ref}/" in alert.text
    assert "Hi." not in alert.text  # the case page says what
    assert alert.headers["References"] == thread_root(case.pk, "staff")


def test_the_text_part_is_the_html_part_in_words() -> None:
    html = (
        "<p>Dear Jo,</p><ul><li>One</li><li>Two</li></ul><blockquote><p>Quoted</p></blockquote>"
        '<p>See: <a href="https://x.example/a">https://x.example/a</a> or <a href="https://y">here</a></p>'
    )
    assert html_to_text(html) == (
        "Dear Jo,\n\n- One\n- Two\n\n> Quoted\n\nSee: https://x.example/a or here: https://y\n"
    )


@pytest.fixture
def agreed(occs: Any, staff: Any) -> dict[str, Any]:
    """An OCCS case whose agreement both parties confirmed (tests.test_agreements)."""
    made = make_world(occs, staff)
    binding_agreement(made)
    return made


def test_a_binding_agreement_tells_each_side_who_does_what_by_when(
    agreed: dict[str, Any],
) -> None:
    """Issue 12, found reading the OCCS journey's e-mails: the notice that the agreement
    is binding only pointed to the page; each side now reads its part and the other's,
    with their dates in words, its own called its own."""
    case = Case.objects.get(reference=agreed["reference"])
    with time_machine.travel(CONFIRMED, tick=False):
        fold_notices.call(case.pk)
    [consumer] = notices(case, "alex@example.com")[-1:]
    [practice] = notices(case, "practice@brightview.example")[-1:]
    assert "it is now binding" in consumer.text
    assert (
        "- You, by the end of Friday 11 December 2026: Return the glasses to the practice."
        in consumer.text
    )
    assert (
        f"- {case.respondent.name}, by the end of Friday 18 December 2026: Refund £120.50"
        in consumer.text
    )
    assert "- You, by the end of Friday 18 December 2026: Refund £120.50" in practice.text
    assert (
        "- Alex Morgan, by the end of Friday 11 December 2026: Return the glasses" in practice.text
    )
    for told in (consumer, practice):
        assert "please confirm it on your page" in told.text


def test_an_agreement_confirmed_in_the_window_it_was_drawn_up_is_told_once_as_binding(
    agreed: dict[str, Any],
) -> None:
    """Drawn up and confirmed by both sides before the notice went: the notice does not
    ask the consumer to confirm an agreement that is already binding, nor say again
    after the terms that an agreement was reached."""
    case = Case.objects.get(reference=agreed["reference"])
    with time_machine.travel(CONFIRMED, tick=False):
        fold_notices.call(case.pk)
    for address in ("alex@example.com", "practice@brightview.example"):
        [told] = notices(case, address)[-1:]
        assert "it is now binding" in told.text
        assert "The agreement is ready" not in told.text
        assert "reached an agreement" not in told.text


def test_a_reminder_quotes_the_obligation_as_agreed(agreed: dict[str, Any]) -> None:
    """The obligation's own full stop is not followed by another ("practice.. Once")."""
    case = Case.objects.get(reference=agreed["reference"])
    with time_machine.travel(CONFIRMED, tick=False):
        fold_notices.call(case.pk)
    sweep_once(london(2026, 12, 8))  # the return is due by Friday 11 December
    with time_machine.travel(london(2026, 12, 8), tick=False):
        fold_notices.call(case.pk)
    reminder = notices(case, "alex@example.com")[-1]
    assert (
        "A reminder of what you agreed to do by the end of Friday 11 December 2026:\n\n"
        "> Return the glasses to the practice.\n\nOnce it is done" in reminder.text
    ), reminder.text
    assert ".." not in reminder.text


def test_closing_by_agreement_tells_each_side_once_and_asks_for_feedback_on_its_page(
    agreed: dict[str, Any],
) -> None:
    """Issue 12: the business read "the complaint is closed" twice in one e-mail, and the
    consumer's letter asked for feedback by reply while the notice asked for it on the
    page; the OCCS letter now asks on the page too, and says how the complaint ended,
    and is the consumer's only e-mail of the closing."""
    case = Case.objects.get(reference=agreed["reference"])
    day = london(2026, 12, 10, 12)
    for obligation in Obligation.objects.filter(agreement__case=case):
        for who, party in (("consumer", "complainant"), ("practice", "respondent")):
            done = obligation_done(agreed, who, obligation.pk, party, day)
            assert done.status_code == 200, done.content
    closing = london(2026, 12, 11, 10)
    with time_machine.travel(closing, tick=False):
        closed = agreed["handler"].step(agreed["reference"], "confirm_implementation")
        assert closed.status_code == 200, closed.content
        sweep_once(closing)  # the invitations to give feedback
        fold_notices.call(case.pk)
    practice = notices(case, "practice@brightview.example")[-1]
    assert "The agreement was carried out and the complaint is closed." in practice.text
    assert "rate our service" in practice.text
    assert practice.text.count("closed") == 1, practice.text
    [letter] = OutboundMessage.objects.filter(case=case, purpose="letter:feedback_request")
    assert "Your complaint was resolved by agreement." in letter.text
    assert "on your page, you can rate our service from 1 (poor) to 5" in letter.text
    # The letter says the complaint closed and asks for the feedback: no notice asks
    # again (the browser journey sees it as the consumer's one e-mail of the closing).
    for told in notices(case, "alex@example.com"):
        assert "rate our service" not in told.text
        assert "Your complaint is now closed." not in told.text
