"""Rough edges of issue 16 (item 8) as people meet them: a colleague reading a ticket is not
offered "OK, resolved", and a Polish customer sees the topics and troubleshooters the admin
named in Polish, on a ticket page where "Open" and "Opened" are different words. (The spent
reset link and the one-password registration are in test_accounts.py, beside those flows; the
rules behind all of them in tests/functional/test_rough_edges.py.)"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.support import sign_in

pytestmark = pytest.mark.browser


def test_a_colleague_reading_a_ticket_is_not_offered_ok_resolved(stack, open_page):
    # Given Bob's open ticket, and Alice, of his organization, who has the organization view
    ticket = stack.call("POST", "/api/portal/tickets", {
        "topic": "general", "subject": "Projector in room 4", "body": "It shows no picture."},
        token=stack.token("bob@acme.test"))["ticket"]

    # When Alice opens it
    page = open_page().page
    sign_in(page, "alice@acme.test")
    page.goto(f"/tickets/{ticket['id']}")

    # Then she may answer, but resolving is Bob's to decide: no "OK, resolved" for her
    expect(page.get_by_role("heading", name="Projector in room 4")).to_be_visible()
    expect(page.get_by_role("button", name="Send reply")).to_be_visible()
    expect(page.get_by_role("button", name="OK, resolved")).to_have_count(0)


def test_a_polish_customer_sees_what_the_admin_named_in_polish(stack, open_page):
    admin_token = stack.token("admin@parley.test")
    before = stack.call("GET", "/api/admin/settings", token=admin_token)["settings"]
    try:
        # Given the admin names the technical topic and the VPN troubleshooter in Polish
        admin = open_page().page
        sign_in(admin, "admin@parley.test")
        admin.goto("/admin")
        rows = admin.get_by_role("group", name="Topics", exact=True).locator(".rows__row")
        expect(rows.first).to_be_visible()
        technical = next(row for row in rows.all()
                         if row.get_by_label("Id").input_value() == "technical")
        technical.get_by_label("Polski").fill("Problem techniczny")
        vpn = admin.get_by_role("region", name="Troubleshooters", exact=True).get_by_role(
            "group", name="Can't sign in to the VPN")
        vpn.get_by_text("In other languages").click()
        vpn.get_by_label("Name (Polski)").fill("Nie mogę połączyć się z VPN")
        admin.get_by_role("button", name="Save changes").click()
        expect(admin.get_by_text("The settings are saved.")).to_be_visible()

        # When a customer whose account says Polish opens a technical ticket
        email, password = stack.new_customer("Zofia Wiśniewska", language="pl")
        ticket = stack.call("POST", "/api/portal/tickets", {
            "topic": "technical", "subject": "Drukarka nie drukuje", "body": "Miga na czerwono."},
            token=stack.tokens[email])["ticket"]
        page = open_page().page
        sign_in(page, email, password)

        # Then the new-ticket page offers the topic and the troubleshooter in Polish
        page.goto("/tickets/new")
        expect(page.get_by_role("link", name="Nie mogę połączyć się z VPN")).to_be_visible()
        expect(page.get_by_label("Kategoria").locator("option", has_text="Problem techniczny")
               ).to_have_count(1)

        # And her list and the ticket name its topic in Polish
        page.goto("/tickets")
        row = page.locator(".ticket-row", has_text="Drukarka nie drukuje")
        expect(row).to_contain_text("Problem techniczny")
        page.goto(f"/tickets/{ticket['id']}")
        expect(page.locator(".ticket__meta")).to_contain_text("Problem techniczny")

        # And the ticket's state "Otwarte" (open) is not its date line "Otwarto …" (opened)
        status = page.locator(".ticket__status")
        expect(status.locator(".status")).to_have_text("Otwarte")
        expect(status).to_contain_text(re.compile(r"Otwarto \S"))
        expect(page.locator(".details")).to_contain_text("Data otwarcia")
    finally:
        stack.call("PATCH", "/api/admin/settings", {
            key: before[key] for key in ("topics", "troubleshooters")}, token=admin_token)
