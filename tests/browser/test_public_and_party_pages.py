"""In Chromium: the public complaint form (with and without JavaScript), its error
summary, the confirmation, the link request, and a mediation journey with separate
browser contexts for the complainant and the business — the handler's steps driven
through the JSON API and the domain functions (to be switched to the staff pages)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from accord.accounts.models import User
from accord.cases.complainant_links import link_path
from accord.cases.models import Case
from accord.mediation.demo import create_consent_forms
from accord.mediation.feedback import invite_closed_cases
from accord.mediation.models import ConsentForm, Document
from tests.browser.conftest import assert_accessible, screenshot
from tests.conftest import ApiClient

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _quick_forms(settings: Any) -> None:
    # Playwright types faster than a person: the "sent too fast" guard is tested in
    # tests/web; here it would only slow the journey down.
    settings.ACCORD_FORM_MIN_SECONDS = 0


def fill_complaint(page: Any) -> None:
    page.select_option("#id_respondent", index=1)
    page.fill("#id_description", "My new glasses give me headaches and the practice will not help.")
    page.fill("#id_issue_arose_on", (timezone.localdate() - dt.timedelta(days=3)).isoformat())
    page.fill("#id_desired_outcome", "A remake of the glasses.")
    page.check("#id_share_information_0")
    page.fill("#id_name", "Alex Morgan")
    page.fill("#id_email", "alex@example.com")


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_the_complaint_form_in_chromium(
    browser: Any, live_server: Any, organisations: Any, javascript: bool
) -> None:
    context = browser.new_context(base_url=live_server.url, java_script_enabled=javascript)

    def check(page: Any, name: str) -> None:
        if javascript:  # axe-core is JavaScript: the no-JS run checks the same pages work
            assert_accessible(page, name)

    try:
        page = context.new_page()
        page.goto("/occs/")
        check(page, "landing")
        page.click("text=Make a complaint")
        check(page, "complaint form")
        screenshot(page, f"complaint-form-{javascript}")
        page.click("button:has-text('Send my complaint')")
        summary = page.locator(".error-summary")
        assert summary.is_visible()
        if javascript:  # the summary takes focus, so it is read out first
            assert page.evaluate("document.activeElement.classList.contains('error-summary')")
        check(page, "complaint form with errors")
        screenshot(page, f"complaint-form-errors-{javascript}")
        summary.locator("a[href='#id_description']").click()
        if javascript:
            assert page.evaluate("document.activeElement.id") == "id_description"
        fill_complaint(page)
        page.click("button:has-text('Send my complaint')")
        page.wait_for_url("**/complain/received/**")
        case = Case.objects.get()
        assert case.reference in page.inner_text("main")
        check(page, "confirmation")
        screenshot(page, f"confirmation-{javascript}")
    finally:
        context.close()


def test_the_link_request_page(new_context: Any, organisations: Any) -> None:
    page = new_context().new_page()
    page.goto("/my/link/")
    assert_accessible(page, "link request")
    page.fill("#id_email", "alex@example.com")
    page.fill("#id_reference", "OCC-2026-000001")
    page.click("button:has-text('Send me a link')")
    assert "Check your e-mail" in page.inner_text("h1")
    assert_accessible(page, "link sent")


def test_mediation_journey_complainant_and_business(new_context: Any, occs: Any) -> None:
    create_consent_forms()
    assert ConsentForm.objects.exists()
    practice = occs.businesses.filter(is_self=False).order_by("pk").first()
    User.objects.create_user("journey-rep", password="a-long-demo-password", business=practice)
    handler = User.objects.create_user("journey-handler", organisation=occs, staff_role="handler")
    staff = ApiClient(handler)

    # The complainant files on the form.
    complainant = new_context().new_page()
    complainant.goto("/occs/complain/")
    complainant.select_option("#id_respondent", str(practice.pk))
    fill_complaint(complainant)
    complainant.click("button:has-text('Send my complaint')")
    complainant.wait_for_url("**/complain/received/**")
    case = Case.objects.get()
    ref = case.reference

    def step(*actions: str) -> None:
        for action in actions:
            taken = staff.step(ref, action)
            assert taken.status_code == 200, (action, taken.content)

    assert staff.post(f"/cases/{ref}/assign", {"handler": handler.username}).status_code == 200
    step("confirm_complaint", "accept_for_mediation")

    # The complainant opens the e-mailed link and signs the consent form.
    complainant.goto(link_path(case))
    assert ref in complainant.inner_text("h1")
    assert_accessible(complainant, "complainant case page")
    complainant.check("#id_consent-ticked")
    complainant.fill("#id_consent-typed_name", "Alex Morgan")
    complainant.click("button:has-text('Sign the consent form')")
    assert "consent has been signed" in complainant.inner_text(".messages")
    case.refresh_from_db()
    assert case.stage == "early_resolution"
    screenshot(complainant, "complainant-case")

    # The handler asks for records; the business signs in and uploads them.
    step("gather_information")
    due = (timezone.localdate() + dt.timedelta(days=7)).isoformat()
    asked = staff.post(f"/cases/{ref}/records-requests", {"what": "Optical records", "due_on": due})
    assert asked.status_code == 201, asked.content
    business = new_context().new_page()
    business.goto("/my/login/")
    assert_accessible(business, "business sign-in")
    business.fill("#id_username", "journey-rep")
    business.fill("#id_password", "a-long-demo-password")
    business.click("button:has-text('Sign in')")
    business.wait_for_url("**/my/cases/")
    assert_accessible(business, "business case list")
    business.click(f"text={ref}")
    assert "Optical records" in business.inner_text("#records")
    business.set_input_files(
        "#id_upload-file",
        files=[{"name": "records.txt", "mimeType": "text/plain", "buffer": b"R: -1.25 L: -1.00"}],
    )
    business.click("button:has-text('Upload')")
    assert "has been uploaded" in business.inner_text(".messages")
    assert Document.objects.get().thread.party == "respondent"
    assert_accessible(business, "business case page")
    screenshot(business, "business-case")
    request_id = asked.json()["id"]
    assert staff.post(f"/cases/{ref}/records-requests/{request_id}/fulfilled").status_code == 200
    step("begin_review")

    # A proposal, accepted by both on their pages.
    answer_by = (timezone.localdate() + dt.timedelta(days=5)).isoformat()
    made = staff.post(
        f"/cases/{ref}/proposals",
        {
            "source": "respondent",
            "kind": "replacement",
            "description": "The practice remakes the glasses.",
            "answer_by": answer_by,
        },
    )
    assert made.status_code == 201, made.content
    proposal = made.json()["id"]
    for page in (complainant, business):
        page.goto(f"/my/cases/{ref}/")
        page.check(f"#id_answer-{proposal}-answer_0")
        page.click("button:has-text('Send my answer')")
        assert "answer has been recorded" in page.inner_text(".messages")

    # The agreement: drawn up by the handler, confirmed by both.
    term_due = (timezone.localdate() + dt.timedelta(days=10)).isoformat()
    drawn = staff.post(
        f"/cases/{ref}/agreements",
        {
            "proposal_id": proposal,
            "obligations": [
                {"party": "respondent", "what": "Remake the glasses.", "due_on": term_due}
            ],
        },
    )
    assert drawn.status_code == 201, drawn.content
    agreement = drawn.json()["id"]
    for page in (complainant, business):
        page.goto(f"/my/cases/{ref}/")
        page.check(f"#id_agreement-{agreement}-understood")
        page.click("button:has-text('Confirm the agreement')")
        assert "confirmed the agreement" in page.inner_text(".messages")
    case.refresh_from_db()
    assert case.stage == "implementing"

    # Both confirm the obligation done; the handler closes; the complainant gives feedback.
    for page in (business, complainant):
        page.goto(f"/my/cases/{ref}/")
        page.click("button:has-text('Confirm done')")
        assert "was done" in page.inner_text(".messages")
    step("confirm_implementation")
    invite_closed_cases(timezone.now() + dt.timedelta(days=1))
    complainant.goto(f"/my/cases/{ref}/")
    complainant.check("#id_feedback-rating_0")
    complainant.fill("#id_feedback-comment", "Clear and quick.")
    complainant.click("button:has-text('Send feedback')")
    assert "Thank you for your feedback" in complainant.inner_text(".messages")
    assert_accessible(complainant, "complainant closed case")
    screenshot(complainant, "complainant-closed")
