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


def test_a_french_agent_reads_the_conversation_history_in_french(stack, open_page):
    # Given a conversation whose history an English-speaking agent made: assigned to a
    # French-speaking colleague, retitled, blocked, unblocked and set waiting on the customer
    email, password = stack.new_user("Léa Dubois", role="agent", language="fr")
    lea = stack.call("GET", "/api/me", token=stack.tokens[email])["user"]
    ticket = stack.call("POST", "/api/portal/tickets", {
        "topic": "general", "subject": "Printer offline", "body": "It says offline again."},
        token=stack.token("alice@acme.test"))["ticket"]
    base = f"/api/console/tickets/{ticket['id']}"
    agent = stack.token("agent@parley.test")
    stack.call("POST", f"{base}/assign", {"assignee_id": lea["id"]}, token=agent)
    stack.call("PATCH", base, {"title": "Printer offline after the update"}, token=agent)
    stack.call("POST", f"{base}/block", {"reason": "Repeated insults"}, token=agent)
    stack.call("POST", f"{base}/unblock", {}, token=agent)
    stack.call("PATCH", base, {"status": "pending"}, token=agent)

    # When the French-speaking agent opens it
    page = open_page().page
    sign_in(page, email, password)
    page.goto(f"/console/tickets/{ticket['id']}")

    # Then every line of its history is in French, with the names and words it carries
    history = page.locator(".thread .event")
    expect(history).to_have_count(5)
    expect(history.nth(0)).to_contain_text("Attribuée à Léa Dubois.")
    expect(history.nth(1)).to_contain_text("Titre modifié (avant : « It says offline again. »).")
    expect(history.nth(2)).to_contain_text("Messages bloqués : Repeated insults")
    expect(history.nth(3)).to_contain_text("Messages débloqués.")
    expect(history.nth(4)).to_contain_text("En attente du client.")
    expect(page.locator(".thread")).not_to_contain_text("Assigned to")
    expect(page.locator(".thread")).not_to_contain_text("Messaging")
