"""Nothing in Python names a procedure's keys (issue 14, part 2): the mediation pack with
every key renamed — its own key, stages, steps, clocks, outcomes, milestones, letters —
runs the whole mediation exactly as the original does, through the API: intake,
acceptance, consent, proposals, the agreement (its obligations limited by the clock
the pack marks, the agreement step the system takes once both confirm), implementation
and closure; the deadlock path through senior mediation to a conclusion without
agreement; and an early resolution, whose closing letter is in the pack's own wording.
Same stages, outcomes, clocks, figures and letters (word for word), key for key.

A letter's kind is what its name said in the original; under a new name the copy
declares it (`wording: letters: <name>: kind:`), as a procedure of other names must."""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
from pathlib import Path
from typing import Any

import pytest
import time_machine
import yaml

from accord.accounts.models import User
from accord.cases.models import Case, Clock, Event
from accord.letters.kinds import LetterKind
from accord.letters.models import Letter
from accord.mediation.consent import publish_form
from accord.organisations.models import Organisation
from accord.procedures.loader import parse
from accord.procedures.registry import PACKS_DIR, LoadedProcedure, registry
from accord.reporting.outcomes import outcome_kind
from tests.conftest import ApiClient, complaint_body, london

pytestmark = pytest.mark.django_db

ORIGINAL = "occs-mediation"
RENAMED = "renamed-mediation"
VERSION = 4
RECEIVED = london(2027, 1, 11, 10)  # a Monday, under occs-mediation v4
LATER = RECEIVED + dt.timedelta(hours=1)
PUT = london(2027, 1, 12, 10)
CONFIRMED = london(2027, 1, 13, 10)
DONE = london(2027, 1, 20, 10)
CLOSING = london(2027, 1, 25, 10)

SECTIONS = {
    "stages": "st",
    "transitions": "tr",
    "clocks": "ck",
    "outcomes": "oc",
    "milestones": "ms",
    "letters": "lt",
    "rights": "rt",
}


def renamed_pack() -> tuple[dict[str, Any], dict[str, dict[str, str]]]:
    """The pack with every key replaced by an opaque one, and the renaming per section."""
    raw = yaml.safe_load((PACKS_DIR / ORIGINAL / f"v{VERSION}.yaml").read_text())
    names: dict[str, dict[str, str]] = {
        section: {key: f"{prefix}{i}" for i, key in enumerate(raw.get(section) or {})}
        for section, prefix in SECTIONS.items()
    }
    inputs = sorted({i for t in raw["transitions"].values() for i in t.get("inputs") or {}})
    names["inputs"] = {key: f"in{i}" for i, key in enumerate(inputs)}
    stage, step, clock = names["stages"], names["transitions"], names["clocks"]
    milestone, letter = names["milestones"], names["letters"]

    def steps(actions: list[str]) -> list[str]:
        return [a if a == "receive" else step[a] for a in actions]

    new = copy.deepcopy(raw)
    new["key"] = RENAMED
    for section in SECTIONS:
        new[section] = {names[section][k]: v for k, v in (raw.get(section) or {}).items()}
    new["initial_stage"] = stage[raw["initial_stage"]]
    if raw.get("reopens_to"):
        new["reopens_to"] = stage[raw["reopens_to"]]
    for t in new["transitions"].values():
        t["from"] = [s if s == "*" else stage[s] for s in t["from"]]
        if t.get("to"):
            t["to"] = stage[t["to"]]
        t["outcomes"] = [names["outcomes"][o] for o in t.get("outcomes", [])]
        t["marks"] = [milestone[m] for m in t.get("marks", [])]
        t["letters"] = [letter[x] for x in t.get("letters", [])]
        t["within"] = [clock[c] for c in t.get("within", [])]
        t["inputs"] = {names["inputs"][k]: v for k, v in (t.get("inputs") or {}).items()}
    for c in new["clocks"].values():
        basis = c.get("basis", "receipt")
        if basis.startswith("clock_end:"):
            c["basis"] = "clock_end:" + clock[basis.removeprefix("clock_end:")]
        elif basis != "receipt":
            c["basis"] = milestone[basis]
        for field in ("starts_on", "stops_on", "ends_on", "pauses_on", "resumes_on"):
            c[field] = steps(c.get(field, []))
        if c.get("on_breach"):
            c["on_breach"] = step[c["on_breach"]]
        c["letters_on_extension"] = [letter[x] for x in c.get("letters_on_extension", [])]
        if c.get("due_on_input"):
            c["due_on_input"] = names["inputs"][c["due_on_input"]]
    for r in new["rights"].values():
        r["opens_on"] = [step[a] for a in r.get("opens_on", [])]
        r["closes_from"] = [step[a] for a in r.get("closes_from", [])]
    for meaning in new.get("inbound_email", []):
        meaning["takes"] = step[meaning["takes"]]
    # The parties' wording (kept beside the pack) comes along under the new names.
    wording = yaml.safe_load((PACKS_DIR / ORIGINAL / "wording.yaml").read_text())
    sections = {"stages": stage, "steps": step, "clocks": clock, "outcomes": names["outcomes"]}
    for section, renaming in {**sections, "letters": letter}.items():
        wording[section] = {renaming[k]: v for k, v in (wording.get(section) or {}).items()}
    kinds = {kind.value for kind in LetterKind}
    for original, new_name in letter.items():
        declared = wording["letters"].setdefault(new_name, {})
        if original in kinds:
            declared.setdefault("kind", original)  # the name said the kind; the new one does not
        if declared.get("discharges"):
            declared["discharges"] = [clock[c] for c in declared["discharges"]]
    new["wording"] = wording
    return new, names


@pytest.fixture
def renamed(monkeypatch: pytest.MonkeyPatch) -> dict[str, dict[str, str]]:
    """The renamed copy registered beside the shipped packs (as an organisation's own
    procedure would be)."""
    raw, names = renamed_pack()
    text = yaml.safe_dump(raw, allow_unicode=True)
    procedure = parse(raw, source="renamed copy")
    loaded = LoadedProcedure(
        procedure, Path("renamed.yaml"), hashlib.sha256(text.encode()).hexdigest()
    )
    monkeypatch.setitem(registry()._versions, RENAMED, {VERSION: loaded})
    return names


def test_the_renamed_copy_shares_no_key_with_the_original(renamed) -> None:
    original, copy_ = registry().get(ORIGINAL, VERSION), registry().get(RENAMED, VERSION)
    for section in ("stages", "transitions", "clocks", "outcomes", "milestones", "letters"):
        assert not set(getattr(original, section)) & set(getattr(copy_, section)), section
    # The declarations the code reads came along under the new names.
    assert {k for k, c in copy_.clocks.items() if c.limits_obligations} == {
        renamed["clocks"]["agreement"],
        renamed["clocks"]["senior_timeframe"],
    }


class Run:
    """One mediation at the OCCS under procedure `key`, naming steps by their original
    keys (`names` turns them into the pack's)."""

    def __init__(self, occs: Organisation, staff: Any, key: str, names: dict[str, Any]):
        self.key, self.names = key, names
        Organisation.objects.filter(pk=occs.pk).update(procedure_key=key)
        practice = occs.businesses.order_by("pk").first()
        assert practice is not None
        with time_machine.travel(RECEIVED, tick=False):
            response = ApiClient().post(
                "/organisations/occs/complaints", complaint_body(respondent_id=practice.pk)
            )
        assert response.status_code == 201, response.content
        self.reference = response.json()["reference"]
        self.case = Case.objects.get(reference=self.reference)
        assert (self.case.procedure_key, self.case.procedure_version) == (key, VERSION)
        tag = key[:3]
        consumer = User.objects.create_user(f"consumer-{tag}", email="alex@example.com")
        self.case.complainant.user = consumer
        self.case.complainant.save()
        rep = User.objects.create_user(f"rep-{tag}", business=practice, email="rep@p.example")
        self.handler_user = staff("occs", "handler")
        self.clients = {
            "handler": ApiClient(self.handler_user),
            "consumer": ApiClient(consumer),
            "practice": ApiClient(rep),
        }
        self.call("handler", RECEIVED, f"/cases/{self.reference}/assign",
                  {"handler": self.handler_user.username})  # fmt: skip

    def call(self, who: str, when: dt.datetime, path: str, body: Any = None) -> Any:
        with time_machine.travel(when, tick=False):
            client = self.clients[who]
            return client.get(path) if body is None else client.post(path, body)

    def step(
        self,
        who: str,
        when: dt.datetime,
        action: str,
        letters: dict[str, dict[str, str]] | None = None,
        **body: Any,
    ) -> Any:
        """Take the step; `letters`: what is typed into its letters, by their original
        names."""
        actual = self.names["transitions"][action]
        if letters:
            body["letters"] = {self.names["letters"][k]: v for k, v in letters.items()}
        taken = self.call(who, when, f"/cases/{self.reference}/steps/{actual}", body)
        assert taken.status_code == 200, (action, taken.content)
        return taken.json()

    def back(self, section: str, key: str) -> str:
        return {new: old for old, new in self.names[section].items()}.get(key, key)

    def sign_consent(self, form_version: int) -> None:
        body = {"form_version": form_version, "typed_name": "Alex Morgan", "ticked": True}
        signed = self.call("consumer", LATER, f"/cases/{self.reference}/consent", body)
        assert signed.status_code == 201, signed.content

    def into_dialogue(self, form_version: int) -> None:
        self.step("handler", LATER, "confirm_complaint")
        self.step("handler", LATER, "accept_for_mediation")
        self.sign_consent(form_version)
        self.step("consumer", LATER, "record_consent")
        self.step("handler", LATER, "gather_information")
        self.step("handler", LATER, "begin_review")

    def agreement(self) -> dict[str, Any]:
        """A proposal both accept, drawn up (once too late for the limiting clock), and
        confirmed by both."""
        ref = self.reference
        proposal = {
            "source": "respondent",
            "kind": "refund",
            "description": "The practice refunds the price of the glasses.",
            "amount": "120.50",
            "answer_by": "2027-01-20",
        }
        pk = self.call("handler", PUT, f"/cases/{ref}/proposals", proposal).json()["id"]
        for who, party in (("consumer", "complainant"), ("practice", "respondent")):
            answered = self.call(
                who, PUT, f"/cases/{ref}/proposals/{pk}/answers/{party}", {"answer": "accept"}
            )
            assert answered.status_code == 201, answered.content

        def terms(refund_due: str) -> dict[str, Any]:
            return {
                "proposal_id": pk,
                "obligations": [
                    {"party": "respondent", "what": "Refund £120.50.", "due_on": refund_due},
                    {"party": "complainant", "what": "Return the glasses.", "due_on": "2027-01-19"},
                ],
            }

        too_late = self.call("handler", PUT, f"/cases/{ref}/agreements", terms("2027-03-01"))
        assert too_late.status_code == 422, too_late.content
        self.refused = too_late.json()["message"]
        drawn = self.call("handler", PUT, f"/cases/{ref}/agreements", terms("2027-01-18"))
        assert drawn.status_code == 201, drawn.content
        agreement = drawn.json()
        for who, party in (("consumer", "complainant"), ("practice", "respondent")):
            path = f"/cases/{ref}/agreements/{agreement['id']}/confirmations/{party}"
            body = {"document_sha256": agreement["document_sha256"]}
            confirmed = self.call(who, CONFIRMED, path, body)
            assert confirmed.status_code == 201, confirmed.content
        return dict(confirmed.json())

    def summary(self) -> dict[str, Any]:
        """Everything that happened, in the original pack's words."""
        case = Case.objects.get(pk=self.case.pk)
        events = Event.objects.filter(case=case).order_by("seq")
        kind = outcome_kind(self.key, VERSION, case.outcome)
        return {
            "stage": self.back("stages", case.stage),
            "outcome": self.back("outcomes", case.outcome),
            "counts_as": (kind.resolved, kind.early, kind.upheld),
            "is_open": case.is_open,
            "steps": [
                (
                    self.back("transitions", e.action),
                    e.actor_role,
                    self.back("stages", e.from_stage),
                    self.back("stages", e.to_stage),
                    [self.back("milestones", m) for m in e.data.get("marks", [])],
                    [self.back("letters", x) for x in e.data.get("letters_required", [])],
                )
                for e in events
                if e.kind == "transition"
            ],
            "kinds": [e.kind for e in events],
            # Every letter sent, word for word (the pack's own wording for its letters
            # found under their new names).
            "letters": [
                (
                    self.back("letters", letter.name),
                    letter.kind,
                    letter.recipient,
                    letter.subject.replace(self.reference, "REF"),
                    letter.text.replace(self.reference, "REF"),
                )
                for letter in Letter.objects.filter(case=case).order_by("pk")
            ],
            "clocks": {
                self.back("clocks", c.key): (
                    c.label,
                    c.status,
                    c.due_at,
                    c.stopped_at,
                    c.explanation.get("due_date"),
                )
                for c in Clock.objects.filter(case=case)
            },
            "next_deadline_at": case.next_deadline_at,
            "opened_to_respondent_at": case.opened_to_respondent_at,
        }


def mediation_to_closure(occs: Organisation, staff: Any, key: str, names: Any) -> dict[str, Any]:
    form = publish_form(
        occs,
        title="Consent to release records",
        text="I consent to the practice releasing my optical records to the mediator.",
        effective_from=dt.date(2020, 1, 1),
    )
    run = Run(occs, staff, key, names)
    run.into_dialogue(form.version)
    binding = run.agreement()
    detail = run.call("handler", CONFIRMED, f"/cases/{run.reference}").json()
    assert run.back("stages", detail["stage"]) == "implementing"  # the system's step
    for obligation in binding["obligations"]:
        for who, party in (("consumer", "complainant"), ("practice", "respondent")):
            path = f"/cases/{run.reference}/obligations/{obligation['id']}/done/{party}"
            assert run.call(who, DONE, path, {}).status_code == 200
    run.step("handler", CLOSING, "confirm_implementation")
    return {**run.summary(), "refused": run.refused}


def deadlock_to_conclusion(occs: Organisation, staff: Any, key: str, names: Any) -> dict[str, Any]:
    form = publish_form(
        occs,
        title="Consent to release records",
        text="I consent to the practice releasing my optical records to the mediator.",
        effective_from=dt.date(2020, 1, 1),
    )
    run = Run(occs, staff, key, names)
    run.into_dialogue(form.version)
    why = "The practice and the consumer could not agree on a refund."
    run.step("handler", PUT, "record_no_agreement", letters={"deadlock": {"reason": why}})
    run.step("consumer", PUT, "refer_to_senior_mediator")
    senior = staff("occs", "senior_handler")
    run.clients["senior"] = ApiClient(senior)
    assigned = run.call("senior", PUT, f"/cases/{run.reference}/assign",
                        {"handler": senior.username})  # fmt: skip
    assert assigned.status_code == 200, assigned.content
    run.step("senior", PUT, "complete_senior_consideration")
    run.step("senior", CONFIRMED, "hold_senior_mediation")
    run.step(
        "senior",
        DONE,
        "conclude_without_agreement",
        reason="The parties could not agree.",
        letters={"conclusion": {"reason": "The parties could not agree on a refund."}},
    )
    return run.summary()


def resolved_early(occs: Organisation, staff: Any, key: str, names: Any) -> dict[str, Any]:
    """Resolved with the practice before any information is gathered: the closing letter
    is in the pack's own wording (declared beside it), under whatever name it has."""
    form = publish_form(
        occs,
        title="Consent to release records",
        text="I consent to the practice releasing my optical records to the mediator.",
        effective_from=dt.date(2020, 1, 1),
    )
    run = Run(occs, staff, key, names)
    run.step("handler", LATER, "confirm_complaint")
    run.step("handler", LATER, "accept_for_mediation")
    run.sign_consent(form.version)
    run.step("consumer", LATER, "record_consent")
    agreed = "The practice replaces the glasses free of charge."
    run.step("handler", PUT, "resolve_early", letters={"final_response": {"remedy": agreed}})
    return run.summary()


def identity(names: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    return {section: {key: key for key in keys} for section, keys in names.items()}


@pytest.mark.parametrize("path", [mediation_to_closure, deadlock_to_conclusion, resolved_early])
def test_the_renamed_pack_runs_the_whole_mediation_as_the_original(
    occs, staff, renamed, path
) -> None:
    original = path(occs, staff, ORIGINAL, identity(renamed))
    copied = path(occs, staff, RENAMED, renamed)
    assert copied == original
    # and the runs are the ones meant
    if path is mediation_to_closure:
        assert (original["outcome"], original["counts_as"]) == (
            "resolved_by_agreement",
            (True, False, False),
        )
        assert original["clocks"]["agreement"][1] == "stopped"
        assert "Agreement and implementation timeframe set" in original["refused"]
        assert original["steps"][-2][:2] == ("agree_resolution", "system")
    elif path is resolved_early:
        assert (original["outcome"], original["counts_as"]) == (
            "resolved_early",
            (True, True, False),
        )
        closing = [x for x in original["letters"] if x[0] == "final_response"]
        assert [x[3] for x in closing] == ["Closing the complaint (REF)"]
        assert "What was agreed: The practice replaces the glasses" in closing[0][4]
    else:
        assert original["outcome"] == "concluded_without_agreement"
        assert original["clocks"]["senior_mediation"][1] == "stopped"
    assert original["is_open"] is False
