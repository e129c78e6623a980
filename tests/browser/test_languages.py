"""The pages speak English, French or Polish: the user's own setting first, else the
browser's languages, else the portal's default."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.support import sign_in

pytestmark = pytest.mark.browser


def test_a_french_browser_gets_the_sign_in_page_in_french(open_page):
    page = open_page(locale="fr-FR").page
    page.goto("/login")
    expect(page.get_by_role("heading", name="Connexion à Parley")).to_be_visible()
    expect(page.get_by_role("button", name="Se connecter")).to_be_visible()
    assert page.evaluate("document.documentElement.lang") == "fr"


def test_the_users_language_wins_over_the_browsers(stack, open_page):
    # Given a customer whose account says Polish, on an English browser
    email, password = stack.new_customer("Zofia Nowak", language="pl")
    page = open_page(locale="en-GB").page

    # When they sign in, the portal speaks Polish
    sign_in(page, email, password)
    expect(page.get_by_role("heading", name="Moje zgłoszenia")).to_be_visible()
    expect(page.get_by_role("link", name="Nowe zgłoszenie").first).to_be_visible()
    assert page.evaluate("document.documentElement.lang") == "pl"
