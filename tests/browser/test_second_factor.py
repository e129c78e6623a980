"""Two-step verification with an authenticator app, the whole way: set up from the profile's
Security section (the key read off the page, the codes computed as an app would, with pyotp),
then signing in with the password and a code, once with a recovery code, and, the phone lost,
after an admin's reset from the users page, with the password alone."""

from __future__ import annotations

import re
import time
import uuid

import pyotp
import pytest
from playwright.sync_api import expect

from tests.browser.support import screenshot, sign_in

pytestmark = pytest.mark.browser


def sign_in_with_password(page, email: str, password: str) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()


def sign_out(page) -> None:
    page.get_by_role("button", name="Sign out", exact=True).click()
    page.wait_for_url(re.compile(r"/login$"))


def test_an_authenticator_app_set_up_in_the_profile_guards_the_next_sign_ins(stack, open_page):
    # Given a signed-in customer on her profile (of an organization of her own: the admin finds
    # her on its first page of customers)
    org = stack.call("POST", "/api/admin/orgs", {"name": f"Totp {uuid.uuid4().hex[:6]}"},
                     token=stack.token("admin@parley.test"))["org"]
    email, password = stack.new_customer("Tess Totp", org_id=org["id"])
    page = open_page().page
    sign_in(page, email, password)
    page.get_by_role("link", name=re.compile("Your profile")).click()
    section = page.get_by_role("region", name="Two-step verification")

    # When she sets up an authenticator app: a QR code, and the key as text for typing in
    section.get_by_role("button", name="Set up an authenticator app").click()
    qr = section.get_by_role("img", name="QR code to scan with your authenticator app")
    expect(qr).to_be_visible()
    key = section.locator("[data-secret]")
    expect(key).to_be_visible()
    totp = pyotp.TOTP(key.get_attribute("data-secret"))
    assert key.inner_text().replace(" ", "") == totp.secret
    # (the code of the step before: clocks drift, and it leaves the steps to come for sign-in)
    section.get_by_label("Code from the app").fill(totp.at(int(time.time()) - 30))
    section.get_by_role("button", name="Confirm").click()

    # Then she is shown ten recovery codes, once, and the section says it is on
    codes = section.locator("[data-recovery-codes] li")
    expect(codes).to_have_count(10)
    recovery = codes.first.inner_text().strip()
    said = section.get_by_role("status").filter(has_text="Two-step verification is on.")
    expect(said).to_be_visible()
    section.get_by_role("button", name="Done").click()
    expect(section).to_contain_text("10 recovery codes left.")

    # When she signs out and in again, the password is not enough
    sign_out(page)
    sign_in_with_password(page, email, password)
    expect(page.get_by_role("heading", name="Two-step verification")).to_be_visible()
    page.get_by_label("Code from the app").fill(totp.at(int(time.time()) + 30))
    page.get_by_role("button", name="Verify").click()

    # Then the code lets her in
    page.wait_for_url(re.compile(r"/tickets"))
    expect(page.locator(".header__username")).to_have_text("Tess Totp")

    # And once, without her phone, a recovery code does instead
    sign_out(page)
    sign_in_with_password(page, email, password)
    page.get_by_role("button", name="Use a recovery code instead").click()
    page.get_by_label("Recovery code").fill(recovery)
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url(re.compile(r"/tickets"))
    page.get_by_role("link", name=re.compile("Your profile")).click()
    expect(page.get_by_role("region", name="Two-step verification")).to_contain_text(
        "9 recovery codes left.")

    # When she has lost her phone, and an admin resets her two-step verification from the
    # users page (a confirmation first)
    admin = open_page().page
    sign_in(admin, "admin@parley.test")
    admin.goto(f"/admin/users?org={org['id']}")
    admin.locator("tr", has_text=email).get_by_role("button", name="Edit Tess Totp").click()
    form = admin.get_by_role("form", name="Edit Tess Totp")
    factor = form.get_by_role("group", name="Two-step verification")
    expect(factor).to_contain_text("On: Authenticator app")
    factor.get_by_role("button", name="Reset two-step verification").click()
    expect(factor).to_contain_text("Remove the authenticator app, recovery codes and passkeys")
    screenshot(admin, "admin-second-factor-reset")
    factor.get_by_role("button", name="Reset", exact=True).click()
    expect(factor).to_contain_text("The two-step verification of Tess Totp is reset.")
    expect(factor).to_contain_text("Not set up")

    # Then she signs in with her password alone
    sign_out(page)
    sign_in_with_password(page, email, password)
    page.wait_for_url(re.compile(r"/tickets"))
