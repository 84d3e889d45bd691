"""Receiving a complaint: the first action in every case's life.

One transaction: number the case, store the complainant and the case, write the
"received" event, start the clocks the procedure starts on receipt, and queue the
receipt notice. A retried submission with the same idempotency key returns the
case the first attempt made.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction

from accord import rows
from accord.accounts.models import User
from accord.cases import sort_keys
from accord.cases.choices import VERBAL_CHANNELS, Channel, EventKind, Source
from accord.cases.clocks import clock_rows, clocks_written, project_events, set_next_deadline
from accord.cases.errors import InvalidAction
from accord.cases.models import Case, Clock, Complainant, Event
from accord.cases.search import search_text
from accord.cases.tasks import send_receipt_notice
from accord.organisations.calendar import calendar_for
from accord.organisations.models import Business, Organisation
from accord.organisations.respondents import self_business
from accord.procedures.definition import Guard, Procedure
from accord.procedures.registry import UnknownProcedure, registry
from accord.workdays.calendar import WorkingCalendar
from accord.workdays.deadlines import add_amount


@dataclass(frozen=True)
class ComplainantDetails:
    """Who is complaining and how to reach them."""

    name: str
    email: str = ""
    phone: str = ""
    address: str = ""
    is_microbusiness: bool = False
    business_name: str = ""


@dataclass(frozen=True)
class Complaint:
    """What was received."""

    complainant: ComplainantDetails
    description: str
    channel: Channel
    source: Source = Source.DIRECT
    desired_outcome: str = ""
    issue_arose_on: dt.date | None = None
    category: str = ""
    respondent_id: int | None = None
    received_at: dt.datetime | None = None  # staff logging a letter give when it arrived
    vulnerable: bool = False
    no_information_sharing: bool = False


@dataclass(frozen=True)
class Questions:
    """What a complaint to an organisation must tell it, from the procedure in force:
    which business it is about (a mediation service's members), whether the
    complainant is a microbusiness (when a right depends on it), and when the issue
    arose (when the procedure sets a window to raise it)."""

    procedure: Procedure
    businesses: tuple[Business, ...]
    asks_microbusiness: bool
    needs_issue_date: bool
    raise_within: str


def questions_for(organisation: Organisation, on: dt.date) -> Questions:
    """The questions of `organisation`'s complaint form on day `on`."""
    procedure = registry().in_force(organisation.procedure_key, on)
    rule = procedure.raise_within
    return Questions(
        procedure=procedure,
        businesses=tuple(
            Business.objects.filter(organisation=organisation, is_self=False).order_by("name")
        ),
        asks_microbusiness=any(
            Guard.MICROBUSINESS in right.applies_if for right in procedure.rights.values()
        ),
        needs_issue_date=rule is not None,
        raise_within=rule.unit.describe(rule.amount) if rule is not None else "",
    )


def receive_complaint(
    organisation: Organisation,
    complaint: Complaint,
    *,
    now: dt.datetime,
    actor: User | None = None,
    actor_role: str = "",
    idempotency_key: str | None = None,
) -> tuple[Case, bool]:
    """Open a case for `complaint`; returns the case and whether it was created now."""
    fingerprint = _fingerprint(complaint) if idempotency_key else ""
    if idempotency_key:
        existing = Case.objects.filter(
            organisation=organisation, idempotency_key=idempotency_key
        ).first()
        if existing is not None:
            return _replayed(existing, fingerprint), False
    received_at = complaint.received_at or now
    if received_at > now:
        raise InvalidAction("a complaint cannot be received in the future", field="received_at")
    try:
        with transaction.atomic():
            case = _open_case(
                organisation, complaint, received_at, now, actor, actor_role, idempotency_key
            )
    except IntegrityError:
        # Two attempts with one key raced: the other one committed first.
        if idempotency_key:
            existing = Case.objects.filter(
                organisation=organisation, idempotency_key=idempotency_key
            ).first()
            if existing is not None:
                return _replayed(existing, fingerprint), False
        raise
    return case, True


def _open_case(
    organisation: Organisation,
    complaint: Complaint,
    received_at: dt.datetime,
    now: dt.datetime,
    actor: User | None,
    actor_role: str,
    idempotency_key: str | None,
) -> Case:
    calendar = calendar_for(organisation)
    received_on = calendar.local_date(received_at)
    if complaint.issue_arose_on is not None and complaint.issue_arose_on > received_on:
        raise InvalidAction("the issue cannot arise after the complaint", field="issue_arose_on")
    try:
        procedure = registry().in_force(organisation.procedure_key, received_on)
    except UnknownProcedure as exc:
        raise InvalidAction(
            f"no procedure of this organisation is in force then ({exc})", field="received_at"
        ) from None
    respondent_id, respondent_name = _respondent(organisation, complaint.respondent_id)
    details = complaint.complainant
    complainant = Complainant(
        name=details.name,
        email=details.email,
        phone=details.phone,
        address=details.address,
        is_microbusiness=details.is_microbusiness,
        business_name=details.business_name,
    )
    case = Case(
        organisation=organisation,
        procedure_key=procedure.key,
        procedure_version=procedure.version,
        complainant=complainant,
        respondent_id=respondent_id,
        channel=complaint.channel,
        source=complaint.source,
        received_at=received_at,
        issue_arose_on=complaint.issue_arose_on,
        description=complaint.description,
        search_text=search_text(details.name, details.business_name, respondent_name),
        desired_outcome=complaint.desired_outcome,
        category=complaint.category,
        stage=procedure.initial_stage,
        complainant_sort=sort_keys.complainant(details.name, details.business_name),
        stage_sort=sort_keys.stage(procedure, procedure.initial_stage),
        verbal_summary_pending=complaint.channel in VERBAL_CHANNELS,
        raised_out_of_time=_raised_out_of_time(procedure, complaint, received_at, calendar),
        vulnerable=complaint.vulnerable,
        no_information_sharing=complaint.no_information_sharing,
        idempotency_key=idempotency_key or None,
        idempotency_fingerprint=_fingerprint(complaint) if idempotency_key else "",
    )
    # The case row goes in with its first event counted and its deadline set, so
    # intake writes each row once.
    case.event_count = 0
    received = _received_event(case, procedure, complaint, received_at, actor, actor_role)
    projected = project_events([received], procedure, calendar)
    clocks, _ = clock_rows(case, projected, calendar, existing={})
    set_next_deadline(case, clocks)
    case.event_count = 1
    _store(complainant, case, received, clocks, received_on.year)
    clocks_written(case, clocks)
    return case


def _store(
    complainant: Complainant, case: Case, received: Event, clocks: list[Clock], year: int
) -> None:
    """Write the new case's rows, each once, without the ORM's query building per
    statement (accord.rows). The case's number is taken as late as it can be: the
    counter's row stays locked from then until commit, and every other intake of the
    organisation waits for it. Where the database hands out keys ahead of their rows
    (PostgreSQL), every row's key is reserved in one statement, and the rows go to the
    database together — the case's numbered row last — answered once; elsewhere
    (SQLite, whose write lock orders whole transactions anyway) one by one, the case
    first."""
    reserved = rows.reserve_pk(complainant, case, received, *clocks)
    with rows.batched():
        rows.insert([complainant])
        case.complainant = complainant
        if not reserved:
            _insert_numbered(case, year)
        received.case = case
        rows.insert([received])
        for clock in clocks:
            clock.case = case
        rows.insert(clocks)
        send_receipt_notice.enqueue(case.pk)
        if reserved:
            _insert_numbered(case, year)


def _received_event(
    case: Case,
    procedure: Procedure,
    complaint: Complaint,
    received_at: dt.datetime,
    actor: User | None,
    actor_role: str,
) -> Event:
    return Event(
        case=case,
        seq=1,
        at=received_at,
        actor=actor,
        actor_role=actor_role,
        kind=EventKind.RECEIVED,
        action="receive",
        to_stage=procedure.initial_stage,
        data={
            "procedure": procedure.ref,
            "channel": str(complaint.channel),
            "source": str(complaint.source),
            "verbal_summary_pending": case.verbal_summary_pending,
            "raised_out_of_time": case.raised_out_of_time,
        },
    )


def _fingerprint(complaint: Complaint) -> str:
    """What identifies a submission, for recognising a retry of it."""
    canonical = json.dumps(dataclasses.asdict(complaint), sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _replayed(existing: Case, fingerprint: str) -> Case:
    if existing.idempotency_fingerprint and existing.idempotency_fingerprint != fingerprint:
        raise InvalidAction(
            "this Idempotency-Key was already used for a different complaint",
            field="Idempotency-Key",
        )
    return existing


def _respondent(organisation: Organisation, respondent_id: int | None) -> tuple[int, str]:
    """The business complained about (id and name); an in-house team's complaints are
    about itself."""
    if respondent_id is not None:
        found = _business(organisation, "pk", respondent_id)
        if found is None:
            raise InvalidAction("no such business for this organisation", field="respondent_id")
        return found
    found = _business(organisation, "is_self", True)
    if found is not None:
        return found
    # An in-house organisation is its own respondent (made the first time it is needed).
    own = self_business(organisation)
    if own is None:
        raise InvalidAction("say which business the complaint is about", field="respondent_id")
    return own.pk, own.name


def _business(organisation: Organisation, field: str, value: int | bool) -> tuple[int, str] | None:
    """The id and name of the organisation's business whose `field` is `value`."""
    pk, name, owner, which = (
        rows.column(Business, f) for f in ("pk", "name", "organisation", field)
    )
    # One small query, written out: the ORM's query building cost more than the query.
    # Names from the model's meta; every value is a parameter.
    sql = (
        f"SELECT {pk}, {name} FROM {rows.table(Business)} "  # noqa: S608
        f"WHERE {owner} = %s AND {which} = %s ORDER BY {pk} LIMIT 1"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [organisation.pk, value])
        found = cursor.fetchone()
    return None if found is None else (int(found[0]), str(found[1]))


def _raised_out_of_time(
    procedure: Procedure,
    complaint: Complaint,
    received_at: dt.datetime,
    calendar: WorkingCalendar,
) -> bool | None:
    """Whether the complaint came later than the procedure asks (None: unknown or no rule).
    A person decides what to do about a late complaint; this only flags it."""
    rule = procedure.raise_within
    if rule is None or complaint.issue_arose_on is None:
        return None
    last_day = add_amount(complaint.issue_arose_on, rule.amount, rule.unit, calendar)
    # The complainant's own limit: the organisation's closing time does not shorten it.
    return calendar.local_date(received_at) > last_day


_NEXT_NUMBER_SQL = (
    "INSERT INTO cases_referencecounter (organisation_id, year, last) VALUES (%s, %s, 1) "
    "ON CONFLICT (organisation_id, year) DO UPDATE SET last = cases_referencecounter.last + 1 "
    "RETURNING last"
)


# The number, six digits at least, after the organisation's prefix and the year.
_REFERENCE_SQL = "%s || lpad(last::text, greatest(6, length(last::text)), '0')"


def _insert_numbered(case: Case, year: int) -> None:
    """Insert the case under the next reference of its organisation's year,
    `PREFIX-YEAR-NNNNNN`, numbered without gaps from concurrent intakes: one upsert,
    whose row stays locked until commit (so two first complaints of a year cannot both
    create the counter, and a rolled-back intake gives its number back). With its key
    reserved (PostgreSQL), the upsert and the case's row are one statement."""
    organisation = case.organisation
    prefix = f"{organisation.reference_prefix}-{year}-"
    counter = [organisation.pk, year]
    if case.pk is not None:
        rows.insert_after(
            case,
            (f"WITH source_row AS ({_NEXT_NUMBER_SQL})", counter),
            {"reference": (_REFERENCE_SQL, [prefix])},
        )
        return
    with connection.cursor() as cursor:
        cursor.execute(_NEXT_NUMBER_SQL, counter)
        row = cursor.fetchone()
    case.reference = f"{prefix}{int(row[0]):06d}"
    rows.insert([case])
