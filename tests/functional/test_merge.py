"""Merging two tickets of one customer (services/tickets/merge.py): the merged ticket's messages
and documents move to the survivor (a note stays internal, documents keep their access), the
merged ticket is closed and points to the survivor, the customer sees one ticket and hears
nothing again; a merge that stopped half-way finishes when asked again, without a duplicate."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError

from chalicelib.data import merge as merge_store
from chalicelib.data import tickets as ticket_store
from chalicelib.data.audit import AuditModel
from chalicelib.services.tickets import access
from chalicelib.services.tickets import commit as commits
from chalicelib.services.tickets import merge as merge_service
from tests.functional.attachment_support import PDF, Uploads
from tests.functional.conversation_support import assert_error
from tests.functional.notification_support import (
    Stream,
    live_endpoint,  # noqa: F401 - fixture
    pushes,
    ws_call,
)
from tests.functional.search_support import index_messages

pytestmark = pytest.mark.functional


def merge(cast, source: str, target: str, who: str = "sam") -> Any:
    return cast.call(who, "POST", f"/api/console/tickets/{source}/merge", {"into": target})


def thread(cast, ticket_id: str) -> list[dict[str, Any]]:
    return list(cast.get("sam", f"/api/console/tickets/{ticket_id}")["messages"])


def portal_bodies(cast, ticket_id: str, who: str = "alice") -> list[tuple[int, str]]:
    return [(m["seq"], m["body"]) for m in cast.portal_ticket(who, ticket_id)["messages"]]


def audited(cast) -> list[dict[str, Any]]:
    return list(cast.get("ada", "/api/admin/audit?action=ticket.merge")["items"])


def test_a_merge_moves_messages_and_documents_and_the_customer_sees_one_ticket(
    cast, api, fake_clock, sent_mail, live_endpoint
):
    uploads = Uploads(api)
    # Given Alice's first ticket: her message, a photo she sent, an internal note with a staff
    # file, the team's answer, and a document the team shared without a message
    first = cast.open_ticket("alice", subject="Printer", body="It smokes since Monday.")
    old = first["id"]
    photo = uploads.upload_confirmed(cast.token("alice"), old, PDF)
    cast.call("alice", "POST", f"/api/portal/tickets/{old}/messages",
              {"body": "Here is a photo.", "attachment_ids": [photo]})
    staff_file = uploads.upload_confirmed(cast.token("sam"), old, PDF, where="console",
                                          visibility="internal")
    cast.call("sam", "POST", f"/api/console/tickets/{old}/messages",
              {"action": "note", "body": "Quokka supplier knows this model.",
               "attachment_ids": [staff_file]})
    cast.answer("sam", old, "send_leave_open", "Unplug it, please.")
    manual = uploads.upload_confirmed(cast.token("sam"), old, PDF, where="console",
                                      visibility="public")
    fake_clock.advance(600)
    # and her second ticket about the same printer, which she follows live
    survivor = cast.open_ticket("alice", subject="Printer again", body="Still smoking.")["id"]
    stream = Stream()
    stream.pump()
    ws_call("$connect", "c1", query={"token": cast.token("alice")})
    ws_call("$default", "c1", body={"action": "subscribe", "ticket_id": survivor})
    mails, pushed = len(sent_mail()), len(pushes("c1"))
    feed = [i["id"] for i in cast.get("alice", "/api/notifications")["items"]]
    inbox = [e["id"] for e in cast.get("alice", "/api/portal/folders/inbox")["items"]]

    # When Sam merges the first into the second
    status, result, _ = merge(cast, old, survivor)

    # Then four messages and three documents moved
    assert status == 200, result
    survivor_number = cast.console_ticket("sam", survivor)["number"]
    assert result == {"merged": {"id": old, "number": first["number"]},
                      "survivor": {"id": survivor, "number": survivor_number},
                      "messages": 4, "documents": 3}
    # The survivor's thread has them after its own, in their order, each saying where from
    messages = thread(cast, survivor)
    assert [(m["body"], m["internal"]) for m in messages] == [
        ("Still smoking.", False),
        (f"#{first['number']} was merged into this conversation; its messages follow.", True),
        ("It smokes since Monday.", False), ("Here is a photo.", False),
        ("Quokka supplier knows this model.", True), ("Unplug it, please.", False)]
    assert [m["seq"] for m in messages] == [1, 2, 3, 4, 5, 6]
    moved = messages[2:]
    assert {m["details"]["moved_from"]["number"] for m in moved} == {first["number"]}
    assert moved[0]["created_at"] < messages[0]["created_at"]  # each keeps its own time
    assert moved[1]["attachment_ids"] == [photo] and moved[2]["attachment_ids"] == [staff_file]
    # Alice reads the public ones only, numbered on from hers, the note nowhere
    assert portal_bodies(cast, survivor) == [
        (1, "Still smoking."), (2, "It smokes since Monday."), (3, "Here is a photo."),
        (4, "Unplug it, please.")]
    # The documents are the survivor's, with the same access: the staff file stays the team's
    assert {d["id"] for d in uploads.documents(cast.token("sam"), survivor, "console")} == {
        photo, staff_file, manual}
    assert {d["id"] for d in uploads.documents(cast.token("alice"), survivor)} == {photo, manual}
    assert uploads.download(cast.token("alice"), survivor, photo)[0] == 302
    assert_error(uploads.download(cast.token("alice"), survivor, staff_file), 404,
                 "attachment_not_found")
    assert uploads.download(cast.token("sam"), survivor, staff_file, "console")[0] == 302

    # The first is closed and points to the survivor, in the console and the portal
    merged = cast.console_ticket("sam", old)
    assert merged["status"] == "closed"
    assert merged["merged_into"] == {"id": survivor, "number": survivor_number}
    assert thread(cast, old)[-1]["details"] == {
        "event": "merged_into", "ticket_id": survivor, "number": survivor_number,
        "status_change": {"from": "open", "to": "closed"}}
    assert cast.portal_ticket("alice", old)["ticket"]["merged_into"] == {
        "id": survivor, "number": survivor_number}
    assert cast.portal_ticket("alice", survivor)["ticket"]["merged_into"] is None
    # Her lists show one ticket, whatever the filter, and her search finds the survivor
    for who, query in (("alice", ""), ("alice", "?status=all"), ("alice", "?status=closed"),
                       ("alice", f"?q=%23{first['number']}"), ("boss", "?scope=org&status=all")):
        items = cast.get(who, f"/api/portal/tickets{query}")["items"]
        assert old not in [t["id"] for t in items], query
    assert [t["id"] for t in cast.get("alice", "/api/portal/tickets?status=all")["items"]] == [
        survivor]
    index_messages()
    assert [t["id"] for t in cast.get("alice", "/api/portal/tickets?q=monday")["items"]] == [
        survivor]
    assert cast.get("alice", "/api/portal/tickets?q=quokka")["items"] == []
    assert [t["id"] for t in cast.get("sam", "/api/console/tickets?q=quokka")["items"]] == [
        survivor]

    # Nobody hears of the moved messages again: no mail, feed item, Inbox entry or push
    stream.pump()
    assert len(sent_mail()) == mails
    assert [i["id"] for i in cast.get("alice", "/api/notifications")["items"]] == feed
    assert [e["id"] for e in cast.get("alice", "/api/portal/folders/inbox")["items"]] == inbox
    assert len(pushes("c1")) == pushed

    # The merged ticket takes no more replies; it is audited once
    assert_error(cast.reply("alice", old, "Any news?"), 409, "ticket_merged")
    assert_error(cast.answer("kim", old, "note", "Late note."), 409, "ticket_merged")
    assert [(e["target"], e["details"]["messages"]) for e in audited(cast)] == [
        (f"ticket:{survivor}", 4)]

    # And asking again answers the same, moving nothing twice
    status, again, _ = merge(cast, old, survivor)
    assert (status, again) == (200, result)
    assert len(thread(cast, survivor)) == 6 and len(audited(cast)) == 1


def test_a_merge_that_stopped_half_way_finishes_without_duplicates(cast, monkeypatch):
    # Given a ticket of five messages to move, one per step
    old = cast.open_ticket("alice", subject="Router", body="Message 1")["id"]
    for n in range(2, 6):
        cast.reply("alice", old, f"Message {n}")
    survivor = cast.open_ticket("alice", subject="Router again", body="Hello")["id"]
    monkeypatch.setattr(merge_service, "STEP_BYTES", 1)
    real_step, steps = merge_store.move_step, []

    def crash_on_the_third(*args: Any) -> None:
        steps.append(1)
        if len(steps) == 3:
            raise RuntimeError("the function timed out")
        real_step(*args)

    # When the merge stops after two steps
    monkeypatch.setattr(merge_store, "move_step", crash_on_the_third)
    status, body, _ = merge(cast, old, survivor)
    assert status == 500, body
    assert [m["body"] for m in thread(cast, survivor)][2:] == ["Message 1", "Message 2"]
    # the customer already sees one ticket (the rest follows when it is finished)
    assert [t["id"] for t in cast.get("alice", "/api/portal/tickets")["items"]] == [survivor]

    # Then asking again finishes it: each message once, numbered without a gap
    monkeypatch.setattr(merge_store, "move_step", real_step)
    status, result, _ = merge(cast, old, survivor)
    assert status == 200, result
    assert result["messages"] == 5
    messages = thread(cast, survivor)
    assert [m["body"] for m in messages][2:] == [f"Message {n}" for n in range(1, 6)]
    assert [m["seq"] for m in messages] == list(range(1, 8))
    assert [seq for seq, _ in portal_bodies(cast, survivor)] == list(range(1, 7))
    view = cast.get("sam", f"/api/console/tickets/{survivor}")
    assert (view["message_count"], view["public_count"]) == (7, 6)
    # and a reply after it takes the next number
    cast.reply("alice", survivor, "Thanks")
    assert portal_bodies(cast, survivor)[-1] == (7, "Thanks")
    assert len(audited(cast)) == 1


def test_only_tickets_of_one_customer_merge(cast):
    alices = [cast.open_ticket("alice", subject=f"Alice {n}")["id"] for n in range(3)]
    carols = cast.open_ticket("carol", subject="Carol's")["id"]

    # The survivors offered are Alice's other tickets, open first
    offered = cast.get("sam", f"/api/console/tickets/{alices[0]}/merge-candidates")["items"]
    assert [c["id"] for c in offered] == [alices[2], alices[1]]
    assert set(offered[0]) == {"id", "number", "subject", "title", "status"}

    # Another customer's ticket, the ticket itself, or a missing one: refused, nothing changed
    assert_error(merge(cast, alices[0], carols), 409, "merge_other_requester")
    assert_error(merge(cast, alices[0], alices[0]), 400, "merge_same_ticket")
    assert_error(merge(cast, alices[0], "0123456789abcdef0123456789abcdef"), 404,
                 "ticket_not_found")
    assert_error(merge(cast, alices[0], "no/such"), 400)
    assert cast.console_ticket("sam", alices[0])["merged_into"] is None
    # Nor may a customer merge
    assert_error(merge(cast, alices[0], alices[1], who="alice"), 403)

    # Once merged, a ticket is offered no more, neither merged elsewhere nor merged into
    status, _, _ = merge(cast, alices[0], alices[1])
    assert status == 200
    offered = cast.get("sam", f"/api/console/tickets/{alices[2]}/merge-candidates")["items"]
    assert [c["id"] for c in offered] == [alices[1]]
    assert_error(merge(cast, alices[0], alices[2]), 409, "ticket_merged")
    assert_error(merge(cast, alices[2], alices[0]), 409, "merge_target_merged")


def test_mail_answering_a_merged_ticket_lands_on_its_survivor(office):
    from tests.functional.inbound_support import deliver, delivery, make_mail

    # Given Alice's printer ticket merged into her second one
    status, second, _ = office.api.call("POST", "/api/portal/tickets", {
        "topic": "technical", "subject": "Printer again", "body": "Still smoking."},
        token=office.tokens["alice"])
    survivor = second["ticket"]["id"]
    status, _, _ = office.api.call("POST", f"/api/console/tickets/{office.ticket_id}/merge",
                                   {"into": survivor}, token=office.tokens["agent"])
    assert status == 200

    # When she answers a mail of the first (its reply token, or a Message-ID we sent)
    by_token = delivery(deliver(make_mail(to=office.reply_address(), subject="Re: Printer",
                                          body="Smoke again.")))
    by_header = delivery(deliver(make_mail(subject="Re: Printer", body="And again.",
                                           headers={"In-Reply-To": office.sent_message_id()})))

    # Then both land on the survivor, as replies
    assert [(d["outcome"], d["ticket_id"]) for d in (by_token, by_header)] == [
        ("reply", survivor), ("reply", survivor)]
    bodies = [m["body"] for m in office.api.call(
        "GET", f"/api/console/tickets/{survivor}", token=office.tokens["agent"])[1]["messages"]]
    assert bodies[-2:] == ["Smoke again.", "And again."]


# ---------------------------------------------------------------------------------------------
# What a merge may reveal: nothing to anyone who could not read both tickets


def follow(cast, ticket_id: str, who: str) -> None:
    status, body, _ = cast.call("alice", "POST", f"/api/portal/tickets/{ticket_id}/followers",
                                {"email": cast.user(who)["email"]})
    assert status == 200, body


def test_tickets_filed_under_two_organizations_do_not_merge(cast):
    # Given Alice's ticket at Acme, then Alice moved to Globex and writing there
    acme_ticket = cast.open_ticket("alice", subject="Acme VPN", body="Acme's VPN secret is 7.")
    path = f"/api/admin/users/{cast.id('alice')}"
    assert cast.call("ada", "PATCH", path, {"org_id": cast.org("Globex")["id"]})[0] == 200
    cast.sign_in_again()
    globex_ticket = cast.open_ticket("alice", subject="Globex VPN", body="Globex's VPN.")["id"]

    # Then the Acme ticket is offered no survivor at Globex, and merging it there is refused
    offered = cast.get("sam", f"/api/console/tickets/{acme_ticket['id']}/merge-candidates")
    assert offered["items"] == []
    assert_error(merge(cast, acme_ticket["id"], globex_ticket), 409, "merge_other_org")
    # so Globex, with the organization view, still reads nothing of Acme's
    assert cast.console_ticket("sam", acme_ticket["id"])["merged_into"] is None
    assert portal_bodies(cast, globex_ticket, who="carol") == [(1, "Globex's VPN.")]


def test_a_survivor_with_other_followers_takes_no_merge_until_they_follow_both(cast):
    # Given Alice's two tickets, the second followed by her colleague Bob
    old = cast.open_ticket("alice", subject="Salary slip", body="My salary is wrong.")["id"]
    survivor = cast.open_ticket("alice", subject="Printer", body="Printer jammed.")["id"]
    follow(cast, survivor, "bob")

    # Then merging the first into it is refused: Bob would read what was never his
    assert_error(merge(cast, old, survivor), 409, "merge_other_followers")
    assert portal_bodies(cast, survivor, who="bob") == [(1, "Printer jammed.")]

    # Once Bob follows both, the merge is done
    follow(cast, old, "bob")
    status, result, _ = merge(cast, old, survivor)
    assert status == 200, result
    assert [body for _, body in portal_bodies(cast, survivor, who="bob")] == [
        "Printer jammed.", "My salary is wrong."]


def test_a_ticket_hidden_from_customers_is_not_merged_into_one_they_see(cast):
    hidden = cast.open_ticket("alice", subject="Billing", topic="billing", body="Refund?")["id"]
    shown = cast.open_ticket("alice", subject="Printer", body="Printer jammed.")["id"]
    cast.change_settings(hidden_topics=["billing"])

    assert cast.get("sam", f"/api/console/tickets/{hidden}/merge-candidates")["items"] == []
    assert_error(merge(cast, hidden, shown), 409, "merge_hidden_ticket")
    assert portal_bodies(cast, shown) == [(1, "Printer jammed.")]


def test_a_follower_of_the_merged_ticket_alone_is_not_told_where_it_went(cast):
    # Given Alice's ticket followed by Bob, merged into one he does not follow
    old = cast.open_ticket("alice", subject="Printer", body="It smokes.")["id"]
    follow(cast, old, "bob")
    survivor = cast.open_ticket("alice", subject="Printer again", body="Still smoking.")["id"]
    status, result, _ = merge(cast, old, survivor)
    assert status == 200, result

    # Alice is pointed to the survivor; Bob still reads the merged ticket, and learns nothing of
    # the ticket he may not open
    assert cast.portal_ticket("alice", old)["ticket"]["merged_into"]["id"] == survivor
    seen_by_bob = cast.portal_ticket("bob", old)
    assert seen_by_bob["ticket"]["merged_into"] is None
    assert [m["body"] for m in seen_by_bob["messages"]] == ["It smokes."]
    assert_error(cast.call("bob", "GET", f"/api/portal/tickets/{survivor}"), 404,
                 "ticket_not_found")


# ---------------------------------------------------------------------------------------------
# Merges that meet


def test_two_merges_crossing_each_other_make_no_loop(cast, monkeypatch, requests_per_thread):
    # Given Alice's tickets A and B, and two agents merging them the opposite ways at once:
    # Kim merges B into A between Sam's reading B and Sam's writing
    a = cast.open_ticket("alice", subject="A", body="About A")["id"]
    b = cast.open_ticket("alice", subject="B", body="About B")["id"]
    cast.token("kim")
    real_read, kims = access.staff_ticket, []

    def read_then_kim_merges(principal: Any, ticket_id: str) -> Any:
        ticket = real_read(principal, ticket_id)
        if ticket_id == b and not kims:
            kims.append(None)
            kim = threading.Thread(target=lambda: kims.append(merge(cast, b, a, who="kim")))
            kim.start()
            kim.join()
        return ticket

    monkeypatch.setattr(access, "staff_ticket", read_then_kim_merges)
    sams = merge(cast, a, b)
    monkeypatch.setattr(access, "staff_ticket", real_read)

    # Then Kim's merge is done and Sam's refused: A is the survivor, not merged itself
    assert kims[1][0] == 200, kims[1]
    assert_error(sams, 409, "merge_target_merged")
    assert cast.console_ticket("sam", b)["merged_into"]["id"] == a
    assert cast.console_ticket("sam", a)["merged_into"] is None
    assert [m["body"] for m in thread(cast, a)][-1] == "About B"
    assert cast.reply("alice", a, "Any news?")[0] == 201


def test_a_ticket_is_not_merged_away_while_a_merge_into_it_is_unfinished(cast, monkeypatch):
    # Given Alice's A being merged into B, stopped before its messages moved
    a = cast.open_ticket("alice", subject="A", body="About A")["id"]
    b = cast.open_ticket("alice", subject="B", body="About B")["id"]
    c = cast.open_ticket("alice", subject="C", body="About C")["id"]
    real_step = merge_store.move_step

    def timed_out(*args: Any) -> None:
        raise RuntimeError("the function timed out")

    monkeypatch.setattr(merge_store, "move_step", timed_out)
    assert merge(cast, a, b)[0] == 500
    monkeypatch.setattr(merge_store, "move_step", real_step)

    # Then B may not be merged into C until A's messages reached it
    assert_error(merge(cast, b, c), 409, "merge_unfinished")
    assert cast.console_ticket("sam", b)["merged_into"] is None
    # Once A's merge is finished, B's goes, and C has everything, once
    assert merge(cast, a, b)[0] == 200
    assert merge(cast, b, c)[0] == 200
    bodies = [body for _, body in portal_bodies(cast, c)]
    assert bodies == ["About C", "About B", "About A"]


def test_mail_answering_a_ticket_merged_twice_lands_on_the_last_survivor(office):
    from tests.functional.inbound_support import deliver, delivery, make_mail

    # Given Alice's printer ticket merged into her second, then that one into a third
    def opened(subject: str) -> str:
        status, created, _ = office.api.call("POST", "/api/portal/tickets", {
            "topic": "technical", "subject": subject, "body": subject},
            token=office.tokens["alice"])
        assert status == 201, created
        return str(created["ticket"]["id"])

    def merged(source: str, target: str) -> None:
        status, body, _ = office.api.call("POST", f"/api/console/tickets/{source}/merge",
                                          {"into": target}, token=office.tokens["agent"])
        assert status == 200, body

    second, third = opened("Printer again"), opened("Printer, third time")
    merged(office.ticket_id, second)
    merged(second, third)

    # When she answers a mail of the first
    answer = delivery(deliver(make_mail(to=office.reply_address(), subject="Re: Printer",
                                        body="Smoke again.")))

    # Then it lands on the third, as a reply
    assert (answer["outcome"], answer["ticket_id"]) == ("reply", third)
    bodies = [m["body"] for m in office.api.call(
        "GET", f"/api/console/tickets/{third}", token=office.tokens["agent"])[1]["messages"]]
    assert bodies[-1] == "Smoke again."


# ---------------------------------------------------------------------------------------------
# The end of a merge: done and audited once, or said not to be


def test_a_merge_whose_end_cannot_be_saved_says_so_and_finishes_when_asked_again(
    cast, monkeypatch
):
    # Given a merge whose merged ticket another writer changes after each read of its end
    old = cast.open_ticket("alice", subject="Printer", body="It smokes.")["id"]
    survivor = cast.open_ticket("alice", subject="Printer again", body="Still smoking.")["id"]
    monkeypatch.setattr(commits, "pause", lambda _: None)
    monkeypatch.setattr(commits, "COMMIT_ATTEMPTS", 3)
    real_list, real_read = merge_service.attachment_store.list_attachments, access.existing_ticket
    ending: list[int] = []

    def changed_meanwhile() -> None:
        ticket_store.save_ticket(real_read(old), "changed meanwhile")

    def listing_the_loose_documents(*args: Any, **kwargs: Any) -> Any:
        ending.append(1)  # the last step has begun, the merged ticket read
        changed_meanwhile()
        return real_list(*args, **kwargs)

    def read_then_changed(ticket_id: str) -> Any:
        ticket = real_read(ticket_id)
        if ending and ticket_id == old:
            changed_meanwhile()
        return ticket

    monkeypatch.setattr(merge_service.attachment_store, "list_attachments",
                        listing_the_loose_documents)
    monkeypatch.setattr(access, "existing_ticket", read_then_changed)

    # Then the merge is not said to be done, nor audited
    assert_error(merge(cast, old, survivor), 409, "ticket_busy")
    assert audited(cast) == []

    # And asking again, once the writer is quiet, finishes it: audited once
    monkeypatch.setattr(access, "existing_ticket", real_read)
    status, result, _ = merge(cast, old, survivor)
    assert status == 200, result
    assert result["messages"] == 1
    assert [e["details"]["merged"] for e in audited(cast)] == [old]


@contextmanager
def audit_writes_fail_once() -> Iterator[list[str]]:
    """The next write to the audit trail (alone or in a transaction) fails as DynamoDB may."""
    original, failed = BaseClient._make_api_call, []
    table = AuditModel.Meta.table_name

    def failing(self: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        tables = {params.get("TableName")} | {next(iter(item.values())).get("TableName")
                                              for item in params.get("TransactItems", [])}
        if operation in ("PutItem", "TransactWriteItems") and table in tables and not failed:
            failed.append(operation)
            raise ClientError({"Error": {"Code": "InternalServerError", "Message": "oops"}},
                              operation)
        return original(self, operation, params)

    BaseClient._make_api_call = failing  # type: ignore[method-assign]
    try:
        yield failed
    finally:
        BaseClient._make_api_call = original  # type: ignore[method-assign]


def test_a_merge_whose_audit_entry_failed_is_audited_once_when_asked_again(cast):
    old = cast.open_ticket("alice", subject="Printer", body="It smokes.")["id"]
    survivor = cast.open_ticket("alice", subject="Printer again", body="Still smoking.")["id"]
    cast.token("sam")  # signed in (an audited event) before

    # When the audit entry cannot be written at the end of the merge
    with audit_writes_fail_once() as failed:
        status, body, _ = merge(cast, old, survivor)
    assert failed and status == 500, body

    # Then asking again finishes it, audited once
    status, result, _ = merge(cast, old, survivor)
    assert status == 200, result
    assert [e["details"]["merged"] for e in audited(cast)] == [old]
    status, again, _ = merge(cast, old, survivor)
    assert (status, again) == (200, result)
    assert len(audited(cast)) == 1
