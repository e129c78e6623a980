"""Single sign-on: on the sign-in page a customer clicks "Sign in with Demo SSO", signs in at
the real OpenID provider the local stack runs (oidc-provider on Node.js, parley_dev/local/oidc)
with a demo user, and lands signed in on the portal page she was going to."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.support import DEMO_PASSWORD

pytestmark = pytest.mark.browser


def test_a_customer_signs_in_through_the_demo_provider(stack, open_page):
    # Given Alice, signed out, on her way to her tickets
    watched = open_page()
    page = watched.page
    page.goto("/tickets")
    page.wait_for_url(re.compile(r"/login\?next="))

    # When she chooses her company's sign-in instead of a password
    page.get_by_role("link", name="Sign in with Demo SSO").click()

    # Then the provider asks who she is, on its own site
    expect(page.get_by_role("heading", name="Demo SSO")).to_be_visible()
    assert not page.url.startswith(stack.url), page.url

    # When she signs in there with her demo password
    page.get_by_label("Email").fill("alice@acme.test")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    # Then she is back on the portal, signed in, where she was going
    page.wait_for_url(f"{stack.url}/tickets")
    expect(page.get_by_role("heading", name="My tickets")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("Your profile"))).to_be_visible()
    assert "sso" not in page.url
    assert watched.errors == [], watched.errors
