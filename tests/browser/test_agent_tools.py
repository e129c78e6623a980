"""The console's tools: the assignee picker with teammate search, blocking a customer's messaging
(which the customer's open page shows at once), the troubleshooter summary, and a ticket opened
on a customer's behalf."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.support import answer_buttons_fit, sign_in

pytestmark = pytest.mark.browser


def test_block_assign_and_troubleshooter(stack, open_page):
    # Given a customer's ticket started from a troubleshooter, open in the customer's browser
    subject = f"Scanner jams {uuid.uuid4().hex[:6]}"
    token = stack.token("bob@acme.test")
    ticket_id = stack.call("POST", "/api/portal/tickets", {
        "topic": "technical", "subject": subject, "troubleshooter": {
            "name": "Scanner check", "answers": [
                {"question": "Which scanner?", "answer": "Floor 3, by the window"},
                {"question": "Paper size?", "answer": "A4"}]}}, token=token)["ticket"]["id"]
    customer = open_page().page
    sign_in(customer, "bob@acme.test")
    customer.goto(f"/tickets/{ticket_id}")
    expect(customer.get_by_label("Your reply")).to_be_visible()

    # When an agent opens it, the troubleshooter's answers are there
    agent = open_page().page
    sign_in(agent, "agent@parley.test")
    agent.goto(f"/console/tickets/{ticket_id}")
    summary = agent.get_by_role("region", name="Troubleshooter answers")
    expect(summary).to_contain_text("Floor 3, by the window")

    # And the four answers are four distinct buttons
    actions = agent.get_by_role("group", name="Answer actions").get_by_role("button")
    expect(actions).to_have_text(
        ["Send", "Send and leave open", "Resolve silently", "Internal note"])
    # at 1280 px on one or two rows inside the composer, each label on one line (the row
    # breaks where a font's labels are wider: users have all kinds of fonts)
    answer_buttons_fit(agent, rows=(1, 2), filled=False)

    # When the agent assigns a teammate found by name
    agent.get_by_role("button", name=re.compile("Assignee")).click()
    agent.get_by_label("Find a teammate").fill("Kim")
    agent.get_by_role("button", name=re.compile("Kim Agent")).click()
    expect(agent.locator(".picker__value")).to_have_text("Kim Agent")
    expect(agent.get_by_role("status")).to_have_text("Assigned to Kim Agent.")
    thread = agent.get_by_role("list", name="Messages, oldest first")
    expect(thread.get_by_text("Assigned to Kim Agent.")).to_be_visible()

    # And blocks the customer's messaging, with a reason
    agent.get_by_role("button", name="Block messaging").click()
    agent.get_by_label("Reason").fill("Please call our hotline about this scanner.")
    agent.get_by_role("button", name="Block messaging").last.click()
    expect(agent.get_by_text("Customer messaging is blocked")).to_be_visible()

    # Then the customer's open page says why, and offers no reply box, without a reload
    blocked = customer.get_by_text("Messaging on this ticket is blocked")
    expect(blocked).to_be_visible(timeout=15_000)
    expect(customer.get_by_text("Please call our hotline about this scanner.")).to_be_visible()
    expect(customer.get_by_label("Your reply")).to_have_count(0)

    # And unblocking gives the reply box back
    agent.get_by_role("button", name="Unblock").click()
    expect(customer.get_by_label("Your reply")).to_be_visible(timeout=15_000)


def test_agent_opens_a_ticket_on_behalf_of_a_customer(stack, open_page):
    subject = f"Phoned in: toner order {uuid.uuid4().hex[:6]}"
    agent = open_page().page
    sign_in(agent, "agent@parley.test")
    agent.get_by_role("link", name="New on behalf").click()
    agent.get_by_label("Find a customer").fill("carol dub")
    agent.get_by_role("radio", name="Carol Dubois <carol@globex.test> · Globex").check()
    agent.get_by_label("Topic").select_option("billing")
    agent.get_by_label("Subject").fill(subject)
    agent.get_by_label("First message").fill(
        "Carol called: please send two black toner cartridges.")
    agent.get_by_role("button", name="Create the ticket").click()
    agent.wait_for_url(re.compile(r"/console/tickets/[0-9a-f]{32}$"))
    expect(agent.locator(".picker__value")).to_have_text("Sam Agent")

    # The customer sees it in her portal
    customer = open_page().page
    sign_in(customer, "carol@globex.test")
    expect(customer.locator(".ticket-row", has_text=subject)).to_be_visible()


def test_agent_renames_answers_and_closes_a_conversation(stack, open_page):
    # Given a customer's question, titled by the start of its first message
    email, password = stack.new_customer("Nina Brandt")
    first = "What is the guest Wi-Fi password this week? We have visitors at ten."
    ticket_id = stack.call("POST", "/api/portal/tickets", {
        "topic": "general", "subject": "Wi-Fi", "body": first},
        token=stack.tokens[email])["ticket"]["id"]
    agent = open_page().page
    sign_in(agent, "agent2@parley.test")
    agent.goto(f"/console/tickets/{ticket_id}")
    title = agent.get_by_role("heading", level=1)
    expect(title).to_contain_text("What is the guest Wi-Fi password")
    expect(agent.locator(".picker__value")).to_have_text("Unassigned")

    # When the agent gives it a better title
    agent.get_by_role("button", name="Edit title").click()
    agent.get_by_label("Title", exact=True).fill("Guest Wi-Fi password")
    agent.get_by_role("button", name="Save", exact=True).click()

    # Then the page, the thread's history and the list all say so
    expect(title).to_have_text("Guest Wi-Fi password")
    expect(agent.locator(".event", has_text="Title changed")).to_be_visible()
    expect(agent.locator(".convo.is-current")).to_contain_text("Guest Wi-Fi password")
    expect(agent.get_by_role("button", name="Edit title")).to_be_focused()

    # When the agent answers and leaves it open, the conversation becomes theirs
    agent.get_by_label("Your answer or note").fill("It is 'harbour-lights-42' until Sunday.")
    agent.get_by_role("button", name="Send and leave open").click()
    expect(agent.get_by_text("Sent. The ticket stays open.")).to_be_visible()
    expect(agent.locator(".picker__value")).to_have_text("Kim Agent")

    # And closing it moves it from the Open list to the Closed one
    agent.get_by_role("button", name="Close", exact=True).click()
    expect(agent.get_by_text("The conversation is closed.")).to_be_visible()
    listed = agent.locator(".convo", has_text="Guest Wi-Fi password")
    expect(listed).to_have_count(0)
    agent.get_by_role("group", name="Status").get_by_role("button", name="Closed").click()
    expect(listed).to_have_count(1)
    expect(listed).to_contain_text("Closed")

    # And the customer sees it closed, with the answer
    customer = open_page().page
    sign_in(customer, email, password)
    customer.goto("/tickets?status=all")
    expect(customer.locator(".ticket-row", has_text="Wi-Fi")).to_contain_text("Closed")
