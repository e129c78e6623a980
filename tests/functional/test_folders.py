"""The customer's folders: Inbox (from the team), Sent (mine), Trash; read state and unread
counts; restoring; and the job that empties the trash after the retention period."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.functional.conversation_support import DAY, Cast, assert_error, run_job

pytestmark = pytest.mark.functional


def folder(cast: Cast, who: str, name: str) -> list[dict]:
    return list(cast.get(who, f"/api/portal/folders/{name}?limit=100")["items"])


def unread(cast: Cast, who: str) -> dict[str, int]:
    return dict(cast.get(who, "/api/portal/folders")["unread"])


def act(cast: Cast, who: str, entry_id: str, action: str):
    return cast.call(who, "POST", f"/api/portal/folders/entries/{entry_id}/{action}")


def answered_ticket(cast: Cast, *answers: str) -> dict:
    """Alice's ticket, with the team's answers (left open) in her Inbox, newest first."""
    ticket = cast.open_ticket("alice", "Where is my parcel?", subject="Parcel")
    for body in answers:
        status, _, _ = cast.answer("sam", ticket["id"], "send_leave_open", body)
        assert status == 201
    return ticket


def test_the_inbox_holds_the_teams_messages_and_sent_holds_mine(cast, fake_clock):
    # Given Alice asked, the team answered twice (and left a note), and she replied
    ticket = cast.open_ticket("alice", "Where is my parcel?", subject="Parcel")
    fake_clock.advance(60)
    cast.answer("sam", ticket["id"], "send_leave_open", "It left the warehouse.")
    cast.answer("sam", ticket["id"], "note", "Courier is late again")
    fake_clock.advance(60)
    cast.reply("alice", ticket["id"], "It has not arrived.")
    fake_clock.advance(60)
    cast.answer("sam", ticket["id"], "send", "It arrives tomorrow.")
    # Then her Inbox holds the two answers, newest first, unread
    inbox = folder(cast, "alice", "inbox")
    assert [(e["preview"], e["author"], e["read"]) for e in inbox] == [
        ("It arrives tomorrow.", "Sam Agent", False),
        ("It left the warehouse.", "Sam Agent", False),
    ]
    assert {(e["ticket_id"], e["ticket_number"], e["title"]) for e in inbox} == {
        (ticket["id"], 1001, "Parcel")
    }
    # And her Sent folder her own two messages, read
    sent = folder(cast, "alice", "sent")
    assert [(e["preview"], e["author"], e["read"]) for e in sent] == [
        ("It has not arrived.", "Alice", True),
        ("Where is my parcel?", "Alice", True),
    ]
    # The note is nowhere, and the trash is empty
    assert "Courier" not in str(inbox + sent)
    assert folder(cast, "alice", "trash") == []
    # And nobody else's folders changed
    assert folder(cast, "bob", "inbox") == [] and folder(cast, "bob", "sent") == []


def test_each_folder_counts_its_unread_messages(cast):
    answered_ticket(cast, "First answer", "Second answer")
    assert unread(cast, "alice") == {"inbox": 2, "sent": 0, "trash": 0}
    listing = cast.get("alice", "/api/portal/folders/sent")
    assert listing["unread"] == {"inbox": 2, "sent": 0, "trash": 0}
    # Another customer's counts are her own
    assert unread(cast, "bob") == {"inbox": 0, "sent": 0, "trash": 0}


def test_a_message_is_marked_read_and_unread(cast):
    answered_ticket(cast, "First answer", "Second answer")
    newest, older = folder(cast, "alice", "inbox")
    # When she marks the newest one read
    status, changed, _ = act(cast, "alice", newest["id"], "read")
    assert status == 200, changed
    assert changed["entry"]["read"] is True
    assert changed["unread"]["inbox"] == 1
    # Marking it read again counts nothing twice
    assert act(cast, "alice", newest["id"], "read")[1]["unread"]["inbox"] == 1
    # When she marks it unread again
    assert act(cast, "alice", newest["id"], "unread")[1]["entry"]["read"] is False
    assert act(cast, "alice", newest["id"], "unread")[1]["unread"]["inbox"] == 2
    assert [e["read"] for e in folder(cast, "alice", "inbox")] == [False, False]
    # Her own message is read by nature: it cannot be flagged unread, in Sent nor in the trash
    mine = folder(cast, "alice", "sent")[0]
    assert mine["origin"] == "sent"
    assert_error(act(cast, "alice", mine["id"], "unread"), 400, "own_message")
    act(cast, "alice", mine["id"], "trash")
    assert_error(act(cast, "alice", mine["id"], "unread"), 400, "own_message")
    act(cast, "alice", mine["id"], "restore")
    assert unread(cast, "alice") == {"inbox": 2, "sent": 0, "trash": 0}
    # Opening the ticket reads what it holds in her folders
    cast.portal_ticket("alice", older["ticket_id"])
    assert unread(cast, "alice")["inbox"] == 0


def test_a_message_goes_to_the_trash_and_back_to_where_it_came_from(cast):
    answered_ticket(cast, "An answer")
    answer = folder(cast, "alice", "inbox")[0]
    question = folder(cast, "alice", "sent")[0]
    # When she deletes the unread answer and her own question
    status, trashed, _ = act(cast, "alice", answer["id"], "trash")
    assert status == 200, trashed
    assert trashed["entry"]["folder"] == "trash" and trashed["entry"]["trashed_at"]
    act(cast, "alice", question["id"], "trash")
    # Then both are in the trash, and the unread answer counts there now
    assert folder(cast, "alice", "inbox") == [] and folder(cast, "alice", "sent") == []
    assert {e["id"] for e in folder(cast, "alice", "trash")} == {answer["id"], question["id"]}
    assert unread(cast, "alice") == {"inbox": 0, "sent": 0, "trash": 1}
    # When she restores them, each goes back to its own folder, as it was
    status, restored, _ = act(cast, "alice", answer["id"], "restore")
    assert status == 200 and restored["entry"]["folder"] == "inbox"
    assert restored["entry"]["trashed_at"] is None
    assert act(cast, "alice", question["id"], "restore")[1]["entry"]["folder"] == "sent"
    assert [(e["id"], e["read"]) for e in folder(cast, "alice", "inbox")] == [(answer["id"], False)]
    assert [e["id"] for e in folder(cast, "alice", "sent")] == [question["id"]]
    assert folder(cast, "alice", "trash") == []
    assert unread(cast, "alice") == {"inbox": 1, "sent": 0, "trash": 0}


def test_restoring_a_message_that_is_not_in_the_trash_is_refused(cast):
    answered_ticket(cast, "An answer")
    answer = folder(cast, "alice", "inbox")[0]
    assert_error(act(cast, "alice", answer["id"], "restore"), 409, "not_in_trash")
    assert folder(cast, "alice", "inbox")[0]["id"] == answer["id"]
    # Trashing twice is harmless; restoring twice is the same refusal
    act(cast, "alice", answer["id"], "trash")
    assert act(cast, "alice", answer["id"], "trash")[0] == 200
    assert unread(cast, "alice")["trash"] == 1
    act(cast, "alice", answer["id"], "restore")
    assert_error(act(cast, "alice", answer["id"], "restore"), 409, "not_in_trash")


def test_another_customers_message_cannot_be_touched(cast):
    answered_ticket(cast, "Private answer")
    answer = folder(cast, "alice", "inbox")[0]
    # Bob, even with an entry id of Alice's, finds nothing
    for action in ("read", "unread", "trash", "restore"):
        assert_error(act(cast, "bob", answer["id"], action), 404, "entry_not_found")
    # Nor does her organization's boss
    assert_error(act(cast, "boss", answer["id"], "trash"), 404, "entry_not_found")
    # And Alice's message is as it was
    assert [(e["id"], e["folder"], e["read"]) for e in folder(cast, "alice", "inbox")] == [
        (answer["id"], "inbox", False)
    ]
    # Agents have no folders
    assert_error(cast.call("sam", "GET", "/api/portal/folders/inbox"), 403)


def test_an_unknown_folder_or_message_is_not_found(cast):
    answered_ticket(cast, "An answer")
    for name in ("spam", "INBOX", "drafts", "%23counts"):
        assert_error(cast.call("alice", "GET", f"/api/portal/folders/{name}"), 404)
    entry = folder(cast, "alice", "inbox")[0]
    ticket_id = entry["id"].partition(".")[0]
    for wrong in (f"{ticket_id}.99", f"{'0' * 32}.2", ticket_id, f"{ticket_id}.x", "%23counts",
                  "a.b.c", f"{ticket_id}.-1", "x" * 300):
        assert_error(act(cast, "alice", wrong, "read"), 404)
    assert unread(cast, "alice")["inbox"] == 1


def test_a_folder_is_read_page_by_page(cast, fake_clock):
    ticket = cast.open_ticket("alice")
    for n in range(12):
        cast.answer("sam", ticket["id"], "send_leave_open", f"Answer {n}")
        fake_clock.advance(1)
    seen: list[str] = []
    cursor = None
    for _ in range(10):
        path = "/api/portal/folders/inbox?limit=5" + (f"&cursor={quote(cursor)}" if cursor else "")
        page = cast.get("alice", path)
        assert len(page["items"]) <= 5
        seen += [e["preview"] for e in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [f"Answer {n}" for n in reversed(range(12))]
    # A cursor of her inbox does not open Bob's
    first = cast.get("alice", "/api/portal/folders/inbox?limit=5")["next_cursor"]
    assert_error(cast.call("bob", "GET", f"/api/portal/folders/inbox?cursor={quote(first)}"),
                 400, "invalid_cursor")


# ---------------------------------------------------------------------------------------------
# The purge job


def test_the_trash_is_emptied_after_the_retention_period(cast, fake_clock, app_client):
    # Given on day 0 Alice trashes an answer and her question, and keeps another answer
    answered_ticket(cast, "Old answer", "Kept answer")
    kept, old = folder(cast, "alice", "inbox")
    question = folder(cast, "alice", "sent")[0]
    act(cast, "alice", old["id"], "trash")
    act(cast, "alice", question["id"], "trash")
    # And on day 20 Bob trashes an answer of his own
    fake_clock.advance(20 * DAY)
    cast.sign_in_again()
    bobs_ticket = cast.open_ticket("bob")
    assert cast.answer("sam", bobs_ticket["id"], "send", "Bob's answer")[0] == 201
    recent = folder(cast, "bob", "inbox")[0]
    act(cast, "bob", recent["id"], "trash")
    # When the job runs on day 29, nothing is old enough
    fake_clock.advance(9 * DAY)
    assert run_job(app_client, "purge_trash") == {"purged": 0}
    # When it runs on day 31
    fake_clock.advance(2 * DAY)
    assert run_job(app_client, "purge_trash") == {"purged": 2}
    cast.sign_in_again()
    # Then what Alice trashed 31 days ago is gone for good, counters included
    assert folder(cast, "alice", "trash") == []
    assert_error(act(cast, "alice", old["id"], "restore"), 404)
    assert unread(cast, "alice") == {"inbox": 1, "sent": 0, "trash": 0}
    # What she kept is still there, and Bob's recent trash too
    assert [e["id"] for e in folder(cast, "alice", "inbox")] == [kept["id"]]
    assert [e["id"] for e in folder(cast, "bob", "trash")] == [recent["id"]]
    assert unread(cast, "bob")["trash"] == 1
    # The ticket itself keeps its whole thread
    assert cast.portal_ticket("alice", old["ticket_id"])["message_count"] == 3


def test_the_admin_sets_the_retention_and_restored_messages_are_kept(
    cast, fake_clock, app_client
):
    cast.change_settings(trash_retention_days=5)
    answered_ticket(cast, "Restored answer", "Trashed answer")
    trashed, restored = folder(cast, "alice", "inbox")
    act(cast, "alice", trashed["id"], "trash")
    act(cast, "alice", restored["id"], "trash")
    act(cast, "alice", restored["id"], "restore")
    fake_clock.advance(5 * DAY + 60)
    assert run_job(app_client, "purge_trash") == {"purged": 1}
    cast.sign_in_again()
    assert folder(cast, "alice", "trash") == []
    assert [e["id"] for e in folder(cast, "alice", "inbox")] == [restored["id"]]
    assert unread(cast, "alice") == {"inbox": 1, "sent": 0, "trash": 0}


# ---------------------------------------------------------------------------------------------
# Bad input


def test_bad_input_on_the_folder_routes_gets_a_json_error_never_a_500(cast):
    answered_ticket(cast, "An answer")
    entry = folder(cast, "alice", "inbox")[0]["id"]
    attempts = [
        ("POST", f"/api/portal/folders/entries/{entry}/delete", None),
        ("POST", f"/api/portal/folders/entries/{entry}/READ", None),
        ("POST", f"/api/portal/folders/entries/{entry}/purge", None),
        ("POST", f"/api/portal/folders/entries/{entry}/{'x' * 500}", None),
        ("GET", "/api/portal/folders/inbox?limit=0", None),
        ("GET", "/api/portal/folders/inbox?limit=101", None),
        ("GET", "/api/portal/folders/inbox?limit=ten", None),
        ("GET", "/api/portal/folders/inbox?cursor=not-a-cursor", None),
        ("GET", "/api/portal/folders/inbox?cursor=" + "Zm9v" * 600, None),
        ("GET", "/api/portal/folders/inbox?unread=true", None),
        ("GET", "/api/portal/folders/nowhere?limit=abc", None),
    ]
    for method, path, body in attempts:
        status, answer, _ = cast.call("alice", method, path, body)
        assert 400 <= status < 500, (method, path, status, answer)
        assert_error((status, answer, {}), status)
    # And the message is as it was
    assert [(e["folder"], e["read"]) for e in folder(cast, "alice", "inbox")] == [("inbox", False)]
    assert unread(cast, "alice") == {"inbox": 1, "sent": 0, "trash": 0}
