"""Issue 12, done when: for each seed procedure a whole case in Chromium, followed through
its parties' inboxes (the outbox). The complainant complains on the public form, reads
each e-mail queued to them, opens the link it carries and reads their page; the handler
works the case on the staff pages (taking steps, typing the letters' fields, relaying a
message in a mediation); the business, where there is one, signs in and reads its page
and e-mails. At each point: what arrived, its dates in words, no key of the procedure
or working-out of a date, and nothing the other side wrote that the mediator did not
pass on.

The clock is set to Monday 14 December 2026, 09:00 in London, and runs from there (moved on
where the case waits), so every date a party reads is a fixed one."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from accord.accounts.models import User
from accord.cases.models import Case
from accord.cases.sweep import sweep_once
from accord.mediation.demo import create_consent_forms
from accord.notifications.tasks import fold_notices
from accord.organisations.models import Organisation
from accord.outbox.models import OutboundMessage
from tests.browser.conftest import (
    assert_accessible,
    fill_date,
    person,
    press,
    reveal_step,
    screenshot,
    sign_in,
    take_step,
    vnu_errors,
)
from tests.conftest import london
from tests.inboxes import (
    CONSUMER,
    Outbox,
    assert_for_a_party,
    check_thread,
    everything,
    link_in,
    show,
)
from tests.notices import run_tasks

pytestmark = pytest.mark.django_db(transaction=True)

START = london(2026, 12, 14, 9)  # a Monday: the newest version of each pack in force
DESCRIPTION = "My new glasses give me headaches and nobody will look at them again."
WANTED = "A remake of the glasses."


@pytest.fixture
def clock(settings: Any, live_server: Any) -> Iterator[Any]:
    """Monday 14 December 2026, 09:00 in London, running; e-mails link to the live server."""
    # Playwright types faster than a person: the "sent too fast" guard is tested in
    # tests/web; here it would only slow the journey down.
    settings.ACCORD_FORM_MIN_SECONDS = 0
    settings.ACCORD_BASE_URL = live_server.url
    # Passwords hashed quickly: signing in is what is followed here, not the hasher.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with time_machine.travel(START, tick=True) as traveller:
        yield traveller


class Inboxes:
    """A case's outbox, read by address as its parties would read their inboxes; the
    worker's deferred work (the receipt, each digest window) is run on each look."""

    def __init__(self, case: Case) -> None:
        self.case = case
        self.outbox = Outbox(case)

    def arrived(self, *addresses: str) -> list[OutboundMessage]:
        run_tasks()
        fold_notices.call(self.case.pk)
        return self.outbox.arrived(*addresses)


class Complainant:
    """Alex Morgan in their own browser."""

    def __init__(self, context: Any) -> None:
        self.page = context.new_page()

    def complain(self, slug: str, respondent: str = "") -> Case:
        page = self.page
        page.goto(f"/{slug}/")
        press(page, page.get_by_role("link", name="Make a complaint"))
        if respondent:
            page.get_by_label("Which practice or business is your complaint about?").select_option(
                label=respondent
            )
        page.get_by_label("What happened?").fill(DESCRIPTION)
        page.fill("#id_issue_arose_on", "2026-12-11")  # the Friday before: in time
        page.get_by_label("What would you like to happen?").fill(WANTED)
        page.check("#id_share_information_0")
        page.get_by_label("Your full name").fill("Alex Morgan")
        page.get_by_label("Your e-mail address").fill(CONSUMER)
        press(page, page.get_by_role("button", name="Send my complaint"))
        assert "/complain/received/" in page.url
        case = Case.objects.get()
        shown = page.inner_text("main")
        assert case.reference in shown
        # What happens next, as the receipt says it: never the staff's task list.
        assert "We will acknowledge your complaint" in shown
        assert_for_a_party(case, shown, "the confirmation page")
        return case

    def open(self, mail: OutboundMessage) -> str:
        """Follow the link in the e-mail to their page; its text as they read it."""
        page = self.page
        page.goto(link_in(mail))
        if "/my/link/" in page.url:
            press(page, page.get_by_role("button", name="Open my complaint"))
        case = Case.objects.get()
        assert page.url.endswith(f"/my/cases/{case.reference}/"), page.url
        return read(page, case, "the complainant's page")


def read(page: Any, case: Case, where: str) -> str:
    """The page as a party reads it (a closed <details>, such as how a date is worked
    out, is one click away and not read), checked for keys and working-out."""
    shown = str(page.inner_text("main"))
    assert_for_a_party(case, shown, where)
    return shown


def check_html(context: Any, mails: list[OutboundMessage]) -> None:
    """The HTML part of one e-mail of each kind (receipt, letter, notice), as a mail
    reader shows it: axe-core finds nothing serious."""
    page = context.new_page()
    seen: set[str] = set()
    for mail in mails:
        kind = mail.purpose.split(":")[0]
        if kind in seen:
            continue
        seen.add(kind)
        page.set_content(mail.html)
        assert_accessible(page, f"the e-mail {mail.subject!r}")
    page.close()


def valid_html(mails: list[OutboundMessage], folder: Path) -> None:
    """Every e-mail's HTML part passes the Nu HTML Checker (one run for them all)."""
    files = {}
    for number, mail in enumerate(mails):
        path = folder / f"mail-{number:02d}.html"
        path.write_text(mail.html, encoding="utf-8")
        files[path] = mail
    problems = [
        f"{files[path].purpose} {files[path].subject!r}: {error}"
        for path, errors in vnu_errors(files).items()
        for error in errors
    ]
    assert not problems, "\n".join(problems)


def words_of(text: str, *words: str) -> list[str]:
    """Those of `words` that `text` contains, as words, in any case."""
    return [w for w in words if re.search(rf"\b{re.escape(w)}\b", text, re.IGNORECASE)]


def one(mails: list[OutboundMessage], purpose: str) -> OutboundMessage:
    """The e-mail of that purpose among those that arrived: it came once."""
    found = [m for m in mails if m.purpose == purpose]
    assert len(found) == 1, [m.purpose for m in mails]
    return found[0]


def member(slug: str, role: str, username: str) -> User:
    """A member of staff who signs in with a code (tests.browser.conftest.person) and
    is e-mailed the case's alerts."""
    user = person(slug, role, username)
    user.email = f"{username}@example.com"
    user.save(update_fields=["email"])
    return user


def step(page: Any, key: str, fill: dict[str, str] | None = None) -> None:
    """Take a step on the staff case page (tests.browser.conftest.take_step), saying what
    the page objected to if it did."""
    try:
        take_step(page, key, fill)
    except Exception:
        errors = page.locator(".error-summary")
        raise AssertionError(errors.first.inner_text() if errors.count() else page.url) from None


def handler_takes(staff: Any, case: Case) -> None:
    press(staff, staff.get_by_role("link", name=case.reference))
    press(staff, staff.get_by_role("button", name="Take this case"))


def write(page: Any, scope: str, label: str, text: str, button: str) -> None:
    form = page.locator(f"{scope} form", has=page.get_by_label(label))
    form.get_by_label(label).fill(text)
    press(page, form.get_by_role("button", name=button))


# --- Client services: in-house, one stage ---------------------------------------------


def test_client_services_inboxes(
    new_context: Callable[[], Any], clock: Any, optimised: Any
) -> None:
    handler = member("optimised", "handler", "hana-optimised")
    alex = Complainant(new_context())
    case = alex.complain("optimised")
    ref = case.reference
    inbox = Inboxes(case)

    # One e-mail: the receipt, with the link and the two promises in words.
    [receipt] = inbox.arrived(CONSUMER)
    assert receipt.purpose == "receipt_notice"
    assert (
        "We will acknowledge your complaint by the end of Friday 18 December 2026." in receipt.text
    )
    assert (
        "We will send you our response, or an update on our progress, by the end of "
        "Thursday 7 January 2027." in receipt.text  # past Christmas and New Year's Day
    )
    page = alex.open(receipt)
    assert "What you told us" in page
    assert DESCRIPTION in page
    assert WANTED in page
    assert "by the end of Friday 18 December 2026" in page
    assert "without prejudice" not in page  # in-house: no mediation wording
    assert "Respondent" not in page
    assert_accessible(alex.page, "complainant's page, received")

    # The handler takes the case and acknowledges it: the letter goes with the step.
    staff = sign_in(new_context(), handler)
    handler_takes(staff, case)
    [assigned] = inbox.arrived(handler.email)
    assert f"{ref}: assigned to you" == assigned.subject
    clock.shift(dt.timedelta(hours=2))
    step(staff, "acknowledge")
    [letter] = inbox.arrived(CONSUMER)
    assert letter.purpose == "letter:acknowledgement"
    assert "Dear Alex Morgan," in letter.text
    assert "We received your complaint on Monday 14 December 2026." in letter.text
    assert "by the end of Thursday 7 January 2027" in letter.text
    assert "Sam Patel (demo)\nHead of Client Services" in letter.text
    page = alex.open(letter)
    assert "We will acknowledge" not in page  # that promise is kept
    assert "Letters we have sent you" in page
    press(alex.page, alex.page.locator("#letters").get_by_role("link").first)
    assert "Dear Alex Morgan," in read(alex.page, case, "the acknowledgement on the page")

    # A question from the handler; the client's answer reaches staff, not the client.
    write(staff, "#thread-complainant", "Write to the complainant", "Which invoice?", "Send")
    [notice] = inbox.arrived(CONSUMER)
    assert "a new message" in notice.subject
    assert "> Which invoice?" in notice.text
    alex.open(notice)
    write(alex.page, "#thread", "Your message", "Invoice 4471, from February.", "Send message")
    assert inbox.arrived(CONSUMER) == []  # their own message: nothing to tell them
    [alert] = inbox.arrived(handler.email)
    assert "The complainant wrote" in alert.text, alert.text
    assert f"/staff/cases/{ref}/" in alert.text

    # Two days on, the handler proposes a resolution and types the letter's fields.
    clock.shift(dt.timedelta(days=2))
    staff.reload()
    assert "Invoice 4471, from February." in staff.inner_text("#thread-complainant")
    step(
        staff,
        "propose_resolution",
        {
            "The resolution we propose": "New lenses, free of charge.",
            "By when it will be done": "Within 10 working days.",
        },
    )
    [proposed] = inbox.arrived(CONSUMER)
    assert proposed.purpose == "letter:proposed_resolution"
    assert "New lenses, free of charge." in proposed.text
    assert "Within 10 working days." in proposed.text
    assert "Wednesday 16 December 2026" in proposed.text  # the letter's date

    # The client accepts it on their page.
    page = alex.open(proposed)
    assert "We have proposed a resolution" in page
    press(alex.page, alex.page.get_by_role("button", name="Accept the proposed resolution"))
    assert "We are putting right what we agreed with you." in read(alex.page, case, "accepted")
    assert inbox.arrived(CONSUMER) == []  # their own step

    # Done: the final response closes the case, and the page says how it ended.
    clock.shift(dt.timedelta(days=5))  # Monday 21 December
    staff.reload()
    step(
        staff,
        "complete_resolution",
        {
            "What we found": "The lenses were cut to an old prescription.",
            "What we will do to put things right": "We have fitted new lenses.",
        },
    )
    [final] = inbox.arrived(CONSUMER)
    assert final.purpose == "letter:final_response"
    assert "What we found: The lenses were cut to an old prescription." in final.text
    assert "What we will do to put things right: We have fitted new lenses." in final.text
    assert "Monday 21 December 2026" in final.text
    page = alex.open(final)
    assert "Your complaint was resolved." in page
    assert "Closed (closed)" not in page
    assert "Where else you can go" not in page  # not a microbusiness: no ombudsman
    assert_accessible(alex.page, "complainant's page, closed")
    screenshot(alex.page, "inbox-client-services-closed")
    mails = [receipt, letter, notice, proposed, final]
    check_thread(case, mails, "complainant")
    check_html(alex.page.context, mails)
    show(mails)  # -s prints what the client received
    assert Case.objects.get(pk=case.pk).outcome == "resolved"


# --- OCCS: a mediation between the consumer and a practice ----------------------------


class Business:
    """The practice's representative in their own browser."""

    def __init__(self, context: Any, user: User) -> None:
        self.page = context.new_page()
        self.user = user

    def open(self, mail: OutboundMessage, case: Case) -> str:
        """Follow the link in the e-mail (to the case page, behind the sign-in)."""
        page = self.page
        page.goto(link_in(mail))
        if "/my/login/" in page.url:
            page.get_by_label("Username").fill(self.user.username)
            page.get_by_label("Password").fill(REP_PASSWORD)
            press(page, page.get_by_role("button", name="Sign in"))
        if not page.url.endswith(f"/my/cases/{case.reference}/"):
            press(page, page.get_by_role("link", name=case.reference))
        return read(page, case, "the business's page")


REP_PASSWORD = "a-long-practice-password"


@dataclass
class Mediation:
    """An OCCS case accepted for mediation, the consumer's consent signed and the case
    opened to the practice by the mediator's first message: each party in its own
    browser, and what each has been sent so far."""

    case: Case
    inbox: Inboxes
    handler: User
    staff: Any
    alex: Complainant
    brightview: Business
    business: tuple[str, ...]  # the practice's addresses
    receipt: OutboundMessage
    acknowledgement: OutboundMessage
    consent: OutboundMessage
    opened: OutboundMessage


def occs_case_opened_to_practice(
    new_context: Callable[[], Any], clock: Any, occs: Organisation
) -> Mediation:
    create_consent_forms()  # as the demo seed publishes one
    practice = occs.businesses.get(name="Brightview Opticians (demo)")
    rep = User.objects.create_user(
        "brightview-rep", password=REP_PASSWORD, email="rep@brightview.example", business=practice
    )
    business_addresses = (practice.email, rep.email)
    handler = member("occs", "handler", "mo-occs")
    alex = Complainant(new_context())
    case = alex.complain("occs", respondent="Brightview Opticians (demo)")
    inbox = Inboxes(case)

    [receipt] = inbox.arrived(CONSUMER)
    assert (
        "We will acknowledge your complaint and confirm its details with you by the end of "
        "Wednesday 16 December 2026." in receipt.text
    )
    assert inbox.arrived(*business_addresses) == []  # the practice knows nothing yet

    # The mediator confirms the complaint and accepts it: two letters to the consumer.
    staff = sign_in(new_context(), handler)
    handler_takes(staff, case)
    clock.shift(dt.timedelta(hours=1))
    step(staff, "confirm_complaint")
    step(staff, "accept_for_mediation")
    mails = inbox.arrived(CONSUMER)
    acknowledgement = one(mails, "letter:acknowledgement")
    consent = one(mails, "letter:consent_form")
    assert "Dear Alex Morgan," in acknowledgement.text
    assert inbox.arrived(*business_addresses) == []

    # The consumer signs the consent form the letter asks for, on their page.
    page = alex.open(consent)
    assert "without prejudice" in page  # this procedure mediates
    assert "Brightview Opticians (demo)" in page
    alex.page.check("#id_consent-ticked")
    alex.page.fill("#id_consent-typed_name", "Alex Morgan")
    press(alex.page, alex.page.get_by_role("button", name="Sign the consent form"))
    assert "consent has been signed" in alex.page.inner_text(".messages")

    # The mediator's first message to the practice opens the case to it.
    clock.shift(dt.timedelta(hours=1))
    staff.reload()
    question = "Could you send us the order form for these glasses?"
    write(staff, "#thread-respondent", "Write to the respondent", question, "Send")
    [opened] = inbox.arrived(*business_addresses)
    assert "has opened a complaint about you" in opened.text
    assert question in opened.text
    assert "by the end of Thursday 28 January 2027" in opened.text  # 45 days from acceptance
    assert "/my/link/" not in opened.text  # the business signs in
    assert DESCRIPTION not in everything([opened])
    assert inbox.arrived(CONSUMER) == []  # the consumer is not told of the practice's thread

    # The practice signs in from the e-mail and reads its page: the mediator's words only.
    brightview = Business(new_context(), rep)
    page = brightview.open(opened, case)
    assert question in page
    assert DESCRIPTION not in page
    assert WANTED not in page
    assert_accessible(brightview.page, "the practice's page")
    return Mediation(
        case,
        inbox,
        handler,
        staff,
        alex,
        brightview,
        business_addresses,
        receipt,
        acknowledgement,
        consent,
        opened,
    )


def send_owed_letters(staff: Any, case: Case) -> None:
    """The mediator sends each letter owed from the case page (preview, then send)."""
    staff.goto(f"/staff/cases/{case.reference}/")
    while staff.locator("#letters .panel-owed a", has_text="preview and send").count():
        press(staff, staff.locator("#letters .panel-owed a", has_text="preview and send").first)
        press(staff, staff.get_by_role("button", name="Preview"))
        press(staff, staff.get_by_role("button", name="Send this letter to the"))
        staff.goto(f"/staff/cases/{case.reference}/")


def test_occs_mediation_inboxes(
    new_context: Callable[[], Any], clock: Any, occs: Organisation, tmp_path: Path
) -> None:
    journey = occs_case_opened_to_practice(new_context, clock, occs)
    case, inbox, handler, staff = journey.case, journey.inbox, journey.handler, journey.staff
    alex, brightview, business_addresses = journey.alex, journey.brightview, journey.business
    receipt, acknowledgement = journey.receipt, journey.acknowledgement
    consent, opened = journey.consent, journey.opened
    ref = case.reference
    secret = "Between us, the technician misread the prescription."
    write(brightview.page, "#thread", "Your message", secret, "Send message")
    assert inbox.arrived(*business_addresses) == []  # its own message

    # The consumer writes to the mediator, not to the practice.
    private = "I would settle for a refund, but do not tell them that yet."
    alex.page.reload()
    write(alex.page, "#thread", "Your message", private, "Send message")
    assert inbox.arrived(CONSUMER) == []

    # The mediator passes on the practice's message in their own words.
    staff.reload()
    item = staff.locator("#thread-respondent .message-item", has_text=secret)
    item.locator("summary", has_text="Relay to the complainant").click()
    item.get_by_label("Message as the other party will read it").fill(
        "The practice will check the prescription again."
    )
    press(staff, item.get_by_role("button", name="Relay"))
    [relayed] = inbox.arrived(CONSUMER)
    assert "> The practice will check the prescription again." in relayed.text
    assert "by the end of Thursday 28 January 2027" in relayed.text
    assert secret not in everything([relayed])
    page = alex.open(relayed)
    assert "The practice will check the prescription again." in page
    assert secret not in page
    alerts = inbox.arrived(handler.email)
    assert any("The business wrote in its thread." in m.text for m in alerts)
    assert secret not in everything(alerts)  # staff alerts point to the case, not its words
    assert private not in everything(inbox.arrived(*business_addresses))
    assert private not in brightview.open(opened, case)

    # Records, review, and no agreement: the consumer is told both their options.
    clock.shift(dt.timedelta(days=1))
    staff.reload()
    step(staff, "gather_information")
    step(staff, "begin_review")
    step(
        staff,
        "record_no_agreement",
        {"Reason": "The practice stands by its prescription and will not remake them."},
    )
    mails = inbox.arrived(CONSUMER)
    deadlock = one(mails, "letter:deadlock")
    assert "The practice stands by its prescription" in deadlock.text
    # The consumer's two options (issue 12: the OCCS deadlock letter gives both).
    assert "- Accept the practice's response\n- Ask for a senior mediator" in deadlock.text
    told = inbox.arrived(*business_addresses)
    assert private not in everything(told)
    assert DESCRIPTION not in everything(told)

    # The consumer accepts the practice's response on their page, and confirms it.
    page = alex.open(deadlock)
    assert "Ask for a senior mediator" in page
    press(alex.page, alex.page.get_by_role("button", name="Accept the practice's response"))
    # It ends the complaint: a page asks them to confirm, and nothing is done until they do.
    assert "This ends your complaint" in alex.page.inner_text("main")
    assert Case.objects.get(pk=case.pk).is_open
    press(alex.page, alex.page.get_by_role("button", name="Yes: Accept the practice's response"))
    page = read(alex.page, case, "the consumer's page, closed")
    assert "You accepted the practice's response." in page
    assert not Case.objects.get(pk=case.pk).is_open

    # The closing letter is owed (a party writes no letters): the mediator is told, sends it.
    [owed] = [m for m in inbox.arrived(handler.email) if "letter owed" in m.subject]
    assert f"/staff/cases/{ref}/" in owed.text
    send_owed_letters(staff, case)
    mails = inbox.arrived(CONSUMER)
    closing = one(mails, "letter:final_response")
    assert "between Alex Morgan and Brightview Opticians (demo)" in closing.text
    assert "You accepted the practice's response." in closing.text
    # Each e-mail's link replaces the earlier ones: the latest is the one that opens.
    page = alex.open(mails[-1])
    assert "You accepted the practice's response." in page
    told += inbox.arrived(*business_addresses)
    assert "The consumer accepted your response." in told[-1].text
    # Over the whole case: not one word of what either side wrote and the mediator did
    # not pass on reached the other, in its e-mails or on its page.
    consumer = [receipt, acknowledgement, consent, relayed, deadlock, *mails]
    business_read = everything([opened, *told]) + brightview.open(opened, case)
    consumer_read = everything(consumer) + alex.open(closing)
    assert not words_of(business_read, "headaches", "nobody", "settle")
    assert not words_of(consumer_read, "technician", "misread")
    assert words_of(business_read, "technician")  # each side reads its own words
    assert words_of(consumer_read, "settle")
    check_thread(case, consumer, "complainant")
    check_thread(case, [opened, *told], "respondent")
    check_html(alex.page.context, consumer)
    check_html(brightview.page.context, [opened, *told])
    valid_html([*consumer, opened, *told], tmp_path)  # each template once at least
    show([receipt, acknowledgement, consent, relayed, deadlock, *mails, opened, *told])


def accept_proposal(page: Any, note: str) -> None:
    """A party accepts the open proposal on its page, with a note for the mediator."""
    form = page.locator("#proposals form", has_text="Send my answer")
    form.get_by_label("I accept").check()
    form.get_by_label("Anything you want to add (only the mediator reads this)").fill(note)
    press(page, form.get_by_role("button", name="Send my answer"))


def confirm_agreement(page: Any) -> None:
    page.get_by_label("I have read the agreement and I understand it will be legally").check()
    press(page, page.get_by_role("button", name="Confirm the agreement"))


def confirm_done(page: Any, what: str) -> None:
    press(page, page.get_by_role("button", name=f"Confirm done: {what}"))


REFUND = "Refund £120.50 to the consumer's card."
RETURN = "Return the glasses to the practice."


def test_occs_resolved_by_agreement_inboxes(
    new_context: Callable[[], Any], clock: Any, occs: Organisation, tmp_path: Path
) -> None:
    """The OCCS case again, this time resolved by agreement: the mediator puts a
    proposal, each side accepts it on its own page (neither told how the other
    answered), confirms the agreement drawn up from it, and confirms each obligation
    done; the case closes with the request for feedback."""
    journey = occs_case_opened_to_practice(new_context, clock, occs)
    case, inbox, staff, handler = journey.case, journey.inbox, journey.staff, journey.handler
    alex, brightview, business = journey.alex, journey.brightview, journey.business

    # Each side tells the mediator something the other must not hear.
    secret = "Between us, the technician misread the prescription."
    write(brightview.page, "#thread", "Your message", secret, "Send message")
    private = "I would settle for a refund, but do not tell them that yet."
    alex.page.reload()
    write(alex.page, "#thread", "Your message", private, "Send message")
    assert inbox.arrived(CONSUMER, *business) == []  # their own messages

    # Records and review; then the mediator puts a refund to both sides.
    clock.shift(dt.timedelta(days=1))  # Tuesday 15 December
    staff.reload()
    step(staff, "gather_information")
    step(staff, "begin_review")
    offer = "The practice refunds the glasses in full once they are returned."
    put = staff.locator("#proposal-form")
    put.get_by_label("Whose proposal is it").select_option(label="The handler, as an option")
    put.get_by_label("What it offers").select_option(label="Refund")
    put.get_by_label("The proposal as the parties will read it").fill(offer)
    put.locator("#id_proposal-amount").fill("120.50")
    fill_date(put, "The parties answer by", dt.date(2026, 12, 23))
    press(staff, put.get_by_role("button", name="Put the proposal"))
    consumer = inbox.arrived(CONSUMER)
    told = inbox.arrived(*business)
    for mails in (consumer, told):
        [proposed] = mails
        assert "A proposal has been put to you:" in proposed.text
        assert f"> Refund: £120.50\n\n> {offer}" in proposed.text
        assert (
            "Please answer it on your page by the end of Wednesday 23 December 2026."
            in proposed.text
        )
    assert "/my/link/" in link_in(consumer[-1])
    assert link_in(told[-1]) == f"/my/cases/{case.reference}/"
    assert secret not in everything(consumer)
    assert private not in everything(told)

    # The consumer accepts on their page, with a note for the mediator alone: the
    # practice is not told, and its page reads as it did before.
    before = brightview.open(told[-1], case)
    assert "Waiting for your answer" in before
    page = alex.open(consumer[-1])
    assert "Refund: £120.50" in page
    assert "Answer by the end of Wednesday 23 December 2026" in page
    alex_note = "Fine, though I wanted an apology from the optometrist."
    accept_proposal(alex.page, alex_note)
    page = read(alex.page, case, "the consumer's page, answered")
    assert "You have answered it: the mediator will be in touch." in page
    assert "Answer by" not in page  # answered: no longer asked to
    assert inbox.arrived(CONSUMER, *business) == []
    brightview.page.reload()
    proposal_panel = "#proposals article"
    assert brightview.page.inner_text(proposal_panel) in before
    assert "Waiting for your answer" in brightview.page.inner_text(proposal_panel)

    # The practice accepts too: neither side is sent anything of the other's answer.
    practice_note = "We accept to keep the peace; the frames were fine."
    accept_proposal(brightview.page, practice_note)
    assert "Both sides accepted it" in read(brightview.page, case, "the practice's page")
    assert inbox.arrived(CONSUMER, *business) == []

    # The mediator draws up the agreement: each side is asked to confirm it.
    clock.shift(dt.timedelta(days=1))  # Wednesday 16 December
    staff.reload()
    form = staff.locator("#agreement-form")
    form.get_by_label("Obligation 1: who does it").select_option("respondent")
    form.get_by_label("Obligation 1: what is to be done").fill(REFUND)
    fill_date(form, "Obligation 1: due by", dt.date(2027, 1, 8))
    form.get_by_label("Obligation 2: who does it").select_option("complainant")
    form.get_by_label("Obligation 2: what is to be done").fill(RETURN)
    fill_date(form, "Obligation 2: due by", dt.date(2026, 12, 31))
    press(staff, form.get_by_role("button", name="Draw up the agreement"))
    [ready] = inbox.arrived(CONSUMER)
    [ready_told] = inbox.arrived(*business)
    for mail in (ready, ready_told):
        assert "The agreement is ready. Please read it and confirm it on your page" in mail.text
    consumer.append(ready)
    told.append(ready_told)
    page = alex.open(ready)
    assert RETURN in page
    assert "by the end of Thursday 31 December 2026" in page
    confirm_agreement(alex.page)
    assert "You have confirmed this agreement." in alex.page.inner_text("main")
    assert inbox.arrived(CONSUMER, *business) == []  # the practice is not told
    page = brightview.open(ready_told, case)
    assert REFUND in page
    assert "by the end of Friday 8 January 2027" in page
    confirm_agreement(brightview.page)

    # Binding: each side is told what it must do and what the other will, by when.
    [binding] = inbox.arrived(CONSUMER)
    [binding_told] = inbox.arrived(*business)
    assert "Both sides have confirmed the agreement: it is now binding." in binding.text
    assert f"- You, by the end of Thursday 31 December 2026: {RETURN}" in binding.text
    assert (
        f"- Brightview Opticians (demo), by the end of Friday 8 January 2027: {REFUND}"
        in binding.text
    )
    assert f"- You, by the end of Friday 8 January 2027: {REFUND}" in binding_told.text
    assert f"- Alex Morgan, by the end of Thursday 31 December 2026: {RETURN}" in binding_told.text
    for mail in (binding, binding_told):  # the step that recorded it is not told again
        assert "reached an agreement" not in mail.text
    consumer.append(binding)
    told.append(binding_told)
    assert "Read the agreement document" in alex.open(binding)

    # The agreement's letter, which the system's step left owed: the mediator sends it.
    [owed] = [m for m in inbox.arrived(handler.email) if "letter owed" in m.subject]
    assert (
        "Letters owed: Agreement and timeframe to implement it (to the complainant), "
        "Agreement and timeframe to implement it (to the respondent). Send them" in owed.text
    )
    send_owed_letters(staff, case)
    [letter] = inbox.arrived(CONSUMER)
    [letter_told] = inbox.arrived(*business)
    for mail in (letter, letter_told):
        assert mail.purpose == "letter:agreement"
        assert "has been resolved by agreement" in mail.text
        assert f"- Alex Morgan: {RETURN} (by the end of Thursday 31 December 2026)" in mail.text
        assert "The agreement is legally binding on both parties." in mail.text
    consumer.append(letter)
    told.append(letter_told)

    # Three days before the return is due, the consumer is reminded of it (the sweep);
    # the practice, whose refund is due later, is sent nothing yet.
    clock.move_to(london(2026, 12, 29, 9))
    sweep_once(timezone.now())
    [reminded] = inbox.arrived(CONSUMER)
    assert (
        "A reminder of what you agreed to do by the end of Thursday 31 December 2026:\n\n"
        f"> {RETURN}\n\nOnce it is done, please confirm it on your page." in reminded.text
    )
    assert inbox.arrived(*business) == []
    consumer.append(reminded)
    alex.open(reminded)
    confirm_done(alex.page, RETURN)
    assert inbox.arrived(CONSUMER, *business) == []  # a claim reaches the other side only
    brightview.open(letter_told, case)  # through the mediator
    confirm_done(brightview.page, RETURN)  # the practice has the glasses back
    assert inbox.arrived(CONSUMER, *business) == []
    staff_told = everything(inbox.arrived(handler.email))
    assert "The complainant confirmed an agreed action done." in staff_told
    assert "The business confirmed an agreed action done." in staff_told

    # Then the practice's refund: reminded, done, confirmed by both.
    clock.move_to(london(2027, 1, 5, 9))
    sweep_once(timezone.now())
    [reminded_told] = inbox.arrived(*business)
    assert f"by the end of Friday 8 January 2027:\n\n> {REFUND}" in reminded_told.text
    assert inbox.arrived(CONSUMER) == []
    told.append(reminded_told)
    brightview.open(reminded_told, case)
    confirm_done(brightview.page, REFUND)
    alex.open(reminded)
    confirm_done(alex.page, REFUND)  # the consumer has the money
    page = read(alex.page, case, "the consumer's page, agreement done")
    assert page.count("Done (confirmed by both parties)") == 2
    assert inbox.arrived(CONSUMER, *business) == []

    # The mediator closes the case; each side is told, and asked for feedback.
    staff.goto(f"/staff/cases/{case.reference}/")
    step(staff, "confirm_implementation")
    send_owed_letters(staff, case)
    sweep_once(timezone.now())  # the invitations to give feedback
    mails = inbox.arrived(CONSUMER)
    closing = one(mails, "letter:feedback_request")
    assert (
        f"Your complaint ({case.reference}) is now closed. Your complaint was resolved by "
        "agreement." in closing.text
    )
    # It asks for feedback on their page, and is the consumer's one e-mail of the
    # closing: no notice follows it saying the same again.
    assert "on your page, you can rate our service" in closing.text
    assert mails == [closing]
    consumer += mails
    [closed] = inbox.arrived(*business)
    assert "The agreement was carried out and the complaint is closed." in closed.text
    assert closed.text.count("closed") == 1  # said once
    assert "rate our service from 1 (poor) to 5 (excellent)" in closed.text
    told.append(closed)
    assert "Your complaint was resolved by agreement." in alex.open(closing)
    assert "Tell us how we did" in alex.page.inner_text("main")
    assert not Case.objects.get(pk=case.pk).is_open

    # Over the whole case: not one word of what either side wrote and the mediator did
    # not pass on — their messages, their notes on their answers — reached the other,
    # in its e-mails or on its page; and neither was told how the other answered.
    consumer = [journey.receipt, journey.acknowledgement, journey.consent, *consumer]
    told = [journey.opened, *told]
    business_read = everything(told) + brightview.open(closed, case)
    consumer_read = everything(consumer) + alex.open(closing)
    assert not words_of(business_read, "headaches", "nobody", "settle", "optometrist")
    assert not words_of(consumer_read, "technician", "misread", "peace", "frames")
    assert words_of(business_read, "technician")  # each side reads its own words
    assert words_of(consumer_read, "settle")
    check_thread(case, consumer, "complainant")
    check_thread(case, told, "respondent")
    check_html(alex.page.context, consumer)
    check_html(brightview.page.context, told)
    valid_html([*consumer, *told], tmp_path)
    show([*consumer, *told])


# --- Lettings: in-house, two stages, then the redress scheme --------------------------


def test_lettings_inboxes(new_context: Callable[[], Any], clock: Any, ocasa: Organisation) -> None:
    handler = member("ocasa", "handler", "cara-ocasa")
    head = member("ocasa", "senior_handler", "hugo-ocasa")
    alex = Complainant(new_context())
    case = alex.complain("ocasa")
    ref = case.reference
    inbox = Inboxes(case)

    [receipt] = inbox.arrived(CONSUMER)
    assert "by the end of Wednesday 16 December 2026" in receipt.text
    staff = sign_in(new_context(), handler)
    handler_takes(staff, case)
    clock.shift(dt.timedelta(hours=2))
    step(staff, "acknowledge")
    [acknowledgement] = inbox.arrived(CONSUMER)
    assert acknowledgement.purpose == "letter:acknowledgement"
    assert "Dear Alex Morgan," in acknowledgement.text
    assert "Jordan Lee (demo)\nHead of Operations" in acknowledgement.text
    assert "without prejudice" not in alex.open(acknowledgement)  # in-house

    clock.shift(dt.timedelta(days=1))  # Tuesday 15 December
    staff.reload()
    step(
        staff,
        "send_stage1_response",
        {
            "Our decision": "We uphold your complaint in part.",
            "What we found": "The repair was booked late.",
            "What we will do to put things right": "We will pay you £50.",
        },
    )
    [stage1] = inbox.arrived(CONSUMER)
    assert stage1.purpose == "letter:stage1_response"
    for words in ("We uphold your complaint in part.", "The repair was booked late.", "£50"):
        assert words in stage1.text
    assert "Property Redress Scheme" not in everything([receipt, acknowledgement, stage1])

    # The tenant asks for stage 2 on their page.
    page = alex.open(stage1)
    # The redress scheme is open to them after 8 weeks, whatever stage the case is at.
    assert "From the end of Monday 8 February 2027." in page
    press(
        alex.page,
        alex.page.get_by_role(
            "button", name="Ask for a review by the Head of Operations or Head of Lettings"
        ),
    )
    assert inbox.arrived(CONSUMER) == []  # their own step

    # The Head of Operations takes it up and acknowledges stage 2.
    boss = sign_in(new_context(), head)
    boss.goto(f"/staff/cases/{ref}/")
    assigned = boss.locator("#assignment")
    assigned.get_by_label("Handler").select_option(head.username)
    press(boss, assigned.get_by_role("button", name="Save the assignment"))
    step(boss, "acknowledge_stage2")
    [escalated] = inbox.arrived(CONSUMER)
    assert escalated.purpose == "letter:escalation_acknowledgement"
    assert "by the end of Tuesday 22 December 2026" in escalated.text
    page = alex.open(escalated)
    assert "by the end of Tuesday 22 December 2026" in page

    # A holding response: its reasons and the anticipated date, in words.
    clock.shift(dt.timedelta(days=2))  # Thursday 17 December
    boss.reload()
    holding = reveal_step(boss, "send_holding_response")
    fill_date(holding, "The anticipated date of the stage 2 conclusion", dt.date(2027, 1, 6))
    step(boss, "send_holding_response", {"Reason": "We are waiting for the damp survey."})
    [held] = inbox.arrived(CONSUMER)
    assert held.purpose == "letter:holding_response"
    assert "We are waiting for the damp survey." in held.text
    assert "Wednesday 6 January 2027" in held.text
    page = alex.open(held)
    assert "Wednesday 6 January 2027" in page

    # The conclusion, with the final response, and only now the redress scheme's letter.
    clock.shift(dt.timedelta(days=12))  # Tuesday 29 December, after the bank holidays
    boss.reload()
    form = reveal_step(boss, "conclude_stage2")
    form.get_by_label("Outcome").select_option(label="Partly upheld at stage 2")
    step(
        boss,
        "conclude_stage2",
        {
            "What we found": "The damp was caused by a leaking gutter.",
            "What we will do to put things right": "We have repaired the gutter.",
            "Reasons (they go into the letter)": "We have done what we can in-house.",
        },
    )
    mails = inbox.arrived(CONSUMER)
    final = one(mails, "letter:final_response")
    signposting = one(mails, "letter:signposting")
    assert "What we found: The damp was caused by a leaking gutter." in final.text
    assert "We upheld part of your complaint." in final.text
    for letter in (final, signposting):  # the scheme's real time limit, in words
        assert (
            "You must contact The Property Redress Scheme by the end of Wednesday "
            "29 December 2027." in letter.text
        )
    page = alex.open(mails[-1])
    assert "Take the complaint to The Property Redress Scheme" in page
    assert "You can do this now; use it by the end of Wednesday 29 December 2027" in page
    assert "We upheld part of your complaint." in page  # how it ended, in words
    assert_accessible(alex.page, "tenant's page, closed at stage 2")
    screenshot(alex.page, "inbox-lettings-closed")
    letters = [receipt, acknowledgement, stage1, escalated, held, *mails]
    check_thread(case, letters, "complainant")
    check_html(alex.page.context, letters)
    show(letters)
