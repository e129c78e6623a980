"""The idle timeout on an open tab, in a real browser: the page's background polls do not keep it
signed in, a minute before the end a dialog offers "Stay signed in", left alone it ends on a page
that says why, and signing in again returns to the same ticket with the unsent reply still there.

The stack keeps the portal's 30-minute idle timeout (other tests share it); instead of waiting
half an hour, the test moves the session's last activity back in the stack's own sessions table,
as the passing of time would. The seconds around the warning pass the same way on both sides: the
page runs on Playwright's clock (its timers and background polls fire as the seconds go by), and
the server, which reads the real clock, sees the session's times that many seconds further back."""

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


def _sessions(stack: Any) -> tuple[Any, str]:
    state = json.loads(stack.state_file.read_text())
    client = boto3.client(
        "dynamodb", endpoint_url=state["endpoint"], region_name="eu-west-1",
        aws_access_key_id="local", aws_secret_access_key="local",
    )
    return client, next(n for n in client.list_tables()["TableNames"] if n.endswith("sessions"))


def _session_hash(page: Any) -> str:
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "parley_session")
    return hashlib.sha256(token.encode()).hexdigest()


def make_idle(stack: Any, page: Any, *, seconds_left: int) -> None:
    """Pretend the browser's session was last active long enough ago that `seconds_left`
    remain before the idle timeout."""
    client, table = _sessions(stack)
    client.update_item(
        TableName=table,
        Key={"session_hash": {"S": _session_hash(page)}},
        UpdateExpression="SET last_seen_at = :seen",
        ExpressionAttributeValues={":seen": {"N": str(time.time() - IDLE_TIMEOUT + seconds_left)}},
    )


def pass_time(stack: Any, page: Any, seconds: int) -> None:
    """`seconds` go by with nobody touching the page: first for the server (the session's start
    and last activity move that far back, as its clock moving on would), then for the page, whose
    timers and polls all fire as they would in that time (each poll a real request)."""
    client, table = _sessions(stack)
    client.update_item(
        TableName=table, Key={"session_hash": {"S": _session_hash(page)}},
        UpdateExpression="SET last_seen_at = last_seen_at - :d, created_at = created_at - :d",
        ConditionExpression="attribute_exists(session_hash)",
        ExpressionAttributeValues={":d": {"N": str(seconds)}},
    )
    page.clock.run_for(seconds * 1000)


def test_an_idle_tab_is_warned_then_signed_out_and_returns_to_its_draft(stack, open_page):
    # Given a customer with a ticket open and half a reply typed, the tab polling as it does
    email, password = stack.new_customer("Ida Idle")
    ticket = stack.call("POST", "/api/portal/tickets", {
        "topic": "general", "subject": "Badge reader", "body": "It blinks."},
        token=stack.tokens[email])["ticket"]
    page = open_page().page
    page.clock.install()  # before the app loads: its timers and clock are Playwright's
    # This tab has no WebSocket API to follow the ticket with, so it polls every few seconds
    # (with one, a poll comes every 30 s): those polls are what the idle clock must ignore.
    page.route("**/api/notifications/live", lambda route: route.fulfill(json={
        "enabled": False, "url": None, "ticket": None, "expires_in": 0}))
    sign_in(page, email, password)
    page.goto(f"/tickets/{ticket['id']}")
    reply = page.get_by_label("Your reply")
    reply.fill(DRAFT)
    dialog = page.get_by_role("alertdialog", name="Are you still there?")

    # When the person does nothing until a minute and ten seconds are left, and three more
    # seconds go by (a background poll tells the page how long is left)
    make_idle(stack, page, seconds_left=70)
    with page.expect_response(lambda r: r.url.endswith("/messages") or "/messages?" in r.url):
        pass_time(stack, page, 3)
    expect(dialog).to_be_hidden()

    # Then, ten seconds on, the page's own polls have not pushed the end back: a dialog warns,
    # on "Stay signed in"
    pass_time(stack, page, 10)
    expect(dialog).to_be_visible(timeout=10_000)
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

    # When the person is away again until half a minute is left (the page warns again), then
    # until the last second, which passes on the real clock for both (so the page's requests
    # meet the end as they would, not all at once)
    make_idle(stack, page, seconds_left=30)
    pass_time(stack, page, 3)
    expect(dialog).to_be_visible(timeout=10_000)
    pass_time(stack, page, 26)

    # Then the tab is signed out, on a page that says it was for inactivity
    expect(page).to_have_url(re.compile(r"/session-expired\?reason=idle&next="), timeout=10_000)
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
