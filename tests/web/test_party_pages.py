"""The parties' pages: the complainant's signed link, a new link on request, the
business's sign-in, each side's own case page and the actions on it."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template import Context, Template
from django.test import Client

from accord.accounts.models import User
from accord.cases.complainant_links import link_path
from accord.cases.models import Case, Event
from accord.mediation import proposals
from accord.mediation.models import Document, Message, Proposal, ProposalSubmission
from accord.outbox.models import OutboundMessage
from tests.test_proposals import PUT, call, make_world, put, refund

pytestmark = pytest.mark.django_db

NOW = PUT


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def world(occs: Any, staff: Any) -> dict[str, Any]:
    made = make_world(occs, staff)
    made["case"] = Case.objects.get(pk=made["case_id"])
    return made


def key() -> str:
    html = Template("{% load submission %}{% submission_key %}").render(Context())
    return html.split('value="')[1].split('"')[0]


def at(when: dt.datetime, call: Any, *args: Any, **kwargs: Any) -> Any:
    with time_machine.travel(when, tick=False):
        return call(*args, **kwargs)


def complainant_client(case: Case, when: dt.datetime = NOW) -> Client:
    """A browser that opened the complainant's link and pressed "Open my complaint"."""
    client = Client()
    path = link_path(case)
    asked = at(when, client.get, path)
    assert asked.status_code == 200, asked.content
    assert "Open my complaint" in asked.content.decode()
    opened = at(when, client.post, path)
    assert opened.status_code == 303, opened.content
    assert opened["Location"] == f"/my/cases/{case.reference}/"
    return client


def business_client(world: dict[str, Any]) -> Client:
    client = Client()
    client.force_login(User.objects.get(username="rep"))
    return client


def test_the_link_signs_the_complainant_in_to_their_own_case(world) -> None:
    client = complainant_client(world["case"])
    page = at(NOW, client.get, f"/my/cases/{world['reference']}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert world["reference"] in html
    # Where it stands, in the complainant's words, never the staff's stage label.
    assert "We are reviewing the information and talking to you and the practice" in html
    assert "Review of information and dialogue" not in html
    assert html.index("What you told us") < html.index("What happens next")


def test_a_complainant_without_an_account_gets_a_passwordless_one(occs) -> None:
    from tests.conftest import ApiClient, complaint_body

    practice = occs.businesses.order_by("pk").first()
    made = ApiClient().post(
        "/organisations/occs/complaints", complaint_body(respondent_id=practice.pk)
    )
    case = Case.objects.get(reference=made.json()["reference"])
    client = Client()
    assert client.post(link_path(case)).status_code == 303
    case.complainant.refresh_from_db()
    assert case.complainant.user is not None
    assert not case.complainant.user.has_usable_password()
    assert client.get(f"/my/cases/{case.reference}/").status_code == 200


def test_a_tampered_link_is_refused(world) -> None:
    path = link_path(world["case"])
    response = Client().get(path[:-3] + "xx/")
    assert response.status_code == 400
    assert "/my/link/" in response.content.decode()


LINK = re.compile(r"https?://[^\s\"<>]+(/my/link/[^/\s\"<>]+/)")


def e_mailed_links(case: Case) -> list[str]:
    """The paths of the complainant's links in the e-mails sent to them, oldest first."""
    return [
        path
        for mail in OutboundMessage.objects.filter(case=case).order_by("pk")
        if case.complainant.email in mail.to
        for path in LINK.findall(mail.text)
    ]


def write_to_the_complainant(world: dict[str, Any], when: dt.datetime) -> None:
    """The handler writes in the complainant's thread, and the notice of it goes out."""
    from accord.notifications.tasks import fold_notices

    path = f"/cases/{world['reference']}/threads/complainant/messages"
    written = call(world["handler"], when, "post", path, {"body": "Could you send the receipt?"})
    assert written.status_code == 201, written.content
    with time_machine.travel(when, tick=False):
        fold_notices.call(world["case_id"])


def opens_the_case(path: str, reference: str, when: dt.datetime) -> bool:
    client = Client()
    if at(when, client.get, path).status_code != 200:
        return False
    opened = at(when, client.post, path)
    if opened.status_code != 303 or opened["Location"] != f"/my/cases/{reference}/":
        return False
    return at(when, client.get, opened["Location"]).status_code == 200


def test_an_e_mails_link_still_opens_the_case_after_later_e_mails(world) -> None:
    """The acknowledgement and the consent form go out together, a notice days later:
    the link in the first e-mail still works, as do the others."""
    case = world["case"]
    first = e_mailed_links(case)
    assert len(first) == 2  # the acknowledgement letter, then the consent form
    later = NOW + dt.timedelta(days=3)
    write_to_the_complainant(world, later)
    links = e_mailed_links(case)
    assert len(links) == 3
    for path in links:
        assert opens_the_case(path, world["reference"], later), path


def test_asking_for_a_new_link_refuses_the_older_e_mails_links(world) -> None:
    """A complainant who fears an old e-mail was seen asks for a new link: every link
    sent before stops working, with a message saying why; the new one works, and so do
    the links of the e-mails sent after it."""
    case = world["case"]
    write_to_the_complainant(world, NOW)
    older = e_mailed_links(case)
    assert len(older) == 3
    asked = at(
        NOW,
        Client().post,
        "/my/link/",
        {"email": "alex@example.com", "reference": world["reference"]},
    )
    assert asked.status_code == 200
    new_link = OutboundMessage.objects.get(purpose="complainant_link")
    assert "earlier e-mails no longer work" in new_link.text
    [new] = LINK.findall(new_link.text)
    for path in older:
        for method in (Client().get, Client().post):
            refused = at(NOW, method, path)
            assert refused.status_code == 410, path
            html = refused.content.decode()
            assert "This link no longer works" in html
            assert "replaced when a new link was asked for" in html
            assert 'href="/my/link/"' in html
    assert opens_the_case(new, world["reference"], NOW)
    write_to_the_complainant(world, NOW + dt.timedelta(hours=1))
    after = e_mailed_links(case)[-1]
    assert after not in older
    assert opens_the_case(after, world["reference"], NOW + dt.timedelta(hours=1))
    assert not opens_the_case(older[0], world["reference"], NOW + dt.timedelta(hours=1))


def test_an_e_mail_still_waiting_to_be_sent_gets_the_new_generations_link(world) -> None:
    """A notice queued a moment before the complainant asked for a new link goes out
    after it: it carries a link that works, while an e-mail already sent keeps its old,
    refused one."""
    case = world["case"]
    sent = OutboundMessage.objects.filter(case=case).order_by("pk")[0]
    [sent_link] = LINK.findall(sent.text)
    sent.status = "sent"
    sent.save(update_fields=["status"])
    write_to_the_complainant(world, NOW)  # its notice waits in the outbox
    [*_, waiting] = [
        mail
        for mail in OutboundMessage.objects.filter(case=case, status="queued").order_by("pk")
        if "alex@example.com" in mail.to
    ]
    [old_link] = LINK.findall(waiting.text)
    asked = at(
        NOW,
        Client().post,
        "/my/link/",
        {"email": "alex@example.com", "reference": world["reference"]},
    )
    assert asked.status_code == 200
    waiting.refresh_from_db()
    [relinked] = LINK.findall(waiting.text)
    assert relinked != old_link
    assert relinked in waiting.html
    assert old_link not in waiting.html
    assert opens_the_case(relinked, world["reference"], NOW)
    assert not opens_the_case(old_link, world["reference"], NOW)
    sent.refresh_from_db()
    assert LINK.findall(sent.text) == [sent_link]
    assert not opens_the_case(sent_link, world["reference"], NOW)


def test_a_session_opened_with_a_replaced_link_is_signed_out(world) -> None:
    """Asking for a new link also ends the sessions the older links opened (on the pages
    and in the API): whoever saw an old e-mail is out as well."""
    case = world["case"]
    [old, _] = e_mailed_links(case)
    browser = Client()
    assert at(NOW, browser.post, old).status_code == 303
    page = f"/my/cases/{world['reference']}/"
    assert at(NOW, browser.get, page).status_code == 200
    assert at(NOW, browser.get, f"/api/cases/{world['reference']}").status_code == 200
    asked = at(
        NOW,
        Client().post,
        "/my/link/",
        {"email": "alex@example.com", "reference": world["reference"]},
    )
    assert asked.status_code == 200
    assert at(NOW, browser.get, f"/api/cases/{world['reference']}").status_code == 401
    signed_out = at(NOW, browser.get, page)
    assert signed_out.status_code == 410
    assert "you have been signed out" in signed_out.content.decode()
    assert at(NOW, browser.get, page).status_code == 302  # to sign in: the session is gone
    [new] = LINK.findall(OutboundMessage.objects.get(purpose="complainant_link").text)
    assert opens_the_case(new, world["reference"], NOW)


def test_each_e_mails_link_expires_on_its_own(world) -> None:
    """A link works for ACCORD_COMPLAINANT_LINK_DAYS (14) from its own e-mail: the
    acknowledgement's has expired 15 days on, a notice's sent since has not."""
    case = world["case"]
    [acknowledgement, _] = e_mailed_links(case)
    write_to_the_complainant(world, NOW + dt.timedelta(days=10))
    notice = e_mailed_links(case)[-1]
    expired = at(NOW + dt.timedelta(days=15), Client().get, acknowledgement)
    assert expired.status_code == 410
    assert "This link has expired." in expired.content.decode()
    assert opens_the_case(notice, world["reference"], NOW + dt.timedelta(days=15))
    assert not opens_the_case(notice, world["reference"], NOW + dt.timedelta(days=25))


def test_a_link_never_opens_a_business_or_staff_account(world) -> None:
    case = world["case"]
    case.complainant.user = User.objects.get(username="rep")
    case.complainant.save()
    assert Client().get(link_path(case)).status_code == 400


def test_another_partys_case_is_not_found(world) -> None:
    stranger = Client()
    stranger.force_login(User.objects.get(username="other-rep"))
    assert stranger.get(f"/my/cases/{world['reference']}/").status_code == 404
    assert stranger.get("/my/cases/OCC-2026-999999/").status_code == 404


def test_the_new_link_answer_never_says_whether_a_case_exists(world) -> None:
    asked = Client().post(
        "/my/link/", {"email": "alex@example.com", "reference": world["reference"]}
    )
    wrong = Client().post("/my/link/", {"email": "nobody@example.com", "reference": "OCC-2026-1"})
    assert asked.status_code == wrong.status_code == 200
    strip = re.compile(rb"[A-Za-z0-9]{64}")  # the CSRF tokens
    assert strip.sub(b"", asked.content) == strip.sub(b"", wrong.content)
    sent = OutboundMessage.objects.filter(purpose="complainant_link")
    assert [m.to for m in sent] == [["alex@example.com"]]


def test_new_link_requests_are_throttled(world, settings) -> None:
    settings.ACCORD_LINK_REQUEST_RATE = "2/h"
    client = Client()
    for _ in range(2):
        assert (
            client.post("/my/link/", {"email": "a@example.com", "reference": "X"}).status_code
            == 200
        )
    assert client.post("/my/link/", {"email": "a@example.com", "reference": "X"}).status_code == 429


def test_the_business_signs_in_and_sees_the_cases_against_it(world) -> None:
    rep = User.objects.get(username="rep")
    rep.set_password("a-long-demo-password")
    rep.save()
    client = Client()
    signed_in = client.post("/my/login/", {"username": "rep", "password": "a-long-demo-password"})
    assert signed_in.status_code == 302
    assert signed_in["Location"] == "/my/cases/"
    listing = at(NOW, client.get, "/my/cases/")
    assert world["reference"] in listing.content.decode()
    page = at(NOW, client.get, f"/my/cases/{world['reference']}/")
    assert page.status_code == 200
    assert "My glasses were made" not in page.content.decode()  # the complainant's words


def test_staff_cannot_sign_in_on_the_business_page(world) -> None:
    handler = world["handler_user"]
    handler.set_password("a-long-demo-password")
    handler.save()
    refused = Client().post(
        "/my/login/", {"username": handler.username, "password": "a-long-demo-password"}
    )
    assert refused.status_code == 200
    assert "Staff sign in on the staff pages" in refused.content.decode()


def test_a_message_is_sent_once_into_the_partys_own_thread(world) -> None:
    client = business_client(world)
    body = {"submission_key": key(), "message-body": "We can remake the glasses."}
    path = f"/my/cases/{world['reference']}/message/"
    first = at(NOW, client.post, path, body)
    again = at(NOW, client.post, path, body)
    assert first.status_code == again.status_code == 303
    assert list(Message.objects.values_list("thread__party", "body")) == [
        ("respondent", "We can remake the glasses.")
    ]
    complainant = complainant_client(world["case"])
    page = at(NOW, complainant.get, f"/my/cases/{world['reference']}/")
    assert "We can remake the glasses." not in page.content.decode()


def test_an_empty_message_is_an_error_on_the_form(world) -> None:
    client = business_client(world)
    path = f"/my/cases/{world['reference']}/message/"
    response = at(NOW, client.post, path, {"submission_key": key(), "message-body": "  "})
    assert response.status_code == 200
    assert 'href="#id_message-body"' in response.content.decode()


def upload(client: Client, world: dict[str, Any], name: str, content: bytes, kind: str) -> Any:
    path = f"/my/cases/{world['reference']}/upload/"
    file = SimpleUploadedFile(name, content, content_type=kind)
    return at(NOW, client.post, path, {"submission_key": key(), "upload-file": file})


def test_the_business_uploads_records(world) -> None:
    response = upload(
        business_client(world), world, "records.txt", b"Prescription: -1.25", "text/plain"
    )
    assert response.status_code == 303
    assert Document.objects.get().thread.party == "respondent"


def test_a_disguised_upload_is_refused_on_the_form(world) -> None:
    response = upload(
        business_client(world),
        world,
        "records.pdf",
        b"MZ\x90\x00" + b"\x00" * 64,
        "application/pdf",
    )
    assert response.status_code == 422
    assert 'href="#id_upload-file"' in response.content.decode()
    assert Document.objects.count() == 0


def test_an_oversized_upload_is_refused_on_the_form(world, settings) -> None:
    settings.ACCORD_MAX_UPLOAD_BYTES = 1024
    response = upload(business_client(world), world, "big.txt", b"a" * 5000, "text/plain")
    assert response.status_code == 413
    assert "limit" in response.content.decode()
    assert Document.objects.count() == 0


def test_both_parties_answer_a_proposal_on_their_pages(world) -> None:
    made = put(world, refund())
    assert made.status_code == 201, made.content
    proposal = made.json()["id"]
    for client in (complainant_client(world["case"]), business_client(world)):
        page = at(NOW, client.get, f"/my/cases/{world['reference']}/")
        assert f"/proposals/{proposal}/answer/" in page.content.decode()
        path = f"/my/cases/{world['reference']}/proposals/{proposal}/answer/"
        field = f"answer-{proposal}-answer"
        html = page.content.decode()
        assert "Refund: £120.50" in html  # the amount as people write it
        assert "GBP" not in html
        assert "Answer by the end of Wednesday 9 December 2026" in html
        answered = at(NOW, client.post, path, {"submission_key": key(), field: "accept"})
        assert answered.status_code == 303, answered.content
        # Answered: no longer asked to answer by a date (issue 12, read in the journey).
        html = at(NOW, client.get, f"/my/cases/{world['reference']}/").content.decode()
        assert "Answer by" not in html
    assert Proposal.objects.get(pk=proposal).status == "accepted"


def test_the_agreement_names_the_other_side_as_its_e_mails_do(world) -> None:
    """Who does what: "You" for one's own part, the other side by name (issue 12: the
    table said "The business" and "The complainant" where the e-mails name them)."""
    from tests.test_agreements import CONFIRMED, binding_agreement

    binding_agreement(world)
    consumer = at(CONFIRMED, complainant_client(world["case"], CONFIRMED).get, page_of(world))
    practice = at(CONFIRMED, business_client(world).get, page_of(world))
    consumer_html, practice_html = consumer.content.decode(), practice.content.decode()
    assert f"<td>{world['case'].respondent.name}</td>" in consumer_html
    assert "<td>Alex Morgan</td>" in practice_html  # consent is on file
    for html in (consumer_html, practice_html):
        assert "<td>You</td>" in html
        assert "The business" not in html


def page_of(world: dict[str, Any]) -> str:
    return f"/my/cases/{world['reference']}/"


def test_answering_without_choosing_is_an_error(world) -> None:
    proposal = put(world, refund()).json()["id"]
    client = business_client(world)
    path = f"/my/cases/{world['reference']}/proposals/{proposal}/answer/"
    response = at(NOW, client.post, path, {"submission_key": key()})
    assert response.status_code == 200
    assert "There is a problem" in response.content.decode()


def test_an_oversized_upload_refused_before_the_view_runs_explains_itself(world, settings) -> None:
    """In a browser the CSRF check reads the form first, so the size limit is met before
    any view runs: the site's 400 handler says what happened (413) and links back."""
    settings.ACCORD_MAX_UPLOAD_BYTES = 1024
    client = Client(enforce_csrf_checks=True)
    client.force_login(User.objects.get(username="rep"))
    path = f"/my/cases/{world['reference']}/upload/"
    page = f"http://testserver/my/cases/{world['reference']}/"
    assert at(NOW, client.get, page).status_code == 200
    token = client.cookies["csrftoken"].value
    form = {
        "csrfmiddlewaretoken": token,
        "submission_key": key(),
        "upload-file": SimpleUploadedFile("big.txt", b"a" * 5000),
    }
    response = at(NOW, client.post, path, form, HTTP_REFERER=page)
    assert response.status_code == 413
    html = response.content.decode()
    assert "<h1>Not sent</h1>" in html
    assert "limit" in html
    assert f'href="{page}"' in html
    assert Document.objects.count() == 0


def test_a_refusal_for_something_no_longer_offered_is_shown_at_the_top(world) -> None:
    """Sent from a page opened before the proposal was answered (another tab): the form
    is no longer on the page, so the reason goes above the heading, not nowhere."""
    proposal = put(world, refund()).json()["id"]
    client = business_client(world)
    path = f"/my/cases/{world['reference']}/proposals/{proposal}/answer/"
    field = f"answer-{proposal}-answer"
    assert at(NOW, client.post, path, {"submission_key": key(), field: "accept"}).status_code == 303
    again = at(NOW, client.post, path, {"submission_key": key(), field: "reject"})
    assert again.status_code == 409
    html = again.content.decode()
    assert "There is a problem" in html
    assert html.index("There is a problem") < html.index("<h1>")


def test_a_step_not_offered_says_why_on_the_page(world) -> None:
    client = complainant_client(world["case"])
    path = f"/my/cases/{world['reference']}/steps/no-such-step/"
    response = at(NOW, client.post, path, {"submission_key": key()})
    assert response.status_code == 422
    assert "is not a step of this procedure" in response.content.decode()


def test_the_business_counters_a_proposal_with_its_own(world) -> None:
    proposal = put(world, refund()).json()["id"]
    client = business_client(world)
    path = f"/my/cases/{world['reference']}/proposals/{proposal}/answer/"
    prefix = f"answer-{proposal}-"
    form = {
        "submission_key": key(),
        prefix + "answer": "counter",
        prefix + "kind": "replacement",
        prefix + "description": "A remake of the glasses instead of a refund.",
        prefix + "answer_by": (NOW + dt.timedelta(days=14)).date().isoformat(),
    }
    answered = at(NOW, client.post, path, form)
    assert answered.status_code == 303, answered.content
    held = ProposalSubmission.objects.get(counter_to_id=proposal)
    assert (held.kind, held.status) == ("replacement", "held")
    assert Proposal.objects.get(pk=proposal).status == "countered"
    # The counter went to the mediator only: the complainant's page shows nothing of it.
    mine = at(NOW, client.get, f"/my/cases/{world['reference']}/").content.decode()
    assert "A remake of the glasses" in mine
    assert "has gone to the mediator" in mine
    page = at(NOW, complainant_client(world["case"]).get, f"/my/cases/{world['reference']}/")
    assert "A remake of the glasses" not in page.content.decode()
    # The mediator puts it, in their own words; now the complainant is asked about it.
    counter = proposals.put_submission(
        world["case"].pk,
        world["handler_user"],
        held.pk,
        terms=proposals.ProposalTerms(
            kind="replacement",
            description="The practice offers to remake the glasses.",
            answer_by=held.answer_by,
        ),
        now=NOW,
    )
    assert counter.edited
    page = at(NOW, complainant_client(world["case"]).get, f"/my/cases/{world['reference']}/")
    html = page.content.decode()
    assert f"/proposals/{counter.pk}/answer/" in html
    assert "The practice offers to remake the glasses." in html
    assert "A remake of the glasses" not in html


def test_a_counter_without_its_terms_is_an_error_on_the_form(world) -> None:
    proposal = put(world, refund()).json()["id"]
    client = business_client(world)
    path = f"/my/cases/{world['reference']}/proposals/{proposal}/answer/"
    prefix = f"answer-{proposal}-"
    response = at(NOW, client.post, path, {"submission_key": key(), prefix + "answer": "counter"})
    html = response.content.decode()
    assert response.status_code == 200
    assert f'href="#id_{prefix}description"' in html
    assert not Proposal.objects.filter(counter_to_id=proposal).exists()


def test_a_refund_counter_without_an_amount_is_refused_by_the_domain_on_the_form(world) -> None:
    proposal = put(world, refund()).json()["id"]
    client = business_client(world)
    path = f"/my/cases/{world['reference']}/proposals/{proposal}/answer/"
    prefix = f"answer-{proposal}-"
    form = {
        "submission_key": key(),
        prefix + "answer": "counter",
        prefix + "kind": "refund",
        prefix + "description": "Half the cost back.",
        prefix + "answer_by": (NOW + dt.timedelta(days=14)).date().isoformat(),
    }
    response = at(NOW, client.post, path, form)
    assert response.status_code in {409, 422}
    assert "There is a problem" in response.content.decode()
    assert not Proposal.objects.filter(counter_to_id=proposal).exists()


def _signed(world: dict[str, Any]) -> Any:
    from accord.mediation import consent

    case = world["case"]
    complainant = case.complainant
    client = complainant_client(case)  # makes the complainant's own user
    complainant.refresh_from_db()
    form = consent.publish_form(
        case.organisation,
        title="Consent to share information",
        text="I consent to the practice sharing my records with the mediator.",
        effective_from=NOW.date() - dt.timedelta(days=30),
    )
    at(
        NOW,
        consent.sign,
        case.pk,
        complainant.user,
        form_version=form.version,
        typed_name="Jo Bloggs",
        ticked=True,
        ip_address=None,
        now=NOW,
    )
    return client


def test_the_complainant_withdraws_consent_on_their_page(world) -> None:
    from accord.mediation.models import Consent

    client = _signed(world)
    page = at(NOW, client.get, f"/my/cases/{world['reference']}/")
    assert "Withdraw your consent" in page.content.decode()
    path = f"/my/cases/{world['reference']}/consent/withdraw/"
    done = at(
        NOW, client.post, path, {"submission_key": key(), "withdraw-reason": "Changed my mind."}
    )
    assert done.status_code == 303, done.content
    assert Consent.objects.get(case=world["case"]).withdrawn_at is not None
    assert Event.objects.filter(case=world["case"], kind="consent_withdrawn").count() == 1
    again = at(NOW, client.post, path, {"submission_key": key(), "withdraw-reason": ""})
    assert again.status_code in {409, 422}
    assert "There is a problem" in again.content.decode()
    assert Event.objects.filter(case=world["case"], kind="consent_withdrawn").count() == 1


def test_the_business_cannot_withdraw_the_complainants_consent(world) -> None:
    from accord.mediation.models import Consent

    _signed(world)
    path = f"/my/cases/{world['reference']}/consent/withdraw/"
    refused = at(NOW, business_client(world).post, path, {"submission_key": key()})
    assert refused.status_code in {403, 404, 409}
    assert Consent.objects.get(case=world["case"]).withdrawn_at is None


def test_following_a_link_signs_nobody_in_until_they_confirm(world) -> None:
    """A link someone else sends you (or a mail scanner following it) signs no browser
    into that complainant's account: only the button, a POST with the CSRF check, does."""
    client = Client(enforce_csrf_checks=True)
    path = link_path(world["case"])
    asked = at(NOW, client.get, path)
    assert asked.status_code == 200
    page = at(NOW, client.get, f"/my/cases/{world['reference']}/")
    assert page.status_code in {302, 403}
    forged = at(NOW, Client(enforce_csrf_checks=True).post, path)
    assert forged.status_code == 403  # no CSRF token: refused
    token = client.cookies["csrftoken"].value
    opened = at(NOW, client.post, path, {"csrfmiddlewaretoken": token})
    assert opened.status_code == 303
    assert at(NOW, client.get, f"/my/cases/{world['reference']}/").status_code == 200
    # Signed in as that complainant, the link goes straight to the case.
    again = at(NOW, client.get, path)
    assert again.status_code == 303


def test_the_complaint_window_is_not_shown_as_somewhere_else_to_go(optimised) -> None:
    """The time an organisation asks complaints to be raised within is for staff to
    weigh, not one of the complainant's options: their page never lists it under
    "Where else you can go" (with a "Not yet." it could never lose)."""
    from tests.conftest import ApiClient, complaint_body, london

    with time_machine.travel(london(2026, 3, 2, 9), tick=False):
        made = ApiClient().post(
            "/organisations/optimised/complaints", complaint_body(issue_arose_on="2026-02-27")
        )
        assert made.status_code == 201, made.content
        case = Case.objects.get(reference=made.json()["reference"])
        assert case.issue_arose_on == dt.date(2026, 2, 27)
        client = Client()
        client.post(link_path(case))
        html = client.get(f"/my/cases/{case.reference}/").content.decode()
    assert "Raise the complaint within" not in html
    assert "Where else you can go" not in html  # no right of this client is open to them


def test_how_a_rights_dates_are_worked_out_is_one_click_away(ocasa) -> None:
    """The tenant's page says when they may go to the redress scheme; the working-out
    (in the procedure's own step names) is behind "How these dates are worked out", as
    a clock's is, not in what they read first."""
    from tests.conftest import ApiClient, complaint_body, london

    with time_machine.travel(london(2026, 12, 14, 9), tick=False):
        made = ApiClient().post("/organisations/ocasa/complaints", complaint_body())
        case = Case.objects.get(reference=made.json()["reference"])
        client = Client()
        client.post(link_path(case))
        html = client.get(f"/my/cases/{case.reference}/").content.decode()
    rights = html.split('id="rights"', 1)[1].split("</section>", 1)[0]
    assert "From the end of Monday 8 February 2027" in rights
    shown, worked_out = rights.split("<details><summary>How these dates are worked out</summary>")
    assert "Available at once on" not in shown
    assert "Available at once on" in worked_out.split("</details>", 1)[0]


def test_the_consent_form_is_offered_where_recording_consent_needs_it_signed(occs, staff) -> None:
    """From OCCS v3 the step that records consent needs the signed form on file
    (`consent_form_signed`). The complainant's page offers the form to sign all the
    same: signing it is what meets that guard, and the case moves on at once."""
    from accord.mediation.demo import create_consent_forms
    from tests.conftest import ApiClient, complaint_body, london, take

    create_consent_forms()
    practice = occs.businesses.filter(is_self=False).order_by("pk").first()
    when = london(2026, 12, 14, 9)
    with time_machine.travel(when, tick=False):
        made = ApiClient().post(
            "/organisations/occs/complaints", complaint_body(respondent_id=practice.pk)
        )
    case = Case.objects.get(reference=made.json()["reference"])
    assert case.procedure_version >= 3
    handler = staff("occs", "handler")
    take(ApiClient(handler), case.reference, when, "confirm_complaint", "accept_for_mediation")
    client = complainant_client(case, when)
    html = at(when, client.get, f"/my/cases/{case.reference}/").content.decode()
    assert 'name="consent-typed_name"' in html
    signed = at(
        when,
        client.post,
        f"/my/cases/{case.reference}/consent/",
        {
            "submission_key": key(),
            "consent-form_version": "1",
            "consent-ticked": "on",
            "consent-typed_name": "Alex Morgan",
        },
    )
    assert signed.status_code == 303, signed.content.decode()[:3000]
    case.refresh_from_db()
    assert case.stage == "early_resolution"
