"""Whether the sender's domain was authenticated, as the receiving mail server recorded it
in an `Authentication-Results` header (RFC 8601; parsed with `authres`).

Only a header whose authserv-id is in ACCORD_TRUSTED_AUTHSERV_IDS counts: anyone can
write their own header, naming any server, before sending. Of the trusted ones only the
topmost is read, because the receiving server adds its header above everything the
message already carried; a "pass" written lower down by the sender, even under the
trusted name, is ignored.

A sender is authenticated by `dmarc=pass` for the From domain, or by `spf=pass` and
`dkim=pass` both aligned with it. Alignment is by simple suffix (the domains are equal,
or one is a subdomain of the other) rather than DMARC's organisational domain from the
public suffix list: a signature or envelope domain is only ever the sender's own.
"""

from __future__ import annotations

from dataclasses import dataclass

import authres
from django.conf import settings


@dataclass(frozen=True)
class Result:
    method: str
    result: str
    domain: str  # header.from (dmarc), smtp.mailfrom (spf), header.d or header.i (dkim)


def trusted_authserv_ids() -> list[str]:
    return [
        value.strip().lower()
        for value in getattr(settings, "ACCORD_TRUSTED_AUTHSERV_IDS", [])
        if value.strip()
    ]


def aligned(domain: str, from_domain: str) -> bool:
    """The same domain, or one a subdomain of the other (simple suffix alignment)."""
    domain, from_domain = domain.strip(".").lower(), from_domain.strip(".").lower()
    if not domain or not from_domain or "." not in domain or "." not in from_domain:
        return False
    return (
        domain == from_domain
        or from_domain.endswith("." + domain)
        or domain.endswith("." + from_domain)
    )


def _domain_of(value: str) -> str:
    return value.rpartition("@")[2].strip().strip("<>").lower()


def _authserv_id(value: str) -> str:
    """The authserv-id, also of a header `authres` cannot parse (first token)."""
    head = value.split(";", 1)[0].split()
    return head[0].lower() if head else ""


def _results(value: str) -> list[Result]:
    parsed = authres.AuthenticationResultsHeader.parse_value(value)
    found: list[Result] = []
    for result in parsed.results:
        method = str(result.method).lower()
        wanted = {
            "dmarc": [("header", "from")],
            "spf": [("smtp", "mailfrom")],
            "dkim": [("header", "d"), ("header", "i")],
        }.get(method, [])
        domain = ""
        for ptype, name in wanted:
            domain = next(
                (
                    _domain_of(str(p.value))
                    for p in result.properties
                    if str(p.type).lower() == ptype and str(p.name).lower() == name
                ),
                "",
            )
            if domain:
                break
        found.append(Result(method, str(result.result).lower(), domain))
    return found


def _describe(results: list[Result], method: str) -> str:
    mine = [r for r in results if r.method == method]
    if not mine:
        return f"{method}=none"
    return ", ".join(
        f"{r.method}={r.result}" + (f" ({r.domain})" if r.domain else "") for r in mine
    )


def sender_not_authenticated(headers: list[str], from_domain: str) -> str:
    """Why the From domain is not authenticated by the trusted receiving server's
    `Authentication-Results` (given top first), or "" if it is."""
    trusted = trusted_authserv_ids()
    if not trusted:
        return (
            "sender not authenticated: no receiving server is trusted to say "
            "(ACCORD_TRUSTED_AUTHSERV_IDS is empty)"
        )
    untrusted: list[str] = []
    for value in headers:
        server = _authserv_id(value)
        if server not in trusted:
            if server:
                untrusted.append(server)
            continue
        try:
            results = _results(value)
        except Exception as exc:  # authres raises its own errors for any bad syntax
            return (
                f"sender not authenticated: the Authentication-Results of {server} cannot "
                f"be read ({type(exc).__name__})"
            )
        return _verdict(server, results, from_domain)
    if untrusted:
        names = ", ".join(sorted(set(untrusted)))[:300]
        return (
            "sender not authenticated: Authentication-Results only from servers that are "
            f"not trusted ({names}); trusted: {', '.join(trusted)}"
        )
    return (
        "sender not authenticated: no Authentication-Results from a trusted receiving "
        f"server ({', '.join(trusted)})"
    )


def _verdict(server: str, results: list[Result], from_domain: str) -> str:
    def passed(method: str) -> list[Result]:
        return [r for r in results if r.method == method and r.result == "pass"]

    dmarc = [r for r in results if r.method == "dmarc" and r.domain in {"", from_domain}]
    if dmarc and all(r.result == "pass" for r in dmarc):
        return ""
    spf = any(aligned(r.domain, from_domain) for r in passed("spf"))
    dkim = any(aligned(r.domain, from_domain) for r in passed("dkim"))
    if spf and dkim and not dmarc:
        return ""
    said = "; ".join(_describe(results, method) for method in ("dmarc", "spf", "dkim"))
    if dmarc:
        why = f"DMARC did not pass for {from_domain}"
    elif passed("spf") or passed("dkim"):
        why = f"no dmarc=pass, and spf=pass and dkim=pass are not both aligned with {from_domain}"
    else:
        why = f"neither dmarc=pass nor aligned spf=pass and dkim=pass for {from_domain}"
    return f"sender not authenticated: {server} says {said}: {why}"
