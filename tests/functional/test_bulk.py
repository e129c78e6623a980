"""Bulk actions on the console's selection (services/tickets/bulk.py): each ticket under the
rules of the one-at-a-time action, with its history line; one refused does not stop the others,
and the answer says, ticket by ticket, done or the refusal's code and message."""

from __future__ import annotations

from typing import Any

import pytest

from tests.functional.conversation_support import assert_error

pytestmark = pytest.mark.functional

BULK = "/api/console/tickets/bulk"


def bulk(cast, who: str, ticket_ids: list[str], action: str, **extra: Any) -> Any:
    return cast.call(who, "POST", BULK, {"ticket_ids": ticket_ids, "action": action, **extra})


def events(cast, ticket_id: str, event: str) -> list[dict[str, Any]]:
    messages = cast.get("sam", f"/api/console/tickets/{ticket_id}")["messages"]
    return [m for m in messages if (m["details"] or {}).get("event") == event]


def test_a_bulk_close_closes_what_the_rules_allow_and_says_why_not_for_the_rest(cast):
    # Given three tickets Sam answered (so his), and one Kim took
    mine = [cast.open_ticket("alice", subject=f"Question {n}")["id"] for n in range(3)]
    for ticket_id in mine:
        cast.answer("sam", ticket_id, "send_leave_open", "On it.")
    kims = cast.open_ticket("bob", subject="Kim's")["id"]
    cast.answer("kim", kims, "send_leave_open", "Mine.")

    # When Sam closes the four at once
    status, result, _ = bulk(cast, "sam", [*mine, kims], "close")

    # Then his three are closed and Kim's is refused, as closing it alone would be
    assert status == 200, result
    assert result["done"] == 3 and result["refused"] == 1
    assert [(i["ticket_id"], i["ok"]) for i in result["items"]] == [
        *((t, True) for t in mine), (kims, False)]
    refusal = result["items"][3]["error"]
    alone = assert_error(cast.call("sam", "POST", f"/api/console/tickets/{kims}/close"), 403)
    assert refusal == {"code": "not_assignee", "message": alone["message"], "details": None}
    assert [cast.console_ticket("sam", t)["status"] for t in [*mine, kims]] == [
        "closed", "closed", "closed", "open"]
    # with the history line closing one writes
    assert [len(events(cast, t, "closed")) for t in [*mine, kims]] == [1, 1, 1, 0]

    # And closing them again changes nothing and refuses nothing
    status, again, _ = bulk(cast, "sam", mine, "close")
    assert (again["done"], again["refused"]) == (3, 0)
    assert [len(events(cast, t, "closed")) for t in mine] == [1, 1, 1]


def test_bulk_assign_and_tag_apply_to_each_ticket(cast):
    tickets = [cast.open_ticket("alice", subject=f"Order {n}")["id"] for n in range(3)]

    # Assign to an agent, then to nobody: each ticket gets its line
    status, result, _ = bulk(cast, "sam", tickets, "assign", assignee_id=cast.id("kim"))
    assert (status, result["done"]) == (200, 3)
    assert {cast.console_ticket("sam", t)["assignee"]["name"] for t in tickets} == {"Kim Agent"}
    status, result, _ = bulk(cast, "sam", tickets[:2], "assign", assignee_id=None)
    assert result["done"] == 2
    assert [cast.console_ticket("sam", t)["assignee"] for t in tickets[:2]] == [None, None]
    assert [len(events(cast, t, "assigned")) for t in tickets] == [2, 2, 1]

    # Add a tag to all, one of which has ten already; and a ticket that does not exist
    cast.call("sam", "POST", f"/api/console/tickets/{tickets[2]}/tags",
              {"add": [f"t{n}" for n in range(10)]})
    missing = "0123456789abcdef0123456789abcdef"
    status, result, _ = bulk(cast, "sam", [*tickets, missing], "add_tag", tag=" Billing ")
    assert [(i["ok"], (i["error"] or {}).get("code")) for i in result["items"]] == [
        (True, None), (True, None), (False, "too_many_tags"), (False, "ticket_not_found")]
    assert [cast.console_ticket("sam", t)["tags"][-1:] for t in tickets] == [
        ["billing"], ["billing"], ["t9"]]
    # and remove it again
    status, result, _ = bulk(cast, "sam", tickets, "remove_tag", tag="billing")
    assert result["done"] == 3
    assert [cast.console_ticket("sam", t)["tags"] for t in tickets[:2]] == [[], []]


def test_what_the_whole_request_gets_wrong_is_refused_before_any_ticket(cast):
    ticket = cast.open_ticket("alice")["id"]
    # An agent who is not one, a malformed tag, a missing argument, too many tickets
    assert_error(bulk(cast, "sam", [ticket], "assign", assignee_id=cast.id("alice")), 400,
                 "unknown_agent")
    assert_error(bulk(cast, "sam", [ticket], "add_tag", tag="no/slash"), 400, "invalid_tag")
    assert_error(bulk(cast, "sam", [ticket], "add_tag"), 400)
    assert_error(bulk(cast, "sam", [ticket], "assign"), 400)
    assert_error(bulk(cast, "sam", [ticket] * 51, "close"), 400)
    assert_error(bulk(cast, "sam", [], "close"), 400)
    assert_error(bulk(cast, "sam", [ticket], "delete"), 400)
    assert events(cast, ticket, "assigned") == [] and cast.console_ticket("sam", ticket)[
        "tags"] == []
    # And customers have no bulk actions
    assert_error(bulk(cast, "alice", [ticket], "close"), 403)
