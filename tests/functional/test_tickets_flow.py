"""The main conversation flow, as a customer and an agent live it."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.functional


@pytest.fixture
def people(make_org, make_user):
    acme = make_org("Acme")
    globex = make_org("Globex")
    return {
        "acme": acme,
        "alice": make_user("customer", org_id=acme["id"], name="Alice"),
        "bob": make_user("customer", org_id=acme["id"], name="Bob"),
        "boss": make_user("customer", org_id=acme["id"], org_view=True, name="Boss"),
        "carol": make_user("customer", org_id=globex["id"], name="Carol"),
        "agent": make_user("agent", name="Sam Agent"),
        "agent2": make_user("agent", name="Kim Agent"),
    }


@pytest.fixture
def tokens(api, people):
    return {k: api.login(v["email"]) for k, v in people.items() if "email" in v}


def open_ticket(api, token, body="My printer is on fire and the smoke alarm is beeping", **extra):
    status, created, _ = api.call(
        "POST", "/api/portal/tickets",
        {"topic": "technical", "subject": "Printer on fire", "body": body, **extra}, token=token,
    )
    assert status == 201, created
    return created


def test_customer_question_answered_by_agent(api, tokens):
    # Given Alice opens a ticket
    created = open_ticket(api, tokens["alice"])
    ticket_id = created["ticket"]["id"]
    assert created["ticket"]["number"] >= 1001
    assert created["ticket"]["status"] == "open"  # simple display: new shows as Open
    # Then it is in her Sent folder and the agent sees it unassigned
    status, sent, _ = api.call("GET", "/api/portal/folders/sent", token=tokens["alice"])
    assert [e["ticket_id"] for e in sent["items"]] == [ticket_id]
    status, unassigned, _ = api.call(
        "GET", "/api/console/tickets?assignee=none", token=tokens["agent"]
    )
    assert status == 200, unassigned
    assert ticket_id in [t["id"] for t in unassigned["items"]]
    assert unassigned["items"][0]["title"].startswith("My printer is on fire")

    # When the agent answers with Send
    status, answered, _ = api.call(
        "POST", f"/api/console/tickets/{ticket_id}/messages",
        {"action": "send", "body": "Unplug it and step away."}, token=tokens["agent"],
    )
    assert status == 201, answered
    # Then the ticket is assigned to the agent and resolved
    _, detail, _ = api.call("GET", f"/api/console/tickets/{ticket_id}", token=tokens["agent"])
    assert detail["ticket"]["status"] == "resolved"
    assert detail["ticket"]["assignee"]["name"] == "Sam Agent"
    # And Alice has one unread message in her Inbox, and sees the reply in the thread
    _, counts, _ = api.call("GET", "/api/portal/folders", token=tokens["alice"])
    assert counts["unread"]["inbox"] == 1
    _, listing, _ = api.call("GET", "/api/portal/tickets", token=tokens["alice"])
    assert listing["items"][0]["unread"] is True
    _, thread, _ = api.call("GET", f"/api/portal/tickets/{ticket_id}", token=tokens["alice"])
    assert [m["body"] for m in thread["messages"]][-1] == "Unplug it and step away."
    assert thread["messages"][-1]["author"] == "Sam Agent"
    assert thread["message_count"] == 2
    assert thread["can_rate"] is True
    # Reading the thread read the inbox too
    _, counts, _ = api.call("GET", "/api/portal/folders", token=tokens["alice"])
    assert counts["unread"]["inbox"] == 0
    # When she rates it, twice
    status, _, _ = api.call(
        "PUT", f"/api/portal/tickets/{ticket_id}/rating", {"score": 4}, token=tokens["alice"]
    )
    assert status == 200
    api.call("PUT", f"/api/portal/tickets/{ticket_id}/rating",
             {"score": 5, "comment": "Fast!"}, token=tokens["alice"])
    _, detail, _ = api.call("GET", f"/api/console/tickets/{ticket_id}", token=tokens["agent"])
    assert (detail["ticket"]["rating"], detail["ticket"]["rating_comment"]) == (5, "Fast!")


def test_internal_notes_never_reach_the_customer(api, tokens):
    ticket_id = open_ticket(api, tokens["alice"])["ticket"]["id"]
    secret = "INTERNAL-ONLY customer is on the naughty list"
    for action in ("note", "resolve_silently"):
        status, _, _ = api.call("POST", f"/api/console/tickets/{ticket_id}/messages",
                                {"action": action, "body": secret}, token=tokens["agent"])
        assert status == 201
    for path in (f"/api/portal/tickets/{ticket_id}", "/api/portal/tickets",
                 f"/api/portal/tickets/{ticket_id}/messages?after=0",
                 "/api/portal/folders/inbox", "/api/portal/folders/sent"):
        _, body, _ = api.call("GET", path, token=tokens["alice"])
        assert "INTERNAL-ONLY" not in str(body), path
    _, detail, _ = api.call("GET", f"/api/console/tickets/{ticket_id}", token=tokens["agent"])
    assert sum(secret in m["body"] for m in detail["messages"]) == 2
