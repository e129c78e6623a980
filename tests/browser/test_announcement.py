"""The announcement's small markup in the browser: the admin types bold, italic and a link with a
live preview, customers see them as such and the link works; hostile text stays inert text; and
the page reads the markup exactly as the server checks it (web/assets/js/markup.js against
chalicelib/services/markup.py, on the unit tier's hostile corpus)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from chalicelib.services.markup import parse
from tests.browser.support import sign_in
from tests.browser.test_hostile_input import INJECTED
from tests.unit.test_markup import CORPUS

pytestmark = pytest.mark.browser

ANNOUNCEMENT = ("**Maintenance** on *Sunday* 06:00-08:00.\n"
                "See [our status page](https://status.acme.test/now) for news.")
HOSTILE = ("<img src=x onerror=alert('img')> **<script>alert('b')</script>** "
           "\\[x\\](javascript:alert('c')) <a href=\"javascript:alert('d')\">e</a>")
READ_IN_THE_PAGE = """async (corpus) => {
  const { parseMarkup } = await import('/assets/js/markup.js');
  return corpus.map((text) => parseMarkup(text));
}"""


def test_an_announcement_with_emphasis_and_a_link_reaches_customers(stack, open_page):
    admin_token = stack.token("admin@parley.test")
    before = stack.call("GET", "/api/admin/settings", token=admin_token)["settings"]
    try:
        # Given an admin typing an announcement with emphasis and a link
        admin = open_page().page
        sign_in(admin, "admin@parley.test")
        admin.goto("/admin")
        field = admin.get_by_role("textbox", name="Announcement")
        expect(admin.locator(".field__hint code", has_text="**bold**")).to_have_text(
            "**bold** *italic* [link](https://…)")
        field.fill(ANNOUNCEMENT)

        # Then the preview shows them as customers will, before anything is saved
        preview = admin.locator(".announcement-preview")
        expect(preview.locator("strong")).to_have_text("Maintenance")
        expect(preview.locator("em")).to_have_text("Sunday")
        expect(preview.get_by_role("link", name="our status page")).to_have_attribute(
            "href", "https://status.acme.test/now")

        # When they save it
        admin.get_by_role("button", name="Save changes").click()
        expect(admin.get_by_text("The settings are saved.")).to_be_visible()

        # Then a customer sees a bold word and a link that works, in the same tab
        watched = open_page()
        customer = watched.page
        customer.route("https://status.acme.test/**", lambda route: route.fulfill(
            content_type="text/html", body="<title>Acme status</title>All systems normal"))
        sign_in(customer, "carol@globex.test")
        banner = customer.get_by_role("complementary", name="Announcement")
        expect(banner.locator("strong")).to_have_text("Maintenance")
        expect(banner.locator("em")).to_have_text("Sunday")
        expect(banner).to_contain_text("See our status page for news.")
        expect(banner.locator("p br")).to_have_count(1)  # the line break typed
        link = banner.get_by_role("link", name="our status page")
        expect(link).to_have_attribute("rel", "noopener noreferrer")
        assert link.get_attribute("target") is None
        link.click()
        customer.wait_for_url("https://status.acme.test/now")
        expect(customer.get_by_text("All systems normal")).to_be_visible()

        # When the announcement is hostile markup typed as text
        stack.call("PATCH", "/api/admin/settings", {"announcement": HOSTILE}, token=admin_token)
        customer.goto("/tickets")

        # Then it is shown as the text it is, emphasis aside, and nothing runs
        banner = customer.get_by_role("complementary", name="Announcement")
        expect(banner.locator("strong")).to_have_text("<script>alert('b')</script>")
        expect(banner).to_contain_text("<img src=x onerror=alert('img')>")
        expect(banner).to_contain_text("[x](javascript:alert('c'))")
        expect(banner.get_by_role("link")).to_have_count(0)
        assert customer.evaluate(INJECTED) == []
        assert watched.dialogs == [] and watched.csp_violations() == []

        # And the page reads every case of the hostile corpus as the server does
        assert customer.evaluate(READ_IN_THE_PAGE, CORPUS) == [
            parse(text).paragraphs for text in CORPUS]
    finally:
        stack.call("PATCH", "/api/admin/settings", {"announcement": before["announcement"]},
                   token=admin_token)
