"""A few demo cases in different stages, made through the real actions."""

from __future__ import annotations

import datetime as dt

from accord.accounts.models import User
from accord.cases import actions, engine, intake
from accord.cases.choices import Channel, Source
from accord.cases.models import Case
from accord.organisations.models import Business, Organisation


def _complaint(description: str, **extra: object) -> intake.Complaint:
    return intake.Complaint(
        complainant=intake.ComplainantDetails(name="Alex Morgan", email="alex@example.com"),
        description=description,
        desired_outcome="An apology and a refund.",
        **extra,  # type: ignore[arg-type]
    )


def _steps(case: Case, actor: User, steps: list[str], now: dt.datetime, **reasons: str) -> Case:
    for step in steps:
        case = engine.take_step(
            case.pk, actor, step, engine.StepRequest(reason=reasons.get(step, "")), now=now
        )
    return case


def create_demo_cases(now: dt.datetime) -> int:
    """Create the demo cases unless there are cases already; return how many were made."""
    from accord.mediation.opening import open_to_respondent

    if Case.objects.exists():
        return 0
    complainant = User.objects.get(username="complainant")
    made = 0

    occs = Organisation.objects.get(slug="occs")
    handler = User.objects.get(username="occs-handler")
    senior = User.objects.get(username="occs-senior-handler")
    practice = Business.objects.filter(organisation=occs).order_by("pk").first()
    assert practice is not None
    earlier = now - dt.timedelta(days=12)
    new, _ = intake.receive_complaint(
        occs,
        _complaint(
            "My new glasses give me headaches and the practice will not remake them.",
            channel=Channel.WEB_FORM,
            respondent_id=practice.pk,
        ),
        now=now,
    )
    new.complainant.user = complainant
    new.complainant.save()
    consent, _ = intake.receive_complaint(
        occs,
        _complaint(
            "I was charged for an eye test I was told was free.",
            channel=Channel.EMAIL,
            respondent_id=practice.pk,
            source=Source.REGULATOR,
        ),
        now=earlier,
    )
    actions.assign(consent.pk, handler, handler=handler, now=earlier)
    _steps(consent, handler, ["confirm_complaint", "accept_for_mediation"], earlier)
    # Accepted for mediation: the mediator opens it to the practice (the newest case is
    # not yet known to the practice).
    open_to_respondent(consent.pk, handler, now=earlier)
    senior_case, _ = intake.receive_complaint(
        occs,
        _complaint(
            "The contact lenses supplied were the wrong prescription.",
            channel=Channel.PHONE,
            respondent_id=practice.pk,
        ),
        now=earlier,
    )
    actions.assign(senior_case.pk, handler, handler=handler, now=earlier)
    _steps(
        senior_case,
        handler,
        [
            "confirm_complaint",
            "accept_for_mediation",
            "record_consent",
            "gather_information",
            "begin_review",
            "record_no_agreement",
            "refer_to_senior_mediator",
        ],
        earlier,
    )
    open_to_respondent(senior_case.pk, handler, now=earlier)
    actions.assign(senior_case.pk, senior, handler=senior, now=earlier)
    made += 3

    optimised = Organisation.objects.get(slug="optimised")
    o_handler = User.objects.get(username="optimised-handler")
    phoned, _ = intake.receive_complaint(
        optimised,
        _complaint(
            "Our invoices have been wrong three months running.",
            channel=Channel.PHONE,
            issue_arose_on=(now - dt.timedelta(days=3)).date(),
        ),
        now=now,
        actor=o_handler,
        actor_role="handler",
    )
    late, _ = intake.receive_complaint(
        optimised,
        _complaint(
            "The engineer missed the appointment last month.",
            channel=Channel.WEB_FORM,
            issue_arose_on=(now - dt.timedelta(days=40)).date(),
        ),
        now=now,
    )
    escalated, _ = intake.receive_complaint(
        optimised,
        _complaint("The proposed credit does not cover our losses.", channel=Channel.EMAIL),
        now=earlier,
    )
    actions.assign(escalated.pk, o_handler, handler=o_handler, now=earlier)
    _steps(escalated, o_handler, ["acknowledge", "propose_resolution", "escalate"], earlier)
    made += 3

    ocasa = Organisation.objects.get(slug="ocasa")
    c_handler = User.objects.get(username="ocasa-handler")
    c_senior = User.objects.get(username="ocasa-senior-handler")
    stage1, _ = intake.receive_complaint(
        ocasa, _complaint("The deposit has not been returned.", channel=Channel.EMAIL), now=now
    )
    stage2, _ = intake.receive_complaint(
        ocasa,
        _complaint("Repairs reported in March are still not done.", channel=Channel.EMAIL),
        now=earlier,
    )
    actions.assign(stage2.pk, c_handler, handler=c_handler, now=earlier)
    _steps(stage2, c_handler, ["acknowledge", "send_stage1_response", "request_stage2"], earlier)
    actions.assign(stage2.pk, c_senior, handler=c_senior, now=now)
    _steps(stage2, c_senior, ["acknowledge_stage2"], now)
    made += 2
    del phoned, late, stage1, new
    return made
