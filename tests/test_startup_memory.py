"""A web process freezes what start-up made, so full collections skip it."""

from __future__ import annotations

import gc
import importlib
import sys


def test_the_wsgi_application_freezes_its_start_up_heap() -> None:
    gc.unfreeze()
    sys.modules.pop("accord.wsgi", None)
    try:
        module = importlib.import_module("accord.wsgi")
        assert callable(module.application)
        assert gc.get_freeze_count() > 10_000
    finally:
        gc.unfreeze()
