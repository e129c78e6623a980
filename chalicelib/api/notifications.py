"""The in-portal notification feed and live-update access, for customers and agents alike."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from chalice.app import Blueprint
from pydantic import BaseModel, ConfigDict, Field

from chalicelib.api.pagination import PageQuery
from chalicelib.api.routing import ANY_USER, route
from chalicelib.services import live, notifications
from chalicelib.services.principal import Principal

blueprint = Blueprint(__name__)
TAG = "notifications"


class MarkReadBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ids: Literal["all"] | list[Annotated[str, Field(max_length=200)]] = Field(
        description='The ids of items to mark read, or "all".', max_length=100
    )


@route(blueprint, "/api/notifications", access=ANY_USER, query=PageQuery, tag=TAG,
       summary="My notifications, newest first (cursor), with the unread count.")
def list_notifications(caller: Principal, query: PageQuery) -> dict[str, Any]:
    return notifications.list_feed(caller, limit=query.limit, cursor=query.cursor)


@route(blueprint, "/api/notifications/read", method="POST", access=ANY_USER, body=MarkReadBody,
       tag=TAG, summary='Mark notifications read: {"ids": [...]} or {"ids": "all"}.')
def mark_notifications_read(caller: Principal, body: MarkReadBody) -> dict[str, Any]:
    return notifications.mark_read(caller, body.ids)


@route(blueprint, "/api/notifications/unread-count", access=ANY_USER, tag=TAG,
       refreshes_session=False,
       summary="How many of my notifications are unread (counted up to 100).")
def count_unread_notifications(caller: Principal) -> dict[str, Any]:
    return notifications.unread_count(caller)


@route(blueprint, "/api/notifications/live", access=ANY_USER, tag=TAG, refreshes_session=False,
       summary="Where to open a live-update WebSocket, with a one-minute ticket for it.")
def live_access(caller: Principal) -> dict[str, Any]:
    return live.live_access(caller)
