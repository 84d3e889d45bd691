"""Who is signed in, read on every request: the session, its user and the user's second
factor, each one row by its key. Django's own readers compile an ORM query for each,
several times the cost of the query itself (1.5 ms of CPU a staff page); these read the
same rows through `accord.reads`, with the same rules.

- `SessionStore` (SESSION_ENGINE `accord.accounts.signed_in`): Django's database
  sessions; a session past its expiry is not read.
- `ModelBackend` (AUTHENTICATION_BACKENDS): Django's, signing in by username and
  password; an inactive user is refused as Django refuses them.
- `OTPMiddleware` (MIDDLEWARE): django-otp's, finding the device the session was
  verified with.
"""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from django.apps import apps
from django.contrib.auth import backends
from django.contrib.sessions.backends import db
from django.contrib.sessions.models import Session
from django.utils import timezone
from django_otp import middleware
from django_otp.models import Device

from accord.accounts.models import User
from accord.reads import Read

_SESSION = Read(lambda key: Session.objects.filter(session_key=key)[:1])
_USER = Read(lambda pk: User.objects.filter(pk=pk)[:1])
_devices: dict[type[Device], Read] = {}


class SessionStore(db.SessionStore):
    def _get_session_from_db(self) -> Session | None:
        key = self.session_key
        found = _SESSION(key) if isinstance(key, str) else []
        if found and found[0].expire_date > timezone.now():
            session: Session = found[0]
            return session
        self._session_key = None
        return None


class ModelBackend(backends.ModelBackend):
    def get_user(self, user_id: Any) -> User | None:
        try:
            pk = int(user_id)
        except (TypeError, ValueError):
            return None
        found = _USER(pk)
        user: User | None = found[0] if found else None
        return user if user is not None and self.user_can_authenticate(user) else None


class OTPMiddleware(middleware.OTPMiddleware):
    def _device_from_persistent_id(self, persistent_id: str) -> Device | None:
        persistent_id = self._normalize_persistent_id(persistent_id)
        with suppress(ValueError, LookupError):
            label, device_id = persistent_id.rsplit("/", 1)
            model = apps.get_model(label)
            if issubclass(model, Device):
                read = _devices.get(model)
                if read is None:
                    read = _devices[model] = Read(
                        lambda pk, model=model: model.objects.filter(id=pk)[:1]
                    )
                found = read(int(device_id))
                device: Device | None = found[0] if found else None
                return device
        return None
