"""axe-core (WCAG 2.0 and 2.1, A and AA) on every page, in the light and then the dark colour
scheme: a serious or critical violation fails the test, naming the rule, the element and the help.

One page per role, moving by the page's own links where it has them; the scheme is switched on
the same page (`emulate_media`), which also asks for reduced motion so that no colour is caught
mid-transition. axe is added to every document of the test's own browser context as an init
script: Playwright injects those through the DevTools protocol, which the portal's Content
Security Policy (script-src 'self') does not govern, whereas a <script> tag added to the page
would be refused. No rule is disabled."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.support import PROJECT_DIR, sign_in

pytestmark = pytest.mark.browser

AXE = PROJECT_DIR / "node_modules" / "axe-core" / "axe.min.js"
RUN_AXE = """async () => {
  const result = await axe.run(document, {
    runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] },
    resultTypes: ["violations"],
  });
  return result.violations
    .filter((rule) => rule.impact === "serious" || rule.impact === "critical")
    .flatMap((rule) => rule.nodes.map((node) => ({
      rule: rule.id, impact: rule.impact, help: rule.help,
      target: node.target.join(" "), why: node.failureSummary || "",
    })));
}"""
# A dark logo on a transparent background, as an admin may well upload (8 x 8 pixels).
DARK_LOGO = ("data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAYAAADED76LAAAAHUlEQVR42"
             "mNgAAJBCfX/IIyNjVcSrgCfKQxDwQoAgGY4Rk/7pR4AAAAASUVORK5CYII=")


class Axe:
    """One page of one role, checked wherever it goes; what was found is reported at the end."""

    def __init__(self, watched: Any) -> None:
        if not AXE.exists():
            pytest.fail(f"{AXE} is missing: `npm ci` in {PROJECT_DIR} installs it", pytrace=False)
        self.page = watched.page
        self.page.context.add_init_script(path=str(AXE))
        self.found: list[str] = []

    def visit(self, path: str, ready: str = "h1") -> None:
        """Go to `path` as a user would: by a link of the page when it shows one (the app moves
        without loading the document again), else by its address; then check it."""
        link = self.page.locator(f'a[href="{path}"]:visible').first
        if link.count():
            link.click()
            self.page.wait_for_url(lambda url: url.endswith(path))
        else:
            self.page.goto(path)
        self.check(path, ready)

    def check(self, where: str, ready: str = "h1") -> None:
        """Once the page has drawn (its main no longer busy, `ready` shown), axe in both
        schemes."""
        page = self.page
        expect(page.locator("main[aria-busy], #app[aria-busy]")).to_have_count(0)
        expect(page.locator(ready).first).to_be_visible()
        for scheme in ("light", "dark"):
            page.emulate_media(color_scheme=scheme, reduced_motion="reduce")
            self.found += [f"{where} ({scheme}): {v['rule']} ({v['impact']}) at {v['target']}: "
                           f"{v['help']}\n    {v['why']}" for v in page.evaluate(RUN_AXE)]

    def assert_clean(self) -> None:
        assert not self.found, "accessibility violations:\n" + "\n".join(self.found)


def _settings(stack: Any, changes: dict[str, Any]) -> dict[str, Any]:
    """Apply `changes` to the portal's settings; returns what they replaced."""
    admin = stack.token("admin@parley.test")
    before = stack.call("GET", "/api/admin/settings", token=admin)["settings"]
    stack.call("PATCH", "/api/admin/settings", changes, token=admin)
    return {key: before[key] for key in changes}


@pytest.fixture
def dressed_portal(stack):
    """The shell with everything it can show around a page: an announcement with a link and
    emphasis, and banner links."""
    before = _settings(stack, {
        "announcement": "**Maintenance** on *Sunday* 06:00-08:00, see [status](https://status.acme.test/).",
        "banner_links": [{"label": "Service status", "url": "https://status.acme.test/"}],
    })
    yield
    _settings(stack, before)


@pytest.fixture
def conversation(stack):
    """A customer's ticket that the team answered, with an internal note beside the answer: the
    ticket id and the customer's email and password."""
    email, password = stack.new_customer("Ada Contrast")
    customer = stack.tokens[email]
    ticket_id = stack.call("POST", "/api/portal/tickets", {
        "topic": "billing", "subject": "Invoice 2041 charged twice",
        "body": "Our card was charged twice for invoice 2041 on the 3rd.",
    }, token=customer)["ticket"]["id"]
    agent = stack.token("agent@parley.test")
    for action, body in (("note", "Duplicate charge confirmed by finance."),
                         ("send_leave_open", "You are right: the refund is on its way.")):
        stack.call("POST", f"/api/console/tickets/{ticket_id}/messages",
                   {"action": action, "body": body}, token=agent)
    stack.call("GET", f"/api/portal/tickets/{ticket_id}", token=customer)
    return ticket_id, email, password


def test_signed_out_pages(stack, open_page, dressed_portal):
    before = _settings(stack, {"self_registration": True})
    try:
        axe = Axe(open_page())
        page = axe.page
        # The sign-in page, then the same page refusing a wrong password
        axe.visit("/login")
        page.get_by_label("Email").fill("nobody@acme.test")
        page.get_by_label("Password", exact=True).fill("not the password")
        page.get_by_role("button", name="Sign in").click()
        axe.check("/login, refused", ".notice--error")
        for path in ("/register", "/forgot-password", "/reset-password?token=t" + uuid.uuid4().hex,
                     "/reset-password", "/verify?token=t" + uuid.uuid4().hex,
                     "/session-expired?reason=idle"):
            axe.visit(path)
        # The page follows the system's dark setting
        page.emulate_media(color_scheme="dark")
        assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(16, 18, 22)"
    finally:
        _settings(stack, before)
    axe.assert_clean()


def test_customer_pages(stack, open_page, dressed_portal, conversation):
    ticket_id, email, password = conversation
    axe = Axe(open_page())
    sign_in(axe.page, email, password)
    axe.check("/tickets", ".ticket-row")
    for path, ready in ((f"/tickets/{ticket_id}", ".message--team"), ("/tickets/new", ".ts-card"),
                        ("/troubleshooters/vpn-sign-in", ".troubleshooter-question"),
                        ("/folders/inbox", ".folder-entry"), ("/folders/sent", ".folder-entry"),
                        ("/notifications", ".feed__item"), ("/profile", "h1")):
        axe.visit(path, ready)
    axe.assert_clean()


def test_agent_pages(stack, open_page, dressed_portal, conversation):
    ticket_id, _, _ = conversation
    raw = (f"From: Alice Martin <alice@acme.test>\r\nTo: support@parley.test\r\n"
           f"Subject: Held for the axe {uuid.uuid4().hex[:6]}\r\n"
           f"Message-ID: <{uuid.uuid4().hex}@mail.acme.test>\r\n\r\nBuy now.\r\n").encode()
    stack.delivery(stack.receive_mail(raw, spam="FAIL"), "quarantined")
    axe = Axe(open_page())
    sign_in(axe.page, "agent@parley.test")
    axe.check("/console", ".convo")
    for path, ready in ((f"/console/tickets/{ticket_id}", ".message--internal"),
                        ("/console/new", "h1"), ("/console/inbound", "tbody tr"),
                        ("/console/notifications", "h1"), ("/console/profile", "h1"),
                        ("/console/canned", ".canned-card")):
        axe.visit(path, ready)
    axe.assert_clean()


def test_admin_pages(stack, open_page, dressed_portal):
    before = _settings(stack, {"logo_url": DARK_LOGO})
    try:
        axe = Axe(open_page())
        page = axe.page
        sign_in(page, "admin@parley.test")
        for path, ready in (("/admin", ".logo-preview img"), ("/admin/users", "tbody tr"),
                            ("/admin/orgs", ".org-list__item"), ("/admin/teams", "h1"),
                            ("/admin/audit", "tbody tr"), ("/admin/suppressions", "h1")):
            axe.visit(path, ready)
        # A dark logo stays visible in the dark scheme: it stands on a light plate
        page.emulate_media(color_scheme="dark")
        assert page.locator(".brand__logo").evaluate(
            "el => getComputedStyle(el).backgroundColor") == "rgb(255, 255, 255)"
    finally:
        _settings(stack, before)
    axe.assert_clean()
