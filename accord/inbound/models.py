"""Models of the inbound app."""
