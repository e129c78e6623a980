"""The WebSocket API of live updates: connect, client frames, disconnect.

Chalice's blueprints register WebSocket handlers with the app (so `chalice package` builds the
WebSocket API from them) but only wrap them in the WebSocket event machinery when the decorating
object has a `websocket_api`; a plain Blueprint has none and would hand the handler the raw
event. This blueprint carries its own, which Chalice only uses to learn the API id and stage
from each event; pushing goes through our adapter (endpoint from settings).
"""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, WebsocketAPI, WebsocketEvent

from chalicelib.observability import in_invocation


class WebsocketBlueprint(Blueprint):
    websocket_api = WebsocketAPI()


blueprint = WebsocketBlueprint(__name__)


@blueprint.on_ws_connect(name="live_connect")
@in_invocation
def live_connect(event: WebsocketEvent) -> dict[str, Any]:
    from chalicelib.services.live import connect

    query = event.to_dict().get("queryStringParameters") or {}
    accepted = connect(
        event.connection_id, token=query.get("token"), live_ticket=query.get("ticket")
    )
    return {"statusCode": 200 if accepted else 401}


@blueprint.on_ws_message(name="live_message")
@in_invocation
def live_message(event: WebsocketEvent) -> dict[str, Any]:
    from chalicelib.services.live import on_message

    on_message(event.connection_id, event.body, f"https://{event.domain_name}/{event.stage}")
    return {"statusCode": 200}


@blueprint.on_ws_disconnect(name="live_disconnect")
@in_invocation
def live_disconnect(event: WebsocketEvent) -> dict[str, Any]:
    from chalicelib.services.live import disconnect

    disconnect(event.connection_id)
    return {"statusCode": 200}
