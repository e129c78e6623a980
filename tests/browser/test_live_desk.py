"""The agent desk live, through the WebSocket API `parley dev` serves as API Gateway would: an
agent's open console list shows a ticket a customer just opened and an assignment another agent
just made, without a reload, and the open conversation's header follows the assignment. What
kept the page up to date is asserted to be the socket (its frames), not the list's polling."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.support import sign_in

pytestmark = pytest.mark.browser


def test_an_agents_open_list_follows_new_tickets_and_assignments_live(stack, open_page):
    watched = open_page()
    page = watched.page
    sockets: list[Any] = []
    frames: list[dict[str, Any]] = []

    def on_socket(socket: Any) -> None:
        sockets.append(socket)
        socket.on("framereceived", lambda payload: frames.append(json.loads(payload)))

    page.on("websocket", on_socket)

    # Given Sam's console list, following the queue over the page's socket
    sign_in(page, "agent@parley.test")
    page.wait_for_url(re.compile(r"/console$"))
    pane = page.locator(".pane--list")
    expect(pane).to_have_attribute("data-live", "socket")
    page.evaluate("window.__notReloaded = true")
    live = stack.call("GET", "/api/notifications/live", token=stack.token("agent@parley.test"))
    assert live["enabled"] is True and live["url"].startswith("ws://127.0.0.1:")
    assert [s.url.split("?")[0] for s in sockets] == [live["url"]]

    # When a customer opens a ticket through the API
    subject = f"Label printer smudges {uuid.uuid4().hex[:6]}"
    ticket_id = stack.call("POST", "/api/portal/tickets", {
        "topic": "technical", "subject": subject, "body": "Every label comes out smudged."},
        token=stack.token("alice@acme.test"))["ticket"]["id"]

    # Then it shows in Sam's list without a reload, and the list says so politely
    line = pane.locator(f'.convo[data-ticket-id="{ticket_id}"]')
    expect(line).to_contain_text(subject)
    expect(pane.locator(".queue-news[aria-live=polite]")).to_have_text(
        "1 new conversation in the list")
    assert {"type": "queue", "ticket_id": ticket_id, "changes": ["created"]} in frames

    # When Sam opens it, and Kim assigns it to herself from her own desk
    line.get_by_role("link").click()
    page.wait_for_url(f"**/console/tickets/{ticket_id}**")
    picker = page.locator(".picker__value")
    expect(picker).to_have_text("Unassigned")
    expect(page.locator(".pane--list")).to_have_attribute("data-live", "socket")
    kim = stack.token("agent2@parley.test")
    kim_id = stack.call("GET", "/api/me", token=kim)["user"]["id"]
    stack.call("POST", f"/api/console/tickets/{ticket_id}/assign",
               {"assignee_id": kim_id, "expected_assignee_id": None}, token=kim)

    # Then Sam's list line and the open conversation's header both say Kim, still unreloaded
    line = page.locator(f'.pane--list .convo[data-ticket-id="{ticket_id}"]')
    expect(line.locator(".convo__assignee")).to_have_text("Kim Agent")
    expect(line).to_have_class(re.compile(r"\bis-current\b"))
    expect(picker).to_have_text("Kim Agent")
    assert page.evaluate("window.__notReloaded") is True
    # And the socket carried it: the queue's news of the assignment, the thread's system event
    assert {"type": "queue", "ticket_id": ticket_id, "changes": ["assignee"]} in frames
    pushed = [f for f in frames if f.get("type") == "messages" and f["ticket_id"] == ticket_id]
    assert any(m["body"] == "Assigned to Kim Agent." for f in pushed for m in f["messages"])
    assert watched.errors == []
