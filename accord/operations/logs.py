"""Logs: one JSON object a line in production (`LOG_FORMAT=json`, the default when
DEBUG is off), plain lines in development. Every line written while a request is
handled carries its request id (the proxy's `X-Request-ID` if it sent a sane one,
else a new one; sent back in the response), the user and the case reference when the
URL names one."""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
import re
import uuid
from collections.abc import Callable
from typing import Any

from django.core.signals import request_finished
from django.http import HttpRequest, HttpResponse

_context: contextvars.ContextVar[dict[str, str] | None] = contextvars.ContextVar(
    "accord_log_context", default=None
)
_SANE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestContextFilter(logging.Filter):
    """Adds request_id, user and case to every record (empty outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        context = _context.get() or {}
        for key in ("request_id", "user", "case"):
            if not hasattr(record, key):
                setattr(record, key, context.get(key, ""))
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, tz=dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in ("request_id", "user", "case"):
            value = getattr(record, key, "")
            if value:
                line[key] = value
        status = getattr(record, "status_code", None)
        if status is not None:
            line["status"] = status
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class RequestIdMiddleware:
    """Sets the log context for the request; after authentication, adds the user."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        given = request.headers.get("X-Request-ID", "")
        request_id = given if _SANE_ID.fullmatch(given) else uuid.uuid4().hex
        # Kept until the response is finished (`request_finished`), so Django's own
        # line about a 4xx/5xx response, written after the middleware, carries it too.
        _context.set({"request_id": request_id})
        response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response

    def process_view(
        self, request: HttpRequest, view: Any, args: Any, kwargs: dict[str, Any]
    ) -> None:
        context = _context.get()
        if context is None:
            return
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            context["user"] = str(user.get_username())
        reference = kwargs.get("reference")
        if isinstance(reference, str):
            context["case"] = reference[:40]


def _forget(**kwargs: Any) -> None:
    _context.set(None)


request_finished.connect(_forget, dispatch_uid="accord-log-context")


def note_user(username: str) -> None:
    """For requests authenticated inside the view (API bearer tokens)."""
    context = _context.get()
    if context is not None:
        context["user"] = username
