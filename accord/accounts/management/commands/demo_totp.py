"""`manage.py demo_totp <username>`: the current TOTP code of a demo staff member, for
signing in to the staff workspace without an authenticator app. Only the demo devices
`seed_demo` makes (on the documented demo secret) are read."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accord.accounts.demo import DEMO_DEVICE_NAME


class Command(BaseCommand):
    help = "Print the current TOTP code of a demo staff member (made by seed_demo)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        device = TOTPDevice.objects.filter(
            user__username=options["username"], name=DEMO_DEVICE_NAME, confirmed=True
        ).first()
        if device is None:
            raise CommandError(
                f"{options['username']} has no demo TOTP device (run manage.py seed_demo; "
                "only demo staff have one)"
            )
        now = time.time()
        code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
        left = device.step - int(now - device.t0) % device.step
        self.stdout.write(f"{code:0{device.digits}d}")
        self.stderr.write(f"(valid for about {left} more seconds)")
