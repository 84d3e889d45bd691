"""JSON endpoints of the outbox app."""

from ninja import Router

from accord.auth import staff_or_party_auth

router = Router(tags=["outbox"], auth=staff_or_party_auth)
