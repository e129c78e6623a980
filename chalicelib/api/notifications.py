"""The in-portal notification feed and live-update access, for customers and agents alike.

Services are imported in the view: a cold start loads only what the route it answers needs."""

from __future__ import annotations

from typing import Annotated, Literal

from chalice.app import Blueprint
from pydantic import Field

from chalicelib.api.pagination import PageQuery
from chalicelib.api.requests import Strict
from chalicelib.api.routing import ANY_USER, route
from chalicelib.services.principal import Principal
from chalicelib.shapes.notifications import LiveAccess, MarkedRead, NotificationFeed, UnreadCount

blueprint = Blueprint(__name__)
TAG = "notifications"


class MarkReadBody(Strict):
    ids: Literal["all"] | list[Annotated[str, Field(max_length=200)]] = Field(
        description='The ids of items to mark read, or "all".', max_length=100
    )


@route(blueprint, "/api/notifications", access=ANY_USER, query=PageQuery, tag=TAG,
       summary="My notifications, newest first (cursor), with the unread count.")
def list_notifications(caller: Principal, query: PageQuery) -> NotificationFeed:
    from chalicelib.services import notifications

    return notifications.list_feed(caller, limit=query.limit, cursor=query.cursor)


@route(blueprint, "/api/notifications/read", method="POST", access=ANY_USER, body=MarkReadBody,
       tag=TAG, summary='Mark notifications read: {"ids": [...]} or {"ids": "all"}.')
def mark_notifications_read(caller: Principal, body: MarkReadBody) -> MarkedRead:
    from chalicelib.services import notifications

    return notifications.mark_read(caller, body.ids)


@route(blueprint, "/api/notifications/unread-count", access=ANY_USER, tag=TAG,
       refreshes_session=False,
       summary="How many of my notifications are unread (counted up to 100).")
def count_unread_notifications(caller: Principal) -> UnreadCount:
    from chalicelib.services import notifications

    return notifications.unread_count(caller)


@route(blueprint, "/api/notifications/live", access=ANY_USER, tag=TAG, refreshes_session=False,
       summary="Where to open a live-update WebSocket, with a one-minute ticket for it.")
def live_access(caller: Principal) -> LiveAccess:
    from chalicelib.services import live

    return live.live_access(caller)
