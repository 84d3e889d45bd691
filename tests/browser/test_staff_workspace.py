"""The staff workspace in Chromium: signing in with a TOTP code, the queue (filtered
with htmx), a case page, taking a step; an escalation on the client-services policy
taken up by a senior handler in their own browser; the lettings agent's stage 2 with a
holding response. axe-core on every staff page; screenshots of the queue and case page."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from accord.cases.complainant_links import link_path
from accord.cases.models import Case, Event
from accord.letters.models import Letter
from tests.browser.conftest import (
    assert_accessible,
    person,
    press,
    reveal_step,
    screenshot,
    sign_in,
    take_step,
)
from tests.conftest import ApiClient, complaint_body

pytestmark = pytest.mark.django_db(transaction=True)


def submit(slug: str, **overrides: Any) -> str:
    response = ApiClient().post(f"/organisations/{slug}/complaints", complaint_body(**overrides))
    assert response.status_code == 201, response.content
    return str(response.json()["reference"])


def test_signing_in_working_the_queue_and_taking_a_step(
    new_context: Any, organisations: Any
) -> None:
    handler = person("ocasa", "handler", "casey-ocasa")
    first = submit("ocasa", description="The deposit has not been returned.")
    second = submit(
        "ocasa",
        description="The boiler was never repaired.",
        complainant={"name": "Priya Shah", "email": "priya@example.com"},
    )
    page = sign_in(new_context(), handler, check=True)
    assert page.get_by_role("heading", name="Work queue").is_visible()
    assert page.get_by_role("link", name=first).is_visible()
    assert page.locator(".badge").first.is_visible()
    screenshot(page, "staff-queue")
    assert_accessible(page, "work queue")

    # Search (htmx swaps the table and pushes the URL; the form works without it too).
    page.get_by_label("Search").fill("boiler")
    page.get_by_role("button", name="Show cases").click()
    page.wait_for_url("**/staff/?*q=boiler*")
    assert page.get_by_role("link", name=second).is_visible()
    assert page.get_by_role("link", name=first).count() == 0

    page.get_by_role("link", name=second).click()
    page.wait_for_url(f"**/staff/cases/{second}/")
    assert page.get_by_role("heading", name="Acknowledge the stage 1 complaint").first.is_visible()
    screenshot(page, "staff-case")
    assert_accessible(page, "case page")
    take_step(page, "acknowledge")
    assert Event.objects.filter(case__reference=second, action="acknowledge").exists()
    assert "Stage 1 - Customer Resolution Team resolving" in page.content()
    assert_accessible(page, "case page after a step")

    page.goto("/staff/log/")
    assert_accessible(page, "log a complaint")
    page.get_by_role("button", name=f"Sign out {handler.username}").click()
    page.wait_for_url("**/staff/login/")


def test_an_escalation_is_taken_up_by_a_senior_handler(
    new_context: Any, organisations: Any
) -> None:
    handler = person("optimised", "handler", "hana-optimised")
    senior = person("optimised", "senior_handler", "sam-optimised")
    reference = submit("optimised", description="The report we paid for was never delivered.")

    handler_page = sign_in(new_context(), handler)
    handler_page.goto(f"/staff/cases/{reference}/")
    handler_page.get_by_role("button", name="Take this case").click()
    handler_page.wait_for_selector(".message-success")
    take_step(handler_page, "acknowledge")
    take_step(handler_page, "escalate")
    assert Case.objects.get(reference=reference).stage == "escalated"
    # Escalated: the earlier handler has nothing left to do on it.
    assert handler_page.locator("[id^=step-]").count() == 0
    assert "No step of the procedure is yours to take" in handler_page.content()

    senior_page = sign_in(new_context(), senior)
    senior_page.get_by_text("Filter by team, handler, stage or deadline").click()
    senior_page.get_by_label("Stage").select_option("escalated")
    senior_page.wait_for_url("**stage=escalated*")
    senior_page.get_by_role("link", name=reference).click()
    assigned = senior_page.locator("#assignment")
    assigned.get_by_label("Handler").select_option(senior.username)
    assigned.get_by_role("button", name="Save the assignment").click()
    senior_page.wait_for_selector(".message-success")
    assert senior_page.locator("#step-resolve_escalated").is_visible()
    assert_accessible(senior_page, "escalated case, senior handler")
    take_step(senior_page, "resolve_escalated")
    case = Case.objects.get(reference=reference)
    assert not case.is_open
    assert case.outcome == "resolved_after_escalation"


def test_lettings_stage2_with_a_holding_response(new_context: Any, organisations: Any) -> None:
    handler = person("ocasa", "handler", "cara-ocasa")
    head = person("ocasa", "senior_handler", "hugo-ocasa")
    reference = submit("ocasa", description="Mould in the bedroom, reported three times.")

    handler_page = sign_in(new_context(), handler)
    handler_page.goto(f"/staff/cases/{reference}/")
    take_step(handler_page, "acknowledge")

    # The tenant, in their own browser, escalates to stage 2 from their case page.
    complainant_page = new_context().new_page()
    complainant_page.goto(link_path(Case.objects.get(reference=reference)))
    press(complainant_page, complainant_page.get_by_role("button", name="Open my complaint"))
    complainant_page.wait_for_url(f"**/my/cases/{reference}/")
    assert_accessible(complainant_page, "tenant's case page at stage 1")
    escalate = complainant_page.locator(
        "#actions form",
        has=complainant_page.locator(
            "button", has_text="Ask for a review by the Head of Operations or Head of Lettings"
        ),
    )
    press(complainant_page, escalate.get_by_role("button"))
    assert Case.objects.get(reference=reference).stage == "stage2_received"

    head_page = sign_in(new_context(), head)
    head_page.goto(f"/staff/cases/{reference}/")
    assert head_page.locator("#step-acknowledge_stage2").count() == 0  # not assigned yet
    assigned = head_page.locator("#assignment")
    assigned.get_by_label("Handler").select_option(head.username)
    assigned.get_by_role("button", name="Save the assignment").click()
    head_page.wait_for_selector(".message-success")
    take_step(head_page, "acknowledge_stage2")

    holding = reveal_step(head_page, "send_holding_response")
    # Without reasons: the form says what is missing, nothing is recorded.
    holding.get_by_role("button").click()
    head_page.wait_for_selector(".error-summary")
    assert not Event.objects.filter(case__reference=reference, action="send_holding_response")
    assert_accessible(head_page, "holding response with errors")
    holding = head_page.locator("#step-send_holding_response")
    anticipated = timezone.localdate() + dt.timedelta(days=14)
    fill = {"Reason": "We are waiting for the contractor's damp survey."}
    # Issue 15: a date is three inputs (day, month, year) in a labelled group.
    group = holding.get_by_role("group", name="The anticipated date of the stage 2 conclusion")
    if group.count():
        group.get_by_label("Day").fill(str(anticipated.day))
        group.get_by_label("Month").fill(str(anticipated.month))
        group.get_by_label("Year").fill(str(anticipated.year))
    take_step(head_page, "send_holding_response", fill)
    event = Event.objects.get(case__reference=reference, action="send_holding_response")
    assert "damp survey" in event.reason
    assert "Holding response" in head_page.content() or "holding response" in head_page.content()

    # The letter the step requires went with it: the tenant's holding response says why.
    letter = Letter.objects.get(case__reference=reference, name="holding_response")
    assert "damp survey" in letter.text
    assert head_page.locator("#letters").get_by_text("Holding response").count()
    screenshot(head_page, "staff-letters-sent")

    # The tenant sees the anticipated date given in the holding response.
    complainant_page.goto(f"/my/cases/{reference}/")
    shown = f"{anticipated:%A} {anticipated.day} {anticipated:%B %Y}"
    assert shown in complainant_page.locator("main").inner_text()
    screenshot(complainant_page, "tenant-stage2-holding")
    assert_accessible(complainant_page, "tenant's case page after the holding response")


def test_the_staff_workspace_works_without_javascript(
    browser: Any, live_server: Any, organisations: Any
) -> None:
    """htmx only enhances: signing in, filtering the queue and taking a step are plain
    forms and links."""
    handler = person("ocasa", "handler", "nina-ocasa")
    wanted = submit("ocasa", description="The inventory was never sent.")
    other = submit("ocasa", description="Rent taken twice in March.")
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    try:
        page = sign_in(context, handler)
        page.get_by_label("Search").fill("inventory")
        press(page, page.get_by_role("button", name="Show cases"))
        assert "q=inventory" in page.url
        assert page.get_by_role("link", name=wanted).is_visible()
        assert page.get_by_role("link", name=other).count() == 0
        press(page, page.get_by_role("link", name=wanted))
        take_step(page, "acknowledge")
        assert Event.objects.filter(case__reference=wanted, action="acknowledge").count() == 1
    finally:
        context.close()
