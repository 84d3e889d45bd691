"""Organisations that run procedures, their teams, calendars and the bodies they signpost."""
