"""Accord: complaints handling and shuttle mediation case management."""
