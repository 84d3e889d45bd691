"""What each side of a case is told about the case itself.

The business complained about (the respondent) learns of a case only once the mediator
opens it to them: at the step whose pack declares the `open_to_respondent` effect
(normally acceptance for mediation), by the staff action of that name, or — where the
case is not open to the business yet — by the mediator's first act addressed to the
business (a message or relay into its thread, a records request, a proposal put to both
sides), which opens it first. From then on it sees a business-facing
status: never that the case was referred to the regulator, treated as a safeguarding
concern or found out of remit, and it is not asked for feedback on such a case. It sees
who the complainant is (their name, and the details they chose to share for the
records request) only while their signed consent is on file.

Where the respondent is the organisation itself (an in-house complaints team), there is
no second party: nobody acts for the respondent and nothing is opened to it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.db.models import Q, QuerySet

from accord.mediation.choices import Party
from accord.policy.roles import staff_role
from accord.reads import Read

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accord.accounts.models import User
    from accord.cases.models import Case
    from accord.letters.models import Letter
    from accord.procedures.definition import Procedure

# Details of the complainant the consent form lets them share with the business (their
# name is always shared once consent is on file).
SHAREABLE_DETAILS = ("address", "email", "phone")
CLOSED_STATUS = "Closed"


def has_respondent_party(case: Case) -> bool:
    """Whether the case has a second party: a business other than the organisation."""
    return not case.respondent.is_self


def open_to_respondent(case: Case) -> bool:
    """Whether the business complained about may see the case at all."""
    return case.opened_to_respondent_at is not None and has_respondent_party(case)


def opening_refusal(case: Case) -> str | None:
    """Why the case cannot be opened to the business now (None: it can)."""
    if not has_respondent_party(case):
        return "the complaint is about the organisation itself: there is no business to open it to"
    if case.opened_to_respondent_at is not None:
        return "the case is already open to the business"
    if not case.is_open:
        return "the case is closed"
    if concealed_from_respondent(case):
        return (
            "the case is a safeguarding concern or was referred to the regulator: "
            "it is not opened to the business"
        )
    return None


def respondent_unreachable(case: Case) -> str | None:
    """Why nothing can be put to the business on this case (None: it can; if the case is
    not open to the business yet, doing so opens it)."""
    if not has_respondent_party(case):
        return "the complaint is about the organisation itself: there is no business to write to"
    if case.opened_to_respondent_at is not None:
        return None
    return opening_refusal(case)


def concealed_from_respondent(case: Case) -> bool:
    """A serious concern or safeguarding referral is never shown to the business."""
    return case.safeguarding_concern or case.referred_to_regulator_at is not None


def visibility(user: User | AnonymousUser) -> tuple[tuple[str, ...], tuple[int, ...]] | None:
    """The ways this user may see cases at all, and the id each way names: "all" (the
    service's administrator), "complainant" (their own complaints: the user), "staff"
    (their organisation's cases), "business" (the cases opened to the business they act
    for). None: no case at all."""
    if not user.is_authenticated or not user.is_active:
        return None
    if user.is_superuser:
        return ("all",), ()
    ways, ids = ["complainant"], [int(user.pk)]
    if staff_role(user) is not None and user.organisation_id is not None:
        ways.append("staff")
        ids.append(int(user.organisation_id))
    business_id = getattr(user, "business_id", None)
    if business_id is not None:
        ways.append("business")
        ids.append(int(business_id))
    return tuple(ways), tuple(ids)


def visible_by(ways: tuple[str, ...], ids: Sequence[Any]) -> Q:
    """The cases seen in `ways` (see `visibility`), each naming its id in `ids`."""
    condition = Q()
    for way, named in zip(ways, ids, strict=True):
        if way == "complainant":
            condition |= Q(complainant__user_id=named)
        elif way == "staff":
            condition |= Q(organisation_id=named)
        elif way == "business":
            condition |= Q(
                respondent_id=named,
                respondent__is_self=False,
                opened_to_respondent_at__isnull=False,
            )
        else:
            raise ValueError(f"no such way of seeing cases: {way}")
    return condition


def cases_visible_to(user: User | AnonymousUser) -> QuerySet[Case]:
    """The cases this user may see at all (each object has its own rule on top)."""
    from accord.cases.models import Case

    terms = visibility(user)
    if terms is None:
        return Case.objects.none()
    ways, ids = terms
    if ways == ("all",):
        return Case.objects.all()
    return Case.objects.filter(visible_by(ways, ids))


def outcome_disclosed(case: Case, procedure: Procedure, party: Party) -> bool:
    """Whether `party` is told how the case ended. The complainant always is; the
    business only of outcomes its procedure declares `disclosed_to_respondent` (a version
    that declares none — written before the flag existed — tells it of its resolutions
    only), and never of a referral to the regulator."""
    if party == Party.COMPLAINANT:
        return True
    if concealed_from_respondent(case) or not case.outcome:
        return False
    outcome = procedure.outcomes.get(case.outcome)
    if outcome is None:
        return False
    if any(o.disclosed_to_respondent for o in procedure.outcomes.values()):
        return outcome.disclosed_to_respondent
    return outcome.resolved


def status_for(case: Case, procedure: Procedure, party: Party) -> dict[str, Any]:
    """The case's stage and outcome as `party` is told them."""
    stage = procedure.stages[case.stage]
    if case.is_open:
        return {"stage": case.stage, "stage_label": stage.label, "outcome": None}
    if outcome_disclosed(case, procedure, party):
        outcome = procedure.outcomes.get(case.outcome)
        label = f"{stage.label}: {outcome.label}" if outcome is not None else stage.label
        return {"stage": case.stage, "stage_label": label, "outcome": case.outcome or None}
    return {"stage": case.stage, "stage_label": CLOSED_STATUS, "outcome": None}


def consent_on_file(case: Case) -> bool:
    return case.consent_given_at is not None and case.consent_withdrawn_at is None


def complainant_for(case: Case, party: Party) -> dict[str, str] | None:
    """Who the complainant is, as `party` may know it: the complainant their own
    details; the business the name and the details shared in the signed consent, only
    while that consent is on file (None before)."""
    person = case.complainant
    if party == Party.COMPLAINANT:
        return {
            "name": person.name,
            "business_name": person.business_name,
            **{field: getattr(person, field) for field in SHAREABLE_DETAILS},
        }
    if not consent_on_file(case):
        return None
    from accord.mediation.models import Consent

    signed = (
        Consent.objects.filter(case=case, withdrawn_at__isnull=True).order_by("-signed_at").first()
    )
    shared = set(signed.shared_details) if signed is not None else set()
    shown = {"name": person.name, "business_name": person.business_name}
    shown.update({field: getattr(person, field) for field in SHAREABLE_DETAILS if field in shared})
    return shown


def complainant_named(case: Case, party: Party) -> str | None:
    """The complainant's name as `party` may read it (None: the business, while no
    consent is on file)."""
    person = complainant_for(case, party)
    return person["name"] if person else None


def other_side_named(case: Case, party: Party) -> str:
    """The other side of a mediation as `party` may know it: the business by its name;
    the complainant by name once the business may know it, else "The complainant"."""
    if party == Party.COMPLAINANT:
        return case.respondent.name if case.respondent else ""
    return complainant_named(case, party) or "The complainant"


def parties_named_in_shared_document(case: Case) -> dict[Party, str]:
    """How a document both sides read (an agreement, its certificate) names each party:
    by name and side ("Alex Morgan (the complainant)"), the complainant's name only as
    the business may know it ("The complainant" while no consent is on file)."""
    named = complainant_named(case, Party.RESPONDENT)
    return {
        Party.COMPLAINANT: f"{named} (the complainant)" if named else "The complainant",
        Party.RESPONDENT: f"{case.respondent.name} (the business)",
    }


def visible_event(
    event: Any, case: Case, procedure: Procedure, party: Party
) -> dict[str, Any] | None:
    """A step on the timeline as `party` sees it (None: not shown to them). Parties see
    the receipt and the procedure's steps, never staff reasons or notes; the business
    sees only what happened since the case was opened to it, and a closing step whose
    outcome it is not told reads as the case being closed."""
    from accord.cases.choices import EventKind

    if event.kind not in {EventKind.RECEIVED, EventKind.TRANSITION}:
        return None
    if party == Party.RESPONDENT:
        opened = case.opened_to_respondent_at
        if opened is None or event.at < opened:
            return None
        target = procedure.stages.get(event.to_stage)
        closing = target is not None and target.terminal and event.from_stage != event.to_stage
        if closing and not outcome_disclosed(case, procedure, party):
            return {"at": event.at, "action": "close", "to_stage": event.to_stage}
    return {"at": event.at, "action": event.action, "to_stage": event.to_stage}


def letters_kept_from_respondent(procedure: Procedure) -> frozenset[str]:
    """The letters of the steps that close a case with an outcome the business is not
    told of (a signposting letter, say): they never go to the business."""
    hidden = {key for key, o in procedure.outcomes.items() if not o.disclosed_to_respondent}
    if not any(o.disclosed_to_respondent for o in procedure.outcomes.values()):
        hidden = {key for key, o in procedure.outcomes.items() if not o.resolved}
    return frozenset(
        letter
        for transition in procedure.transitions.values()
        if set(transition.outcomes) & hidden
        for letter in transition.letters
    )


def letter_refusal(case: Case, procedure: Procedure, name: str, party: Party) -> str | None:
    """Why the letter `name` may not be sent to `party` (None: it may; a letter to the
    business on a case not open to it yet opens it, as any act addressed to it). The
    business gets no letter on a case concealed from it, none of a step whose outcome
    it is not told, and none once the case closed with such an outcome. (Where the
    complaint is about the organisation itself, there is nothing to keep from it.)"""
    if party == Party.COMPLAINANT or not has_respondent_party(case):
        return None
    problem = respondent_unreachable(case)
    if problem is None and name in letters_kept_from_respondent(procedure):
        problem = "the business is not told of this outcome: this letter goes to the complainant"
    if problem is None and not case.is_open and not outcome_disclosed(case, procedure, party):
        problem = "the case closed with an outcome the business is not told of"
    return problem


def told_in_letter(case: Case, procedure: Procedure, party: Party) -> dict[str, Any]:
    """What a letter to `party` may say of the case: the complainant's own words (the
    complaint, what they want, staff's reasons for a step) only to the complainant; the
    stage and outcome as that side is told them; the complainant's name to the business
    only while consent is on file."""
    own = party == Party.COMPLAINANT or not has_respondent_party(case)
    status = status_for(case, procedure, party)
    outcome = procedure.outcomes.get(case.outcome) if status["outcome"] else None
    person = complainant_for(case, party)
    return {
        "description": case.description if own else "",
        "desired_outcome": case.desired_outcome if own else "",
        "stage": procedure.stages[case.stage].label if own else status["stage_label"],
        "outcome": outcome.label if outcome is not None else "",
        "complainant_name": person["name"] if person else "the complainant",
        "complainant_shared": person or {},
        "step_reasons": own,
    }


def feedback_parties(case: Case, procedure: Procedure) -> list[Party]:
    """Who is invited to give feedback once the case closed: the complainant; the
    business only on a case open to it whose outcome it is told."""
    parties = [Party.COMPLAINANT]
    if open_to_respondent(case) and outcome_disclosed(case, procedure, Party.RESPONDENT):
        parties.append(Party.RESPONDENT)
    return parties


def letters_for(case: Case, party: Party) -> list[Letter]:
    """The letters `party` reads on its page: those sent to it (a letter to the other
    side is the other side's), oldest first."""
    found: list[Letter] = _LETTERS_SENT(case.pk, party.value)
    return found


def _letters_sent(case_id: int, recipient: str) -> QuerySet[Letter]:
    from accord.letters.models import Letter, LetterStatus

    return Letter.objects.filter(
        case_id=case_id, recipient=recipient, status=LetterStatus.SENT
    ).order_by("sent_at", "pk")


_LETTERS_SENT = Read(_letters_sent)


def closing_step(procedure: Procedure, key: str) -> bool:
    """Whether taking step `key` ends the complaint (a party confirms it first)."""
    target = procedure.transitions[key].to
    return target is not None and procedure.stages[target].terminal
