"""Declarations beside a pack say, of versions published before the format could, what
the code used to know by key; they are checked, limited to published versions and known
keys, and locked once published like a version."""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path

import pytest
import yaml

from accord.procedures.definition import Effect
from accord.procedures.loader import ProcedureError
from accord.procedures.registry import PACKS_DIR, Registry, registry
from accord.reporting.outcomes import has_upheld_outcomes, outcome_kind
from tests.test_procedure_validation import MINIMAL


def test_published_versions_get_the_declarations_the_next_version_makes_itself() -> None:
    for version in (1, 2, 3, 4):
        occs = registry().get("occs-mediation", version)
        assert {k for k, c in occs.clocks.items() if c.limits_obligations} == {
            "agreement",
            "senior_timeframe",
        }
        assert {k for k, t in occs.transitions.items() if Effect.RECORD_AGREEMENT in t.effects} == {
            "agree_resolution",
            "agree_senior_resolution",
        }
    for key, versions in (("lettings", (1, 2, 3, 4)), ("fca-disp", (1, 2)),
                          ("housing-ombudsman", (1, 2)), ("fca-disp-payments", (1, 2))):  # fmt: skip
        for version in versions:
            outcomes = registry().get(key, version).outcomes
            assert {k for k, o in outcomes.items() if o.upheld} == {"upheld", "partly_upheld"}
    assert outcome_kind("lettings", 2, "partly_upheld").upheld
    assert not outcome_kind("lettings", 2, "not_upheld").upheld
    assert has_upheld_outcomes("fca-disp")
    assert not has_upheld_outcomes("occs-mediation")


def tiny(tmp_path: Path, declarations: object, *, publish: bool = True) -> Path:
    folder = tmp_path / "tiny"
    folder.mkdir(parents=True, exist_ok=True)
    pack = copy.deepcopy(MINIMAL)
    (folder / "v1.yaml").write_text(yaml.safe_dump(pack))
    (folder / "declarations.yaml").write_text(yaml.safe_dump(declarations))
    lock = tmp_path / "published.lock"
    sha256 = hashlib.sha256((folder / "v1.yaml").read_bytes()).hexdigest()
    lock.write_text(json.dumps({"tiny@1": sha256} if publish else {}))
    return lock


def test_a_declaration_applies_to_a_published_version(tmp_path: Path) -> None:
    outcome = next(iter(MINIMAL["outcomes"]))
    lock = tiny(
        tmp_path, {"declares": [{"versions": [1], "outcomes": {outcome: {"upheld": True}}}]}
    )
    loaded = Registry(tmp_path, lock)
    assert loaded.get("tiny", 1).outcomes[outcome].upheld
    # Publishing locks the declarations file too; changed afterwards, it is refused.
    assert loaded.publish() == ["tiny/declarations.yaml"]
    assert "tiny/declarations.yaml" in json.loads(lock.read_text())
    (tmp_path / "tiny" / "declarations.yaml").write_text(
        yaml.safe_dump({"declares": [{"versions": [1], "outcomes": {outcome: {"upheld": False}}}]})
    )
    with pytest.raises(ProcedureError, match="was published and has since changed"):
        Registry(tmp_path, lock)


@pytest.mark.parametrize(
    ("declaration", "fault"),
    [
        ({"versions": [1], "outcomes": {"nonsense": {"upheld": True}}}, "has no outcome"),
        ({"versions": [1], "clocks": {"nonsense": {"limits_obligations": True}}}, "has no clock"),
        ({"versions": [7], "outcomes": {}}, "there is no version 7"),
        ({"versions": [1], "stages": {}}, "Extra inputs are not permitted"),
        ({"versions": [1], "outcomes": {"resolved": {"label": "x"}}}, "Extra inputs"),
        (
            {"versions": [1], "transitions": {"acknowledge": {"adds_effects": ["record_consent"]}}},
            "record_agreement",
        ),
    ],
)
def test_a_declaration_that_does_not_fit_is_refused(tmp_path, declaration, fault) -> None:
    lock = tiny(tmp_path, {"declares": [declaration]})
    with pytest.raises(ProcedureError, match=fault):
        Registry(tmp_path, lock)


def test_an_unpublished_version_declares_in_its_own_file(tmp_path: Path) -> None:
    outcome = next(iter(MINIMAL["outcomes"]))
    declaration = {"declares": [{"versions": [1], "outcomes": {outcome: {"upheld": True}}}]}
    lock = tiny(tmp_path, declaration, publish=False)
    with pytest.raises(ProcedureError, match="declare it in its own file"):
        Registry(tmp_path, lock)


def test_the_shipped_declarations_are_published() -> None:
    locked = json.loads((PACKS_DIR / "published.lock").read_text())
    for path in PACKS_DIR.glob("*/declarations*.yaml"):
        assert f"{path.parent.name}/{path.name}" in locked
