"""Pushing to WebSocket connections through the API Gateway Management API."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from chalicelib.config import get_settings


class ConnectionGone(Exception):
    """The client went away without a disconnect event reaching us."""


@lru_cache(maxsize=4)
def _client(endpoint: str) -> Any:
    import os

    import boto3

    # The SDK's own service-specific override wins, as it does for every other client (an
    # explicit endpoint_url would otherwise shadow it): the deployed-shape tests point it at
    # the emulator. Never set on Lambda.
    configured = os.environ.get("AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI")
    return boto3.session.Session().client(
        "apigatewaymanagementapi", endpoint_url=configured or endpoint,
        region_name=get_settings().region,
    )


def post(endpoint: str, connection_id: str, data: bytes) -> None:
    api = _client(endpoint)
    try:
        api.post_to_connection(ConnectionId=connection_id, Data=data)
    except api.exceptions.GoneException as exc:
        raise ConnectionGone(connection_id) from exc
