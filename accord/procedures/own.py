"""Organisations' own procedures: a draft started from a shipped pack (or a blank one),
checked by the same loader as the files, and published as versions that never change.

One format: the draft is procedure YAML, and a published version is the canonical YAML
of the validated procedure (`canonical`). One validator: `loader.parse`. One registry:
`DatabaseVersions` is the registry's source of the published versions, keyed in the
organisation's namespace (`<slug>:<key>`)."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

import yaml
from django.db import transaction
from django.db.models import Max

from accord.accounts.models import User
from accord.cases.errors import InvalidAction
from accord.organisations.models import Organisation
from accord.procedures.definition import Procedure
from accord.procedures.faults import Located, locate
from accord.procedures.loader import ProcedureError, parse
from accord.procedures.models import OwnProcedure, OwnVersion
from accord.procedures.registry import NAMESPACE_SEPARATOR, LoadedProcedure, registry

# What publishing sets, whatever the draft says: the draft is always the next version.
STAMPED = ("version", "effective_from", "revisions")


class DatabaseVersions:
    """The registry's source of organisations' published versions. A published version
    never changes, so each is parsed once per process (and its digest checked on every
    lookup, so a test database reusing a key is never served a stale copy)."""

    def __init__(self) -> None:
        self._parsed: dict[tuple[str, int, str], LoadedProcedure] = {}

    def keys(self) -> list[str]:
        return list(
            OwnProcedure.objects.filter(versions__isnull=False)
            .distinct()
            .order_by("key")
            .values_list("key", flat=True)
        )

    def versions(self, key: str) -> dict[int, LoadedProcedure]:
        rows = OwnVersion.objects.filter(procedure__key=key).values_list("version", "sha256")
        return {version: self._loaded(key, version, sha) for version, sha in rows}

    def _loaded(self, key: str, version: int, sha256: str) -> LoadedProcedure:
        cached = self._parsed.get((key, version, sha256))
        if cached is None:
            text = OwnVersion.objects.values_list("text", flat=True).get(
                procedure__key=key, version=version
            )
            if digest(text) != sha256:  # changed behind the model's back (raw SQL)
                raise ProcedureError(
                    f"{key}@{version}",
                    ["was published and has since changed; cases are pinned to it"],
                )
            procedure = parse(yaml.safe_load(text), source=f"{key}@{version}")
            cached = LoadedProcedure(procedure, None, sha256)
            self._parsed[(key, version, sha256)] = cached
        return cached


def canonical(procedure: Procedure) -> str:
    """The procedure as YAML, in the format of the pack files (defaults left out)."""
    data = procedure.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    return dump(data)


def dump(data: dict[str, Any]) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=88)


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --- Drafts -------------------------------------------------------------------------


def own_key(organisation: Organisation, short: str) -> str:
    """A free key for a new procedure of the organisation, in its namespace."""
    base = f"{organisation.slug}{NAMESPACE_SEPARATOR}{short}"[:57]
    key, n = base, 1
    while OwnProcedure.objects.filter(key=key).exists():
        n += 1
        key = f"{base}-{n}"
    return key


def blank(key: str, today: dt.date) -> dict[str, Any]:
    """The smallest coherent procedure: received, then closed with a response."""
    return {
        "key": key,
        "name": "Our complaints procedure",
        "version": 1,
        "effective_from": today.isoformat(),
        "summary": "We respond to your complaint within 10 working days.",
        "revisions": [],
        "outcomes": {
            "upheld": {"label": "Upheld", "resolved": True},
            "not_upheld": {"label": "Not upheld"},
        },
        "initial_stage": "received",
        "stages": {
            "received": {"label": "Received"},
            "closed": {"label": "Closed", "terminal": True},
        },
        # A letter named after its kind (else its kind is declared in the wording).
        "letters": {"final_response": "Our response to your complaint"},
        "clocks": {
            "response": {
                "label": "Send our response",
                "amount": 10,
                "unit": "working_days",
                "starts_on": ["receive"],
                "stops_on": ["respond"],
            }
        },
        "transitions": {
            "respond": {
                "label": "Send our response",
                "from": ["received"],
                "to": "closed",
                "roles": ["handler", "senior_handler"],
                "outcomes": ["upheld", "not_upheld"],
                "letters": ["final_response"],
            }
        },
        # What the complainant reads (a letter's own words go in `letters` here).
        "wording": {
            "stages": {
                "received": "We have received your complaint.",
                "closed": "Your complaint is closed.",
            },
            "steps": {"respond": {"done": "We sent you our response."}},
            "clocks": {"response": "We will send you our response {by}."},
            "outcomes": {
                "upheld": "We upheld your complaint.",
                "not_upheld": "We did not uphold your complaint.",
            },
        },
    }


def start_draft(
    organisation: Organisation, user: User, *, source: str | None, now: dt.datetime
) -> OwnProcedure:
    """A new draft of the organisation's own, a copy of `source` (``key@version`` of a
    shipped pack or of one of its own published versions) or blank."""
    if source is None:
        key = own_key(organisation, "our-procedure")
        data = blank(key, now.date())
    else:
        name, _, version = source.rpartition("@")
        if NAMESPACE_SEPARATOR in name and not name.startswith(
            organisation.slug + NAMESPACE_SEPARATOR
        ):
            raise InvalidAction("no such procedure", field="source")
        try:
            procedure = registry().get(name, int(version))
        except (ValueError, LookupError):
            raise InvalidAction("no such procedure", field="source") from None
        key = own_key(organisation, name.rpartition(NAMESPACE_SEPARATOR)[2])
        data = procedure.model_dump(mode="json", by_alias=True, exclude_defaults=True)
        data["key"] = key
        data["revisions"] = []
    data = _as_next(data, key, author="", approved_by="", summary="", today=now.date())
    return OwnProcedure.objects.create(
        organisation=organisation,
        key=key,
        draft=dump(data),
        based_on=source or "",
        created_at=now,
        updated_at=now,
        updated_by=user,
    )


def save_draft(own: OwnProcedure, text: str, user: User, *, now: dt.datetime) -> None:
    """Keep the draft as written, faults and all (`check` shows them)."""
    own.draft = text
    own.updated_at = now
    own.updated_by = user
    own.save(update_fields=["draft", "updated_at", "updated_by"])


class _NoAliases(yaml.SafeLoader):
    """YAML without aliases: a draft is written by a person, and an alias repeated
    within itself could grow without bound when the draft is written out again."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            raise yaml.YAMLError("aliases (*name) are not allowed in a procedure")
        return super().compose_node(parent, index)


def read(text: str) -> tuple[dict[str, Any] | None, list[Located]]:
    """The draft's YAML as a mapping, or the reason it is not one."""
    try:
        data = yaml.load(text, Loader=_NoAliases)  # noqa: S506 (a SafeLoader)
    except yaml.YAMLError as exc:
        return None, [Located(f"not valid YAML: {exc}")]
    if not isinstance(data, dict):
        return None, [Located("the procedure must be a mapping of its fields")]
    return data, []


@dataclass(frozen=True)
class Checked:
    """A draft as the loader sees it: the procedure if it is usable, every fault else."""

    procedure: Procedure | None
    faults: tuple[Located, ...]
    data: dict[str, Any] | None


def check(own: OwnProcedure, text: str | None = None, *, today: dt.date) -> Checked:
    """Check a draft (the stored one, or `text`) as the next version would be published."""
    data, faults = read(own.draft if text is None else text)
    if data is None:
        return Checked(None, tuple(faults), None)
    if data.get("key") != own.key:
        return Checked(None, (Located(f"must stay '{own.key}'", field="key"),), data)
    stamped = _as_next(
        data, own.key, author="(the author)", approved_by="", summary="(draft)", today=today
    )
    try:
        procedure = parse(stamped, source=own.key)
    except ProcedureError as exc:
        return Checked(None, tuple(locate(fault) for fault in exc.faults), data)
    return Checked(procedure, (), data)


def _published(key: str) -> list[LoadedProcedure]:
    return registry().versions_of(key)


def _as_next(
    data: dict[str, Any],
    key: str,
    *,
    author: str,
    approved_by: str,
    summary: str,
    today: dt.date,
    effective_from: dt.date | None = None,
) -> dict[str, Any]:
    """The draft as the next version: its number, the day it takes effect and the
    revision table (the published versions' rows and this one's)."""
    published = _published(key) if OwnVersion.objects.filter(procedure__key=key).exists() else []
    last = published[-1].procedure if published else None
    version = (last.version + 1) if last else 1
    rows = [r.model_dump(mode="json") for r in last.revisions] if last else []
    rows.append(
        {
            "version": str(version),
            "author": author or "(the author)",
            "review_date": today.isoformat(),
            "approved_by": approved_by,
            "summary": summary or "(draft)",
        }
    )
    return {
        **data,
        "version": version,
        "effective_from": (effective_from or today).isoformat(),
        "revisions": rows,
    }


# --- Publishing ---------------------------------------------------------------------


@dataclass(frozen=True)
class Publication:
    summary: str
    effective_from: dt.date
    approved_by: User | None
    self_approval_reason: str = ""
    use_now: bool = True  # new complaints follow it from its effective date


def publish(
    own: OwnProcedure, author: User, details: Publication, *, now: dt.datetime
) -> OwnVersion:
    """Publish the draft as the next version, with its revision entry; refused (with
    every fault) unless the loader accepts it. Cases already received stay on the
    version they were received under."""
    from accord.quality.models import ProcedureRevision

    today = now.date()
    approver = details.approved_by
    if approver is not None and (
        approver.organisation_id != own.organisation_id or not approver.staff_role
    ):
        raise InvalidAction("the approver must be a member of your staff", field="approved_by")
    if (approver is None or approver.pk == author.pk) and not details.self_approval_reason.strip():
        raise InvalidAction(
            "someone other than you approves it, or say why you approve it yourself",
            field="approved_by",
        )
    if details.effective_from < today:
        raise InvalidAction(
            "a new version takes effect today or later: cases already received keep "
            "the version they were received under",
            field="effective_from",
        )
    with transaction.atomic():
        own = OwnProcedure.objects.select_for_update().get(pk=own.pk)
        data, faults = read(own.draft)
        if data is None:
            raise InvalidAction(faults[0].message, field="draft")
        last_from = own.versions.aggregate(last=Max("effective_from"))["last"]
        if last_from is not None and details.effective_from < last_from:
            raise InvalidAction(
                f"the last version takes effect on {last_from:%d %B %Y}: this one cannot "
                "take effect before it",
                field="effective_from",
            )
        stamped = _as_next(
            data,
            own.key,
            author=author.get_full_name() or author.username,
            approved_by=(
                (approver.get_full_name() or approver.username)
                if approver is not None and approver.pk != author.pk
                else f"self-approved: {details.self_approval_reason.strip()}"
            ),
            summary=details.summary,
            today=today,
            effective_from=details.effective_from,
        )
        checked = check(own, dump({**data}), today=today)
        if checked.procedure is None:
            raise InvalidAction(
                "the draft has faults: " + "; ".join(f.message for f in checked.faults),
                field="draft",
            )
        procedure = parse(stamped, source=own.key)
        text = canonical(procedure)
        version = OwnVersion.objects.create(
            procedure=own,
            version=procedure.version,
            effective_from=procedure.effective_from,
            text=text,
            sha256=digest(text),
            summary=details.summary,
            published_at=now,
            published_by=author,
            approved_by=approver,
            self_approval_reason=details.self_approval_reason.strip(),
        )
        row = procedure.revisions[-1]
        ProcedureRevision.objects.create(
            organisation=own.organisation,
            procedure_key=own.key,
            version=row.version,
            author=row.author,
            review_date=row.review_date,
            approved_by=(row.approved_by or f"(self-approved: {version.self_approval_reason})")[
                :200
            ],
            summary=row.summary,
            recorded_at=now,
            recorded_by=author,
        )
        own.draft = text
        own.updated_at = now
        own.updated_by = author
        own.save(update_fields=["draft", "updated_at", "updated_by"])
        if details.use_now:
            Organisation.objects.filter(pk=own.organisation_id).update(procedure_key=own.key)
            own.organisation.procedure_key = own.key
    return version
