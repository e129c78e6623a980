"""The customer beside the thread (other tickets open first, organization, language, a
suppressed address, ratings), "New on behalf" finding a customer who never wrote by their
organization's name, and an admin closing an abandoned conversation with a reason (issue 17,
items 5 and 9)."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.support import no_horizontal_overflow, sign_in
from tests.browser.test_suppressions import bounced

pytestmark = pytest.mark.browser


def test_the_customer_beside_the_thread_and_an_admin_closing_an_abandoned_conversation(
    stack, open_page
):
    # Given a customer who reads French, with a ticket answered and rated, one still new, and
    # today's, which Kim took and left; and mail to her address bounces
    tag = uuid.uuid4().hex[:6]
    email, _ = stack.new_customer(f"Henrike Blom {tag}", language="fr")
    token = stack.tokens[email]

    def opened(subject: str) -> str:
        return str(stack.call("POST", "/api/portal/tickets", {
            "topic": "technical", "subject": subject, "body": f"{subject}, since Monday."},
            token=token)["ticket"]["id"])

    badge = opened("Badge refused at the north door")
    stack.call("POST", f"/api/console/tickets/{badge}/messages",
               {"action": "send", "body": "Your badge works again."},
               token=stack.token("agent@parley.test"))
    stack.call("PUT", f"/api/portal/tickets/{badge}/rating",
               {"score": 4, "comment": "Quick and kind"}, token=token)
    opened("Scanner offline on floor 3")
    today = opened("Printer queue stuck")
    stack.call("POST", f"/api/console/tickets/{today}/messages",
               {"action": "send_leave_open", "body": "Looking into it."},
               token=stack.token("agent2@parley.test"))
    bounced(stack, email)

    # When another agent opens today's conversation: no Close for someone else's conversation
    sam = open_page().page
    sign_in(sam, "agent@parley.test")
    sam.goto(f"/console/tickets/{today}")
    expect(sam.locator(".picker__value")).to_have_text("Kim Agent")
    expect(sam.get_by_role("button", name="Close", exact=True)).to_be_hidden()
    sam.locator(".convo-more > summary").click()  # the rarer actions: merging, not closing
    expect(sam.get_by_role("button", name="Merge into…")).to_be_visible()
    expect(sam.get_by_role("button", name="Close with a reason")).to_be_hidden()

    # And the admin opens it on a wide screen: the customer beside the thread
    watched = open_page(width=1440)
    admin = watched.page
    sign_in(admin, "admin@parley.test")
    admin.goto(f"/console/tickets/{today}")
    panel = admin.get_by_role("region", name="Customer")
    expect(panel).to_contain_text(f"Henrike Blom {tag}")
    expect(panel).to_contain_text(email)
    details = panel.locator("dl")
    expect(details).to_contain_text("Acme")
    expect(details).to_contain_text("Français")
    expect(details).to_contain_text("Not emailed since")
    # Her other tickets, the open one first, each a link to its conversation
    others = panel.get_by_role("list", name="Other tickets").get_by_role("listitem")
    expect(others).to_have_count(2)
    expect(others.nth(0)).to_contain_text("Scanner offline on floor 3")
    expect(others.nth(0)).to_contain_text("New")
    expect(others.nth(1)).to_contain_text("Badge refused at the north door")
    expect(others.nth(1)).to_contain_text("Resolved")
    expect(others.nth(1).get_by_role("link")).to_have_attribute(
        "href", f"/console/tickets/{badge}")
    # And how she rated the team
    expect(panel).to_contain_text("Average 4/5 from 1 rating")
    expect(panel.get_by_role("list", name="Ratings")).to_contain_text("4/5 — “Quick and kind”")
    thread = admin.get_by_role("list", name="Messages, oldest first")
    beside = panel.bounding_box()
    assert beside["x"] > thread.bounding_box()["x"] + thread.bounding_box()["width"] - 1

    # When the admin closes it, the header's Close being Kim's, giving a reason
    expect(admin.get_by_role("button", name="Close", exact=True)).to_be_hidden()
    admin.locator(".convo-more > summary").click()  # with the header's rarer actions
    admin.get_by_role("button", name="Close with a reason").click()
    close = admin.get_by_role("button", name="Close the conversation")
    close.click()  # an empty reason is not sent
    expect(admin.get_by_label("Why close it?")).to_be_focused()
    admin.get_by_label("Why close it?").fill("Kim is on leave; solved by phone.")
    close.click()

    # Then it is closed, and the history says who closed it and why
    expect(admin.get_by_text("The conversation is closed.")).to_be_visible()
    expect(thread.locator(".event", has_text="Closed: Kim is on leave; solved by phone.")
           ).to_contain_text("Ada Admin")
    expect(admin.get_by_role("button", name="Close with a reason")).to_be_hidden()
    expect(admin.locator(".convo-header .status")).to_have_text("Closed")

    # On a phone the panel sits under the thread, and nothing overflows
    admin.set_viewport_size({"width": 390, "height": 844})
    expect(panel).to_be_visible()
    under = panel.bounding_box()
    assert under["y"] > thread.bounding_box()["y"] + thread.bounding_box()["height"] - 1
    width, visible = no_horizontal_overflow(admin)
    assert width <= visible
    assert not watched.errors, watched.errors


def test_new_on_behalf_finds_a_customer_who_never_wrote_by_organization(stack, open_page):
    # Given a customer, created by the admin, who never wrote, in an organization of her own
    tag = uuid.uuid4().hex[:6]
    admin = stack.token("admin@parley.test")
    org = stack.call("POST", "/api/admin/orgs", {"name": f"Nordwind Freight {tag}"},
                     token=admin)["org"]
    stack.call("POST", "/api/admin/users", {
        "email": f"greta-{tag}@example.test", "name": "Greta Lindqvist", "role": "customer",
        "org_id": org["id"]}, token=admin)

    # When an agent looks for her by her organization's name
    watched = open_page()
    agent = watched.page
    sign_in(agent, "agent@parley.test")
    agent.get_by_role("link", name="New on behalf").click()
    agent.get_by_label("Find a customer").fill(f"nordwind {tag}")
    found = agent.get_by_role("radio", name=re.compile("Greta Lindqvist"))
    expect(found).to_have_count(1)
    expect(agent.get_by_text("1 customer found")).to_be_visible()
    expect(agent.get_by_role("group", name="Customer")).to_contain_text(
        f"<greta-{tag}@example.test> · Nordwind Freight {tag}")
    found.check()
    agent.get_by_label("Topic").select_option("billing")
    agent.get_by_label("Subject").fill("Phoned in: invoice address")
    agent.get_by_label("First message").fill("Greta called: the invoice address changed.")
    agent.get_by_role("button", name="Create the ticket").click()

    # Then the ticket is hers, the agent's, and her panel says it is her first
    agent.wait_for_url(re.compile(r"/console/tickets/[0-9a-f]{32}$"))
    expect(agent.locator(".picker__value")).to_have_text("Sam Agent")
    panel = agent.get_by_role("region", name="Customer")
    expect(panel).to_contain_text("Greta Lindqvist")
    expect(panel).to_contain_text(f"Nordwind Freight {tag}")
    expect(panel).to_contain_text("No other tickets.")
    assert not watched.errors, watched.errors
