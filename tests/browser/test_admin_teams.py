"""Teams in the admin pages: the admin creates a team, renames it and sets the address its
support alerts go to while nobody is assigned, and that address gets the next alert."""

from __future__ import annotations

import time
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.support import screenshot, sign_in

pytestmark = pytest.mark.browser


def _wait_for_mail(stack, address: str, subject: str) -> dict:
    for _ in range(100):
        found = [m for m in stack.mails_to(address) if subject in m["text"] + m["subject"]]
        if found:
            return found[0]
        time.sleep(0.2)
    raise AssertionError(f"no mail about {subject!r} reached {address}")


def test_admin_creates_renames_and_sets_the_alert_address_of_a_team(stack, open_page):
    suffix = uuid.uuid4().hex[:6]
    team_id, address = f"billing-{suffix}", f"invoices-{suffix}@parley.test"

    # Given an admin on the Teams section of the admin pages
    page = open_page().page
    sign_in(page, "admin@parley.test")
    page.goto("/admin")
    page.get_by_role("navigation", name="Administration").get_by_role("link", name="Teams").click()
    expect(page.get_by_role("heading", name="Teams", level=1)).to_be_visible()
    support = page.get_by_role("region", name="Support")
    expect(support.get_by_label("Alert address")).to_have_value("helpdesk@parley.test")

    # When they create a team
    page.get_by_text("Add a team").click()
    page.get_by_label("Id", exact=True).fill(team_id)
    page.get_by_label("Name", exact=True).first.fill("Billing")
    page.get_by_role("button", name="Create the team").click()

    # Then it is listed, with no alert address of its own yet
    expect(page.get_by_text("The team Billing was created.")).to_be_visible()
    card = page.locator(f"[data-team-id='{team_id}']")
    expect(card.get_by_role("heading", name="Billing")).to_be_visible()
    expect(card.get_by_label("Alert address")).to_have_value("")
    expect(card.get_by_label("Alert address")).to_have_attribute(
        "placeholder", "None: the portal's support address")

    # And the same id cannot be taken twice
    page.get_by_label("Id", exact=True).fill(team_id)
    page.locator("form.form").get_by_label("Name", exact=True).fill("Billing again")
    page.get_by_role("button", name="Create the team").click()
    expect(page.get_by_text("A team with this id already exists.")).to_be_visible()

    # When they rename it and give it the portal's own sender address, they are told why not
    card.get_by_label("Name").fill("Billing and invoices")
    card.get_by_label("Alert address").fill("support@parley.test")
    card.get_by_role("button", name="Save").click()
    expect(card.get_by_role("alert")).to_have_text(
        "Some fields are not valid; see the messages below them.")
    refusal = card.get_by_text("The portal's own sender address cannot receive alerts")
    expect(refusal).to_be_visible()
    expect(card.get_by_label("Alert address")).to_have_attribute("aria-invalid", "true")

    # And with an address of the team's own, it is saved
    card.get_by_label("Alert address").fill(address)
    card.get_by_role("button", name="Save").click()
    expect(card.get_by_role("status")).to_have_text("The team Billing and invoices is saved.")
    expect(card.get_by_role("heading", name="Billing and invoices")).to_be_visible()
    screenshot(page, "admin-teams")

    # Then the page shows both after a reload
    page.reload()
    card = page.locator(f"[data-team-id='{team_id}']")
    expect(card.get_by_role("heading", name="Billing and invoices")).to_be_visible()
    expect(card.get_by_label("Alert address")).to_have_value(address)

    # And a customer's new ticket in a topic of that team, nobody assigned, alerts that address
    admin = stack.token("admin@parley.test")
    before = stack.call("GET", "/api/admin/settings", token=admin)["settings"]["topics"]
    topic = {"id": f"invoices-{suffix}", "name": f"Invoices {suffix}", "team_id": team_id}
    stack.call("PATCH", "/api/admin/settings", {"topics": [*before, topic]}, token=admin)
    try:
        subject = f"Invoice {suffix} is twice the quote"
        stack.call("POST", "/api/portal/tickets", {
            "topic": topic["id"], "subject": subject, "body": "Please check the total."},
            token=stack.token("alice@acme.test"))
        _wait_for_mail(stack, address, subject)
    finally:
        stack.call("PATCH", "/api/admin/settings", {"topics": before}, token=admin)

    # When the address is removed, the team has none again
    card.get_by_label("Alert address").fill("")
    card.get_by_role("button", name="Save").click()
    expect(card.get_by_role("status")).to_have_text("The team Billing and invoices is saved.")
    teams = stack.call("GET", "/api/admin/teams", token=admin)["items"]
    assert next(t for t in teams if t["id"] == team_id)["email"] is None
