"""A long conversation opens on its newest messages and reads back to its first on demand."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.support import sign_in

pytestmark = pytest.mark.browser

PAGE = 100  # what the detail answers at once (chalicelib/services/tickets/threads.py THREAD_PAGE)


def _long_thread(stack, customer: str, subject: str, first: str, later: str,
                 count: int) -> str:
    """A ticket of `customer` with `count` messages: `first`, then `later` numbered from 2."""
    token = stack.token(customer)
    ticket_id = stack.call("POST", "/api/portal/tickets", {
        "topic": "technical", "subject": subject, "body": first},
        token=token)["ticket"]["id"]
    stack.seed_thread(ticket_id, [later.format(n=n) for n in range(2, count + 1)])
    return ticket_id


def test_both_sides_read_a_long_thread_back_and_the_console_marks_it_waiting(stack, open_page):
    # One long thread for both sides, one message longer than a page: seeding it, and the event
    # pump working through its messages as it would through any burst, is most of this test's
    # time.
    first = f"First report {uuid.uuid4().hex[:6]}: the plotter smudges every print."
    ticket_id = _long_thread(stack, "bob@acme.test", "Plotter smudges", first,
                             "Print test {n}: still smudged.", PAGE + 1)

    # The customer's page opens on the newest page, and the first message is one click away
    customer = open_page().page
    sign_in(customer, "bob@acme.test")
    customer.goto(f"/tickets/{ticket_id}")
    expect(customer.locator(".message")).to_have_count(PAGE)
    expect(customer.get_by_text(f"Print test {PAGE + 1}: still smudged.")).to_be_visible()
    expect(customer.get_by_text(first)).to_have_count(0)
    expect(customer.locator(".section-title .badge")).to_have_text(str(PAGE + 1))

    customer.get_by_role("button", name="Show earlier messages").click()

    expect(customer.locator(".message")).to_have_count(PAGE + 1)
    expect(customer.get_by_text(first)).to_be_visible()
    expect(customer.get_by_role("button", name="Show earlier messages")).to_be_hidden()

    # The console reads it back the same way
    agent = open_page().page
    sign_in(agent, "agent@parley.test")
    agent.goto(f"/console/tickets/{ticket_id}")
    expect(agent.locator(".thread .message")).to_have_count(PAGE)
    expect(agent.locator(".thread").get_by_text(first)).to_have_count(0)
    agent.get_by_role("button", name="Show earlier messages").click()
    expect(agent.locator(".thread .message")).to_have_count(PAGE + 1)
    expect(agent.locator(".thread .message").first).to_contain_text(first)

    # When the agent marks it as waiting on the customer
    agent.get_by_role("button", name="Waiting on customer").click()
    expect(agent.locator(".convo-header [data-status]")).to_have_text("Pending")
    expect(agent.get_by_role("button", name="Back to open")).to_be_visible()

    # Then the customer still sees it Open, and his reply puts it back to open for the agent
    customer.reload()
    expect(customer.locator(".details [data-status]")).to_have_text("Open")
    customer.get_by_label("Your reply").fill("Synced after the update, thanks.")
    customer.get_by_role("button", name="Send").click()
    expect(customer.get_by_text("Synced after the update, thanks.")).to_be_visible()
    expect(agent.locator(".convo-header [data-status]")).to_have_text("Open", timeout=15_000)
    expect(agent.get_by_role("button", name="Waiting on customer")).to_be_visible()
