"""Once per submission: a POST that creates something (a reply, an upload, a note, a
logged complaint) is acted on once however often the browser sends it.

Each such form carries `{% submission_key %}`, a fresh random key. The view, decorated
with `@once_per_submission`, records the key in the same transaction as its work; a
second POST with that key finds it recorded and is sent back to the page (303) with a
note instead of doing the work again. A POST that does not succeed (the form is shown
again with errors) releases its key so the corrected form can be sent.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme

from accord.web.models import Submission

FIELD = "submission_key"
_KEY = re.compile(r"^[A-Za-z0-9_-]{16,64}$")

View = TypeVar("View", bound=Callable[..., HttpResponse])


def _back(request: HttpRequest) -> HttpResponseRedirect:
    """Back to the page the form was on (the Referer, when it is this site's), else to
    the address posted to: many POST views answer nothing to a GET."""
    referer = request.META.get("HTTP_REFERER", "")
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return HttpResponseRedirect(referer, status=303)
    return HttpResponseRedirect(request.get_full_path(), status=303)


class _Repeat(Exception):
    """The key was already used: undo this attempt's savepoint."""


def once_per_submission(view: View) -> View:
    """Act on each submission key once. POSTs without a valid key are refused as a
    stale form (400 is wrong for a person: they are sent back to the page with a note)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method != "POST":
            return view(request, *args, **kwargs)
        key = request.POST.get(FIELD, "")
        if not _KEY.match(key):
            messages.error(request, "That form had expired. Please fill it in again.")
            return _back(request)
        user = request.user if request.user.is_authenticated else None
        try:
            with transaction.atomic():
                try:
                    with transaction.atomic():
                        Submission.objects.create(key=key, user=user, path=request.path[:300])
                except IntegrityError:
                    raise _Repeat from None
                response = view(request, *args, **kwargs)
                if not (300 <= response.status_code < 400):
                    # Not acted on (errors shown): release the key for the corrected form.
                    Submission.objects.filter(key=key).delete()
                return response
        except _Repeat:
            messages.info(request, "That was already sent; it has not been sent twice.")
            return _back(request)

    return cast(View, wrapper)
