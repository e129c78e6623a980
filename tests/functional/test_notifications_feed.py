"""The in-portal notification feed: what customers and agents see, unread counts, mark-read,
and internal notes that reach no customer by any way at all."""

from __future__ import annotations

import pytest

from tests.functional.notification_support import (
    Desk,
    Stream,
    live_endpoint,  # noqa: F401 - fixture
    mails_to,
    pushes,
    session_token,
    ws_call,
)

pytestmark = pytest.mark.functional


@pytest.fixture
def desk(api, make_org, make_user) -> Desk:
    return Desk(api, make_org, make_user)


def _feed(desk: Desk, who: str, **query) -> dict:
    path = "/api/notifications" + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")
    status, body, _ = desk.api.call("GET", path, token=desk.tokens[who])
    assert status == 200, body
    return body


def _unread(desk: Desk, who: str) -> int:
    status, body, _ = desk.api.call("GET", "/api/notifications/unread-count", token=desk.tokens[who])
    assert status == 200, body
    return int(body["unread"])


def test_customer_sees_replies_and_closing_agent_sees_her_messages(api, desk, aws):
    stream = Stream()
    ticket_id = desk.open_ticket()
    stream.pump()
    # Nobody is assigned yet: the customer's question gives no agent a feed item
    assert _feed(desk, "agent")["items"] == []
    # When the agent answers (and so takes the ticket), Alice writes back, the agent closes
    desk.answer(ticket_id, "Unplug it.")
    desk.reply(ticket_id, "Done, thanks.")
    status, _, _ = api.call("POST", f"/api/console/tickets/{ticket_id}/close",
                            token=desk.tokens["agent"])
    assert status == 200
    stream.pump()
    # Then Alice's feed has the reply and the closing, newest first, both unread
    feed = _feed(desk, "customer")
    assert [(i["kind"], i["status"]) for i in feed["items"]] == [("status", "closed"),
                                                                ("reply", None)]
    assert all(i["ticket_number"] == 1001 and i["title"] == "Printer on fire"
               and i["link"] == f"/tickets/{ticket_id}" and i["read"] is False
               for i in feed["items"])
    assert feed["unread"] == 2 and _unread(desk, "customer") == 2
    # And the agent's has Alice's message on the ticket now assigned to him
    [item] = _feed(desk, "agent")["items"]
    assert item["kind"] == "customer_message" and item["actor"] == "Alice Martin"
    assert item["link"] == f"/console/tickets/{ticket_id}"
    # No item says what anyone wrote
    for item in feed["items"]:
        assert "Unplug" not in str(item) and "Done" not in str(item)


def test_assignment_to_me_is_in_my_feed(api, desk, make_user, aws):
    stream = Stream()
    kim = make_user("agent", name="Kim Agent")
    desk.tokens["kim"] = session_token(kim)
    ticket_id = desk.open_ticket()
    stream.pump()
    status, _, _ = api.call("POST", f"/api/console/tickets/{ticket_id}/assign",
                            {"assignee_id": kim["id"]}, token=desk.tokens["agent"])
    assert status == 200
    # Assigning myself is no news to me
    status, _, _ = api.call("POST", f"/api/console/tickets/{ticket_id}/assign",
                            {"assignee_id": desk.agent["id"]}, token=desk.tokens["agent"])
    assert status == 200
    stream.pump()
    [item] = _feed(desk, "kim")["items"]
    assert item["kind"] == "assigned" and item["actor"] == "Sam Agent"
    assert _feed(desk, "agent")["items"] == []


def test_mark_read_by_id_and_all(api, desk, aws):
    stream = Stream()
    tickets = [desk.open_ticket(subject=f"T{n}") for n in range(3)]
    for ticket_id in tickets:
        desk.answer(ticket_id)
    stream.pump()
    items = _feed(desk, "customer")["items"]
    assert len(items) == 3 and _unread(desk, "customer") == 3
    # One by id
    status, body, _ = api.call("POST", "/api/notifications/read", {"ids": [items[0]["id"]]},
                               token=desk.tokens["customer"])
    assert status == 200 and body["marked"] == 1 and body["unread"] == 2
    assert [i["read"] for i in _feed(desk, "customer")["items"]] == [True, False, False]
    # Someone else's ids mark nothing of hers
    status, body, _ = api.call("POST", "/api/notifications/read", {"ids": [items[1]["id"]]},
                               token=desk.tokens["agent"])
    assert status == 200 and body["marked"] == 0
    assert _unread(desk, "customer") == 2
    # The rest at once; again is harmless
    for expected in (2, 0):
        status, body, _ = api.call("POST", "/api/notifications/read", {"ids": "all"},
                                   token=desk.tokens["customer"])
        assert status == 200 and body == {"marked": expected, "unread": 0,
                                          "unread_capped": False}
    # Nonsense is refused
    for bad in ({"ids": "some"}, {"ids": []}, {}):
        status, _, _ = api.call("POST", "/api/notifications/read", bad,
                                token=desk.tokens["customer"])
        assert status == 400


def test_feed_pages_with_a_cursor_that_belongs_to_its_owner(api, desk, aws):
    stream = Stream()
    for n in range(5):
        desk.answer(desk.open_ticket(subject=f"T{n}"))
    stream.pump()
    first = _feed(desk, "customer", limit=2)
    second = _feed(desk, "customer", limit=2, cursor=first["next_cursor"])
    third = _feed(desk, "customer", limit=2, cursor=second["next_cursor"])
    titles = [i["title"] for page in (first, second, third) for i in page["items"]]
    assert titles == ["T4", "T3", "T2", "T1", "T0"] and third["next_cursor"] is None
    status, _, _ = api.call("GET", f"/api/notifications?cursor={first['next_cursor']}",
                            token=desk.tokens["agent"])
    assert status == 400


def test_redelivered_events_add_no_second_feed_item(desk, aws):
    stream = Stream()
    desk.answer(desk.open_ticket())
    records = stream.read()
    for _ in range(3):
        stream.deliver(records)
    assert len(_feed(desk, "customer")["items"]) == 1


def test_internal_notes_reach_no_customer_by_mail_feed_or_push(api, desk, live_endpoint):
    stream = Stream()
    ticket_id = desk.open_ticket()
    desk.answer(ticket_id, "Public answer")
    stream.pump()
    mails_before = len(mails_to("alice@acme.test"))
    feed_before = _feed(desk, "customer")["items"]
    # Given Alice and the agent both follow the ticket live
    assert ws_call("$connect", "alice-conn", query={"token": desk.tokens["customer"]}) == {
        "statusCode": 200}
    assert ws_call("$connect", "sam-conn", query={"token": desk.tokens["agent"]}) == {
        "statusCode": 200}
    for connection in ("alice-conn", "sam-conn"):
        ws_call("$default", connection, body={"action": "subscribe", "ticket_id": ticket_id})
    # When the agent writes an internal note, and resolves silently
    desk.answer(ticket_id, "INTERNAL: customer is difficult", action="note")
    desk.answer(ticket_id, "INTERNAL: resolved quietly", action="resolve_silently")
    assert stream.pump() == {"batchItemFailures": []}
    # Then no mail, no feed item, no push reached Alice
    assert len(mails_to("alice@acme.test")) == mails_before
    assert _feed(desk, "customer")["items"] == feed_before
    assert [f["type"] for f in pushes("alice-conn")] == ["subscribed"]
    assert "INTERNAL" not in str(pushes("alice-conn"))
    # While the agent's console got both live
    bodies = [m["body"] for f in pushes("sam-conn") if f["type"] == "messages"
              for m in f["messages"]]
    assert bodies == ["INTERNAL: customer is difficult", "INTERNAL: resolved quietly"]
