"""In Chromium: the public complaint form (with and without JavaScript), its error
summary, the confirmation, the link request, and a mediation journey with separate
browser contexts for the complainant, the business and the handler (on the staff
pages, signed in with a TOTP code)."""

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
from accord.mediation.models import Agreement, ConsentForm, Document, Proposal
from tests.browser.conftest import (
    assert_accessible,
    fill_date,
    person,
    press,
    screenshot,
    sign_in,
    take_step,
)

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


def test_mediation_journey_complainant_business_and_handler(new_context: Any, occs: Any) -> None:
    """The OCCS journey with three people in three browsers: the complainant (the
    e-mailed link), the business (signed in) and the handler (password and TOTP code,
    on the staff pages)."""
    create_consent_forms()
    assert ConsentForm.objects.exists()
    practice = occs.businesses.filter(is_self=False).order_by("pk").first()
    User.objects.create_user("journey-rep", password="a-long-demo-password", business=practice)
    handler = person("occs", "handler", "journey-handler")
    today = timezone.localdate()

    # The complainant files on the form.
    complainant = new_context().new_page()
    complainant.goto("/occs/complain/")
    complainant.select_option("#id_respondent", str(practice.pk))
    fill_complaint(complainant)
    press(complainant, complainant.get_by_role("button", name="Send my complaint"))
    assert "/complain/received/" in complainant.url
    case = Case.objects.get()
    ref = case.reference

    # The handler signs in, finds it in the queue, takes it and acknowledges it.
    staff = sign_in(new_context(), handler)
    assert_accessible(staff, "work queue")
    press(staff, staff.get_by_role("link", name=ref))
    assert_accessible(staff, "staff case page, received")
    press(staff, staff.get_by_role("button", name="Take this case"))
    take_step(staff, "confirm_complaint")
    take_step(staff, "accept_for_mediation")
    assert "Not signed yet" in staff.inner_text("#consent")
    assert_accessible(staff, "staff case page, awaiting consent")
    screenshot(staff, "staff-case-awaiting-consent")

    # The complainant opens the e-mailed link and signs the consent form.
    complainant.goto(link_path(case))
    assert_accessible(complainant, "complainant link: confirm")
    press(complainant, complainant.get_by_role("button", name="Open my complaint"))
    assert ref in complainant.inner_text("h1")
    assert_accessible(complainant, "complainant case page")
    complainant.check("#id_consent-ticked")
    complainant.fill("#id_consent-typed_name", "Alex Morgan")
    press(complainant, complainant.get_by_role("button", name="Sign the consent form"))
    assert "consent has been signed" in complainant.inner_text(".messages")
    screenshot(complainant, "complainant-case")

    # The handler asks for records.
    staff.reload()
    assert "Signed by Alex Morgan" in staff.inner_text("#consent")
    take_step(staff, "gather_information")
    records = staff.locator("#records-form")
    records.get_by_label("Which records are needed").fill("Optical records")
    fill_date(records, "Due by", today + dt.timedelta(days=7))
    press(staff, records.get_by_role("button", name="Request the records"))
    assert "Records requested" in staff.inner_text(".messages")
    assert_accessible(staff, "staff case page, records requested")

    # The business signs in and uploads them.
    business = new_context().new_page()
    business.goto("/my/login/")
    assert_accessible(business, "business sign-in")
    business.get_by_label("Username").fill("journey-rep")
    business.get_by_label("Password").fill("a-long-demo-password")
    press(business, business.get_by_role("button", name="Sign in"))
    assert business.url.endswith("/my/cases/")
    assert_accessible(business, "business case list")
    press(business, business.get_by_role("link", name=ref))
    assert "Optical records" in business.inner_text("#records")
    business.set_input_files(
        "#id_upload-file",
        files=[{"name": "records.txt", "mimeType": "text/plain", "buffer": b"R: -1.25 L: -1.00"}],
    )
    press(business, business.get_by_role("button", name="Upload"))
    assert "has been uploaded" in business.inner_text(".messages")
    assert Document.objects.get().thread.party == "respondent"
    assert_accessible(business, "business case page")
    screenshot(business, "business-case")

    # The handler sees them arrive, opens the review and puts a proposal.
    staff.reload()
    assert staff.locator("#thread-respondent").get_by_role("link", name="records.txt").is_visible()
    press(staff, staff.get_by_role("button", name="Record that these records arrived"))
    assert "Arrived" in staff.inner_text("#records")
    take_step(staff, "begin_review")
    proposal_form = staff.locator("#proposal-form")
    proposal_form.get_by_label("Whose proposal is it").select_option("respondent")
    proposal_form.get_by_label("What it offers").select_option("replacement")
    proposal_form.get_by_label("The proposal as the parties will read it").fill(
        "The practice remakes the glasses."
    )
    fill_date(proposal_form, "The parties answer by", today + dt.timedelta(days=5))
    press(staff, proposal_form.get_by_role("button", name="Put the proposal"))
    assert "Proposal put" in staff.inner_text(".messages")
    assert_accessible(staff, "staff case page, proposal put")
    proposal = Proposal.objects.get().pk

    # Both answer it on their pages.
    for page in (complainant, business):
        page.goto(f"/my/cases/{ref}/")
        page.check(f"#id_answer-{proposal}-answer_0")
        press(page, page.get_by_role("button", name="Send my answer"))
        assert "answer has been recorded" in page.inner_text(".messages")

    # The handler sees both answers and draws up the agreement.
    staff.reload()
    shown = staff.inner_text("#proposals")
    assert "Complainant: accepted" in shown
    assert "Respondent: accepted" in shown
    agreement_form = staff.locator("#agreement-form")
    agreement_form.get_by_label("Obligation 1: who does it").select_option("respondent")
    agreement_form.get_by_label("Obligation 1: what is to be done").fill("Remake the glasses.")
    fill_date(agreement_form, "Obligation 1: due by", today + dt.timedelta(days=10))
    press(staff, agreement_form.get_by_role("button", name="Draw up the agreement"))
    assert "Agreement drawn up" in staff.inner_text(".messages")
    assert_accessible(staff, "staff case page, agreement drawn up")
    screenshot(staff, "staff-case-agreement-drawn-up")
    agreement = Agreement.objects.get().pk

    # Both confirm it: it is binding, and the case moves to implementation.
    for page in (complainant, business):
        page.goto(f"/my/cases/{ref}/")
        page.check(f"#id_agreement-{agreement}-understood")
        press(page, page.get_by_role("button", name="Confirm the agreement"))
        assert "confirmed the agreement" in page.inner_text(".messages")
    case.refresh_from_db()
    assert case.stage == "implementing"
    staff.reload()
    assert "legally binding" in staff.inner_text("#agreement")
    pdf = staff.get_by_role("link", name="Download the binding agreement (PDF)")
    downloaded = staff.request.get(str(pdf.get_attribute("href")))
    assert downloaded.ok
    assert downloaded.headers["content-type"] == "application/pdf"

    # Both confirm the obligation done; the handler sees it and closes the case.
    for page in (business, complainant):
        page.goto(f"/my/cases/{ref}/")
        press(page, page.get_by_role("button", name="Confirm done"))
        assert "was done" in page.inner_text(".messages")
    staff.reload()
    assert "Done (confirmed by both parties)" in staff.inner_text("#agreement")
    take_step(staff, "confirm_implementation")
    case.refresh_from_db()
    assert not case.is_open
    assert_accessible(staff, "staff case page, closed")
    screenshot(staff, "staff-case-closed")

    # Invited to give feedback, the complainant does.
    invite_closed_cases(timezone.now() + dt.timedelta(days=1))
    complainant.goto(f"/my/cases/{ref}/")
    complainant.check("#id_feedback-rating_0")
    complainant.fill("#id_feedback-comment", "Clear and quick.")
    press(complainant, complainant.get_by_role("button", name="Send feedback"))
    assert "Thank you for your feedback" in complainant.inner_text(".messages")
    assert_accessible(complainant, "complainant closed case")
    screenshot(complainant, "complainant-closed")
