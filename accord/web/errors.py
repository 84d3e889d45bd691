"""The site's 400 handler: a refused request explained to the person who sent it.

The common case is an upload over the size limit, refused while it is still arriving
(`UploadLimitHandler`) — often while the CSRF check first reads the form, before any
view runs — so the view cannot show the message on its form. This page says what
happened and sends the person back; the JSON API answers in JSON.
"""

from __future__ import annotations

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
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
