"""Concurrent writers never lose data, and a writer that meets a concurrent change tries again
after a short pause (replaced here: tests do not sleep)."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from chalicelib.services.tickets import commit

pytestmark = pytest.mark.functional

REPLIERS = 20


@pytest.fixture
def pauses(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The commit engine's pauses between attempts, recorded instead of slept."""
    taken: list[float] = []
    monkeypatch.setattr(commit, "pause", taken.append)
    return taken


def _jitter_bounds(attempt: int) -> tuple[float, float]:
    factor = min(attempt + 1, 5)
    return 0.002 * factor, 0.02 * factor


def _alice_with_a_ticket(api: Any, make_org: Any, make_user: Any) -> tuple[str, str]:
    acme = make_org("Acme")
    alice = make_user("customer", org_id=acme["id"])
    token = api.login(alice["email"])
    _, created, _ = api.call("POST", "/api/portal/tickets",
                             {"topic": "general", "subject": "Load", "body": "first"}, token=token)
    return token, created["ticket"]["id"]


def _changed_meanwhile(monkeypatch: pytest.MonkeyPatch, times: int) -> list[int]:
    """Another writer changes the ticket just before each of the next `times` writes."""
    from chalicelib.data import tickets as ticket_store

    real = commit.store_draft
    changes: list[int] = []

    def store_after_a_change(ticket: Any, draft: Any, settings: Any) -> Any:
        if len(changes) < times:
            fresh = ticket_store.get_ticket(ticket.ticket_id)
            assert fresh is not None
            ticket_store.save_ticket(fresh, "changed meanwhile")
            changes.append(1)
        return real(ticket, draft, settings)

    monkeypatch.setattr(commit, "store_draft", store_after_a_change)
    return changes


def test_twenty_simultaneous_replies_are_all_stored_in_order(
    api, make_org, make_user, requests_per_thread, pauses
):
    # Given a ticket of Alice's, and twenty replies ready to go at the same instant
    token, ticket_id = _alice_with_a_ticket(api, make_org, make_user)
    barrier = threading.Barrier(REPLIERS)
    results: list[tuple[int, object]] = []
    lock = threading.Lock()

    def reply(n: int) -> None:
        barrier.wait()
        status, body, _ = api.call("POST", f"/api/portal/tickets/{ticket_id}/messages",
                                   {"body": f"reply {n}"}, token=token)
        with lock:
            results.append((status, body))

    # When they are all sent at once
    threads = [threading.Thread(target=reply, args=(n,)) for n in range(REPLIERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    # Then every one was accepted and stored, none lost
    assert [status for status, _ in results] == [201] * REPLIERS, results
    _, detail, _ = api.call("GET", f"/api/portal/tickets/{ticket_id}", token=token)
    bodies = [m["body"] for m in detail["messages"]]
    assert sorted(bodies[1:]) == sorted(f"reply {n}" for n in range(REPLIERS))
    # with distinct, increasing sequence numbers
    seqs = [m["seq"] for m in detail["messages"]]
    assert seqs == sorted(set(seqs)) and len(seqs) == REPLIERS + 1
    # and the ticket's counters agree with what is stored
    assert detail["message_count"] == REPLIERS + 1
    _, sent, _ = api.call("GET", "/api/portal/folders/sent?limit=100", token=token)
    assert len(sent["items"]) == REPLIERS + 1
    # and every retry paused a few milliseconds (a writer loses at most once to each other)
    assert all(0.002 <= pause <= 0.1 for pause in pauses), pauses


def test_a_reply_that_meets_a_concurrent_change_is_written_once_after_growing_pauses(
    api, make_org, make_user, monkeypatch, pauses
):
    # Given a ticket of Alice's that another writer changes twice while her reply is written
    token, ticket_id = _alice_with_a_ticket(api, make_org, make_user)
    changes = _changed_meanwhile(monkeypatch, times=2)
    # When she replies
    status, body, _ = api.call("POST", f"/api/portal/tickets/{ticket_id}/messages",
                               {"body": "second"}, token=token)
    # Then the reply is accepted and stored once, on the third attempt
    assert status == 201, body
    assert len(changes) == 2
    _, detail, _ = api.call("GET", f"/api/portal/tickets/{ticket_id}", token=token)
    assert [m["body"] for m in detail["messages"]] == ["first", "second"]
    # after a jittered pause before each new attempt, growing with the attempts
    assert len(pauses) == 2
    for attempt, pause in enumerate(pauses):
        low, high = _jitter_bounds(attempt)
        assert low <= pause <= high, (attempt, pause)


def test_a_ticket_that_keeps_changing_answers_busy_and_stores_nothing(
    api, make_org, make_user, monkeypatch, pauses
):
    # Given a ticket of Alice's that another writer changes before every write
    token, ticket_id = _alice_with_a_ticket(api, make_org, make_user)
    _changed_meanwhile(monkeypatch, times=commit.COMMIT_ATTEMPTS)
    # When she replies
    status, body, _ = api.call("POST", f"/api/portal/tickets/{ticket_id}/messages",
                               {"body": "lost?"}, token=token)
    # Then she is told to try again, after every attempt was made, and nothing was stored
    assert status == 409, body
    assert body["error"]["code"] == "ticket_busy"
    assert len(pauses) == commit.COMMIT_ATTEMPTS
    _, detail, _ = api.call("GET", f"/api/portal/tickets/{ticket_id}", token=token)
    assert [m["body"] for m in detail["messages"]] == ["first"]
