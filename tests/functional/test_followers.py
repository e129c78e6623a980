"""Followers of a ticket (the CCs of other help desks): who may add whom, what a follower then
reads and answers on the portal and by mail, the secure notifications they get, and that an
internal note reaches them by no path."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.mail import tokens
from tests.functional.conversation_support import assert_error
from tests.functional.inbound_support import Office, deliver, delivery, make_mail, thread
from tests.functional.notification_support import mails_to, session_token, set_user

pytestmark = pytest.mark.functional

NOTE = "NOTE-FOR-THE-TEAM-ONLY"
ANSWER = "ANSWER-IN-THE-PORTAL-ONLY"
PARTNER = "partner@elsewhere.test"
UNPROVEN = {"spf": "FAIL", "dkim": "FAIL", "dmarc": "GRAY"}


class Scene:
    """Office's people (Alice's ticket, her colleague Bob, Carol of Globex, the agent Sam) with
    an admin, each signed in, and the calls the scenarios make."""

    def __init__(self, office: Office, make_user: Any) -> None:
        self.office = office
        self.admin = make_user("admin", name="Ada Admin")
        self.tokens = {
            **office.tokens,
            "bob": session_token(office.bob),
            "carol": session_token(office.carol),
            "admin": session_token(self.admin),
        }
        self.ticket = f"/api/portal/tickets/{office.ticket_id}"
        self.conversation = f"/api/console/tickets/{office.ticket_id}"

    def call(self, who: str, method: str, path: str, body: Any = None) -> Any:
        return self.office.api.call(method, path, body, token=self.tokens[who])

    def ok(self, who: str, method: str, path: str, body: Any = None) -> Any:
        status, answer, _ = self.call(who, method, path, body)
        assert status in (200, 201), (path, answer)
        return answer

    def follow(self, who: str, email: str) -> dict[str, Any]:
        base = self.conversation if who == "agent" else self.ticket
        return dict(self.ok(who, "POST", f"{base}/followers", {"email": email}))

    def allow_outside_followers(self) -> None:
        self.ok("admin", "PATCH", "/api/admin/settings", {"followers_outside_org": True})


@pytest.fixture
def scene(office, make_user) -> Scene:
    return Scene(office, make_user)


def _ids(listing: dict[str, Any]) -> list[str]:
    return [ticket["id"] for ticket in listing["items"]]


def test_the_requester_adds_a_colleague_who_reads_and_answers_but_decides_nothing(scene):
    office = scene.office
    # Given Alice's ticket, which her colleague Bob (no organization view) cannot see
    assert scene.call("bob", "GET", scene.ticket)[0] == 404

    # When Alice adds him by his address, twice (a double click), written her own way
    for _ in range(2):
        listed = scene.follow("alice", "Bob@ACME.test")
    # Then he follows once, as his account, and she may remove him
    (bob,) = listed["items"]
    assert {k: bob[k] for k in ("id", "email", "has_account", "can_remove")} == {
        "id": office.bob["id"], "email": "bob@acme.test", "has_account": True,
        "can_remove": True}
    assert listed["can_add"] is True

    # And Bob reads the ticket, finds it under Following (not Mine), and answers it
    assert scene.ok("bob", "GET", scene.ticket)["ticket"]["id"] == office.ticket_id
    assert _ids(scene.ok("bob", "GET", "/api/portal/tickets?scope=following")) == [
        office.ticket_id]
    assert _ids(scene.ok("bob", "GET", "/api/portal/tickets")) == []
    assert scene.call("bob", "POST", f"{scene.ticket}/messages", {"body": "Same here."})[0] == 201
    # But resolving and choosing followers stay Alice's; he sees he may only remove himself
    assert_error(scene.call("bob", "POST", f"{scene.ticket}/resolve"), 403, "not_requester")
    assert_error(scene.call("bob", "POST", f"{scene.ticket}/followers",
                            {"email": "carol@globex.test"}), 403, "not_requester")
    seen_by_bob = scene.ok("bob", "GET", f"{scene.ticket}/followers")
    assert seen_by_bob["can_add"] is False and seen_by_bob["items"][0]["can_remove"] is True

    # When he stops following, the ticket leaves his portal like any other customer's
    assert scene.ok("bob", "DELETE", f"{scene.ticket}/followers/{bob['id']}")["items"] == []
    assert scene.call("bob", "GET", scene.ticket)[0] == 404
    assert _ids(scene.ok("bob", "GET", "/api/portal/tickets?scope=following")) == []


def test_outside_the_organization_only_where_the_admin_allows_it(scene, fake_clock):
    # When Alice adds Carol of another organization, or an address without an account
    refusals = [assert_error(scene.call("alice", "POST", f"{scene.ticket}/followers",
                                        {"email": email}), 400, "follower_outside_org")
                for email in ("carol@globex.test", PARTNER)]
    # Then both are refused alike: an account elsewhere and none cannot be told apart
    assert refusals[0] == refusals[1]
    assert "organization" in refusals[0]["message"]
    # And staff, the portal's own addresses and the requester herself never follow
    for email, code in (("sam@parley.test", "follower_not_allowed"),
                        ("support@parley.test", "follower_not_allowed"),
                        ("alice@acme.test", "follower_is_requester")):
        assert_error(scene.call("alice", "POST", f"{scene.ticket}/followers", {"email": email}),
                     400, code)

    # When the admin allows outside followers
    scene.allow_outside_followers()
    scene.follow("alice", "carol@globex.test")
    fake_clock.advance(60)
    listed = scene.follow("alice", PARTNER)
    # Then Carol follows with her account and reads the ticket; the address has mail only (in
    # the order they were added)
    assert [(f["email"], f["has_account"], f["name"]) for f in listed["items"]] == [
        ("carol@globex.test", True, scene.office.carol["name"]), (PARTNER, False, "")]
    assert scene.call("carol", "GET", scene.ticket)[0] == 200


def test_agents_add_and_remove_from_the_console_within_the_limit_audited(
    scene, make_user, monkeypatch
):
    from chalicelib.services.tickets import access

    # Given tickets may have one follower
    monkeypatch.setattr(access, "MAX_FOLLOWERS", 1)
    colleague = make_user("customer", org_id=scene.office.alice["org_id"],
                          email="dana@acme.test")
    # When the agent adds Bob from the console
    listed = scene.follow("agent", "bob@acme.test")
    assert [f["id"] for f in listed["items"]] == [scene.office.bob["id"]]
    assert listed["can_add"] is True and listed["limit"] == 1
    # Then a second follower is one too many, and says how many a ticket may have
    full = assert_error(scene.call("agent", "POST", f"{scene.conversation}/followers",
                                   {"email": colleague["email"]}), 409, "too_many_followers")
    assert full["details"] == {"limit": 1}
    # When the agent removes Bob, his place is free again; removing him twice is a 404
    path = f"{scene.conversation}/followers/{scene.office.bob['id']}"
    assert scene.ok("agent", "DELETE", path)["items"] == []
    assert_error(scene.call("agent", "DELETE", path), 404, "follower_not_found")
    assert len(scene.follow("agent", colleague["email"])["items"]) == 1
    # And the audit log names each change, on the ticket, with whom it was about
    entries = scene.ok("admin", "GET", "/api/admin/audit?kind=change")["items"]
    changes = [(e["action"], e["details"]["email"]) for e in entries
               if e["target"] == f"ticket:{scene.office.ticket_id}"]
    assert sorted(changes) == [("follower.add", "bob@acme.test"),
                               ("follower.add", "dana@acme.test"),
                               ("follower.remove", "bob@acme.test")]


def test_followers_get_the_secure_notification_in_their_language_and_nothing_of_a_note(
    scene, stream
):
    office = scene.office
    # Given Bob, who reads French, and an outside address follow Alice's ticket
    set_user(office.bob["id"], language="fr")
    scene.allow_outside_followers()
    scene.follow("alice", "bob@acme.test")
    scene.follow("alice", PARTNER)
    # When the agent writes an internal note
    office.console("/messages", "POST", {"action": "note", "body": NOTE})
    stream.pump()
    # Then no follower hears of it, by mail, feed, Inbox or on the ticket
    assert mails_to("bob@acme.test") == [] and mails_to(PARTNER) == []
    assert scene.ok("bob", "GET", "/api/notifications")["items"] == []
    assert scene.ok("bob", "GET", "/api/portal/folders/inbox")["items"] == []
    assert NOTE not in str(scene.ok("bob", "GET", scene.ticket))

    # When the agent answers in public
    office.console("/messages", "POST", {"action": "send_leave_open", "body": ANSWER})
    stream.pump()
    # Then each follower gets one secure notification, in their language, without the text,
    # answerable by a token signed for them
    (to_bob,) = mails_to("bob@acme.test")
    (to_partner,) = mails_to(PARTNER)
    assert to_bob["text"].startswith("Bonjour") and to_partner["text"].startswith("Hello")
    for mail, address in ((to_bob, "bob@acme.test"), (to_partner, PARTNER)):
        assert ANSWER not in mail["raw"] and f"/tickets/{office.ticket_id}" in mail["text"]
        assert tokens.verify(mail["headers"]["reply-to"], address) == office.ticket_id
    # And Bob, who has an account, finds the answer in his Inbox, his feed and the ticket
    (entry,) = scene.ok("bob", "GET", "/api/portal/folders/inbox")["items"]
    assert entry["ticket_id"] == office.ticket_id
    assert [i["kind"] for i in scene.ok("bob", "GET", "/api/notifications")["items"]] == ["reply"]
    bodies = [m["body"] for m in scene.ok("bob", "GET", scene.ticket)["messages"]]
    assert ANSWER in bodies and NOTE not in str(bodies)


def test_a_followers_mailed_answer_lands_in_the_thread_as_theirs(scene):
    office = scene.office
    # Given Bob follows Alice's ticket
    scene.follow("alice", "bob@acme.test")
    # When he answers the ticket's notification by mail
    raw = make_mail(sender="bob@acme.test", to=office.reply_address("bob@acme.test"),
                    subject="Re: Printer", body="It smokes here too.")
    log = delivery(deliver(raw))
    # Then his answer is a public message of his on her ticket
    assert (log["outcome"], log["ticket_id"]) == ("reply", office.ticket_id)
    last = thread(office.ticket_id)[-1]
    assert (last["author_id"], last["visibility"], last["body"]) == (
        office.bob["id"], "public", "It smokes here too.")


def test_an_address_follower_answering_by_mail_gets_an_account_unless_unproven(scene):
    office = scene.office
    # Given an outside address follows Alice's ticket
    scene.allow_outside_followers()
    scene.follow("alice", PARTNER)
    before = len(thread(office.ticket_id))

    # When a mail in that address's name, that SES could not prove, answers the ticket's mail
    forged = make_mail(sender=PARTNER, to=office.reply_address(PARTNER), subject="Re: Printer",
                       body="Forged?")
    # Then it is held for staff and nothing is written
    assert delivery(deliver(forged, verdicts=UNPROVEN))["outcome"] == "unverified_sender"
    assert len(thread(office.ticket_id)) == before

    # When the partner really answers
    raw = make_mail(sender=f"Pat Partner <{PARTNER}>", to=office.reply_address(PARTNER),
                    subject="Re: Printer", body="We replaced the fuser.")
    assert delivery(deliver(raw))["outcome"] == "reply"
    # Then the answer is theirs, on an account made for the address, which now follows the
    # ticket as that account (and will read it in its portal)
    last = thread(office.ticket_id)[-1]
    assert (last["visibility"], last["body"]) == ("public", "We replaced the fuser.")
    (follower,) = scene.ok("alice", "GET", f"{scene.ticket}/followers")["items"]
    assert (follower["id"], follower["has_account"], follower["name"]) == (
        last["author_id"], True, "Pat Partner")


def test_a_follower_the_rules_no_longer_admit_loses_the_ticket_and_its_news(scene, stream):
    office = scene.office
    # Given Bob following Alice's ticket, and an outside address while the admin allowed it
    scene.follow("alice", "bob@acme.test")
    scene.allow_outside_followers()
    scene.follow("alice", PARTNER)
    # When the admin turns outside followers off, and moves Bob to Globex (a new session)
    scene.ok("admin", "PATCH", "/api/admin/settings", {"followers_outside_org": False})
    set_user(office.bob["id"], org_id=office.carol["org_id"])
    scene.tokens["bob"] = session_token({**office.bob, "org_id": office.carol["org_id"]})
    # Then Bob may no longer read the ticket, though his follower entry is still there, nor
    # find it under Following, by list or by number
    assert scene.call("bob", "GET", scene.ticket)[0] == 404
    following = "/api/portal/tickets?scope=following"
    assert scene.ok("bob", "GET", following)["items"] == []
    assert scene.ok("bob", "GET", f"{following}&q=%23{office.number}")["items"] == []
    # And the team's next answer reaches neither of them: no mail, no Inbox entry, no feed item
    office.console("/messages", "POST", {"action": "send_leave_open", "body": ANSWER})
    stream.pump()
    assert mails_to("bob@acme.test") == [] and mails_to(PARTNER) == []
    assert scene.ok("bob", "GET", "/api/portal/folders/inbox")["items"] == []
    assert scene.ok("bob", "GET", "/api/notifications")["items"] == []
    # While Alice, the requester, still hears of it
    assert [m["to"] for m in mails_to("alice@acme.test")][-1] == "alice@acme.test"
