"""The guards and effects that procedure files name, each written once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet

from accord.cases.errors import ActionRefused
from accord.cases.models import Case
from accord.procedures.definition import Effect, Guard


def consent_on_file(case: Case) -> str | None:
    if case.consent_given_at is None or case.consent_withdrawn_at is not None:
        return "the complainant's signed consent is not on file"
    return None


def verbal_summary_confirmed(case: Case) -> str | None:
    if case.verbal_summary_pending:
        return "the complainant has not yet confirmed the written summary of their verbal complaint"
    return None


def handler_assigned(case: Case) -> str | None:
    return None if case.handler_id is not None else "no handler is assigned to the case"


def microbusiness(case: Case) -> str | None:
    return None if case.complainant.is_microbusiness else "the complainant is not a microbusiness"


def late_complaint_decided(case: Case) -> str | None:
    if case.raised_out_of_time and not case.late_complaint_accepted:
        return "the complaint was raised out of time and nobody has decided to consider it"
    return None


def may_be_out_of_time(case: Case) -> str | None:
    # Unknown (no issue date given) may still turn out late once the date is learnt.
    if case.raised_out_of_time is False:
        return "the complaint was raised within the time the procedure allows"
    return None


def verbal_summary_pending(case: Case) -> str | None:
    if not case.verbal_summary_pending:
        return "no summary of a verbal complaint is awaiting the complainant's confirmation"
    return None


def raised_out_of_time(case: Case) -> str | None:
    # Only a complaint known to be late (flagged at intake) has a lateness to consider:
    # one raised in time, or with no issue date given, has nothing to accept, and a
    # late one already accepted was decided.
    if case.raised_out_of_time is not True:
        return "the complaint is not flagged as raised out of time"
    if case.late_complaint_accepted:
        return "the complaint raised out of time was already accepted for consideration"
    return None


def consent_form_signed(case: Case) -> str | None:
    # The case's consent flag alone is not enough: the complainant's signed form
    # (mediation.consent.sign) must be on file and not withdrawn.
    from accord.mediation.models import Consent

    signed = Consent.objects.filter(case=case, withdrawn_at__isnull=True).exists()
    if not signed or consent_on_file(case) is not None:
        return "the complainant has not signed the consent form"
    return None


# Mediation is built on cases; its models are imported where a guard reads them.
def _binding_agreements(case: Case) -> QuerySet[Any]:
    from accord.mediation.choices import AgreementStatus
    from accord.mediation.models import Agreement

    return Agreement.objects.filter(case=case, status=AgreementStatus.BINDING)


def agreement_binding(case: Case) -> str | None:
    if not _binding_agreements(case).exists():
        return "no agreement has been confirmed by both parties yet"
    return None


def no_binding_agreement(case: Case) -> str | None:
    if _binding_agreements(case).exists():
        return "the agreement is legally binding on both parties: the complaint cannot be withdrawn"
    return None


def agreement_terms_done(case: Case) -> str | None:
    from accord.mediation.choices import ObligationStatus
    from accord.mediation.models import Obligation

    binding = _binding_agreements(case)
    if not binding.exists():
        return "no agreement has been confirmed by both parties yet"
    outstanding = (
        Obligation.objects.filter(agreement__in=binding)
        .exclude(status=ObligationStatus.DONE)
        .count()
    )
    if outstanding:
        return (
            f"{outstanding} obligation(s) of the agreement are not yet done "
            "(both parties confirm each); or close it stating why"
        )
    return None


GUARDS: dict[Guard, Callable[[Case], str | None]] = {
    Guard.CONSENT_ON_FILE: consent_on_file,
    Guard.VERBAL_SUMMARY_CONFIRMED: verbal_summary_confirmed,
    Guard.HANDLER_ASSIGNED: handler_assigned,
    Guard.MICROBUSINESS: microbusiness,
    Guard.LATE_COMPLAINT_DECIDED: late_complaint_decided,
    Guard.MAY_BE_OUT_OF_TIME: may_be_out_of_time,
    Guard.VERBAL_SUMMARY_PENDING: verbal_summary_pending,
    Guard.RAISED_OUT_OF_TIME: raised_out_of_time,
    Guard.CONSENT_FORM_SIGNED: consent_form_signed,
    Guard.AGREEMENT_BINDING: agreement_binding,
    Guard.NO_BINDING_AGREEMENT: no_binding_agreement,
    Guard.AGREEMENT_TERMS_DONE: agreement_terms_done,
}


def failed_guards(case: Case, guards: tuple[Guard, ...]) -> list[str]:
    """Why each unmet guard is unmet, in words."""
    return [problem for guard in guards if (problem := GUARDS[guard](case)) is not None]


def effect_problem(case: Case, effect: Effect) -> str | None:
    """Why `effect` makes no sense on the case now (None: it may be applied). The engine
    offers no step whose effect would be refused, so what it offers can be taken."""
    if effect == Effect.WITHDRAW_CONSENT and case.consent_given_at is None:
        return "there is no consent to withdraw"
    if effect == Effect.CONFIRM_VERBAL_SUMMARY and not case.verbal_summary_pending:
        return "no summary of a verbal complaint is awaiting confirmation"
    if effect == Effect.ACCEPT_LATE_COMPLAINT and not case.raised_out_of_time:
        return "the complaint is not flagged as raised out of time"
    return None


def failed_effects(case: Case, effects: tuple[Effect, ...]) -> list[str]:
    return [problem for effect in effects if (problem := effect_problem(case, effect)) is not None]


def apply_effect(case: Case, effect: Effect, now: dt.datetime) -> None:
    """Change `case` as `effect` says; refuse when the effect makes no sense now."""
    problem = effect_problem(case, effect)
    if problem is not None:
        raise ActionRefused(problem)
    if effect == Effect.RECORD_CONSENT:
        case.consent_given_at = now
        case.consent_withdrawn_at = None
    elif effect == Effect.WITHDRAW_CONSENT:
        case.consent_withdrawn_at = now
    elif effect == Effect.CONFIRM_VERBAL_SUMMARY:
        case.verbal_summary_pending = False
        case.verbal_summary_confirmed_at = now
    elif effect == Effect.RECORD_REGULATOR_REFERRAL:
        case.safeguarding_concern = True
        case.referred_to_regulator_at = now
    elif effect == Effect.ACCEPT_LATE_COMPLAINT:
        case.late_complaint_accepted = True
    elif effect == Effect.OPEN_TO_RESPONDENT:
        from accord.policy.disclosure import opening_refusal

        # The policy decides: never a case concealed from the business (a safeguarding
        # concern, a referral), nor one about the organisation itself.
        if opening_refusal(case) is None:
            case.opened_to_respondent_at = now
    # RECORD_AGREEMENT changes nothing on the case: the binding agreement (its guard) is
    # the record; the effect says which step the system takes once it is binding.
