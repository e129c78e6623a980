"""Followers in the browser: a customer adds a colleague to her ticket, who gets the secure
notification of the team's answer and finds the ticket under Following in his portal; an agent
adds a follower from the console."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.support import sign_in, wait_for

pytestmark = pytest.mark.browser


def _ticket(stack, email: str, subject: str) -> str:
    created = stack.call("POST", "/api/portal/tickets", {
        "topic": "technical", "subject": subject, "body": "The badge reader beeps red."},
        token=stack.tokens[email])
    return str(created["ticket"]["id"])


def _add(page, email: str) -> None:
    card = page.locator(".followers")
    card.get_by_label("Add someone by email").fill(email)
    card.get_by_role("button", name="Add", exact=True).click()


def test_a_customer_adds_a_colleague_who_is_notified_and_follows_it_in_his_portal(
    stack, open_page
):
    subject = f"Badge reader beeps red {uuid.uuid4().hex[:6]}"
    answer = "We replaced the reader's battery; please try your badge again."
    rita, rita_password = stack.new_customer("Rita Requester")
    colin, colin_password = stack.new_customer("Colin Colleague")
    ticket_id = _ticket(stack, rita, subject)

    # Given Rita on her ticket
    requester = open_page()
    page = requester.page
    sign_in(page, rita, rita_password)
    page.goto(f"/tickets/{ticket_id}")
    card = page.locator(".followers")
    expect(card).to_contain_text("Nobody else follows this ticket.")
    # When she adds her colleague Colin by his address
    _add(page, colin)
    # Then the card names him, and says so
    expect(card.locator(".followers__item")).to_contain_text("Colin Colleague")
    expect(card).to_contain_text("Colin Colleague now follows this ticket.")

    # When the team answers
    stack.call("POST", f"/api/console/tickets/{ticket_id}/messages",
               {"action": "send_leave_open", "body": answer},
               token=stack.token("agent@parley.test"))
    # Then Colin gets the secure notification: a link to the ticket, never the answer itself
    mail = wait_for(lambda: next((m for m in stack.mails_to(colin)
                                  if f"/tickets/{ticket_id}" in m["text"]), None),
                    f"the secure notification to {colin}")
    assert answer not in mail["text"]

    # And in his portal the ticket is under Following, with the answer in it
    follower = open_page()
    portal = follower.page
    sign_in(portal, colin, colin_password)
    expect(portal.locator(".ticket-row", has_text=subject)).to_have_count(0)
    portal.get_by_role("button", name="Following").click()
    row = portal.locator(".ticket-row", has_text=subject)
    expect(row).to_contain_text("Rita Requester")
    row.get_by_role("link").click()
    portal.wait_for_url(re.compile(rf"/tickets/{ticket_id}$"))
    expect(portal.locator(".thread .message--team")).to_contain_text(answer)
    assert not [e for e in requester.errors + follower.errors if e.startswith("uncaught")]


def test_an_agent_adds_a_follower_from_the_console(stack, open_page):
    subject = f"Parking gate stays shut {uuid.uuid4().hex[:6]}"
    rita, _ = stack.new_customer("Rhea Requester")
    dan, _ = stack.new_customer("Dan Deskmate")
    ticket_id = _ticket(stack, rita, subject)

    # Given the agent on the conversation
    agent = open_page()
    page = agent.page
    sign_in(page, "agent@parley.test")
    page.goto(f"/console/tickets/{ticket_id}")
    expect(page.locator(".followers")).to_contain_text("Nobody else follows this ticket.")
    # When they add the requester's colleague as a follower
    _add(page, dan)
    # Then the card names him, and so does the conversation when opened again
    expect(page.locator(".followers__item")).to_contain_text("Dan Deskmate")
    page.reload()
    expect(page.locator(".followers__item")).to_contain_text("Dan Deskmate")
    # And the ticket is among those Dan follows
    followed = stack.call("GET", "/api/portal/tickets?scope=following", token=stack.tokens[dan])
    assert [t["id"] for t in followed["items"]] == [ticket_id]
    assert not [e for e in agent.errors if e.startswith("uncaught")]
