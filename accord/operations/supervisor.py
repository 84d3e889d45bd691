"""A small process supervisor for `manage.py serve`: starts each program, restarts one
that dies (with a growing delay), and on SIGTERM or Ctrl-C stops them all — SIGTERM
first, SIGKILL after a grace period — so nothing is left running. Each child also gets
SIGTERM from the kernel if the supervisor itself is killed (PR_SET_PDEATHSIG), so even
`kill -9` of the supervisor leaves no orphans."""

from __future__ import annotations

import ctypes
import functools
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

log = logging.getLogger("accord.operations")

PR_SET_PDEATHSIG = 1


@dataclass
class Program:
    name: str
    argv: Sequence[str]
    env: dict[str, str] = field(default_factory=dict)
    # Added to the process's niceness: background work (tasks, sweeps, delivery) yields
    # the CPU to the web processes people are waiting on, and catches up when they idle.
    niceness: int = 0
    # Run only when the CPU is otherwise idle (Linux's SCHED_IDLE): a web process that
    # wakes takes the core at once, rather than after the running task's time slice.
    idle: bool = False
    process: subprocess.Popen[bytes] | None = None
    restarts: int = 0
    restart_at: float = 0.0


def _child_setup(niceness: int, idle: bool) -> None:  # pragma: no cover - in the child
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    # Its own process group: Ctrl-C reaches the supervisor, which stops children in order.
    os.setpgrp()
    if niceness:
        os.nice(niceness)
    if idle and hasattr(os, "SCHED_IDLE"):
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))


class Supervisor:
    def __init__(self, programs: Sequence[Program], *, grace: float = 30.0) -> None:
        self.programs = list(programs)
        self.grace = grace
        self.stopping = False

    def _start(self, program: Program) -> None:
        program.process = subprocess.Popen(  # noqa: S603 - our own argv
            list(program.argv),
            env={**os.environ, **program.env},
            preexec_fn=functools.partial(_child_setup, program.niceness, program.idle),
        )
        log.info(
            "started %s (pid %s, niceness +%s%s)",
            program.name,
            program.process.pid,
            program.niceness,
            ", when the CPU is idle" if program.idle else "",
        )

    def _request_stop(self, signum: int, frame: object) -> None:
        if not self.stopping:
            log.info("%s received: stopping every process", signal.Signals(signum).name)
        self.stopping = True

    def run(self) -> int:
        signal.signal(signal.SIGTERM, self._request_stop)
        signal.signal(signal.SIGINT, self._request_stop)
        for program in self.programs:
            self._start(program)
        while not self.stopping:
            now = time.monotonic()
            for program in self.programs:
                proc = program.process
                if proc is not None and proc.poll() is not None:
                    program.restarts += 1
                    delay = min(30.0, 2.0 ** min(program.restarts, 5) / 2)
                    log.warning(
                        "%s (pid %s) exited with %s; restarting in %.0fs",
                        program.name,
                        proc.pid,
                        proc.returncode,
                        delay,
                    )
                    program.process, program.restart_at = None, now + delay
                elif proc is None and now >= program.restart_at:
                    self._start(program)
            time.sleep(0.2)
        return self.stop()

    def stop(self) -> int:
        running = [p for p in self.programs if p.process is not None and p.process.poll() is None]
        for program in running:
            assert program.process is not None
            program.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + self.grace
        for program in running:
            assert program.process is not None
            try:
                program.process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning("%s did not stop in %ss: killed", program.name, self.grace)
                program.process.kill()
                program.process.wait()
            log.info("%s stopped (exit %s)", program.name, program.process.returncode)
        return 0
