"""An organisation's own procedure: copied from a shipped pack into a draft, edited in
forms and as YAML (every fault against its field), tried in the date simulator,
published as versions that never change, and followed by complaints received after."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from html import unescape
from typing import Any

import pytest
import time_machine
import yaml
from django.contrib.auth.models import Permission
from django.test import Client

from accord.accounts.models import User
from accord.cases.models import Case
from accord.letters.models import Letter
from accord.organisations.models import Organisation
from accord.procedures.faults import locate
from accord.procedures.models import OwnProcedure, OwnVersion, PublishedVersionIsFinal
from accord.procedures.registry import registry
from accord.quality.models import ProcedureRevision
from tests.conftest import ApiClient, london, make_staff, verified_client

pytestmark = pytest.mark.django_db

NOW = london(2026, 3, 2, 9)


def key() -> str:
    return secrets.token_urlsafe(24)


@pytest.fixture
def acme() -> Organisation:
    return Organisation.objects.create(
        slug="acme",
        name="Acme Homes",
        kind="in_house",
        nation="NIR",
        reference_prefix="ACM",
        procedure_key="housing-ombudsman",
    )


@pytest.fixture
def admin(acme: Organisation) -> User:
    return make_staff(acme, "administrator", "Ada")


@pytest.fixture
def client(admin: User) -> Client:
    return verified_client(admin)


def start(client: Client, source: str = "housing-ombudsman@1") -> OwnProcedure:
    with time_machine.travel(NOW, tick=False):
        response = client.post(
            "/staff/settings/procedure/drafts/", {"source": source, "submission_key": key()}
        )
    assert response.status_code == 303, response.content.decode()[:500]
    return OwnProcedure.objects.get(pk=int(response["Location"].rstrip("/").split("/")[-1]))


def item_url(draft: OwnProcedure, section: str, item: str = "") -> str:
    base = f"/staff/settings/procedure/drafts/{draft.pk}/edit/{section}/"
    return base + (f"{item}/" if item else "")


def form_values(html: str) -> dict[str, Any]:
    """What the browser would send back for the form as shown (inputs, checked boxes,
    selected options, textareas)."""
    data: dict[str, Any] = {}
    for tag in re.findall(r"<input[^>]*>", html):
        name = re.search(r'name="([^"]+)"', tag)
        if not name or name.group(1) in {"csrfmiddlewaretoken"}:
            continue
        kind = re.search(r'type="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if kind and kind.group(1) in {"checkbox", "radio"}:
            if " checked" in tag:
                data.setdefault(name.group(1), []).append(value.group(1) if value else "on")
        elif kind and kind.group(1) == "submit":
            continue
        else:
            data[name.group(1)] = unescape(value.group(1)) if value else ""
    for name, body in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', html, re.S):
        data[name] = unescape(body.strip("\n"))
    for name, body in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', html, re.S):
        chosen = re.findall(r'<option value="([^"]*)"[^>]*selected', body)
        if chosen:
            data[name] = chosen[0]
    return data


def test_a_copy_is_a_draft_in_the_organisations_namespace(
    acme: Organisation, client: Client
) -> None:
    draft = start(client)
    assert draft.key == "acme:housing-ombudsman"
    data = yaml.safe_load(draft.draft)
    assert data["key"] == "acme:housing-ombudsman"
    assert data["clocks"]["stage1_response"]["amount"] == 10
    page = client.get(f"/staff/settings/procedure/drafts/{draft.pk}/").content.decode()
    assert "The draft passes every check" in page
    assert "Within 10 working days of" in page  # the plain-English rendering
    # Nothing changed for complaints.
    acme.refresh_from_db()
    assert acme.procedure_key == "housing-ombudsman"
    assert "acme:housing-ombudsman" not in registry().keys()  # noqa: SIM118 (a Registry)


def test_another_organisations_procedure_cannot_be_copied(
    acme: Organisation, client: Client
) -> None:
    response = client.post(
        "/staff/settings/procedure/drafts/",
        {"source": "other:housing-ombudsman@1", "submission_key": key()},
    )
    assert response.status_code == 303
    assert not OwnProcedure.objects.exists()


def test_a_time_limit_is_changed_in_its_form(client: Client) -> None:
    draft = start(client)
    url = item_url(draft, "clocks", "stage1_response")
    page = client.get(url)
    assert page.status_code == 200
    values = form_values(page.content.decode())
    assert values["amount"] == "10"
    assert values["starts_on"] == ["acknowledge_stage1"]
    response = client.post(url, {**values, "amount": "15"})
    assert response.status_code == 303, response.content.decode()[:3000]
    draft.refresh_from_db()
    clock = yaml.safe_load(draft.draft)["clocks"]["stage1_response"]
    assert clock["amount"] == 15
    assert clock["extension_cap"] == {"amount": 10, "unit": "working_days"}
    assert clock["letters_on_extension"] == ["extension_notice", "signposting"]


def test_a_fault_is_shown_against_its_field(client: Client) -> None:
    draft = start(client)
    url = item_url(draft, "transitions", "escalate")
    values = form_values(client.get(url).content.decode())
    values["roles"] = []
    response = client.post(url, values)
    html = response.content.decode()
    assert response.status_code == 200  # saved, with its fault shown
    assert re.search(r'id="id_roles_error"[^>]*>.*has no role that may take it', html)
    overview = client.get(f"/staff/settings/procedure/drafts/{draft.pk}/").content.decode()
    assert "transitions/escalate/#id_roles" in overview
    # A bad number is the form's own error, and nothing is saved.
    clock_url = item_url(draft, "clocks", "stage1_response")
    clock = form_values(client.get(clock_url).content.decode())
    bad = client.post(clock_url, {**clock, "amount": "ten"})
    assert bad.status_code == 422
    assert "Enter a whole number." in bad.content.decode()
    nul = client.post(clock_url, {**clock, "label": "Send\x00"})
    assert nul.status_code == 422
    assert "Null characters are not allowed." in nul.content.decode()


@pytest.mark.parametrize(
    ("fault", "section", "item", "field"),
    [
        ("transition 'escalate' goes to unknown stage 'nowhere'", "transitions", "escalate", "to"),
        ("clock 'x': starts_on names unknown action 'y'", "clocks", "x", "starts_on"),
        ("clock 'x' needs an amount and a unit (or due_on_input)", "clocks", "x", "amount"),
        ("clocks.x.amount: Input should be a valid integer", "clocks", "x", "amount"),
        ("stage 'old' is unreachable from 'new'", "stages", "old", ""),
        ("right 'ombudsman' names unknown step 'z'", "rights", "ombudsman", "opens_on"),
        ("name: Field required", "about", "", "name"),
        ("initial_stage 'nope' is not a stage", "about", "", "initial_stage"),
    ],
)
def test_loader_faults_are_located(fault: str, section: str, item: str, field: str) -> None:
    located = locate(fault)
    assert (located.section, located.item, located.field) == (section, item, field)


def test_the_yaml_is_saved_and_checked_by_the_loader(client: Client) -> None:
    draft = start(client)
    url = f"/staff/settings/procedure/drafts/{draft.pk}/yaml/"
    broken = draft.draft.replace("to: stage1_investigation", "to: stage9")
    assert client.post(url, {"text": broken}).status_code == 303
    page = client.get(url).content.decode()
    assert "goes to unknown stage &#x27;stage9&#x27;" in page
    assert "transitions/acknowledge_stage1/#id_to" in page
    assert client.post(url, {"text": "key: [unclosed"}).status_code == 303
    assert "not valid YAML" in client.get(url).content.decode()
    assert client.post(url, {"text": "a: &x [1, 2]\nb: [*x, *x]"}).status_code == 303
    assert "aliases (*name) are not allowed" in client.get(url).content.decode()
    nul = client.post(url, {"text": "key: a\x00"})
    assert nul.status_code == 422
    assert "NUL character" in nul.content.decode()


def simulate(client: Client, draft: OwnProcedure, **params: str) -> str:
    response = client.get(f"/staff/settings/procedure/drafts/{draft.pk}/simulate/", params)
    assert response.status_code == 200, response.content.decode()[:3000]
    return response.content.decode()


def due_of(html: str, clock: str) -> str:
    found = re.search(rf'data-clock="{clock}">.*?<strong class="due">([^<]+)</strong>', html, re.S)
    assert found, clock
    return found.group(1)


def test_the_simulator_counts_northern_ireland_bank_holidays(client: Client) -> None:
    draft = start(client)
    # Received Tuesday 10 March 2026: 5 working days, skipping St Patrick's Day (17 March).
    params = {"nation": "NIR", "received_on": "2026-03-10", "received_time": "10:00"}
    html = simulate(client, draft, **params)
    assert due_of(html, "stage1_acknowledgement") == "by the end of Wednesday 18 March 2026"
    assert "Skipped Tuesday 17 March 2026: Saint Patrick&#x27;s Day." in html
    england = simulate(client, draft, **{**params, "nation": "ENG"})
    assert due_of(england, "stage1_acknowledgement") == "by the end of Tuesday 17 March 2026"
    # Acknowledged on 18 March: 10 working days from then.
    steps = {"step_1": "acknowledge_stage1", "on_1": "2026-03-18", "time_1": "11:00"}
    html = simulate(client, draft, **params, **steps)
    assert due_of(html, "stage1_response") == "by the end of Wednesday 1 April 2026"
    wrong = simulate(client, draft, **params, step_1="escalate", on_1="2026-03-18")
    assert "cannot be taken from" in wrong
    bad = client.get(
        f"/staff/settings/procedure/drafts/{draft.pk}/simulate/",
        {**params, "received_on": "2026-02-31", "step_1": "nope"},
    )
    assert bad.status_code == 422


def publish(client: Client, draft: OwnProcedure, **overrides: Any) -> Any:
    data = {
        "summary": "Stage 1 response in 15 working days.",
        "approved_by": "",
        "self_approval_reason": "",
        "effective_from": NOW.date().isoformat(),
        "use_now": "on",
        "submission_key": key(),
    }
    data.update(overrides)
    with time_machine.travel(NOW, tick=False):
        return client.post(f"/staff/settings/procedure/drafts/{draft.pk}/publish/", data)


def complain(slug: str, at: dt.datetime) -> Case:
    sender = Client()
    with time_machine.travel(at - dt.timedelta(minutes=1), tick=False):
        html = sender.get(f"/{slug}/complain/").content.decode()
    token = re.search(r'name="form_token" value="([^"]+)"', html)
    assert token is not None
    with time_machine.travel(at, tick=False):
        response = sender.post(
            f"/{slug}/complain/",
            {
                "description": "The boiler has not been repaired.",
                "desired_outcome": "A repair.",
                "share_information": "yes",
                "name": "Alex Morgan",
                "email": "alex@example.com",
                "form_token": token.group(1),
            },
        )
    assert response.status_code in (302, 303), response.content.decode()[:2000]
    return Case.objects.filter(organisation__slug=slug).latest("pk")


def test_publishing_makes_a_version_complaints_follow(
    acme: Organisation, admin: User, client: Client
) -> None:
    draft = start(client)
    draft.draft = draft.draft.replace("amount: 5\n", "amount: 7\n", 1)
    draft.save()
    # The author may not approve their own version without saying why.
    refused = publish(client, draft)
    assert refused.status_code == 422
    assert "Someone other than you approves it" in refused.content.decode()
    assert publish(client, draft, effective_from="2026-03-01").status_code == 422  # the past
    manager = make_staff(acme, "manager", "Mo")
    assert publish(client, draft, approved_by=str(manager.pk)).status_code == 303
    version = OwnVersion.objects.get(procedure=draft)
    assert version.version == 1
    assert version.approved_by == manager
    acme.refresh_from_db()
    assert acme.procedure_key == "acme:housing-ombudsman"
    procedure = registry().in_force("acme:housing-ombudsman", NOW.date())
    assert procedure.clocks["stage1_acknowledgement"].amount == 7
    assert procedure.revisions[-1].approved_by == (manager.get_full_name() or manager.username)
    assert ProcedureRevision.objects.get(organisation=acme, procedure_key=draft.key).version == "1"

    case = complain("acme", london(2026, 3, 10, 10))
    assert (case.procedure_key, case.procedure_version) == ("acme:housing-ombudsman", 1)
    clock = case.clocks.get(key="stage1_acknowledgement")
    # 7 working days from Tuesday 10 March, skipping St Patrick's Day: Friday 20 March.
    assert clock.due_at == london(2026, 3, 21)

    # A published version never changes.
    with pytest.raises(PublishedVersionIsFinal):
        version.save()
    with pytest.raises(PublishedVersionIsFinal):
        OwnVersion.objects.filter(pk=version.pk).update(text="changed")
    with pytest.raises(PublishedVersionIsFinal):
        version.delete()

    # A second version: the case stays on the first.
    draft.refresh_from_db()
    draft.draft = draft.draft.replace("amount: 7\n", "amount: 4\n", 1)
    draft.save()
    assert publish(client, draft, self_approval_reason="I am the only manager.").status_code == 303
    second = registry().in_force("acme:housing-ombudsman", NOW.date())
    assert second.version == 2
    assert second.revisions[-1].approved_by == "self-approved: I am the only manager."
    assert [r.version for r in second.revisions] == ["1", "2"]
    case.refresh_from_db()
    assert case.procedure_version == 1
    diff = client.get(
        f"/staff/settings/procedure/drafts/{draft.pk}/diff/", {"from": "1", "to": "2"}
    ).content.decode()
    assert re.search(r'diff-removed">.*?-    amount: 7', diff)
    assert re.search(r'diff-added">.*?\+    amount: 4', diff)
    assert (
        client.get(f"/staff/settings/procedure/drafts/{draft.pk}/diff/", {"from": "9"}).status_code
        == 404
    )


def test_the_parties_wording_travels_with_a_copy_and_is_checked(client: Client) -> None:
    draft = start(client, "lettings@3")
    wording = yaml.safe_load(draft.draft)["wording"]
    assert wording["stages"]  # the pack's wording file, folded into the draft
    added = client.post(
        item_url(draft, "stages"), {"key": "stage3_review", "label": "Stage 3 - review"}
    )
    assert added.status_code == 303
    overview = client.get(f"/staff/settings/procedure/drafts/{draft.pk}/").content.decode()
    assert "no party wording for &#x27;stage3_review&#x27;" in overview
    assert "edit/wording/#id_wording" in overview
    page = client.get(item_url(draft, "wording"))
    html = page.content.decode()
    assert re.search(r'id="id_wording_error"[^>]*>.*no party wording', html)
    text = form_values(html)["wording"]
    fixed = text.replace(
        "stages:\n", "stages:\n  stage3_review: Your complaint is being reviewed.\n", 1
    )
    response = client.post(item_url(draft, "wording"), {"wording": fixed})
    assert response.status_code == 303, response.content.decode()[:3000]
    draft.refresh_from_db()
    stages = yaml.safe_load(draft.draft)["wording"]["stages"]
    assert stages["stage3_review"] == "Your complaint is being reviewed."
    assert client.post(item_url(draft, "wording"), {"wording": "stages: [x"}).status_code == 422


def test_another_organisations_administrator_sees_nothing_of_a_draft(client: Client) -> None:
    draft = start(client)
    other = Organisation.objects.create(
        slug="other",
        name="Other Homes",
        kind="in_house",
        nation="ENG",
        reference_prefix="OTH",
        procedure_key="housing-ombudsman",
    )
    stranger = verified_client(make_staff(other, "administrator", "Sam"))
    base = f"/staff/settings/procedure/drafts/{draft.pk}/"
    for path in ("", "yaml/", "edit/clocks/", "simulate/", "publish/", "diff/"):
        assert stranger.get(base + path).status_code == 404, path
    assert stranger.post(base + "yaml/", {"text": "key: x"}).status_code == 404
    handler = verified_client(make_staff(draft.organisation, "handler", "Hal"))
    assert handler.get(base).status_code == 403


def test_a_letters_own_wording_is_edited_on_its_page_and_is_what_is_sent(
    acme: Organisation, admin: User, client: Client
) -> None:
    """A letter's page edits its kind, subject and text (the draft's wording of it);
    a fault in them is shown on their field; the published version's letter is sent in
    those words, and no other organisation's administrator sees them."""
    draft = start(client, "housing-ombudsman@2")
    url = item_url(draft, "letters", "stage1_acknowledgement")
    values = form_values(client.get(url).content.decode())
    assert (values["kind"], values["subject"], values["body"]) == ("acknowledgement", "", "")
    broken = client.post(url, {**values, "subject": "Received {% if %}", "body": "Thanks."})
    assert broken.status_code == 200
    assert re.search(
        r'id="id_subject_error"[^>]*>(<[^>]*>[^<]*</span>)?\s*Not valid template text',
        broken.content.decode(),
    )
    subject = "Acme Homes has your complaint ({{ case.reference }})"
    body = "We have logged your complaint as {{ case.reference }}.\n\n{{ next_steps }}"
    saved = client.post(url, {**values, "subject": subject, "body": body})
    assert saved.status_code == 303, saved.content.decode()[:3000]
    draft.refresh_from_db()
    declared = yaml.safe_load(draft.draft)["wording"]["letters"]["stage1_acknowledgement"]
    assert declared == {"kind": "acknowledgement", "subject": subject, "body": body}
    assert publish(client, draft, self_approval_reason="I am the only manager.").status_code == 303

    case = complain("acme", london(2026, 3, 10, 10))
    handler = make_staff(acme, "handler", "Hal")
    api = ApiClient(handler)
    with time_machine.travel(london(2026, 3, 10, 11), tick=False):
        assert api.post(f"/cases/{case.reference}/assign", {"handler": handler.username})
        taken = api.step(
            case.reference, "acknowledge_stage1", data={"definition": "The boiler repair."}
        )
    assert taken.status_code == 200, taken.content
    letter = Letter.objects.get(case=case, name="stage1_acknowledgement")
    assert letter.subject == f"Acme Homes has your complaint ({case.reference})"
    assert f"We have logged your complaint as {case.reference}." in letter.text
    assert letter.template.procedure_key == "acme:housing-ombudsman"

    # Removing the letter takes what the wording says of it along.
    client.post(url, {"delete": "1"})
    draft.refresh_from_db()
    assert "stage1_acknowledgement" not in yaml.safe_load(draft.draft)["wording"]["letters"]

    # Kept as a default under Acme's own procedure: no other organisation sees it.
    other = Organisation.objects.create(
        slug="other",
        name="Other Homes",
        kind="in_house",
        nation="ENG",
        reference_prefix="OTH",
        procedure_key="housing-ombudsman",
    )
    for organisation in (acme, other):
        administrator = make_staff(organisation, "administrator", f"Admin {organisation.slug}")
        administrator.is_staff = True
        administrator.save()
        administrator.user_permissions.add(
            *Permission.objects.filter(content_type__app_label="letters")
        )
        listed = verified_client(administrator).get("/admin/letters/lettertemplate/")
        assert listed.status_code == 200
        shown = "acme:housing-ombudsman" in listed.content.decode()
        assert shown is (organisation == acme), organisation.slug


def test_a_blank_draft_passes_every_check_and_its_letter_takes_its_own_words(
    acme: Organisation, admin: User, client: Client
) -> None:
    from accord.procedures import own

    draft = own.start_draft(acme, admin, source=None, now=NOW)
    assert own.check(draft, today=NOW.date()).faults == ()
    url = item_url(draft, "letters", "final_response")
    values = form_values(client.get(url).content.decode())
    saved = client.post(
        url, {**values, "subject": "Our answer ({{ case.reference }})", "body": "{{ outcome }}"}
    )
    assert saved.status_code == 303, saved.content.decode()[:3000]
    draft.refresh_from_db()
    checked = own.check(draft, today=NOW.date())
    assert checked.faults == ()
    assert checked.procedure is not None
    assert checked.procedure.wording is not None
    assert checked.procedure.wording.letters["final_response"].subject.startswith("Our answer")
