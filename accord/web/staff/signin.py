"""Staff sign-in: a password, then a TOTP code (django-otp). A staff member without a
confirmed authenticator enrols one on the way. Nobody is signed in until both factors
pass: between the two steps the session only remembers who gave a right password, for
a few minutes, so a password alone never opens a session the API or admin would accept."""

from __future__ import annotations

import base64
import hashlib
import time
from typing import Any

import segno
from django.conf import settings
from django.contrib import auth, messages
from django.contrib.auth import authenticate
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from accord.accounts.models import User
from accord.policy.roles import staff_role
from accord.throttles import Allowance
from accord.web.staff.forms import CodeForm, PasswordForm

PENDING = "accord.staff_pending"
PENDING_SECONDS = 600
ENROL_DEVICE_NAME = "authenticator"
NOT_STAFF = (
    "This sign-in is for an organisation's staff. If you made a complaint, use the link "
    "in the e-mail we sent you; if you answer complaints for a business, use the "
    "business sign-in."
)


class WrongPasswordThrottle(Allowance):
    """Wrong passwords for one username from one client address (the cache-based
    throttle public intake uses). Only wrong passwords count; once the allowance is
    spent even the right password waits, so guessing is slow and says nothing."""

    scope = "staff_login"

    def __init__(self, username: str) -> None:
        self.username = username.strip().casefold()
        super().__init__(settings.ACCORD_STAFF_LOGIN_RATE)

    def get_cache_key(self, request: HttpRequest) -> str:
        # Hashed: a username may hold characters a cache key may not.
        ident = f"{self.username}|{self.get_ident(request)}"
        return self.cache_format % {
            "scope": self.scope,
            "ident": hashlib.sha256(ident.encode()).hexdigest(),
        }

    def record(self, request: HttpRequest) -> None:
        """Count one wrong password."""
        self.allow_request(request)


def signs_in_here(user: User | AnonymousUser) -> bool:
    """Staff, and the superusers who run the service (for the admin), sign in here with
    a second factor; parties have their own ways in."""
    return staff_role(user) is not None or bool(getattr(user, "is_superuser", False))


def _next(request: HttpRequest, given: str | None = None) -> str:
    target = given if given is not None else request.GET.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("staff-queue")


def _pending(request: HttpRequest) -> tuple[User, str] | None:
    """The staff member who gave a right password in this session, and where they were
    going; a signed-in, unverified staff member counts too (e.g. from the admin)."""
    user = request.user
    if user.is_authenticated and signs_in_here(user) and user.is_active:
        stored = request.session.get(PENDING) or {}
        return user, str(stored.get("next", ""))
    stored = request.session.get(PENDING)
    if not stored or time.time() - float(stored.get("at", 0)) > PENDING_SECONDS:
        return None
    found = User.objects.filter(pk=stored.get("user"), is_active=True).first()
    if found is None or not signs_in_here(found):
        return None
    return found, str(stored.get("next", ""))


def _confirmed_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def _complete(request: HttpRequest, user: User, device: TOTPDevice, target: str) -> HttpResponse:
    if not request.user.is_authenticated or request.user.pk != user.pk:
        auth.login(request, user, backend=settings.AUTHENTICATION_BACKENDS[0])
    otp_login(request, device)
    request.session.pop(PENDING, None)
    destination = _next(request, target)
    if staff_role(user) is None and destination == reverse("staff-queue"):
        # The service's administrator has no organisation, so no work queue: the admin.
        destination = reverse("admin:index")
    return HttpResponseRedirect(destination, status=303)


def _refusal(device: TOTPDevice) -> str | None:
    """Why this device may not be tried now (too many wrong codes), or None."""
    allowed, detail = device.verify_is_allowed()
    if allowed:
        return None
    until = (detail or {}).get("locked_until")
    when = f" after {timezone.localtime(until):%H:%M:%S}" if until else " in a moment"
    return f"Too many wrong codes. Try again{when}."


def _check_code(form: CodeForm, device: TOTPDevice) -> bool:
    refusal = _refusal(device)
    if refusal is not None:
        form.add_error("code", refusal)
        return False
    if not device.verify_token(form.cleaned_data["code"]):
        form.add_error("code", "That code is not right. Enter the code your app shows now.")
        return False
    return True


def login(request: HttpRequest) -> HttpResponse:
    """Step one: username and password."""
    user = request.user
    if user.is_authenticated and signs_in_here(user) and user.is_verified():  # type: ignore[attr-defined]
        return HttpResponseRedirect(_next(request))
    form = PasswordForm(request.POST if request.method == "POST" else None)
    status = 200
    throttle = WrongPasswordThrottle(str(form.data.get("username", "")))
    if request.method == "POST" and form.is_valid() and throttle.spent(request):
        form.add_error(None, "Too many wrong passwords. Wait a few minutes and try again.")
        status = 429
    elif request.method == "POST" and form.is_valid():
        found = authenticate(
            request,
            username=form.cleaned_data["username"],
            password=form.cleaned_data["password"],
        )
        if found is None:
            throttle.record(request)
            form.add_error(None, "Enter a correct username and password.")
            status = 400
        elif not signs_in_here(found):
            form.add_error(None, NOT_STAFF)
            status = 403
        else:
            request.session.cycle_key()
            request.session[PENDING] = {
                "user": found.pk,
                "at": time.time(),
                "next": _next(request),
            }
            step = "staff-login-code" if _confirmed_device(found) else "staff-enrol"
            return HttpResponseRedirect(reverse(step), status=303)
    elif request.method == "POST":
        status = 400
    return render(request, "web/staff/login.html", {"form": form}, status=status)


def code(request: HttpRequest) -> HttpResponse:
    """Step two: the code from the staff member's authenticator app."""
    pending = _pending(request)
    if pending is None:
        messages.info(request, "Please sign in again.")
        return HttpResponseRedirect(reverse("staff-login"))
    user, target = pending
    device = _confirmed_device(user)
    if device is None:
        return HttpResponseRedirect(reverse("staff-enrol"))
    form = CodeForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid() and _check_code(form, device):
            return _complete(request, user, device, target)
        status = 400
    return render(request, "web/staff/code.html", {"form": form, "person": user}, status=status)


def _qr(device: TOTPDevice) -> SafeString:
    svg = segno.make(device.config_url, error="m").svg_inline(
        scale=5, title="QR code for your authenticator app"
    )
    return mark_safe(svg)  # noqa: S308 (segno's own SVG; the URL in it is escaped)


def _grouped_secret(device: TOTPDevice) -> str:
    secret = base64.b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def enrol(request: HttpRequest) -> HttpResponse:
    """A staff member with no confirmed authenticator sets one up: scan the QR code (or
    type the secret), then prove it with a code."""
    pending = _pending(request)
    if pending is None:
        messages.info(request, "Please sign in again.")
        return HttpResponseRedirect(reverse("staff-login"))
    user, target = pending
    if _confirmed_device(user) is not None:
        return HttpResponseRedirect(reverse("staff-login-code"))
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=ENROL_DEVICE_NAME, confirmed=False)
    form = CodeForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid() and _check_code(form, device):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            messages.success(request, "Your authenticator app is set up.")
            return _complete(request, user, device, target)
        status = 400
    context: dict[str, Any] = {
        "form": form,
        "person": user,
        "qr": _qr(device),
        "secret": _grouped_secret(device),
    }
    return render(request, "web/staff/enrol.html", context, status=status)


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    auth.logout(request)
    messages.info(request, "You have signed out.")
    return HttpResponseRedirect(reverse("staff-login"), status=303)
