"""`{% submission_key %}`: the hidden once-only key of a form (see accord.web.resubmission)."""

from __future__ import annotations

import secrets

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from accord.web.resubmission import FIELD

register = template.Library()


@register.simple_tag
def submission_key() -> SafeString:
    return format_html(
        '<input type="hidden" name="{}" value="{}">', FIELD, secrets.token_urlsafe(24)
    )
