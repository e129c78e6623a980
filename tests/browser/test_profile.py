"""The profile page: a customer signs out a session they do not recognise, renames themselves
and switches to Polish, and a reload (or the footer's choice afterwards) keeps what they chose."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.support import sign_in

pytestmark = pytest.mark.browser


def test_a_customer_keeps_name_and_language_and_signs_out_another_session(stack, open_page):
    # Given Pia, signed in through the API somewhere (a script: no browser named) and here
    email, password = stack.new_customer("Pia Nowak")
    elsewhere = stack.tokens[email]
    watched = open_page()
    page = watched.page
    sign_in(page, email, password)

    # When she opens her profile from the header
    page.get_by_role("link", name=re.compile("Your profile")).click()
    expect(page.get_by_role("heading", name="Your profile", level=1)).to_be_visible()
    sessions = page.get_by_role("region", name="Where you are signed in")
    items = sessions.get_by_role("listitem")

    # Then she sees both sessions, this one first and marked, the other with a sign-out button
    expect(items).to_have_count(2)
    expect(items.first).to_contain_text("this device")
    expect(items.first.get_by_role("button")).to_have_count(0)
    expect(items.nth(1)).to_contain_text("Unknown device")

    # When she signs the other one out
    items.nth(1).get_by_role("button", name=re.compile("^Sign out Unknown device")).click()

    # Then it leaves the list, the page says so, and that session no longer works
    expect(items).to_have_count(1)
    expect(sessions.get_by_role("status")).to_contain_text("is signed out")
    with pytest.raises(AssertionError, match="401"):
        stack.call("GET", "/api/me", token=elsewhere)
    del stack.tokens[email]  # that session is gone

    # When she changes her name and her language, and saves
    details = page.get_by_role("region", name="Your details")
    details.get_by_label("Name", exact=True).fill("Pia Kowalska")
    details.get_by_label("Language", exact=True).select_option("pl")
    details.get_by_role("button", name="Save", exact=True).click()

    # Then the page speaks Polish, says it saved, and the header has her new name
    expect(page.get_by_role("heading", name="Twój profil", level=1)).to_be_visible()
    expect(page.get_by_role("status").first).to_contain_text("Twój profil został zapisany")
    expect(page.locator(".header__username")).to_have_text("Pia Kowalska")

    # And after a reload both are kept: they are the account's, not the tab's
    page.reload()
    expect(page.get_by_role("heading", name="Twój profil", level=1)).to_be_visible()
    details = page.get_by_role("region", name="Twoje dane")
    expect(details.get_by_label("Imię i nazwisko", exact=True)).to_have_value("Pia Kowalska")
    assert page.evaluate("document.documentElement.lang") == "pl"

    # And the footer's choice is kept on the account too: English survives a reload (the
    # account's language wins over the tab's, so this one is the account's)
    page.locator("#language-select").select_option("en")
    expect(page.get_by_role("heading", name="Your profile", level=1)).to_be_visible()
    page.reload()
    expect(page.get_by_role("heading", name="Your profile", level=1)).to_be_visible()
    expect(page.get_by_role("region", name="Your details").get_by_label("Language", exact=True)
           ).to_have_value("en")
    assert not watched.errors, watched.errors
