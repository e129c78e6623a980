"""A thread as each side reads it: customers count only the public messages (1, 2, 3… whatever
notes the team writes) and see only public activity; agents count every message. Long threads
are read a page at a time, newest first, at the same cost as short ones; polling never skips a
message. An agent can mark a conversation as waiting on the customer (pending)."""

from __future__ import annotations

import random

import pytest

from chalicelib.data.messages import INTERNAL, PUBLIC
from chalicelib.services.tickets.threads import THREAD_PAGE
from tests.functional.auth_support import environment
from tests.functional.conversation_support import Cast, assert_error
from tests.functional.dynamodb_support import dynamodb_calls
from tests.seeding import seed_thread

pytestmark = pytest.mark.functional


def portal(ticket_id: str) -> str:
    return f"/api/portal/tickets/{ticket_id}"


def console(ticket_id: str) -> str:
    return f"/api/console/tickets/{ticket_id}"


def my_subjects(cast: Cast, who: str) -> list[tuple[str, str]]:
    items = cast.get(who, "/api/portal/tickets")["items"]
    return [(t["subject"], t["last_activity_at"]) for t in items]


# ---------------------------------------------------------------------------------------------
# What notes do not show


def test_notes_leave_the_customers_numbers_order_and_times_as_they_were(cast, fake_clock):
    # Given Alice's two tickets, the printer one older than the invoice one
    printer = cast.open_ticket("alice", subject="Printer on fire")
    fake_clock.advance(60)
    invoice = cast.open_ticket("alice", "Billed twice", topic="billing", subject="Invoice")
    before = my_subjects(cast, "alice")
    assert [s for s, _ in before] == ["Invoice", "Printer on fire"]

    # When the team writes notes on the printer ticket, resolves another one silently, and
    # marks the printer one as waiting on Alice
    fake_clock.advance(60)
    assert cast.answer("sam", printer["id"], "note", "Ask facilities?")[0] == 201
    fake_clock.advance(60)
    assert cast.answer("kim", printer["id"], "note", "Facilities know.")[0] == 201
    fake_clock.advance(60)
    assert cast.answer("sam", invoice["id"], "resolve_silently", "Refunded already.")[0] == 201
    status, _, _ = cast.call("sam", "PATCH", console(printer["id"]), {"status": "pending"})
    assert status == 200

    # Then Alice's list has the same order and the same activity times
    assert my_subjects(cast, "alice") == before
    # While the console's list shows the printer ticket as the most recently worked on
    first = cast.get("sam", "/api/console/tickets")["items"][0]
    assert first["id"] == printer["id"]

    # When the team answers her publicly
    fake_clock.advance(60)
    assert cast.answer("sam", printer["id"], "send_leave_open", "Unplug it.")[0] == 201

    # Then she sees messages 1 and 2, no gap where the notes were, and it moves up her list
    view = cast.portal_ticket("alice", printer["id"])
    assert [m["seq"] for m in view["messages"]] == [1, 2]
    assert [s for s, _ in my_subjects(cast, "alice")] == ["Printer on fire", "Invoice"]
    # And her reply is number 3
    status, reply, _ = cast.reply("alice", printer["id"], "Done, it stopped.")
    assert status == 201 and reply["message"]["seq"] == 3
    # While the console counts every message, notes and events included, in writing order
    thread = cast.get("sam", console(printer["id"]))["messages"]
    assert [m["seq"] for m in thread] == list(range(1, len(thread) + 1))
    assert [m["body"] for m in thread if m["kind"] != "system_event"] == [
        "My printer is on fire and the smoke alarm is beeping", "Ask facilities?",
        "Facilities know.", "Unplug it.", "Done, it stopped."]


def test_both_sides_poll_every_message_once_around_notes(cast):
    ticket = cast.open_ticket("alice")["id"]
    cast.answer("sam", ticket, "note", "Internal 1")
    cast.answer("sam", ticket, "send_leave_open", "Public 2")
    cast.answer("kim", ticket, "note", "Internal 2")
    cast.reply("alice", ticket, "Public 3")
    cast.answer("sam", ticket, "note", "Internal 3")

    # The customer, polling after each number she has, gets the next public message
    assert cast.get("alice", f"{portal(ticket)}/messages?after=1")["last_seq"] == 3
    seen = cast.get("alice", f"{portal(ticket)}/messages?after=1")["messages"]
    assert [(m["seq"], m["body"]) for m in seen] == [(2, "Public 2"), (3, "Public 3")]
    assert cast.get("alice", f"{portal(ticket)}/messages?after=3")["messages"] == []

    # The console, from any number it may hold, gets exactly what came after it
    everything = [(m["seq"], m["body"]) for m in cast.get("sam", console(ticket))["messages"]]
    for after in range(len(everything) + 2):
        polled = cast.get("sam", f"{console(ticket)}/messages?after={after}")
        assert [(m["seq"], m["body"]) for m in polled["messages"]] == everything[after:]
        assert polled["last_seq"] == max(after, len(everything))


# ---------------------------------------------------------------------------------------------
# Long threads


def long_thread(cast: Cast, length: int, seed: int = 3) -> tuple[str, list[str]]:
    """Alice's ticket with `length` more messages, about one in three internal."""
    ticket = cast.open_ticket("alice")["id"]
    rng = random.Random(seed)
    kinds = [INTERNAL if rng.random() < 0.35 else PUBLIC for _ in range(length)]
    seed_thread(ticket, kinds)
    return ticket, [PUBLIC, *kinds]


def read_back(cast: Cast, who: str, base: str) -> list[list[int]]:
    """The detail's page, then every earlier page: the numbers of each, in reading order."""
    body = cast.get(who, base)
    pages = [[m["seq"] for m in body["messages"]]]
    while body["earlier_cursor"]:
        body = cast.get(who, f"{base}/messages?before={body['earlier_cursor']}")
        pages.append([m["seq"] for m in body["messages"]])
    return pages


def test_a_long_thread_shows_its_newest_page_and_reads_back_to_the_first_message(cast):
    # Given a thread of 2.5 pages of public messages and notes between them
    ticket, kinds = long_thread(cast, 360)
    public = kinds.count(PUBLIC)
    assert public > 2 * THREAD_PAGE

    # Then the customer sees the newest page, and reading back reaches message 1, every
    # message once, each page older than the one before
    pages = read_back(cast, "alice", portal(ticket))
    assert pages[0] == list(range(public - THREAD_PAGE + 1, public + 1))
    assert all(len(page) <= THREAD_PAGE and page == sorted(page) for page in pages)
    assert [n for page in reversed(pages) for n in page] == list(range(1, public + 1))

    # And so does the agent, over every message, notes included
    pages = read_back(cast, "sam", console(ticket))
    assert pages[0] == list(range(len(kinds) - THREAD_PAGE + 1, len(kinds) + 1))
    assert [n for page in reversed(pages) for n in page] == list(range(1, len(kinds) + 1))
    internal = [m for m in cast.get("sam", console(ticket))["messages"] if m["internal"]]
    assert len(internal) == kinds[-THREAD_PAGE:].count(INTERNAL)


def test_a_thread_of_exactly_one_page_has_nothing_before_it(cast):
    ticket = cast.open_ticket("alice")["id"]
    seed_thread(ticket, [PUBLIC] * (THREAD_PAGE - 1))
    assert read_back(cast, "alice", portal(ticket)) == [list(range(1, THREAD_PAGE + 1))]
    assert read_back(cast, "sam", console(ticket)) == [list(range(1, THREAD_PAGE + 1))]


def test_polling_a_long_way_behind_catches_up_without_a_gap(cast):
    ticket, kinds = long_thread(cast, 330, seed=5)
    for who, base, total in (("alice", portal(ticket), kinds.count(PUBLIC)),
                             ("sam", console(ticket), len(kinds))):
        for start in (0, 1, 17, total - THREAD_PAGE - 3):
            after, seen = start, []
            while True:
                polled = cast.get(who, f"{base}/messages?after={after}")
                if not polled["messages"]:
                    break
                seen += [m["seq"] for m in polled["messages"]]
                after = polled["last_seq"]
            assert seen == list(range(start + 1, total + 1)), (who, start)


def test_the_detail_costs_the_same_for_three_messages_or_three_hundred(cast):
    short = cast.open_ticket("alice")["id"]
    seed_thread(short, [PUBLIC, INTERNAL])
    long, _ = long_thread(cast, 300)
    for who, base in (("alice", portal), ("sam", console)):
        cast.get(who, base(short))  # read once: marks read, as the second reading of each does
        cast.get(who, base(long))
        costs = []
        for ticket in (short, long):
            with dynamodb_calls() as calls:
                cast.get(who, base(ticket))
            costs.append(sum(calls.values()))
        assert costs[0] == costs[1], (who, costs)


def test_an_earlier_cursor_reads_only_the_thread_and_side_it_came_from(cast):
    ticket, _ = long_thread(cast, 150)
    other = cast.open_ticket("alice")["id"]
    cursor = cast.get("alice", portal(ticket))["earlier_cursor"]
    staff_cursor = cast.get("sam", console(ticket))["earlier_cursor"]
    for who, path in (
        ("alice", f"{portal(other)}/messages?before={cursor}"),
        ("alice", f"{portal(ticket)}/messages?before={staff_cursor}"),
        ("sam", f"{console(ticket)}/messages?before={cursor}"),
        ("alice", f"{portal(ticket)}/messages?before=forged"),
    ):
        assert_error(cast.call(who, "GET", path), 400, "invalid_cursor")


def test_an_earlier_cursor_from_before_a_key_rotation_reads_on_until_the_previous_key_is_cleared(
    cast,
):
    # Given Alice's long thread open in her browser, its "earlier" cursor signed with the old key
    ticket, _ = long_thread(cast, 150)
    with environment(PARLEY_SIGNING_KEY="the-old-signing-key"):
        cursor = cast.get("alice", portal(ticket))["earlier_cursor"]
    earlier = f"{portal(ticket)}/messages?before={cursor}"

    # When the key is rotated, the old one kept as the previous key
    with environment(PARLEY_SIGNING_KEY="the-new-signing-key",
                     PARLEY_SIGNING_KEY_PREVIOUS="the-old-signing-key"):
        # Then "earlier messages" still loads the next page
        status, body, _ = cast.call("alice", "GET", earlier)
        assert status == 200, body
        assert body["messages"]

    # When the previous key is cleared
    with environment(PARLEY_SIGNING_KEY="the-new-signing-key"):
        # Then the same cursor is refused (a reload hands out a new one)
        assert_error(cast.call("alice", "GET", earlier), 400, "invalid_cursor")
        fresh = cast.get("alice", portal(ticket))["earlier_cursor"]
        assert cast.call("alice", "GET", f"{portal(ticket)}/messages?before={fresh}")[0] == 200


# ---------------------------------------------------------------------------------------------
# Pending: waiting on the customer


def test_an_agent_marks_a_conversation_pending_and_the_customers_reply_opens_it(cast):
    ticket = cast.open_ticket("alice")["id"]
    cast.answer("sam", ticket, "send_leave_open", "Which model is it?")

    # When Sam marks it as waiting on Alice
    status, view, _ = cast.call("sam", "PATCH", console(ticket), {"status": "pending"})

    # Then the console shows pending, still among the open conversations, with the change in
    # its thread
    assert status == 200 and view["ticket"]["status"] == "pending"
    assert view["messages"][-1]["body"] == "Waiting on the customer."
    open_ids = [t["id"] for t in cast.get("sam", "/api/console/tickets?status=open")["items"]]
    assert ticket in open_ids
    # And Alice sees it open (Open / Closed is all customers are shown by default) with no
    # trace of the change
    mine = cast.portal_ticket("alice", ticket)
    assert mine["ticket"]["status"] == "open"
    assert [m["body"] for m in mine["messages"]][-1] == "Which model is it?"
    # Unless the admin shows customers every status
    cast.change_settings(status_display="full")
    assert cast.portal_ticket("alice", ticket)["ticket"]["status"] == "pending"

    # When Alice answers, it is the team's turn again
    assert cast.reply("alice", ticket, "The X200.")[0] == 201
    assert cast.console_ticket("sam", ticket)["status"] == "open"
    assert cast.portal_ticket("alice", ticket)["ticket"]["status"] == "open"

    # And an agent can also take the mark off by hand
    cast.call("sam", "PATCH", console(ticket), {"status": "pending"})
    status, view, _ = cast.call("kim", "PATCH", console(ticket), {"status": "open"})
    assert status == 200 and view["ticket"]["status"] == "open"


def test_pending_is_for_open_conversations_only(cast):
    ticket = cast.open_ticket("alice")["id"]
    cast.answer("sam", ticket, "send", "Fixed.")  # resolved
    assert_error(cast.call("sam", "PATCH", console(ticket), {"status": "pending"}), 409,
                 "ticket_not_open")
    for body in ({}, {"status": "resolved"}, {"status": "closed"}, {"status": None}):
        assert_error(cast.call("sam", "PATCH", console(ticket), body), 400)
    assert cast.console_ticket("sam", ticket)["status"] == "resolved"


def test_setting_pending_twice_writes_one_event(cast):
    ticket = cast.open_ticket("alice")["id"]
    for _ in range(2):
        assert cast.call("sam", "PATCH", console(ticket), {"status": "pending"})[0] == 200
    thread = cast.get("sam", console(ticket))["messages"]
    assert [m["body"] for m in thread].count("Waiting on the customer.") == 1
