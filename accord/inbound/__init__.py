"""Inbound e-mail: every message stored raw before anything else, then routed to a new
case or the sender's own thread, or quarantined with the reason."""
