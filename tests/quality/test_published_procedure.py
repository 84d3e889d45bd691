"""The current procedure published as a page and a PDF, with its revision table."""

from __future__ import annotations

import itertools
import re

import pytest
import time_machine
from django.test import Client

from tests.conftest import london

pytestmark = pytest.mark.django_db

TODAY = london(2026, 12, 3, 10)


def get(path: str):
    with time_machine.travel(TODAY, tick=False):
        return Client().get(path)


def test_the_page_sets_out_the_procedure_in_plain_english(seeded):
    response = get("/optimised/procedure/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "<h1>Our complaints procedure</h1>" in page
    # The clocks in working days, the complaint window and the ombudsman's details.
    assert "Within 4 working days of receiving your complaint" in page
    assert "Within 15 working days of receiving your complaint" in page
    assert "within 7 working days of the issue arising" in page
    assert "bank holidays in England and Wales" in page
    assert "Ombudsman Services" in page
    assert "0330 440 1624" in page
    assert "This applies if you are a microbusiness." in page
    assert "once 8 weeks have passed since we received your complaint" in page
    assert "hello@optimised.net" in page
    # The organisation's name is in the site's layout.
    assert "Optimised Group (demo)" in page


def test_the_page_carries_the_revision_table_from_the_seed(seeded):
    page = get("/optimised/procedure/").content.decode()
    assert "<caption>Revisions of this procedure</caption>" in page
    for cell in ("Ria Green", "James Wood", "Document creation", "John Ellis", "29 July 2022"):
        assert cell in page
    assert '<th scope="col">Approved by</th>' in page
    # Reviewed on 2 December 2026 (the seed's last row, version 3), every 12 months.
    # The one deadline wording (issue 15): the end of the day, with its weekday.
    assert "next review is due by the end of Thursday 2 December 2027" in page


def test_headings_come_in_order(seeded):
    page = get("/ocasa/procedure/").content.decode()
    levels = [int(level) for level in re.findall(r"<h([1-6])[\s>]", page)]
    assert levels[0] == 1
    assert levels.count(1) == 1
    for before, after in itertools.pairwise(levels):
        assert after <= before + 1, levels


def test_each_seed_organisation_publishes_its_procedure(seeded):
    for slug, expected in (
        ("occs", "General Optical Council"),
        ("ocasa", "The Property Redress Scheme"),
    ):
        response = get(f"/{slug}/procedure/")
        assert response.status_code == 200
        assert expected in response.content.decode()


def test_the_pdf_is_a_pdf(seeded):
    response = get("/optimised/procedure.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


@pytest.mark.parametrize("path", ["/nobody/procedure/", "/nobody/procedure.pdf"])
def test_an_unknown_organisation_is_404(organisations, path):
    assert get(path).status_code == 404


def test_an_organisation_without_a_procedure_in_force_is_404_not_500(occs):
    occs.procedure_key = "no-such-procedure"
    occs.save()
    assert get("/occs/procedure/").status_code == 404
    assert get("/occs/procedure.pdf").status_code == 404


def test_only_reading_is_allowed(seeded):
    with time_machine.travel(TODAY, tick=False):
        assert Client().post("/optimised/procedure/").status_code == 405


def test_every_version_of_a_seed_procedure_has_its_row_in_the_revision_table(seeded):
    """The demo's revision tables name each version its organisation has run."""
    from accord.organisations.models import Organisation
    from accord.procedures.registry import registry
    from accord.quality.reviews import revisions_of

    for organisation in Organisation.objects.all():
        key = organisation.procedure_key
        versions = {str(loaded.procedure.version) for loaded in registry().versions_of(key)}
        recorded = {r.version for r in revisions_of(organisation, key)}
        assert versions <= recorded, (organisation.slug, versions - recorded)
