"""The leaks issue 11 lists, one test each, through the JSON API and the party pages as
each side would call them; and the letter leak the case-policy property found (a letter
to the business on a case not open to it, or naming an outcome it is not told, or quoting
the complainant's own words). The inbound e-mail bullets are in tests/test_inbound_forged.py
and tests/test_inbound.py (mail has no page)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.test import Client

from accord.accounts.models import User
from accord.cases.models import Case
from accord.letters.models import Letter
from accord.mediation.consent import publish_form
from accord.mediation.feedback import invite_closed_cases
from accord.notifications.tasks import fold_notices
from accord.organisations.models import Organisation
from accord.outbox.models import OutboundMessage
from tests.conftest import ApiClient, complaint_body, london, make_staff

pytestmark = pytest.mark.django_db

AT = london(2026, 12, 8, 10)  # OCCS v3: acceptance opens the case to the practice
DESCRIPTION = "The lenses were scratched when I collected them, and staff laughed."
DESIRED = "A remake and an apology from the manager."


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _clock() -> Any:
    with time_machine.travel(AT, tick=False):
        yield


class Side:
    """One person: the API with their token, the pages signed in."""

    def __init__(self, user: User, reference: str) -> None:
        self.user = user
        self.api = ApiClient(user)
        self.pages = Client()
        self.pages.force_login(user)
        self.reference = reference

    def get(self, path: str = "") -> Any:
        return self.api.get(f"/cases/{self.reference}{path}")

    def post(self, path: str, body: Any = None) -> Any:
        return self.api.post(f"/cases/{self.reference}{path}", body)

    def page(self) -> Any:
        return self.pages.get(f"/my/cases/{self.reference}/")

    def listing(self) -> str:
        return str(self.pages.get("/my/cases/").content.decode())


@pytest.fixture
def sides(organisations: dict[str, Organisation]) -> dict[str, Side]:
    occs = organisations["occs"]
    practice = occs.businesses.order_by("pk").first()
    assert practice is not None
    publish_form(
        occs,
        title="Consent to release records",
        text="I consent to the practice releasing my optical records to the mediator.",
        effective_from=dt.date(2020, 1, 1),
    )
    made = ApiClient().post(
        "/organisations/occs/complaints",
        complaint_body(
            complainant={"name": "Alex Morgan", "email": "alex@example.com"},
            respondent_id=practice.pk,
            description=DESCRIPTION,
            desired_outcome=DESIRED,
        ),
    )
    assert made.status_code == 201, made.content
    reference = made.json()["reference"]
    case = Case.objects.get(reference=reference)
    consumer = User.objects.create_user("consumer", email="alex@example.com")
    case.complainant.user = consumer
    case.complainant.save()
    rep = User.objects.create_user("rep", business=practice, email="rep@practice.example")
    return {
        "consumer": Side(consumer, reference),
        "business": Side(rep, reference),
        "handler": Side(make_staff(occs, "handler", "handler"), reference),
    }


def step(sides: dict[str, Side], *actions: str, reason: str = "") -> None:
    for action in actions:
        taken = sides["handler"].post(f"/steps/{action}", {"reason": reason})
        assert taken.status_code == 200, (action, taken.content)


def sign_consent(sides: dict[str, Side], share: list[str]) -> None:
    form = sides["consumer"].get("/consent-form").json()
    signed = sides["consumer"].post(
        "/consent",
        {
            "form_version": form["version"],
            "typed_name": "Alex Morgan",
            "ticked": True,
            "share": share,
        },
    )
    assert signed.status_code == 201, signed.content


def put_proposal(
    sides: dict[str, Side], description: str = "The practice remakes the lenses."
) -> int:
    put = sides["handler"].post(
        "/proposals",
        {
            "source": "handler",
            "kind": "replacement",
            "description": description,
            "answer_by": "2026-12-18",
        },
    )
    assert put.status_code == 201, put.content
    return int(put.json()["id"])


def party_outputs(side: Side) -> str:
    """Everything this side can read of the case, as one text."""
    paths = ["", "/threads", "/proposals", "/proposal-submissions", "/agreements", "/feedback"]
    texts = [side.get(path).content.decode() for path in paths]
    return "\n".join([*texts, side.page().content.decode()])


# --- 1. Each side's answer and private note ---------------------------------------------


def test_neither_side_reads_the_others_answer_note_in_the_api_or_on_its_page(sides) -> None:
    step(sides, "confirm_complaint", "accept_for_mediation")
    proposal = put_proposal(sides)
    notes = {"consumer": "Only if they pay my bus fare too.", "business": "We would go to 50%."}
    for name, party in (("consumer", "complainant"), ("business", "respondent")):
        answered = sides[name].post(
            f"/proposals/{proposal}/answers/{party}", {"answer": "accept", "note": notes[name]}
        )
        assert answered.status_code == 201, answered.content
    for name, other in (("consumer", "business"), ("business", "consumer")):
        api = sides[name].get("/proposals").content.decode()
        page = sides[name].page().content.decode()
        assert notes[name] in api  # its own note (the page shows its answer)
        assert notes[other] not in api
        assert notes[other] not in page
        answers = sides[name].get("/proposals").json()[0]["answers"]
        assert [a["party"] for a in answers] == [
            "complainant" if name == "consumer" else "respondent"
        ]


# --- 2. A counter-proposal goes to the mediator; the agreement is in the mediator's words -


def test_a_counter_reaches_the_other_side_only_as_the_mediator_puts_it(sides) -> None:
    step(sides, "confirm_complaint", "accept_for_mediation")
    proposal = put_proposal(sides)
    counter = "We refund half, and frankly the customer scratched them."
    answered = sides["business"].post(
        f"/proposals/{proposal}/answers/respondent",
        {
            "answer": "counter",
            "counter": {
                "kind": "refund",
                "description": counter,
                "amount": "30",
                "answer_by": "2026-12-18",
            },
        },
    )
    assert answered.status_code == 201, answered.content
    held = answered.json()["counter"]["id"]
    assert counter not in party_outputs(sides["consumer"])  # held for the mediator
    assert counter in sides["business"].get("/proposal-submissions").content.decode()
    worded = "The practice refunds half the price of the lenses."
    put = sides["handler"].post(
        f"/proposal-submissions/{held}/put",
        {
            "terms": {
                "kind": "refund",
                "description": worded,
                "amount": "30",
                "answer_by": "2026-12-18",
            }
        },
    )
    assert put.status_code == 201, put.content
    seen = party_outputs(sides["consumer"])
    assert worded in seen
    assert counter not in seen
    for name, party in (("consumer", "complainant"), ("business", "respondent")):
        ok = sides[name].post(
            f"/proposals/{put.json()['id']}/answers/{party}", {"answer": "accept"}
        )
        assert ok.status_code == 201, ok.content
    drawn = sides["handler"].post(
        "/agreements",
        {
            "proposal_id": put.json()["id"],
            "obligations": [{"party": "respondent", "what": "Refund £30.", "due_on": "2026-12-20"}],
        },
    )
    assert drawn.status_code == 201, drawn.content
    for name in ("consumer", "business"):
        document = sides[name].get(f"/agreements/{drawn.json()['id']}/document").content.decode()
        assert worded in document
        assert counter not in document
    assert counter not in party_outputs(sides["consumer"])


# --- 3. What the business is not told -----------------------------------------------------


def test_the_business_does_not_know_of_the_case_until_it_is_opened(sides) -> None:
    business = sides["business"]
    step(sides, "confirm_complaint")
    for path in ("", "/threads", "/proposals", "/agreements", "/feedback"):
        assert business.get(path).status_code == 404, path
    assert business.page().status_code == 404
    assert business.reference not in business.listing()
    step(sides, "accept_for_mediation")
    assert business.get().status_code == 200
    assert business.page().status_code == 200
    assert business.reference in business.listing()


def test_accepting_a_safeguarding_concern_does_not_open_it_to_the_business(sides) -> None:
    """Found by the case-policy property: acceptance opens a case to the business, but
    never one flagged as a safeguarding concern."""
    business = sides["business"]
    step(sides, "confirm_complaint")
    flagged = sides["handler"].post("/flags", {"safeguarding_concern": True, "reason": "At risk."})
    assert flagged.status_code == 200, flagged.content
    step(sides, "accept_for_mediation")
    assert business.get().status_code == 404
    assert business.page().status_code == 404
    assert business.reference not in business.listing()
    opened = sides["handler"].post("/open-to-respondent")
    assert opened.status_code == 409, opened.content
    assert "safeguarding" in opened.json()["message"]


@pytest.mark.parametrize(
    ("steps", "outcome"),
    [
        (
            ("confirm_complaint", "accept_for_mediation", "refer_to_regulator"),
            "referred_to_regulator",
        ),
        (("confirm_complaint", "out_of_remit"), "out_of_remit"),
    ],
)
def test_the_business_is_never_told_of_a_referral_or_out_of_remit(sides, steps, outcome) -> None:
    if "accept_for_mediation" not in steps:
        opened = sides["handler"].post("/open-to-respondent")
        assert opened.status_code == 200, opened.content
    step(sides, *steps, reason="Fitness to practise: the regulator must look at this.")
    shown = sides["business"].get().json()
    assert (shown["outcome"], shown["stage_label"]) == (None, "Closed")
    seen = party_outputs(sides["business"]) + sides["business"].listing()
    for word in (outcome, "regulator", "remit", "Fitness to practise"):
        assert word not in seen, word
    assert sides["consumer"].get().json()["outcome"] == outcome


def test_the_business_is_asked_for_no_feedback_on_a_safeguarding_referral(sides) -> None:
    step(sides, "confirm_complaint", "accept_for_mediation")
    flagged = sides["handler"].post("/flags", {"safeguarding_concern": True, "reason": "At risk."})
    assert flagged.status_code == 200, flagged.content
    step(sides, "refer_to_regulator", reason="Safeguarding.")
    invite_closed_cases(AT + dt.timedelta(minutes=5))
    with time_machine.travel(AT + dt.timedelta(minutes=5), tick=False):
        fold_notices.call(Case.objects.get(reference=sides["business"].reference).pk)
    assert sides["business"].get("/feedback").json() == []
    assert "feedback" not in sides["business"].page().content.decode().lower().split("<main")[-1]
    business_mail = [m for m in OutboundMessage.objects.all() if "rep@practice.example" in m.to]
    assert not any("how did we do" in f"{m.subject}\n{m.text}".lower() for m in business_mail)
    consumer_mail = [m for m in OutboundMessage.objects.all() if "how did we do" in m.subject]
    assert [m.purpose for m in consumer_mail] == ["notice:complainant"]
    assert [r["party"] for r in sides["consumer"].get("/feedback").json()] == ["complainant"]


# --- 6. Consent withdrawn -------------------------------------------------------------------


def test_withdrawn_consent_withdraws_the_records_request_and_tells_the_business(sides) -> None:
    step(sides, "confirm_complaint", "accept_for_mediation")
    sign_consent(sides, [])
    asked = sides["handler"].post(
        "/records-requests", {"what": "The dispensing records for October.", "due_on": "2026-12-20"}
    )
    assert asked.status_code == 201, asked.content
    assert "The dispensing records for October." in sides["business"].page().content.decode()
    withdrawn = sides["consumer"].post("/consent/withdraw", {"reason": "I no longer trust them."})
    assert withdrawn.status_code == 200, withdrawn.content
    page = sides["business"].page().content.decode()
    assert "The dispensing records for October." not in page  # the upload form for it closed
    assert "withdrawn their consent" in page
    thread = sides["business"].get("/threads").json()
    assert any("withdrawn their consent" in m["body"] for t in thread for m in t["messages"])
    assert "I no longer trust them." not in party_outputs(sides["business"])


# --- 7. Whose records are wanted ------------------------------------------------------------


def test_the_business_sees_who_the_complainant_is_once_consent_is_on_file(sides) -> None:
    step(sides, "confirm_complaint", "accept_for_mediation")
    assert sides["business"].get().json()["complainant"] is None
    assert "Alex Morgan" not in sides["business"].page().content.decode()
    sign_consent(sides, ["email"])
    shown = sides["business"].get().json()["complainant"]
    assert (shown["name"], shown["email"]) == ("Alex Morgan", "alex@example.com")
    assert "address" not in shown
    page = sides["business"].page().content.decode()
    assert "Alex Morgan" in page
    assert "alex@example.com" in page


# --- Letters (found by tests/test_case_policy_property.py) ----------------------------------


def send_letter(sides: dict[str, Side], name: str, recipient: str, **fields: str) -> Any:
    return sides["handler"].api.post(
        f"/letters/cases/{sides['handler'].reference}/send",
        {"name": name, "recipient": recipient, "fields": fields},
    )


def mail_to_business() -> list[OutboundMessage]:
    return [m for m in OutboundMessage.objects.all() if "practice" in " ".join(m.to)]


def test_a_letter_to_the_business_opens_the_case_to_it_first(sides) -> None:
    step(sides, "confirm_complaint")
    sent = send_letter(sides, "acknowledgement", "respondent")
    assert sent.status_code == 201, sent.content
    assert sides["business"].get().status_code == 200  # it now knows of the case
    case = Case.objects.get(reference=sides["business"].reference)
    assert case.opened_to_respondent_at is not None
    assert case.events.filter(kind="letter_sent", data__opened_to_respondent=True).exists()


def test_a_letter_to_the_business_reaches_its_representatives_as_its_notices_do(sides) -> None:
    step(sides, "confirm_complaint", "accept_for_mediation")
    sent = send_letter(sides, "acknowledgement", "respondent")
    assert sent.status_code == 201, sent.content
    [carried] = [m for m in mail_to_business() if m.purpose == "letter:acknowledgement"]
    practice = Case.objects.get(reference=sides["business"].reference).respondent
    assert {practice.email.lower(), "rep@practice.example"} <= set(carried.to)
    assert "alex@example.com" not in carried.to  # never a copy to the other side


def test_a_letter_to_the_business_never_quotes_the_complainants_words(sides) -> None:
    step(sides, "confirm_complaint", "accept_for_mediation")
    sent = send_letter(sides, "acknowledgement", "respondent")
    assert sent.status_code == 201, sent.content
    for mail in mail_to_business():
        for text in (mail.subject, mail.text, mail.html):
            assert DESCRIPTION not in text
            assert DESIRED not in text
            assert "Alex Morgan" not in text  # no consent on file yet
    # The consumer's own acknowledgement went with the step.
    assert Letter.objects.filter(name="acknowledgement", recipient="complainant").exists()


def test_no_letter_goes_to_the_business_on_a_case_referred_to_the_regulator(sides) -> None:
    step(sides, "confirm_complaint", "accept_for_mediation")
    step(sides, "refer_to_regulator", reason="Fitness to practise.")
    for name in ("signposting", "final_response", "deadlock"):
        refused = send_letter(sides, name, "respondent", outcome="Closed")
        assert refused.status_code == 409, (name, refused.content)
        assert refused.json()["field"] == "recipient"
    assert mail_to_business() == []


def test_no_signposting_letter_goes_to_the_business_on_a_case_out_of_remit(sides) -> None:
    assert sides["handler"].post("/open-to-respondent").status_code == 200
    step(sides, "confirm_complaint")
    refused = send_letter(sides, "signposting", "respondent", reason="Negligence.")
    assert refused.status_code == 409, refused.content  # the letter of an untold outcome
    step(sides, "out_of_remit", reason="Negligence is for the regulator.")
    for name in ("signposting", "final_response"):
        assert send_letter(sides, name, "respondent").status_code == 409, name
    assert mail_to_business() == []
