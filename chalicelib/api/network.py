"""Where a request came from. Behind CloudFront, API Gateway's sourceIp is CloudFront's; the
viewer's address is the entry CloudFront appended to X-Forwarded-For. Entries left of the trusted
hops are whatever the client wrote, so they are never believed."""

from __future__ import annotations

from chalicelib.config import get_settings


def client_ip(headers: dict[str, str], source_ip: str | None) -> str | None:
    hops = get_settings().trusted_proxy_hops
    if hops <= 0:
        return source_ip
    forwarded = [p.strip() for p in headers.get("x-forwarded-for", "").split(",") if p.strip()]
    if len(forwarded) >= hops:
        return forwarded[-hops]
    return source_ip


def read_cookie(headers: dict[str, str], name: str) -> str | None:
    for part in headers.get("cookie", "").split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return None
