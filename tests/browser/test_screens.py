"""The main pages with a realistic day of work in them, saved as screenshots (test-artifacts/):
the customer's ticket list and a ticket, the agent console, the admin settings. Each is also
checked for what a user would look for on it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.support import screenshot, sign_in

pytestmark = pytest.mark.browser


def _scene(stack):
    admin = stack.token("admin@parley.test")
    org = stack.call("POST", "/api/admin/orgs", {"name": "Northwind Traders"}, token=admin)["org"]
    claire_email, claire_password = stack.new_customer(
        "Claire Dubois", org_id=org["id"], org_view=True, email="claire.dubois@northwind.example")
    tom_email, _ = stack.new_customer("Tom Becker", org_id=org["id"],
                                      email="tom.becker@northwind.example")
    maya_email, maya_password = stack.new_user("Maya Lopez", role="agent",
                                               email="maya.lopez@parley.test")
    claire, tom, maya = (stack.tokens[e] for e in (claire_email, tom_email, maya_email))

    def ticket(token, topic, subject, body, **extra):
        return stack.call("POST", "/api/portal/tickets",
                          {"topic": topic, "subject": subject, "body": body, **extra},
                          token=token)["ticket"]["id"]

    def answer(ticket_id, action, body):
        stack.call("POST", f"/api/console/tickets/{ticket_id}/messages",
                   {"action": action, "body": body}, token=maya)

    seats = ticket(claire, "general", "Add two seats to our Business plan",
                   "Hi, we are hiring two people next month. Could you add two seats to our "
                   "Business plan from the 1st?")
    answer(seats, "send", "Done: two seats are added from the 1st, and the next invoice shows "
           "them pro rata. Welcome to your new colleagues!")
    stack.call("PUT", f"/api/portal/tickets/{seats}/rating",
               {"score": 5, "comment": "Fast, thank you!"}, token=claire)
    calendar = ticket(tom, "technical", "Cannot open the shared calendar", "", troubleshooter={
        "name": "Calendar access", "answers": [
            {"question": "Which calendar?", "answer": "Sales team (shared)"},
            {"question": "What do you see?", "answer": "\"You do not have permission\""},
            {"question": "Did it work before?", "answer": "Yes, until Friday"}]})
    stack.call("POST", f"/api/console/tickets/{calendar}/assign",
               {"assignee_id": stack.call("GET", "/api/me", token=maya)["user"]["id"]},
               token=maya)
    stack.call("PATCH", f"/api/console/tickets/{calendar}",
               {"title": "Shared calendar: permission denied"}, token=maya)
    export = ticket(claire, "billing", "Export of all 2026 invoices as CSV",
                    "For our year-end closing, can we get every invoice of 2026 as one CSV file?")
    answer(export, "send_leave_open", "Yes — I have asked billing for the export; you will find "
           "it in this ticket's documents by Thursday.")
    vpn = ticket(claire, "technical", "VPN disconnects every 20 minutes",
                 "Since Monday the VPN drops every 20 minutes for the whole Lyon office. "
                 "Reconnecting works, but calls are cut.")
    stack.call("POST", f"/api/portal/tickets/{vpn}/messages",
               {"body": "It also happens on the guest Wi-Fi, so it is not our switch."},
               token=claire)
    stack.call("PATCH", f"/api/console/tickets/{vpn}", {"title": "VPN drops in the Lyon office"},
               token=maya)
    answer(vpn, "note", "Matches the idle timeout of the old concentrator in Lyon (20 min). "
           "Asked the network team to move the office to the new gateway tonight.")
    answer(vpn, "send_leave_open", "Thank you Claire, that helps. We found the cause on our side "
           "and move your office to a new gateway tonight at 22:00. Could you tell us tomorrow "
           "whether the drops are gone?")
    invoice = ticket(claire, "billing", "Invoice INV-2041 charged twice",
                     "Our card was charged twice for invoice INV-2041 (EUR 1,240.00) on the 3rd.")
    answer(invoice, "send_leave_open", "You are right, the second charge is a duplicate. The "
           "refund is on its way and shows on your statement within 3 to 5 working days.")
    for seen in (seats, export):
        stack.call("GET", f"/api/portal/tickets/{seen}", token=claire)  # reading marks it read
    return {"claire": (claire_email, claire_password), "maya": (maya_email, maya_password),
            "vpn": vpn}


def banner_links_shown(page):
    links = page.get_by_role("navigation", name="Useful links")
    expect(links.get_by_role("link", name="Service status")).to_have_attribute(
        "href", "https://status.example.com/")
    expect(links.get_by_role("link")).to_have_count(3)


def test_main_pages_look_right(stack, open_page):
    admin = stack.token("admin@parley.test")
    before = stack.call("GET", "/api/admin/settings", token=admin)["settings"]
    stack.call("PATCH", "/api/admin/settings", {"banner_links": [
        {"label": "Service status", "url": "https://status.example.com/"},
        {"label": "Knowledge base", "url": "https://help.example.com/"},
        {"label": "Call us: +33 1 23 45 67 89", "url": "https://example.com/contact"},
    ]}, token=admin)
    try:
        scene = _scene(stack)

        # The customer's tickets, and one of them
        portal = open_page(width=1280, height=900).page
        sign_in(portal, *scene["claire"])
        portal.goto("/tickets?status=all")
        expect(portal.locator(".ticket-row")).to_have_count(4)
        expect(portal.locator(".ticket-row.is-unread")).to_have_count(2)
        banner_links_shown(portal)
        screenshot(portal, "screen-portal-tickets", full_page=False)
        portal.goto(f"/tickets/{scene['vpn']}")
        portal.locator(".documents input[type=file]").set_input_files(files=[{
            "name": "vpn-client-log.txt", "mimeType": "text/plain",
            "buffer": b"12:00:01 connected\n12:20:02 disconnected: idle timeout\n"}])
        expect(portal.locator(".documents__item")).to_have_count(1)
        expect(portal.locator(".message")).to_have_count(3)
        expect(portal.get_by_text("Matches the idle timeout")).to_have_count(0)  # internal
        portal.set_viewport_size({"width": 1280, "height": 1040})  # the whole thread in view
        portal.evaluate("window.scrollTo(0, 0)")
        screenshot(portal, "screen-portal-ticket", full_page=False)

        # The agent's console on the same conversation: the internal note stands apart
        console = open_page(width=1280, height=1440).page
        sign_in(console, *scene["maya"])
        banner_links_shown(console)
        console.get_by_role("button", name="Assigned to me").click()
        first = console.locator(".convo__link").first
        expect(first).to_have_attribute("href", re.compile("mine=1"))
        expect(console.locator(".convo")).to_have_count(4)
        console.locator(".convo", has_text="VPN disconnects").get_by_role("link").click()
        note = console.locator(".message--internal")
        expect(note).to_contain_text("Internal note")
        expect(note).to_contain_text("Matches the idle timeout")
        expect(console.locator(".documents__item")).to_contain_text("vpn-client-log.txt")
        console.get_by_label("Your answer or note").fill(
            "The gateway switch is done. Drops should be gone; I will check again tomorrow.")
        console.evaluate("window.scrollTo(0, 0)")
        screenshot(console, "screen-console", full_page=False)

        # The admin's settings
        settings = open_page(width=1280, height=800).page
        sign_in(settings, "admin@parley.test")
        settings.goto("/admin")
        expect(settings.get_by_role("heading", name="Branding")).to_be_visible()
        banner_links_shown(settings)
        screenshot(settings, "screen-admin", full_page=False)
    finally:
        stack.call("PATCH", "/api/admin/settings", {"banner_links": before["banner_links"]},
                   token=admin)
