"""The packs' party wording: the format, the loader's checks and the accessor."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from accord.procedures.loader import ProcedureError
from accord.procedures.registry import PACKS_DIR, Registry, registry
from accord.procedures.wording import party_wording

SEEDS = ("occs-mediation", "client-services", "lettings")


def test_every_seed_version_has_party_wording_for_every_key() -> None:
    for loaded in registry().all():
        if loaded.procedure.key not in SEEDS:
            continue
        procedure = loaded.procedure
        assert procedure.wording is not None, procedure.ref
        wording = party_wording(procedure)
        for key in procedure.stages:
            assert wording.stage(key)
            assert wording.stage(key) != procedure.stages[key].label
        for key in procedure.outcomes:
            assert wording.outcome(key) != procedure.outcomes[key].label


def test_next_step_fills_the_date_in_plain_words() -> None:
    procedure = registry().get("lettings", 3)
    due = dt.datetime(2026, 12, 5, 0, 0, tzinfo=dt.UTC)
    text = party_wording(procedure).next_step("stage1_acknowledgement", due)
    assert text == "We will acknowledge your complaint by the end of Friday 4 December 2026."


def _copy_pack(tmp_path: Path, key: str) -> Path:
    target = tmp_path / key
    shutil.copytree(PACKS_DIR / key, target)
    return target


def test_an_unknown_key_in_a_wording_file_is_a_fault(tmp_path: Path) -> None:
    pack = _copy_pack(tmp_path, "lettings")
    wording = pack / "wording.yaml"
    wording.write_text(
        wording.read_text().replace("  closed: Your complaint is closed.", "  clsoed: Closed.")
    )
    with pytest.raises(ProcedureError) as caught:
        Registry(tmp_path)
    faults = " ".join(caught.value.faults)
    assert "stages names unknown 'clsoed'" in faults
    assert "lettings@1: wording: stages has no party wording for 'closed'" in faults


def test_a_promise_may_fill_in_only_its_date(tmp_path: Path) -> None:
    pack = _copy_pack(tmp_path, "lettings")
    wording = pack / "wording.yaml"
    wording.write_text(wording.read_text().replace("{by}.", "{due_at}.", 1))
    with pytest.raises(ProcedureError, match="only \\{by\\} and \\{day\\}"):
        Registry(tmp_path)


def test_a_respondent_reads_only_what_is_worded_for_it() -> None:
    procedure = registry().get("lettings", 3)
    assert not party_wording(procedure).mediates
    assert party_wording(procedure, "respondent").stage("closed") == "Your complaint is closed."
