"""Administration in the browser: branding that every page shows (sign-in included), and
organizations and users created and disabled from the admin pages."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.support import screenshot, sign_in

pytestmark = pytest.mark.browser


def test_branding_set_by_the_admin_appears_on_the_sign_in_page(stack, open_page):
    admin_token = stack.token("admin@parley.test")
    before = stack.call("GET", "/api/admin/settings", token=admin_token)["settings"]
    try:
        # Given an admin on the settings page
        page = open_page().page
        sign_in(page, "admin@parley.test")
        page.goto("/admin")
        expect(page.get_by_role("heading", name="Portal settings")).to_be_visible()

        # When they rename and recolour the portal, add a banner link and an announcement
        page.get_by_label("Portal name").fill("Acme Help Centre")
        page.locator("input.input--colour").first.fill("#7c3aed")
        page.get_by_role("button", name="Add a link").click()
        link = page.get_by_role("group", name="Banner links").locator(".rows__row").last
        link.get_by_label("Label").fill("Service status")
        link.get_by_label("Address (https, http or mailto)").fill("https://status.acme.test/")
        page.get_by_label("Announcement").fill("Planned maintenance on Sunday 06:00-08:00.")
        screenshot(page, "admin-settings")
        page.get_by_role("button", name="Save changes").click()
        expect(page.get_by_text("The settings are saved.")).to_be_visible()

        # Then a visitor who is not signed in sees them on the sign-in page
        visitor = open_page().page
        visitor.goto("/login")
        expect(visitor.get_by_role("heading", name="Sign in to Acme Help Centre")).to_be_visible()
        expect(visitor.get_by_role("link", name="Service status")).to_have_attribute(
            "href", "https://status.acme.test/")
        expect(visitor.get_by_text("Planned maintenance on Sunday")).to_be_visible()
        primary = visitor.evaluate(
            "getComputedStyle(document.documentElement).getPropertyValue('--primary').trim()")
        assert primary == "#7c3aed"
        assert visitor.title().endswith("Acme Help Centre")
        screenshot(visitor, "sign-in-branded", full_page=False)

        # And an invalid colour is refused with a message beside the field
        page.locator("input.input--colour").first.fill("#12345")
        page.get_by_role("button", name="Save changes").click()
        expect(page.get_by_text("Some settings are not valid")).to_be_visible()
        expect(page.get_by_text("primary_color:")).to_be_visible()
    finally:
        stack.call("PATCH", "/api/admin/settings", {
            key: before[key] for key in
            ("portal_name", "primary_color", "banner_links", "announcement")
        }, token=admin_token)


def test_admin_creates_an_organization_and_a_user_then_disables_the_user(stack, open_page):
    org_name = f"Initech {uuid.uuid4().hex[:4]}"
    email = f"milton-{uuid.uuid4().hex[:6]}@initech.test"
    page = open_page().page
    sign_in(page, "admin@parley.test")

    # When the admin creates an organization
    page.goto("/admin/orgs")
    page.get_by_label("Organization name").fill(org_name)
    page.get_by_role("button", name="Create", exact=True).click()
    expect(page.locator(".org-list__item", has_text=org_name)).to_be_visible()

    # And a customer in it
    page.locator(".org-list__item", has_text=org_name).get_by_role("link", name="Users").click()
    page.get_by_text("Add a user").click()
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Name", exact=True).fill("Milton Waddams")
    page.get_by_label("Organization", exact=True).select_option(label=org_name)
    page.get_by_label("Email a temporary password").check()
    page.get_by_role("button", name="Create the user").click()
    expect(page.get_by_text(f"{email} was created")).to_be_visible()
    row = page.locator("tr", has_text=email)
    expect(row).to_contain_text("Active")

    # Then disabling them shows at once
    row.get_by_role("button", name="Disable").click()
    expect(page.locator("tr", has_text=email)).to_contain_text("Disabled")
    assert stack.mails_to(email), "the new user got no mail"

    # And the audit log lists it, with more entries on demand
    page.goto("/admin/audit")
    expect(page.locator("tbody tr").first).to_be_visible()
    expect(page.locator("code", has_text="user.disable").first).to_be_visible()
    screenshot(page, "admin-audit")
