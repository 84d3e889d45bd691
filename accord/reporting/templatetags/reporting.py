"""Figures as the report shows them."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def percent(value: float | None) -> str:
    """0.4567 -> "45.7%"; nothing to show -> "-"."""
    if value is None:
        return "-"
    return f"{value * 100:.1f}%"
