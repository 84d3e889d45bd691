"""What the Settings pages' templates need beyond Django's own filters."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def get_item(mapping: dict[str, Any], key: str) -> Any:
    """`{{ titles|get_item:section }}`: a mapping's value by a key held in a variable."""
    return mapping.get(key, key)
