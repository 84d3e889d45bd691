"""The case policy: the one place that decides, for an actor, a case and a thing, whether
they may see it (and which projection of it) and whether they may do something now —
and, if not, why not.

- `roles` — who the actor is on a case (`Standing`: staff role, party) and the
  organisation-level permissions (work queue, assignment, quality, reports, admin).
- `disclosure` — which cases a user sees at all, when a case is open to the business
  complained about, which outcome and status each side is told, who the complainant is
  to the business, who is invited to give feedback.
- `mediation` — the shuttle: threads, documents, records requests, proposals (a
  party's own proposal is held for the mediator), agreements and obligations: each
  side's projection, and every act's refusal with its reason.

Domain actions call `require(...)`-style checks here to refuse; the API, the pages,
e-mail and exports call the same functions to decide what to offer and show. A refusal
carries its reason, the same on a page and in the API.
"""
