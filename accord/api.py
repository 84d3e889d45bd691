"""The JSON API: one NinjaAPI, its error mapping, and the routers of each app.
OpenAPI is served at /api/openapi.json and browsable at /api/docs."""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.datastructures import MultiValueDict
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser

from accord.cases.api import intake_router
from accord.cases.api import router as cases_router
from accord.cases.errors import ActionRefused
from accord.cleaning import UnstorableText, refuse
from accord.inbound.api import router as inbound_router
from accord.letters.api import router as letters_router
from accord.mediation.agreements_api import router as agreements_router
from accord.mediation.api import router as mediation_router
from accord.mediation.documents_api import router as documents_router
from accord.outbox.api import router as outbox_router
from accord.procedures.api import router as procedures_router
from accord.quality.api import router as quality_router
from accord.reporting.api import router as reporting_router


class StorableTextParser(Parser):
    """Every body, query and form the API reads goes through `accord.cleaning`: a string
    (or key) that cannot be stored is refused with its path, before any schema or
    endpoint sees it."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        data = json.loads(request.body)
        refuse(data)  # ninja turns any error here into a 400; `http_error` names the field
        return data  # type: ignore[no-any-return]

    def parse_querydict(
        self, data: MultiValueDict[str, Any], list_fields: list[str], request: HttpRequest
    ) -> dict[str, Any]:
        parsed = super().parse_querydict(data, list_fields, request)
        refuse(parsed)
        return parsed


api = NinjaAPI(
    parser=StorableTextParser(),
    title="Accord",
    version="1",
    description="Complaints handling and shuttle mediation.",
    urls_namespace="api",
)
api.add_router("/", intake_router)
api.add_router("/cases", cases_router)
api.add_router("/cases", mediation_router)
api.add_router("/cases", documents_router)
api.add_router("/cases", agreements_router)
api.add_router("/procedures", procedures_router)
api.add_router("/letters", letters_router)
api.add_router("/outbox", outbox_router)
api.add_router("/inbound", inbound_router)
api.add_router("/reports", reporting_router)
api.add_router("/quality", quality_router)


@api.exception_handler(ActionRefused)
def action_refused(request: HttpRequest, exc: ActionRefused) -> HttpResponse:
    return api.create_response(
        request,
        {"error": exc.code, "message": exc.message, "field": exc.field},
        status=exc.status,
    )


@api.exception_handler(ValidationError)
def invalid_input(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    fields = []
    for error in exc.errors:
        location = [str(part) for part in error.get("loc", ())]
        # Drop ninja's "body"/"payload" prefix so the field reads as the user sent it.
        while location and location[0] in {"body", "payload", "query", "path", "header"}:
            location = location[1:]
        fields.append({"field": ".".join(location) or None, "message": error.get("msg", "")})
    message = "; ".join(
        f"{item['field']}: {item['message']}" if item["field"] else str(item["message"])
        for item in fields
    )
    return api.create_response(
        request,
        {"error": "invalid", "message": message or "invalid request", "fields": fields},
        status=422,
    )


@api.exception_handler(UnstorableText)
def unstorable_text(request: HttpRequest, exc: UnstorableText) -> HttpResponse:
    """Like every validation error: a 422 that names the field."""
    return api.create_response(
        request,
        {
            "error": "invalid",
            "message": str(exc),
            "field": exc.field or None,
            "fields": [{"field": exc.field or None, "message": exc.message}],
        },
        status=422,
    )


@api.exception_handler(MultiPartParserError)
def malformed_multipart(request: HttpRequest, exc: MultiPartParserError) -> HttpResponse:
    return api.create_response(
        request,
        {"error": "malformed", "message": f"the multipart body cannot be read: {exc}"},
        status=400,
    )


@api.exception_handler(RequestDataTooBig)
def too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    from accord.mediation.documents import UploadRefusedWhileArriving

    known = isinstance(exc, UploadRefusedWhileArriving)
    message = str(exc) if known else "the request body is too large"
    return api.create_response(request, {"error": "too_large", "message": message}, status=413)


@api.exception_handler(AuthenticationError)
def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(
        request,
        {"error": "unauthenticated", "message": "sign in or send a valid token"},
        status=401,
    )


HTTP_ERROR_CODES = {400: "malformed", 405: "method_not_allowed", 429: "throttled"}
HTTP_ERROR_MESSAGES = {
    400: "the request body is not valid JSON",
    429: "too many requests from this address; try again in a minute",
}


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if isinstance(exc.__cause__, UnstorableText):  # raised while parsing the body
        return unstorable_text(request, exc.__cause__)
    status = exc.status_code
    return api.create_response(
        request,
        {
            "error": HTTP_ERROR_CODES.get(status, "error"),
            "message": HTTP_ERROR_MESSAGES.get(status, str(exc)),
        },
        status=status,
    )


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(
        request, {"error": "not_found", "message": str(exc) or "not found"}, status=404
    )
