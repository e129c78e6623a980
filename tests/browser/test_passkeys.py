"""Passkeys, end to end, with Chromium's virtual authenticator (the CDP WebAuthn domain): a
customer adds a passkey in the profile's Security section, signs out, signs in with it and no
password, then uses it as the second step after her password; renames it and removes it.

WebAuthn takes no IP address as RP ID: the local stack's public URL is http://127.0.0.1:<port>,
whose passkeys belong to "localhost" (services/passkeys.py), so this page is opened there."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def sign_in_with_password(page: Any, email: str, password: str) -> None:
    # Here the sign-in page has a second button whose name starts "Sign in": exactly this one
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()


@pytest.fixture
def localhost_page(browser: Any, stack: Any) -> Iterator[tuple[Any, Any, list[str]]]:
    """A page on http://localhost:<port> with a platform authenticator that holds resident keys
    and verifies its user (as a phone or laptop with a fingerprint reader does)."""
    context = browser.new_context(base_url=stack.url.replace("127.0.0.1", "localhost"),
                                  viewport={"width": 1280, "height": 860}, locale="en-GB")
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    # A poll the page had in flight when she signed out is refused (401): the browser logs it,
    # and it says nothing about passkeys
    page.on("console", lambda m: errors.append(m.text) if m.type == "error"
            and "status of 401" not in m.text else None)
    page.on("pageerror", lambda e: errors.append(f"uncaught: {e}"))
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    authenticator = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "internal", "hasResidentKey": True,
        "hasUserVerification": True, "isUserVerified": True,
        "automaticPresenceSimulation": True}})
    yield page, lambda: cdp.send("WebAuthn.getCredentials", authenticator)["credentials"], errors
    context.close()


def test_a_customer_signs_in_with_a_passkey_instead_of_a_password_and_after_it(
    stack, localhost_page
):
    page, credentials, errors = localhost_page
    # Given Kai, signed in with her password
    email, password = stack.new_customer("Kai Passkey")
    sign_in_with_password(page, email, password)
    page.wait_for_url(re.compile(r"/tickets"))

    # When she adds a passkey from her profile's Security section
    page.get_by_role("link", name=re.compile("Your profile")).click()
    section = page.get_by_role("region", name="Passkeys")
    expect(section).to_contain_text("No passkeys yet.")
    section.get_by_label("Name of the new passkey").fill("Work laptop")
    section.get_by_role("button", name="Add a passkey").click()

    # Then it is listed, not used yet, and her device holds it as a discoverable credential
    expect(section.get_by_role("status")).to_contain_text("The passkey Work laptop was added.")
    item = section.get_by_role("listitem").filter(has_text="Work laptop")
    expect(item).to_contain_text("Not used yet")
    [held] = credentials()
    assert held["isResidentCredential"] and held["rpId"] == "localhost"

    # When she signs out and signs in with the passkey, typing no password
    page.get_by_role("button", name="Sign out", exact=True).click()
    page.wait_for_url(re.compile(r"/login$"))
    page.get_by_role("button", name="Sign in with a passkey").click()

    # Then she is in, as herself
    page.wait_for_url(re.compile(r"/tickets"))
    expect(page.locator(".header__username")).to_have_text("Kai Passkey")

    # When she signs out and in with her password: the passkey is now her second step
    page.get_by_role("button", name="Sign out", exact=True).click()
    page.wait_for_url(re.compile(r"/login$"))
    sign_in_with_password(page, email, password)
    page.get_by_role("button", name="Use a passkey").click()
    page.wait_for_url(re.compile(r"/tickets"))
    assert credentials()[0]["signCount"] >= 2  # the authenticator signed twice

    # And her profile says when it was last used; she renames it, then removes it
    page.get_by_role("link", name=re.compile("Your profile")).click()
    section = page.get_by_role("region", name="Passkeys")
    item = section.get_by_role("listitem").filter(has_text="Work laptop")
    expect(item).to_contain_text("Last used")
    item.get_by_role("button", name="Rename the passkey Work laptop").click()
    section.get_by_label("New name").fill("Old laptop")
    section.get_by_role("button", name="Save").click()
    expect(section.get_by_role("status")).to_contain_text("now called Old laptop")
    section.get_by_role("button", name="Remove the passkey Old laptop").click()
    # Removing asks once more: keeping it changes nothing
    section.get_by_role("button", name="Keep it").click()
    section.get_by_role("button", name="Remove the passkey Old laptop").click()
    section.get_by_role("button", name="Remove for good").click()
    expect(section.get_by_role("status")).to_contain_text("The passkey Old laptop was removed.")
    expect(section).to_contain_text("No passkeys yet.")
    assert not errors, errors
