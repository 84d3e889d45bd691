"""Shuttle mediation: sealed party threads and relay, consent, records requests,
documents, proposals, binding agreements with tracked obligations, and feedback."""
