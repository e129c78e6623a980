"""The customer's ticket list and folders (issue 16, items 5 and 8): the Unread filter, columns
that sort (and only those an index orders), a search box whose placeholder fits at 1280 px beside
the organization toggle in every language; an answer that arrives while its ticket is open is
read and raises no badge, the Inbox and the bell count alike; Sent offers no "Mark unread", and
the Trash says after how many days it empties itself."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.support import sign_in, wait_for

pytestmark = pytest.mark.browser

# The input's text as wide as its placeholder: a placeholder cut off overflows the box then.
PLACEHOLDER_FITS = """(input) => {
  const typed = input.value;
  input.value = input.placeholder;
  const fits = input.scrollWidth <= input.clientWidth;
  input.value = typed;
  return fits;
}"""


def _ticket(stack, email, subject):
    return stack.call("POST", "/api/portal/tickets",
                      {"topic": "general", "subject": subject, "body": "Details follow."},
                      token=stack.tokens[email])["ticket"]


def _answer(stack, ticket_id, body, action="send_leave_open"):
    stack.call("POST", f"/api/console/tickets/{ticket_id}/messages",
               {"action": action, "body": body}, token=stack.token("agent@parley.test"))


def test_unread_sorting_and_the_search_box_beside_the_organization_toggle(stack, open_page):
    # Given Una (with the organization view) and three tickets of hers, the first answered by
    # the team; and her colleague Vic's ticket, answered to him
    admin = stack.token("admin@parley.test")
    org = stack.call("POST", "/api/admin/orgs", {"name": f"Initech {uuid.uuid4().hex[:4]}"},
                     token=admin)["org"]
    una, una_password = stack.new_customer("Una Ortega", org_id=org["id"], org_view=True)
    vic, _ = stack.new_customer("Vic Lindqvist", org_id=org["id"])
    quote = _ticket(stack, una, "Quote for 30 laptops")
    _ticket(stack, una, "Badge reader keeps beeping")
    _ticket(stack, una, "Parking permit renewal")
    _answer(stack, quote["id"], "The quote is attached.")
    _answer(stack, _ticket(stack, vic, "Badge reader on floor 4")["id"], "A technician comes.")
    page = open_page(width=1280, height=860).page
    sign_in(page, una, una_password)
    rows = page.locator(".ticket-row")
    subjects = rows.locator(".row-link__text")
    status = page.get_by_role("group", name="Status")
    scope = page.get_by_role("group", name="Whose tickets")
    expect(rows).to_have_count(3)

    # Then the answered ticket is marked, and Unread lists it alone, in her list and in the
    # organization's too (the answer to Vic is unread for Vic), saying what Unread means there
    expect(rows.filter(has_text="Quote for 30 laptops")).to_have_class(re.compile("is-unread"))
    status.get_by_role("button", name="Unread").click()
    expect(subjects).to_have_text(["Quote for 30 laptops"])
    expect(page.get_by_text("Tickets with an answer from the team you have not read yet."))\
        .to_be_visible()
    scope.get_by_role("button", name="My organization").click()
    expect(page.get_by_text("In the organization's list too, Unread is yours alone"))\
        .to_be_visible()
    expect(subjects).to_have_text(["Quote for 30 laptops"])
    # Unread comes in the order of its answers: the number column does not sort there
    expect(page.get_by_role("button", name="Number")).to_have_count(0)
    expect(page.get_by_role("columnheader", name="Last activity")).to_have_attribute(
        "aria-sort", "descending")

    # When she goes back to all her tickets: the latest activity first
    scope.get_by_role("button", name="Mine").click()
    status.get_by_role("button", name="All").click()
    expect(subjects).to_have_text(["Quote for 30 laptops", "Parking permit renewal",
                                   "Badge reader keeps beeping"])
    # And sorts by number from the keyboard: newest first, then oldest first
    number = page.get_by_role("button", name="Number")
    number.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("columnheader", name="Number")).to_have_attribute(
        "aria-sort", "descending")
    expect(page.get_by_role("columnheader", name="Last activity")).not_to_have_attribute(
        "aria-sort", re.compile("."))
    expect(subjects).to_have_text(["Parking permit renewal", "Badge reader keeps beeping",
                                   "Quote for 30 laptops"])
    page.keyboard.press("Enter")
    expect(page.get_by_role("columnheader", name="Number")).to_have_attribute(
        "aria-sort", "ascending")
    expect(subjects).to_have_text(["Quote for 30 laptops", "Badge reader keeps beeping",
                                   "Parking permit renewal"])
    expect(page).to_have_url(re.compile(r"sort=created&order=asc"))
    # Subject, topic and status are not offered as sorts: no index orders them
    for column in ("Subject", "Topic", "Status"):
        expect(page.get_by_role("columnheader", name=column).get_by_role("button"))\
            .to_have_count(0)

    # When she reads the answer, Unread is empty
    rows.filter(has_text="Quote for 30 laptops").get_by_role("link").click()
    expect(page.locator(".message--team")).to_contain_text("The quote is attached.")
    page.goto("/tickets?status=unread")
    expect(page.get_by_text("You have read every answer.")).to_be_visible()

    # And at 1280 px, beside the organization toggle, the search box shows all of its
    # placeholder in English, French and Polish
    for language, placeholder in (("en", "Search tickets or #number"),
                                  ("fr", "Rechercher ou n° de demande"),
                                  ("pl", "Szukaj lub nr zgłoszenia")):
        stack.call("PATCH", "/api/me", {"language": language}, token=stack.tokens[una])
        page.goto("/tickets")
        search = page.get_by_placeholder(placeholder)
        expect(search).to_be_visible()
        expect(page.locator(".segmented").nth(1)).to_be_visible()  # the organization toggle
        assert search.evaluate(PLACEHOLDER_FITS), (language, search.bounding_box())


def test_an_answer_while_the_ticket_is_open_is_read_and_the_folders_say_what_they_do(
    stack, open_page
):
    # Given a customer whose ticket the team resolved with an answer, and another ticket
    email, password = stack.new_customer("Xena Park")
    heating = _ticket(stack, email, "Heating in room 12")
    lights = _ticket(stack, email, "Lights flicker")
    _answer(stack, heating["id"], "The valve is replaced.", action="send")
    stack.wait_for_feed(email, 1)
    admin = stack.token("admin@parley.test")
    retention = stack.call("GET", "/api/admin/settings", token=admin)["settings"][
        "trash_retention_days"]
    stack.call("PATCH", "/api/admin/settings", {"trash_retention_days": 45}, token=admin)
    try:
        page = open_page().page
        sign_in(page, email, password)
        inbox_badge = page.get_by_role("navigation", name="Main").get_by_role(
            "link", name=re.compile("^Inbox")).locator(".badge")
        bell_badge = page.locator(".header").get_by_role(
            "link", name=re.compile("Notifications")).locator(".badge")

        # Then the Inbox and the bell count the one answer alike
        expect(inbox_badge).to_have_text("1")
        expect(bell_badge).to_have_text("1")

        # When an answer arrives on the other ticket while she has it open
        page.goto(f"/tickets/{lights['id']}")
        expect(page.locator(".message")).to_have_count(1)
        with page.expect_response(re.compile(r"/api/portal/tickets/\w+/read$")) as read:
            _answer(stack, lights["id"], "An electrician comes at noon.")
            expect(page.locator(".message--team")).to_contain_text("An electrician comes")
        assert read.value.ok
        # (the event pump has handled the answer once its feed item is written)
        wait_for(lambda: [i for i in stack.call("GET", "/api/notifications",
                                                token=stack.tokens[email])["items"]
                          if i["ticket_id"] == lights["id"]] or None,
                 "the feed item of the answer")

        # Then it is read: neither badge rises (the feed item came read), and the Inbox shows
        # it read
        page.reload()
        expect(page.locator(".message--team")).to_contain_text("An electrician comes")
        expect(inbox_badge).to_have_text("1")
        expect(bell_badge).to_have_text("1")
        page.get_by_role("link", name=re.compile("^Inbox")).click()
        entries = page.locator(".folder-entry")
        expect(entries.filter(has_text="An electrician comes")).not_to_have_class(
            re.compile("is-unread"))
        expect(entries.filter(has_text="The valve is replaced")).to_have_class(
            re.compile("is-unread"))

        # When she opens the answered ticket from the Inbox, both badges clear
        entries.filter(has_text="The valve is replaced").get_by_role("link").click()
        expect(page.locator(".message--team")).to_contain_text("The valve is replaced")
        expect(inbox_badge).to_be_hidden()
        expect(bell_badge).to_be_hidden()

        # And her own messages are never offered as unread, in Sent or in the Trash
        page.get_by_role("link", name=re.compile("^Sent")).click()
        sent = page.locator(".folder-entry").filter(has_text="Heating in room 12")
        expect(sent.get_by_role("button", name="Delete")).to_be_visible()
        expect(sent.get_by_role("button", name="Mark unread")).to_have_count(0)
        sent.get_by_role("button", name="Delete").click()
        expect(page.get_by_text("Moved to the trash.")).to_be_visible()
        page.get_by_role("link", name=re.compile("^Trash")).click()
        # And the Trash says when it empties itself: the server's setting
        expect(page.get_by_text("Messages in the trash are deleted for good after 45 days."))\
            .to_be_visible()
        trashed = page.locator(".folder-entry").filter(has_text="Heating in room 12")
        expect(trashed.get_by_role("button", name="Restore")).to_be_visible()
        expect(trashed.get_by_role("button", name="Mark unread")).to_have_count(0)
    finally:
        stack.call("PATCH", "/api/admin/settings", {"trash_retention_days": retention},
                   token=admin)
