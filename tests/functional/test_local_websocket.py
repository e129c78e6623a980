"""`parley dev`'s WebSocket API (parley_dev/local/websocket.py) with a real client: the app's
handlers get each connect, frame and disconnect as the event API Gateway sends
(tests/events/websocket_*.json), and the stream function's pushes reach the socket through the
boto3 Management API client the functions use on AWS."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests.functional.notification_support import Stream

pytestmark = pytest.mark.functional

EVENTS = Path(__file__).resolve().parents[1] / "events"
# Maps whose keys are the request's own (its headers, its query): their names are not a shape.
FREE_FORM = {"headers", "multiValueHeaders", "queryStringParameters",
             "multiValueQueryStringParameters"}


def shape(value: Any, name: str = "") -> Any:
    """The structure of an event: its keys all the way down and the kind of each value."""
    if name in FREE_FORM:
        return "map"
    if isinstance(value, dict):
        return {key: shape(item, key) for key, item in value.items()}
    if value is None or isinstance(value, str):
        return "text"  # API Gateway sends null for what it does not know (a userAgent)
    return type(value).__name__


class Recorded:
    """The events each WebSocket handler was given, in order."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.changed = threading.Condition()

    def wrap(self, handler: Any) -> Any:
        """Recorded once handled: a test waiting for an event sees what its handler did."""
        def recording(event: dict[str, Any], context: Any) -> Any:
            try:
                return handler(event, context)
            finally:
                with self.changed:
                    self.events.append(event)
                    self.changed.notify_all()

        return recording

    def route(self, route_key: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e["requestContext"]["routeKey"] == route_key]

    def wait_for(self, route_key: str, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        with self.changed:
            assert self.changed.wait_for(lambda: len(self.route(route_key)) >= count, timeout), (
                f"no {route_key} event within {timeout:.0f} s")
            return self.route(route_key)


@pytest.fixture
def local_api(aws: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, Recorded]]:
    """The local WebSocket API serving the app's own handlers, on a free port, with the app's
    settings naming it as PARLEY_WEBSOCKET_ENDPOINT (as `parley dev` does)."""
    import dataclasses

    import app as app_module
    from chalicelib import config
    from chalicelib.services import live
    from parley_dev.local.websocket import LocalWebsocketApi

    recorded = Recorded()
    application = app_module.app
    for route_key in ("$connect", "$default", "$disconnect"):
        name = application.websocket_handlers[route_key].name
        monkeypatch.setitem(application.handler_map, name,
                            recorded.wrap(application.handler_map[name]))
    api = LocalWebsocketApi("127.0.0.1", 0)
    monkeypatch.setattr(live, "get_settings", lambda: dataclasses.replace(
        config.get_settings(), websocket_endpoint=api.endpoint))
    api.serve(application)
    try:
        yield api, recorded
    finally:
        api.stop()


def _frame(socket: Any) -> dict[str, Any]:
    return dict(json.loads(socket.recv(timeout=10)))


def test_the_handlers_get_api_gateways_events_and_pushes_reach_the_client(desk, local_api):
    from chalicelib.adapters import live as gateway
    from chalicelib.data.live import get_connection

    api, recorded = local_api
    stream = Stream()
    ticket_id = desk.open_ticket()
    stream.pump()
    token = desk.tokens["agent"]

    # A handshake the $connect handler refuses is refused with its status
    with pytest.raises(InvalidStatus) as refused:
        connect(f"{api.url}?token=not-a-session", open_timeout=10)
    assert refused.value.response.status_code == 401

    with connect(f"{api.url}?token={token}", open_timeout=10,
                 user_agent_header="parley-test") as socket:
        # Each frame goes to the message handler, whose answer comes back over the socket
        subscribe = json.dumps({"action": "subscribe", "ticket_id": ticket_id})
        socket.send(subscribe)
        assert _frame(socket) == {"type": "subscribed", "ticket_id": ticket_id, "last_seq": 1}
        socket.send(json.dumps({"action": "subscribe_queue"}))
        assert _frame(socket) == {"type": "queue_subscribed"}

        # When an agent answers, the stream function's pushes reach this very socket
        desk.answer(ticket_id, "Unplug it.")
        stream.pump()
        frames = [_frame(socket), _frame(socket)]
        assert [f["type"] for f in frames] == ["messages", "queue"]
        assert [m["body"] for m in frames[0]["messages"]] == ["Unplug it."]
        # as the console's polling shows it
        status, polled, _ = desk.api.call(
            "GET", f"/api/console/tickets/{ticket_id}/messages?after=1", token=token)
        assert status == 200 and polled["messages"] == frames[0]["messages"]
        assert frames[1] == {"type": "queue", "ticket_id": ticket_id,
                             "changes": ["status", "assignee"]}

    # The events were shaped as API Gateway's, the same connection throughout
    samples = {route_key: json.loads((EVENTS / f"websocket_{kind}.json").read_text())
               for route_key, kind in (("$connect", "connect"), ("$default", "message"),
                                       ("$disconnect", "disconnect"))}
    connected = recorded.route("$connect")
    assert len(connected) == 2  # the refused one, then ours
    connect_event, messages = connected[1], recorded.route("$default")
    (disconnect_event,) = recorded.wait_for("$disconnect", 1)
    for route_key, events in (("$connect", connected), ("$default", messages),
                              ("$disconnect", [disconnect_event])):
        for event in events:
            assert shape(event) == shape(samples[route_key]), route_key
    connection_id = connect_event["requestContext"]["connectionId"]
    assert [e["requestContext"]["connectionId"] for e in (*messages, disconnect_event)] == [
        connection_id] * 3
    context = connect_event["requestContext"]
    assert (context["eventType"], context["stage"], context["domainName"]) == (
        "CONNECT", "api", f"127.0.0.1:{api.port}")
    assert context["identity"]["userAgent"] == "parley-test"
    assert connect_event["queryStringParameters"] == {"token": token}
    assert connect_event["headers"]["Sec-WebSocket-Version"] == "13"
    assert [(e["requestContext"]["eventType"], e["body"]) for e in messages] == [
        ("MESSAGE", subscribe), ("MESSAGE", json.dumps({"action": "subscribe_queue"}))]
    assert (disconnect_event["requestContext"]["disconnectStatusCode"],
            disconnect_event["requestContext"]["eventType"]) == (1000, "DISCONNECT")

    # Once closed, the handler forgot the connection, and the Management API answers Gone
    assert get_connection(connection_id) is None
    with pytest.raises(gateway.ConnectionGone):
        gateway.post(api.endpoint, connection_id, b'{"type":"pong"}')
