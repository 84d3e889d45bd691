"""A web process's memory after start-up. CPython's full garbage collection walks every
object the process holds, and a worker holds a great many that live as long as it does
(modules, the URLconf and its views, the procedure registry, templates): at about 270k
objects a full pass took 100-270 ms, which landed on whichever request triggered it (the
staff case page of a 200-event mediation: p95 318 ms with, 62 ms without). Freezing what
start-up made moves it out of the collector's sight; what requests make is collected as
before."""

from __future__ import annotations

import gc

from django.urls import get_resolver


def freeze_after_startup() -> None:
    """Import every view and make what the first requests would (`warmup`) now, then
    freeze what is held."""
    from accord.operations.warmup import warm_up

    get_resolver().url_patterns  # noqa: B018 - resolving imports the views
    warm_up()
    gc.collect()
    gc.freeze()
