"""chalice local's server, also serving the static pages in web/ on the same origin.

`chalice local` has no greedy {proxy+} routes, so static files are not Chalice routes: requests
outside /api/ and /dev/ are answered from web/ here, as CloudFront answers them from S3 on AWS.
"""

from __future__ import annotations

import json
import mimetypes
import os
import ssl
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from chalice.app import Chalice
from chalice.local import (
    ChaliceRequestHandler,
    LocalChalice,
    LocalDevServer,
    RouteMatcher,
)

from chalicelib.api.routing import SECURITY_HEADERS
from chalicelib.errors import MethodNotAllowed, NotFound, ParleyError

WEB_DIR = Path(__file__).resolve().parents[2] / "web"
API_PREFIXES = ("/api/", "/dev/")
# The local stack's own (not the app's): whether the event pump has caught up (pump.py).
PUMP_DRAINED = "/dev/pump/drained"


def content_security_policy() -> str:
    """The pages' policy: no inline script or style, no framing. Uploads go straight from the
    browser to the documents bucket's presigned POST, and image thumbnails come from its
    presigned GET: locally both are the emulator's origin, which is plain http, so it is named.
    (On AWS, infra/parley_infra/web.py sets the equivalent policy on CloudFront.)"""
    documents: list[str] = []
    endpoint = urlsplit(os.environ.get("AWS_ENDPOINT_URL", ""))
    if endpoint.scheme in ("http", "https") and endpoint.netloc:
        documents.append(f"{endpoint.scheme}://{endpoint.netloc}")
    images = ["'self'", "data:", "https:", *documents]
    connect = ["'self'", *documents, "ws:", "wss:"]
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            f"img-src {' '.join(images)}",
            f"connect-src {' '.join(connect)}",
            "object-src 'none'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "form-action 'self'",
        ]
    )


# What chalice local answers itself, in its own shapes, rewritten to the app's: a path no route has
# (API Gateway's "Missing Authentication Token", which infra/ turns into this 404 on AWS) and a
# method the path's route does not have.
NO_SUCH_ENDPOINT = NotFound("There is no such endpoint.")
# With an Authorization header, chalice local says it differently, quoting the header (the
# caller's session token) back: never sent.
NO_ROUTE_PHRASES = (b"Missing Authentication Token", b"Authorization header requires")
NO_SUCH_METHOD = MethodNotAllowed("This address does not take this method.")


class PortalRequestHandler(ChaliceRequestHandler):
    def __init__(self, request: Any, client_address: Any, server: Any, app_object: Chalice,
                 config: Any) -> None:
        # Set before the base class runs: it handles the request inside __init__.
        self.app_object = app_object
        super().__init__(request, client_address, server, app_object, config)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """http.server's own refusals in the API's JSON shape, not its HTML page: above all a
        method no handler has (TRACE, PROPFIND...), which it answers 501, a server error to any
        client or fuzzer although the request is what is wrong."""
        # The request's body, if any, was not read: the connection cannot carry another request.
        self.close_connection = True
        if code == HTTPStatus.NOT_IMPLEMENTED:
            self._send_refusal(NO_SUCH_METHOD, allow=self._allowed_methods())
        elif code == HTTPStatus.NOT_FOUND:
            self._send_refusal(NO_SUCH_ENDPOINT)
        else:
            # A malformed request line, headers too long, an HTTP version it does not speak:
            # the words of API Gateway's DEFAULT_4XX (infra/parley_infra/chalice_app.py).
            refusal = ParleyError("The request was refused.", code="bad_request")
            refusal.status = code
            self._send_refusal(refusal)

    def _send_http_response(self, code: int, headers: Any, body: str | bytes | None) -> None:
        if code == HTTPStatus.METHOD_NOT_ALLOWED and b"MethodNotAllowedError" in _bytes(body):
            self._send_refusal(NO_SUCH_METHOD, allow=self._allowed_methods())
        elif code == HTTPStatus.FORBIDDEN and any(
            phrase in _bytes(body) for phrase in NO_ROUTE_PHRASES
        ):
            self._send_refusal(NO_SUCH_ENDPOINT)
        else:
            super()._send_http_response(code, headers, body)

    def _send_refusal(self, error: ParleyError, allow: str | None = None) -> None:
        body = json.dumps(error.body()).encode()
        self.log_error("code %d, %s", error.status, error.code)
        self.send_response(error.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in SECURITY_HEADERS.items():
            self.send_header(name, value)
        if allow:
            self.send_header("Allow", allow)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _allowed_methods(self) -> str | None:
        """The methods the requested path takes (a 405 names them), None for a path no route
        has. The request line may be unreadable: then there is no path."""
        path = urlsplit(getattr(self, "path", "") or "").path
        if not path.startswith(API_PREFIXES):
            return "GET"  # the static pages
        try:
            route = RouteMatcher(list(self.app_object.routes)).match_route(path).route
        except ValueError:
            return None
        return ", ".join(sorted(self.app_object.routes[route]))

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == PUMP_DRAINED:
            self._answer_drained()
            return
        if path.startswith(API_PREFIXES) or path in ("/api", "/dev"):
            super().do_GET()
            return
        self._serve_static(path)

    def _answer_drained(self) -> None:
        """`GET /dev/pump/drained`: {"drained": true} once the event pump's stream readers
        have caught up with what was written before the request, false after 20 s (ask again):
        for tests that write a burst straight into the tables (tests/seeding.py)."""
        pump = getattr(self.server, "pump", None)
        if pump is None:
            self._send_refusal(NO_SUCH_ENDPOINT)
            return
        body = json.dumps({"drained": bool(pump.drained(timeout=20.0))}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def _serve_static(self, path: str) -> None:
        relative = path.lstrip("/") or "index.html"
        target = (WEB_DIR / relative).resolve()
        if target.is_dir():
            target = target / "index.html"
        if WEB_DIR.resolve() not in target.parents or not target.is_file():
            # Unknown paths are pages of the single-page app: let it route them.
            target = WEB_DIR / "index.html"
        if not target.is_file():
            self.send_error(404, "Not found")
            return
        body = target.read_bytes()
        self.send_response(200)
        content_type = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        if content_type.startswith("text/") or content_type.endswith("javascript"):
            content_type += "; charset=utf-8"
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Content-Security-Policy", content_security_policy())
        self.send_header("Referrer-Policy", "same-origin")
        self.send_header("X-Frame-Options", "DENY")
        if isinstance(self.connection, ssl.SSLSocket):
            # Only over HTTPS (browsers ignore it on http, and the local run is plain http).
            self.send_header("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
        self.end_headers()
        self.wfile.write(body)


def _bytes(body: str | bytes | None) -> bytes:
    return body.encode() if isinstance(body, str) else body or b""


def keep_requests_per_thread(app: Any) -> None:
    """What `chalice local` does to the app it serves (chalice.local.create_local_server, which
    takes no handler class): the request being handled is kept per thread, as each Lambda
    invocation has its own. On the shared app object two requests at once read each other's
    (/dev/mail?format=json answered as the HTML page while a page's request ran). For the
    process `parley dev` runs; tests that serve the app from several threads have their own
    fixture (tests/conftest.py: requests_per_thread)."""
    if not isinstance(app, LocalChalice):
        app.__class__ = type("LocalPortalChalice", (LocalChalice, type(app)), {})


def create_server(app: Any, config: Any, host: str, port: int) -> LocalDevServer:
    return LocalDevServer(app, config, host, port, handler_cls=PortalRequestHandler)
