"""Issue 14's journey in Chromium: the administrator of a new organisation in Northern
Ireland sets it up from the Settings pages, copies the Housing Ombudsman pack, changes a
time limit and a letter, checks three dates in the simulator (St Patrick's Day, Easter
and the Twelfth are not working days there), publishes, and a complaint made on its
public form runs under the new version with the changed dates, and its acknowledgement
is sent in the changed words. Screenshots of every Settings page at 390 and 1280 px;
axe-core on each."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.utils import timezone

from accord.accounts.models import User
from accord.cases.models import Case
from accord.letters.models import Letter
from accord.organisations.calendar import calendar_for
from accord.organisations.models import ClosureDay, ExternalBody, Organisation, Team
from accord.procedures.models import OwnVersion
from accord.workdays.deadlines import Unit, add_amount
from tests.browser.conftest import (
    assert_accessible,
    fill_date,
    person,
    press,
    screenshot,
    sign_in,
)
from tests.conftest import ApiClient

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _quick_forms(settings: Any) -> None:
    settings.ACCORD_FORM_MIN_SECONDS = 0


def look(page: Any, name: str) -> None:
    """axe-core, and a screenshot at a phone's width and a desktop's."""
    assert_accessible(page, name)
    for width in (390, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        screenshot(page, f"settings-{name}-{width}")
        assert page.evaluate("document.documentElement.scrollWidth") <= width, name
    page.set_viewport_size({"width": 1280, "height": 900})


def success(page: Any) -> None:
    assert page.locator(".message-success").count() == 1, page.content()[:3000]


def due_in(page: Any, clock: str) -> str:
    return str(page.locator(f'[data-clock="{clock}"] .due').inner_text())


def test_a_new_organisation_sets_itself_up_and_publishes_its_own_procedure(
    new_context: Any,
) -> None:
    organisation = Organisation.objects.create(
        slug="lough",
        name="Lough Homes",
        kind="in_house",
        nation="ENG",
        reference_prefix="LGH",
        procedure_key="housing-ombudsman",
    )
    admin = person("lough", "administrator", "aoife-lough")
    person("lough", "manager", "mona-lough")
    context = new_context()
    context.set_default_timeout(30_000)  # a loaded machine: the journey is long
    page = sign_in(context, admin)

    page.get_by_role("link", name="Settings", exact=True).first.click()
    page.wait_for_url("**/staff/settings/")
    look(page, "index")

    # Details and working days.
    page.get_by_role("link", name="Details and working days", exact=True).first.click()
    page.get_by_label("Bank holidays of").select_option("NIR")
    page.get_by_label("Closing time").fill("16:30")
    page.get_by_label("Complaints e-mail address").fill("complaints@lough.example")
    press(page, page.get_by_role("button", name="Save the details"))
    success(page)
    look(page, "details")

    page.get_by_role("link", name="Closure days", exact=True).first.click()
    fill_date(page, "Day closed", dt.date(2027, 12, 24))
    page.get_by_label("Why").fill("Christmas Eve")
    press(page, page.get_by_role("button", name="Add the closure day"))
    success(page)
    look(page, "closures")

    page.get_by_role("link", name="Teams", exact=True).first.click()
    page.get_by_label("Team name").fill("Housing services")
    press(page, page.get_by_role("button", name="Add the team"))
    success(page)
    look(page, "teams")

    page.get_by_role("link", name="Staff", exact=True).first.click()
    page.get_by_role("link", name="Add a member of staff").click()
    page.get_by_label("First name").fill("Brendan")
    page.get_by_label("Last name").fill("Kelly")
    page.get_by_label("E-mail address").fill("brendan@lough.example")
    page.get_by_label("Username").fill("brendan")
    page.get_by_label("Role").select_option("handler")
    page.get_by_label("Housing services").check()
    page.get_by_label("First password").fill("a long enough pass phrase 42")
    press(page, page.get_by_role("button", name="Add them"))
    success(page)
    look(page, "staff")

    page.get_by_role("link", name="External bodies", exact=True).first.click()
    page.get_by_label("What it is").select_option("ombudsman")
    page.get_by_label("Name", exact=True).fill("Northern Ireland Public Services Ombudsman")
    page.get_by_label("The complainant's time limit").fill("Within 6 months of our final response.")
    page.get_by_label("Website").fill("https://nipso.org.uk")
    page.get_by_label("Phone").fill("0800 34 34 24")
    page.locator("#id_address").fill("Progressive House, 33 Wellington Place, Belfast, BT1 6HN")
    press(page, page.get_by_role("button", name="Add it"))
    success(page)
    look(page, "bodies")

    page.get_by_role("link", name="Letterhead", exact=True).first.click()
    page.get_by_label("Letterhead").fill("Lough Homes\n2 Quay Street, Enniskillen")
    page.get_by_label("Letters are signed by").fill("Aoife Byrne")
    page.get_by_label("Their role").fill("Head of Housing Services")
    press(page, page.get_by_role("button", name="Save"))
    success(page)
    look(page, "letterhead")

    organisation.refresh_from_db()
    assert organisation.signatory_name == "Aoife Byrne"
    assert organisation.nation == "NIR"
    assert organisation.closing_time == dt.time(16, 30)
    assert ClosureDay.objects.filter(organisation=organisation).count() == 1
    assert Team.objects.get(organisation=organisation).members.get().username == "brendan"
    assert ExternalBody.objects.filter(organisation=organisation).count() == 1

    # The procedure: a copy of the Housing Ombudsman pack as its own draft.
    page.get_by_role("link", name="Procedure", exact=True).first.click()
    assert page.get_by_text(
        "Housing Ombudsman Complaint Handling Code (two stages)"
    ).first.is_visible()
    look(page, "procedure")
    page.get_by_label("Start from").select_option("housing-ombudsman@2")
    press(page, page.get_by_role("button", name="Start a draft"))
    success(page)
    assert page.get_by_text("The draft passes every check").is_visible()
    draft_url = page.url

    # A time limit: acknowledge in 7 working days instead of 5.
    page.get_by_role("link", name="Time limits", exact=True).first.click()
    page.get_by_role("link", name=re.compile(r"^Acknowledge, define and log")).click()
    look(page, "draft-clock")
    page.locator("#id_amount").fill("7")
    press(page, page.get_by_role("button", name="Save"))
    success(page)

    # A letter: the stage 1 acknowledgement in Lough Homes' own words.
    page.goto(draft_url + "edit/letters/stage1_acknowledgement/")
    page.get_by_label("What it is").fill(
        "Stage 1 acknowledgement, with our understanding of the complaint, the outcomes "
        "the resident seeks and the date of our response"
    )
    page.get_by_label("Its subject").fill("Lough Homes has your complaint ({{ case.reference }})")
    page.get_by_label("Its text").fill(
        "Thank you for telling Lough Homes about your complaint, {{ case.reference }}. "
        "A member of our housing services team is looking into it.\n\n{{ next_steps }}"
    )
    look(page, "draft-letter")
    press(page, page.get_by_role("button", name="Save"))
    success(page)

    # A fault is shown on its field, and put right.
    page.goto(draft_url + "edit/transitions/escalate/")
    page.get_by_label("Handler", exact=True).uncheck()
    page.get_by_label("Senior handler", exact=True).uncheck()
    page.get_by_label("Complainant", exact=True).uncheck()
    press(page, page.get_by_role("button", name="Save"))
    assert page.locator("#id_roles_error").inner_text().endswith("has no role that may take it")
    look(page, "draft-step-fault")
    page.get_by_label("Complainant", exact=True).check()
    page.get_by_label("Handler", exact=True).check()
    page.get_by_label("Senior handler", exact=True).check()
    press(page, page.get_by_role("button", name="Save"))
    success(page)

    page.goto(draft_url)
    look(page, "draft")
    page.get_by_role("link", name="YAML", exact=True).first.click()
    look(page, "draft-yaml")

    # The simulator, in Northern Ireland.
    page.get_by_role("link", name="Try the dates", exact=True).first.click()
    page.get_by_label("Bank holidays of").select_option("NIR")
    fill_date(page, "The complaint arrives on", dt.date(2027, 3, 15))
    page.get_by_label("At", exact=True).fill("10:00")
    page.locator("#id_step_1").select_option("acknowledge_stage1")
    fill_date(page, "Step 1 taken on", dt.date(2027, 3, 25))
    press(page, page.get_by_role("button", name="Show the dates"))
    # 7 working days from Monday 15 March, skipping St Patrick's Day (Wednesday 17th).
    assert due_in(page, "stage1_acknowledgement") == "by the end of Thursday 25 March 2027"
    assert page.get_by_text("Skipped Wednesday 17 March 2027: Saint Patrick's Day.").is_visible()
    # 10 working days from the acknowledgement, skipping Good Friday and Easter Monday.
    assert due_in(page, "stage1_response") == "by the end of Monday 12 April 2027"
    look(page, "draft-simulate")
    fill_date(page, "The complaint arrives on", dt.date(2027, 7, 5))
    page.locator("#id_step_1").select_option("")
    for part in ("Day", "Month", "Year"):
        page.get_by_role("group", name="Step 1 taken on").get_by_label(part).fill("")
    press(page, page.get_by_role("button", name="Show the dates"))
    # The Twelfth (Monday 12 July 2027) is a bank holiday in Northern Ireland only.
    assert due_in(page, "stage1_acknowledgement") == "by the end of Thursday 15 July 2027"
    page.get_by_label("Bank holidays of").select_option("ENG")
    press(page, page.get_by_role("button", name="Show the dates"))
    assert due_in(page, "stage1_acknowledgement") == "by the end of Wednesday 14 July 2027"

    # Publish, approved by the manager.
    page.get_by_role("link", name="Publish", exact=True).first.click()
    look(page, "draft-publish")
    page.get_by_label("What changed").fill(
        "Stage 1 acknowledged within 7 working days; the acknowledgement gives our response date."
    )
    page.locator("#id_approved_by").select_option(label="Mona")
    press(page, page.get_by_role("button", name="Publish version 1"))
    success(page)
    version = OwnVersion.objects.get(procedure__organisation=organisation)
    assert version.approved_by is not None
    assert version.approved_by.username == "mona-lough"
    page.get_by_role("link", name="Changes", exact=True).first.click()
    look(page, "draft-diff")

    # A complaint on the public form follows the new version, with the changed dates.
    public = new_context().new_page()
    public.goto("/lough/complain/")
    public.fill("#id_description", "The heating has been broken for three weeks.")
    public.fill("#id_desired_outcome", "A repair this week.")
    public.check("#id_share_information_0")
    public.fill("#id_name", "Siobhan Murphy")
    public.fill("#id_email", "siobhan@example.com")
    public.click("button:has-text('Send my complaint')")
    public.wait_for_url("**/complain/received/**")
    case = Case.objects.get(organisation=organisation)
    assert (case.procedure_key, case.procedure_version) == ("lough:housing-ombudsman", 1)
    clock = case.clocks.get(key="stage1_acknowledgement")
    calendar = calendar_for(organisation)
    start, _reason = calendar.deemed_receipt(case.received_at)
    assert clock.due_at is not None
    last_day = clock.due_at.astimezone(calendar.tz).date() - dt.timedelta(days=1)
    # 7 working days (the changed limit) from the deemed receipt, not the pack's 5.
    assert last_day == add_amount(start, 7, Unit.WORKING_DAYS, calendar)
    assert last_day != add_amount(start, 5, Unit.WORKING_DAYS, calendar)
    assert case.received_at <= timezone.now()

    # The handler acknowledges it: the letter sent is in the changed words.
    brendan = User.objects.get(username="brendan")
    api = ApiClient(brendan)
    assigned = api.post(f"/cases/{case.reference}/assign", {"handler": "brendan"})
    assert assigned.status_code == 200, assigned.content
    taken = api.step(
        case.reference, "acknowledge_stage1", data={"definition": "The heating is broken."}
    )
    assert taken.status_code == 200, taken.content
    letter = Letter.objects.get(case=case, name="stage1_acknowledgement")
    assert letter.subject == f"Lough Homes has your complaint ({case.reference})"
    assert "A member of our housing services team is looking into it." in letter.text
