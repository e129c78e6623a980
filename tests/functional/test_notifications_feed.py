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


def _feed(desk: Desk, who: str, **query) -> dict:
    search = "&".join(f"{k}={v}" for k, v in query.items())
    path = "/api/notifications" + (f"?{search}" if search else "")
    status, body, _ = desk.api.call("GET", path, token=desk.tokens[who])
    assert status == 200, body
    return body


def _unread(desk: Desk, who: str) -> int:
    status, body, _ = desk.api.call("GET", "/api/notifications/unread-count",
                                    token=desk.tokens[who])
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


@pytest.mark.usefixtures("live_endpoint")
def test_internal_notes_reach_no_customer_by_mail_feed_or_push(api, desk):
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
    # Then no mail, no feed item reached Alice; live, only what her page shows of the ticket
    # changed (resolved: the note is not pushed, the silent resolve only as the ticket's state)
    assert len(mails_to("alice@acme.test")) == mails_before
    assert _feed(desk, "customer")["items"] == feed_before
    alice = pushes("alice-conn")
    assert [f["type"] for f in alice] == ["subscribed", "messages"]
    # (a resolved ticket reads "closed" to customers unless the admin shows every status)
    assert alice[1]["messages"] == [] and alice[1]["ticket"]["status"] == "closed"
    assert "INTERNAL" not in str(alice)
    # While the agent's console got both live
    bodies = [m["body"] for f in pushes("sam-conn") if f["type"] == "messages"
              for m in f["messages"]]
    assert bodies == ["INTERNAL: customer is difficult", "INTERNAL: resolved quietly"]


def _admin_settings(desk: Desk, **changes) -> None:
    if "admin" not in desk.tokens:
        desk.tokens["admin"] = session_token(desk.make_user("admin", name="Ada Admin"))
    status, body, _ = desk.api.call("PATCH", "/api/admin/settings", changes,
                                    token=desk.tokens["admin"])
    assert status == 200, body


def _statuses(desk: Desk) -> list[str]:
    """The status changes Alice was told of, oldest first: on a `status` item, or on the
    `reply` item of the answer that made the change."""
    return [i["status"] for i in reversed(_feed(desk, "customer")["items"]) if i["status"]]


def test_status_items_for_a_resolving_send_a_reopen_and_a_close_once_each(api, desk, aws):
    stream = Stream()
    delivered: list[dict] = []

    def pump() -> None:
        records = stream.read()
        delivered.extend(records)
        assert stream.deliver(records) == {"batchItemFailures": []}

    boss = desk.make_user("customer", org_id=desk.org["id"], name="Boss", org_view=True)
    desk.tokens["boss"] = session_token(boss)
    ticket_id = desk.open_ticket()
    # When the agent sends (the ticket is resolved): one item, the reply, which says the status
    # changed, Closed as customers see statuses by default (one item per answer, as the Inbox
    # has one entry: the bell counts what the Inbox counts)
    desk.answer(ticket_id, "Refund SECRET-1", action="send")
    pump()
    assert [(i["kind"], i["status"]) for i in _feed(desk, "customer")["items"]] == [
        ("reply", "closed")]
    assert _unread(desk, "customer") == 1
    assert _statuses(desk) == ["closed"]
    # A colleague's reply reopens it: Alice hears that it is open again
    desk.reply(ticket_id, "Not fixed SECRET-2", token=desk.tokens["boss"])
    pump()
    assert _statuses(desk) == ["closed", "open"]
    # A silent resolution tells her nothing, nor does her own reply reopening it
    desk.answer(ticket_id, "SECRET-3", action="resolve_silently")
    desk.reply(ticket_id, "Still broken SECRET-4")
    pump()
    assert _statuses(desk) == ["closed", "open"]
    # An answer that leaves it open changes no status; one on a resolved ticket reopens it
    desk.answer(ticket_id, "Looking SECRET-5", action="send_leave_open")
    pump()
    assert _statuses(desk) == ["closed", "open"]
    # With every status shown, a send says resolved and closing says closed
    _admin_settings(desk, status_display="full")
    desk.answer(ticket_id, "Done SECRET-6", action="send")
    status, _, _ = api.call("POST", f"/api/console/tickets/{ticket_id}/close",
                            token=desk.tokens["agent"])
    assert status == 200
    pump()
    assert _statuses(desk) == ["closed", "open", "resolved", "closed"]
    # Delivered again, nothing doubles; and no item carries a word anyone wrote
    assert stream.deliver(delivered) == {"batchItemFailures": []}
    assert _statuses(desk) == ["closed", "open", "resolved", "closed"]
    assert "SECRET" not in str(_feed(desk, "customer"))


@pytest.mark.usefixtures("live_endpoint")
def test_a_hidden_ticket_gives_the_customer_no_feed_item_mail_or_push(api, desk):
    # Given Alice was told of an answer on her ticket, and follows it live
    stream = Stream()
    ticket_id = desk.open_ticket()
    desk.answer(ticket_id, "Unplug it.")
    stream.pump()
    mails_before = len(mails_to("alice@acme.test"))
    assert _unread(desk, "customer") == 1
    assert ws_call("$connect", "alice-conn", query={"token": desk.tokens["customer"]}) == {
        "statusCode": 200}
    ws_call("$default", "alice-conn", body={"action": "subscribe", "ticket_id": ticket_id})
    # When the admin hides the ticket's topic, and the agent answers and resolves it
    _admin_settings(desk, hidden_topics=["technical"])
    desk.answer(ticket_id, "Resolved now.", action="send")
    assert stream.pump() == {"batchItemFailures": []}
    # Then her feed and its count leave the ticket out, and nothing new reached her
    feed = _feed(desk, "customer")
    assert feed["items"] == [] and feed["unread"] == 0 and _unread(desk, "customer") == 0
    assert len(mails_to("alice@acme.test")) == mails_before
    assert [f["type"] for f in pushes("alice-conn")] == ["subscribed"]
    # And when the topic is shown again, only what she had before comes back
    _admin_settings(desk, hidden_topics=[])
    assert [i["kind"] for i in _feed(desk, "customer")["items"]] == ["reply"]
