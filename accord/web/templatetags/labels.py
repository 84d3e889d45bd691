"""Labels, never keys, where a person reads: `{{ case|stage_words }}`."""

from __future__ import annotations

from django import template

from accord.cases import presentation
from accord.cases.models import Case

register = template.Library()


@register.filter
def stage_words(case: Case) -> str:
    """ "Stage 2 review", or "Closed: Partly upheld"."""
    return presentation.stage_words(case)
