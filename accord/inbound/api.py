"""JSON endpoints of the inbound app."""

from ninja import Router

from accord.auth import staff_or_party_auth

router = Router(tags=["inbound"], auth=staff_or_party_auth)
