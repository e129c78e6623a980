"""The customer portal beyond the first conversation: the ticket list's filters, search and
organization view; a ticket's thread with the newest message on top, a document dropped on it,
"OK, resolved" and the rating it opens; the folders' unread counts; the notification feed;
signing out."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.support import sign_in

pytestmark = pytest.mark.browser


def _organization(stack):
    """A fresh organization with two customers, Una (who has the organization view) and Vic,
    so the lists hold only what the test put there."""
    admin = stack.token("admin@parley.test")
    org = stack.call("POST", "/api/admin/orgs", {"name": f"Umbrella {uuid.uuid4().hex[:4]}"},
                     token=admin)["org"]
    una = stack.new_customer("Una Ortega", org_id=org["id"], org_view=True)
    vic = stack.new_customer("Vic Lindqvist", org_id=org["id"])
    return una, vic


def _ticket(stack, email, topic, subject, body="Details follow."):
    return stack.call("POST", "/api/portal/tickets",
                      {"topic": topic, "subject": subject, "body": body},
                      token=stack.tokens[email])["ticket"]


def _answer(stack, ticket_id, body, action="send_leave_open"):
    stack.call("POST", f"/api/console/tickets/{ticket_id}/messages",
               {"action": action, "body": body}, token=stack.token("agent@parley.test"))


def test_ticket_list_filters_search_and_organization_view(stack, open_page):
    # Given Una with three tickets (one resolved) and her colleague Vic with one
    (una, una_password), (vic, vic_password) = _organization(stack)
    _ticket(stack, una, "billing", "Quote for 30 laptops")
    _ticket(stack, una, "technical", "Badge reader keeps beeping")
    parking = _ticket(stack, una, "general", "Parking permit renewal")
    stack.call("POST", f"/api/portal/tickets/{parking['id']}/resolve", {},
               token=stack.tokens[una])
    _ticket(stack, vic, "technical", "Badge reader on floor 4 is dead")
    stack.wait_for_search(una, "laptops", 1)
    stack.wait_for_search(una, "badge", 2, scope="org")
    page = open_page().page
    sign_in(page, una, una_password)
    rows = page.locator(".ticket-row")
    status = page.get_by_role("group", name="Status")

    # Then her list shows all her tickets, the resolved one too, and the status switch (the only
    # status filter: the table has none of its own) narrows it to the open or the closed ones
    expect(rows).to_have_count(3)
    expect(status.get_by_role("button", name="All")).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_label("Filter by status")).to_have_count(0)
    status.get_by_role("button", name="Open").click()
    expect(rows).to_have_count(2)
    assert page.url.endswith("/tickets?status=open")
    status.get_by_role("button", name="Closed").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Parking permit renewal")
    status.get_by_role("button", name="All").click()
    expect(rows).to_have_count(3)
    assert page.url.endswith("/tickets")

    # When she filters the subject column, then the topic column
    page.get_by_label("Filter by subject").fill("badge")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Badge reader keeps beeping")
    page.get_by_label("Filter by subject").fill("")
    expect(rows).to_have_count(3)
    page.get_by_label("Filter by topic").select_option(label="Billing")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Quote for 30 laptops")
    page.get_by_label("Filter by topic").select_option(label="Any topic")

    # And searches by word, then by ticket number
    search = page.get_by_role("searchbox", name="Search tickets")
    search.fill("laptops")
    search.press("Enter")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Quote for 30 laptops")
    search.fill(f"#{parking['number']}")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Parking permit renewal")
    search.fill("")
    search.press("Enter")
    expect(rows).to_have_count(3)

    # When she switches to her organization's tickets
    page.get_by_role("group", name="Whose tickets").get_by_role("button",
                                                                name="My organization").click()

    # Then Vic's ticket is there too, with who opened it
    expect(page.get_by_role("heading", name="Organization tickets")).to_be_visible()
    expect(rows).to_have_count(4)
    expect(page.get_by_role("columnheader", name="Opened by")).to_be_visible()
    expect(rows.filter(has_text="Badge reader on floor 4")).to_contain_text("Vic Lindqvist")
    page.get_by_label("Filter by subject").fill("badge")
    expect(rows).to_have_count(2)

    # And Vic, who has no organization view, is offered his own and those he follows only
    colleague = open_page().page
    sign_in(colleague, vic, vic_password)
    expect(colleague.locator(".ticket-row")).to_have_count(1)
    whose = colleague.get_by_role("group", name="Whose tickets")
    expect(whose.get_by_role("button")).to_have_text(["Mine", "Following"])


def test_an_empty_list_offers_a_new_ticket(stack, open_page):
    # Given a customer with no ticket yet
    email, password = stack.new_customer("Yara Empty")
    page = open_page().page
    sign_in(page, email, password)

    # Then her list says so and offers to open one, which leads to the compose page
    empty = page.locator(".table__empty")
    expect(empty).to_contain_text("No tickets here yet.")
    empty.get_by_role("link", name="New ticket").click()
    expect(page.get_by_role("heading", name="New ticket")).to_be_focused()
    assert page.url.endswith("/tickets/new")


def test_newest_message_on_top_then_ok_resolved_opens_the_rating(stack, open_page):
    # Given a customer's ticket the team has answered
    email, password = stack.new_customer("Walt Becker")
    ticket = _ticket(stack, email, "technical", "Projector in room 2 flickers",
                     "It flickers every few seconds.")
    _answer(stack, ticket["id"], "Could you try the other HDMI cable, please?")
    page = open_page().page
    sign_in(page, email, password)
    page.goto(f"/tickets/{ticket['id']}")
    messages = page.get_by_role("list", name="Messages, newest first").locator(".message")

    # Then the answer is on top, her question below, the count beside the heading, and the reply
    # box above them all
    expect(page.locator(".section-title", has_text="Messages")).to_contain_text("2")
    expect(messages.first).to_contain_text("Could you try the other HDMI cable")
    expect(messages.last).to_contain_text("It flickers every few seconds.")
    reply_box = page.get_by_label("Your reply")
    assert reply_box.bounding_box()["y"] < messages.first.bounding_box()["y"]
    expect(page.get_by_text("How satisfied are you with the answer?")).to_have_count(0)

    # When she drops a note of the projector's settings on the documents area, it is listed
    dropped = page.evaluate_handle("""() => {
        const transfer = new DataTransfer();
        transfer.items.add(new File(["projector settings: HDMI 2, 60 Hz"], "projector-menu.txt",
                                    { type: "text/plain" }));
        return transfer;
    }""")
    zone = page.locator(".documents .dropzone")
    zone.dispatch_event("dragenter", {"dataTransfer": dropped})
    expect(zone).to_have_class(re.compile("dropzone--over"))
    zone.dispatch_event("drop", {"dataTransfer": dropped})
    expect(page.locator(".documents__item")).to_contain_text("projector-menu.txt")

    # When she answers, her message goes on top
    reply_box.fill("The other cable works, thank you.")
    page.get_by_role("button", name="Send reply").click()
    expect(page.get_by_text("Your reply was sent.")).to_be_visible()
    expect(messages.first).to_contain_text("The other cable works")
    expect(messages.first).to_contain_text("You")
    expect(page.locator(".section-title", has_text="Messages")).to_contain_text("3")

    # When she says the ticket is resolved
    page.get_by_role("button", name="OK, resolved").click()

    # Then it is closed, she is thanked and asked to rate the answer, and a reply would reopen it
    expect(page.get_by_text("Thank you — the ticket is resolved.")).to_be_visible()
    expect(page.locator(".ticket__status")).to_contain_text("Closed")
    expect(page.get_by_role("button", name="OK, resolved")).to_be_hidden()
    expect(page.get_by_text("How satisfied are you with the answer?")).to_be_visible()
    expect(page.get_by_role("button", name="Send and reopen")).to_be_visible()


def test_folders_count_unread_messages_and_the_feed_marks_them_read(stack, open_page):
    # Given a customer with two unread answers from the team
    email, password = stack.new_customer("Xena Park")
    ticket = _ticket(stack, email, "general", "Opening hours over the holidays")
    _answer(stack, ticket["id"], "We close on the 24th at noon.")
    _answer(stack, ticket["id"], "And we open again on the 2nd.")
    stack.wait_for_feed(email, 2)
    page = open_page().page
    sign_in(page, email, password)
    sidebar = page.get_by_role("navigation", name="Main")
    inbox_link = sidebar.get_by_role("link", name=re.compile("^Inbox"))
    trash_link = sidebar.get_by_role("link", name=re.compile("^Trash"))
    bell = page.locator(".header").get_by_role("link", name=re.compile("Notifications"))

    # Then the Inbox and the bell count them
    expect(inbox_link).to_contain_text("2")
    expect(bell.locator(".badge")).to_be_visible()

    # When she opens the Inbox, marks one read and deletes the other
    inbox_link.click()
    expect(page.get_by_text("2 unread messages")).to_be_visible()
    entries = page.locator(".folder-entry")
    expect(entries.filter(has_text="We close on the 24th")).to_have_class(re.compile("is-unread"))
    entries.filter(has_text="We close on the 24th").get_by_role("button", name="Mark read").click()
    expect(page.get_by_text("1 unread message", exact=True)).to_be_visible()
    expect(inbox_link).to_contain_text("1")
    entries.filter(has_text="And we open again").get_by_role("button", name="Delete").click()
    expect(page.get_by_text("Moved to the trash.")).to_be_visible()

    # Then the unread one is counted in the Trash now, and restoring it brings it back
    expect(inbox_link.locator(".badge")).to_be_hidden()
    expect(trash_link).to_contain_text("1")
    trash_link.click()
    page.locator(".folder-entry", has_text="And we open again").get_by_role(
        "button", name="Restore").click()
    expect(page.get_by_text("Restored.")).to_be_visible()
    expect(inbox_link).to_contain_text("1")
    expect(trash_link.locator(".badge")).to_be_hidden()

    # When she reads her notifications and marks them all read
    bell.click()
    expect(page.get_by_role("heading", name="Notifications")).to_be_visible()
    expect(page.locator(".feed__item", has_text="answered").first).to_be_visible()
    page.get_by_role("button", name="Mark all as read").click()
    expect(page.get_by_text("0 unread notifications")).to_be_visible()
    expect(bell.locator(".badge")).to_be_hidden()

    # And signs out: the portal is closed to her until she signs in again
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/login$"))
    page.goto("/tickets")
    page.wait_for_url(re.compile(r"/login\?next="))
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
