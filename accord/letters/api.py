"""JSON endpoints of the letters app."""

from ninja import Router

from accord.auth import staff_or_party_auth

router = Router(tags=["letters"], auth=staff_or_party_auth)
