"""Two agents on one conversation: each sees who else is viewing it and who is typing, and an
answer written on a view someone else's message or another assignee has made stale is refused
with what changed (409 `conversation_changed`), so it never goes out over a teammate's."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from tests.functional.conversation_support import Cast, assert_error
from tests.functional.test_console import both_read_first  # noqa: F401 - a fixture

pytestmark = pytest.mark.functional


def messages_path(ticket_id: str) -> str:
    return f"/api/console/tickets/{ticket_id}/messages"


def presence_path(ticket_id: str) -> str:
    return f"/api/console/tickets/{ticket_id}/presence"


def seen_by(cast: Cast, who: str, ticket_id: str) -> dict[str, Any]:
    """What the agent's page shows once loaded: the expectations its answers carry."""
    view = cast.get(who, f"/api/console/tickets/{ticket_id}")
    assignee = view["ticket"]["assignee"]
    return {"expected_last_seq": max(m["seq"] for m in view["messages"]),
            "expected_assignee_id": assignee["id"] if assignee else None}


def send(cast: Cast, who: str, ticket_id: str, action: str, body: str, **seen: Any):
    return cast.call(who, "POST", messages_path(ticket_id),
                     {"action": action, "body": body, **seen})


def bodies(cast: Cast, ticket_id: str) -> list[str]:
    return [m["body"] for m in cast.get("sam", f"/api/console/tickets/{ticket_id}")["messages"]]


def beat(cast: Cast, who: str, ticket_id: str, typing: bool = False) -> list[tuple[str, bool]]:
    status, body, _ = cast.call(who, "PUT", presence_path(ticket_id), {"typing": typing})
    assert status == 200, body
    return [(viewer["name"], viewer["typing"]) for viewer in body["items"]]


# ---------------------------------------------------------------------------------------------
# Stale answers


def test_an_answer_after_a_teammate_answered_is_refused_with_what_changed(cast):
    # Given Alice's unassigned question, open on Sam's and on Kim's page
    ticket = cast.open_ticket("alice", "The VPN drops every hour.")
    sam_saw = seen_by(cast, "sam", ticket["id"])
    kim_saw = seen_by(cast, "kim", ticket["id"])
    assert sam_saw == kim_saw == {"expected_last_seq": 1, "expected_assignee_id": None}

    # When Kim answers and leaves it open, then Sam sends his answer (which would resolve it)
    assert send(cast, "kim", ticket["id"], "send_leave_open", "Which client version?",
                **kim_saw)[0] == 201
    refused = send(cast, "sam", ticket["id"], "send", "Reinstall the client.", **sam_saw)

    # Then Sam's answer is refused, saying who wrote, who has it now and where the thread is
    error = assert_error(refused, 409, "conversation_changed")
    assert error["details"] == {
        "last_seq": 2,
        "new_messages": 1,
        "authors": [{"id": cast.id("kim"), "name": "Kim Agent", "role": "agent"}],
        "assignee": {"id": cast.id("kim"), "name": "Kim Agent"},
        "assignee_changed": True,
        "status": "open",
    }
    assert "Kim Agent" in error["message"]
    # and nothing of it went out: the ticket stays open as Kim meant, Alice has one answer
    assert bodies(cast, ticket["id"]) == ["The VPN drops every hour.", "Which client version?"]
    assert cast.console_ticket("sam", ticket["id"])["status"] == "open"
    assert [e["preview"] for e in cast.get("alice", "/api/portal/folders/inbox")["items"]] == [
        "Which client version?"]

    # When Sam sends anyway, with what the refusal told him
    status, sent, _ = send(cast, "sam", ticket["id"], "send", "Reinstall the client.",
                           expected_last_seq=error["details"]["last_seq"],
                           expected_assignee_id=error["details"]["assignee"]["id"])
    # Then it goes out
    assert status == 201, sent
    assert sent["message"]["seq"] == 3
    assert cast.console_ticket("sam", ticket["id"])["status"] == "resolved"


def test_only_someone_elses_message_or_assignment_is_news(cast):
    ticket = cast.open_ticket("alice", "Printer offline.")
    saw = seen_by(cast, "sam", ticket["id"])
    # Sam's own note, then his own answer (which assigns him): nothing he did not know
    assert send(cast, "sam", ticket["id"], "note", "Checking the print server.", **saw)[0] == 201
    assert send(cast, "sam", ticket["id"], "send_leave_open", "Is it plugged in?",
                **saw)[0] == 201
    assert send(cast, "sam", ticket["id"], "note", "Asked about the cable.", **saw)[0] == 201

    # A customer's reply is news
    assert cast.reply("alice", ticket["id"], "Yes, it is.")[0] == 201
    error = assert_error(send(cast, "sam", ticket["id"], "send", "Restart it.", **saw),
                         409, "conversation_changed")
    assert error["details"]["authors"] == [
        {"id": cast.id("alice"), "name": "Alice", "role": "customer"}]
    assert error["details"]["new_messages"] == 1
    assert error["details"]["assignee_changed"] is True  # from nobody, as his page first said
    assert error["details"]["assignee"] == {"id": cast.id("sam"), "name": "Sam Agent"}

    # So is a teammate's internal note, and only it when Sam's page has the reply
    saw = seen_by(cast, "sam", ticket["id"])
    assert send(cast, "kim", ticket["id"], "note", "That printer is on my list.")[0] == 201
    error = assert_error(send(cast, "sam", ticket["id"], "send", "Restart it.", **saw),
                         409, "conversation_changed")
    assert error["details"]["authors"] == [
        {"id": cast.id("kim"), "name": "Kim Agent", "role": "agent"}]
    assert error["details"]["assignee_changed"] is False

    # And a reassignment, even for a caller who only says whom it saw assigned
    saw = seen_by(cast, "sam", ticket["id"])
    assign = f"/api/console/tickets/{ticket['id']}/assign"
    assert cast.call("kim", "POST", assign, {"assignee_id": cast.id("kim")})[0] == 200
    error = assert_error(send(cast, "sam", ticket["id"], "send", "Restart it.",
                              expected_assignee_id=saw["expected_assignee_id"]),
                         409, "conversation_changed")
    assert error["details"]["assignee"] == {"id": cast.id("kim"), "name": "Kim Agent"}
    assert (error["details"]["assignee_changed"], error["details"]["new_messages"]) == (True, 0)
    assert "Restart it." not in bodies(cast, ticket["id"])


def test_an_answer_without_expectations_is_sent_as_before(cast):
    # API clients that say nothing of what they saw answer as they always did
    ticket = cast.open_ticket("alice")
    assert send(cast, "kim", ticket["id"], "send_leave_open", "On it.")[0] == 201
    assert send(cast, "sam", ticket["id"], "send", "Fixed.")[0] == 201
    assert cast.console_ticket("sam", ticket["id"])["status"] == "resolved"


def test_two_answers_sent_at_once_on_the_same_view_one_goes_out(
    cast, requests_per_thread, both_read_first, monkeypatch
):
    from chalicelib.services.tickets import commit

    pauses: list[float] = []
    monkeypatch.setattr(commit, "pause", pauses.append)  # the retry's pause, not slept here
    ticket = cast.open_ticket("alice", "Cannot log in.")
    saw = {who: seen_by(cast, who, ticket["id"]) for who in ("sam", "kim")}
    start = threading.Barrier(2)
    both_read_first["barrier"] = threading.Barrier(2)  # both rules see the same ticket
    results: dict[str, tuple] = {}

    def answer(who: str, action: str) -> None:
        start.wait()
        results[who] = send(cast, who, ticket["id"], action, f"{who} answers", **saw[who])

    # When Sam sends and Kim sends-and-leaves-open at the same instant, on the same view
    threads = [threading.Thread(target=answer, args=args)
               for args in (("sam", "send"), ("kim", "send_leave_open"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    both_read_first["barrier"] = None

    # Then exactly one goes out, and the other is told who answered
    assert sorted(status for status, _, _ in results.values()) == [201, 409], results
    winner = next(who for who, r in results.items() if r[0] == 201)
    loser = next(who for who, r in results.items() if r[0] == 409)
    error = assert_error(results[loser], 409, "conversation_changed")
    assert [a["id"] for a in error["details"]["authors"]] == [cast.id(winner)]
    assert bodies(cast, ticket["id"]) == ["Cannot log in.", f"{winner} answers"]
    # after the loser's transaction failed on the winner's write and its check ran again
    assert len(pauses) == 1


# ---------------------------------------------------------------------------------------------
# Presence


def test_agents_see_who_else_is_viewing_and_typing(cast, fake_clock):
    ticket = cast.open_ticket("alice")
    # Kim opens the conversation first: nobody else is there
    assert beat(cast, "kim", ticket["id"]) == []
    # Sam opens it: Kim is viewing, not typing
    assert beat(cast, "sam", ticket["id"]) == [("Kim Agent", False)]
    # Kim starts typing: Sam's next heartbeat says so, and Kim sees Sam
    fake_clock.advance(2)
    assert beat(cast, "kim", ticket["id"], typing=True) == [("Sam Agent", False)]
    fake_clock.advance(2)
    assert beat(cast, "sam", ticket["id"]) == [("Kim Agent", True)]
    # Kim stops: at once
    assert beat(cast, "kim", ticket["id"], typing=False) == [("Sam Agent", False)]
    assert beat(cast, "sam", ticket["id"]) == [("Kim Agent", False)]

    # A typing that nobody renews fades (a tab closed mid-sentence)
    assert beat(cast, "kim", ticket["id"], typing=True)
    fake_clock.advance(11)
    assert beat(cast, "sam", ticket["id"]) == [("Kim Agent", False)]

    # Kim leaves: gone at Sam's next heartbeat
    assert cast.call("kim", "DELETE", presence_path(ticket["id"]))[0] == 200
    assert beat(cast, "sam", ticket["id"]) == []
    # Kim comes back, then her page vanishes without a goodbye: gone within half a minute,
    # though DynamoDB's TTL has deleted nothing
    beat(cast, "kim", ticket["id"])
    fake_clock.advance(15)
    assert beat(cast, "sam", ticket["id"]) == [("Kim Agent", False)]
    fake_clock.advance(11)
    assert beat(cast, "sam", ticket["id"]) == []


def test_a_page_beats_every_five_seconds_unless_the_local_stack_is_told_otherwise(
    cast, monkeypatch
):
    from chalicelib.services import presence
    from parley_dev.cli.dev import QUICKER_PRESENCE, quicker_presence

    ticket = cast.open_ticket("alice")
    path = presence_path(ticket["id"])
    assert cast.call("sam", "PUT", path, {"typing": False})[1]["heartbeat_seconds"] == 5
    monkeypatch.delenv(QUICKER_PRESENCE, raising=False)
    quicker_presence()  # without the variable: as before
    assert cast.call("sam", "PUT", path, {"typing": False})[1]["heartbeat_seconds"] == 5
    # The browser tests' stack asks for a beat every 2 s
    monkeypatch.setattr(presence, "HEARTBEAT_SECONDS", presence.HEARTBEAT_SECONDS)  # restored
    monkeypatch.setenv(QUICKER_PRESENCE, "2")
    quicker_presence()
    assert cast.call("sam", "PUT", path, {"typing": False})[1]["heartbeat_seconds"] == 2


def test_customers_never_see_nor_set_presence(cast):
    ticket = cast.open_ticket("alice")
    beat(cast, "kim", ticket["id"], typing=True)
    # The customer's own ticket: 403 on both routes, and her ticket's answers name nobody
    for method, body in (("PUT", {"typing": True}), ("DELETE", None)):
        assert_error(cast.call("alice", method, presence_path(ticket["id"]), body), 403)
    detail = cast.portal_ticket("alice", ticket["id"])
    assert "Kim" not in str(detail)
    assert beat(cast, "sam", ticket["id"]) == [("Kim Agent", True)]
    # And staff on a ticket that does not exist: the 404 of a missing ticket
    assert_error(cast.call("sam", "PUT", presence_path("0123456789abcdef0123456789abcdef"),
                           {"typing": False}), 404, "ticket_not_found")


def test_a_heartbeat_does_not_keep_the_session_alive(cast, fake_clock):
    cast.change_settings(idle_timeout_minutes=5)
    ticket = cast.open_ticket("alice")
    cast.token("sam")  # signed in now: his last activity
    # When Sam's page beats every 5 s for five minutes, typing now and then, untouched
    for n in range(60):
        fake_clock.advance(5)
        status, body, _ = cast.call("sam", "PUT", presence_path(ticket["id"]),
                                    {"typing": n % 10 == 0})
        assert status == 200, body
    fake_clock.advance(5)
    # Then his session has ended as idle
    error = assert_error(cast.call("sam", "PUT", presence_path(ticket["id"]), {}), 401)
    assert (error["code"], error["details"]) == ("session_expired", {"reason": "idle"})
