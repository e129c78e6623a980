"""The idle timeout on an open tab, in a real browser: the page's background polls do not keep it
signed in, a minute before the end a dialog offers "Stay signed in", left alone it ends on a page
that says why, and signing in again returns to the same ticket with the unsent reply still there.

The stack keeps the portal's 30-minute idle timeout (other tests share it); instead of waiting
half an hour, the test moves the session's last activity back in the stack's own sessions table,
as the passing of time would."""

from __future__ import annotations

import hashlib
import json
import re
import time
from typing import Any

import boto3
import pytest
from playwright.sync_api import expect

from tests.browser.support import screenshot, sign_in

pytestmark = pytest.mark.browser

IDLE_TIMEOUT = 30 * 60  # the portal's default
DRAFT = "The badge reader on floor 3 blinks red when I"


def make_idle(stack: Any, page: Any, *, seconds_left: int) -> None:
    """Pretend the browser's session was last active long enough ago that `seconds_left`
    remain before the idle timeout."""
    state = json.loads(stack.state_file.read_text())
    client = boto3.client(
        "dynamodb", endpoint_url=state["endpoint"], region_name="eu-west-1",
        aws_access_key_id="local", aws_secret_access_key="local",
    )
    table = next(n for n in client.list_tables()["TableNames"] if n.endswith("sessions"))
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "parley_session")
    client.update_item(
        TableName=table,
        Key={"session_hash": {"S": hashlib.sha256(token.encode()).hexdigest()}},
        UpdateExpression="SET last_seen_at = :seen",
        ExpressionAttributeValues={":seen": {"N": str(time.time() - IDLE_TIMEOUT + seconds_left)}},
    )


def test_an_idle_tab_is_warned_then_signed_out_and_returns_to_its_draft(stack, open_page):
    # Given a customer with a ticket open and half a reply typed, the tab polling as it does
    email, password = stack.new_customer("Ida Idle")
    ticket = stack.call("POST", "/api/portal/tickets", {
        "topic": "general", "subject": "Badge reader", "body": "It blinks."},
        token=stack.tokens[email])["ticket"]
    page = open_page().page
    sign_in(page, email, password)
    page.goto(f"/tickets/{ticket['id']}")
    reply = page.get_by_label("Your reply")
    reply.fill(DRAFT)

    # When the person does nothing until a minute and ten seconds are left
    make_idle(stack, page, seconds_left=70)

    # Then the page's own polls do not push the end back: a dialog warns, on "Stay signed in"
    dialog = page.get_by_role("alertdialog", name="Are you still there?")
    expect(dialog).to_be_visible(timeout=45_000)
    stay = dialog.get_by_role("button", name="Stay signed in")
    expect(stay).to_be_focused()
    screenshot(page, "session-warning", full_page=False)

    # When they choose to stay (with the keyboard)
    page.keyboard.press("Enter")

    # Then the dialog goes, focus returns to the reply box, and the session goes on
    expect(dialog).to_be_hidden(timeout=10_000)
    expect(reply).to_be_focused()
    answer = page.evaluate("""async () => {
        const r = await fetch("/api/auth/session", {headers: {
            Authorization: "CSRF " + sessionStorage.getItem("parley.csrf")}});
        return {status: r.status, body: await r.json()};
    }""")
    assert answer["status"] == 200
    assert answer["body"]["idle_expires_at"] - answer["body"]["now"] > IDLE_TIMEOUT - 60

    # When the person is away again until the very end
    make_idle(stack, page, seconds_left=5)

    # Then the tab is signed out, on a page that says it was for inactivity
    expect(page).to_have_url(re.compile(r"/session-expired\?reason=idle&next="), timeout=45_000)
    expect(page.get_by_text("signed out after a period of inactivity")).to_be_visible()

    # When they sign in again from there
    page.get_by_role("link", name="Sign in again").click()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()

    # Then they are back on the same ticket with the unsent reply in the box
    expect(page).to_have_url(re.compile(rf"/tickets/{ticket['id']}$"))
    expect(page.get_by_label("Your reply")).to_have_value(DRAFT)

    # And once sent, the draft is forgotten
    page.get_by_role("button", name="Send reply").click()
    expect(page.get_by_text("Your reply was sent.")).to_be_visible()
    page.reload()
    expect(page.get_by_label("Your reply")).to_have_value("")


@pytest.mark.parametrize("crafted", ["%2F%2Fevil.example%2Fphish",
                                     "%2F..%2F%2Fevil.example%2Fphish"])  # normalises to //
def test_the_ended_session_page_never_sends_anyone_to_another_site(stack, open_page, crafted):
    # Given a crafted link to the expired page that names another site as `next`
    email, password = stack.new_customer("Rhea Redirect")
    page = open_page().page
    page.goto(f"/session-expired?reason=signed_out&next={crafted}")

    # Then it says why in words, and signing in lands on the portal, not elsewhere
    expect(page.get_by_text("signed out from another place")).to_be_visible()
    page.get_by_role("link", name="Sign in again").click()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"^http://127\.0\.0\.1:\d+/tickets$"))
