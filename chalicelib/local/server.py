"""chalice local's server, also serving the static pages in web/ on the same origin.

`chalice local` has no greedy {proxy+} routes, so static files are not Chalice routes: requests
outside /api/ and /dev/ are answered from web/ here, as CloudFront answers them from S3 on AWS.
"""

from __future__ import annotations

import mimetypes
import os
import ssl
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from chalice.local import ChaliceRequestHandler, LocalDevServer

WEB_DIR = Path(__file__).resolve().parents[2] / "web"
API_PREFIXES = ("/api/", "/dev/")


def content_security_policy() -> str:
    """The pages' policy: no inline script or style, no framing. Uploads go straight from the
    browser to the documents bucket's presigned POST, which locally is the emulator's origin.
    (On AWS, infra/parley_infra/web.py sets the equivalent policy on CloudFront.)"""
    connect = ["'self'"]
    endpoint = urlsplit(os.environ.get("AWS_ENDPOINT_URL", ""))
    if endpoint.scheme in ("http", "https") and endpoint.netloc:
        connect.append(f"{endpoint.scheme}://{endpoint.netloc}")
    connect += ["ws:", "wss:"]
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data: https:",
            f"connect-src {' '.join(connect)}",
            "object-src 'none'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "form-action 'self'",
        ]
    )


class PortalRequestHandler(ChaliceRequestHandler):
    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path.startswith(API_PREFIXES) or path in ("/api", "/dev"):
            super().do_GET()
            return
        self._serve_static(path)

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


def create_server(app: Any, config: Any, host: str, port: int) -> LocalDevServer:
    return LocalDevServer(app, config, host, port, handler_cls=PortalRequestHandler)
