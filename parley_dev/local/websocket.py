"""API Gateway's WebSocket API, for `parley dev`: the same handlers, the same events, the same
push path as deployed.

A browser connects to `ws://<host>:<port>/api` (the stage, as `wss://<api>.execute-api.../api`
on AWS). Each connect, frame and disconnect is handed to the handler the Chalice app registered
for `$connect`, the selected route (`$default`: Chalice's route selection is on
`$request.body.action` and it registers no other message route) or `$disconnect`, with the event
API Gateway sends (tests/events/websocket_*.json); `$connect` answering other than 2xx refuses
the handshake with that status, as API Gateway does.

The same host and stage serve the Management API the functions push through
(`POST /api/@connections/{id}`, `GET` and `DELETE` too), so `PARLEY_WEBSOCKET_ENDPOINT` is
`http://<host>:<port>/api` and chalicelib/adapters/live.py posts with the very boto3
`apigatewaymanagementapi` client it uses on AWS: a connection that has closed answers 410
GoneException. As on AWS only signed requests (SigV4) are taken; the signature itself is not
checked (the emulator's credentials are fixed, and the port listens on the local host only).

Its own port rather than the portal's: on AWS the WebSocket API is another origin than the
pages' (so the page's CSP and the URL it gets from `GET /api/notifications/live` are exercised
as deployed), the management endpoint must share the socket's host and stage (the app derives
one URL from the other), and `chalice local`'s request handler stays what it is.

http.server reads the requests; the WebSocket protocol itself (handshake checks, framing,
masking, UTF-8, ping/pong, closing) is the `websockets` library's Sans-I/O layer, driven here
with one thread per connection.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import re
import socket
import threading
import time
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from websockets.frames import Frame, Opcode
from websockets.http11 import Request
from websockets.protocol import CLOSED, OPEN
from websockets.server import ServerProtocol

from chalicelib.observability import get_logger
from parley_dev.local.pump import FakeContext

STAGE = "api"  # infra/parley_infra/stack.py:API_STAGE
API_ID = "parleylocal"
# API Gateway's limits: a client's message, and a PostToConnection payload.
MAX_MESSAGE_BYTES = 128 * 1024
_CONNECTIONS = re.compile(rf"^/{STAGE}/@connections/([^/]+)$")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# After a close frame, how long the peer has to close its side before the socket is dropped.
CLOSE_TIMEOUT_SECONDS = 5.0

Handler = Callable[[dict[str, Any], Any], Any]


def _gateway_id(size: int = 11) -> str:
    """An id shaped as API Gateway's ("IU3kkeN4IAMCJwA="): URL-safe, as it goes into a path."""
    return base64.urlsafe_b64encode(os.urandom(size)).decode()


def _request_time(epoch_ms: int) -> str:
    moment = time.gmtime(epoch_ms / 1000)
    return (f"{moment.tm_mday:02d}/{_MONTHS[moment.tm_mon - 1]}/{moment.tm_year}:"
            f"{moment.tm_hour:02d}:{moment.tm_min:02d}:{moment.tm_sec:02d} +0000")


def _http_status(code: int) -> HTTPStatus:
    """What a refused handshake answers: the handler's status, if HTTP has one."""
    try:
        return HTTPStatus(code)
    except ValueError:
        return HTTPStatus.FORBIDDEN


def _iso(epoch_ms: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch_ms / 1000))


class Connection:
    """One open WebSocket: its socket, the protocol's state, and what an event says of it. The
    reader thread and the pushes (other request threads) share the protocol under `lock`."""

    def __init__(self, sock: socket.socket, protocol: ServerProtocol, *, domain: str,
                 source_ip: str, user_agent: str | None) -> None:
        self.id = _gateway_id()
        self.socket = sock
        self.protocol = protocol
        self.lock = threading.Lock()
        self.domain = domain
        self.source_ip = source_ip
        self.user_agent = user_agent
        self.connected_at = int(time.time() * 1000)
        self.last_active_at = self.connected_at
        self.closed_by_server: int | None = None

    def request_context(self, route_key: str, event_type: str) -> dict[str, Any]:
        now = int(time.time() * 1000)
        request_id = _gateway_id(10)
        return {
            "routeKey": route_key,
            "eventType": event_type,
            "extendedRequestId": request_id,
            "requestTime": _request_time(now),
            "messageDirection": "IN",
            "stage": STAGE,
            "connectedAt": self.connected_at,
            "requestTimeEpoch": now,
            "identity": {"sourceIp": self.source_ip, "userAgent": self.user_agent},
            "requestId": request_id,
            "domainName": self.domain,
            "connectionId": self.id,
            "apiId": API_ID,
        }

    def send(self, data: bytes) -> bool:
        """A frame to the client (text when the data is UTF-8, as API Gateway sends JSON);
        False once the connection is closing or closed."""
        with self.lock:
            if self.protocol.state is not OPEN:
                return False
            try:
                data.decode()
            except UnicodeDecodeError:
                self.protocol.send_binary(data)
            else:
                self.protocol.send_text(data)
            self.last_active_at = int(time.time() * 1000)
            return self.flush()

    def close(self, code: int, reason: str = "") -> None:
        """Start the closing handshake; a client that does not answer it is dropped after
        CLOSE_TIMEOUT_SECONDS (its reader thread then sees the end of the stream)."""
        with self.lock:
            if self.protocol.state is not OPEN:
                return
            self.closed_by_server = code
            self.protocol.send_close(code, reason)
            self.flush()
        timer = threading.Timer(CLOSE_TIMEOUT_SECONDS, self._drop)
        timer.daemon = True
        timer.start()

    def _drop(self) -> None:
        if self.protocol.state is not CLOSED:
            with contextlib.suppress(OSError):
                self.socket.shutdown(socket.SHUT_RDWR)

    def flush(self) -> bool:
        """Write what the protocol has to send (the caller holds the lock)."""
        try:
            for data in self.protocol.data_to_send():
                if data:
                    self.socket.sendall(data)
                else:  # the protocol's end of stream: half-close
                    self.socket.shutdown(socket.SHUT_WR)
        except OSError:
            return False
        return True


class LocalWebsocketApi:
    """The WebSocket API and its Management API on one local port; `serve(app)` once the
    Chalice app is loaded (the port is bound at once, so its URL can go into the environment
    the app's settings are read from)."""

    def __init__(self, host: str, port: int = 0) -> None:
        try:
            self._server = _Server((host, port), _RequestHandler)
        except OSError:
            if not port:
                raise
            self._server = _Server((host, 0), _RequestHandler)  # taken: any free port
        self._server.api = self
        self.host = host
        self.port = int(self._server.server_address[1])
        self.endpoint = f"http://{host}:{self.port}/{STAGE}"
        self._connections: dict[str, Connection] = {}
        self._lock = threading.Lock()
        self._handlers: dict[str, Handler] = {}
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """What a client connects to (GET /api/notifications/live gives the same)."""
        return f"ws://{self.host}:{self.port}/{STAGE}"

    def serve(self, app: Any) -> None:
        # Chalice keeps each route key's handler config; the callable Lambda would run is the
        # app's handler_map entry of the same name.
        self._handlers = {key: app.handler_map[config.name]
                          for key, config in app.websocket_handlers.items()}
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.1}, name="websocket-api",
                                        daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 3.0) -> None:
        """Close every connection as API Gateway does going away (each one's `$disconnect`
        still runs, within `timeout`), then the port."""
        self._server.shutdown()
        for connection in self.connections():
            connection.close(1001, "Going away")
        deadline = time.monotonic() + timeout
        while self.connections() and time.monotonic() < deadline:
            time.sleep(0.05)
        self._server.server_close()

    def connections(self) -> list[Connection]:
        with self._lock:
            return list(self._connections.values())

    def connection(self, connection_id: str) -> Connection | None:
        with self._lock:
            return self._connections.get(connection_id)

    def _add(self, connection: Connection) -> None:
        with self._lock:
            self._connections[connection.id] = connection

    def _remove(self, connection: Connection) -> None:
        with self._lock:
            self._connections.pop(connection.id, None)

    def invoke(self, route_key: str, event: dict[str, Any]) -> dict[str, Any]:
        """What Lambda would answer API Gateway; an error is a 500, as an integration failure."""
        handler = self._handlers.get(route_key)
        if handler is None:
            return {"statusCode": 200}  # no integration: API Gateway accepts, and says nothing
        try:
            answer = handler(event, FakeContext())
        except Exception:
            get_logger().exception("websocket handler failed", extra={"route": route_key})
            return {"statusCode": 500}
        return answer if isinstance(answer, dict) else {"statusCode": 200}

    def route_of(self, body: str) -> str:
        """`$request.body.action`, Chalice's route selection: a route of that name, else
        `$default`."""
        try:
            action = json.loads(body).get("action")
        except (ValueError, AttributeError):
            action = None
        if isinstance(action, str) and not action.startswith("$") and action in self._handlers:
            return action
        return "$default"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    api: LocalWebsocketApi


class _RequestHandler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"  # boto3 keeps its connection to the Management API open

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the portal's own log says what matters; a line per push would drown it

    # -- the WebSocket API ---------------------------------------------------------------------

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        upgrade = self.headers.get("Upgrade", "").lower() == "websocket"
        if path.rstrip("/") == f"/{STAGE}" and upgrade:
            self._websocket()
            return
        self._management("GET", path)

    def _websocket(self) -> None:
        self.close_connection = True  # whatever happens, this socket serves no other request
        api = self.server.api
        protocol = ServerProtocol(max_size=MAX_MESSAGE_BYTES)
        # http.server has read the handshake request; the protocol reads it again from bytes.
        head = [f"{self.requestline}\r\n".encode("latin-1")]
        head += [f"{name}: {value}\r\n".encode("latin-1") for name, value in self.headers.items()]
        protocol.receive_data(b"".join([*head, b"\r\n"]))
        request = next(e for e in protocol.events_received() if isinstance(e, Request))
        response = protocol.accept(request)
        connection = Connection(
            self.connection, protocol, domain=self.headers.get("Host") or f"{api.host}:{api.port}",
            source_ip=self.client_address[0], user_agent=self.headers.get("User-Agent"),
        )
        if response.status_code == HTTPStatus.SWITCHING_PROTOCOLS:
            status = int(api.invoke("$connect", self._connect_event(connection)).get(
                "statusCode", 200))
            if not 200 <= status < 300:
                refused = _http_status(status)
                response = protocol.reject(refused, f"{refused.phrase}\n")
        if response.status_code != HTTPStatus.SWITCHING_PROTOCOLS:
            with connection.lock:
                protocol.send_response(response)
                connection.flush()
            return
        api._add(connection)
        try:
            with connection.lock:
                protocol.send_response(response)
                connection.flush()
            self._read(connection)
        finally:
            api._remove(connection)
            api.invoke("$disconnect", self._disconnect_event(connection))

    def _read(self, connection: Connection) -> None:
        """Frames until the connection closes; each message to the route it selects."""
        protocol, fragments, binary = connection.protocol, [], False
        while protocol.state is not CLOSED:
            try:
                data = connection.socket.recv(65536)
            except OSError:  # reset, or the close timeout below
                data = b""
            with connection.lock:
                if data:
                    protocol.receive_data(data)
                else:
                    protocol.receive_eof()
                events = protocol.events_received()
                connection.flush()  # pongs, the answer to a close frame
                if protocol.close_expected():
                    connection.socket.settimeout(CLOSE_TIMEOUT_SECONDS)
            for event in events:
                if not isinstance(event, Frame):
                    continue
                if event.opcode in (Opcode.TEXT, Opcode.BINARY):
                    fragments, binary = [event.data], event.opcode is Opcode.BINARY
                elif event.opcode is Opcode.CONT:
                    fragments.append(event.data)
                else:
                    continue  # ping, pong, close: the protocol has answered them
                if event.fin:
                    self._message(connection, b"".join(fragments), binary)
                    fragments = []
            if not data:
                return

    def _message(self, connection: Connection, data: bytes, binary: bool) -> None:
        connection.last_active_at = int(time.time() * 1000)
        body = base64.b64encode(data).decode() if binary else data.decode()
        api = self.server.api
        route_key = "$default" if binary else api.route_of(body)
        context = connection.request_context(route_key, "MESSAGE")
        context["messageId"] = _gateway_id()
        event = {"requestContext": context, "body": body, "isBase64Encoded": binary}
        if api.invoke(route_key, event).get("statusCode") == 500:
            # What API Gateway tells the client when the integration failed.
            connection.send(json.dumps({"message": "Internal server error",
                                        "connectionId": connection.id,
                                        "requestId": context["requestId"]}).encode())

    def _connect_event(self, connection: Connection) -> dict[str, Any]:
        api = self.server.api
        headers = {name: value for name, value in self.headers.items()}
        headers.update({"X-Forwarded-For": connection.source_ip,
                        "X-Forwarded-Port": str(api.port), "X-Forwarded-Proto": "http"})
        multi: dict[str, list[str]] = {}
        for name in self.headers:
            multi[name] = self.headers.get_all(name) or []
        for name in ("X-Forwarded-For", "X-Forwarded-Port", "X-Forwarded-Proto"):
            multi[name] = [headers[name]]
        event: dict[str, Any] = {"headers": headers, "multiValueHeaders": multi}
        pairs = parse_qsl(urlsplit(self.path).query, keep_blank_values=True)
        if pairs:  # API Gateway leaves both out when there is no query
            event["queryStringParameters"] = dict(pairs)
            grouped: dict[str, list[str]] = {}
            for name, value in pairs:
                grouped.setdefault(name, []).append(value)
            event["multiValueQueryStringParameters"] = grouped
        event["requestContext"] = connection.request_context("$connect", "CONNECT")
        event["isBase64Encoded"] = False
        return event

    def _disconnect_event(self, connection: Connection) -> dict[str, Any]:
        protocol = connection.protocol
        if connection.closed_by_server is not None:
            code, reason = connection.closed_by_server, "Connection closed by the server"
        elif protocol.close_rcvd is not None and protocol.close_rcvd.code != 1005:
            code = protocol.close_rcvd.code
            reason = f"Client-side close frame status set to {code}"
        elif protocol.close_rcvd is not None:
            code, reason = 1005, "Client-side close frame status not set"
        else:
            code, reason = 1006, "Going away"
        headers = {"Host": connection.domain, "x-api-key": "", "X-Forwarded-For": "",
                   "x-restapi": ""}
        context = connection.request_context("$disconnect", "DISCONNECT")
        context.update({"disconnectStatusCode": code, "disconnectReason": reason})
        return {
            "headers": headers,
            "multiValueHeaders": {name: [value] for name, value in headers.items()},
            "requestContext": context,
            "isBase64Encoded": False,
        }

    # -- the Management API --------------------------------------------------------------------

    def do_POST(self) -> None:
        self._management("POST", urlsplit(self.path).path)

    def do_DELETE(self) -> None:
        self._management("DELETE", urlsplit(self.path).path)

    def _management(self, method: str, path: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        data = self.rfile.read(length) if length else b""
        found = _CONNECTIONS.match(path)
        if found is None:
            self._answer(HTTPStatus.FORBIDDEN, "ForbiddenException", "Forbidden")
            return
        if not self.headers.get("Authorization", "").startswith("AWS4-HMAC-SHA256 "):
            self._answer(HTTPStatus.FORBIDDEN, "ForbiddenException",
                         "Missing Authentication Token")
            return
        connection = self.server.api.connection(unquote(found.group(1)))
        if connection is None or connection.protocol.state is not OPEN:
            self._answer(HTTPStatus.GONE, "GoneException", None)
        elif method == "GET":
            self._answer(HTTPStatus.OK, None, None, {
                "ConnectedAt": _iso(connection.connected_at),
                "Identity": {"SourceIp": connection.source_ip,
                             "UserAgent": connection.user_agent},
                "LastActiveAt": _iso(connection.last_active_at),
            })
        elif method == "DELETE":
            connection.close(1000)
            self._answer(HTTPStatus.NO_CONTENT, None, None)
        elif len(data) > MAX_MESSAGE_BYTES:
            self._answer(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "PayloadTooLargeException",
                         "Message too long")
        elif connection.send(data):
            self._answer(HTTPStatus.OK, None, None)
        else:
            self._answer(HTTPStatus.GONE, "GoneException", None)

    def _answer(self, status: HTTPStatus, error_type: str | None, message: str | None,
                body: dict[str, Any] | None = None) -> None:
        """In the Management API's shape: a JSON body, the error's type in x-amzn-ErrorType
        (what botocore turns into `client.exceptions.<type>`)."""
        payload = b""
        if error_type is not None:
            payload = json.dumps({"message": message}).encode()
        elif body is not None:
            payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("x-amzn-RequestId", _gateway_id(10))
        if error_type is not None:
            self.send_header("x-amzn-ErrorType", error_type)
        self.end_headers()
        if payload:
            self.wfile.write(payload)
