"""Live updates over the WebSocket API: who may connect and follow a ticket, and what each
follower is pushed."""

from __future__ import annotations

import pytest

from tests.functional.auth_support import environment
from tests.functional.notification_support import (
    Stream,
    live_endpoint,  # noqa: F401 - fixture
    pushes,
    session_token,
    ws_call,
)

pytestmark = pytest.mark.functional


def _connect(connection_id: str, **query: str) -> int:
    return int(ws_call("$connect", connection_id, query=query)["statusCode"])


def _send(connection_id: str, frame) -> dict:
    ws_call("$default", connection_id, body=frame)
    return pushes(connection_id)[-1]


def test_customer_follows_her_ticket_and_receives_public_messages(desk, live_endpoint):
    stream = Stream()
    ticket_id = desk.open_ticket()
    stream.pump()
    assert _connect("c1", token=desk.tokens["customer"]) == 200
    answer = _send("c1", {"action": "subscribe", "ticket_id": ticket_id})
    assert answer == {"type": "subscribed", "ticket_id": ticket_id, "last_seq": 1}
    # When the agent answers
    desk.answer(ticket_id, "Unplug it.")
    stream.pump()
    # Then the answer is pushed as the polling route would show it to her
    frame = pushes("c1")[-1]
    assert frame["type"] == "messages" and frame["ticket_id"] == ticket_id
    assert [(m["seq"], m["body"], m["kind"], m["author"]) for m in frame["messages"]] == [
        (2, "Unplug it.", "team", "Sam Agent")]
    assert frame["last_seq"] == 2 and frame["ticket"]["status"] == "open"
    status, polled, _ = desk.api.call(
        "GET", f"/api/portal/tickets/{ticket_id}/messages?after=1", token=desk.tokens["customer"])
    assert status == 200 and polled["messages"] == frame["messages"]


def test_nobody_follows_a_ticket_they_may_not_see(desk, make_user, live_endpoint):
    ticket_id = desk.open_ticket()
    bob = make_user("customer", org_id=desk.org["id"], name="Bob")  # same org, no org view
    assert _connect("bob", token=session_token(bob)) == 200
    for target in (ticket_id, "0123456789abcdef0123456789abcdef", "../../etc", 42):
        answer = _send("bob", {"action": "subscribe", "ticket_id": target})
        assert answer["type"] == "error" and answer["error"]["code"] == "ticket_not_found"
    # Staff follow any ticket, through the console's access check
    assert _connect("sam", token=desk.tokens["agent"]) == 200
    assert _send("sam", {"action": "subscribe", "ticket_id": ticket_id})["type"] == "subscribed"


def test_connecting_needs_a_live_session(desk, api, live_endpoint):
    assert _connect("x1") == 401
    assert _connect("x2", token="not-a-session") == 401
    assert _connect("x3", ticket="forged.123.abc") == 401
    # A short-lived live ticket from the API opens a connection (browsers cannot read the
    # HttpOnly session cookie, and a token in a URL ends up in logs)
    status, access, _ = api.call("GET", "/api/notifications/live", token=desk.tokens["customer"])
    assert status == 200 and access["enabled"] is True
    assert access["url"] == "wss://live123.execute-api.eu-west-1.amazonaws.com/api"
    assert _connect("x4", ticket=access["ticket"]) == 200
    # A ticket opens one connection: read from a log or a proxy's history, it opens no other
    assert _connect("x5", ticket=access["ticket"]) == 401
    # After sign-out, frames are refused and the connection forgotten
    status, _, _ = api.call("POST", "/api/auth/logout", token=desk.tokens["customer"])
    assert status == 200
    answer = _send("x4", {"action": "ping"})
    assert answer["error"]["code"] == "session_expired"
    from chalicelib.data.live import get_connection

    assert get_connection("x4") is None


def test_an_expired_live_ticket_is_refused(desk, api, fake_clock, live_endpoint):
    status, access, _ = api.call("GET", "/api/notifications/live", token=desk.tokens["customer"])
    assert status == 200
    fake_clock.advance(61)
    assert _connect("late", ticket=access["ticket"]) == 401


def test_a_live_ticket_signed_before_a_key_rotation_opens_until_the_previous_key_is_cleared(
    desk, api, live_endpoint
):
    # Given a page that asked for its live ticket just before the signing key was rotated
    # (and a second page, whose ticket is used later: each ticket opens one connection)
    with environment(PARLEY_SIGNING_KEY="the-old-signing-key"):
        status, access, _ = api.call("GET", "/api/notifications/live",
                                     token=desk.tokens["customer"])
        _, later, _ = api.call("GET", "/api/notifications/live", token=desk.tokens["customer"])
    assert status == 200

    # When the connection opens under the new key, the old one kept as the previous key
    # Then it is accepted
    with environment(PARLEY_SIGNING_KEY="the-new-signing-key",
                     PARLEY_SIGNING_KEY_PREVIOUS="the-old-signing-key"):
        assert _connect("during", ticket=access["ticket"]) == 200

    # And once the previous key is cleared, the same ticket opens nothing
    with environment(PARLEY_SIGNING_KEY="the-new-signing-key"):
        assert _connect("after", ticket=later["ticket"]) == 401


def test_without_an_endpoint_there_is_nothing_to_push(desk, api, aws):
    from chalicelib.data.live import ConnectionModel

    status, access, _ = api.call("GET", "/api/notifications/live", token=desk.tokens["customer"])
    assert status == 200 and access == {"enabled": False, "url": None, "ticket": None,
                                        "expires_in": 0}
    stream = Stream()
    ticket_id = desk.open_ticket()
    assert _connect("quiet", token=desk.tokens["customer"]) == 200
    ConnectionModel("quiet").update(actions=[ConnectionModel.ticket_id.set(ticket_id)])
    desk.answer(ticket_id)
    assert stream.pump() == {"batchItemFailures": []}
    assert pushes("quiet") == []


def test_disconnect_forgets_the_connection(desk, live_endpoint):
    from chalicelib.data.live import get_connection

    stream = Stream()
    ticket_id = desk.open_ticket()
    assert _connect("gone", token=desk.tokens["customer"]) == 200
    _send("gone", {"action": "subscribe", "ticket_id": ticket_id})
    assert ws_call("$disconnect", "gone") == {"statusCode": 200}
    assert get_connection("gone") is None
    desk.answer(ticket_id)
    stream.pump()
    assert [f["type"] for f in pushes("gone")] == ["subscribed"]


def test_a_ticket_hidden_later_is_no_longer_pushed(api, desk, make_user, live_endpoint):
    stream = Stream()
    ticket_id = desk.open_ticket()
    assert _connect("c2", token=desk.tokens["customer"]) == 200
    _send("c2", {"action": "subscribe", "ticket_id": ticket_id})
    admin = make_user("admin")
    status, _, _ = api.call("PATCH", "/api/admin/settings", {"hidden_topics": ["technical"]},
                            token=session_token(admin))
    assert status == 200
    desk.answer(ticket_id)
    stream.pump()
    assert [f["type"] for f in pushes("c2")] == ["subscribed"]


def test_unknown_frames_get_an_error(desk, live_endpoint):
    assert _connect("c3", token=desk.tokens["agent"]) == 200
    assert _send("c3", "not json")["error"]["code"] == "invalid_json"
    assert _send("c3", {"action": "dance"})["error"]["code"] == "unknown_action"
    assert _send("c3", {"action": "ping"}) == {"type": "pong"}
    assert _send("c3", {"action": "unsubscribe"}) == {"type": "unsubscribed"}


def test_a_customer_hears_the_team_block_her_ticket_but_nothing_of_its_notes(
    api, desk, live_endpoint
):
    stream = Stream()
    ticket_id = desk.open_ticket()
    stream.pump()
    assert _connect("c4", token=desk.tokens["customer"]) == 200
    _send("c4", {"action": "subscribe", "ticket_id": ticket_id})
    # When the team writes an internal note, then blocks her messaging
    desk.answer(ticket_id, "She has written to us from three addresses", action="note")
    status, _, _ = api.call("POST", f"/api/console/tickets/{ticket_id}/block",
                            {"reason": "Please call the hotline."}, token=desk.tokens["agent"])
    assert status == 200
    stream.pump()
    # Then the note brought her nothing, and the block her ticket as she now sees it, alone
    frames = [f for f in pushes("c4") if f["type"] == "messages"]
    assert len(frames) == 1
    assert frames[0]["messages"] == [] and frames[0]["last_seq"] == 1
    ticket = frames[0]["ticket"]
    assert (ticket["messaging_blocked"], ticket["blocked_reason"]) == (
        True, "Please call the hotline.")
    assert "three addresses" not in repr(pushes("c4"))


# ---------------------------------------------------------------------------------------------
# The console's queue: staff pages hear that a ticket changed, never what was written


def _queue_frames(connection_id: str) -> list[dict]:
    return [f for f in pushes(connection_id) if f["type"] == "queue"]


def test_the_team_follows_the_queue_and_hears_each_change_but_never_its_words(
    api, desk, make_user, live_endpoint
):
    stream = Stream()
    kim = make_user("agent", name="Kim Agent", email="kim@parley.test", team_ids=["support"])
    kim_token = session_token(kim)
    # Given Sam's console page following the queue, and Alice's portal page asking to
    assert _connect("sam", token=desk.tokens["agent"]) == 200
    assert _send("sam", {"action": "subscribe_queue"}) == {"type": "queue_subscribed"}
    assert _connect("alice", token=desk.tokens["customer"]) == 200
    refused = _send("alice", {"action": "subscribe_queue"})
    assert refused["type"] == "error" and refused["error"]["code"] == "forbidden"

    # When Alice opens a ticket
    ticket_id = desk.open_ticket(body="My printer is on fire")
    stream.pump()
    # Then Sam hears of a new ticket, and Alice of nothing
    assert _queue_frames("sam") == [
        {"type": "queue", "ticket_id": ticket_id, "changes": ["created"]}]
    assert _queue_frames("alice") == []

    # When Kim assigns it to herself, then marks it waiting on the customer
    status, _, _ = api.call("POST", f"/api/console/tickets/{ticket_id}/assign",
                            {"assignee_id": kim["id"]}, token=kim_token)
    assert status == 200
    stream.pump()
    status, _, _ = api.call("PATCH", f"/api/console/tickets/{ticket_id}", {"status": "pending"},
                            token=kim_token)
    assert status == 200
    stream.pump()
    # And writes an internal note, and Alice writes again
    secret = "The VPN password is hunter2"
    desk.answer(ticket_id, secret, action="note", token=kim_token)
    desk.reply(ticket_id, "Still smoking, and the smell is awful.")
    stream.pump()

    # Then Sam heard each change of the ticket as it happened: which ticket and what changed
    assert [f["changes"] for f in _queue_frames("sam")] == [
        ["created"], ["assignee"], ["status"], ["activity"], ["status"]]
    assert {f["ticket_id"] for f in _queue_frames("sam")} == {ticket_id}
    # And never a word of any message, internal or not
    for frame in _queue_frames("sam"):
        assert sorted(frame) == ["changes", "ticket_id", "type"]
    pushed = repr(pushes("sam"))
    for words in (secret, "hunter2", "Still smoking", "My printer is on fire"):
        assert words not in pushed
    assert _queue_frames("alice") == []


def test_the_queue_is_read_by_key_and_left_by_those_who_go(desk, api, live_endpoint):
    from tests.functional.dynamodb_support import _watching

    stream = Stream()
    assert _connect("tab1", token=desk.tokens["agent"]) == 200
    assert _connect("tab2", token=desk.tokens["agent"]) == 200
    for tab in ("tab1", "tab2"):
        assert _send(tab, {"action": "subscribe_queue"}) == {"type": "queue_subscribed"}
    # When one tab stops following the queue
    assert _send("tab2", {"action": "unsubscribe_queue"}) == {"type": "queue_unsubscribed"}
    # And a ticket is opened
    calls: list[tuple[str, str]] = []

    def see(service: str, operation: str, params: dict) -> None:
        if service == "dynamodb":
            calls.append((operation, params.get("IndexName", "")))

    ticket_id = desk.open_ticket()
    with _watching(see):
        stream.pump()
    # Then only the tab still following hears of it, found by a key-condition Query
    assert [f["ticket_id"] for f in _queue_frames("tab1")] == [ticket_id]
    assert _queue_frames("tab2") == []
    assert ("Query", "queue-index") in calls
    assert not any(operation == "Scan" for operation, _ in calls)

    # When the agent signs out, the next change pushes nothing and forgets the connection
    status, _, _ = api.call("POST", "/api/auth/logout", token=desk.tokens["agent"])
    assert status == 200
    desk.reply(ticket_id)
    stream.pump()
    assert len(_queue_frames("tab1")) == 1
    from chalicelib.data.live import get_connection

    assert get_connection("tab1") is None


def test_what_the_live_list_reads_again_does_not_keep_an_agent_signed_in(
    api, fake_clock, desk, make_user
):
    # Given sessions that end after five idle minutes, and Sam's console open
    admin = session_token(make_user("admin"))
    status, _, _ = api.call("PATCH", "/api/admin/settings", {"idle_timeout_minutes": 5},
                            token=admin)
    assert status == 200
    token = desk.tokens["agent"]
    # A read of the list he asks for is his activity: four minutes on, his session goes on
    fake_clock.advance(4 * 60)
    assert api.call("GET", "/api/console/tickets", token=token)[0] == 200
    fake_clock.advance(4 * 60)
    assert api.call("GET", "/api/auth/session", token=token)[0] == 200

    # When, four minutes after his read, only the live list reads itself (a frame, its poll)
    assert api.call("GET", "/api/console/tickets?refresh=1", token=token)[0] == 200
    fake_clock.advance(2 * 60)

    # Then his session ended five minutes after his own last request, not after the list's
    status, body, _ = api.call("GET", "/api/auth/session", token=token)
    assert (status, body["error"]["details"]["reason"]) == (401, "idle")
