"""Read-only access to the procedures Accord runs."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest
from ninja import Router

from accord.procedures.registry import UnknownProcedure, registry

router = Router(tags=["procedures"])


@router.get("", summary="Every procedure version shipped")
def list_procedures(request: HttpRequest) -> list[dict[str, Any]]:
    return [
        {
            "key": loaded.procedure.key,
            "version": loaded.procedure.version,
            "name": loaded.procedure.name,
            "effective_from": loaded.procedure.effective_from,
            "sha256": loaded.sha256,
        }
        for loaded in registry().all()
    ]


@router.get("/{key}/{version}", summary="One procedure version, in full")
def show_procedure(request: HttpRequest, key: str, version: int) -> dict[str, Any]:
    try:
        procedure = registry().get(key, version)
    except UnknownProcedure:
        raise Http404("no such procedure") from None
    return procedure.model_dump(mode="json", by_alias=True)
