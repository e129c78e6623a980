"""The desk's tools on conversations, as an agent uses them: tagging a conversation and
filtering the list by the tag, closing the selection at once with one refused (and told why),
and merging two tickets of one customer, which the customer's portal then shows as one."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.support import sign_in, wait_for

pytestmark = pytest.mark.browser


def test_tag_filter_by_tag_and_close_the_selection_with_one_refused(stack, open_page):
    # Given three questions of one customer: Sam answered two (so they are his), Kim the third
    run = uuid.uuid4().hex[:6]
    email, _ = stack.new_customer("Petra Novak")
    ids = [stack.call("POST", "/api/portal/tickets", {
        "topic": "billing", "subject": f"Invoice {n} {run}",
        "body": f"Question {n} about my invoice."}, token=stack.tokens[email])["ticket"]["id"]
        for n in (1, 2, 3)]
    for ticket_id, agent in zip(ids, ("agent@parley.test", "agent@parley.test",
                                      "agent2@parley.test"), strict=True):
        stack.call("POST", f"/api/console/tickets/{ticket_id}/messages",
                   {"action": "send_leave_open", "body": "We are looking into it."},
                   token=stack.token(agent))
    tag = f"refund-{run}"
    for ticket_id in ids[1:]:
        stack.call("POST", f"/api/console/tickets/{ticket_id}/tags", {"add": [tag]},
                   token=stack.token("agent@parley.test"))

    # When Sam tags the first one on its page
    watched = open_page()
    agent = watched.page
    sign_in(agent, "agent@parley.test")
    agent.goto(f"/console/tickets/{ids[0]}")
    tags = agent.get_by_role("group", name="Tags")
    tags.get_by_role("textbox", name="Add a tag").fill(f"  Refund-{run} ")
    tags.get_by_role("textbox", name="Add a tag").press("Enter")

    # Then it shows the tag, normalised, and the history says so
    expect(tags.locator(".chip--tag")).to_contain_text([tag])
    expect(tags.get_by_role("button", name=f"Remove the tag {tag}")).to_be_visible()
    expect(agent.locator(".event", has_text=f"Tagged: {tag}.")).to_be_visible()

    # When he filters the list by the tag (once the search index has it)
    token = stack.token("agent@parley.test")
    wait_for(lambda: True if len(stack.call(
        "GET", f"/api/console/tickets?tag={tag}", token=token)["items"]) == 3 else None,
        "the index finding the three tagged tickets")
    agent.goto("/console")
    agent.get_by_label("Filter by tag").fill(tag)
    agent.get_by_label("Filter by tag").press("Enter")
    rows = agent.locator(".convo-list .convo")
    expect(rows).to_have_count(3)
    expect(rows.locator(".chip--tag")).to_have_text([tag] * 3)
    assert f"tag={tag}" in agent.url

    # And selects every row shown and closes them
    agent.get_by_label("Select all shown").check()
    bar = agent.get_by_role("region", name="Actions on the selected conversations")
    expect(bar).to_contain_text("3 selected")
    bar.get_by_role("button", name="Close", exact=True).click()

    # Then his two are closed, Kim's is refused with the reason, and the list is read again
    expect(bar.get_by_role("status")).to_have_text(
        "2 closed, 1 refused: Only the assignee can close this conversation.")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text(f"Invoice 3 {run}")
    expect(agent.get_by_label("Select all shown")).not_to_be_checked()
    agent.get_by_role("group", name="Status").get_by_role("button", name="Closed").click()
    expect(rows).to_have_count(2)
    assert not watched.errors, watched.errors


def test_a_merge_is_one_ticket_in_the_customers_portal(stack, open_page):
    # Given a customer's two tickets about one printer, the first answered by the team
    run = uuid.uuid4().hex[:6]
    email, password = stack.new_customer("Lena Vogel")
    token = stack.tokens[email]
    first = stack.call("POST", "/api/portal/tickets", {
        "topic": "technical", "subject": f"Printer smoke {run}",
        "body": "The printer smokes since Monday."}, token=token)["ticket"]
    stack.call("POST", f"/api/console/tickets/{first['id']}/messages",
               {"action": "send_leave_open", "body": "Please unplug it."},
               token=stack.token("agent@parley.test"))
    second = stack.call("POST", "/api/portal/tickets", {
        "topic": "technical", "subject": f"Printer again {run}",
        "body": "It smokes again today."}, token=token)["ticket"]
    customer = open_page().page
    sign_in(customer, email, password)
    customer.goto("/tickets?status=all")
    expect(customer.locator(".ticket-row", has_text=run)).to_have_count(2)

    # When the agent merges the first into the second, chosen by its number
    agent = open_page().page
    sign_in(agent, "agent@parley.test")
    agent.goto(f"/console/tickets/{first['id']}")
    agent.locator(".convo-more > summary").click()  # with the header's rarer actions
    agent.get_by_role("button", name="Merge into…").click()
    agent.get_by_label("Into this ticket of the same customer").select_option(
        label=f"#{second['number']} · Printer again {run} (New)")
    agent.get_by_role("button", name="Merge", exact=True).click()

    # Then the console opens the survivor, whose thread holds the first one's messages
    agent.wait_for_url(re.compile(rf"/console/tickets/{second['id']}$"))
    thread = agent.get_by_role("list", name="Messages, oldest first")
    expect(thread.get_by_text(f"#{first['number']} was merged into this conversation")
           ).to_be_visible()
    moved = thread.locator(".message", has_text="The printer smokes since Monday.")
    expect(moved).to_contain_text(f"from #{first['number']}")
    # and the merged one says where it went
    agent.goto(f"/console/tickets/{first['id']}")
    merged = agent.locator(".notice--merged")
    expect(merged).to_contain_text("This conversation was merged into")
    expect(merged.get_by_role("link", name=f"#{second['number']}", exact=True)).to_have_attribute(
        "href", f"/console/tickets/{second['id']}")
    expect(agent.get_by_role("button", name="Merge into…")).to_be_hidden()
    expect(agent.locator(".convo-more")).to_be_hidden()  # nothing left behind "More"

    # And the customer sees one ticket, with every message, the old address leading to it
    customer.reload()
    rows = customer.locator(".ticket-row", has_text=run)
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text(f"Printer again {run}")
    customer.goto(f"/tickets/{first['id']}")
    customer.wait_for_url(re.compile(rf"/tickets/{second['id']}$"))
    for text in ("The printer smokes since Monday.", "Please unplug it.", "It smokes again today."):
        expect(customer.get_by_text(text)).to_be_visible()
