"""Templates write deadlines, days and months through `accord.workdays.wording`, never
with Django's `date` filter: `{% due clock.due_at %}`, `{{ day|day }}`, `{{ at|when }}`,
`{{ at|shortwhen }}`, `{{ day|shortday }}`, `{{ day|month }}`.

`{% due %}` takes "now" from the context (`now`) or the clock, and the working-day
calendar from the context (`calendar`, else the `organisation` or `case`'s one, built
once per render)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

from accord.organisations.calendar import calendar_for
from accord.workdays import wording
from accord.workdays.calendar import LONDON, WorkingCalendar

register = template.Library()

_CALENDARS = "accord_wording_calendars"


def _calendar(context: template.Context) -> WorkingCalendar | None:
    given = context.get("calendar")
    if isinstance(given, WorkingCalendar):
        return given
    organisation = context.get("organisation")
    if organisation is None or not hasattr(organisation, "closure_days"):
        case = context.get("case")
        organisation = getattr(case, "organisation", None)
    if organisation is None or not hasattr(organisation, "closure_days"):
        return None
    key = f"{_CALENDARS}:{organisation.pk}"
    found = context.render_context.get(key)
    if not isinstance(found, WorkingCalendar):
        found = calendar_for(organisation)
        context.render_context[key] = found
    return found


def _now(context: template.Context) -> dt.datetime:
    now = context.get("now")
    return now if isinstance(now, dt.datetime) else timezone.now()


def words_for(value: Any, context: template.Context) -> wording.DueWords | None:
    """The DueWords of an instant (a clock's due) or a day (due by its end)."""
    calendar = _calendar(context)
    now = _now(context)
    if isinstance(value, dt.datetime):
        return wording.due_words(value, now=now, calendar=calendar)
    if isinstance(value, dt.date):
        tz = calendar.tz if calendar is not None else LONDON
        return wording.due_day_words(value, today=now.astimezone(tz).date(), calendar=calendar)
    return None


@register.simple_tag(takes_context=True)
def due(context: template.Context, value: Any, relative: bool = True) -> SafeString | str:
    """`by the end of Friday 4 December 2026 <span>(tomorrow)</span>`; empty for None."""
    return due_html(words_for(value, context), relative)


def due_html(words: wording.DueWords | None, relative: bool = True) -> SafeString | str:
    """The HTML of `{% due %}` for these words (for rows built in Python)."""
    if words is None:
        return ""
    if not relative or not words.relative:
        return words.text
    return format_html(
        '{} <span class="due-relative{}">({})</span>',
        words.text,
        " overdue" if words.overdue else "",
        words.relative,
    )


@register.simple_tag(takes_context=True)
def due_text(context: template.Context, value: Any) -> str:
    """The words alone, without the relative part (for plain-text e-mails)."""
    words = words_for(value, context)
    return words.text if words is not None else ""


def _local_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.astimezone(LONDON).date()
    if isinstance(value, dt.date):
        return value
    return None


@register.filter
def day(value: Any) -> str:
    """`Thursday 24 December 2026` (an instant: its local day)."""
    local = _local_date(value)
    return wording.day_words(local) if local is not None else ""


@register.filter
def shortday(value: Any) -> str:
    """`24 Dec 2026`."""
    local = _local_date(value)
    return wording.short_day(local) if local is not None else ""


@register.filter
def when(value: Any) -> str:
    """`Thursday 24 December 2026 at 10:15`."""
    return wording.format_instant(value) if isinstance(value, dt.datetime) else ""


@register.filter
def shortwhen(value: Any) -> str:
    """`24 Dec 2026, 10:15`."""
    return wording.short_instant(value) if isinstance(value, dt.datetime) else ""


@register.filter
def month(value: Any) -> str:
    """`Jan 2026`."""
    local = _local_date(value)
    return wording.month_label(local) if local is not None else ""


@register.filter
def opens(value: Any) -> str:
    """`from the end of Thursday 2 December 2027` (when a right opens)."""
    return wording.opens_words(value) if isinstance(value, dt.datetime) else ""


SYMBOLS = {"GBP": "£", "EUR": "€"}


@register.filter
def money(amount: Any, currency: str | None = None) -> str:
    """An amount as a person writes it: `£1,120.50`; a currency without a symbol here by
    its code (`USD 120.50`)."""
    if amount is None:
        return ""
    code = (currency or "GBP").upper()
    figures = f"{amount:,.2f}"
    return f"{SYMBOLS[code]}{figures}" if code in SYMBOLS else f"{code} {figures}"
