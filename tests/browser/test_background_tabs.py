"""A tab in the background asks the server nothing (no thread polls, no unread-count refreshes)
and catches up as soon as it is shown again: open pages' polls would otherwise be most of a
deployed portal's requests."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.support import sign_in

pytestmark = pytest.mark.browser

_SET_HIDDEN = """hidden => {
  Object.defineProperty(document, "hidden", { value: hidden, configurable: true });
  Object.defineProperty(document, "visibilityState",
                        { value: hidden ? "hidden" : "visible", configurable: true });
  document.dispatchEvent(new Event("visibilitychange"));
}"""


def test_a_hidden_tab_stops_polling_and_catches_up_when_shown(stack, open_page):
    subject = f"Badge reader {uuid.uuid4().hex[:6]}"
    ticket_id = stack.call("POST", "/api/portal/tickets", {
        "topic": "technical", "subject": subject, "body": "The badge reader beeps red."},
        token=stack.token("bob@acme.test"))["ticket"]["id"]
    page = open_page().page
    # The page's timers on Playwright's clock: it runs as usual until the test moves it on
    page.clock.install()
    sign_in(page, "bob@acme.test")
    page.goto(f"/tickets/{ticket_id}")
    expect(page.get_by_label("Your reply")).to_be_visible()
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "/api/" in r.url else None)

    # When the tab goes to the background and an agent answers meanwhile
    page.evaluate(_SET_HIDDEN, True)
    page.wait_for_timeout(500)
    asked.clear()
    answer = f"Please hold the badge flat for two seconds ({uuid.uuid4().hex[:4]})."
    stack.call("POST", f"/api/console/tickets/{ticket_id}/messages",
               {"action": "send_leave_open", "body": answer},
               token=stack.token("agent@parley.test"))
    # Ten of the page's 3-second polls and one of its 30-second unread-count refreshes, run at
    # once: every timer due in those 31 seconds fires (run_for, not fast_forward, which would
    # fire each at most once)
    page.clock.run_for(31_000)

    # Then the hidden tab asked nothing, and so shows nothing new yet
    assert asked == []
    expect(page.get_by_text(answer)).to_have_count(0)

    # And once shown again, it fetches the answer at once
    page.evaluate(_SET_HIDDEN, False)
    expect(page.get_by_text(answer)).to_be_visible()
    assert any("/messages" in url for url in asked)
