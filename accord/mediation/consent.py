"""Consent: the complainant signs the organisation's consent form (typed full name,
an explicit tick, the time, their address, and the hash of the exact text signed), and
may withdraw it. Records are requested from the respondent only with consent on file.
The case's consent flag is set through the same effect a procedure step may name."""

from __future__ import annotations

import datetime as dt
import hashlib

from django.db import transaction

from accord.accounts.models import User
from accord.cases.choices import EventKind
from accord.cases.engine import StepRequest, allowed_steps, lock_case, procedure_of, take_step
from accord.cases.errors import ActionRefused, InvalidAction
from accord.cases.models import Case
from accord.cases.rules import apply_effect
from accord.cases.timeline import append_event
from accord.mediation.choices import Party
from accord.mediation.models import Consent, ConsentForm, RecordsRequest
from accord.mediation.opening import reach_respondent
from accord.mediation.threads import post_notice
from accord.organisations.models import Organisation
from accord.policy.disclosure import SHAREABLE_DETAILS, open_to_respondent
from accord.policy.mediation import (
    fulfil_records_refusal,
    records_request_refusal,
    require,
    sign_consent_refusal,
    withdraw_consent_refusal,
)
from accord.policy.roles import standing
from accord.procedures.definition import Effect, Guard, Role

WITHDRAWN_NOTICE = (
    "The complainant has withdrawn their consent to the release of their records and "
    "personal information. Please do not send any records for this case: the request "
    "for records is withdrawn. The mediator will be in touch about what happens next."
)


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def publish_form(
    organisation: Organisation, *, title: str, text: str, effective_from: dt.date
) -> ConsentForm:
    """A new version of the organisation's consent form."""
    latest = ConsentForm.objects.filter(organisation=organisation).order_by("-version").first()
    return ConsentForm.objects.create(
        organisation=organisation,
        version=(latest.version + 1) if latest else 1,
        title=title,
        text=text,
        text_sha256=text_hash(text),
        effective_from=effective_from,
    )


def current_form(organisation: Organisation, on: dt.date) -> ConsentForm:
    form = (
        ConsentForm.objects.filter(organisation=organisation, effective_from__lte=on)
        .order_by("-version")
        .first()
    )
    if form is None:
        raise ActionRefused("the organisation has no consent form in force")
    return form


def sign(
    case_id: int,
    actor: User,
    *,
    form_version: int,
    typed_name: str,
    ticked: bool,
    ip_address: str | None,
    now: dt.datetime,
    share: tuple[str, ...] = (),
) -> Consent:
    """The complainant signs the form version they were shown, choosing which of their
    details (beyond their name) the business may see for the records request."""
    typed_name = " ".join(typed_name.split())
    if not ticked:
        raise InvalidAction("tick the box to give your consent", field="ticked")
    if len(typed_name) < 2:
        raise InvalidAction("type your full name", field="typed_name")
    unknown = sorted(set(share) - set(SHAREABLE_DETAILS))
    if unknown:
        options = ", ".join(SHAREABLE_DETAILS)
        raise InvalidAction(f"only these details can be shared: {options}", field="share")
    with transaction.atomic():
        case = lock_case(case_id)
        require(sign_consent_refusal(standing(actor, case)))
        form = ConsentForm.objects.filter(
            organisation_id=case.organisation_id, version=form_version
        ).first()
        if form is None:
            raise InvalidAction("no such version of the consent form", field="form_version")
        consent = Consent.objects.create(
            case=case,
            form=form,
            signed_by=actor,
            typed_name=typed_name,
            ticked=True,
            signed_at=now,
            ip_address=ip_address,
            text_sha256=text_hash(form.text),
            shared_details=[d for d in SHAREABLE_DETAILS if d in share],
        )
        apply_effect(case, Effect.RECORD_CONSENT, now)
        append_event(
            case,
            kind=EventKind.CONSENT_SIGNED,
            at=now,
            actor=actor,
            actor_role=Role.COMPLAINANT.value,
            data={
                "consent": consent.pk,
                "form_version": form.version,
                "text_sha256": consent.text_sha256,
            },
        )
        case.save()
    return consent


def consent_steps(
    case: Case, actor: User, now: dt.datetime, *, once_signed: bool = False
) -> list[str]:
    """The procedure steps that record consent (their effect is `record_consent`) which
    `actor` may take on the case now: signing the form takes the first of them. With
    `once_signed`, those they could take once the form is signed (a step guarded by
    `consent_form_signed`): what decides whether their page offers the form."""
    procedure = procedure_of(case)
    assuming = frozenset({Guard.CONSENT_FORM_SIGNED}) if once_signed else frozenset()
    return [
        key
        for key in allowed_steps(case, actor, now, assuming=assuming)
        if Effect.RECORD_CONSENT in procedure.transitions[key].effects
    ]


def sign_and_record(
    case_id: int,
    actor: User,
    *,
    form_version: int,
    typed_name: str,
    ticked: bool,
    ip_address: str | None,
    now: dt.datetime,
    share: tuple[str, ...] = (),
) -> Consent:
    """The complainant signs the form and, where the case is waiting for consent and
    the procedure lets the complainant record it, the case moves on at once (one
    transaction: both or neither)."""
    with transaction.atomic():
        signed = sign(
            case_id,
            actor,
            form_version=form_version,
            typed_name=typed_name,
            ticked=ticked,
            ip_address=ip_address,
            now=now,
            share=share,
        )
        case = Case.objects.select_related("organisation", "complainant").get(pk=case_id)
        steps = consent_steps(case, actor, now)
        if steps:
            take_step(case_id, actor, steps[0], StepRequest(), now=now)
    return signed


def withdraw(case_id: int, actor: User, *, reason: str, now: dt.datetime) -> Case:
    """The complainant withdraws consent: records can no longer be requested; every
    open records request is withdrawn and the business is told so in its thread (it
    learns nothing else: not the complainant's reason)."""
    with transaction.atomic():
        case = lock_case(case_id)
        require(withdraw_consent_refusal(standing(actor, case)))
        live = Consent.objects.filter(case=case, withdrawn_at__isnull=True)
        live.update(withdrawn_at=now, withdrawal_reason=reason.strip())
        apply_effect(case, Effect.WITHDRAW_CONSENT, now)
        open_requests = RecordsRequest.objects.filter(
            case=case, fulfilled_at__isnull=True, withdrawn_at__isnull=True
        )
        withdrawn = list(open_requests.values_list("pk", flat=True))
        open_requests.update(withdrawn_at=now)
        data: dict[str, object] = {"records_requests_withdrawn": withdrawn}
        if open_to_respondent(case):
            notice = post_notice(case, Party.RESPONDENT, WITHDRAWN_NOTICE, now=now)
            data["respondent_told"] = notice.pk
        append_event(
            case,
            kind=EventKind.CONSENT_WITHDRAWN,
            at=now,
            actor=actor,
            actor_role=Role.COMPLAINANT.value,
            reason=reason.strip(),
            data=data,
        )
        case.save()
    return case


def request_records(
    case_id: int, actor: User, *, what: str, due_on: dt.date, now: dt.datetime
) -> RecordsRequest:
    """Ask the respondent for its records, by a date; refused without valid consent."""
    what = what.strip()
    if not what:
        raise InvalidAction("say which records are needed", field="what")
    with transaction.atomic():
        case = lock_case(case_id)
        st = standing(actor, case)
        require(records_request_refusal(st))
        assert st.role is not None
        role = st.role
        if due_on < now.date():
            raise InvalidAction("the due date is in the past", field="due_on")
        opened = reach_respondent(case, now)
        request = RecordsRequest.objects.create(
            case=case, requested_by=actor, requested_at=now, what=what, due_on=due_on
        )
        append_event(
            case,
            kind=EventKind.RECORDS_REQUESTED,
            at=now,
            actor=actor,
            actor_role=role.value,
            data={
                "request": request.pk,
                "due_on": due_on.isoformat(),
                **({"opened_to_respondent": True} if opened else {}),
            },
        )
        case.save(update_fields=["event_count", "updated_at"])
    return request


def fulfil_records_request(
    case_id: int, actor: User, request_id: int, *, now: dt.datetime
) -> RecordsRequest:
    """The handler records that the respondent has supplied the records asked for."""
    with transaction.atomic():
        case = lock_case(case_id)
        st = standing(actor, case)
        request = RecordsRequest.objects.filter(pk=request_id, case=case).first()
        if request is None:
            raise InvalidAction("no such records request on this case", field="request_id")
        require(fulfil_records_refusal(st, request))
        assert st.role is not None
        role = st.role
        request.fulfilled_at = now
        request.save(update_fields=["fulfilled_at"])
        append_event(
            case,
            kind=EventKind.RECORDS_REQUESTED,
            at=now,
            actor=actor,
            actor_role=role.value,
            data={"request": request.pk, "fulfilled": True},
        )
        case.save(update_fields=["event_count", "updated_at"])
    return request
