"""Sign-in by a mailed link, the whole way: asked for on the sign-in page, refused in another
browser (and still usable), signing in in the browser that asked, and spent afterwards."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_a_mailed_link_signs_in_only_the_browser_that_asked(stack, open_page):
    admin = stack.token("admin@parley.test")
    stack.call("PATCH", "/api/admin/settings", {"magic_link_sign_in": True}, token=admin)
    try:
        # Given a customer who asks for a sign-in link on the sign-in page
        email, _ = stack.new_customer("Mona Link")
        page = open_page().page
        page.goto("/login")
        page.get_by_role("link", name="Email me a sign-in link").click()
        page.get_by_label("Email").fill(email)
        page.get_by_role("button", name="Email me a link").click()
        expect(page.get_by_text("we have sent it a sign-in link")).to_be_visible()
        link = stack.mailed_link(email, r"https?://\S+/sign-in/link\?token=[\w-]+")

        # When the link is opened in another browser, it says where to open it
        elsewhere = open_page().page
        elsewhere.goto(link)
        refusal = elsewhere.get_by_text("Open this link in the browser where you asked for it.")
        expect(refusal).to_be_visible()
        expect(elsewhere.get_by_role("link", name="Send a new link")).to_be_visible()

        # Then in the browser that asked it still signs in, and leaves no token in the address
        page.goto(link)
        expect(page.get_by_role("heading", name="My tickets")).to_be_visible()
        expect(page.locator(".header__username")).to_have_text("Mona Link")
        assert "token=" not in page.url

        # And a second use is refused, with the way to a new link
        page.goto(link)
        spent = page.get_by_text("This sign-in link has expired or was already used.")
        expect(spent).to_be_visible()
        page.get_by_role("link", name="Send a new link").click()
        expect(page).to_have_url(re.compile(r"/sign-in/link$"))
        expect(page.get_by_role("button", name="Email me a link")).to_be_visible()
    finally:
        stack.call("PATCH", "/api/admin/settings", {"magic_link_sign_in": False}, token=admin)
