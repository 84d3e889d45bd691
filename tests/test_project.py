"""The project's promises: deploy settings, the OpenAPI document, the admin's
procedure views and the demo seed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from accord.accounts.models import User
from accord.cases.models import Case, Event
from tests.conftest import verified_client

ROOT = Path(__file__).resolve().parent.parent


def test_check_deploy_is_clean_with_debug_off_and_a_real_secret() -> None:
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": "a-real-secret-" + "x" * 50,
        "ALLOWED_HOSTS": "accord.example.org",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_debug_off_without_a_secret_refuses_to_start() -> None:
    env = {**os.environ, "DEBUG": "0", "SECRET_KEY": ""}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


@pytest.mark.django_db
def test_the_openapi_document_is_served(client) -> None:
    document = client.get("/api/openapi.json").json()
    assert "/api/organisations/{slug}/complaints" in document["paths"]
    assert "/api/cases/{reference}/steps/{action}" in document["paths"]
    assert client.get("/api/docs").status_code == 200


@pytest.mark.django_db
def test_the_admin_shows_the_loaded_procedures_read_only(client) -> None:
    admin = User.objects.create_superuser("root", "root@example.com", "pw")
    client = verified_client(admin)
    listing = client.get("/admin/procedures/")
    assert listing.status_code == 200
    assert b"Independent mediation (optical consumer complaints)" in listing.content
    detail = client.get("/admin/procedures/client-services/1/")
    assert detail.status_code == 200
    assert b"Ria Green" in detail.content  # the seed's revision table
    assert client.get("/admin/procedures/client-services/9/").status_code == 404


@pytest.mark.django_db
def test_the_admin_needs_a_sign_in(client) -> None:
    assert client.get("/admin/procedures/").status_code == 302


@pytest.mark.django_db
def test_seed_demo_loads_every_role_and_cases_in_several_stages_and_is_repeatable(capsys) -> None:
    call_command("seed_demo")
    first = capsys.readouterr().out
    assert "demo-occs-handler" in first
    roles = set(User.objects.exclude(staff_role="").values_list("staff_role", flat=True))
    assert roles == {"handler", "senior_handler", "manager", "administrator"}
    assert User.objects.filter(business__isnull=False).exists()
    cases = Case.objects.count()
    assert cases >= 8
    stages = set(Case.objects.values_list("stage", flat=True))
    assert len(stages) >= 5
    events = Event.objects.count()
    call_command("seed_demo")
    assert (Case.objects.count(), Event.objects.count()) == (cases, events)
