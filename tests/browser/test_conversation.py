"""A whole conversation in two browsers: the customer opens a ticket with a document, the agent
answers from the console, and the customer sees the answer arrive without reloading."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.support import screenshot, sign_in

pytestmark = pytest.mark.browser

DOCUMENT = b"Printer log\nE-42 fuser overheating at page 11\n"


def test_customer_asks_agent_answers_live_and_customer_rates(stack, open_page):
    subject = f"Printer smokes after ten pages {uuid.uuid4().hex[:6]}"
    answer = "Please unplug it and let it cool for an hour; a technician comes tomorrow."

    # Given a customer signed in to the portal
    customer = open_page()
    page = customer.page
    sign_in(page, "alice@acme.test")
    expect(page.get_by_role("heading", name="My tickets")).to_be_visible()

    # When she opens a ticket with a document
    page.get_by_role("link", name="New ticket").first.click()
    page.get_by_label("Topic").select_option("technical")
    page.get_by_label("Subject").fill(subject)
    page.get_by_role("textbox", name="Message").fill(
        "Hello,\nthe printer on floor 2 smokes when it prints more than ten pages.\nLog attached.")
    page.locator("input[type=file]").set_input_files(
        files=[{"name": "printer-log.txt", "mimeType": "text/plain", "buffer": DOCUMENT}])
    expect(page.locator(".pending-files")).to_contain_text("printer-log.txt")
    page.get_by_role("button", name="Send", exact=True).click()

    # Then the ticket shows her message and the document
    page.wait_for_url(re.compile(r"/tickets/[0-9a-f]{32}$"))
    ticket_url = page.url
    expect(page.get_by_role("heading", name=subject)).to_be_visible()
    expect(page.locator(".documents__list")).to_contain_text("printer-log.txt")

    # And her message is in Sent
    page.get_by_role("link", name="Sent").click()
    expect(page.locator(".folder-entry", has_text=subject)).to_be_visible()

    # And the list shows the ticket
    page.get_by_role("link", name="Tickets", exact=True).click()
    expect(page.locator(".ticket-row", has_text=subject)).to_be_visible()
    screenshot(page, "portal-tickets")

    # Given she keeps the ticket open
    page.goto(ticket_url)
    expect(page.get_by_role("heading", name=subject)).to_be_visible()

    # When an agent, in another browser, finds it among the unassigned and answers with Send
    agent = open_page()
    console = agent.page
    sign_in(console, "agent@parley.test")
    console.get_by_label("Assignee").select_option("none")
    conversation = console.locator(".convo", has_text=subject)
    expect(conversation).to_be_visible()
    expect(conversation).to_contain_text("Unassigned")
    conversation.get_by_role("link").click()
    expect(console.locator(".message--customer")).to_contain_text("smokes")
    expect(console.locator(".documents__list")).to_contain_text("printer-log.txt")
    console.get_by_label("Your answer or note").fill(answer)
    console.get_by_role("button", name="Send", exact=True).click()
    expect(console.get_by_text("Sent. The ticket is resolved.")).to_be_visible()
    expect(console.locator(".picker__value")).to_have_text("Sam Agent")
    # and the Details panel names the ticket's team as the admin named it, not by its id
    expect(console.locator(".convo-side .details dt:text-is('Team') + dd")).to_have_text("Support")
    screenshot(console, "console-conversation")

    # Then the customer's open page shows the answer without a reload, and says so politely
    expect(page.locator(".thread .message--team")).to_contain_text(answer, timeout=20_000)
    expect(page.locator(".thread__announcer")).to_contain_text("New message from Sam Agent")
    expect(page.get_by_text("How satisfied are you with the answer?")).to_be_visible()
    assert page.url == ticket_url
    screenshot(page, "portal-ticket")

    # And the answer is in her Inbox
    page.get_by_role("link", name="Inbox").click()
    entry = page.locator(".folder-entry", has_text=subject)
    expect(entry).to_contain_text("Sam Agent")
    entry.get_by_role("link").click()

    # When she downloads her document
    with page.expect_download() as download:
        page.get_by_role("button", name="Download printer-log.txt").click()
    saved = download.value
    assert saved.suggested_filename == "printer-log.txt"
    with open(saved.path(), "rb") as handle:
        assert handle.read() == DOCUMENT

    # And rates the ticket
    page.get_by_role("radio", name="5 stars — very satisfied").check()
    page.get_by_label("Comment").fill("Quick and clear.")
    page.get_by_role("button", name="Send my rating").click()
    expect(page.get_by_text("Thank you for your feedback.")).to_be_visible()
    expect(page.get_by_text("You rated this ticket 5/5.")).to_be_visible()

    # And the answered ticket, resolved by the agent's Send, is still on her home list, as Closed
    page.get_by_role("link", name="Tickets", exact=True).click()
    expect(page.locator(".ticket-row", has_text=subject)).to_contain_text("Closed")

    # And nothing was refused by the Content-Security-Policy or thrown along the way
    assert customer.csp_violations() == [] and agent.csp_violations() == []
    assert not [e for e in customer.errors + agent.errors if e.startswith("uncaught")]
    assert customer.dialogs == [] and agent.dialogs == []
