"""The site's 400 handler: a refused request explained to the person who sent it.

The common case is an upload over the size limit, refused while it is still arriving
(`UploadLimitHandler`) — often while the CSRF check first reads the form, before any
view runs — so the view cannot show the message on its form. This page says what
happened and sends the person back; the JSON API answers in JSON. A multipart body
that cannot be read (no boundary, cut short) is a 400 here too (`MalformedBodyMiddleware`),
never a 500.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import BadRequest, RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme

from accord.mediation.documents import UploadRefusedWhileArriving


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    too_big = isinstance(exception, RequestDataTooBig)
    if isinstance(exception, UploadRefusedWhileArriving):
        message = f"Nothing was sent: {exception}."
    elif too_big:
        message = "Nothing was sent: what you sent is larger than this service accepts."
    else:
        message = "We could not understand that request. Please go back and try again."
    status = 413 if too_big else 400
    if request.path.startswith("/api/"):
        error = "too_large" if too_big else "bad_request"
        return JsonResponse({"error": error, "message": message}, status=status)
    referer = request.META.get("HTTP_REFERER", "")
    safe = url_has_allowed_host_and_scheme(referer, {request.get_host()}, request.is_secure())
    back = referer if referer and safe else ""
    return render(request, "400.html", {"message": message, "back": back}, status=status)


class _ClosingBoundaryStream:
    """The request's body as the multipart parser reads it, watching for the closing
    boundary: a body that ends without one was cut short, and Django's parser would
    otherwise take what arrived as the whole form."""

    def __init__(self, stream: Any, boundary: bytes) -> None:
        self.stream = stream
        self.close = b"--" + boundary + b"--"
        self.tail = b""
        self.closed_seen = False

    def read(self, size: int | None = -1) -> bytes:
        return self._watch(self.stream.read(size))

    def readline(self, size: int | None = -1) -> bytes:
        return self._watch(self.stream.readline(size))

    def _watch(self, data: bytes) -> bytes:
        if not self.closed_seen:
            window = self.tail + data
            self.closed_seen = self.close in window
            self.tail = window[-len(self.close) :]
            if not data and not self.closed_seen:
                raise MultiPartParserError("the body ends before its closing boundary")
        return data

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


class MalformedBodyMiddleware:
    """A multipart body that cannot be read — no boundary, or cut short before its
    closing boundary — is a 400, never a 500 nor half a form. For the pages the form is
    read here, before the CSRF check reads it, and answered with the 400 page; the API
    answers the same error itself, in JSON (`accord.api.malformed_multipart`)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method == "POST" and request.content_type == "multipart/form-data":
            boundary = (request.content_params or {}).get("boundary", "")
            stream = getattr(request, "_stream", None)
            if boundary and stream is not None:
                encoded = boundary.encode("ascii", errors="replace")
                request._stream = _ClosingBoundaryStream(stream, encoded)  # type: ignore[assignment]
        return self.get_response(request)

    def process_view(self, request: HttpRequest, *args: Any) -> None:
        if request.method != "POST" or request.path.startswith("/api/"):
            return
        if request.content_type != "multipart/form-data":
            return
        try:
            request.POST  # noqa: B018 - parsed now, with the configured upload handlers
        except MultiPartParserError as exc:
            raise BadRequest(f"the form's body cannot be read: {exc}") from exc
