"""Findings of the security review, kept fixed."""

from __future__ import annotations

import threading

import pytest

from tests.functional.auth_support import STRONG_PASSWORD
from tests.functional.notification_support import send_queued_account_mail
from tests.functional.search_support import index_messages

pytestmark = pytest.mark.functional


@pytest.fixture
def alice_ticket(api, make_org, make_user):
    acme = make_org("Acme")
    alice = make_user("customer", org_id=acme["id"])
    agent = make_user("agent")
    tokens = {"alice": api.login(alice["email"]), "agent": api.login(agent["email"])}
    _, created, _ = api.call("POST", "/api/portal/tickets", {
        "topic": "billing", "subject": "Invoice question", "body": "Why twice?"},
        token=tokens["alice"])
    return created["ticket"]["id"], tokens, alice


def test_a_customer_search_cannot_read_the_agents_title(api, alice_ticket):
    # Given an agent gave the ticket an internal title
    ticket_id, tokens, _ = alice_ticket
    status, _, _ = api.call("PATCH", f"/api/console/tickets/{ticket_id}",
                            {"title": "Refund abuse do not escalate"}, token=tokens["agent"])
    assert status == 200
    index_messages()  # the search index is written from the messages stream
    # When the customer searches for words of it, or for the full status name
    for probe in ("refund", "abuse", "escalate", "new"):
        _, found, _ = api.call("GET", f"/api/portal/tickets?q={probe}", token=tokens["alice"])
        # Then nothing matches
        assert found["items"] == [], probe
    # while her own words still find it
    _, found, _ = api.call("GET", "/api/portal/tickets?q=invoice", token=tokens["alice"])
    assert [t["id"] for t in found["items"]] == [ticket_id]


def test_a_very_long_passphrase_is_accepted(api, make_user):
    user = make_user("customer")
    token = api.login(user["email"])
    long_one = "an unusually long passphrase about lighthouses " * 3  # > 72 characters
    status, body, _ = api.call("POST", "/api/auth/password", {
        "current_password": "correct horse battery staple", "new_password": long_one},
        token=token)
    assert status == 200, body
    signed_in = api.call("POST", "/api/auth/login", {"email": user["email"], "password": long_one})
    assert signed_in[0] == 200


def test_a_reset_link_sent_before_a_password_change_is_dead(api, make_user, sent_mail):
    from tests.functional.auth_support import link_token

    user = make_user("customer")
    api.call("POST", "/api/auth/password-reset", {"email": user["email"]})
    send_queued_account_mail()  # the API only queued the mail
    stale = link_token(sent_mail()[0])
    token = api.login(user["email"])
    status, _, _ = api.call("POST", "/api/auth/password", {
        "current_password": "correct horse battery staple", "new_password": STRONG_PASSWORD},
        token=token)
    assert status == 200
    status, body, _ = api.call("POST", "/api/auth/password-reset/confirm",
                               {"token": stale, "new_password": "yet another fine passphrase"})
    assert status == 400 and body["error"]["code"] == "invalid_token"
    assert api.call("POST", "/api/auth/login",
                    {"email": user["email"], "password": STRONG_PASSWORD})[0] == 200


def test_a_hidden_topic_puts_nothing_in_the_customers_folders(api, alice_ticket, make_user):
    # Given Alice's billing ticket (her question is in Sent) answered by the agent (in her
    # Inbox, unread), and a technical one answered too
    ticket_id, tokens, _ = alice_ticket
    _, other, _ = api.call("POST", "/api/portal/tickets", {
        "topic": "technical", "subject": "Printer", "body": "It smokes."}, token=tokens["alice"])
    for answered in (ticket_id, other["ticket"]["id"]):
        status, _, _ = api.call("POST", f"/api/console/tickets/{answered}/messages",
                                {"action": "send", "body": "Refund issued"}, token=tokens["agent"])
        assert status == 201
    _, inbox, _ = api.call("GET", "/api/portal/folders/inbox", token=tokens["alice"])
    billing_entry = next(e["id"] for e in inbox["items"] if e["ticket_id"] == ticket_id)
    assert inbox["unread"]["inbox"] == 2
    # When the admin hides the billing topic afterwards
    admin = make_user("admin")
    admin_token = api.login(admin["email"])
    assert api.call("PATCH", "/api/admin/settings", {"hidden_topics": ["billing"]},
                    token=admin_token)[0] == 200
    # Then the ticket is gone from every folder and every count, like from the ticket list
    assert api.call("GET", f"/api/portal/tickets/{ticket_id}", token=tokens["alice"])[0] == 404
    for folder in ("inbox", "sent"):
        _, listed, _ = api.call("GET", f"/api/portal/folders/{folder}", token=tokens["alice"])
        assert [e["ticket_id"] for e in listed["items"]] == [other["ticket"]["id"]], folder
        assert "Invoice question" not in str(listed) and "Why twice" not in str(listed)
        assert listed["unread"] == {"inbox": 1, "sent": 0, "trash": 0}
    _, counts, _ = api.call("GET", "/api/portal/folders", token=tokens["alice"])
    assert counts["unread"] == {"inbox": 1, "sent": 0, "trash": 0}
    # and its entry cannot be read, trashed or found by its id
    status, body, _ = api.call("POST", f"/api/portal/folders/entries/{billing_entry}/trash",
                               token=tokens["alice"])
    assert status == 404 and body["error"]["code"] == "entry_not_found"
    # A new answer on the hidden ticket adds nothing either
    api.call("POST", f"/api/console/tickets/{ticket_id}/messages",
             {"action": "send_leave_open", "body": "One more thing"}, token=tokens["agent"])
    _, inbox, _ = api.call("GET", "/api/portal/folders/inbox", token=tokens["alice"])
    assert len(inbox["items"]) == 1 and inbox["unread"]["inbox"] == 1
    # And when the admin shows the topic again, the entries she had are back as they were
    assert api.call("PATCH", "/api/admin/settings", {"hidden_topics": []},
                    token=admin_token)[0] == 200
    _, inbox, _ = api.call("GET", "/api/portal/folders/inbox", token=tokens["alice"])
    assert {e["ticket_id"] for e in inbox["items"]} == {ticket_id, other["ticket"]["id"]}
    assert inbox["unread"]["inbox"] == 2


def test_parallel_wrong_passwords_all_count(api, make_user, requests_per_thread):
    # Given a burst of ten wrong passwords at the same instant
    user = make_user("customer")
    barrier = threading.Barrier(10)

    def guess() -> None:
        barrier.wait()
        api.call("POST", "/api/auth/login", {"email": user["email"], "password": "wrong guess!"})

    threads = [threading.Thread(target=guess) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Then the account is locked: the burst counted as ten failures, not one
    status, body, _ = api.call("POST", "/api/auth/login",
                               {"email": user["email"], "password": "correct horse battery staple"})
    assert status == 429, body
