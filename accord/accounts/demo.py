"""Demo users for every role of every seed organisation, with known passwords and
API tokens, for trying Accord out. Never run against a production database."""

from __future__ import annotations

import base64
from dataclasses import dataclass

from django.contrib.auth.models import Group, Permission
from django_otp.plugins.otp_totp.models import TOTPDevice

from accord.accounts.choices import StaffRole
from accord.accounts.models import ApiToken, User
from accord.organisations import staffing
from accord.organisations.models import Business, Organisation

DEMO_PASSWORD = "accord-demo"  # noqa: S105 (demo data, printed on purpose)
# Every demo staff member's second factor: one TOTP secret, documented in the README, to
# add to an authenticator app (or read the current code with `manage.py demo_totp`).
DEMO_TOTP_SECRET = "ACCORDDEMOSECRETACCORDDEMOSECRET"  # noqa: S105 (base32, 20 bytes)
DEMO_DEVICE_NAME = "demo"

STAFF_PERMISSIONS = ["view_case", "view_event", "view_clock"]
ADMIN_PERMISSIONS = [
    *STAFF_PERMISSIONS,
    *(
        f"{verb}_{model}"
        for verb in ("view", "add", "change")
        for model in ("organisation", "team", "closureday", "externalbody", "business", "user")
    ),
]


# Readable people for the demo staff (issue 15: "Case (occs)" confused people), by
# organisation slug and role; an organisation not listed gets the role's label.
DEMO_NAMES: dict[str, dict[StaffRole, tuple[str, str]]] = {
    "occs": {
        StaffRole.HANDLER: ("Sam", "Okafor"),
        StaffRole.SENIOR_HANDLER: ("Hannah", "Price"),
        StaffRole.MANAGER: ("Priya", "Shah"),
        StaffRole.ADMINISTRATOR: ("Tom", "Baker"),
    },
    "optimised": {
        StaffRole.HANDLER: ("Chloe", "Evans"),
        StaffRole.SENIOR_HANDLER: ("Daniel", "Hughes"),
        StaffRole.MANAGER: ("Aisha", "Rahman"),
        StaffRole.ADMINISTRATOR: ("Peter", "Walsh"),
    },
    "ocasa": {
        StaffRole.HANDLER: ("Jamie", "Clarke"),
        StaffRole.SENIOR_HANDLER: ("Fiona", "Campbell"),
        StaffRole.MANAGER: ("Marcus", "Bell"),
        StaffRole.ADMINISTRATOR: ("Ellen", "Ward"),
    },
}


def demo_name(slug: str, role: StaffRole) -> tuple[str, str]:
    """The demo staff member's first and last name."""
    return DEMO_NAMES.get(slug, {}).get(role) or (role.label, "")


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    organisation: str
    token: str


def _group(name: str, codenames: list[str]) -> Group:
    group, _ = Group.objects.get_or_create(name=name)
    group.permissions.set(Permission.objects.filter(codename__in=codenames))
    return group


def _user(username: str, **fields: object) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(username=username, **fields)
        user.set_password(DEMO_PASSWORD)
        user.save()
    return user


def _token(user: User) -> str:
    raw = f"demo-{user.username}"
    if not ApiToken.objects.filter(digest=ApiToken.digest_of(raw)).exists():
        ApiToken.issue(user, "demo", raw=raw)
    return raw


def demo_totp_device(user: User) -> TOTPDevice:
    """The demo staff member's confirmed TOTP device, on the documented secret."""
    key = base64.b32decode(DEMO_TOTP_SECRET).hex()
    device = TOTPDevice.objects.filter(user=user, name=DEMO_DEVICE_NAME).first()
    if device is None:
        device = TOTPDevice.objects.create(
            user=user, name=DEMO_DEVICE_NAME, key=key, confirmed=True
        )
    return device


def create_demo_users(organisations: list[Organisation]) -> list[DemoLogin]:
    staff_group = _group("Staff", STAFF_PERMISSIONS)
    admin_group = _group("Administrators", ADMIN_PERMISSIONS)
    logins = []
    superuser = User.objects.filter(username="admin").first()
    if superuser is None:
        superuser = User.objects.create_superuser("admin", "admin@accord.example", DEMO_PASSWORD)
    demo_totp_device(superuser)
    logins.append(DemoLogin("admin", "superuser", "all", "(use the admin)"))
    for organisation in organisations:
        for role in StaffRole:
            username = f"{organisation.slug}-{role.value.replace('_', '-')}"
            first, last = demo_name(organisation.slug, role)
            user = _user(
                username,
                first_name=first,
                last_name=last,
                email=f"{username}@accord.example",
                organisation=organisation,
                staff_role=role.value,
                is_staff=True,
            )
            if user.last_name == f"({organisation.slug})":
                # Seeded before demo users had readable names.
                staffing.rename(user, first_name=first, last_name=last)
            user.groups.add(admin_group if role == StaffRole.ADMINISTRATOR else staff_group)
            demo_totp_device(user)
            logins.append(
                DemoLogin(
                    username,
                    f"{first} {last}, {role.label.lower()}".strip(),
                    organisation.name,
                    _token(user),
                )
            )
        if organisation.kind == "mediation_service":
            business = Business.objects.filter(organisation=organisation).order_by("pk").first()
            if business is not None:
                username = f"{organisation.slug}-practice"
                user = _user(username, email=f"{username}@accord.example", business=business)
                logins.append(
                    DemoLogin(
                        username, f"respondent for {business.name}", organisation.name, _token(user)
                    )
                )
    complainant = _user(
        "complainant", first_name="Alex", last_name="Morgan", email="alex@example.com"
    )
    logins.append(DemoLogin("complainant", "complainant (demo cases)", "all", _token(complainant)))
    return logins
