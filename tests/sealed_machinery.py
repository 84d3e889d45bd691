"""What the sealed-shuttle state machines share (tests/test_sealed_threads_property.py
and tests/test_case_policy_property.py): the fresh token every written text carries, the
roomy frame the machines run in, and the loop that runs a machine until it has taken
its steps."""

from __future__ import annotations

import logging
import math
import os
import types
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test

TOKEN_PREFIX = "tok-"


def with_token(words: str) -> str:
    """`words` and a fresh random token: a leak of this text anywhere is found by
    substring."""
    return f"{words} {TOKEN_PREFIX}{uuid.uuid4().hex}"


def tokens_in(text: str) -> set[str]:
    return {word for word in text.split() if word.startswith(TOKEN_PREFIX)}


# CPython 3.11 keeps frames in 16 KiB chunks and frees a chunk as soon as the stack
# shrinks out of it, so a loop of deep calls (a request through Django) that keeps
# crossing a chunk boundary maps and unmaps memory hundreds of times a step, doubling
# the run's time. One function whose frame fills 128 KiB is given a 256 KiB chunk; run
# inside it, the machine's calls all fit in the rest of that chunk.
_ROOMY = (
    "def roomy(run):\n    "
    + " = ".join(f"s{i}" for i in range(16_500))
    + " = None\n    return run()\n"
)
_roomy_code = next(
    c for c in compile(_ROOMY, "<roomy>", "exec").co_consts if isinstance(c, types.CodeType)
)
in_roomy_frame: Callable[[Callable[[], Any]], Any] = types.FunctionType(_roomy_code, {})


@contextmanager
def quiet_request_log() -> Iterator[None]:
    """A 4xx is logged by django.request; a machine makes thousands."""
    request_log = logging.getLogger("django.request")
    level = request_log.level
    request_log.setLevel(logging.ERROR)
    try:
        yield
    finally:
        request_log.setLevel(level)


def seed_for(part: int) -> int | None:
    """The seed a run (or a part of one) starts from: fixed, so that CI replays exactly
    what was run before it landed (a failure prints its steps, and the same seed finds
    it again); `ACCORD_PROPERTY_SEED=random` explores fresh examples instead, and a
    number starts elsewhere."""
    chosen = os.environ.get("ACCORD_PROPERTY_SEED", "0")
    if chosen == "random":
        return None
    return int(chosen) * 1_000 + part * 100


def run_steps(machine: Any, min_steps: int, steps_per_example: int, seed: int | None) -> None:
    """Run `machine` (whose class attribute `steps_run` counts its steps) until it has
    taken at least `min_steps` steps. An example may end before `steps_per_example`
    steps (Hypothesis varies the length), so it runs again until the count is reached,
    each round from its own seed (`seed_for`; None: at random)."""

    def run() -> None:
        for round_ in range(10):
            if machine.steps_run >= min_steps:
                return
            examples = math.ceil((min_steps - machine.steps_run) / steps_per_example)
            # A seed overrides CI's derandomized profile, which would replay the same
            # examples in every round and every part.
            machine._hypothesis_internal_use_seed = None if seed is None else seed + round_
            run_state_machine_as_test(
                machine,
                settings=settings(
                    database=None,
                    max_examples=examples,
                    stateful_step_count=steps_per_example,
                    deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
                ),
            )

    with quiet_request_log():
        in_roomy_frame(run)
