"""The default wording of every letter kind. Loaded by the letters migrations (and by
`ensure_default_templates()`, which `seed_demo` may call: it adds only what is missing
or changed, as a new version). Administrators edit them in the admin, which saves new
versions. A procedure's own wording for one of its letters is declared in the pack's
wording (`letters.<name>.subject/body`), never here.

The layout (`templates/letters/letter.*`) adds the letterhead, the address block, the
date and reference, "Dear <name>," and the signatory; a body says only what the letter
is for. Shipped bodies go through the translation catalogue when rendered.
"""

from __future__ import annotations

from typing import Any

from accord.letters.kinds import LetterKind, kind_of

# The body a letter may send the complainant to, with its real time limit. `body` is in
# the context only once the procedure allows it (a right open to the complainant now)
# or where the letter declares the body it signposts.
SIGNPOST = """{% if body %}If you remain dissatisfied, you can take your complaint to {{ body.name }}.{% if body.website %}
Website: {{ body.website }}{% endif %}{% if body.email %}
E-mail: {{ body.email }}{% endif %}{% if body.phone %}
Telephone: {{ body.phone }}{% endif %}{% if body.address %}
Address: {{ body.address }}{% endif %}{% if body.time_limit %}

{{ body.time_limit }}{% endif %}{% endif %}"""
# What happens next and by when, in the reader's words (the pack's party wording).
NEXT = "{% if next_steps %}What happens next: {{ next_steps }}{% endif %}"
OPTIONS = """{% if options %}What you can do now:{% for option in options %}
- {{ option }}{% endfor %}

Please let us know which you choose, quoting {{ case.reference }}.{% endif %}"""
CONTACT_US = (
    "{% if organisation.complaints_email %}{{ organisation.complaints_email }}"
    "{% elif organisation.email %}{{ organisation.email }}{% endif %}"
    "{% if organisation.phone %} or telephone {{ organisation.phone }}{% endif %}"
)


def _join(*paragraphs: str) -> str:
    return "\n\n".join(paragraphs)


# kind -> (subject, body)
DEFAULTS: dict[LetterKind, tuple[str, str]] = {
    LetterKind.ACKNOWLEDGEMENT: (
        "We have received your complaint ({{ case.reference }})",
        _join(
            "Thank you for contacting {{ organisation.name }}. We received your complaint on "
            "{{ case.received_on }}. Its reference is {{ case.reference }}: please quote it "
            "whenever you contact us.",
            NEXT,
        ),
    ),
    LetterKind.VERBAL_SUMMARY: (
        "Please confirm our summary of your complaint ({{ case.reference }})",
        _join(
            "Thank you for telling us about your complaint ({{ case.reference }}).",
            "This is our summary of what you told us:\n{{ summary }}",
            "{% if case.desired_outcome %}What you would like to happen: "
            "{{ case.desired_outcome }}{% endif %}",
            "Please confirm that this summary is correct, or tell us what to change.",
        ),
    ),
    LetterKind.HOLDING_RESPONSE: (
        "An update on your complaint ({{ case.reference }})",
        _join(
            "We have not yet been able to complete our response to your complaint "
            "({{ case.reference }}), and we are sorry for the wait.",
            "Why we need more time: {{ reason }}",
            "We expect to send you our response by {{ anticipated_date }}.",
            SIGNPOST,
        ),
    ),
    LetterKind.PROPOSED_RESOLUTION: (
        "Our proposed resolution ({{ case.reference }})",
        _join(
            "Having looked into your complaint ({{ case.reference }}), we propose the following:"
            "\n{{ remedy }}",
            "By when: {{ timeframe }}",
            "Please let us know whether you accept this proposal. If you are not happy with "
            "it, you can ask for your complaint to be escalated.",
        ),
    ),
    LetterKind.PROGRESS_UPDATE: (
        "Progress on your complaint ({{ case.reference }})",
        _join(
            "We are writing to keep you informed about your complaint ({{ case.reference }}).",
            "Progress so far: {{ update }}",
            NEXT,
        ),
    ),
    LetterKind.ESCALATION_ACKNOWLEDGEMENT: (
        "Your complaint has been escalated ({{ case.reference }})",
        _join(
            "Your complaint ({{ case.reference }}) has been escalated and will be reviewed by "
            "someone who has not dealt with it before.",
            "{% if reason %}Why: {{ reason }}{% endif %}",
            NEXT,
        ),
    ),
    LetterKind.NOTICE_OF_REFERRAL: (
        "Referral to a senior mediator ({{ case.reference }})",
        _join(
            "The complaint ({{ case.reference }}) between {{ complainant.name }} and "
            "{{ respondent.name }} has been passed to a senior mediator, who will consider "
            "its circumstances and then come back to both parties.",
            NEXT,
        ),
    ),
    LetterKind.STAGE_RESPONSE: (
        "Our response to your complaint ({{ case.reference }})",
        _join(
            "We have looked into your complaint ({{ case.reference }}).",
            "What we found: {{ findings }}",
            "Our decision: {{ outcome }}",
            "What we will do to put things right: {{ remedy }}",
            "If you are not satisfied, you can ask for your complaint to be escalated. To do "
            "so, contact us at " + CONTACT_US + ", quoting {{ case.reference }}.",
        ),
    ),
    LetterKind.FINAL_RESPONSE: (
        "Our final response to your complaint ({{ case.reference }})",
        _join(
            "This is our final response to your complaint ({{ case.reference }}).",
            "What we found: {{ findings }}",
            "{{ outcome }}",
            "What we will do to put things right: {{ remedy }}",
            "{% if reason %}{{ reason }}{% endif %}",
            SIGNPOST,
        ),
    ),
    LetterKind.SUMMARY_RESOLUTION: (
        "Your complaint has been resolved ({{ case.reference }})",
        _join(
            "Thank you for accepting our resolution of your complaint ({{ case.reference }}). "
            "We now consider it resolved.",
            "{% if body %}If you later become dissatisfied, you may be able to refer your "
            "complaint to {{ body.name }}{% if body.website %} ({{ body.website }}){% endif %}"
            "{% if body.phone %}, telephone {{ body.phone }}{% endif %}.{% endif %}",
        ),
    ),
    LetterKind.DEADLOCK: (
        "We have not been able to reach agreement ({{ case.reference }})",
        _join(
            "We have not been able to resolve your complaint ({{ case.reference }}) to your "
            "satisfaction, and this letter sets out what you can do next.",
            "Why: {{ reason }}",
            OPTIONS,
            SIGNPOST,
        ),
    ),
    LetterKind.CONCLUSION: (
        "The complaint is concluded without agreement ({{ case.reference }})",
        _join(
            "We have not been able to reach an agreement on the complaint ({{ case.reference }}) "
            "between {{ complainant.name }} and {{ respondent.name }}, and our process is now "
            "concluded.",
            "Why: {{ reason }}",
            SIGNPOST,
        ),
    ),
    LetterKind.SIGNPOSTING: (
        "Where you can take your complaint ({{ case.reference }})",
        _join(
            "We are writing about your complaint ({{ case.reference }}).",
            "{{ signposting_reason }}",
            SIGNPOST,
        ),
    ),
    LetterKind.EXTENSION_NOTICE: (
        "We need more time on your complaint ({{ case.reference }})",
        _join(
            "We need more time to deal with your complaint ({{ case.reference }}), and we are "
            "sorry for the wait.",
            "Why: {{ reason }}",
            "{% if next_clock %}We will now send you our response by "
            "{{ next_clock.due_date }}.{% endif %}",
            SIGNPOST,
        ),
    ),
    LetterKind.DELAY_NOTICE: (
        "A delay on the complaint ({{ case.reference }})",
        _join(
            "There is a delay in gathering the information we need for the complaint "
            "({{ case.reference }}).",
            "Why: {{ reason }}",
            "We will keep you informed.",
        ),
    ),
    LetterKind.CONSENT_FORM: (
        "Consent to release your records ({{ case.reference }})",
        _join(
            "To look into your complaint ({{ case.reference }}) we need your consent for "
            "{{ respondent.name }} to release your records and the personal information "
            "about you that the complaint concerns.",
            "I, {{ complainant.name }}, consent to {{ respondent.name }} releasing my records "
            "to {{ organisation.name }} for the purpose of mediating my complaint "
            "{{ case.reference }}.",
            "Signed: ______________________    Date: ______________",
            "You can sign it on your page (follow the link in our e-mail), or sign and "
            "return this form to {{ organisation.name }}"
            "{% if organisation.email %} ({{ organisation.email }}){% endif %}. You may "
            "withdraw your consent at any time.",
        ),
    ),
    LetterKind.AGREEMENT: (
        "The agreement and its timeframe ({{ case.reference }})",
        _join(
            "The complaint ({{ case.reference }}) between {{ complainant.name }} and "
            "{{ respondent.name }} has been resolved by agreement.",
            "What was agreed, and by when:{% for term in agreement.terms %}\n- {{ term }}"
            "{% endfor %}",
            "{% if agreement.binding %}The agreement is legally binding on both parties."
            "{% endif %}",
        ),
    ),
    LetterKind.FEEDBACK_REQUEST: (
        "How did we do? ({{ case.reference }})",
        _join(
            "Your complaint ({{ case.reference }}) is now closed. We would be grateful for your "
            "feedback on how we handled it: please reply to this message or contact "
            "{{ organisation.name }}{% if organisation.email %} at {{ organisation.email }}"
            "{% endif %}.",
        ),
    ),
}


def pack_defaults() -> dict[tuple[str, LetterKind], tuple[str, str]]:
    """Each procedure's own default wording for its letters, as its packs' wording
    declares it (keyed by procedure and kind, like the templates)."""
    from accord.procedures.registry import registry

    found: dict[tuple[str, LetterKind], tuple[str, str]] = {}
    for loaded in registry().all():
        procedure = loaded.procedure
        for name, declared in (procedure.wording.letters if procedure.wording else {}).items():
            kind = kind_of(procedure, name)
            if kind is not None and declared.subject:
                found[(procedure.key, kind)] = (declared.subject, declared.body)
    return found


def all_defaults() -> dict[tuple[str, LetterKind], tuple[str, str]]:
    return {**{("", kind): text for kind, text in DEFAULTS.items()}, **pack_defaults()}


def ensure_default_templates(template_model: Any = None) -> int:
    """Create a new version of every default template that is missing or whose shipped
    wording changed; return how many. `template_model`: the historical model inside a
    migration. seed_demo may call `accord.letters.defaults.ensure_default_templates()`."""
    if template_model is None:
        from accord.letters.models import LetterTemplate

        template_model = LetterTemplate
    created = 0
    for (procedure_key, kind), (subject, body) in all_defaults().items():
        newest = (
            template_model.objects.filter(
                organisation__isnull=True, procedure_key=procedure_key, kind=kind.value
            )
            .order_by("-version")
            .first()
        )
        if newest is not None and (newest.subject, newest.body) == (subject, body):
            continue
        template_model.objects.create(
            organisation=None,
            procedure_key=procedure_key,
            kind=kind.value,
            version=(newest.version + 1) if newest is not None else 1,
            subject=subject,
            body=body,
        )
        created += 1
    return created
