"""At 390 px (a phone) nothing is wider than the screen: lists, ticket detail, folders, the
console and the admin pages all fit, long unbroken words included."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.support import (
    answer_buttons_fit,
    no_horizontal_overflow,
    screenshot,
    sign_in,
)

pytestmark = pytest.mark.browser

PHONE = 390
LONG_WORD = "Supercalifragilistic" * 6


def fits(page) -> None:
    scroll_width, client_width = no_horizontal_overflow(page)
    assert scroll_width <= client_width, f"{page.url}: {scroll_width} > {client_width}"


def test_pages_fit_a_phone_screen(stack, open_page):
    # Given a ticket with a long subject and an unbroken word, answered by the team
    token = stack.token("alice@acme.test")
    created = stack.call("POST", "/api/portal/tickets", {
        "topic": "billing", "subject": f"Invoice {LONG_WORD} does not add up",
        "body": f"Line 3 reads {LONG_WORD} and the total is wrong.\nhttps://example.test/{LONG_WORD}",
    }, token=token)
    ticket_id = created["ticket"]["id"]
    stack.call("POST", f"/api/console/tickets/{ticket_id}/messages",
               {"action": "send_leave_open", "body": f"Checking {LONG_WORD} now."},
               token=stack.token("agent@parley.test"))

    # When the customer uses the portal on a phone
    customer = open_page(width=PHONE, height=844).page
    sign_in(customer, "alice@acme.test")
    expect(customer.locator(".ticket-row").first).to_be_visible()
    fits(customer)
    screenshot(customer, "phone-tickets")
    customer.goto(f"/tickets/{ticket_id}")
    expect(customer.locator(".message--team")).to_be_visible()
    fits(customer)
    screenshot(customer, "phone-ticket")
    for path in ("/folders/inbox", "/folders/sent", "/notifications", "/tickets/new"):
        customer.goto(path)
        expect(customer.locator("h1")).to_be_visible()
        fits(customer)

    # And an agent and an admin do too
    agent = open_page(width=PHONE, height=844).page
    sign_in(agent, "admin@parley.test")
    expect(agent.locator(".convo").first).to_be_visible()
    fits(agent)
    agent.goto(f"/console/tickets/{ticket_id}")
    expect(agent.locator(".message--customer")).to_be_visible()
    fits(agent)
    # and its four answer buttons fill the rows they need, each label on one line, whatever
    # the fonts' widths
    answer_buttons_fit(agent, rows=(2, 4), filled=True)
    screenshot(agent, "phone-console")
    for path in ("/admin", "/admin/users", "/admin/orgs", "/admin/teams", "/admin/audit",
                 "/console/new", "/console/inbound"):
        agent.goto(path)
        expect(agent.locator("h1")).to_be_visible()
        fits(agent)
    # (the audit log's stacked rows name each value: an admin's action puts one there, whatever
    # ran before this test)
    stack.new_customer("Audited Phone-Reader")
    agent.goto("/admin/audit")
    action = agent.locator(".table--audit tbody td[data-label]").nth(1)
    expect(action).to_be_visible()
    assert action.evaluate("el => getComputedStyle(el, '::before').content") == '"Action"'
