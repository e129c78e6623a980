"""Two agents on one conversation (the #1007 of issue 17): each sees the other viewing and
typing, the header follows a teammate's answer without a reload, and an answer written before
that answer is held back with what changed, its text kept, until the agent sends it anyway."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.support import sign_in

pytestmark = pytest.mark.browser
# A page learns who else is there at its heartbeat, every 5 s (services/presence.py), every 2 s
# on the tests' stack (parley_dev/cli/dev.py): a few of them at most, on a loaded machine.
HEARTBEATS = 12_000


def test_two_agents_answering_one_conversation_do_not_collide(stack, open_page):
    # Given a customer's unassigned question
    subject = f"VPN drops {uuid.uuid4().hex[:6]}"
    ticket_id = stack.call("POST", "/api/portal/tickets", {
        "topic": "technical", "subject": subject, "body": "The VPN drops every hour."},
        token=stack.token("bob@acme.test"))["ticket"]["id"]

    # When Sam and Kim both open it, each in their own browser
    sam = open_page().page
    sign_in(sam, "agent@parley.test")
    sam.goto(f"/console/tickets/{ticket_id}")
    kim = open_page().page
    sign_in(kim, "agent2@parley.test")
    kim.goto(f"/console/tickets/{ticket_id}")
    for page in (sam, kim):
        expect(page.locator(".picker__value")).to_have_text("Unassigned")

    # Then each sees the other there
    sam_sees = sam.get_by_role("status").filter(has_text="Kim Agent")
    expect(sam_sees).to_have_text("Kim Agent is viewing", timeout=HEARTBEATS)
    expect(kim.get_by_role("status").filter(has_text="Sam Agent")).to_have_text(
        "Sam Agent is viewing", timeout=HEARTBEATS)

    # When Sam writes an answer that would resolve it, and Kim starts hers
    sam_answer = "Reinstall the client, that fixes it."
    sam.get_by_label("Your answer or note").fill(sam_answer)
    kim.get_by_label("Your answer or note").press_sequentially("Which client ver")
    # Then Sam sees Kim typing
    expect(sam_sees).to_have_text("Kim Agent is typing…", timeout=HEARTBEATS)

    # When Kim sends hers first, leaving the ticket open
    kim.get_by_label("Your answer or note").press_sequentially("sion do you use?")
    kim.get_by_role("button", name="Send and leave open").click()
    expect(kim.get_by_text("Sent. The ticket stays open.")).to_be_visible()

    # Then Sam's page shows her answer, and its header that she has it now, without a reload
    expect(sam.get_by_text("Which client version do you use?")).to_be_visible()
    expect(sam.locator(".picker__value")).to_have_text("Kim Agent")
    expect(sam.locator(".convo-header .status")).to_have_text("Open")
    expect(sam_sees).to_have_text("Kim Agent is viewing", timeout=HEARTBEATS)

    # When Sam sends his, written before hers arrived
    sam.get_by_role("button", name="Send", exact=True).click()

    # Then it is held back, saying what changed, and his text is still there
    conflict = sam.get_by_role("alert").filter(has_text="This conversation changed")
    expect(conflict).to_contain_text("Kim Agent wrote a message since you started.")
    expect(conflict).to_contain_text("It is now assigned to Kim Agent.")
    expect(conflict).to_contain_text("Status now: Open.")
    expect(sam.get_by_label("Your answer or note")).to_have_value(sam_answer)
    thread = sam.get_by_role("list", name="Messages, oldest first")
    expect(thread.get_by_text(sam_answer)).to_have_count(0)
    expect(sam.locator(".convo-header .status")).to_have_text("Open")

    # When he sends it anyway
    conflict.get_by_role("button", name="Send anyway").click()

    # Then it goes out, after hers, and resolves the ticket, on both pages
    expect(sam.get_by_text("Sent. The ticket is resolved.")).to_be_visible()
    expect(sam.get_by_label("Your answer or note")).to_have_value("")
    expect(thread.locator(".message__body")).to_have_text(
        ["The VPN drops every hour.", "Which client version do you use?", sam_answer])
    expect(sam.locator(".convo-header .status")).to_have_text("Resolved")
    expect(kim.get_by_text(sam_answer)).to_be_visible()
    expect(kim.locator(".convo-header .status")).to_have_text("Resolved")

    # And when Kim's page leaves the conversation, Sam soon no longer sees her there
    kim.goto("/console")
    expect(kim.get_by_role("list", name=re.compile("Conversations"))).to_be_visible()
    expect(sam_sees).to_have_count(0, timeout=HEARTBEATS)
