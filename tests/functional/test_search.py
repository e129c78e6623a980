"""Search that finds people and words (services/search.py): the console by the requester's name,
address and organization and by every word written, internal notes included; a customer only by
what the portal shows them, in their own tickets or their organization's; accents folded, words
in any order, results by activity, paged with the lists' cursors."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import pytest

from parley_dev.local.pump import FakeContext
from tests.functional.conversation_support import assert_error
from tests.functional.notification_support import Stream, handler, record_of, session_token
from tests.functional.search_support import index_messages

pytestmark = pytest.mark.functional


@dataclass
class Desk:
    """Alice Martin and Bob of Acme (Bob with the organization view), Carol of Globex, Sam, an
    agent, and Ada, an admin; tickets by subject."""

    api: Any
    tokens: dict[str, str]
    tickets: dict[str, str]

    def call(self, who: str, method: str, path: str, body: Any = None) -> Any:
        status, answer, _ = self.api.call(method, path, body, token=self.tokens[who])
        assert status < 300, (path, answer)
        return answer

    def open(self, who: str, subject: str, body: str) -> str:
        answer = self.call(who, "POST", "/api/portal/tickets",
                           {"topic": "technical", "subject": subject, "body": body})
        self.tickets[subject] = answer["ticket"]["id"]
        return str(answer["ticket"]["id"])

    def answer(self, subject: str, action: str, body: str) -> None:
        self.call("sam", "POST", f"/api/console/tickets/{self.tickets[subject]}/messages",
                  {"action": action, "body": body})

    def page(self, who: str, q: str, **params: Any) -> dict[str, Any]:
        where = "console" if who == "sam" else "portal"
        return dict(self.call(who, "GET", f"/api/{where}/tickets?" + urlencode({"q": q, **params})))

    def found(self, who: str, q: str, **params: Any) -> list[str]:
        return [t["subject"] for t in self.page(who, q, **params)["items"]]


@pytest.fixture
def desk(api, make_org, make_user, fake_clock) -> Desk:
    acme, globex = make_org("Acme Corp"), make_org("Globex")
    people = {
        "alice": make_user("customer", name="Alice Martin", email="alice.martin@acme.test",
                           org_id=acme["id"]),
        "bob": make_user("customer", name="Bob Stone", email="bob@acme.test",
                         org_id=acme["id"], org_view=True),
        "carol": make_user("customer", name="Carol Nowak", email="carol@globex.test",
                           org_id=globex["id"], org_view=True),
        "sam": make_user("agent", name="Sam Agent", team_ids=["support"]),
        "ada": make_user("admin", name="Ada Admin"),
    }
    return Desk(api, {who: session_token(user) for who, user in people.items()}, {})


def test_the_console_finds_people_words_and_notes(desk, fake_clock):
    # Given Alice's printer ticket, with a note, an answer and a later message of hers, her
    # invoice, and Carol's ticket in Polish
    desk.open("alice", "Printer on fire", "It smokes since this morning.")
    desk.answer("Printer on fire", "note", "Ask the quokka supplier about a refund.")
    desk.answer("Printer on fire", "send_leave_open", "Unplug it, please.")
    fake_clock.advance(60)
    desk.call("alice", "POST", f"/api/portal/tickets/{desk.tickets['Printer on fire']}/messages",
              {"body": "Écran noir after the restart."})
    desk.call("sam", "PATCH", f"/api/console/tickets/{desk.tickets['Printer on fire']}",
              {"title": "Legal escalation"})
    fake_clock.advance(60)
    desk.open("alice", "October invoice", "Charged twice.")
    desk.open("carol", "Żółw w drukarce", "Mój żółw śpi w drukarce.")
    # When the messages stream reaches the index
    index_messages()

    # Then the requester's name, in any order and case, or its beginning, finds her tickets,
    # newest activity first
    alices = ["October invoice", "Printer on fire"]
    for q in ("alice", "Alice Martin", "martin ALICE", "ali", "alice.martin@acme.test", "acme"):
        assert desk.found("sam", q) == alices, q
    # Carol by her address, its parts, and her organization
    for q in ("carol@globex.test", "globex", "globex.test", "Nowak"):
        assert desk.found("sam", q) == ["Żółw w drukarce"], q
    # A word of a later message, of an internal note, of the agents' title; accents folded
    for q in ("restart", "quokka supplier", "legal", "ecran", "ÉCRAN", "printer smokes"):
        assert desk.found("sam", q) == ["Printer on fire"], q
    for q in ("zolw", "ŻÓŁW", "drukarce"):
        assert desk.found("sam", q) == ["Żółw w drukarce"], q
    # Every word must be found in the same ticket; the list's filters still apply
    assert desk.found("sam", "quokka invoice") == []
    assert desk.found("sam", "invoice", status="closed") == []
    assert desk.found("sam", "alice", assignee="me") == ["Printer on fire"]
    assert desk.found("sam", "alice", assignee="none") == ["October invoice"]
    assert desk.found("sam", "?") == []  # nothing searchable matches nothing


def test_a_customer_finds_only_what_the_portal_shows_them(desk):
    # Given Alice's ticket with a note, an agents' title and an answer, and Carol's ticket
    desk.open("alice", "Printer on fire", "It smokes since this morning.")
    desk.answer("Printer on fire", "note", "Ask the quokka supplier about a refund.")
    desk.call("sam", "PATCH", f"/api/console/tickets/{desk.tickets['Printer on fire']}",
              {"title": "Legal escalation"})
    desk.answer("Printer on fire", "send_leave_open", "Unplug the écran too.")
    desk.open("carol", "Żółw w drukarce", "Mój żółw śpi w drukarce.")
    index_messages()

    # Then Alice finds it by the subject (or its beginning), her words and the team's answer
    for q in ("printer", "smokes morning", "print", "unplug ecran", "Écran"):
        assert desk.found("alice", q) == ["Printer on fire"], q
    # But never by a word only in the internal note, nor by the agents' title
    for q in ("quokka", "supplier refund", "legal", "escalation"):
        assert desk.found("alice", q) == [], q
    # Nor does she find Carol's ticket, nor Carol hers
    assert desk.found("alice", "zolw") == []
    assert desk.found("carol", "printer") == []
    assert desk.found("carol", "zolw") == ["Żółw w drukarce"]
    assert desk.found("carol", "printer", scope="org") == []
    # Bob finds his colleague's ticket only in his organization's list
    assert desk.found("bob", "smokes") == []
    assert desk.found("bob", "smokes", scope="org") == ["Printer on fire"]
    assert desk.found("bob", "quokka", scope="org") == []
    # And what the admin hides from customers, search no longer finds for them
    desk.call("ada", "PATCH", "/api/admin/settings", {"hidden_topics": ["technical"]})
    assert desk.found("alice", "printer") == []
    assert desk.found("sam", "printer") == ["Printer on fire"]


def test_results_come_by_activity_and_page_with_the_cursor(desk, fake_clock):
    # Given three scanner tickets opened a minute apart
    for n in (1, 2, 3):
        desk.open("alice", f"Scanner jam {n}", "Paper stuck.")
        fake_clock.advance(60)
    index_messages()
    # Then search shows the newest first
    assert desk.found("alice", "scanner") == ["Scanner jam 3", "Scanner jam 2", "Scanner jam 1"]
    # When the team answers the first and writes a note on the second
    desk.answer("Scanner jam 1", "send_leave_open", "Open the lid.")
    fake_clock.advance(60)
    desk.answer("Scanner jam 2", "note", "Needs a technician.")
    index_messages()
    # Then the answer moves the first up for everyone; the note only in the console
    assert desk.found("alice", "scanner") == ["Scanner jam 1", "Scanner jam 3", "Scanner jam 2"]
    assert desk.found("sam", "scanner") == ["Scanner jam 2", "Scanner jam 1", "Scanner jam 3"]
    # And pages follow each other with the cursor, each ticket once
    first = desk.page("alice", "scanner paper", limit=2)
    assert [t["subject"] for t in first["items"]] == ["Scanner jam 1", "Scanner jam 3"]
    second = desk.page("alice", "scanner paper", limit=2, cursor=first["next_cursor"])
    assert [t["subject"] for t in second["items"]] == ["Scanner jam 2"]
    assert second["next_cursor"] is None
    # A cursor of one search does not continue another
    status, body, _ = desk.api.call(
        "GET", "/api/portal/tickets?" + urlencode({"q": "paper", "limit": 2,
                                                    "cursor": first["next_cursor"]}),
        token=desk.tokens["alice"])
    assert_error((status, body, {}), 400, "invalid_cursor")


def test_a_bad_stream_record_is_reported_and_the_others_are_indexed(desk):
    # Given a new ticket's message, and a record that is no message, in one batch
    desk.open("alice", "Printer on fire", "It smokes.")
    records = Stream().read()
    bad = record_of({"thread": {"S": "x"}, "seq": {"N": "1"}}, 1)
    # When the batch is delivered, twice (Lambda retries a batch that reported a failure)
    for _ in range(2):
        result = handler("index_messages")({"Records": [bad, *records]}, FakeContext())
        # Then only the bad record is reported, and the ticket is found once
        assert result["batchItemFailures"] == [{"itemIdentifier": "1"}]
        assert desk.found("alice", "smokes") == ["Printer on fire"]
