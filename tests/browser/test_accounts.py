"""Signing in: the first sign-in with a temporary password, the end of a session, and what the
sign-in page costs to load."""

from __future__ import annotations

import json
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.support import ARTIFACTS, screenshot, sign_in

pytestmark = pytest.mark.browser

SIGN_IN_BUDGET = 150 * 1024


def test_first_sign_in_with_a_temporary_password_forces_a_new_one(stack, open_page):
    # Given a customer the admin created with a mailed temporary password
    email, temporary = stack.new_customer("Dana Fresh", change_password=False)

    # When they sign in with it
    page = open_page().page
    sign_in(page, email, temporary)

    # Then the portal asks for a new password before anything else
    page.wait_for_url("**/change-password")
    expect(page.get_by_role("heading", name="Change your password")).to_be_visible()
    page.goto("/tickets")
    page.wait_for_url("**/change-password")

    # When they choose one
    page.get_by_label("Temporary password").fill(temporary)
    page.get_by_label("New password", exact=True).fill("copper kettle under blue lanterns")
    page.get_by_label("Repeat the new password").fill("copper kettle under blue lanterns")
    page.get_by_role("button", name="Save the password").click()

    # Then they reach their tickets
    page.wait_for_url("**/tickets")
    expect(page.get_by_role("heading", name="My tickets")).to_be_visible()


def test_a_session_that_ends_shows_the_session_expired_page(stack, open_page):
    # Given a signed-in customer
    email, password = stack.new_customer("Eve Ending")
    page = open_page().page
    sign_in(page, email, password)
    expect(page.get_by_role("heading", name="My tickets")).to_be_visible()

    # When the session ends on the server (the admin disables the account)
    users = stack.call("GET", "/api/admin/users?org_id=acme&limit=100",
                       token=stack.token("admin@parley.test"))["items"]
    user_id = next(u["id"] for u in users if u["email"] == email)
    stack.call("PATCH", f"/api/admin/users/{user_id}", {"status": "disabled"},
               token=stack.token("admin@parley.test"))
    page.get_by_role("link", name="Inbox").click()

    # Then the page says plainly that the session has expired, with a way back in
    expect(page.get_by_role("heading", name="Your session has expired")).to_be_visible()
    page.get_by_role("link", name="Sign in again").click()
    page.wait_for_url("**/login")


def test_the_sign_in_page_is_light_and_sent_with_a_strict_policy(stack, open_page):
    watched = open_page()
    page = watched.page
    transferred: list[tuple[str, int]] = []

    def finished(request):
        sizes = request.sizes()
        transferred.append((request.url, sizes["responseBodySize"] + sizes["responseHeadersSize"]))

    page.on("requestfinished", finished)

    # When a new visitor opens the portal
    response = page.goto("/", wait_until="networkidle")
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()

    # Then the first load transfers at most 150 KB in total
    total = sum(size for _, size in transferred)
    assert all(url.startswith(stack.url + "/") for url, _ in transferred), transferred  # no CDN
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "sign-in-weight.json").write_text(json.dumps(
        {"total_bytes": total, "requests": [{"url": u, "bytes": s} for u, s in transferred]},
        indent=2))
    assert total <= SIGN_IN_BUDGET, f"{total} bytes: {transferred}"

    # And the page is served with a policy that allows no inline script, and nothing broke it
    headers = response.headers
    policy = headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy and "base-uri 'none'" in policy
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"
    assert "strict-transport-security" not in headers  # plain http locally
    assert page.locator("script:not([src])").count() == 0
    assert watched.csp_violations() == []
    screenshot(page, "sign-in", full_page=False)


def test_forgotten_password_link_leads_to_a_new_password(stack, open_page):
    # Given a customer who forgot their password
    email, _ = stack.new_customer("Fay Forgetful")
    page = open_page().page
    page.goto("/login")
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Email").fill(email)
    page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_text("we have sent it a link")).to_be_visible()

    # When they follow the mailed link and choose a new password
    link = stack.mailed_link(email, r"https?://\S+/reset-password\?token=[\w-]+")
    page.goto(link)
    page.get_by_label("New password", exact=True).fill("seven quiet herons at dawn")
    page.get_by_label("Repeat the new password").fill("seven quiet herons at dawn")
    page.get_by_role("button", name="Save the password").click()

    # Then they can sign in with it
    expect(page.get_by_text("Your password was changed.")).to_be_visible()
    sign_in(page, email, "seven quiet herons at dawn")
    expect(page.get_by_role("heading", name="My tickets")).to_be_visible()

    # And the spent link, opened again, says so before any form, with the way to a new one
    page.context.clear_cookies()
    page.goto(link)
    expect(page.get_by_text("This link has expired or was already used.")).to_be_visible()
    expect(page.get_by_label("New password", exact=True)).to_have_count(0)
    page.get_by_role("link", name="Send a new link").click()
    page.wait_for_url("**/forgot-password")


def test_self_registration_with_email_verification(stack, open_page):
    admin = stack.token("admin@parley.test")
    stack.call("PATCH", "/api/admin/settings", {"self_registration": True}, token=admin)
    try:
        # Given a portal that lets people register
        email = f"r-{uuid.uuid4().hex[:8]}@example.test"
        page = open_page().page
        page.goto("/login")
        page.get_by_role("link", name="Create an account").click()

        # When someone registers and follows the mailed link
        page.get_by_label("Your name").fill("Rita Register")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill("violet meadow under nine moons")
        page.get_by_role("button", name="Create an account").click()
        expect(page.get_by_text("open the link we sent")).to_be_visible()
        link = stack.mailed_link(email, r"https?://\S+/verify\?token=[\w-]+")
        page.goto(link)
        page.get_by_label("Password").fill("violet meadow under nine moons")
        page.get_by_role("button", name="Confirm and sign in").click()

        # Then the address is confirmed and they are signed in, the password asked only once
        expect(page.get_by_role("heading", name="My tickets")).to_be_visible()
        expect(page.locator(".header__username")).to_have_text("Rita Register")
    finally:
        stack.call("PATCH", "/api/admin/settings", {"self_registration": False}, token=admin)


def test_signing_in_and_moving_around_with_the_keyboard_only(stack, open_page):
    page = open_page().page
    page.goto("/login")

    # The sign-in form starts in the Email field and is sent with Tab and Enter alone
    expect(page.get_by_label("Email")).to_be_focused()
    page.keyboard.type("bob@acme.test")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password", exact=True)).to_be_focused()
    page.keyboard.type("parley-demo")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="My tickets")).to_be_visible()

    # On a page, the first Tab reaches the skip link, which jumps past the navigation
    page.reload()
    expect(page.get_by_role("heading", name="My tickets")).to_be_visible()
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("main")).to_be_focused()

    # And the focused control is visibly marked
    page.keyboard.press("Tab")
    marked = page.evaluate("""() => {
        const style = getComputedStyle(document.activeElement);
        return document.activeElement !== document.body
            && (style.outlineStyle !== "none" || style.boxShadow !== "none");
    }""")
    assert marked, "the focused control has no visible focus mark"
