"""Where in a procedure a loader fault is: the section, the item and the field it
concerns, so an editor shows each fault against its field. Pure: it reads the faults
`loader.parse` reports (the model's own, `section.item.field: message`, and the
coherence checks', which name the item and the field in words)."""

from __future__ import annotations

import re
from dataclasses import dataclass

SECTIONS = ("stages", "transitions", "clocks", "outcomes", "rights", "letters", "milestones")
WORDING = "wording"  # what the parties read: edited whole, as one field
# What a letter's own page edits of the wording (`wording.letters.<name>.<field>`).
LETTER_WORDING = ("kind", "subject", "body")
ABOUT = "about"  # the procedure's own fields: name, summary, initial stage, ...

_ITEM = re.compile(r"^(transition|clock|right|outcome|stage) '([^']+)'(.*)$", re.S)
_IN_STAGE = re.compile(r"^a case in stage '([^']+)'")
_CLOCK_FIELDS = re.compile(r"\b(starts_on|stops_on|ends_on|pauses_on|resumes_on|on_breach)\b")

_TRANSITION_WORDS = (
    ("no role", "roles"),
    ("'from'", "from"),
    ("starts from", "from"),
    ("leaves terminal", "from"),
    ("goes to", "to"),
    ("outcome", "outcomes"),
    ("milestone", "marks"),
    ("letter", "letters"),
    ("clock", "within"),
)
_CLOCK_WORDS = (
    ("on extension", "letters_on_extension"),
    ("counts from", "basis"),
    ("basis", "basis"),
    ("never started", "starts_on"),
    ("nothing resumes", "resumes_on"),
    ("amount and a unit", "amount"),
    ("both a length", "amount"),
    ("due on input", "due_on_input"),
    ("is a window", "window"),
    ("extension cap", "extension_cap"),
)
_SECTION_OF = {
    "transition": "transitions",
    "clock": "clocks",
    "right": "rights",
    "outcome": "outcomes",
    "stage": "stages",
}


@dataclass(frozen=True)
class Located:
    message: str
    section: str = ABOUT
    item: str = ""
    field: str = ""


def locate(fault: str) -> Located:
    """The section, item and field a fault of `loader.parse` concerns."""
    path, sep, message = fault.partition(": ")
    if sep and re.fullmatch(r"[\w.*-]+|\(top\)", path) and " " not in path:
        parts = path.split(".")
        if parts[:2] == [WORDING, "letters"] and len(parts) == 4 and parts[3] in LETTER_WORDING:
            return Located(message, "letters", parts[2], parts[3])  # on the letter's page
        if parts[0] == WORDING:
            return Located(message if len(parts) == 1 else fault, WORDING, "", WORDING)
        if parts[0] in SECTIONS:
            return Located(message, parts[0], *([*parts[1:3], "", ""])[:2])
        return Located(message, ABOUT, "", "" if parts[0] == "(top)" else parts[0])
    found = _IN_STAGE.match(fault)
    if found:
        return Located(fault, "stages", found.group(1))
    found = _ITEM.match(fault)
    if not found:
        if fault.startswith(("initial_stage", "reopens_to")):
            return Located(fault, ABOUT, "", fault.split(" ")[0])
        if fault.startswith("the last revision"):
            return Located(fault, ABOUT, "", "version")
        if fault.startswith("no terminal stage"):
            return Located(fault, "stages")
        return Located(fault)
    kind, item, rest = found.groups()
    section = _SECTION_OF[kind]
    return Located(fault, section, item, _field(kind, rest))


def _field(kind: str, rest: str) -> str:
    if kind == "transition":
        return next((name for word, name in _TRANSITION_WORDS if word in rest), "")
    if kind == "clock":
        named = _CLOCK_FIELDS.search(rest)
        if named:
            return named.group(1)
        return next((name for word, name in _CLOCK_WORDS if word in rest), "")
    if kind == "right":
        return "opens_on" if "step" in rest else "opens_after" if "never opens" in rest else ""
    return ""
