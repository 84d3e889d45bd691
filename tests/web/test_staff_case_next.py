"""The staff case page as a place to work: what happens next (the step the procedure
expects as the primary action, the others secondary, steps that end the case unresolved
as warnings confirmed on their own page), the engine's reason where a handler must
assign themselves first, the panels a stage uses, one thread or two — and a page that
costs the same queries however long the timeline."""

from __future__ import annotations

import re
import secrets

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accord.accounts.models import User
from accord.cases import actions
from accord.cases.models import Case
from accord.procedures.next_step import ends_unresolved, expected_step
from accord.procedures.registry import registry
from tests.conftest import ApiClient, complaint_body, london, take, verified_client

pytestmark = pytest.mark.django_db

AT = london(2026, 11, 30, 11)


def key() -> dict[str, str]:
    return {"submission_key": secrets.token_urlsafe(16)}


RECEIVED = london(2026, 11, 30, 10)


def submit(slug: str, at=RECEIVED, **overrides) -> str:
    with time_machine.travel(at, tick=False):
        response = ApiClient().post(
            f"/organisations/{slug}/complaints", complaint_body(**overrides)
        )
    assert response.status_code == 201, response.content
    return str(response.json()["reference"])


@pytest.fixture
def people(ocasa, optimised, occs, staff) -> dict[str, User]:
    return {
        "handler": staff("ocasa", "handler"),
        "head": staff("ocasa", "senior_handler"),
        "manager": staff("ocasa", "manager"),
        "cs_handler": staff("optimised", "handler"),
        "occs_handler": staff("occs", "handler"),
    }


def page(user: User, reference: str, at=AT) -> str:
    with time_machine.travel(at, tick=False):
        response = verified_client(user).get(f"/staff/cases/{reference}/")
    assert response.status_code == 200
    return response.content.decode()


def primary(html: str) -> str | None:
    found = re.search(r'class="panel next-step" id="step-([a-z0-9_]+)"', html)
    return found.group(1) if found else None


def warnings(html: str) -> set[str]:
    return set(re.findall(r'class="button warning" id="step-([a-z0-9_]+)"', html))


def test_the_expected_step_is_the_primary_action_and_closing_unresolved_is_a_warning(people):
    reference = submit("optimised")
    html = page(people["cs_handler"], reference)
    # At receipt the nearest clock (the acknowledgement) is met by acknowledging.
    assert primary(html) == "acknowledge"
    assert "withdraw" in warnings(html)
    assert f'href="/staff/cases/{reference}/steps/withdraw/confirm/"' in html
    assert '<a class="button warning" id="step-withdraw"' in html
    take(ApiClient(people["cs_handler"]), reference, AT, "acknowledge")
    html = page(people["cs_handler"], reference)
    procedure = registry().get(
        *Case.objects.values_list("procedure_key", "procedure_version").get(reference=reference)
    )
    expected = primary(html)
    assert expected is not None
    assert not ends_unresolved(procedure, procedure.transitions[expected])
    # Every step that ends the case unresolved is a warning, and only those.
    for step in warnings(html):
        assert ends_unresolved(procedure, procedure.transitions[step])
    secondary = set(
        re.findall(
            r'<details class="step-option"[^>]*>\s*<summary>[^<]*</summary>\s*<form[^>]*id="step-([a-z0-9_]+)"',
            html,
        )
    )
    assert secondary
    assert not secondary & warnings(html)


def test_a_step_that_ends_the_case_unresolved_is_confirmed_first(people):
    reference = submit("optimised")
    client = verified_client(people["cs_handler"])
    with time_machine.travel(AT, tick=False):
        asked = client.get(f"/staff/cases/{reference}/steps/withdraw/confirm/")
        assert asked.status_code == 200
        text = asked.content.decode()
        assert "It closes the case with the outcome" in text
        assert 'name="confirmed" value="yes"' in text
        # Sent without the confirmation (a form from elsewhere): asked, nothing done.
        unconfirmed = client.post(
            f"/staff/cases/{reference}/steps/withdraw/", {**key(), "step-withdraw-reason": "x"}
        )
        assert unconfirmed.status_code == 200
        assert 'name="confirmed" value="yes"' in unconfirmed.content.decode()
        assert Case.objects.get(reference=reference).is_open
        confirmed = client.post(
            f"/staff/cases/{reference}/steps/withdraw/",
            {**key(), "confirmed": "yes", "step-withdraw-reason": "The client withdrew."},
        )
    assert confirmed.status_code == 303
    case = Case.objects.get(reference=reference)
    assert (case.is_open, case.outcome) == (False, "withdrawn")


def test_confirming_a_step_not_offered_goes_back_to_the_case_with_why(people):
    reference = submit("optimised")
    client = verified_client(people["cs_handler"])
    with time_machine.travel(AT, tick=False):
        for action in ("issue_deadlock", "no_such_step"):
            response = client.get(f"/staff/cases/{reference}/steps/{action}/confirm/")
            assert response.status_code == 303
            assert response["Location"] == f"/staff/cases/{reference}/#steps"
        followed = client.get(response["Location"]).content.decode()
    assert "is not a step you can take on this case now" in followed


def test_a_confirmed_step_with_a_missing_reason_stays_on_the_confirmation(people):
    reference = submit("optimised")
    procedure = registry().get(
        *Case.objects.values_list("procedure_key", "procedure_version").get(reference=reference)
    )
    if not procedure.transitions["withdraw"].reason_required:
        pytest.skip("withdrawing needs no reason in this version")
    with time_machine.travel(AT, tick=False):
        response = verified_client(people["cs_handler"]).post(
            f"/staff/cases/{reference}/steps/withdraw/", {**key(), "confirmed": "yes"}
        )
    assert response.status_code == 400
    assert "There is a problem" in response.content.decode()


def test_an_in_house_complaint_has_one_thread_and_no_mediation_panels(people):
    html = page(people["cs_handler"], submit("optimised"))
    assert 'id="thread-complainant"' in html
    assert 'id="thread-respondent"' not in html
    assert 'id="mediation"' not in html


def test_a_mediation_shows_both_threads_and_only_the_panels_its_stage_uses(people, occs):
    respondent = occs.businesses.order_by("pk").first()
    reference = submit("occs", respondent_id=respondent.pk)
    html = page(people["occs_handler"], reference)
    assert 'id="thread-complainant"' in html
    assert 'id="thread-respondent"' in html
    assert 'id="mediation"' in html
    assert 'id="consent"' in html
    # At receipt there are no records to ask for and nothing to propose yet.
    assert 'id="records"' not in html
    assert 'id="proposals"' not in html
    assert primary(html) == "confirm_complaint"


def test_a_handler_who_must_assign_themselves_is_told_the_engines_reason(people):
    reference = submit("ocasa")
    take(ApiClient(people["handler"]), reference, AT, "acknowledge")
    stage2 = london(2026, 12, 2, 10)
    take(ApiClient(people["handler"]), reference, stage2, "request_stage2")
    html = page(people["head"], reference, stage2)
    section = html.split('id="steps"', 1)[1].split("</section>", 1)[0]
    assert "The case is escalated: only its assigned handler takes its steps" in section
    assert 'name="take" value="me"' in section
    # The handler of stage 1 may not take it now (separation of duties): no button.
    barred = page(people["handler"], reference, stage2)
    assert 'name="take"' not in barred
    assert 'id="assign-first"' not in barred
    with time_machine.travel(stage2, tick=False):
        taken = verified_client(people["head"]).post(
            f"/staff/cases/{reference}/assign/", {**key(), "take": "me"}
        )
    assert taken.status_code == 303
    html = page(people["head"], reference, stage2)
    assert 'id="assign-first"' not in html
    assert primary(html) is not None


def test_take_this_case_comes_first_in_the_side_column(people):
    reference = submit("optimised")
    html = page(people["cs_handler"], reference)
    side = html.split('class="case-side case-glance"', 1)[1].split("</aside>", 1)[0]
    assert side.index("Take this case") < side.index('id="clocks"')


def test_the_page_costs_the_same_queries_with_20_or_200_events(people):
    reference = submit("ocasa")
    handler = people["handler"]
    case = Case.objects.get(reference=reference)
    actions.assign(case.pk, handler, handler=handler, team=None, now=AT)
    client = verified_client(handler)

    def cost() -> int:
        with time_machine.travel(AT, tick=False), CaptureQueriesContext(connection) as ctx:
            assert client.get(f"/staff/cases/{reference}/").status_code == 200
        return len(ctx.captured_queries)

    def grow_to(events: int) -> None:
        case.refresh_from_db()
        for n in range(events - case.event_count):
            actions.add_note(case.pk, handler, f"Note {n}: called the landlord.", now=AT)

    grow_to(20)
    few = cost()
    grow_to(200)
    assert Case.objects.get(pk=case.pk).event_count >= 200
    assert cost() == few


def test_a_long_history_shows_the_latest_notes_and_events_with_the_rest_one_link_away(people):
    reference = submit("ocasa")
    handler = people["handler"]
    case = Case.objects.get(reference=reference)
    actions.assign(case.pk, handler, handler=handler, team=None, now=AT)
    for n in range(1, 31):
        actions.add_note(case.pk, handler, f"Note number {n} about the landlord.", now=AT)

    html = page(handler, reference)
    notes = html.split('id="notes"', 1)[1].split("</section>", 1)[0]
    assert "Note number 30 about" in notes
    assert "Note number 11 about" in notes
    assert "Note number 10 about" not in notes
    assert 'href="?history=all#notes">Show all 30 notes</a>' in notes

    with time_machine.travel(AT, tick=False):
        whole = verified_client(handler).get(f"/staff/cases/{reference}/?history=all")
    notes = whole.content.decode().split('id="notes"', 1)[1].split("</section>", 1)[0]
    assert "Note number 1 about" in notes
    assert "Show all" not in notes

    # A short history is shown whole, without the link.
    short = page(handler, submit("ocasa"))
    assert "?history=all" not in short


def test_expected_step_prefers_the_step_that_meets_the_nearest_clock():
    procedure = next(
        loaded.procedure
        for loaded in registry().all()
        if any(clock.stops_on for clock in loaded.procedure.clocks.values())
    )
    clock_key, clock = next(
        (k, c) for k, c in procedure.clocks.items() if c.stops_on and not c.window
    )
    step = clock.stops_on[0]
    transition = procedure.transitions[step]
    if ends_unresolved(procedure, transition):
        pytest.skip("the first meeting step ends the case")
    stage = transition.from_[0]
    others = [k for k, t in procedure.transitions.items() if stage in t.from_ and k != step]
    assert expected_step(procedure, stage, [*others, step], [(clock_key, AT)]) == step
    assert expected_step(procedure, stage, [], [(clock_key, AT)]) is None
