"""Document endpoints under /api/cases/<reference>/: upload into a thread, list the
documents you may see, download one. Each looks the case up (404 if not visible), asks
`visibility` which threads the user may read, calls one action, returns."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.http import FileResponse, Http404, HttpRequest
from django.utils import timezone
from ninja import File, Router, Schema, Status, UploadedFile

from accord.api_support import ERRORS
from accord.api_support import request_user as _user
from accord.auth import staff_or_party_auth
from accord.cases.lookup import visible_case
from accord.mediation import documents
from accord.mediation.choices import Party
from accord.mediation.models import Document
from accord.mediation.visibility import visible_documents

logger = logging.getLogger(__name__)
router = Router(tags=["documents"], auth=staff_or_party_auth)


class DocumentOut(Schema):
    id: int
    party: str
    name: str
    content_type: str
    size: int
    sha256: str
    uploaded_at: dt.datetime


def document_out(document: Document) -> dict[str, Any]:
    return {
        "id": document.pk,
        "party": document.thread.party,
        "name": document.name,
        "content_type": document.content_type,
        "size": document.size,
        "sha256": document.sha256,
        "uploaded_at": document.uploaded_at,
    }


@router.post(
    "/{reference}/threads/{party}/documents",
    response={201: DocumentOut, **ERRORS},
    summary="Upload a document into a party's thread (your own, or, as staff, either)",
)
def upload_document(
    request: HttpRequest, reference: str, party: Party, file: File[UploadedFile]
) -> Status[dict[str, Any]]:
    user = _user(request)
    case = visible_case(user, reference)
    document = documents.upload(case.pk, user, party, file, now=timezone.now())
    return Status(201, document_out(document))


@router.get(
    "/{reference}/documents",
    response={200: list[DocumentOut], **ERRORS},
    summary="The documents in the threads you may read",
)
def list_documents(request: HttpRequest, reference: str) -> list[dict[str, Any]]:
    user = _user(request)
    case = visible_case(user, reference)
    found = visible_documents(user, case).select_related("thread").order_by("uploaded_at", "id")
    return [document_out(document) for document in found]


@router.get(
    "/{reference}/documents/{document_id}",
    response=ERRORS,
    summary="Download a document (as an attachment)",
    openapi_extra={
        "responses": {
            200: {
                "description": "The file, as uploaded",
                "content": {"application/octet-stream": {"schema": {"type": "string"}}},
            }
        }
    },
)
def download_document(request: HttpRequest, reference: str, document_id: int) -> FileResponse:
    user = _user(request)
    case = visible_case(user, reference)
    # Not in a thread this user may read: the same 404 as a document that does not exist.
    document = visible_documents(user, case).filter(pk=document_id).first()
    if document is None:
        raise Http404("no such document")
    try:
        handle = documents.path_of(document.stored_as).open("rb")
    except (ValueError, OSError) as exc:
        logger.error("document %s (%s) cannot be read: %s", document.pk, document.stored_as, exc)
        raise Http404("this document's file is not available") from exc
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=document.name,
        content_type=document.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
