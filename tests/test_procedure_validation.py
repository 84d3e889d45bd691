"""Procedure files are validated on load, with errors naming the file and the fault."""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from accord.procedures.loader import ProcedureError, load_file, parse
from accord.procedures.registry import PACKS_DIR, Registry

MINIMAL: dict[str, Any] = {
    "key": "tiny",
    "name": "Tiny procedure",
    "version": 1,
    "effective_from": "2026-01-01",
    "revisions": [
        {
            "version": "1",
            "author": "A",
            "review_date": "2026-01-01",
            "approved_by": "B",
            "summary": "first",
        }
    ],
    "outcomes": {"resolved": {"label": "Resolved", "resolved": True}},
    "letters": {"acknowledgement": "Acknowledgement"},
    "initial_stage": "received",
    "stages": {
        "received": {"label": "Received"},
        "working": {"label": "Working"},
        "closed": {"label": "Closed", "terminal": True},
    },
    "clocks": {
        "acknowledgement": {
            "label": "Acknowledge",
            "amount": 2,
            "unit": "working_days",
            "starts_on": ["receive"],
            "stops_on": ["acknowledge"],
        }
    },
    "transitions": {
        "acknowledge": {
            "label": "Acknowledge",
            "from": ["received"],
            "to": "working",
            "roles": ["handler"],
            "letters": ["acknowledgement"],
        },
        "resolve": {
            "label": "Resolve",
            "from": ["working"],
            "to": "closed",
            "roles": ["handler"],
            "outcomes": ["resolved"],
        },
    },
}


def variant(**changes: Any) -> dict[str, Any]:
    """MINIMAL with nested changes, e.g. variant(**{"stages.extra": {...}})."""
    document = copy.deepcopy(MINIMAL)
    for dotted, value in changes.items():
        *parents, last = dotted.split(".")
        target = document
        for part in parents:
            target = target[part]
        if value is None:
            del target[last]
        else:
            target[last] = value
    return document


def faults_of(document: dict[str, Any]) -> list[str]:
    with pytest.raises(ProcedureError) as caught:
        parse(document, source="packs/tiny/v1.yaml")
    assert str(caught.value).startswith("packs/tiny/v1.yaml: ")
    return caught.value.faults


def test_the_minimal_procedure_is_valid() -> None:
    assert parse(MINIMAL, source="tiny").ref == "tiny@1"


def test_every_shipped_pack_loads() -> None:
    registry = Registry(PACKS_DIR)
    assert {"occs-mediation", "client-services", "lettings"} <= set(registry.keys())


def test_an_unreachable_stage_is_named() -> None:
    faults = faults_of(variant(**{"stages.limbo": {"label": "Limbo"}}))
    assert "stage 'limbo' is unreachable from 'received'" in faults


def test_an_unknown_target_is_named() -> None:
    faults = faults_of(variant(**{"transitions.acknowledge.to": "nowhere"}))
    assert "transition 'acknowledge' goes to unknown stage 'nowhere'" in faults


def test_an_unknown_source_stage_is_named() -> None:
    faults = faults_of(variant(**{"transitions.acknowledge.from": ["nowhere"]}))
    assert "transition 'acknowledge' starts from unknown stage 'nowhere'" in faults


def test_an_unknown_unit_is_named() -> None:
    faults = faults_of(variant(**{"clocks.acknowledgement.unit": "fortnights"}))
    assert any(f.startswith("clocks.acknowledgement.unit:") for f in faults)


def test_a_clock_never_started_is_named() -> None:
    faults = faults_of(variant(**{"clocks.acknowledgement.starts_on": []}))
    assert "clock 'acknowledgement' is never started" in faults


def test_a_clock_stopped_by_an_unknown_action_is_named() -> None:
    faults = faults_of(variant(**{"clocks.acknowledgement.stops_on": ["acknowlege"]}))
    assert "clock 'acknowledgement': stops_on names unknown action 'acknowlege'" in faults


def test_a_transition_with_no_role_is_named() -> None:
    faults = faults_of(variant(**{"transitions.acknowledge.roles": []}))
    assert "transition 'acknowledge' has no role that may take it" in faults


def test_an_unknown_role_guard_or_effect_is_named() -> None:
    faults = faults_of(
        variant(
            **{
                "transitions.acknowledge.roles": ["janitor"],
                "transitions.acknowledge.guards": ["moon_is_full"],
                "transitions.acknowledge.effects": ["teleport"],
            }
        )
    )
    assert any(f.startswith("transitions.acknowledge.roles.0:") for f in faults)
    assert any(f.startswith("transitions.acknowledge.guards.0:") for f in faults)
    assert any(f.startswith("transitions.acknowledge.effects.0:") for f in faults)


def test_an_unknown_basis_is_named() -> None:
    faults = faults_of(variant(**{"clocks.acknowledgement.basis": "referral"}))
    assert "clock 'acknowledgement' has unknown basis 'referral'" in faults


def test_a_basis_milestone_nothing_marks_is_named() -> None:
    faults = faults_of(
        variant(
            milestones={"referral": "referred"},
            **{"clocks.acknowledgement.basis": "referral"},
        )
    )
    assert "clock 'acknowledgement' counts from milestone 'referral' that nothing marks" in faults


def test_counting_from_another_clock_end_is_checked() -> None:
    faults = faults_of(variant(**{"clocks.acknowledgement.basis": "clock_end:nothing"}))
    assert "clock 'acknowledgement' counts from the end of unknown clock 'nothing'" in faults
    ok = variant(
        **{
            "clocks.response": {
                "label": "Respond",
                "amount": 10,
                "unit": "working_days",
                "basis": "clock_end:acknowledgement",
                "stops_on": ["resolve"],
            }
        }
    )
    assert "response" in parse(ok, source="tiny").clocks


def test_closing_without_an_outcome_and_outcomes_that_do_not_close_are_named() -> None:
    faults = faults_of(
        variant(
            **{
                "transitions.resolve.outcomes": None,
                "transitions.acknowledge.outcomes": ["resolved"],
            }
        )
    )
    assert "transition 'resolve' closes the case without an outcome" in faults
    assert "transition 'acknowledge' sets an outcome but does not close the case" in faults


def test_a_stage_that_can_never_close_is_named() -> None:
    document = variant(
        **{
            "stages.stuck": {"label": "Stuck"},
            "transitions.get_stuck": {
                "label": "Get stuck",
                "from": ["working"],
                "to": "stuck",
                "roles": ["handler"],
            },
        }
    )
    assert "a case in stage 'stuck' can never close" in faults_of(document)


def test_an_undeclared_letter_is_named() -> None:
    faults = faults_of(variant(**{"transitions.acknowledge.letters": ["poem"]}))
    assert "transition 'acknowledge' requires undeclared letter 'poem'" in faults


WORDING: dict[str, Any] = {
    "stages": {"received": "Received.", "working": "Working.", "closed": "Closed."},
    "steps": {"acknowledge": {"done": "Acknowledged."}, "resolve": {"done": "Resolved."}},
    "clocks": {"acknowledgement": "We will acknowledge it {by}."},
    "outcomes": {"resolved": "Resolved."},
}


def renamed_letter(**declared: Any) -> dict[str, Any]:
    """MINIMAL with its letter named `thanks` (not a kind), declared as `declared`."""
    wording = copy.deepcopy(WORDING)
    if declared:
        wording["letters"] = {"thanks": declared}
    return variant(
        **{
            "letters": {"thanks": "Thank you for your complaint"},
            "transitions.acknowledge.letters": ["thanks"],
            "wording": wording,
        }
    )


def test_a_letter_of_no_kind_is_named_and_its_declared_kind_makes_it_one() -> None:
    """A letter's kind says what it must contain and its default wording: a name that
    is not a kind needs its kind declared (code never guesses it from the name)."""
    faults = faults_of(renamed_letter())
    assert "wording.letters.thanks.kind: the letter 'thanks' needs its kind" in " ".join(faults)
    without_wording = variant(
        **{"letters": {"thanks": "Thanks"}, "transitions.acknowledge.letters": ["thanks"]}
    )
    assert any("letter 'thanks' needs its kind" in f for f in faults_of(without_wording))
    unknown = faults_of(renamed_letter(kind="sonnet"))
    assert any("wording.letters.thanks.kind: 'sonnet' is not a kind" in f for f in unknown)
    procedure = parse(renamed_letter(kind="acknowledgement"), source="tiny")
    assert procedure.wording is not None
    assert procedure.wording.letters["thanks"].kind == "acknowledgement"


def test_a_letter_s_own_wording_must_be_template_text() -> None:
    broken = renamed_letter(kind="acknowledgement", subject="Thanks {% if %}", body="Hello")
    faults = faults_of(broken)
    assert any(f.startswith("wording.letters.thanks.subject: not valid template") for f in faults)
    long = renamed_letter(kind="acknowledgement", subject="x" * 301, body="Hello")
    assert any("wording.letters.thanks.subject" in f for f in faults_of(long))


def test_a_misspelt_key_is_refused_not_ignored() -> None:
    faults = faults_of(variant(**{"transitions.acknowledge.role": ["handler"]}))
    assert any("transitions.acknowledge.role" in f for f in faults)


def test_an_extension_cap_on_a_clock_that_cannot_be_extended_is_named() -> None:
    cap = {"amount": 10, "unit": "working_days"}
    faults = faults_of(variant(**{"clocks.acknowledgement.extension_cap": cap}))
    assert "clock 'acknowledgement' has an extension cap but is not extendable" in faults


def test_a_file_that_is_not_yaml_or_not_a_mapping_is_named(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("key: [unclosed\n")
    with pytest.raises(ProcedureError, match=r"broken\.yaml: not valid YAML"):
        load_file(broken)
    listed = tmp_path / "list.yaml"
    listed.write_text("- a\n- b\n")
    with pytest.raises(ProcedureError, match="mapping at the top level"):
        load_file(listed)


def write_pack(folder: Path, document: dict[str, Any]) -> Path:
    path = folder / document["key"] / f"v{document['version']}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(document))
    return path


def test_the_version_in_force_is_chosen_by_date(tmp_path: Path) -> None:
    write_pack(tmp_path, MINIMAL)
    second = variant(version=2, effective_from="2026-06-01")
    second["revisions"].append({**MINIMAL["revisions"][0], "version": "2"})
    write_pack(tmp_path, second)
    registry = Registry(tmp_path)
    import datetime as dt

    assert registry.in_force("tiny", dt.date(2026, 5, 31)).version == 1
    assert registry.in_force("tiny", dt.date(2026, 6, 1)).version == 2


def test_a_file_named_for_another_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "tiny" / "v2.yaml"
    path.parent.mkdir()
    path.write_text(yaml.safe_dump(MINIMAL))
    with pytest.raises(ProcedureError, match=r"must be tiny/v1\.yaml"):
        Registry(tmp_path)


def test_a_published_version_that_changed_is_refused(tmp_path: Path) -> None:
    path = write_pack(tmp_path, MINIMAL)
    lock = tmp_path / "published.lock"
    assert Registry(tmp_path, lock).publish() == ["tiny@1"]
    assert json.loads(lock.read_text())["tiny@1"] == hashlib.sha256(path.read_bytes()).hexdigest()
    Registry(tmp_path, lock)  # unchanged: loads
    path.write_text(path.read_text().replace("Tiny procedure", "Tiny procedure, edited"))
    with pytest.raises(ProcedureError, match="was published and has since changed"):
        Registry(tmp_path, lock)


def test_the_shipped_packs_match_their_published_hashes() -> None:
    registry = Registry(PACKS_DIR, PACKS_DIR / "published.lock")
    assert registry.unpublished() == [], "publish new versions with manage.py publish_procedures"
