"""HTTP to an OpenID provider: its discovery document and key set (GET) and its token endpoint
(POST). The standard library's client, with a timeout, a size limit, no redirects followed and
no scheme but https (http only where the caller allows it: the local stack's provider)."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

TIMEOUT_SECONDS = 5.0
MAX_BYTES = 512 * 1024


class ProviderUnreachable(Exception):
    """No usable answer: the provider could not be reached, answered too slowly, too much,
    something that is not a JSON object, or an error status (`status`, its JSON `body`)."""

    def __init__(self, reason: str, status: int = 0, body: dict[str, Any] | None = None) -> None:
        super().__init__(reason)
        self.status = status
        self.body = body or {}


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a 3xx is then an error answer: endpoints answer, they do not send away


_opener = urllib.request.build_opener(_NoRedirects())


@dataclass(frozen=True)
class ClientAuth:
    client_id: str
    client_secret: str
    method: str  # client_secret_basic | client_secret_post


def get_json(url: str, *, allow_http: bool = False) -> dict[str, Any]:
    return _send(urllib.request.Request(url, headers={"Accept": "application/json"}),  # noqa: S310
                 url, allow_http)


def post_form(
    url: str, fields: dict[str, str], auth: ClientAuth, *, allow_http: bool = False
) -> dict[str, Any]:
    """The token request (RFC 6749 4.1.3), the client authenticated as `auth.method` says."""
    form = dict(fields)
    headers = {"Accept": "application/json",
               "Content-Type": "application/x-www-form-urlencoded"}
    if auth.method == "client_secret_post":
        form.update(client_id=auth.client_id, client_secret=auth.client_secret)
    else:  # client_secret_basic: both form-encoded first (RFC 6749 2.3.1)
        pair = f"{_quote(auth.client_id)}:{_quote(auth.client_secret)}"
        headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
    data = urllib.parse.urlencode(form).encode()
    request = urllib.request.Request(url, data=data, headers=headers, method="POST")  # noqa: S310
    return _send(request, url, allow_http)


def _quote(value: str) -> str:
    return urllib.parse.quote_plus(value, safe="")


def _send(request: urllib.request.Request, url: str, allow_http: bool) -> dict[str, Any]:
    scheme = urllib.parse.urlsplit(url).scheme
    if scheme != "https" and not (allow_http and scheme == "http"):
        raise ProviderUnreachable(f"not an https address: {url[:200]}")
    status = 0
    try:
        with _opener.open(request, timeout=TIMEOUT_SECONDS) as response:
            status = response.status
            raw = response.read(MAX_BYTES + 1)
    except urllib.error.HTTPError as exc:
        status = exc.code
        raw = exc.read(MAX_BYTES + 1)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise ProviderUnreachable(f"{type(exc).__name__}: {exc}") from exc
    if len(raw) > MAX_BYTES:
        raise ProviderUnreachable("answer too large", status)
    try:
        body = json.loads(raw)
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise ProviderUnreachable(f"HTTP {status}: not a JSON object", status)
    if status != 200:
        raise ProviderUnreachable(f"HTTP {status}", status, body)
    return body
