"""moto's server, as `python -m moto.server` runs it, with one read-only addition:
GET /_harness/ses/sent lists the mails SES accepted, and GET /_harness/live/<connection id> what
was pushed to a WebSocket connection (moto keeps both but serves them on no endpoint; its
/moto-api/data.json fails on some of the stack's models).

Usage: python -m tests.deployed.emulator <port>   (prints READY once it accepts requests)
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

SENT_PATH = "/_harness/ses/sent"
LIVE_PREFIX = "/_harness/live/"


def _sent() -> list[dict[str, Any]]:
    from moto.ses.models import ses_backends

    found = []
    for account in ses_backends.values():
        for backend in account.values():
            for message in getattr(backend, "sent_messages", []):
                raw = getattr(message, "raw_data", None)
                if raw is not None:
                    found.append({"raw": raw, "to": list(message.destinations)})
    return found


def _pushed(connection_id: str) -> str:
    from urllib.parse import unquote

    from moto.apigatewaymanagementapi.models import apigatewaymanagementapi_backends

    for account in apigatewaymanagementapi_backends.values():
        for backend in account.values():
            for key, connection in backend.connections.items():
                if unquote(key) == connection_id:  # moto keys it by the quoted path segment
                    return str(connection.data.decode())
    return ""


def main(port: int) -> None:
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
    from moto.server import MotoRequestHandler
    from werkzeug.serving import make_server

    os.environ.setdefault("MOTO_PORT", str(port))
    moto_app = DomainDispatcherApplication(create_backend_app)

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        path = environ.get("PATH_INFO", "")
        if path == SENT_PATH or path.startswith(LIVE_PREFIX):
            found = _sent() if path == SENT_PATH else _pushed(path[len(LIVE_PREFIX):])
            body = json.dumps(found).encode()
            start_response("200 OK", [("Content-Type", "application/json"),
                                      ("Content-Length", str(len(body)))])
            return [body]
        return moto_app(environ, start_response)

    server = make_server("127.0.0.1", port, app, threaded=True,
                         request_handler=MotoRequestHandler)
    # The socket is bound: say so on stdout, which the harness reads once, then send anything
    # else printed to the log (stderr).
    print("READY", flush=True)
    os.dup2(2, 1)
    server.serve_forever()


if __name__ == "__main__":
    main(int(sys.argv[1]))
