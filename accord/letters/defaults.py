"""The default wording of every letter kind, and of a few kinds for one procedure.
Loaded by migration 0003 (and by `ensure_default_templates()`, which `seed_demo` may
call: it adds only what is missing). Administrators edit them in the admin, which
saves new versions."""

from __future__ import annotations

from typing import Any

from accord.letters.kinds import LetterKind

DEAR = "Dear {{ recipient.name }},"
SIGN_OFF = "Yours sincerely,\n\n{{ organisation.name }}"
SIGNPOST = """{% if body %}If you remain dissatisfied, you may refer your complaint to {{ body.name }}.{% if body.website %}
Website: {{ body.website }}{% endif %}{% if body.email %}
E-mail: {{ body.email }}{% endif %}{% if body.phone %}
Telephone: {{ body.phone }}{% endif %}{% if body.address %}
Address: {{ body.address }}{% endif %}

Time limit: {{ body.time_limit }}{% for line in right.lines %}
{{ line }}{% endfor %}{% endif %}"""
NEXT = """{% if next_clock %}The next date in your case: {{ next_clock.label }}, by {{ next_clock.due_date }}.{% for line in next_clock.lines %}
{{ line }}{% endfor %}{% endif %}"""
REF = "Reference: {{ case.reference }}"


def _join(*paragraphs: str) -> str:
    return "\n\n".join(paragraphs)


# (procedure key or "" for any, kind) -> (subject, body)
DEFAULTS: dict[tuple[str, LetterKind], tuple[str, str]] = {
    ("", LetterKind.ACKNOWLEDGEMENT): (
        "We have received your complaint ({{ case.reference }})",
        _join(
            DEAR,
            "Thank you for contacting {{ organisation.name }}. We received your complaint on "
            "{{ case.received_on }} and its reference is {{ case.reference }}. Please quote it "
            "whenever you contact us.",
            NEXT,
            SIGN_OFF,
        ),
    ),
    ("", LetterKind.VERBAL_SUMMARY): (
        "Please confirm our summary of your complaint ({{ case.reference }})",
        _join(
            DEAR,
            "Thank you for telling us about your complaint. " + REF,
            "This is our summary of what you told us:\n{{ summary }}",
            "{% if case.desired_outcome %}What you would like to happen: "
            "{{ case.desired_outcome }}{% endif %}",
            "Please confirm that this summary is correct, or tell us what to change.",
            SIGN_OFF,
        ),
    ),
    ("", LetterKind.HOLDING_RESPONSE): (
        "An update on your complaint ({{ case.reference }})",
        _join(
            DEAR,
            "We have not yet been able to complete our response to your complaint "
            "({{ case.reference }}).",
            "Why: {{ reason }}",
            "We expect to send you our response by {{ anticipated_date }}.",
            SIGNPOST,
            SIGN_OFF,
        ),
    ),
    ("", LetterKind.PROPOSED_RESOLUTION): (
        "Our proposed resolution ({{ case.reference }})",
        _join(
            DEAR,
            "Having looked into your complaint ({{ case.reference }}), we propose the following:"
            "\n{{ remedy }}",
            "Timeframe: {{ timeframe }}",
            "Please let us know whether you accept this proposal.",
            SIGN_OFF,
        ),
    ),
    ("", LetterKind.PROGRESS_UPDATE): (
        "Progress on your complaint ({{ case.reference }})",
        _join(
            DEAR,
            "We are writing to keep you informed about your complaint. " + REF,
            "Progress so far: {{ update }}",
            NEXT,
            SIGN_OFF,
        ),
    ),
    ("", LetterKind.ESCALATION_ACKNOWLEDGEMENT): (
        "Your complaint has been escalated ({{ case.reference }})",
        _join(
            DEAR,
            "Your complaint ({{ case.reference }}) has been escalated and will be reviewed by "
            "someone who has not handled it before.",
            "{% if reason %}Why: {{ reason }}{% endif %}",
            NEXT,
            SIGN_OFF,
        ),
    ),
    ("", LetterKind.NOTICE_OF_REFERRAL): (
        "Referral to the senior mediator ({{ case.reference }})",
        _join(
            DEAR,
            "The complaint ({{ case.reference }}) between {{ complainant.name }} and "
            "{{ respondent.name }} has been referred to a senior mediator, who will consider "
            "its circumstances and then come back to both parties.",
            NEXT,
            SIGN_OFF,
        ),
    ),
    ("", LetterKind.STAGE_RESPONSE): (
        "Our response to your complaint ({{ case.reference }})",
        _join(
            DEAR,
            "We have investigated your complaint ({{ case.reference }}).",
            "Our decision: {{ outcome }}",
            "{% if reason %}Our reasons: {{ reason }}{% endif %}",
            "If you are not satisfied, you may ask us to escalate your complaint to the next "
            "stage. To do so, contact us{% if organisation.complaints_email %} at "
            "{{ organisation.complaints_email }}{% elif organisation.email %} at "
            "{{ organisation.email }}{% endif %}{% if organisation.phone %} or telephone "
            "{{ organisation.phone }}{% endif %}, quoting {{ case.reference }}.",
            SIGN_OFF,
        ),
    ),
    ("", LetterKind.FINAL_RESPONSE): (
        "Our final response to your complaint ({{ case.reference }})",
        _join(
            DEAR,
            "This is our final response to your complaint ({{ case.reference }}).",
            "Outcome: {{ outcome }}",
            "{% if reason %}Our reasons: {{ reason }}{% endif %}",
            SIGNPOST,
            SIGN_OFF,
        ),
    ),
    ("", LetterKind.SUMMARY_RESOLUTION): (
        "Your complaint has been resolved ({{ case.reference }})",
        _join(
            DEAR,
            "Thank you for accepting our resolution of your complaint ({{ case.reference }}). "
            "We now consider it resolved.",
            "{% if body %}If you later become dissatisfied, you may be able to refer your "
            "complaint to {{ body.name }}{% if body.website %} ({{ body.website }}){% endif %}"
            "{% if body.phone %}, telephone {{ body.phone }}{% endif %}.{% endif %}",
            SIGN_OFF,
        ),
    ),
    ("", LetterKind.DEADLOCK): (
        "We have not been able to agree ({{ case.reference }})",
        _join(
            DEAR,
            "We have not been able to resolve your complaint ({{ case.reference }}) to your "
            "satisfaction, and this letter sets out your options.",
            "{% if reason %}Why: {{ reason }}{% endif %}",
            SIGNPOST,
            SIGN_OFF,
        ),
    ),
    ("", LetterKind.CONCLUSION): (
        "The complaint is concluded without agreement ({{ case.reference }})",
        _join(
            DEAR,
            "We have not been able to reach an agreement on the complaint ({{ case.reference }}) "
            "between {{ complainant.name }} and {{ respondent.name }}, and our process is now "
            "concluded.",
            "Why: {{ reason }}",
            SIGN_OFF,
        ),
    ),
    ("", LetterKind.SIGNPOSTING): (
        "Where you can take your complaint ({{ case.reference }})",
        _join(DEAR, "About your complaint ({{ case.reference }}):", SIGNPOST, SIGN_OFF),
    ),
    ("", LetterKind.EXTENSION_NOTICE): (
        "We need more time on your complaint ({{ case.reference }})",
        _join(
            DEAR,
            "We need more time to deal with your complaint ({{ case.reference }}).",
            "Why: {{ reason }}",
            NEXT,
            SIGNPOST,
            SIGN_OFF,
        ),
    ),
    ("", LetterKind.DELAY_NOTICE): (
        "A delay on the complaint ({{ case.reference }})",
        _join(
            DEAR,
            "There is a delay in gathering the information we need for the complaint "
            "({{ case.reference }}).",
            "Why: {{ reason }}",
            "We will keep you informed.",
            SIGN_OFF,
        ),
    ),
    ("", LetterKind.CONSENT_FORM): (
        "Consent to release your records ({{ case.reference }})",
        _join(
            DEAR,
            "To look into your complaint ({{ case.reference }}) we need your consent for "
            "{{ respondent.name }} to release your records and the personal information "
            "about you that the complaint concerns.",
            "I, {{ complainant.name }}, consent to {{ respondent.name }} releasing my records "
            "to {{ organisation.name }} for the purpose of mediating my complaint "
            "{{ case.reference }}.",
            "Signed: ______________________    Date: ______________",
            "Please sign and return this form to {{ organisation.name }}"
            "{% if organisation.email %} ({{ organisation.email }}){% endif %}. You may "
            "withdraw your consent at any time.",
            SIGN_OFF,
        ),
    ),
    ("", LetterKind.AGREEMENT): (
        "The agreement and its timeframe ({{ case.reference }})",
        _join(
            DEAR,
            "The complaint ({{ case.reference }}) between {{ complainant.name }} and "
            "{{ respondent.name }} has been resolved by agreement.",
            "What was agreed, and by when:{% for term in agreement.terms %}\n- {{ term }}"
            "{% endfor %}",
            "{% if agreement.binding %}The agreement is legally binding on both parties."
            "{% endif %}",
            SIGN_OFF,
        ),
    ),
    ("", LetterKind.FEEDBACK_REQUEST): (
        "How did we do? ({{ case.reference }})",
        _join(
            DEAR,
            "Your complaint ({{ case.reference }}) is now closed. We would be grateful for your "
            "feedback on how we handled it: please reply to this message or contact "
            "{{ organisation.name }}{% if organisation.email %} at {{ organisation.email }}"
            "{% endif %}.",
            SIGN_OFF,
        ),
    ),
    # Procedure-specific wording.
    ("fca-disp", LetterKind.FINAL_RESPONSE): (
        "Final response to your complaint ({{ case.reference }})",
        _join(
            DEAR,
            "This is our final response to your complaint ({{ case.reference }}).",
            "Outcome: {{ outcome }}",
            "{% if reason %}Our reasons: {{ reason }}{% endif %}",
            "If you remain dissatisfied you may refer your complaint to the Financial "
            "Ombudsman Service, free of charge, but you must do so within six months of the "
            "date of this letter. If you do not refer your complaint in time, the Ombudsman "
            "will not have our permission to consider it and so will only be able to do so "
            "in very limited circumstances.",
            SIGNPOST,
            SIGN_OFF,
        ),
    ),
    ("occs-mediation", LetterKind.FINAL_RESPONSE): (
        "Closing the complaint ({{ case.reference }})",
        _join(
            DEAR,
            "We are now closing the complaint ({{ case.reference }}) between "
            "{{ complainant.name }} and {{ respondent.name }}.",
            "Outcome: {{ outcome }}",
            "{% if reason %}{{ reason }}{% endif %}",
            SIGNPOST,
            SIGN_OFF,
        ),
    ),
    ("housing-ombudsman", LetterKind.STAGE_RESPONSE): (
        "Stage 1 response to your complaint ({{ case.reference }})",
        _join(
            DEAR,
            "This is our stage 1 response to your complaint ({{ case.reference }}).",
            "Our decision: {{ outcome }}",
            "{% if reason %}Our reasons: {{ reason }}{% endif %}",
            "If you are not satisfied, you may ask for your complaint to be escalated to "
            "stage 2 by contacting us{% if organisation.complaints_email %} at "
            "{{ organisation.complaints_email }}{% elif organisation.email %} at "
            "{{ organisation.email }}{% endif %}, quoting {{ case.reference }}.",
            SIGN_OFF,
        ),
    ),
}


def ensure_default_templates(template_model: Any = None) -> int:
    """Create version 1 of every default template not yet present; return how many.
    `template_model`: the historical model inside a migration. seed_demo may call
    `accord.letters.defaults.ensure_default_templates()`."""
    if template_model is None:
        from accord.letters.models import LetterTemplate

        template_model = LetterTemplate
    created = 0
    for (procedure_key, kind), (subject, body) in DEFAULTS.items():
        exists = template_model.objects.filter(
            organisation__isnull=True, procedure_key=procedure_key, kind=kind.value
        ).exists()
        if not exists:
            template_model.objects.create(
                organisation=None,
                procedure_key=procedure_key,
                kind=kind.value,
                version=1,
                subject=subject,
                body=body,
            )
            created += 1
    return created
