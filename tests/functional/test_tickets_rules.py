"""The customer's side of the conversation rules: opening a ticket, the ticket list, the detail,
replying, resolving, rating, blocked messaging and the auto-close job."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.functional.conversation_support import DAY, Cast, assert_error, run_job
from tests.functional.search_support import index_messages

pytestmark = pytest.mark.functional


def numbers(listing) -> list[int]:
    return [t["number"] for t in listing["items"]]


def my_list(cast: Cast, who: str, query: str = "") -> dict:
    return cast.get(who, f"/api/portal/tickets{'?' + query if query else ''}")


# ---------------------------------------------------------------------------------------------
# Opening a ticket


def test_a_ticket_needs_one_of_the_configured_topics(cast):
    # When Alice picks a topic the portal does not offer
    response = cast.call("alice", "POST", "/api/portal/tickets",
                         {"topic": "lottery", "subject": "Win", "body": "Did I win?"})
    # Then she is told to choose one of the configured topics
    error = assert_error(response, 400, "unknown_topic")
    assert {"general", "billing", "technical"} <= set(error["details"]["topics"])
    # And with a configured topic the ticket opens
    assert cast.open_ticket("alice", topic="billing")["topic"] == "billing"
    assert numbers(my_list(cast, "alice")) == [1001]


def test_a_topic_the_admin_hid_cannot_be_picked(cast):
    # Given the admin hides the billing topic from the portal
    cast.change_settings(hidden_topics=["billing"])
    assert "billing" not in [t["id"] for t in cast.get("alice", "/api/portal/config")["topics"]]
    # When Alice posts to it anyway
    response = cast.call("alice", "POST", "/api/portal/tickets",
                         {"topic": "billing", "subject": "Invoice", "body": "Wrong amount"})
    # Then it is refused like any unknown topic, and no invisible ticket was left behind
    assert_error(response, 400, "unknown_topic")
    assert cast.get("sam", "/api/console/tickets")["items"] == []


def test_an_empty_message_is_refused(cast):
    for body in ("", "   ", "\n\n\t  \n"):
        response = cast.call("alice", "POST", "/api/portal/tickets",
                             {"topic": "general", "subject": "Hello", "body": body})
        assert_error(response, 400, "empty_message")
    assert my_list(cast, "alice")["items"] == []
    # Nor can a reply be empty
    ticket = cast.open_ticket("alice")
    assert_error(cast.reply("alice", ticket["id"], " \n "), 400, "empty_message")
    assert cast.portal_ticket("alice", ticket["id"])["message_count"] == 1


def test_a_message_may_be_ten_thousand_characters_and_no_more(cast):
    # When Alice sends 10,001 characters, she is refused
    too_long = cast.call("alice", "POST", "/api/portal/tickets",
                         {"topic": "general", "subject": "Essay", "body": "x" * 10_001})
    assert_error(too_long, 400)
    # And exactly 10,000 characters are accepted and kept whole
    body = ("word " * 2_000)[:-1] + "!"
    assert len(body) == 10_000
    ticket = cast.open_ticket("alice", body, subject="Essay")
    thread = cast.portal_ticket("alice", ticket["id"])["messages"]
    assert thread[0]["body"] == body
    # The same limit holds for replies
    assert_error(cast.reply("alice", ticket["id"], "y" * 10_001), 400)
    status, _, _ = cast.reply("alice", ticket["id"], "y" * 10_000)
    assert status == 201


def test_a_troubleshooter_ticket_keeps_its_questions_and_answers(cast):
    # Given Alice went through the "Printer" troubleshooter and did not type a message
    troubleshooter = {
        "name": "Printer does not print",
        "answers": [
            {"question": "Is it plugged in?", "answer": "Yes"},
            {"question": "What do the lights do?", "answer": "Orange, blinking"},
        ],
    }
    status, created, _ = cast.call("alice", "POST", "/api/portal/tickets",
                                   {"topic": "technical", "troubleshooter": troubleshooter})
    assert status == 201, created
    ticket_id = created["ticket"]["id"]
    # Then the ticket is named after the troubleshooter and its summary is the first message
    assert created["ticket"]["subject"] == "Printer does not print"
    assert created["ticket"]["channel"] == "troubleshooter"
    first = created["messages"][0]["body"]
    assert "Is it plugged in? Yes" in first and "What do the lights do? Orange, blinking" in first
    # And the agent sees the questions and answers in the console
    detail = cast.get("sam", f"/api/console/tickets/{ticket_id}")
    assert detail["troubleshooter"] == troubleshooter
    assert "Orange, blinking" in detail["messages"][0]["body"]


def test_the_title_defaults_to_the_start_of_the_first_message(cast):
    # Given two tickets: one with a short message, one with a long one
    short = cast.open_ticket("alice", "  Printer\n  jammed  again ")
    long_body = (
        "Our invoice for October lists fourteen licences although we cancelled four of them "
        "in September, please correct it and send a new invoice to accounting."
    )
    long = cast.open_ticket("alice", long_body, topic="billing", subject="Invoice")
    # Then the agent sees the short message whole, whitespace tidied
    assert cast.console_ticket("sam", short["id"])["title"] == "Printer jammed again"
    # And the long one cut at a word, at most 80 characters and an ellipsis
    title = cast.console_ticket("sam", long["id"])["title"]
    assert title.endswith("…")
    words = title[:-1]
    assert len(words) <= 80
    assert long_body.startswith(words)
    assert long_body[len(words)] == " "  # not cut inside a word


def test_agents_edit_the_title_and_customers_cannot(cast):
    ticket = cast.open_ticket("alice")
    path = f"/api/console/tickets/{ticket['id']}"
    # When the agent renames the conversation
    status, detail, _ = cast.call("sam", "PATCH", path, {"title": "Fire: printer, floor 3"})
    # Then everyone on the team sees the new title, and the change is on record
    assert status == 200, detail
    assert cast.console_ticket("kim", ticket["id"])["title"] == "Fire: printer, floor 3"
    assert any("Title changed" in m["body"] for m in detail["messages"] if m["internal"])
    # And an empty title is refused
    assert_error(cast.call("sam", "PATCH", path, {"title": "   "}), 400)
    # But the customer cannot rename it
    assert_error(cast.call("alice", "PATCH", path, {"title": "Mine now"}), 403)
    assert cast.console_ticket("sam", ticket["id"])["title"] == "Fire: printer, floor 3"


def test_ticket_numbers_count_up_from_1001(cast):
    opened = [cast.open_ticket(who)["number"] for who in ("alice", "bob", "alice", "carol")]
    assert opened == [1001, 1002, 1003, 1004]


# ---------------------------------------------------------------------------------------------
# The customer's ticket list


def test_a_customer_lists_their_own_tickets_only(cast):
    # Given Alice and Bob of Acme and Carol of Globex each open a ticket
    alice = cast.open_ticket("alice")["number"]
    cast.open_ticket("bob")
    cast.open_ticket("carol")
    # Then Alice's list holds her ticket only
    assert numbers(my_list(cast, "alice")) == [alice]
    assert numbers(my_list(cast, "alice", "scope=mine")) == [alice]


def test_the_organization_view_needs_the_account_flag_and_the_portal_setting(cast):
    # Given Alice and Bob of Acme and Carol of Globex each open a ticket
    alice_ticket = cast.open_ticket("alice")
    bob_ticket = cast.open_ticket("bob")
    cast.open_ticket("carol")
    # Then Acme's boss, whose account has the organization view, sees Acme's tickets
    assert sorted(numbers(my_list(cast, "boss", "scope=org"))) == [
        alice_ticket["number"], bob_ticket["number"]
    ]
    assert cast.portal_ticket("boss", alice_ticket["id"])["ticket"]["number"] == 1001
    # But Alice, whose account does not have it, may not switch to it nor open Bob's ticket
    assert_error(cast.call("alice", "GET", "/api/portal/tickets?scope=org"), 403, "no_org_view")
    assert_error(cast.call("alice", "GET", f"/api/portal/tickets/{bob_ticket['id']}"), 404)
    # When the admin turns the organization view off for the portal
    cast.change_settings(org_view_enabled=False)
    # Then the boss is back to his own tickets
    assert_error(cast.call("boss", "GET", "/api/portal/tickets?scope=org"), 403, "no_org_view")
    assert_error(cast.call("boss", "GET", f"/api/portal/tickets/{alice_ticket['id']}"), 404)
    assert cast.get("boss", "/api/portal/config")["org_view"] is False


def test_the_list_filters_open_closed_or_all(cast):
    # Given Alice has a new ticket, one answered and resolved, and one closed by its assignee
    new = cast.open_ticket("alice")["number"]
    resolved = cast.open_ticket("alice")
    cast.answer("sam", resolved["id"], "send")
    closed = cast.open_ticket("alice")
    cast.answer("sam", closed["id"], "send_leave_open")
    cast.call("sam", "POST", f"/api/console/tickets/{closed['id']}/close")
    # Then each filter shows what it says
    assert numbers(my_list(cast, "alice", "status=open")) == [new]
    assert sorted(numbers(my_list(cast, "alice", "status=closed"))) == [
        resolved["number"], closed["number"]
    ]
    assert len(my_list(cast, "alice", "status=all")["items"]) == 3
    assert len(my_list(cast, "alice")["items"]) == 3


def test_search_finds_a_ticket_by_its_number(cast):
    cast.open_ticket("alice", subject="First")
    second = cast.open_ticket("alice", subject="Second")
    bobs = cast.open_ticket("bob", subject="Bob's")
    for q in ("#1002", "1002", " #1002 "):
        found = my_list(cast, "alice", "q=" + quote(q))
        assert [t["subject"] for t in found["items"]] == ["Second"], q
    assert second["number"] == 1002
    # Someone else's number finds nothing, unless the organization view is on
    assert my_list(cast, "alice", "q=" + quote(f"#{bobs['number']}"))["items"] == []
    assert numbers(my_list(cast, "boss", f"scope=org&q={bobs['number']}")) == [bobs["number"]]
    assert my_list(cast, "carol", "scope=org&q=1001")["items"] == []


def test_search_finds_tickets_by_subject_words_topic_and_status(cast):
    # Given three tickets on different topics, one of them resolved
    printer = cast.open_ticket("alice", "It smokes", subject="Printer on fire in room 12")
    invoice = cast.open_ticket("alice", "Wrong total", topic="billing", subject="October invoice")
    login = cast.open_ticket("alice", "Cannot sign in", topic="general", subject="Login trouble")
    cast.answer("sam", invoice["id"], "send")
    index_messages()

    def search(q: str, extra: str = "") -> list[int]:
        return sorted(numbers(my_list(cast, "alice", f"q={quote(q)}{extra}")))

    # Then words of the subject find it, in any case and order
    assert search("printer") == [printer["number"]]
    assert search("FIRE") == [printer["number"]]
    assert search("fire printer") == [printer["number"]]
    assert search("octob") == [invoice["number"]]
    assert search("nothing like this") == []
    # The topic finds its tickets, as a search word or as a column filter
    assert search("billing") == [invoice["number"]]
    assert sorted(numbers(my_list(cast, "alice", "topic=general"))) == [login["number"]]
    # The status is the status filter's (a search word is one someone wrote), and search
    # combines with it
    assert search("invoice", "&status=closed") == [invoice["number"]]
    assert search("invoice", "&status=open") == []
    assert search("trouble", "&status=open") == [login["number"]]


def test_the_list_sorts_by_last_activity_or_by_creation(cast, fake_clock):
    # Given three tickets opened a few minutes apart
    first = cast.open_ticket("alice", subject="First")
    fake_clock.advance(300)
    second = cast.open_ticket("alice", subject="Second")
    fake_clock.advance(300)
    third = cast.open_ticket("alice", subject="Third")
    fake_clock.advance(300)
    # When the team answers the oldest one
    cast.answer("sam", first["id"], "send_leave_open", "Looking into it.")
    # Then by activity the answered ticket comes first, by creation the newest does
    by_activity = my_list(cast, "alice", "sort=activity")
    assert [t["subject"] for t in by_activity["items"]] == ["First", "Third", "Second"]
    assert my_list(cast, "alice")["items"] == by_activity["items"]  # activity is the default
    by_creation = my_list(cast, "alice", "sort=created")
    assert [t["subject"] for t in by_creation["items"]] == ["Third", "Second", "First"]
    assert {t["id"] for t in by_creation["items"]} == {first["id"], second["id"], third["id"]}


def test_pages_walk_every_ticket_exactly_once(cast, fake_clock):
    # Given Alice has 26 tickets, some opened in the same second, and Bob has one
    for n in range(26):
        cast.open_ticket("alice", subject=f"Printer {n}")
        if n % 3 == 0:
            fake_clock.advance(60)
    cast.open_ticket("bob", subject="Printer of Bob")  # never on Alice's pages
    index_messages()
    for query in ("sort=activity", "sort=created", "status=open", "q=printer"):
        # When she walks the list ten at a time
        seen: list[int] = []
        times: list[str] = []
        cursor = None
        pages = 0
        while True:
            path = f"/api/portal/tickets?limit=10&{query}"
            if cursor:
                path += f"&cursor={quote(cursor)}"
            page = cast.get("alice", path)
            assert len(page["items"]) <= 10
            seen += numbers(page)
            times += [t["created_at" if query == "sort=created" else "last_activity_at"]
                      for t in page["items"]]
            pages += 1
            cursor = page["next_cursor"]
            if not cursor:
                break
            assert pages < 10, f"{query}: the cursor does not advance"
        # Then every ticket of hers came exactly once, newest first
        assert sorted(seen) == list(range(1001, 1027)), query
        assert len(seen) == len(set(seen)) == 26, query
        assert pages == 3, query
        assert times == sorted(times, reverse=True), query


def test_a_cursor_only_continues_the_list_it_came_from(cast):
    for _ in range(3):
        cast.open_ticket("alice")
        cast.open_ticket("boss")
    page = my_list(cast, "alice", "limit=2")
    assert page["next_cursor"]
    cursor = quote(page["next_cursor"])
    # Another customer cannot use Alice's cursor to read on in her list
    assert_error(cast.call("boss", "GET", f"/api/portal/tickets?limit=2&cursor={cursor}"),
                 400, "invalid_cursor")
    # Nor can Alice use it for another list
    assert_error(cast.call("alice", "GET", f"/api/portal/tickets?limit=2&sort=created&"
                                           f"cursor={cursor}"), 400, "invalid_cursor")


def test_an_answer_from_the_team_marks_the_ticket_unread_until_opened(cast):
    ticket = cast.open_ticket("alice")

    def unread() -> bool:
        return bool(my_list(cast, "alice")["items"][0]["unread"])

    # A ticket she just wrote is read
    assert unread() is False
    # An internal note is nothing new for her
    cast.answer("sam", ticket["id"], "note", "Check the warranty first")
    assert unread() is False
    # When the agent answers, the ticket is unread
    cast.answer("sam", ticket["id"], "send_leave_open", "Is it still burning?")
    assert unread() is True
    # Opening it clears the marker
    cast.portal_ticket("alice", ticket["id"])
    assert unread() is False
    # And her own reply does not set it
    cast.reply("alice", ticket["id"], "Yes")
    assert unread() is False


def test_visibility_rules_hide_tickets_from_customers_but_not_from_agents(cast):
    # Given Alice has a billing ticket, a troubleshooter ticket and a technical one
    billing = cast.open_ticket("alice", topic="billing", subject="Invoice")
    troubleshooter = {"name": "Printer wizard", "answers": [{"question": "On?", "answer": "No"}]}
    status, created, _ = cast.call("alice", "POST", "/api/portal/tickets",
                                   {"topic": "technical", "troubleshooter": troubleshooter})
    assert status == 201
    wizard = created["ticket"]
    visible = cast.open_ticket("alice", subject="Visible")
    # When the admin hides the billing topic and the troubleshooter channel
    index_messages()
    assert numbers(my_list(cast, "alice", "q=invoice")) == [billing["number"]]
    cast.change_settings(hidden_topics=["billing"], hidden_channels=["troubleshooter"])
    # Then Alice's list, search and detail no longer show them
    for query in ("", "status=open", "sort=created", "q=invoice", "q=1001", "q=%231002"):
        listed = {t["id"] for t in my_list(cast, "alice", query)["items"]}
        assert billing["id"] not in listed and wizard["id"] not in listed, query
    assert numbers(my_list(cast, "alice")) == [visible["number"]]
    for hidden in (billing, wizard):
        assert_error(cast.call("alice", "GET", f"/api/portal/tickets/{hidden['id']}"), 404)
        assert_error(cast.reply("alice", hidden["id"]), 404)
    # Nor does the boss's organization view
    assert numbers(my_list(cast, "boss", "scope=org")) == [visible["number"]]
    # But the agents still see and open all three
    listed = {t["id"] for t in cast.get("sam", "/api/console/tickets")["items"]}
    assert {billing["id"], wizard["id"], visible["id"]} <= listed
    assert cast.console_ticket("sam", billing["id"])["topic"] == "billing"
    # And lifting the rules brings them back
    cast.change_settings(hidden_topics=[], hidden_channels=[])
    assert len(my_list(cast, "alice")["items"]) == 3


# ---------------------------------------------------------------------------------------------
# The ticket detail


def test_the_author_of_an_answer_is_shown_as_the_admin_configured(cast):
    ticket = cast.open_ticket("alice")
    cast.change_settings(team_display_name="Acme Helpdesk", author_custom_text="Your advisor")
    expected = {"none": "", "team": "Acme Helpdesk", "custom": "Your advisor",
                "agent_name": "Sam Agent"}
    for mode, shown in expected.items():
        # When the admin picks a display mode and the agent answers
        cast.change_settings(author_display=mode)
        cast.answer("sam", ticket["id"], "send_leave_open", f"Answer under {mode}")
        # Then the customer sees the answer signed that way
        detail = cast.portal_ticket("alice", ticket["id"])
        assert detail["messages"][-1]["author"] == shown, mode
        assert detail["messages"][-1]["kind"] == "team"
        inbox = cast.get("alice", "/api/portal/folders/inbox")["items"]
        assert inbox[0]["author"] == shown, mode
        if mode != "agent_name":
            assert "Sam Agent" not in str(detail), mode
        # And her own messages are signed with her name
        assert detail["messages"][0]["author"] == "Alice"
        assert detail["messages"][0]["kind"] == "mine"


def test_customers_see_open_or_closed_unless_full_status_names_are_on(cast):
    new = cast.open_ticket("alice")
    answered = cast.open_ticket("alice")
    cast.answer("sam", answered["id"], "send_leave_open")
    resolved = cast.open_ticket("alice")
    cast.answer("sam", resolved["id"], "send")
    closed = cast.open_ticket("alice")
    cast.answer("sam", closed["id"], "send")
    cast.call("sam", "POST", f"/api/console/tickets/{closed['id']}/close")

    def shown() -> list[str]:
        listed = {t["id"]: t["status"] for t in my_list(cast, "alice")["items"]}
        in_detail = [cast.portal_ticket("alice", t["id"])["ticket"]["status"]
                     for t in (new, answered, resolved, closed)]
        assert in_detail == [listed[t["id"]] for t in (new, answered, resolved, closed)]
        return in_detail

    # By default: Open / Closed
    assert shown() == ["open", "open", "closed", "closed"]
    # With full names enabled: the real status
    cast.change_settings(status_display="full")
    assert shown() == ["new", "open", "resolved", "closed"]


def test_the_message_count_counts_what_the_customer_sees(cast):
    ticket = cast.open_ticket("alice")
    cast.answer("sam", ticket["id"], "note", "internal")
    cast.answer("sam", ticket["id"], "send_leave_open", "public")
    cast.answer("sam", ticket["id"], "resolve_silently", "internal too")
    detail = cast.portal_ticket("alice", ticket["id"])
    assert detail["message_count"] == len(detail["messages"]) == 2
    assert detail["ticket"]["message_count"] == 2
    assert my_list(cast, "alice")["items"][0]["message_count"] == 2
    assert cast.get("sam", f"/api/console/tickets/{ticket['id']}")["public_count"] == 2


# ---------------------------------------------------------------------------------------------
# Replying, resolving, rating


def test_ok_resolved_resolves_the_ticket_and_allows_a_rating(cast):
    ticket = cast.open_ticket("alice")
    assert cast.portal_ticket("alice", ticket["id"])["can_rate"] is False
    # When Alice presses "OK, resolved"
    status, detail, _ = cast.call("alice", "POST", f"/api/portal/tickets/{ticket['id']}/resolve")
    # Then the ticket is resolved and she may rate it
    assert status == 200, detail
    assert detail["ticket"]["status"] == "closed"
    assert detail["can_rate"] is True
    assert cast.console_ticket("sam", ticket["id"])["status"] == "resolved"
    # Pressing it twice is no error
    status, _, _ = cast.call("alice", "POST", f"/api/portal/tickets/{ticket['id']}/resolve")
    assert status == 200


def test_a_reply_reopens_a_resolved_or_closed_ticket(cast):
    resolved = cast.open_ticket("alice")
    cast.answer("sam", resolved["id"], "send", "Reboot it.")
    closed = cast.open_ticket("alice")
    cast.answer("sam", closed["id"], "send", "Reboot it.")
    cast.call("sam", "POST", f"/api/console/tickets/{closed['id']}/close")
    assert cast.console_ticket("sam", closed["id"])["status"] == "closed"
    for ticket in (resolved, closed):
        # When Alice replies
        status, _, _ = cast.reply("alice", ticket["id"], "It did not help.")
        assert status == 201
        # Then the ticket is open again, for her and for the team
        assert cast.portal_ticket("alice", ticket["id"])["ticket"]["status"] == "open"
        assert cast.console_ticket("sam", ticket["id"])["status"] == "open"
        assert cast.portal_ticket("alice", ticket["id"])["can_rate"] is False
    assert {t["id"] for t in cast.get("sam", "/api/console/tickets?status=open")["items"]} >= {
        resolved["id"], closed["id"]
    }


def test_a_ticket_closed_longer_than_the_reopen_window_cannot_be_reopened(cast, fake_clock):
    # Given two tickets closed by the agent, one 31 days ago and one 29 days ago
    old = cast.open_ticket("alice", subject="Old")
    cast.answer("sam", old["id"], "send")
    cast.call("sam", "POST", f"/api/console/tickets/{old['id']}/close")
    fake_clock.advance(2 * DAY)
    cast.sign_in_again()
    recent = cast.open_ticket("alice", subject="Recent")
    cast.answer("sam", recent["id"], "send")
    cast.call("sam", "POST", f"/api/console/tickets/{recent['id']}/close")
    fake_clock.advance(29 * DAY)
    cast.sign_in_again()
    # Then the old one says why she cannot reply and what to do instead
    detail = cast.portal_ticket("alice", old["id"])
    assert detail["can_reply"] is False
    assert detail["reply_refusal"]["code"] == "reopen_window_passed"
    error = assert_error(cast.reply("alice", old["id"], "Again!"), 409, "reopen_window_passed")
    assert "new ticket" in error["message"]
    assert cast.console_ticket("sam", old["id"])["status"] == "closed"
    # And the recent one reopens
    assert cast.portal_ticket("alice", recent["id"])["can_reply"] is True
    assert cast.reply("alice", recent["id"], "Again!")[0] == 201
    assert cast.console_ticket("sam", recent["id"])["status"] == "open"


def test_the_admin_sets_the_reopen_window(cast, fake_clock):
    cast.change_settings(reopen_window_days=3)
    ticket = cast.open_ticket("alice")
    cast.call("alice", "POST", f"/api/portal/tickets/{ticket['id']}/resolve")
    fake_clock.advance(4 * DAY)
    cast.sign_in_again()
    assert_error(cast.reply("alice", ticket["id"]), 409, "reopen_window_passed")
    cast.change_settings(reopen_window_days=5)
    assert cast.reply("alice", ticket["id"])[0] == 201


def test_a_rating_comes_once_resolved_from_one_to_five_and_the_last_one_counts(cast):
    ticket = cast.open_ticket("alice")
    path = f"/api/portal/tickets/{ticket['id']}/rating"
    # Before the ticket is resolved there is nothing to rate
    assert_error(cast.call("alice", "PUT", path, {"score": 5}), 409, "not_resolved")
    cast.answer("sam", ticket["id"], "send")
    # Only 1 to 5
    for score in (0, 6, -1, 4.5, "five", None, [5]):
        assert_error(cast.call("alice", "PUT", path, {"score": score}), 400)
    # A second rating replaces the first
    assert cast.call("alice", "PUT", path, {"score": 2, "comment": "Slow"})[0] == 200
    status, rated, _ = cast.call("alice", "PUT", path, {"score": 5, "comment": "Actually great"})
    assert status == 200 and rated == {"rating": 5, "comment": "Actually great"}
    mine = cast.portal_ticket("alice", ticket["id"])["ticket"]
    assert (mine["rating"], mine["rating_comment"]) == (5, "Actually great")
    theirs = cast.console_ticket("sam", ticket["id"])
    assert (theirs["rating"], theirs["rating_comment"]) == (5, "Actually great")
    # A closed ticket is rateable too
    closed = cast.open_ticket("alice")
    cast.answer("sam", closed["id"], "send_leave_open")
    cast.call("sam", "POST", f"/api/console/tickets/{closed['id']}/close")
    assert cast.call("alice", "PUT", f"/api/portal/tickets/{closed['id']}/rating",
                     {"score": 1})[0] == 200


# ---------------------------------------------------------------------------------------------
# Blocked messaging


def test_an_agent_blocks_and_unblocks_messaging_on_a_ticket(cast):
    ticket = cast.open_ticket("alice")
    # When the agent blocks messaging with a reason
    status, _, _ = cast.call("sam", "POST", f"/api/console/tickets/{ticket['id']}/block",
                             {"reason": "Please call us on 0800 123 456 instead."})
    assert status == 200
    # Then Alice sees why, and cannot post
    detail = cast.portal_ticket("alice", ticket["id"])
    assert detail["ticket"]["messaging_blocked"] is True
    assert detail["ticket"]["blocked_reason"] == "Please call us on 0800 123 456 instead."
    assert detail["can_reply"] is False
    error = assert_error(cast.reply("alice", ticket["id"]), 409, "messaging_blocked")
    assert "0800 123 456" in error["message"]
    assert cast.portal_ticket("alice", ticket["id"])["message_count"] == 1
    # A block needs a reason the customer can read
    assert_error(cast.call("sam", "POST", f"/api/console/tickets/{ticket['id']}/block",
                           {"reason": "   "}), 400)
    # When the agent unblocks it, she can write again
    status, _, _ = cast.call("sam", "POST", f"/api/console/tickets/{ticket['id']}/unblock")
    assert status == 200
    detail = cast.portal_ticket("alice", ticket["id"])
    assert detail["ticket"]["messaging_blocked"] is False
    assert detail["ticket"]["blocked_reason"] is None
    assert detail["can_reply"] is True
    assert cast.reply("alice", ticket["id"])[0] == 201


# ---------------------------------------------------------------------------------------------
# Auto-close


def test_resolved_tickets_close_by_themselves_after_the_configured_days(
    cast, fake_clock, app_client
):
    # Given on day 0 two tickets are resolved and one is still open
    quiet = cast.open_ticket("alice", subject="Quiet")
    cast.answer("sam", quiet["id"], "send")
    answered = cast.open_ticket("alice", subject="Answered again")
    cast.answer("sam", answered["id"], "send")
    still_open = cast.open_ticket("alice", subject="Open")
    # And on day 5 the team answers one of the resolved tickets once more
    fake_clock.advance(5 * DAY)
    cast.sign_in_again()
    cast.answer("sam", answered["id"], "send", "One more thing.")
    # When the job runs on day 8
    fake_clock.advance(3 * DAY)
    cast.sign_in_again()
    assert run_job(app_client, "auto_close") == {"closed": 1}
    # Then only the quiet ticket is closed
    assert cast.console_ticket("sam", quiet["id"])["status"] == "closed"
    assert cast.console_ticket("sam", answered["id"])["status"] == "resolved"
    assert cast.console_ticket("sam", still_open["id"])["status"] == "new"
    cast.change_settings(status_display="full")
    assert cast.portal_ticket("alice", quiet["id"])["ticket"]["status"] == "closed"
    # And running it again changes nothing until the other one's time has come
    assert run_job(app_client, "auto_close") == {"closed": 0}
    fake_clock.advance(5 * DAY)
    cast.sign_in_again()
    assert run_job(app_client, "auto_close") == {"closed": 1}
    assert cast.console_ticket("sam", answered["id"])["status"] == "closed"


def test_the_admin_sets_the_auto_close_delay(cast, fake_clock, app_client):
    cast.change_settings(auto_close_days=2)
    ticket = cast.open_ticket("alice")
    cast.call("alice", "POST", f"/api/portal/tickets/{ticket['id']}/resolve")
    fake_clock.advance(DAY)
    assert run_job(app_client, "auto_close") == {"closed": 0}
    fake_clock.advance(DAY + 60)
    assert run_job(app_client, "auto_close") == {"closed": 1}
    cast.sign_in_again()
    assert cast.console_ticket("sam", ticket["id"])["status"] == "closed"


# ---------------------------------------------------------------------------------------------
# Bad input


def test_bad_input_on_the_portal_routes_gets_a_json_error_never_a_500(cast):
    ticket = cast.open_ticket("alice")
    tid = ticket["id"]
    create = "/api/portal/tickets"
    attempts = [
        ("POST", create, "{not json"),
        ("POST", create, '"just a string"'),
        ("POST", create, "[1, 2, 3]"),
        ("POST", create, {"topic": 5, "subject": "x", "body": "y"}),
        ("POST", create, {"topic": "general", "subject": ["x"], "body": "y"}),
        ("POST", create, {"topic": "general", "subject": "x", "body": 42}),
        ("POST", create, {"topic": "general", "subject": "x", "body": None}),
        ("POST", create, {"topic": "general", "subject": "x", "body": "y", "status": "closed"}),
        ("POST", create, {"topic": "general", "subject": "x", "body": "y", "priority": 1}),
        ("POST", create, {"topic": "general", "troubleshooter": "wizard"}),
        ("POST", create, {"topic": "general", "troubleshooter": {"name": "w", "answers": []}}),
        ("POST", create, {"topic": "general", "troubleshooter": {"name": "w", "answers": [
            {"question": "q"}]}}),
        ("POST", create, {"topic": "general", "subject": "", "body": "no subject"}),
        ("POST", create, {"topic": "general", "subject": "x" * 201, "body": "y"}),
        ("POST", create, {}),
        ("GET", f"{create}?scope=everyone", None),
        ("GET", f"{create}?status=pending", None),
        ("GET", f"{create}?sort=random", None),
        ("GET", f"{create}?limit=0", None),
        ("GET", f"{create}?limit=abc", None),
        ("GET", f"{create}?limit=1000", None),
        ("GET", f"{create}?cursor=garbage", None),
        ("GET", f"{create}?cursor=" + "A" * 3000, None),
        ("GET", f"{create}?q=" + "x" * 201, None),
        ("GET", f"{create}?colour=red", None),
        ("GET", f"{create}/{tid}/messages?after=-1", None),
        ("GET", f"{create}/{tid}/messages?after=abc", None),
        ("GET", f"{create}/doesnotexist", None),
        ("GET", f"{create}/{'f' * 500}", None),
        ("POST", f"{create}/{tid}/messages", "{"),
        ("POST", f"{create}/{tid}/messages", {"body": ["hi"]}),
        ("POST", f"{create}/{tid}/messages", {"body": 7}),
        ("POST", f"{create}/{tid}/messages", {"text": "hi"}),
        ("POST", f"{create}/{tid}/messages", {"body": "hi", "internal": True}),
        ("POST", f"{create}/doesnotexist/messages", {"body": "hi"}),
        ("POST", f"{create}/doesnotexist/resolve", None),
        ("PUT", f"{create}/{tid}/rating", {"score": 3, "extra": 1}),
        ("PUT", f"{create}/{tid}/rating", {"score": 3, "comment": 3}),
        ("PUT", f"{create}/{tid}/rating", "null"),
        ("PUT", f"{create}/doesnotexist/rating", {"score": 3}),
    ]
    for method, path, body in attempts:
        status, answer, _ = cast.call("alice", method, path, body)
        assert 400 <= status < 500, (method, path, body, status, answer)
        assert_error((status, answer, {}), status)
    # And nothing of it reached the ticket
    detail = cast.portal_ticket("alice", tid)
    assert detail["message_count"] == 1 and detail["ticket"]["status"] == "open"
    assert numbers(my_list(cast, "alice")) == [1001]
