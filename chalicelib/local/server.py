"""chalice local's server, also serving the static pages in web/ on the same origin.

`chalice local` has no greedy {proxy+} routes, so static files are not Chalice routes: requests
outside /api/ and /dev/ are answered from web/ here, as CloudFront answers them from S3 on AWS.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Any

from chalice.local import ChaliceRequestHandler, LocalDevServer

WEB_DIR = Path(__file__).resolve().parents[2] / "web"
API_PREFIXES = ("/api/", "/dev/")


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
        self.end_headers()
        self.wfile.write(body)


def create_server(app: Any, config: Any, host: str, port: int) -> LocalDevServer:
    return LocalDevServer(app, config, host, port, handler_cls=PortalRequestHandler)
