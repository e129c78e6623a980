"""The author display as a customer meets it: the Inbox and the thread name the team's answer the
same way, as the admin's setting says now, even for an answer given before it changed."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.support import sign_in

pytestmark = pytest.mark.browser

AGENT = "Sam Agent"  # agent@parley.test in the demo data


def test_the_inbox_and_the_thread_both_show_the_team_name(stack, open_page):
    admin = stack.token("admin@parley.test")
    before = stack.call("GET", "/api/admin/settings", token=admin)["settings"]
    team_name = f"Acme Care {uuid.uuid4().hex[:4]}"
    # Given a customer's ticket Sam answered while customers saw agents' names
    stack.call("PATCH", "/api/admin/settings", {"author_display": "agent_name"}, token=admin)
    email, password = stack.new_customer("Zelda Okafor")
    ticket = stack.call("POST", "/api/portal/tickets", {
        "topic": "general", "subject": "Who signs the answers?", "body": "Just wondering."},
        token=stack.tokens[email])["ticket"]
    stack.call("POST", f"/api/console/tickets/{ticket['id']}/messages",
               {"action": "send_leave_open", "body": "The whole team does."},
               token=stack.token("agent@parley.test"))
    try:
        # When the admin signs the team's answers with the team's name
        stack.call("PATCH", "/api/admin/settings",
                   {"author_display": "team", "team_display_name": team_name}, token=admin)

        # Then her Inbox names the team, not Sam
        page = open_page().page
        sign_in(page, email, password)
        page.goto("/folders/inbox")
        entry = page.locator(".folder-entry", has_text="Who signs the answers?")
        expect(entry.locator(".folder-entry__author")).to_have_text(team_name)
        expect(page.locator("main")).not_to_contain_text(AGENT)

        # And the thread it opens says the same
        entry.get_by_role("link").click()
        answer = page.locator(".message--team")
        expect(answer).to_contain_text("The whole team does.")
        expect(answer.locator(".message__author")).to_contain_text(team_name)
        expect(page.locator("main")).not_to_contain_text(AGENT)
    finally:
        stack.call("PATCH", "/api/admin/settings", {
            key: before[key] for key in ("author_display", "team_display_name")
        }, token=admin)
