"""The customer's ticket list beyond its filters: the Unread list (a sparse index of the reads
table, kept in the transaction of each answer), reading a ticket everywhere at once (list, Inbox,
feed) up to what was shown, sorting either way by what an index orders, and the trash saying
when it empties itself."""

from __future__ import annotations

import pytest

from tests.functional.conversation_support import Cast, assert_error

pytestmark = pytest.mark.functional


def listed(cast: Cast, who: str, query: str = "") -> list[tuple[str, bool]]:
    items = cast.get(who, f"/api/portal/tickets?limit=100&{query}")["items"]
    return [(t["subject"], t["unread"]) for t in items]


def counts(cast: Cast, who: str) -> tuple[int, int]:
    """What the two badges say: the Inbox's unread messages and the bell's unread items."""
    inbox = cast.get(who, "/api/portal/folders")["unread"]["inbox"]
    return inbox, cast.get(who, "/api/notifications/unread-count")["unread"]


def read_up_to(cast: Cast, who: str, ticket_id: str, seq: int) -> dict:
    status, body, _ = cast.call(who, "POST", f"/api/portal/tickets/{ticket_id}/read",
                                {"seq": seq})
    assert status == 200, body
    return dict(body)


def test_an_answer_puts_the_ticket_in_unread_until_she_reads_what_it_says(cast, fake_clock):
    # Given Alice's two tickets, answered by the team one after the other
    lamp = cast.open_ticket("alice", subject="Lamp")
    desk = cast.open_ticket("alice", subject="Desk")
    cast.open_ticket("alice", subject="Chair")
    fake_clock.advance(60)
    cast.answer("sam", desk["id"], "send_leave_open", "Which model?")
    fake_clock.advance(60)
    cast.answer("sam", lamp["id"], "send_leave_open", "Is it plugged in?")
    cast.answer("sam", lamp["id"], "note", "Internal: probably the fuse")
    # Then Unread lists the two, the latest answer first (or last), each marked unread
    assert listed(cast, "alice", "status=unread") == [("Lamp", True), ("Desk", True)]
    assert listed(cast, "alice", "status=unread&order=asc") == [("Desk", True), ("Lamp", True)]
    assert listed(cast, "alice", "status=unread&q=desk") == [("Desk", True)]
    # And the list of all marks the same two
    assert dict(listed(cast, "alice")) == {"Chair": False, "Desk": True, "Lamp": True}
    # Unread is ordered by its answers only
    error = assert_error(
        cast.call("alice", "GET", "/api/portal/tickets?status=unread&sort=created"),
        400, "invalid_input")
    assert [d["field"] for d in error["details"]] == ["sort"]

    # When she opens the lamp ticket, it leaves Unread
    cast.portal_ticket("alice", lamp["id"])
    assert listed(cast, "alice", "status=unread") == [("Desk", True)]

    # When an answer arrives just after her page showed the first one (a live update it has
    # not delivered yet), reading what was shown leaves the new answer unread
    shown = cast.portal_ticket("alice", desk["id"])["message_count"]
    fake_clock.advance(60)
    cast.answer("sam", desk["id"], "send_leave_open", "A photo would help.")
    assert read_up_to(cast, "alice", desk["id"], shown)["unread"]["inbox"] == 1
    assert listed(cast, "alice", "status=unread") == [("Desk", True)]
    # And once the page shows it too, nothing is unread anywhere
    assert read_up_to(cast, "alice", desk["id"], shown + 1)["unread"]["inbox"] == 0
    assert listed(cast, "alice", "status=unread") == []
    # Her own reply marks nothing unread
    cast.reply("alice", desk["id"], "Here it is.")
    assert listed(cast, "alice", "status=unread") == []


def test_unread_in_the_organization_view_is_the_readers_own(cast):
    # Given Alice's ticket and her boss's, both answered; the boss has the organization view
    cast.answer("sam", cast.open_ticket("alice", subject="Alice's printer")["id"],
                "send_leave_open", "Try again")
    cast.answer("sam", cast.open_ticket("boss", subject="Boss's laptop")["id"],
                "send_leave_open", "On its way")
    # Then in the organization's list, the answer to Alice is unread for Alice only
    assert dict(listed(cast, "boss", "scope=org")) == {
        "Alice's printer": False, "Boss's laptop": True}
    assert listed(cast, "boss", "scope=org&status=unread") == [("Boss's laptop", True)]
    assert listed(cast, "alice", "status=unread") == [("Alice's printer", True)]
    # And Bob, without the view, has no organization's list, unread or not
    assert_error(cast.call("bob", "GET", "/api/portal/tickets?scope=org&status=unread"), 403,
                 "no_org_view")


def test_the_list_sorts_by_last_activity_or_by_opening_either_way(cast, fake_clock):
    first = cast.open_ticket("alice", subject="First")
    for subject in ("Second", "Third"):
        fake_clock.advance(60)
        cast.open_ticket("alice", subject=subject)
    fake_clock.advance(60)
    cast.answer("sam", first["id"], "send_leave_open", "Looking into it")

    def subjects(query: str) -> list[str]:
        return [subject for subject, _ in listed(cast, "alice", query)]

    assert subjects("") == ["First", "Third", "Second"]
    assert subjects("order=asc") == ["Second", "Third", "First"]
    assert subjects("sort=created") == ["Third", "Second", "First"]
    assert subjects("sort=created&order=asc") == ["First", "Second", "Third"]


def test_the_inbox_and_the_bell_count_alike_and_reading_clears_both(cast, stream, fake_clock):
    # Given the team resolved one of Alice's tickets with an answer and answered another
    printer = cast.open_ticket("alice", subject="Printer")
    router = cast.open_ticket("alice", subject="Router")
    cast.answer("sam", printer["id"], "send", "Fixed it remotely.")
    cast.answer("sam", router["id"], "send_leave_open", "Please restart it.")
    stream.pump()
    # Then the Inbox and the bell both count two: the resolving answer is one item that says so
    assert counts(cast, "alice") == (2, 2)
    feed = cast.get("alice", "/api/notifications")["items"]
    assert sorted((i["title"], i["kind"], i["status"]) for i in feed) == [
        ("Printer", "reply", "closed"), ("Router", "reply", None)]

    # When she opens one ticket, both badges count one less
    cast.portal_ticket("alice", printer["id"])
    assert counts(cast, "alice") == (1, 1)
    # When an answer arrives on the other while her page shows it, the page reads what it
    # showed: both badges stay where they were
    shown = cast.portal_ticket("alice", router["id"])["message_count"]
    assert counts(cast, "alice") == (0, 0)
    fake_clock.advance(5)
    cast.answer("sam", router["id"], "send_leave_open", "And now?")
    stream.pump()
    read_up_to(cast, "alice", router["id"], shown)
    assert counts(cast, "alice") == (1, 1)  # not shown yet: unread in both
    read_up_to(cast, "alice", router["id"], shown + 1)
    assert counts(cast, "alice") == (0, 0)
    # And when the page reads an answer before its feed item is written, the item comes read
    cast.answer("sam", router["id"], "send_leave_open", "Better?")
    read_up_to(cast, "alice", router["id"], shown + 2)
    stream.pump()
    assert counts(cast, "alice") == (0, 0)


def test_the_trash_says_after_how_many_days_it_empties_itself(cast):
    assert cast.get("alice", "/api/portal/folders/trash")["purge_after_days"] == 30
    assert cast.get("alice", "/api/portal/folders/inbox")["purge_after_days"] is None
    cast.change_settings(trash_retention_days=7)
    assert cast.get("alice", "/api/portal/folders/trash")["purge_after_days"] == 7
