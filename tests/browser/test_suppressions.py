"""Suppressed addresses in the browser, in English, French and Polish: a bounce reported by SES
(injected with `parley mail feedback`, delivered by the stack's event pump) puts a customer's
address on the list; the customer is told in the portal, the agent sees why beside the
requester, and the admin finds the entry with its reason and evidence and lifts it.

The three people of the journey speak the three languages, so one walk reads every page in a
language other than the others' (tests/unit checks that every language has every text)."""

from __future__ import annotations

import subprocess
import sys
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Stack, _stack_environment
from tests.browser.support import (
    PROJECT_DIR,
    no_horizontal_overflow,
    screenshot,
    sign_in,
    wait_for,
)

pytestmark = pytest.mark.browser


@dataclass(frozen=True)
class Words:
    page: str  # the admin page's heading and tab
    reason: str  # "bounced for good"
    lift: str
    confirm: str
    lifted: str  # the start of the success notice
    notice: str  # the start of the portal's notice
    console: str  # the start of the console's line


WORDS = {
    "en": Words("Suppressed addresses", "Bounced for good", "Lift", "Lift the suppression",
                "is emailed again", "We cannot email you at", "Not emailed since"),
    "fr": Words("Adresses bloquées", "Rejet définitif", "Lever", "Lever le blocage",
                "reçoit de nouveau les e-mails", "Nous ne pouvons pas vous écrire à",
                "Plus d'e-mails depuis le"),
    "pl": Words("Zablokowane adresy", "Trwale odrzucona", "Zdejmij", "Zdejmij blokadę",
                "znów wysyłamy wiadomości", "Nie możemy pisać do Ciebie na adres",
                "Bez e-maili od"),
}


def bounce(stack: Stack, address: str) -> None:
    """`parley mail feedback --bounce`, as a developer runs it against the running stack."""
    sent = subprocess.run(  # noqa: S603 - our own CLI
        [sys.executable, "-c", "import sys; from parley_dev.cli import main; sys.exit(main())",
         "mail", "feedback", "--bounce", address],
        cwd=PROJECT_DIR, capture_output=True, timeout=60,
        env={**_stack_environment(), "PARLEY_DEV_STATE": str(stack.state_file)},
    )
    assert sent.returncode == 0, sent.stderr.decode(errors="replace")


def suppression(stack: Stack, address: str, token: str) -> dict[str, Any] | None:
    items = stack.call("GET", f"/api/admin/suppressions?email={address}", token=token)["items"]
    return items[0] if items else None


def bounced(stack: Stack, address: str) -> None:
    """Bounced, and handled by the stack's pump."""
    bounce(stack, address)
    token = stack.token("admin@parley.test")
    wait_for(lambda: suppression(stack, address, token),
             f"the pump's delivery of the bounce of {address}")


def test_a_bounced_customer_is_told_agents_see_why_and_the_admin_lifts_it(stack, open_page):
    languages = {"customer": "pl", "agent": "fr", "admin": "en"}
    tag = uuid.uuid4().hex[:6]
    customer, customer_password = stack.new_customer(f"Bea {tag}",
                                                     language=languages["customer"])
    agent, agent_password = stack.new_user(f"Ari {tag}", role="agent",
                                           language=languages["agent"])
    admin, admin_password = stack.new_user(f"Ada {tag}", role="admin",
                                           language=languages["admin"])
    ticket = stack.call("POST", "/api/portal/tickets", {
        "topic": "general", "subject": f"Badge {tag}", "body": "My badge stopped working."},
        token=stack.tokens[customer])["ticket"]

    # Given SES reports that mail to the customer bounced for good
    bounced(stack, customer)
    admin_token = stack.tokens[admin]

    # Then the customer is told in the portal, in their language
    words = WORDS[languages["customer"]]
    page = open_page().page
    sign_in(page, customer, customer_password)
    told = page.locator(".mail-suppressed")
    expect(told).to_contain_text(f"{words.notice} {customer}")
    screenshot(page, f"suppressions-portal-{languages['customer']}")

    # And the agent sees why beside the requester, in theirs
    words = WORDS[languages["agent"]]
    page = open_page().page
    sign_in(page, agent, agent_password)
    page.goto(f"/console/tickets/{ticket['id']}")
    line = page.locator(".convo-header__requester [data-suppression]")
    expect(line).to_contain_text(words.console)
    expect(line).to_contain_text(words.reason)
    screenshot(page, f"suppressions-console-{languages['agent']}", full_page=False)

    # When the admin opens the Suppressions page from the admin navigation, in theirs
    words = WORDS[languages["admin"]]
    watched = open_page()
    page = watched.page
    sign_in(page, admin, admin_password)
    page.goto("/admin")
    page.get_by_role("link", name=words.page).click()
    expect(page.get_by_role("heading", name=words.page)).to_be_visible()

    # Then the entry is there with its reason and SES's evidence, as text
    row = page.locator("tr", has_text=customer)
    expect(row).to_contain_text(words.reason)
    expect(row).to_contain_text("5.1.1")
    expect(row).to_contain_text(f"<{customer}>: user unknown")
    screenshot(page, f"suppressions-admin-{languages['admin']}")

    # When they lift it, confirming the question that names the address
    row.get_by_role("button", name=words.lift).click()
    row.get_by_role("button", name=words.confirm, exact=True).click()

    # Then the row is gone, the page says so, and mail to the address goes out again
    expect(page.get_by_role("status").filter(has_text=words.lifted)).to_contain_text(customer)
    expect(page.locator("tr", has_text=customer)).to_have_count(0)
    assert suppression(stack, customer, admin_token) is None
    audit = stack.call("GET", "/api/admin/audit?limit=50", token=admin_token)["items"]
    assert any(e["action"] == "suppression.lift" and e["target"] == customer for e in audit)
    assert not watched.errors, watched.errors
    assert not watched.dialogs


def test_the_notice_and_the_suppressions_page_fit_a_phone(stack, open_page):
    # Given a customer whose long address bounced, with SES's long diagnostic
    customer, password = stack.new_customer(
        "Long Address", email=f"a-very-long-mailbox-name-{uuid.uuid4().hex}@acme.test")
    bounced(stack, customer)

    # Then the portal's notice fits a phone screen
    page = open_page(width=390, height=844).page
    sign_in(page, customer, password)
    expect(page.locator(".mail-suppressed")).to_be_visible()
    width, screen = no_horizontal_overflow(page)
    assert width <= screen, (width, screen)

    # And so does the admin's page, its stacked rows naming each value
    page = open_page(width=390, height=844).page
    sign_in(page, "admin@parley.test")
    page.goto("/admin/suppressions")
    row = page.locator("tr", has_text=customer)
    expect(row).to_be_visible()
    width, screen = no_horizontal_overflow(page)
    assert width <= screen, (width, screen)
    screenshot(page, "phone-suppressions")
