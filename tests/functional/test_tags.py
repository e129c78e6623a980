"""Tags on tickets (services/tickets/tags.py): the team's own labels, normalised and bounded,
each change a history line; the console's list filters by them with the other filters, through
the search index's staff-scope terms; customers never see or find them."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

import pytest

from tests.functional.conversation_support import assert_error
from tests.functional.search_support import index_messages

pytestmark = pytest.mark.functional


def tag(cast, ticket_id: str, add: Sequence[str] = (), remove: Sequence[str] = (),
        who: str = "sam") -> Any:
    return cast.call(who, "POST", f"/api/console/tickets/{ticket_id}/tags",
                     {"add": list(add), "remove": list(remove)})


def listed(cast, who: str = "sam", **params: Any) -> list[str]:
    page = cast.get(who, "/api/console/tickets?" + urlencode(params))
    return [t["subject"] for t in page["items"]]


def test_tags_are_normalised_bounded_and_each_change_is_history(cast):
    ticket = cast.open_ticket("alice")["id"]

    # A tag is lowercased and trimmed, its inner spaces made dashes
    status, view, _ = tag(cast, ticket, ["  Billing  Issue ", "VIP"])
    assert status == 200, view
    assert view["ticket"]["tags"] == ["billing-issue", "vip"]
    events = [m for m in view["messages"] if m["details"] and m["details"].get("event") == "tags"]
    assert [(m["internal"], m["details"]["added"], m["body"]) for m in events] == [
        (True, ["billing-issue", "vip"], "Tagged: billing-issue, vip.")]

    # Adding one it has, or removing one it has not, changes nothing and writes no line
    status, view, _ = tag(cast, ticket, ["vip"], ["never-there"])
    assert status == 200
    assert view["ticket"]["tags"] == ["billing-issue", "vip"]
    assert sum(1 for m in view["messages"] if (m["details"] or {}).get("event") == "tags") == 1

    # Removing is a line of its own
    status, view, _ = tag(cast, ticket, remove=["VIP"])
    assert view["ticket"]["tags"] == ["billing-issue"]
    assert view["messages"][-1]["body"] == "Untagged: vip."
    assert view["messages"][-1]["details"]["removed"] == ["vip"]

    # Outside the charset, or longer than 30 characters: refused, nothing written
    for bad in ("café", "a/b", "#urgent", "x" * 31, "   "):
        assert_error(tag(cast, ticket, [bad]), 400, "invalid_tag")
    assert_error(cast.call("sam", "POST", f"/api/console/tickets/{ticket}/tags", {}), 400)

    # At most ten a ticket
    status, view, _ = tag(cast, ticket, [f"t{n}" for n in range(9)])
    assert len(view["ticket"]["tags"]) == 10
    error = assert_error(tag(cast, ticket, ["one-more"]), 409, "too_many_tags")
    assert error["details"] == {"limit": 10}
    assert len(cast.console_ticket("sam", ticket)["tags"]) == 10

    # And customers cannot tag
    assert_error(tag(cast, ticket, ["mine"], who="alice"), 403)


def test_the_list_filters_by_tag_with_the_other_filters(cast, fake_clock):
    # Given four tickets: two tagged billing (one Sam's, one closed), one tagged vip, one none
    ids = {subject: cast.open_ticket("alice", subject=subject)["id"]
           for subject in ("Invoice twice", "Refund late", "Printer smoke", "Wi-Fi")}
    tag(cast, ids["Invoice twice"], ["billing"])
    tag(cast, ids["Refund late"], ["billing", "vip"])
    tag(cast, ids["Printer smoke"], ["vip"])
    cast.answer("sam", ids["Invoice twice"], "send_leave_open", "Looking into it.")
    cast.call("kim", "POST", f"/api/console/tickets/{ids['Refund late']}/assign",
              {"assignee_id": cast.id("kim")})
    cast.call("kim", "POST", f"/api/console/tickets/{ids['Refund late']}/close")
    fake_clock.advance(60)
    index_messages()

    # Then the tag finds its tickets, open or closed as the status filter says
    assert listed(cast, tag="billing") == ["Invoice twice"]
    assert listed(cast, tag="billing", status="closed") == ["Refund late"]
    assert listed(cast, tag="VIP") == ["Printer smoke"]  # normalised as tags are
    # combined with the assignee, the team and the words
    assert listed(cast, tag="billing", assignee="me") == ["Invoice twice"]
    assert listed(cast, tag="billing", assignee="none") == []
    assert listed(cast, tag="vip", status="closed", assignee=cast.id("kim")) == ["Refund late"]
    assert listed(cast, tag="billing", team="support") == ["Invoice twice"]
    assert listed(cast, tag="billing", team="elsewhere") == []
    assert listed(cast, tag="billing", q="looking") == ["Invoice twice"]
    assert listed(cast, tag="vip", q="looking") == []
    number = cast.console_ticket("sam", ids["Invoice twice"])["number"]
    assert listed(cast, tag="billing", q=f"#{number}") == ["Invoice twice"]
    assert listed(cast, tag="vip", q=f"#{number}") == []
    # and the rows say their tags
    rows = cast.get("sam", "/api/console/tickets?tag=vip")["items"]
    assert [r["tags"] for r in rows] == [["vip"]]

    # When a tag is taken off, the list no longer has it, and its posting is gone
    tag(cast, ids["Printer smoke"], remove=["vip"])
    assert listed(cast, tag="vip") == []  # the ticket as it is now, before the stream ran
    index_messages()
    assert not _tag_postings("vip", ids["Printer smoke"])
    assert _tag_postings("vip", ids["Refund late"])
    # and adding it back finds it again
    tag(cast, ids["Printer smoke"], ["vip"])
    index_messages()
    assert listed(cast, tag="vip") == ["Printer smoke"]

    # A tag no ticket has finds nothing; one outside the charset is refused
    assert listed(cast, tag="nothing-here") == []
    assert_error(cast.call("sam", "GET", "/api/console/tickets?tag=caf%C3%A9"), 400, "invalid_tag")


def _tag_postings(name: str, ticket_id: str) -> bool:
    from chalicelib.data.search import present
    from chalicelib.services.search import STAFF, posting_term, tag_term

    key = (posting_term(STAFF, tag_term(name)), ticket_id)
    return key in present([key])


def test_customers_never_see_nor_find_tags(cast, stream, sent_mail):
    # Given Alice's ticket, answered, then tagged with words she never wrote
    ticket = cast.open_ticket("alice", subject="Printer", body="It smokes.")["id"]
    cast.answer("sam", ticket, "send_leave_open", "Unplug it.")
    stream.pump()
    mails, feed = len(sent_mail()), _feed(cast)
    tag(cast, ticket, ["quokka-account", "churn-risk"])
    stream.pump()
    index_messages()

    # Then the console finds it by tag, but her search finds nothing by them
    assert listed(cast, tag="churn-risk") == ["Printer"]
    for q in ("quokka", "churn", "risk", "quokka-account", "tag:churn-risk", "tag"):
        assert cast.get("alice", "/api/portal/tickets?q=" + q)["items"] == [], q
    # Nothing she reads says them: the ticket, its thread, her list, her feed and folders
    for path in (f"/api/portal/tickets/{ticket}", f"/api/portal/tickets/{ticket}/messages?after=0",
                 "/api/portal/tickets", "/api/notifications", "/api/portal/folders/inbox"):
        text = json.dumps(cast.get("alice", path))
        assert "quokka" not in text and "churn" not in text and '"tags"' not in text, path
    # No mail and no feed item came of the change
    assert len(sent_mail()) == mails
    assert _feed(cast) == feed


def _feed(cast) -> list[str]:
    return [item["id"] for item in cast.get("alice", "/api/notifications")["items"]]
