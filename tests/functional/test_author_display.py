"""The admin's author display, everywhere a customer sees who answered: the thread, the Inbox,
the notification feed, the secure notification mail and the live push all name the agent as
the setting says now, and none of them carries the agent's name when the setting hides it (the
whole answer, mail or frame is searched, not only the author field). The console keeps the
agent's own name."""

from __future__ import annotations

import json
from typing import Any

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

AGENT = "Sam Agent"  # the Desk's agent
AGENT_MAIL = "sam@parley.test"
# What customers are shown under each setting (team name and custom text set by `display`).
SHOWN = {"none": "", "team": "Acme Helpdesk", "agent_name": AGENT, "custom": "Your advisor"}
MODES = list(SHOWN)


@pytest.fixture
def display(api, make_user):
    """Sets the author display as the admin does, through the settings route."""
    token = session_token(make_user("admin", name="Ada Admin"))

    def set_mode(mode: str) -> None:
        status, body, _ = api.call("PATCH", "/api/admin/settings", {
            "author_display": mode, "team_display_name": SHOWN["team"],
            "author_custom_text": SHOWN["custom"],
        }, token=token)
        assert status == 200, body

    return set_mode


def _get(desk: Desk, who: str, path: str) -> Any:
    status, body, _ = desk.api.call("GET", path, token=desk.tokens[who])
    assert status == 200, (path, body)
    return body


def _hides_the_agent(mode: str, *received: Any) -> None:
    """Nothing the customer received names the agent, unless the setting shows names."""
    text = "\n".join(r if isinstance(r, str) else json.dumps(r) for r in received)
    if mode == "agent_name":
        return
    assert AGENT not in text and AGENT_MAIL not in text, mode


def _answered(desk: Desk, display, stream: Stream | None = None) -> str:
    """Alice's ticket, answered by Sam while the portal showed agents' names: what was written
    then must not decide what customers see now."""
    display("agent_name")
    ticket_id = desk.open_ticket()
    desk.answer(ticket_id, "Unplug it.")
    if stream is not None:
        stream.pump()
    return ticket_id


@pytest.mark.parametrize("mode", MODES)
def test_the_thread_names_the_agent_as_the_setting_says_now(desk, display, mode):
    # Given Sam's answer on Alice's ticket
    ticket_id = _answered(desk, display)
    # When the admin picks a display
    display(mode)
    # Then the thread, its pages and its polling all sign the answer that way
    detail = _get(desk, "customer", f"/api/portal/tickets/{ticket_id}")
    page = _get(desk, "customer", f"/api/portal/tickets/{ticket_id}/messages")
    polled = _get(desk, "customer", f"/api/portal/tickets/{ticket_id}/messages?after=1")
    for messages in (detail["messages"], page["messages"], polled["messages"]):
        assert [m["author"] for m in messages if m["kind"] == "team"] == [SHOWN[mode]]
    _hides_the_agent(mode, detail, page, polled)
    # And Alice's own message keeps her name; the console shows Sam's
    assert [m["author"] for m in detail["messages"] if m["kind"] == "mine"] == ["Alice Martin"]
    console = _get(desk, "agent", f"/api/console/tickets/{ticket_id}")
    assert AGENT in {m["author"]["name"] for m in console["messages"]}


@pytest.mark.parametrize("mode", MODES)
def test_the_inbox_agrees_with_the_thread(desk, display, mode):
    # Given Sam's answer in Alice's Inbox
    ticket_id = _answered(desk, display)
    # When the admin picks a display
    display(mode)
    # Then the Inbox entry is signed as the thread signs the answer
    inbox = _get(desk, "customer", "/api/portal/folders/inbox")
    [entry] = inbox["items"]
    thread = _get(desk, "customer", f"/api/portal/tickets/{ticket_id}")["messages"]
    assert entry["author"] == SHOWN[mode] == thread[-1]["author"]
    # And so is the entry a folder action answers with, and the one in the Trash
    status, trashed, _ = desk.api.call(
        "POST", f"/api/portal/folders/entries/{entry['id']}/trash", {},
        token=desk.tokens["customer"])
    assert status == 200 and trashed["entry"]["author"] == SHOWN[mode]
    trash = _get(desk, "customer", "/api/portal/folders/trash")
    assert [e["author"] for e in trash["items"]] == [SHOWN[mode]]
    # While her own message in Sent keeps her name
    sent = _get(desk, "customer", "/api/portal/folders/sent")
    assert [e["author"] for e in sent["items"]] == ["Alice Martin"]
    _hides_the_agent(mode, inbox, trashed, trash, sent)


@pytest.mark.parametrize("mode", MODES)
def test_the_feed_names_the_agent_as_the_thread_does(desk, display, stream, mode):
    # Given Sam's answer, told in Alice's feed, and Alice's reply, told in Sam's
    ticket_id = _answered(desk, display)
    desk.reply(ticket_id, "Done, thanks.")
    stream.pump()
    # When the admin picks a display
    display(mode)
    # Then her feed's reply item names the agent as the thread does (nothing: the page says
    # "Support")
    feed = _get(desk, "customer", "/api/notifications")
    [reply] = [i for i in feed["items"] if i["kind"] == "reply"]
    assert reply["actor"] == (SHOWN[mode] or None)
    _hides_the_agent(mode, feed)
    # And Sam's feed names Alice, as staff see names
    # (her question too: the stream handles it once Sam holds the ticket)
    staff = _get(desk, "agent", "/api/notifications")["items"]
    assert {(i["kind"], i["actor"]) for i in staff} == {("customer_message", "Alice Martin")}


@pytest.mark.parametrize("mode", MODES)
def test_the_secure_notification_names_no_agent(desk, display, stream, mode):
    # Given the admin's display, and Sam's answer to Alice
    display(mode)
    ticket_id = desk.open_ticket()
    desk.answer(ticket_id, "Unplug it.")
    # When the stream sends the mail
    assert stream.pump() == {"batchItemFailures": []}
    # Then the notification speaks for the portal and names no agent, whatever the display
    [mail] = [m for m in mails_to("alice@acme.test") if "You have a new message" in m["text"]]
    assert "from Parley" in mail["text"]
    for part in (mail["subject"], mail["text"], mail["html"], mail["raw"]):
        assert AGENT not in part and AGENT_MAIL not in part, mode


@pytest.mark.parametrize("mode", MODES)
def test_the_live_push_names_the_agent_as_the_thread_does(desk, display, live_endpoint, mode):
    # Given Alice and Sam following her ticket, and the admin's display
    stream = Stream()
    display(mode)
    ticket_id = desk.open_ticket()
    stream.pump()
    for connection, who in (("alice", "customer"), ("sam", "agent")):
        assert ws_call("$connect", connection, query={"token": desk.tokens[who]})[
            "statusCode"] == 200
        ws_call("$default", connection, body={"action": "subscribe", "ticket_id": ticket_id})
    # When Sam answers
    desk.answer(ticket_id, "Unplug it.")
    stream.pump()
    # Then Alice is pushed the answer signed as her thread signs it, and nothing names Sam
    frames = [f for f in pushes("alice") if f["type"] == "messages"]
    assert [m["author"] for f in frames for m in f["messages"]] == [SHOWN[mode]]
    thread = _get(desk, "customer", f"/api/portal/tickets/{ticket_id}")["messages"]
    assert thread[-1]["author"] == SHOWN[mode]
    _hides_the_agent(mode, frames)
    # And Sam's console is pushed his own name
    [staff] = [f for f in pushes("sam") if f["type"] == "messages"]
    assert [m["author"]["name"] for m in staff["messages"]] == [AGENT]
