"""The profile a signed-in user keeps themselves: name, language (of the pages and of every
mail), how they hear of their tickets, and where they are signed in."""

from __future__ import annotations

import pytest

from tests.functional.notification_support import mails_to, session_token

pytestmark = pytest.mark.functional

FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
SAFARI = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
          "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1")


def _me(api, token):
    status, me, _ = api.call("GET", "/api/me", token=token)
    assert status == 200, me
    return me


def test_an_edit_keeps_every_field_it_did_not_touch(api, make_org, make_user):
    # Given a customer with a name, English, and mail for every message
    org = make_org("Acme")
    alice = make_user("customer", org_id=org["id"], name="Alice Martin")
    token = session_token(alice)
    before = _me(api, token)
    assert before["notifications"] == "every" and before["user"]["language"] == "en"
    # When she changes only her language, then only her notification mail
    status, after_language, _ = api.call("PATCH", "/api/me", {"language": "fr"}, token=token)
    assert status == 200, after_language
    status, after_digest, _ = api.call(
        "PATCH", "/api/me", {"notifications": "digest"}, token=token)
    assert status == 200, after_digest
    # Then each edit changed its field and kept the others, as /api/me says afterwards too
    assert after_language["user"] == {**before["user"], "language": "fr"}
    assert after_digest["user"]["name"] == "Alice Martin"
    assert after_digest["user"]["language"] == "fr"
    assert _me(api, token) == {**before, "user": {**before["user"], "language": "fr"},
                               "notifications": "digest"}
    # And a new name is trimmed, and the rest still kept
    status, renamed, _ = api.call("PATCH", "/api/me", {"name": "  Alice   Dupont "}, token=token)
    assert status == 200
    assert renamed["user"]["name"] == "Alice Dupont"
    assert renamed["user"]["language"] == "fr" and renamed["notifications"] == "digest"


@pytest.mark.parametrize(("body", "field"), [
    ({"language": "de"}, "language"),
    ({"notifications": "weekly"}, "notifications"),
    ({"name": ""}, "name"),
    ({"name": "   "}, "name"),
    ({"role": "admin"}, "role"),
    ({"email": "me@evil.test"}, "email"),
])
def test_a_refused_edit_names_its_field_and_changes_nothing(api, make_org, make_user, body, field):
    # Given a customer
    alice = make_user("customer", org_id=make_org("Acme")["id"], name="Alice Martin")
    token = session_token(alice)
    before = _me(api, token)
    # When she sends a value outside the offered ones, an empty name, or a field not hers to edit
    status, refused, _ = api.call("PATCH", "/api/me", body, token=token)
    # Then it is a 400 naming the field, and her account is as it was
    assert status == 400, refused
    assert refused["error"]["code"] == "invalid_input"
    assert [d["field"] for d in refused["error"]["details"]] == [field]
    assert _me(api, token) == before


def test_the_saved_language_is_what_the_next_mail_speaks(api, make_org, make_user, desk, stream):
    # Given Alice's ticket, and Alice choosing French on her profile
    ticket_id = desk.open_ticket()
    token = desk.customer_token()
    status, me, _ = api.call("PATCH", "/api/me", {"language": "fr"}, token=token)
    assert status == 200 and me["user"]["language"] == "fr"
    stream.pump()
    # When the agent answers her afterwards
    desk.answer(ticket_id)
    stream.pump()
    # Then her notification is in French, and /api/me still says French
    notice = [m for m in mails_to("alice@acme.test")
              if "Vous avez reçu un nouveau message" in m["text"]]
    assert len(notice) == 1, [m["subject"] for m in mails_to("alice@acme.test")]
    assert _me(api, token)["user"]["language"] == "fr"


def test_portal_only_sends_no_ticket_mail_but_keeps_the_feed(api, desk, stream):
    # Given Alice chose to hear of her tickets in the portal only
    token = desk.customer_token()
    status, _, _ = api.call("PATCH", "/api/me", {"notifications": "portal"}, token=token)
    assert status == 200
    # When she opens a ticket and the agent answers it
    ticket_id = desk.open_ticket()
    desk.answer(ticket_id)
    stream.pump()
    # Then no mail reached her (neither acknowledgement nor notification), the feed has the reply
    assert mails_to("alice@acme.test") == []
    status, feed, _ = api.call("GET", "/api/notifications", token=token)
    assert status == 200 and [item["kind"] for item in feed["items"]] == ["reply"]


def test_sessions_name_the_device_and_mark_this_one(api, make_org, make_user):
    # Given Alice signed in from Firefox on Windows, then from Safari on her iPhone
    alice = make_user("customer", org_id=make_org("Acme")["id"])
    api.login(alice["email"], headers={"User-Agent": FIREFOX})
    phone = api.login(alice["email"], headers={"User-Agent": SAFARI})
    # When the phone lists her sessions
    status, listed, _ = api.call("GET", "/api/me/sessions", token=phone)
    # Then both are there, the phone's first and marked as this one, each with its device
    assert status == 200, listed
    items = listed["items"]
    assert [(s["browser"], s["os"], s["current"]) for s in items] == [
        ("Safari", "iOS", True), ("Firefox", "Windows", False)]
    assert all(s["last_seen_at"].endswith("Z") and s["signed_in_at"] for s in items)
    # And no id is the session's key (the hash of its token)
    from chalicelib.services.sessions import hash_token

    assert hash_token(phone) not in {s["id"] for s in items}


def test_signing_out_one_session_ends_it_and_only_it(api, make_org, make_user):
    # Given Alice signed in on a laptop and a phone
    alice = make_user("customer", org_id=make_org("Acme")["id"])
    laptop = api.login(alice["email"], headers={"User-Agent": FIREFOX})
    phone = api.login(alice["email"], headers={"User-Agent": SAFARI})
    listed = api.call("GET", "/api/me/sessions", token=laptop)[1]["items"]
    phone_id = next(s["id"] for s in listed if not s["current"])
    # When the laptop signs the phone out
    status, answer, _ = api.call("DELETE", f"/api/me/sessions/{phone_id}", token=laptop)
    # Then the phone is told it was signed out elsewhere, and the laptop goes on
    assert status == 200 and answer == {"ok": True}
    status, refused, _ = api.call("GET", "/api/me", token=phone)
    assert status == 401
    assert refused["error"]["code"] == "session_expired"
    assert refused["error"]["details"] == {"reason": "signed_out"}
    assert [s["current"] for s in api.call("GET", "/api/me/sessions", token=laptop)[1]["items"]] \
        == [True]
    # And signing it out again finds nothing
    assert api.call("DELETE", f"/api/me/sessions/{phone_id}", token=laptop)[0] == 404


def test_another_users_session_cannot_be_signed_out(api, make_org, make_user):
    # Given Alice and Carol, each signed in
    org = make_org("Acme")
    alice = make_user("customer", org_id=org["id"])
    carol = make_user("customer", org_id=org["id"])
    alice_token = api.login(alice["email"])
    carol_token = api.login(carol["email"])
    carol_id = api.call("GET", "/api/me/sessions", token=carol_token)[1]["items"][0]["id"]
    # When Alice asks to sign out Carol's session by its id (or by its key)
    from chalicelib.services.sessions import hash_token

    by_id = api.call("DELETE", f"/api/me/sessions/{carol_id}", token=alice_token)
    by_key = api.call("DELETE", f"/api/me/sessions/{hash_token(carol_token)}", token=alice_token)
    missing = api.call("DELETE", "/api/me/sessions/0123456789abcdef0123456789abcdef",
                       token=alice_token)
    # Then each is the 404 of a session that does not exist, and Carol is still signed in
    assert by_id[0] == by_key[0] == missing[0] == 404
    assert by_id[1] == missing[1]
    assert api.call("GET", "/api/me", token=carol_token)[0] == 200


def test_sign_out_everywhere_else_keeps_this_session(api, make_org, make_user):
    # Given Alice signed in three times, and Carol once
    org = make_org("Acme")
    alice = make_user("customer", org_id=org["id"])
    carol = make_user("customer", org_id=org["id"])
    here, *elsewhere = [api.login(alice["email"]) for _ in range(3)]
    carol_token = api.login(carol["email"])
    # When Alice signs out everywhere else
    status, answer, _ = api.call("POST", "/api/me/sessions/sign-out-others", token=here)
    # Then the two other sessions ended, hers here did not, nor Carol's
    assert status == 200 and answer == {"ended": 2}
    assert [api.call("GET", "/api/me", token=t)[0] for t in elsewhere] == [401, 401]
    assert api.call("GET", "/api/me", token=here)[0] == 200
    assert api.call("GET", "/api/me", token=carol_token)[0] == 200
    assert len(api.call("GET", "/api/me/sessions", token=here)[1]["items"]) == 1


def test_staff_keep_a_profile_too(api, make_user):
    # Given an agent
    agent = make_user("agent", team_ids=None, name="Sam Agent")
    token = session_token(agent)
    # When Sam renames himself and switches to Polish
    status, me, _ = api.call("PATCH", "/api/me", {"name": "Samuel Agent", "language": "pl"},
                             token=token)
    # Then both are saved, and he stays an agent
    assert status == 200, me
    assert (me["user"]["name"], me["user"]["language"], me["user"]["role"]) == (
        "Samuel Agent", "pl", "agent")
