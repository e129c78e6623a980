"""Live updates: WebSocket connections that follow one ticket (and, for staff, the console's
queue), and the pushes they receive.

A connection is opened with a session (its token in the query string, for API clients, or a
short-lived live ticket the signed-in page asks for, since the browser's session cookie is
HttpOnly). Following a ticket runs the very access check of the REST routes, and so does every
push: what a connection receives is exactly what the polling fallback
(`GET .../tickets/{id}/messages?after=<seq>`) would answer its owner at that moment, so a
customer can never be pushed an internal note, nor anything after their session ended or the
ticket was hidden from them.

A staff page also follows the queue: every new message (and every ticket change writes one,
services/tickets/commit.py) pushes its followers a `queue` frame naming the ticket and what
changed, never a message's text, so the console's list reloads itself.

Without a configured WebSocket endpoint nothing is pushed: the pages poll. `parley dev` serves
one (parley_dev/local/websocket.py), so the local run pushes as a deployment does.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
from dataclasses import dataclass
from typing import Any

from chalicelib import clock
from chalicelib.adapters import live as gateway
from chalicelib.config import get_settings
from chalicelib.data import live as store
from chalicelib.data import tokens as token_store
from chalicelib.data.messages import PUBLIC, MessageModel, position_of
from chalicelib.errors import NotFound, ParleyError
from chalicelib.observability import count, get_logger
from chalicelib.services import sessions
from chalicelib.services.principal import CUSTOMER, Principal
from chalicelib.services.tickets import access, portal, views
from chalicelib.shapes.notifications import LiveAccess
from chalicelib.shapes.tickets import ConsoleNewMessages, CustomerNewMessages

LIVE_TICKET_SECONDS = 60
_TICKET_ID = re.compile(r"^[0-9a-zA-Z-]{1,64}$")
_DOMAIN_TAG = b"parley-live-ticket\x00"


# ---------------------------------------------------------------------------------------------
# Opening a connection


def live_access(principal: Principal) -> LiveAccess:
    """What a signed-in page needs to open a live connection: the URL and a ticket valid for a
    minute (a URL is logged in places a session token must never be)."""
    endpoint = get_settings().websocket_endpoint
    if not endpoint:
        return {"enabled": False, "url": None, "ticket": None, "expires_in": 0}
    expires = int(clock.now()) + LIVE_TICKET_SECONDS
    # The nonce makes each ticket single-use: a ticket read from a log or a proxy's history
    # opens nothing once its page has connected (connect spends it).
    payload = f"{principal.session_hash}.{expires}.{secrets.token_urlsafe(12)}"
    return {
        "enabled": True,
        # The management endpoint's own host and stage: https:// deployed, http:// locally.
        "url": re.sub(r"^http(s?)://", r"ws\1://", endpoint),
        "ticket": f"{payload}.{_mac(payload, get_settings().signing_key)}",
        "expires_in": LIVE_TICKET_SECONDS,
    }


def _mac(payload: str, key: bytes) -> str:
    digest = hmac.new(key, _DOMAIN_TAG + payload.encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()).decode().rstrip("=")


@dataclass(frozen=True)
class _LiveTicket:
    session_hash: str
    expires: int
    nonce: str


def _read_live_ticket(ticket: str) -> _LiveTicket | None:
    """The ticket's parts if the API signed it and it has not expired; spent or not is
    decided at connect."""
    parts = ticket.split(".")
    if len(parts) != 4:
        return None
    session_hash, expires, nonce, mac = parts
    if not (session_hash and expires.isdigit() and nonce and mac):
        return None
    # The previous key too: the functions of a deployment change keys one by one, and a page
    # may hold a ticket the API signed a moment before.
    payload = f"{session_hash}.{expires}.{nonce}"
    if not any(hmac.compare_digest(mac, _mac(payload, k))
               for k in get_settings().verification_keys()):
        return None
    if int(expires) < clock.now():
        return None
    return _LiveTicket(session_hash, int(expires), nonce)


def _spend(ticket: _LiveTicket, principal: Principal) -> bool:
    """A live ticket opens one connection: the first connect records it, a replay is refused."""
    key = hashlib.sha256(f"live-ticket:{ticket.nonce}".encode()).hexdigest()
    return token_store.spend_once(
        key, "live_ticket", principal.user_id, valid_until=ticket.expires, at=clock.now()
    )


def connect(connection_id: str, *, token: str | None, live_ticket: str | None) -> bool:
    """False refuses the connection (API Gateway answers the handshake with the status)."""
    principal: Principal | None = None
    if token:
        try:
            principal = sessions.authenticate(token, None, None)
        except ParleyError:
            principal = None
    elif live_ticket:
        parsed = _read_live_ticket(live_ticket)
        principal = sessions.principal_for_session(parsed.session_hash) if parsed else None
        if parsed is not None and principal is not None and not _spend(parsed, principal):
            principal = None
    if principal is None or principal.must_change_password:
        count("LiveConnectRefused")
        return False
    store.put_connection(
        connection_id,
        user_id=principal.user_id,
        role=principal.role,
        session_hash=principal.session_hash,
        now=clock.now(),
    )
    return True


def disconnect(connection_id: str) -> None:
    store.delete_connection(connection_id)


# ---------------------------------------------------------------------------------------------
# What a client sends: {"action": "subscribe", "ticket_id": ...}, {"action": "unsubscribe"},
# {"action": "subscribe_queue"} and {"action": "unsubscribe_queue"} (staff), {"action": "ping"}


def on_message(connection_id: str, body: str, reply_endpoint: str) -> dict[str, Any]:
    """Handle one client frame; the answer is also posted back to the connection."""
    answer = _answer(connection_id, body)
    _post(get_settings().websocket_endpoint or reply_endpoint, connection_id, answer)
    return answer


def _answer(connection_id: str, body: str) -> dict[str, Any]:
    try:
        frame = json.loads(body)
    except ValueError:
        frame = None
    if not isinstance(frame, dict):
        return _error("invalid_json", "Send a JSON object.")
    connection = store.get_connection(connection_id)
    principal = sessions.principal_for_session(connection.session_hash) if connection else None
    if connection is None or principal is None:
        store.delete_connection(connection_id)
        return _error("session_expired", "Your session has ended. Sign in again.")
    action = frame.get("action")
    if action == "ping":
        return {"type": "pong"}
    if action == "unsubscribe":
        store.follow_ticket(connection_id, None)
        return {"type": "unsubscribed"}
    if action in ("subscribe_queue", "unsubscribe_queue"):
        return _follow_queue(connection_id, principal, action == "subscribe_queue")
    if action != "subscribe":
        return _error("unknown_action", "action must be subscribe, unsubscribe, "
                      "subscribe_queue, unsubscribe_queue or ping.")
    ticket_id = frame.get("ticket_id")
    if not isinstance(ticket_id, str) or not _TICKET_ID.match(ticket_id):
        return _error("ticket_not_found", "No such ticket.")
    try:
        ticket = access.readable_ticket(principal, ticket_id)
    except NotFound:
        return _error("ticket_not_found", "No such ticket.")
    if not store.follow_ticket(connection_id, ticket_id):
        return _error("session_expired", "The connection has ended.")
    last_seq = ticket.last_public_seq if principal.role == CUSTOMER else ticket.last_seq
    return {"type": "subscribed", "ticket_id": ticket_id, "last_seq": int(last_seq or 0)}


def _follow_queue(connection_id: str, principal: Principal, following: bool) -> dict[str, Any]:
    """The console's queue is the team's: a customer is refused, whatever the frame says."""
    if not principal.is_staff:
        return _error("forbidden", "Only the team follows the queue.")
    if not store.follow_queue(connection_id, following):
        return _error("session_expired", "The connection has ended.")
    return {"type": "queue_subscribed" if following else "queue_unsubscribed"}


def _error(code: str, message: str) -> dict[str, Any]:
    return {"type": "error", "error": {"code": code, "message": message}}


# ---------------------------------------------------------------------------------------------
# Pushing a new message to everyone following its ticket, and its news to the queue


def push_message(message: MessageModel) -> int:
    """To the ticket's followers: public messages to customers, every message to staff; to the
    queue's followers: that the ticket changed. Returns how many pushes."""
    endpoint = get_settings().websocket_endpoint
    if not endpoint:
        return 0
    principals = _Principals()
    pushed = 0
    try:
        pushed += _push_to_followers(endpoint, message, principals)
    finally:
        # The list is not held up by a failure of the open threads' pushes, nor they by it.
        pushed += _push_to_queue(endpoint, message, principals)
    if pushed:
        count("LivePushes", pushed)
    return pushed


class _Principals:
    """Whose each session is, read once per push (an agent's tabs share one session); an ended
    session's connection is forgotten."""

    def __init__(self) -> None:
        self._known: dict[str, Principal | None] = {}

    def of(self, connection: store.ConnectionModel) -> Principal | None:
        session_hash = str(connection.session_hash)
        if session_hash not in self._known:
            self._known[session_hash] = sessions.principal_for_session(session_hash)
        principal = self._known[session_hash]
        if principal is None:
            store.delete_connection(str(connection.connection_id))
        return principal


def _push_to_followers(endpoint: str, message: MessageModel, principals: _Principals) -> int:
    ticket_id = str(message.ticket_id)
    # Customers number public messages on their own; staff count every message.
    numbers = {CUSTOMER: int(message.seq), "staff": position_of(message)}
    pushed = 0
    staff_checked = False
    for connection in store.followers_of(ticket_id):
        principal = principals.of(connection)
        if principal is None:
            continue
        number = numbers[CUSTOMER if principal.role == CUSTOMER else "staff"]
        update: CustomerNewMessages | ConsoleNewMessages
        try:
            if principal.role == CUSTOMER and message.visibility != PUBLIC:
                if not _customers_see_it_change(message):
                    continue  # a note, an assignment: nothing of it is theirs
                # A block or a status set by the team: no message of theirs, the ticket as
                # their polling would now read it (what their page shows of its state).
                seen = int(message.public_before or 0)
                update = portal.customer_new_messages(principal, ticket_id, seen)
                if _post(endpoint, str(connection.connection_id), {
                        "type": "messages", "ticket_id": ticket_id, "messages": [],
                        "ticket": update["ticket"], "last_seq": seen}):
                    pushed += 1
                continue
            if principal.role == CUSTOMER:
                update = portal.customer_new_messages(principal, ticket_id, number - 1)
            else:
                # The console's check (staff, the ticket still there), and the very view its
                # polling gives each message, made from the record: reading the thread after
                # it would cost a page of what followed for every message of a busy thread.
                if not staff_checked:  # the same for every agent: once per push
                    access.staff_ticket(principal, ticket_id)
                    staff_checked = True
                update = {"messages": [views.console_message(message)], "last_seq": number}
        except NotFound:
            store.follow_ticket(str(connection.connection_id), None)  # no longer theirs to see
            continue
        # This message only: those after it are pushed by their own records.
        messages = [m for m in update["messages"] if m["seq"] == number]
        if not messages:
            continue
        pushed_update = {**update, "messages": messages, "last_seq": number}
        if _post(endpoint, str(connection.connection_id),
                 {"type": "messages", "ticket_id": ticket_id, **pushed_update}):
            pushed += 1
    return pushed


def _customers_see_it_change(message: MessageModel) -> bool:
    """An internal event that changes the ticket as its customers see it."""
    details = message.details if isinstance(message.details, dict) else {}
    return bool(details.get("status_change")) or details.get("event") in ("blocked", "unblocked")


def queue_changes(message: MessageModel) -> list[str]:
    """What a message says changed in the console's list: `created` (a ticket's first
    message), `status` (commit.py records every change of it), `assignee` (an assignment, or
    an answer that took the ticket); anything else is `activity` (a message, a title, a
    block): its line in the list may read differently all the same."""
    details = message.details if isinstance(message.details, dict) else {}
    changes = []
    if position_of(message) == 1:
        changes.append("created")
    if details.get("status_change"):
        changes.append("status")
    if details.get("event") == "assigned" or details.get("assigned"):
        changes.append("assignee")
    return changes or ["activity"]


def _push_to_queue(endpoint: str, message: MessageModel, principals: _Principals) -> int:
    """The ticket and what changed, never a message's text: staff only, and the page reads the
    list through the console's own route."""
    frame = {"type": "queue", "ticket_id": str(message.ticket_id),
             "changes": queue_changes(message)}
    pushed = 0
    for connection in store.queue_followers():
        principal = principals.of(connection)
        if principal is None:
            continue
        if not principal.is_staff:  # never stored so (subscribing checks it), checked anyway
            store.follow_queue(str(connection.connection_id), False)
            continue
        if _post(endpoint, str(connection.connection_id), frame):
            pushed += 1
    return pushed


def _post(endpoint: str, connection_id: str, payload: dict[str, Any]) -> bool:
    if not endpoint:
        return False
    try:
        gateway.post(endpoint, connection_id, json.dumps(payload, separators=(",", ":")).encode())
    except gateway.ConnectionGone:
        store.delete_connection(connection_id)
        return False
    except Exception:
        get_logger().exception("live push failed", extra={"connection_id": connection_id})
        return False
    return True
