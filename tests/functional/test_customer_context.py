"""The customer beside a conversation (their other tickets, organization, language, suppressed
address, ratings), finding any customer for "New on behalf", and an admin closing an abandoned
conversation someone else holds (issue 17, items 5 and 9)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest

from tests.functional.conversation_support import Cast, assert_error
from tests.functional.dynamodb_support import dynamodb_calls

pytestmark = pytest.mark.functional

MINUTE = 60  # apart enough to order by; within the session timeout


def context(cast: Cast, who: str, ticket_id: str) -> dict[str, Any]:
    return dict(cast.get(who, f"/api/console/tickets/{ticket_id}/customer"))


def found(cast: Cast, q: str, who: str = "sam") -> list[str]:
    return [c["email"] for c in cast.get(who, f"/api/console/customers?q={quote(q)}")["items"]]


# ---------------------------------------------------------------------------------------------
# The context


def test_the_context_lists_the_other_tickets_open_first_with_org_language_and_ratings(
    cast, fake_clock
):
    # Given Alice's history: two answered and rated, one waiting, one new, then today's
    fixed = cast.open_ticket("alice", subject="Badge reader")
    fake_clock.advance(MINUTE)
    slow = cast.open_ticket("alice", subject="VPN drops")
    fake_clock.advance(MINUTE)
    waiting = cast.open_ticket("alice", subject="Invoice copy")
    fake_clock.advance(MINUTE)
    new = cast.open_ticket("alice", subject="Two more seats")
    for ticket, score, comment in ((fixed, 5, "Fixed within the hour"), (slow, 2, "")):
        fake_clock.advance(MINUTE)
        assert cast.answer("sam", ticket["id"], "send", "Done.")[0] == 201
        status, body, _ = cast.call("alice", "PUT", f"/api/portal/tickets/{ticket['id']}/rating",
                                    {"score": score, "comment": comment})
        assert status == 200, body
    fake_clock.advance(MINUTE)
    assert cast.answer("kim", waiting["id"], "send_leave_open", "Which month?")[0] == 201
    cast.call("kim", "PATCH", f"/api/console/tickets/{waiting['id']}", {"status": "pending"})
    fake_clock.advance(MINUTE)
    today = cast.open_ticket("alice", subject="Printer on fire")
    cast.open_ticket("bob", subject="Not Alice's")
    assert cast.call("alice", "PATCH", "/api/me", {"language": "pl"})[0] == 200

    # When an agent opens today's conversation, the panel says who Alice is
    shown = context(cast, "sam", today["id"])
    assert shown["customer"] == {
        "id": cast.id("alice"), "name": "Alice", "email": cast.user("alice")["email"],
        "language": "pl", "status": "active",
        "org": {"id": cast.org("Acme")["id"], "name": "Acme"},
        "email_suppressed": False, "suppression": None,
    }
    # Her other tickets: the open ones first (latest activity first), then the closed ones;
    # never today's, never Bob's
    assert [(t["number"], t["status"]) for t in shown["tickets"]] == [
        (waiting["number"], "pending"), (new["number"], "new"),
        (slow["number"], "resolved"), (fixed["number"], "resolved"),
    ]
    assert shown["more_tickets"] is False
    # And how she rated the team, with the average
    assert shown["ratings"] == {"average": 3.5, "count": 2, "items": [
        {"ticket_id": slow["id"], "number": slow["number"], "subject": "VPN drops",
         "rating": 2, "comment": None},
        {"ticket_id": fixed["id"], "number": fixed["number"], "subject": "Badge reader",
         "rating": 5, "comment": "Fixed within the hour"},
    ]}


def test_the_context_says_when_mail_to_the_customer_is_suppressed(cast):
    from chalicelib.services.suppressions import suppress_bounced

    ticket = cast.open_ticket("alice")
    suppress_bounced(cast.user("alice")["email"], detail="5.1.1", feedback_id=None)
    shown = context(cast, "ada", ticket["id"])["customer"]
    assert shown["email_suppressed"] is True
    assert shown["suppression"]["reason"] == "bounce"
    assert shown["suppression"]["detail"] == "5.1.1"
    # A customer without a rating has no average
    assert context(cast, "ada", ticket["id"])["ratings"] == {
        "average": None, "count": 0, "items": []}


def test_the_context_reads_one_page_of_the_latest_tickets_and_says_so(
    cast, fake_clock, monkeypatch
):
    from chalicelib.services import customers

    monkeypatch.setattr(customers, "HISTORY", 3)
    opened = []
    for n in range(4):
        opened.append(cast.open_ticket("alice", subject=f"Question {n}"))
        fake_clock.advance(MINUTE)
    shown = context(cast, "sam", opened[-1]["id"])
    # The latest three are read: the oldest is not listed, and the answer says there are more
    assert [t["subject"] for t in shown["tickets"]] == ["Question 2", "Question 1"]
    assert shown["more_tickets"] is True


def test_the_context_is_for_staff_only(cast):
    ticket = cast.open_ticket("alice")
    path = f"/api/console/tickets/{ticket['id']}/customer"
    # Customers, the requester herself included, are refused
    for who in ("alice", "boss", "carol"):
        assert_error(cast.call(who, "GET", path), 403)
    # A ticket that does not exist is the 404 of the conversation itself
    assert_error(cast.call("sam", "GET", "/api/console/tickets/0123456789abcdef/customer"),
                 404, "ticket_not_found")
    assert context(cast, "kim", ticket["id"])["customer"]["id"] == cast.id("alice")


# ---------------------------------------------------------------------------------------------
# Finding any customer ("New on behalf")


def admin_creates(cast: Cast, **user: Any) -> dict[str, Any]:
    status, body, _ = cast.call("ada", "POST", "/api/admin/users", {"team_ids": [], **user})
    assert status == 201, body
    return dict(body["user"])


def admin_org(cast: Cast, name: str) -> str:
    status, body, _ = cast.call("ada", "POST", "/api/admin/orgs", {"name": name})
    assert status == 201, body
    return str(body["org"]["id"])


def test_any_customer_is_found_by_name_address_or_organization(cast):
    # Given a customer who never wrote, in an organization of her own, and staff of the same name
    initech = admin_org(cast, "Initech Hydraulics")
    zofia = admin_creates(cast, email="zofia@zw-consulting.test", name="Zofia Wąsik",
                          role="customer", org_id=initech)
    admin_creates(cast, email="zofia.agent@parley.test", name="Zofia Agent", role="agent")
    cast.user("alice")  # another customer, in another organization
    # Then she is found by a name's beginning, accents or not, by her address, by her
    # organization's name, and by both in any order; staff never are
    for q in ("zof", "Zofia", "wasik", "WĄSIK", "zofia@zw-consulting.test", "zw-consulting",
              "initech", "Hydraulics", "hydr zof", "zofia initech hydraulics"):
        assert found(cast, q) == ["zofia@zw-consulting.test"], q
    for q in ("zofia acme", "agent", "zofia.agent@parley.test", "x", ""):
        assert found(cast, q) == [], q
    # And the agent opens a ticket on her behalf with what the search answered
    status, created, _ = cast.call("sam", "POST", "/api/console/tickets", {
        "requester_id": zofia["id"], "topic": "general", "subject": "Phoned in",
        "body": "Zofia called about the pumps."})
    assert status == 201, created
    assert created["ticket"]["requester"]["id"] == zofia["id"]


def test_the_directory_follows_renames_moves_and_disabling(cast):
    initech, umbrella = admin_org(cast, "Initech"), admin_org(cast, "Umbrella")
    zofia = admin_creates(cast, email="zofia@zw.test", name="Zofia Wąsik", role="customer",
                          org_id=initech)
    path = f"/api/admin/users/{zofia['id']}"
    # Her name changes: the old one no longer finds her
    assert cast.call("ada", "PATCH", path, {"name": "Zofia Nowak"})[0] == 200
    assert found(cast, "wasik") == [] and found(cast, "nowak") == ["zofia@zw.test"]
    # Her organization is renamed
    assert cast.call("ada", "PATCH", f"/api/admin/orgs/{initech}", {"name": "Initrode"})[0] == 200
    assert found(cast, "initech") == [] and found(cast, "initrode") == ["zofia@zw.test"]
    # She moves to another organization
    assert cast.call("ada", "PATCH", path, {"org_id": umbrella})[0] == 200
    assert found(cast, "initrode") == [] and found(cast, "umbrella zofia") == ["zofia@zw.test"]
    # Disabled, she is no longer offered
    assert cast.call("ada", "PATCH", path, {"status": "disabled"})[0] == 200
    assert found(cast, "zofia") == []
    # And becoming staff takes her out for good
    assert cast.call("ada", "PATCH", path, {"status": "active", "role": "agent",
                                            "org_id": None})[0] == 200
    assert found(cast, "zofia") == []


def test_a_customer_who_renames_themselves_is_found_by_the_new_name(cast):
    alice = cast.user("alice")["email"]
    assert cast.call("alice", "PATCH", "/api/me", {"name": "Alicja Kowalska"})[0] == 200
    assert found(cast, "kowal") == [alice]
    assert cast.call("alice", "PATCH", "/api/me", {"name": "Alicja Nowak"})[0] == 200
    assert found(cast, "kowal") == [] and found(cast, "alicja acme") == [alice]


def test_an_account_change_is_saved_and_answered_when_the_directory_cannot_follow(
    cast, monkeypatch
):
    from chalicelib.data import customers as directory

    # Given the directory's table failing, after Alice and the admin signed in
    alice = cast.user("alice")
    cast.token("alice")
    cast.token("ada")
    real = directory.change_terms

    def unavailable(*args: Any, **kwargs: Any) -> int:
        raise RuntimeError("the directory's table is unavailable")

    monkeypatch.setattr(directory, "change_terms", unavailable)

    # When Alice renames herself, and the admin renames her again
    status, me, _ = cast.call("alice", "PATCH", "/api/me", {"name": "Alicja Nowak"})
    assert status == 200, me
    assert me["user"]["name"] == "Alicja Nowak"
    status, user, _ = cast.call("ada", "PATCH", f"/api/admin/users/{alice['id']}",
                                {"name": "Alicja Kowalska"})
    assert status == 200, user
    assert user["user"]["name"] == "Alicja Kowalska"

    # Then both changes were saved and audited; only the directory missed them
    monkeypatch.setattr(directory, "change_terms", real)
    assert cast.get("alice", "/api/me")["user"]["name"] == "Alicja Kowalska"
    entries = cast.get("ada", "/api/admin/audit?action=user.update")["items"]
    # (both written within the same instant: their order in the log is not the point)
    assert sorted(e["details"]["changes"][0]["after"] for e in entries) == [
        "Alicja Kowalska", "Alicja Nowak"]
    assert found(cast, "kowalska") == []


def test_customer_search_is_for_staff_only(cast):
    for who in ("alice", "carol"):
        assert_error(cast.call(who, "GET", "/api/console/customers?q=alice"), 403)
    assert cast.call("ada", "GET", "/api/console/customers?q=alice")[0] == 200


def test_a_search_makes_a_bounded_number_of_calls_whatever_the_number_of_customers(cast):
    from chalicelib.data.customers import change_terms
    from chalicelib.services import customers

    globex = admin_org(cast, "Globex")
    for n in range(3):
        admin_creates(cast, email=f"carol{n}@globex.test", name=f"Carol {n}", role="customer",
                      org_id=globex)
    cast.token("sam")  # signed in before anything is counted

    def cost(q: str) -> int:
        with dynamodb_calls() as calls:
            assert found(cast, q), q
        assert "Scan" not in calls, calls
        return sum(calls.values())

    # The session's read, one Query a word (the organizations it names), one of the people
    # bearing the longest, one for each organization looked into, one BatchGetItem of the
    # people and one of their organizations
    bound = 1 + customers.QUERY_WORDS + 1 + customers.ORG_LOOKUPS + 2
    queries = ("carol", "globex", "carol globex", "carol1@globex.test", "car glob 2 test")
    small = [cost(q) for q in queries]
    # Three hundred more customers bearing the same words, of Globex and of thirty more
    # organizations named so: more of the bounded look-ups are used, never more
    change_terms([(f"org#{word}", f"seed-org-{n}") for n in range(30)
                  for word in ("globex", "glob")])
    change_terms([(f"person#{word}", f"{globex if n % 2 else f'seed-org-{n % 30}'}#seed{n}")
                  for n in range(300) for word in ("carol", "car", "glob")])
    big = [cost(q) for q in queries]
    assert max(small + big) <= bound, (small, big)


# ---------------------------------------------------------------------------------------------
# An admin closes an abandoned conversation


def test_an_admin_closes_a_conversation_someone_else_holds_giving_a_reason(cast):
    ticket = cast.open_ticket("alice")
    close = f"/api/console/tickets/{ticket['id']}/close"
    assert cast.answer("sam", ticket["id"], "send_leave_open", "Looking into it")[0] == 201
    # Another agent stays refused, reason or not
    assert_error(cast.call("kim", "POST", close, {"reason": "Sam is away"}), 403, "not_assignee")
    # The admin must say why
    for body in (None, {}, {"reason": ""}, {"reason": "   "}):
        assert_error(cast.call("ada", "POST", close, body), 400, "close_reason_required")
    assert cast.console_ticket("ada", ticket["id"])["status"] == "open"

    # When the admin closes it with a reason
    reason = "Sam left the team; the customer confirmed by phone it is solved."
    status, detail, _ = cast.call("ada", "POST", close, {"reason": f"  {reason} "})
    assert status == 200, detail
    assert detail["ticket"]["status"] == "closed"
    # Then the thread's history line says who closed it and why, for the team only
    line = detail["messages"][-1]
    assert (line["kind"], line["internal"], line["author"]["name"]) == (
        "system_event", True, "Ada Admin")
    assert line["details"] == {"event": "closed", "reason": reason,
                               "assignee_id": cast.id("sam"),
                               "status_change": {"from": "open", "to": "closed"}}
    assert reason not in str(cast.portal_ticket("alice", ticket["id"]))
    assert cast.portal_ticket("alice", ticket["id"])["ticket"]["status"] == "closed"
    # And the audit trail has the override
    entries = cast.get("ada", "/api/admin/audit?action=ticket.close")["items"]
    assert [(e["actor_id"], e["target"], e["details"]) for e in entries] == [
        (cast.id("ada"), f"ticket:{ticket['id']}",
         {"number": ticket["number"], "reason": reason, "assignee": "Sam Agent"})]
    # Closing again changes nothing and audits nothing
    assert cast.call("ada", "POST", close, {"reason": reason})[0] == 200
    assert len(cast.get("ada", "/api/admin/audit?action=ticket.close")["items"]) == 1


def test_an_admin_closes_an_unassigned_conversation_and_the_assignee_needs_no_reason(cast):
    nobody = cast.open_ticket("alice", subject="Left alone")
    close = f"/api/console/tickets/{nobody['id']}/close"
    status, detail, _ = cast.call("ada", "POST", close, {"reason": "Spam"})
    assert status == 200 and detail["ticket"]["status"] == "closed"
    assert detail["messages"][-1]["details"] == {
        "event": "closed", "reason": "Spam", "assignee_id": None,
        "status_change": {"from": "new", "to": "closed"}}
    # The assignee closes without a reason, as before, and nothing is audited for it
    mine = cast.open_ticket("bob")
    cast.answer("kim", mine["id"], "send_leave_open", "On it")
    status, detail, _ = cast.call("kim", "POST", f"/api/console/tickets/{mine['id']}/close")
    assert status == 200 and detail["messages"][-1]["details"] == {
        "event": "closed", "status_change": {"from": "open", "to": "closed"}}
    assert len(cast.get("ada", "/api/admin/audit?action=ticket.close")["items"]) == 1
