"""Concurrent writers never lose data."""

from __future__ import annotations

import threading

import pytest

pytestmark = pytest.mark.functional

REPLIERS = 20


def test_twenty_simultaneous_replies_are_all_stored_in_order(
    api, make_org, make_user, requests_per_thread
):
    # Given a ticket of Alice's, and twenty replies ready to go at the same instant
    acme = make_org("Acme")
    alice = make_user("customer", org_id=acme["id"])
    token = api.login(alice["email"])
    _, created, _ = api.call("POST", "/api/portal/tickets",
                             {"topic": "general", "subject": "Load", "body": "first"}, token=token)
    ticket_id = created["ticket"]["id"]
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
