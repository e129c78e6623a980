"""Where a request came from, and whether it came through CloudFront at all.

Deployed, the API has two doors: CloudFront (the portal's address) and API Gateway's own
execute-api URL, which cannot be closed without closing it to CloudFront too. CloudFront adds a
secret header (X-Parley-Origin-Verify, PARLEY_ORIGIN_VERIFY) to every request it forwards; a
request without it came through the other door and is refused before anything else is read.
`origin_verified` is the one place that comparison is made.
"""

from __future__ import annotations

import hmac

from chalicelib.config import get_settings
from chalicelib.errors import Forbidden

ORIGIN_VERIFY_HEADER = "x-parley-origin-verify"


def origin_verified(headers: dict[str, str]) -> bool:
    """The request carries CloudFront's secret, or no secret is configured (local run, tests).
    During a rotation either value passes (PARLEY_ORIGIN_VERIFY_PREVIOUS): CloudFront's edges
    take minutes to switch from one to the other. `headers` has lower-case names."""
    accepted = get_settings().origin_verify_values()
    if not accepted:
        return True
    given = headers.get(ORIGIN_VERIFY_HEADER, "").encode("utf-8", "surrogateescape")
    # Constant time for each value, and every value compared: how long a wrong guess takes must
    # not tell how much of it was right, nor which of the two it came close to.
    matches = [hmac.compare_digest(given, value.encode("utf-8", "surrogateescape"))
               for value in accepted]
    return any(matches)


def require_origin(headers: dict[str, str]) -> None:
    if not origin_verified(headers):
        raise Forbidden(
            "This API answers only through the portal's address.", code="origin_not_verified"
        )


def client_ip(headers: dict[str, str], source_ip: str | None) -> str | None:
    """The viewer's address, for the sign-in and registration throttles and the audit log.

    Only entries that a trusted proxy wrote are believed; whatever is left of them in
    X-Forwarded-For is what the client sent and proves nothing. Behind CloudFront
    (PARLEY_TRUSTED_PROXY_HOPS=1) the header reaching the function reads
    `<anything the client wrote>, <viewer, appended by CloudFront>, <CloudFront's edge>`:
    API Gateway appends the address it was connected from, which it also reports as `sourceIp`.
    That last entry is recognised by being `sourceIp` and skipped (were it absent, nothing is
    skipped), and the hops are counted from the entry before it. A request that did not come
    through CloudFront (no origin secret, when one is configured) has no trusted proxy at all:
    its address is API Gateway's `sourceIp`, whatever X-Forwarded-For says.
    """
    hops = get_settings().trusted_proxy_hops
    if hops <= 0 or not origin_verified(headers):
        return source_ip
    forwarded = [p.strip() for p in headers.get("x-forwarded-for", "").split(",") if p.strip()]
    if forwarded and source_ip and forwarded[-1] == source_ip:
        forwarded.pop()
    if len(forwarded) >= hops:
        return forwarded[-hops]
    return source_ip


def read_cookie(headers: dict[str, str], name: str) -> str | None:
    for part in headers.get("cookie", "").split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return None
