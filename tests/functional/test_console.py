"""The agent's side of the conversation rules: the answer actions, assignment (and two agents
assigning at once), closing, the conversation list, the teammate picker and tickets opened on
behalf of a customer."""

from __future__ import annotations

import threading
from urllib.parse import quote

import pytest

from tests.functional.conversation_support import Cast, assert_error
from tests.functional.search_support import index_messages

pytestmark = pytest.mark.functional

TOPICS_WITH_A_FINANCE_TEAM = [
    {"id": "general", "name": "General question"},
    {"id": "billing", "name": "Billing", "team_id": "finance"},
    {"id": "technical", "name": "Technical problem"},
]


def conversations(cast: Cast, who: str, query: str = "") -> list[int]:
    listing = cast.get(who, f"/api/console/tickets{'?' + query if query else ''}")
    return [t["number"] for t in listing["items"]]


def thread(cast: Cast, who: str, ticket_id: str) -> list[dict]:
    return list(cast.get(who, f"/api/console/tickets/{ticket_id}")["messages"])


def inbox(cast: Cast, who: str) -> list[dict]:
    return list(cast.get(who, "/api/portal/folders/inbox")["items"])


# ---------------------------------------------------------------------------------------------
# The answer actions


def test_send_answers_the_customer_and_resolves_the_ticket(cast):
    ticket = cast.open_ticket("alice")
    status, answered, _ = cast.answer("sam", ticket["id"], "send", "Unplug it.")
    assert status == 201, answered
    assert answered["message"]["internal"] is False
    # The ticket is resolved and the customer has the answer in her Inbox and in the thread
    assert cast.console_ticket("sam", ticket["id"])["status"] == "resolved"
    assert [(e["preview"], e["read"]) for e in inbox(cast, "alice")] == [("Unplug it.", False)]
    detail = cast.portal_ticket("alice", ticket["id"])
    assert detail["messages"][-1]["body"] == "Unplug it."
    assert detail["ticket"]["status"] == "closed"


def test_send_and_leave_open_answers_and_keeps_the_ticket_open(cast):
    ticket = cast.open_ticket("alice")
    assert cast.answer("sam", ticket["id"], "send_leave_open", "Which model is it?")[0] == 201
    assert cast.console_ticket("sam", ticket["id"])["status"] == "open"
    assert [e["preview"] for e in inbox(cast, "alice")] == ["Which model is it?"]
    detail = cast.portal_ticket("alice", ticket["id"])
    assert detail["messages"][-1]["body"] == "Which model is it?"
    assert detail["ticket"]["status"] == "open" and detail["can_rate"] is False


def test_resolve_silently_resolves_without_telling_the_customer(cast):
    ticket = cast.open_ticket("alice")
    # When the agent resolves silently with a note
    status, answered, _ = cast.answer("sam", ticket["id"], "resolve_silently", "Duplicate of #1")
    assert status == 201
    # Then the ticket is resolved, the note is internal
    assert answered["message"]["internal"] is True
    assert cast.console_ticket("sam", ticket["id"])["status"] == "resolved"
    assert thread(cast, "sam", ticket["id"])[-1]["body"] == "Duplicate of #1"
    # And the customer got nothing: no Inbox entry, no unread marker, no message
    assert inbox(cast, "alice") == []
    assert cast.get("alice", "/api/portal/folders")["unread"]["inbox"] == 0
    assert cast.get("alice", "/api/portal/tickets")["items"][0]["unread"] is False
    assert "Duplicate" not in str(cast.portal_ticket("alice", ticket["id"]))


def test_an_internal_note_changes_nothing_for_the_customer_and_assigns_no_one(cast):
    ticket = cast.open_ticket("alice")
    status, answered, _ = cast.answer("sam", ticket["id"], "note", "Customer is a VIP")
    assert status == 201 and answered["message"]["internal"] is True
    summary = cast.console_ticket("sam", ticket["id"])
    assert summary["status"] == "new"
    assert summary["assignee"] is None
    assert cast.console_ticket("sam", ticket["id"])["id"] in [
        t["id"] for t in cast.get("sam", "/api/console/tickets?assignee=none")["items"]
    ]
    assert inbox(cast, "alice") == []
    assert cast.portal_ticket("alice", ticket["id"])["message_count"] == 1


def test_answering_an_unassigned_conversation_assigns_it_to_the_sender(cast):
    for action in ("send", "send_leave_open", "resolve_silently"):
        ticket = cast.open_ticket("alice")
        # When Kim answers first
        cast.answer("kim", ticket["id"], action, "On it")
        # Then the conversation is Kim's
        assert cast.console_ticket("sam", ticket["id"])["assignee"] == {
            "id": cast.id("kim"), "name": "Kim Agent"
        }, action
        # And a later answer by Sam does not take it from her
        cast.answer("sam", ticket["id"], "send_leave_open", "Me too")
        assert cast.console_ticket("sam", ticket["id"])["assignee"]["id"] == cast.id("kim")
        # And the history says so, on Kim's answer only (the console draws it as a line)
        answers = [m for m in cast.get("sam", f"/api/console/tickets/{ticket['id']}")["messages"]
                   if m["body"] in ("On it", "Me too")]
        assert [m["details"].get("assigned") for m in answers] == [
            {"assignee_id": cast.id("kim"), "assignee_name": "Kim Agent"}, None], action


def test_only_the_assignee_closes_a_conversation(cast):
    ticket = cast.open_ticket("alice")
    close = f"/api/console/tickets/{ticket['id']}/close"
    # Nobody can close it while it is unassigned
    assert_error(cast.call("sam", "POST", close), 403, "not_assignee")
    cast.answer("sam", ticket["id"], "send_leave_open", "Let me check")
    # Another agent cannot close Sam's conversation
    assert_error(cast.call("kim", "POST", close), 403, "not_assignee")
    assert cast.console_ticket("kim", ticket["id"])["status"] == "open"
    # Sam can
    status, detail, _ = cast.call("sam", "POST", close)
    assert status == 200 and detail["ticket"]["status"] == "closed"
    assert cast.portal_ticket("alice", ticket["id"])["ticket"]["status"] == "closed"
    # And closing again is no error
    assert cast.call("sam", "POST", close)[0] == 200


def test_a_customer_message_reopens_a_resolved_or_closed_conversation(cast):
    resolved = cast.open_ticket("alice", subject="Resolved")
    cast.answer("sam", resolved["id"], "send")
    closed = cast.open_ticket("alice", subject="Closed")
    cast.answer("sam", closed["id"], "send")
    cast.call("sam", "POST", f"/api/console/tickets/{closed['id']}/close")
    assert conversations(cast, "sam", "assignee=me") == []
    # When Alice writes on both
    for ticket in (resolved, closed):
        assert cast.reply("alice", ticket["id"], "Still broken")[0] == 201
    # Then both are open again in Sam's "assigned to me" list
    assert sorted(conversations(cast, "sam", "assignee=me")) == [
        resolved["number"], closed["number"]
    ]
    assert conversations(cast, "sam", "status=closed") == []
    for ticket in (resolved, closed):
        assert cast.console_ticket("sam", ticket["id"])["status"] == "open"


# ---------------------------------------------------------------------------------------------
# The conversation list


def test_the_conversation_list_filters_by_status_assignee_team_and_search(cast, fake_clock):
    # Given billing questions go to the finance team
    cast.change_settings(topics=TOPICS_WITH_A_FINANCE_TEAM)
    # And four conversations: unassigned, Sam's, Kim's (closed) and a billing one of Sam's
    printer = cast.open_ticket("alice", "It smokes", subject="Printer on fire")
    fake_clock.advance(60)
    login = cast.open_ticket("bob", "No access", topic="general", subject="Cannot log in")
    cast.answer("sam", login["id"], "send_leave_open", "Try again")
    fake_clock.advance(60)
    wifi = cast.open_ticket("carol", "Slow", topic="general", subject="Wifi slow")
    cast.answer("kim", wifi["id"], "send_leave_open", "Rebooted the router")
    cast.call("kim", "POST", f"/api/console/tickets/{wifi['id']}/close")
    fake_clock.advance(60)
    invoice = cast.open_ticket("alice", "Too much", topic="billing", subject="October invoice")
    cast.answer("sam", invoice["id"], "send_leave_open", "Checking")
    fake_clock.advance(60)
    # When the printer ticket gets a note, it has the newest activity
    cast.answer("kim", printer["id"], "note", "Call the fire brigade?")
    p, lo, w, i = printer["number"], login["number"], wifi["number"], invoice["number"]

    # Then open conversations come newest activity first; closed ones are apart
    assert conversations(cast, "sam") == [p, i, lo]
    assert conversations(cast, "sam", "status=open") == [p, i, lo]
    assert conversations(cast, "sam", "status=closed") == [w]
    # Assigned to me / to nobody / to a teammate
    assert conversations(cast, "sam", "assignee=me") == [i, lo]
    assert conversations(cast, "kim", "assignee=me") == []
    assert conversations(cast, "kim", "assignee=me&status=closed") == [w]
    assert conversations(cast, "sam", "assignee=none") == [p]
    assert conversations(cast, "sam", f"assignee={cast.id('kim')}&status=closed") == [w]
    # By team
    assert conversations(cast, "sam", "team=finance") == [i]
    assert conversations(cast, "sam", "team=support") == [p, lo]
    assert conversations(cast, "sam", "team=support&status=closed") == [w]
    assert conversations(cast, "sam", "assignee=me&team=finance") == [i]
    assert conversations(cast, "sam", "team=legal") == []
    # Search: words (once the messages stream reached the index), number, with the filters
    index_messages()
    assert conversations(cast, "sam", "q=printer") == [p]
    assert conversations(cast, "sam", "q=" + quote("invoice october")) == [i]
    assert conversations(cast, "sam", "q=wifi") == []  # closed: not in the open list
    assert conversations(cast, "sam", "q=wifi&status=closed") == [w]
    assert conversations(cast, "sam", "q=" + quote(f"#{lo}")) == [lo]
    assert conversations(cast, "sam", f"q={lo}") == [lo]
    assert conversations(cast, "sam", "assignee=none&q=invoice") == []
    # Every conversation says who asked and who has it
    first = cast.get("sam", "/api/console/tickets?assignee=me")["items"][0]
    assert first["requester"]["name"] == "Alice"
    assert first["assignee"]["name"] == "Sam Agent"
    assert first["team_id"] == "finance"


def test_the_teammate_picker_finds_agents_by_any_part_of_their_name_or_address(cast, make_user):
    cast.user("sam"), cast.user("kim"), cast.user("ada"), cast.user("alice")
    make_user("agent", name="Kip Gone", status="disabled")
    make_user("customer", org_id=cast.org("Acme")["id"], name="Kirsten Customer")

    def names(q: str) -> list[str]:
        return [a["name"] for a in cast.get("sam", f"/api/console/agents?q={quote(q)}")["items"]]

    assert names("Ki") == ["Kim Agent"]
    assert names("ki") == ["Kim Agent"]
    assert names("Sam A") == ["Sam Agent"]
    assert names("Zed") == []
    # Any part of the name or of the address, words in any order
    assert sorted(names("agent")) == ["Kim Agent", "Sam Agent"]
    assert names("agent kim") == ["Kim Agent"]
    kim_address = cast.get("sam", "/api/console/agents?q=Kim")["items"][0]["email"]
    assert names(kim_address.split("@")[0]) == ["Kim Agent"]  # "agent2": found nobody before
    assert names("gone") == []  # disabled: never offered
    assert sorted(names("")) == ["Ada Admin", "Kim Agent", "Sam Agent"]
    kim = cast.get("sam", "/api/console/agents?q=Kim")["items"][0]
    assert kim["id"] == cast.id("kim") and kim["team_ids"] == ["support"]
    assert_error(cast.call("alice", "GET", "/api/console/agents?q=Ki"), 403)


# ---------------------------------------------------------------------------------------------
# Assignment


def test_an_agent_assigns_a_teammate_and_unassigns(cast):
    ticket = cast.open_ticket("alice")
    assign = f"/api/console/tickets/{ticket['id']}/assign"
    # When Sam assigns the conversation to Kim
    status, detail, _ = cast.call("sam", "POST", assign, {"assignee_id": cast.id("kim")})
    assert status == 200, detail
    # Then it is in Kim's list, not in the unassigned one
    assert detail["ticket"]["assignee"] == {"id": cast.id("kim"), "name": "Kim Agent"}
    assert conversations(cast, "kim", "assignee=me") == [ticket["number"]]
    assert conversations(cast, "kim", "assignee=none") == []
    assert any("Assigned to Kim Agent" in m["body"] for m in detail["messages"] if m["internal"])
    # A customer or someone unknown cannot be the assignee
    for wrong in (cast.id("alice"), "u9999ag", ""):
        assert_error(cast.call("sam", "POST", assign, {"assignee_id": wrong}), 400)
    assert cast.console_ticket("sam", ticket["id"])["assignee"]["id"] == cast.id("kim")
    # When Kim unassigns it
    status, detail, _ = cast.call("kim", "POST", assign, {"assignee_id": None})
    assert status == 200 and detail["ticket"]["assignee"] is None
    assert conversations(cast, "kim", "assignee=none") == [ticket["number"]]
    assert conversations(cast, "kim", "assignee=me") == []
    # And the customer never hears of any of it
    assert cast.portal_ticket("alice", ticket["id"])["message_count"] == 1


@pytest.fixture
def both_read_first(monkeypatch):
    """Holds each racing thread's first read of the ticket until every racer has read it, so the
    writes really collide: each agent saw the conversation unassigned, and one of the two
    conditional writes has to fail and be retried against the fresh ticket."""
    from chalicelib.data import tickets as ticket_store

    original = ticket_store.get_ticket
    gate: dict[str, threading.Barrier | None] = {"barrier": None}
    seen = threading.local()

    def get_ticket(ticket_id: str):
        ticket = original(ticket_id)
        barrier = gate["barrier"]
        if barrier is not None and not getattr(seen, "read", False):
            seen.read = True
            barrier.wait(timeout=10)
        return ticket

    monkeypatch.setattr(ticket_store, "get_ticket", get_ticket)
    return gate


def test_two_agents_assigning_at_the_same_moment_one_wins(
    cast, requests_per_thread, both_read_first, monkeypatch
):
    from chalicelib.services.tickets import commit

    pauses: list[float] = []
    monkeypatch.setattr(commit, "pause", pauses.append)  # the retry's pause, not slept here
    agents = ("sam", "kim")
    for who in agents:
        cast.token(who)  # signed in before the race starts
    for _ in range(2):
        ticket = cast.open_ticket("alice")
        assign = f"/api/console/tickets/{ticket['id']}/assign"
        start = threading.Barrier(len(agents))
        both_read_first["barrier"] = threading.Barrier(len(agents))
        results: dict[str, tuple] = {}

        def take(who: str, path: str = assign, gate: threading.Barrier = start,
                 into: dict = results) -> None:
            gate.wait()
            into[who] = cast.call(who, "POST", path,
                                  {"assignee_id": cast.id(who), "expected_assignee_id": None})

        # When Sam and Kim both take the unassigned conversation at once
        threads = [threading.Thread(target=take, args=(who,)) for who in agents]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        both_read_first["barrier"] = None

        # Then exactly one of them has it and the other is told it changed meanwhile
        statuses = sorted(status for status, _, _ in results.values())
        assert statuses == [200, 409], results
        winner = next(who for who, r in results.items() if r[0] == 200)
        loser = next(who for who, r in results.items() if r[0] == 409)
        error = assert_error(results[loser], 409, "assignee_changed")
        assert error["details"]["assignee_id"] == cast.id(winner)
        assert results[winner][1]["ticket"]["assignee"]["id"] == cast.id(winner)
        assert cast.console_ticket("sam", ticket["id"])["assignee"]["id"] == cast.id(winner)
        events = [m for m in thread(cast, "sam", ticket["id"]) if "Assigned" in m["body"]]
        assert len(events) == 1
    # And each race cost the loser one retry, after a pause of a few milliseconds
    assert len(pauses) == 2 and all(0.002 <= pause <= 0.02 for pause in pauses), pauses


def test_assigning_with_a_stale_view_of_the_assignee_is_refused(cast):
    ticket = cast.open_ticket("alice")
    assign = f"/api/console/tickets/{ticket['id']}/assign"
    # Given both agents saw the conversation unassigned, and Sam took it
    assert cast.call("sam", "POST", assign,
                     {"assignee_id": cast.id("sam"), "expected_assignee_id": None})[0] == 200
    # When Kim, still looking at the old page, assigns it to herself
    response = cast.call("kim", "POST", assign,
                         {"assignee_id": cast.id("kim"), "expected_assignee_id": None})
    # Then she is told someone else changed it, and who has it now
    error = assert_error(response, 409, "assignee_changed")
    assert error["details"]["assignee_id"] == cast.id("sam")
    assert cast.console_ticket("kim", ticket["id"])["assignee"]["id"] == cast.id("sam")
    # With the current assignee as expected, the reassignment goes through
    status, detail, _ = cast.call("kim", "POST", assign, {
        "assignee_id": cast.id("kim"), "expected_assignee_id": cast.id("sam")})
    assert status == 200 and detail["ticket"]["assignee"]["id"] == cast.id("kim")


# ---------------------------------------------------------------------------------------------
# On behalf of a customer


def test_an_agent_opens_a_ticket_on_behalf_of_a_customer(cast):
    # When Sam opens a ticket for Alice after her phone call
    status, created, _ = cast.call("sam", "POST", "/api/console/tickets", {
        "requester_id": cast.id("alice"), "topic": "billing", "subject": "Refund as discussed",
        "body": "As discussed on the phone, we will refund the October invoice.",
    })
    assert status == 201, created
    ticket = created["ticket"]
    # Then it is Sam's open conversation
    assert ticket["assignee"]["id"] == cast.id("sam")
    assert ticket["status"] == "open" and ticket["channel"] == "agent"
    assert ticket["requester"]["id"] == cast.id("alice")
    assert conversations(cast, "sam", "assignee=me") == [ticket["number"]]
    # And Alice finds it in her list, and Sam's message unread in her Inbox
    mine = cast.get("alice", "/api/portal/tickets")["items"]
    assert [(t["id"], t["subject"], t["unread"]) for t in mine] == [
        (ticket["id"], "Refund as discussed", True)
    ]
    assert [(e["ticket_id"], e["author"], e["read"]) for e in inbox(cast, "alice")] == [
        (ticket["id"], "Sam Agent", False)
    ]
    assert cast.get("alice", "/api/portal/folders")["unread"]["inbox"] == 1
    detail = cast.portal_ticket("alice", ticket["id"])
    assert detail["messages"][0]["body"].startswith("As discussed on the phone")
    assert detail["messages"][0]["kind"] == "team"
    assert detail["can_reply"] is True
    # Only customers can be on the other side
    for requester in (cast.id("kim"), "u9999cu"):
        response = cast.call("sam", "POST", "/api/console/tickets", {
            "requester_id": requester, "topic": "general", "subject": "x", "body": "y"})
        assert_error(response, 400, "unknown_requester")


# ---------------------------------------------------------------------------------------------
# Bad input


def test_bad_input_on_the_console_routes_gets_a_json_error_never_a_500(cast):
    ticket = cast.open_ticket("alice")
    base = f"/api/console/tickets/{ticket['id']}"
    missing = "/api/console/tickets/0123456789abcdef0123456789abcdef"
    alice = cast.id("alice")
    attempts = [
        ("GET", "/api/console/tickets?status=all", None),
        ("GET", "/api/console/tickets?status=", None),
        ("GET", "/api/console/tickets?limit=abc", None),
        ("GET", "/api/console/tickets?limit=-5", None),
        ("GET", "/api/console/tickets?cursor=bm90IGEgY3Vyc29y", None),
        ("GET", "/api/console/tickets?assignee=" + "x" * 65, None),
        ("GET", "/api/console/tickets?sort=oldest", None),
        ("GET", "/api/console/agents?limit=0", None),
        ("GET", "/api/console/agents?limit=many", None),
        ("GET", "/api/console/agents?q=" + "k" * 121, None),
        ("GET", missing, None),
        ("GET", f"{base}/messages?after=x", None),
        ("GET", f"{missing}/messages", None),
        ("POST", f"{base}/messages", "{oops"),
        ("POST", f"{base}/messages", "[]"),
        ("POST", f"{base}/messages", {"action": "shout", "body": "HEY"}),
        ("POST", f"{base}/messages", {"action": "send"}),
        ("POST", f"{base}/messages", {"body": "no action"}),
        ("POST", f"{base}/messages", {"action": "send", "body": "   "}),
        ("POST", f"{base}/messages", {"action": "send", "body": "x" * 10_001}),
        ("POST", f"{base}/messages", {"action": ["send"], "body": "x"}),
        ("POST", f"{base}/messages", {"action": "send", "body": {"text": "x"}}),
        ("POST", f"{base}/messages", {"action": "send", "body": "x", "visibility": "public"}),
        ("POST", f"{missing}/messages", {"action": "send", "body": "x"}),
        ("PATCH", base, {"title": 5}),
        ("PATCH", base, {}),
        ("PATCH", base, {"title": "x" * 201}),
        ("PATCH", base, {"title": "ok", "status": "closed"}),
        ("PATCH", missing, {"title": "ok"}),
        ("POST", f"{base}/assign", {}),
        ("POST", f"{base}/assign", {"assignee_id": 5}),
        ("POST", f"{base}/assign", {"assignee_id": ["x"]}),
        ("POST", f"{base}/assign", {"assignee_id": "x" * 65}),
        ("POST", f"{base}/assign", {"assignee_id": None, "force": True}),
        ("POST", f"{base}/assign", {"assignee_id": None, "expected_assignee_id": 3}),
        ("POST", f"{missing}/assign", {"assignee_id": None}),
        ("POST", f"{missing}/close", None),
        ("POST", f"{base}/block", {}),
        ("POST", f"{base}/block", {"reason": 5}),
        ("POST", f"{base}/block", {"reason": "x" * 501}),
        ("POST", f"{missing}/block", {"reason": "why"}),
        ("POST", f"{missing}/unblock", None),
        ("POST", "/api/console/tickets", {}),
        ("POST", "/api/console/tickets", "{\"requester_id\": "),
        ("POST", "/api/console/tickets", {"requester_id": alice, "topic": "nope",
                                          "subject": "s", "body": "b"}),
        ("POST", "/api/console/tickets", {"requester_id": alice, "topic": "general",
                                          "subject": "s", "body": ""}),
        ("POST", "/api/console/tickets", {"requester_id": alice, "topic": "general",
                                          "subject": "s", "body": "b", "status": "closed"}),
        ("POST", "/api/console/tickets", {"requester_id": 7, "topic": "general",
                                          "subject": "s", "body": "b"}),
    ]
    for method, path, body in attempts:
        status, answer, _ = cast.call("sam", method, path, body)
        assert 400 <= status < 500, (method, path, body, status, answer)
        assert_error((status, answer, {}), status)
    # And the conversation is as it was
    summary = cast.console_ticket("sam", ticket["id"])
    assert (summary["status"], summary["assignee"], summary["message_count"]) == ("new", None, 1)
    assert conversations(cast, "sam") == [ticket["number"]]


def test_customers_cannot_use_the_console(cast):
    ticket = cast.open_ticket("alice")
    for method, path, body in [
        ("GET", "/api/console/tickets", None),
        ("GET", f"/api/console/tickets/{ticket['id']}", None),
        ("POST", f"/api/console/tickets/{ticket['id']}/messages", {"action": "note", "body": "x"}),
        ("POST", f"/api/console/tickets/{ticket['id']}/assign", {"assignee_id": None}),
        ("POST", f"/api/console/tickets/{ticket['id']}/unblock", None),
    ]:
        assert_error(cast.call("alice", method, path, body), 403)
