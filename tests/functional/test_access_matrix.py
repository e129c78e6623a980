"""Every route, for every kind of caller, gives the expected status.

The matrix is data: one row per route, one expected status per persona. The test iterates over
the routes the app actually registered, so a route added without a row here fails the suite.
Alice's ticket is the object under test; Bob shares her organization without the organization
view, Boss shares it with the view, Carol belongs to another organization.
"""

from __future__ import annotations

import secrets
from typing import Any

import pytest

import app  # noqa: F401 - importing the app registers every route in ROUTES
from chalicelib import clock
from chalicelib.api.routing import PUBLIC, ROUTES
from tests.conftest import PASSWORD
from tests.functional.attachment_support import PDF, Uploads

pytestmark = pytest.mark.functional

PERSONAS = ("requester", "same_org", "org_view", "other_org", "agent", "admin", "anonymous")

OK, CREATED, ACCEPTED, FOUND = 200, 201, 202, 302
# Expected status per persona, in PERSONAS order.
ADMIN_ONLY = (403, 403, 403, 403, 403, OK, 401)
STAFF_READ = (403, 403, 403, 403, OK, OK, 401)
ANY_SIGNED_IN = (OK, OK, OK, OK, OK, OK, 401)
CUSTOMERS_ONLY = (OK, OK, OK, OK, 403, 403, 401)
# Alice's ticket: hers, hidden from Bob and Carol (the same 404 as a missing ticket), visible to
# Boss through the organization view.
TICKET_READ = (OK, 404, OK, 404, 403, 403, 401)
PORTAL_DOCUMENTS = "/api/portal/tickets/{ticket_id}/attachments"
CONSOLE_DOCUMENTS = "/api/console/tickets/{ticket_id}/attachments"
FOLLOWERS = "/api/portal/tickets/{ticket_id}/followers"
CONSOLE_FOLLOWERS = "/api/console/tickets/{ticket_id}/followers"

MATRIX: dict[tuple[str, str], tuple[int, ...]] = {
    ("POST", "/api/auth/logout"): ANY_SIGNED_IN,
    ("GET", "/api/me"): ANY_SIGNED_IN,
    ("GET", "/api/auth/session"): ANY_SIGNED_IN,
    ("POST", "/api/auth/session/refresh"): ANY_SIGNED_IN,
    ("POST", "/api/auth/password"): ANY_SIGNED_IN,
    ("PATCH", "/api/me"): ANY_SIGNED_IN,
    ("GET", "/api/me/sessions"): ANY_SIGNED_IN,
    ("POST", "/api/me/sessions/sign-out-others"): ANY_SIGNED_IN,
    # The requester's own session (she signs herself out); anyone else's lookup misses.
    ("DELETE", "/api/me/sessions/{session_id}"): (OK, 404, 404, 404, 404, 404, 401),
    # Passkeys: each caller's own. Only the requester's session asked for registration options
    # (the world's), so only her answer registers; the others' find no challenge (400).
    ("GET", "/api/me/passkeys"): ANY_SIGNED_IN,
    ("POST", "/api/me/passkeys/options"): ANY_SIGNED_IN,
    ("POST", "/api/me/passkeys"): (CREATED, 400, 400, 400, 400, 400, 401),
    ("PATCH", "/api/me/passkeys/{passkey_id}"): (OK, 404, 404, 404, 404, 404, 401),
    ("DELETE", "/api/me/passkeys/{passkey_id}"): (OK, 404, 404, 404, 404, 404, 401),
    # Two-step verification: each caller's own. The requester has begun setting up an app (the
    # world's code confirms it); the agent has one (so only the agent can renew the recovery
    # codes or remove it, and may not begin a second one); the requester's passkey is a second
    # factor too, so her recovery codes may be renewed.
    ("GET", "/api/me/second-factor"): ANY_SIGNED_IN,
    ("POST", "/api/me/second-factor/totp"): (OK, OK, OK, OK, 409, OK, 401),
    ("POST", "/api/me/second-factor/totp/confirm"): (OK, 409, 409, 409, 409, 409, 401),
    ("POST", "/api/me/second-factor/recovery-codes"): (OK, 409, 409, 409, OK, 409, 401),
    ("POST", "/api/me/second-factor/totp/remove"): (409, 409, 409, 409, OK, 409, 401),
    ("GET", "/api/admin/audit"): ADMIN_ONLY,
    ("GET", "/api/admin/suppressions"): ADMIN_ONLY,
    ("DELETE", "/api/admin/suppressions/{email}"): ADMIN_ONLY,
    ("POST", "/api/admin/orgs"): (403, 403, 403, 403, 403, CREATED, 401),
    ("GET", "/api/admin/orgs"): ADMIN_ONLY,
    ("PATCH", "/api/admin/orgs/{org_id}"): ADMIN_ONLY,
    ("POST", "/api/admin/teams"): (403, 403, 403, 403, 403, CREATED, 401),
    ("GET", "/api/admin/teams"): ADMIN_ONLY,
    ("PATCH", "/api/admin/teams/{team_id}"): ADMIN_ONLY,
    ("GET", "/api/admin/settings"): ADMIN_ONLY,
    ("PATCH", "/api/admin/settings"): ADMIN_ONLY,
    ("GET", "/api/admin/settings/mail-templates"): ADMIN_ONLY,
    ("POST", "/api/admin/settings/mail-templates/preview"): ADMIN_ONLY,
    ("POST", "/api/admin/users"): (403, 403, 403, 403, 403, CREATED, 401),
    ("GET", "/api/admin/users"): ADMIN_ONLY,
    ("GET", "/api/admin/users/{user_id}"): ADMIN_ONLY,
    ("PATCH", "/api/admin/users/{user_id}"): ADMIN_ONLY,
    # Bob has no second factor: the admin's reset finds nothing to remove (and says so, 200).
    ("POST", "/api/admin/users/{user_id}/second-factor/reset"): ADMIN_ONLY,
    ("GET", "/api/console/config"): STAFF_READ,
    ("GET", "/api/console/tickets"): STAFF_READ,
    ("POST", "/api/console/tickets"): (403, 403, 403, 403, CREATED, CREATED, 401),
    ("GET", "/api/console/tickets/{ticket_id}"): STAFF_READ,
    ("PATCH", "/api/console/tickets/{ticket_id}"): STAFF_READ,
    ("GET", "/api/console/tickets/{ticket_id}/messages"): STAFF_READ,
    ("POST", "/api/console/tickets/{ticket_id}/messages"): (
        403, 403, 403, 403, CREATED, CREATED, 401),
    ("POST", "/api/console/tickets/{ticket_id}/assign"): STAFF_READ,
    # Closing needs the assignee (the agent is) or an admin giving a reason (the body has one).
    ("POST", "/api/console/tickets/{ticket_id}/close"): STAFF_READ,
    ("POST", "/api/console/tickets/{ticket_id}/block"): STAFF_READ,
    ("POST", "/api/console/tickets/{ticket_id}/unblock"): STAFF_READ,
    ("GET", "/api/console/agents"): STAFF_READ,
    # The requester's context and the customer search: staff's, never a customer's.
    ("GET", "/api/console/tickets/{ticket_id}/customer"): STAFF_READ,
    ("GET", "/api/console/customers"): STAFF_READ,
    # The desk's tools are staff's. Tagging twice changes nothing; a bulk answer says per ticket;
    # a merge asked again (the admin after the agent) answers the same.
    ("POST", "/api/console/tickets/{ticket_id}/tags"): STAFF_READ,
    ("POST", "/api/console/tickets/bulk"): STAFF_READ,
    ("GET", "/api/console/tickets/{ticket_id}/merge-candidates"): STAFF_READ,
    ("POST", "/api/console/tickets/{ticket_id}/merge"): STAFF_READ,
    # Canned responses: staff's. The one under test is shared: only the admin changes it (the
    # agent's refusal comes first, so the admin still finds it to delete).
    ("GET", "/api/console/canned"): STAFF_READ,
    ("POST", "/api/console/canned"): (403, 403, 403, 403, CREATED, CREATED, 401),
    ("PATCH", "/api/console/canned/{canned_id}"): ADMIN_ONLY,
    ("DELETE", "/api/console/canned/{canned_id}"): ADMIN_ONLY,
    # Who else is on a conversation: staff only, customers never learn who reads their ticket.
    ("PUT", "/api/console/tickets/{ticket_id}/presence"): STAFF_READ,
    ("DELETE", "/api/console/tickets/{ticket_id}/presence"): STAFF_READ,
    ("GET", "/api/portal/config"): CUSTOMERS_ONLY,
    ("POST", "/api/portal/tickets"): (CREATED, CREATED, CREATED, CREATED, 403, 403, 401),
    ("GET", "/api/portal/tickets"): CUSTOMERS_ONLY,
    ("GET", "/api/portal/tickets/{ticket_id}"): TICKET_READ,
    ("GET", "/api/portal/tickets/{ticket_id}/messages"): TICKET_READ,
    ("POST", "/api/portal/tickets/{ticket_id}/messages"): (
        CREATED, 404, CREATED, 404, 403, 403, 401),
    # Reading what a live update showed follows the ticket's access.
    ("POST", "/api/portal/tickets/{ticket_id}/read"): TICKET_READ,
    # Resolving and rating are the requester's decisions; Boss may read but not decide.
    ("POST", "/api/portal/tickets/{ticket_id}/resolve"): (OK, 404, 403, 404, 403, 403, 401),
    ("PUT", "/api/portal/tickets/{ticket_id}/rating"): (OK, 404, 403, 404, 403, 403, 401),
    ("GET", "/api/portal/folders"): CUSTOMERS_ONLY,
    ("GET", "/api/portal/folders/{folder}"): CUSTOMERS_ONLY,
    # Folder entries live in their owner's partition: anyone else's lookup misses.
    ("POST", "/api/portal/folders/entries/{entry_id}/{action}"): (OK, 404, 404, 404, 403, 403, 401),
    # Each caller's own notification feed.
    ("GET", "/api/notifications"): ANY_SIGNED_IN,
    ("POST", "/api/notifications/read"): ANY_SIGNED_IN,
    ("GET", "/api/notifications/unread-count"): ANY_SIGNED_IN,
    ("GET", "/api/notifications/live"): ANY_SIGNED_IN,
    # The inbound mail log: agents release spam; releasing or retrying twice changes nothing.
    ("GET", "/api/admin/inbound"): STAFF_READ,
    ("POST", "/api/admin/inbound/{delivery_id}/retry"): STAFF_READ,
    ("POST", "/api/admin/inbound/{delivery_id}/release"): STAFF_READ,
    # Reading held mail is for staff; discarding twice, or forcing what is not dropped, changes
    # nothing.
    ("GET", "/api/admin/inbound/{delivery_id}"): STAFF_READ,
    ("POST", "/api/admin/inbound/{delivery_id}/discard"): STAFF_READ,
    ("POST", "/api/admin/inbound/{delivery_id}/force"): STAFF_READ,
    # Documents follow the ticket's access. Alice's confirmed document is the one under test:
    # confirming it again is idempotent, and a download is a redirect to S3.
    ("POST", PORTAL_DOCUMENTS): (CREATED, 404, CREATED, 404, 403, 403, 401),
    ("GET", PORTAL_DOCUMENTS): TICKET_READ,
    ("POST", PORTAL_DOCUMENTS + "/{attachment_id}/confirm"): TICKET_READ,
    ("GET", PORTAL_DOCUMENTS + "/{attachment_id}"): (FOUND, 404, FOUND, 404, 403, 403, 401),
    ("POST", CONSOLE_DOCUMENTS): (403, 403, 403, 403, CREATED, CREATED, 401),
    ("GET", CONSOLE_DOCUMENTS): STAFF_READ,
    ("POST", CONSOLE_DOCUMENTS + "/{attachment_id}/confirm"): STAFF_READ,
    ("GET", CONSOLE_DOCUMENTS + "/{attachment_id}"): (403, 403, 403, 403, FOUND, FOUND, 401),
    # Followers (Dana, Alice's colleague, follows her ticket): whoever reads the ticket sees
    # them; Alice chooses them (adding Dana again changes nothing); Boss reads but may not.
    ("GET", FOLLOWERS): TICKET_READ,
    ("POST", FOLLOWERS): (OK, 404, 403, 404, 403, 403, 401),
    ("DELETE", FOLLOWERS + "/{follower_id}"): (OK, 404, 403, 404, 403, 403, 401),
    ("GET", CONSOLE_FOLLOWERS): STAFF_READ,
    ("POST", CONSOLE_FOLLOWERS): STAFF_READ,
    # The agent removed Dana first: the admin finds nobody to remove.
    ("DELETE", CONSOLE_FOLLOWERS + "/{follower_id}"): (403, 403, 403, 403, OK, 404, 401),
}


def _bodies(world: dict[str, Any]) -> dict[tuple[str, str], Any]:
    return {
        ("POST", "/api/auth/password"): {
            "current_password": PASSWORD, "new_password": "a fresh and rather long passphrase 42",
        },
        ("PATCH", "/api/me"): {"name": "Robert", "language": "fr"},
        ("POST", "/api/me/passkeys"): world["passkey_registration"],
        ("PATCH", "/api/me/passkeys/{passkey_id}"): {"name": "Old laptop"},
        ("POST", "/api/me/second-factor/totp/confirm"): {"code": world["totp_code"]},
        ("POST", "/api/me/second-factor/recovery-codes"): {"password": PASSWORD},
        ("POST", "/api/me/second-factor/totp/remove"): {"password": PASSWORD},
        ("POST", "/api/admin/orgs"): {"name": "Initech"},
        ("PATCH", "/api/admin/orgs/{org_id}"): {"name": "Acme Corporation"},
        ("POST", "/api/admin/teams"): {"id": "billing", "name": "Billing"},
        ("PATCH", "/api/admin/teams/{team_id}"): {"email": "support-desk@acme.test"},
        ("PATCH", "/api/admin/settings"): {"portal_name": "Acme Help"},
        ("POST", "/api/admin/settings/mail-templates/preview"): {
            "template": "invite", "language": "fr", "body": "Bienvenue : {{ link }}"},
        ("POST", "/api/admin/users"): {
            "email": f"new-{secrets.token_hex(3)}@acme.test", "name": "New Person",
            "role": "customer", "org_id": world["org_id"],
        },
        ("PATCH", "/api/admin/users/{user_id}"): {"name": "Robert"},
        ("POST", "/api/console/tickets"): {
            "requester_id": world["requester_id"], "topic": "general",
            "subject": "Phoned in", "body": "Customer called about the invoice.",
        },
        ("PATCH", "/api/console/tickets/{ticket_id}"): {"title": "Printer smoke"},
        ("POST", "/api/console/tickets/{ticket_id}/messages"): {"action": "note", "body": "FYI"},
        ("POST", "/api/console/tickets/{ticket_id}/assign"): {"assignee_id": None},
        ("POST", "/api/console/tickets/{ticket_id}/block"): {"reason": "Abusive language"},
        ("POST", "/api/console/tickets/{ticket_id}/close"): {"reason": "Abandoned"},
        ("POST", "/api/console/tickets/{ticket_id}/tags"): {"add": ["billing"]},
        ("POST", "/api/console/tickets/bulk"): {
            "ticket_ids": [world["params"]["ticket_id"]], "action": "add_tag", "tag": "vip"},
        ("POST", "/api/console/tickets/{ticket_id}/merge"): {"into": world["other_ticket_id"]},
        ("POST", "/api/console/canned"): {
            "title": "Thanks", "body": "Thank you, {{ customer_name }}.", "language": "en"},
        ("PATCH", "/api/console/canned/{canned_id}"): {"title": "Many thanks"},
        ("PUT", "/api/console/tickets/{ticket_id}/presence"): {"typing": True},
        ("POST", "/api/portal/tickets"): {"topic": "general", "subject": "Hi", "body": "Hello"},
        ("POST", "/api/portal/tickets/{ticket_id}/messages"): {"body": "Any news?"},
        ("PUT", "/api/portal/tickets/{ticket_id}/rating"): {"score": 5},
        ("POST", "/api/portal/tickets/{ticket_id}/read"): {"seq": 1},
        ("POST", "/api/notifications/read"): {"ids": "all"},
        ("POST", PORTAL_DOCUMENTS): {
            "filename": "scan.pdf", "content_type": "application/pdf", "size": 1234,
        },
        ("POST", CONSOLE_DOCUMENTS): {
            "filename": "scan.pdf", "content_type": "application/pdf", "size": 1234,
        },
        ("POST", FOLLOWERS): {"email": world["follower_email"]},
        ("POST", CONSOLE_FOLLOWERS): {"email": world["follower_email"]},
    }


@pytest.fixture
def world(api, make_org, make_user) -> dict[str, Any]:
    """Alice's ticket, answered and resolved by the agent (so it can be rated or reopened)."""
    from chalicelib.data import sessions as session_store
    from chalicelib.data.base import expiry
    from chalicelib.services.sessions import hash_token, session_id
    from chalicelib.services.teams import create_team

    acme, globex = make_org("Acme"), make_org("Globex")
    create_team(None, "support", "Support", None)
    users = {
        "requester": make_user("customer", org_id=acme["id"]),
        "same_org": make_user("customer", org_id=acme["id"]),
        "org_view": make_user("customer", org_id=acme["id"], org_view=True),
        "other_org": make_user("customer", org_id=globex["id"]),
        "agent": make_user("agent"),
        "admin": make_user("admin"),
    }
    tokens = {}
    for persona, user in users.items():
        # Sessions made directly: the matrix is about routes, not about argon2.
        token = secrets.token_urlsafe(32)
        session_store.put_session(session_store.SessionModel(
            session_hash=hash_token(token), user_id=user["id"], role=user["role"],
            org_id=user["org_id"], org_view=user["org_view"], csrf_token="x",
            created_at=clock.now(), last_seen_at=clock.now(),
            expires_at=expiry(clock.now() + 3600),
        ))
        tokens[persona] = token
    _, created, _ = api.call("POST", "/api/portal/tickets", {
        "topic": "technical", "subject": "Printer", "body": "It smokes."},
        token=tokens["requester"])
    ticket_id = created["ticket"]["id"]
    # Her second ticket: the one the first may be merged into
    _, other, _ = api.call("POST", "/api/portal/tickets", {
        "topic": "technical", "subject": "Printer again", "body": "Still smoking."},
        token=tokens["requester"])
    status, _, _ = api.call("POST", f"/api/console/tickets/{ticket_id}/messages",
                            {"action": "send", "body": "Unplug it."}, token=tokens["agent"])
    assert status == 201
    _, inbox, _ = api.call("GET", "/api/portal/folders/inbox", token=tokens["requester"])
    from tests.functional.inbound_support import deliver, make_mail

    spam = deliver(make_mail(sender="offers@spam.test", subject="Cheap"), verdicts={"spam": "FAIL"})
    attachment_id = Uploads(api).upload_confirmed(tokens["requester"], ticket_id, PDF)
    from chalicelib.services.suppressions import suppress_bounced

    suppress_bounced("gone@acme.test", detail="5.1.1", feedback_id=None)
    from chalicelib.services.canned import create_response
    from chalicelib.services.principal import ADMIN, Principal

    admin = Principal(user_id=users["admin"]["id"], role=ADMIN, org_id=None, org_view=False,
                      session_hash="", must_change_password=False)
    canned = create_response(admin, {
        "title": "Refund", "body": "Refunded.", "language": "en", "shared": True})
    # The requester's passkey, and her session's options for another (answered in _bodies)
    from tests.functional.webauthn_support import Authenticator, add_passkey

    _, passkey = add_passkey(api, tokens["requester"])
    options = api.call("POST", "/api/me/passkeys/options", token=tokens["requester"])[1]
    # The requester's app half set up (a code of the step before confirms it: the secret
    # stays), the agent's set up.
    import pyotp

    setup = api.call("POST", "/api/me/second-factor/totp", token=tokens["requester"])[1]
    totp_code = pyotp.TOTP(setup["secret"]).at(int(clock.now()) - 30)
    agent_setup = api.call("POST", "/api/me/second-factor/totp", token=tokens["agent"])[1]
    status, _, _ = api.call("POST", "/api/me/second-factor/totp/confirm", {
        "code": pyotp.TOTP(agent_setup["secret"]).now()}, token=tokens["agent"])
    assert status == 200
    dana = make_user("customer", org_id=acme["id"])
    status, _, _ = api.call("POST", f"/api/portal/tickets/{ticket_id}/followers",
                            {"email": dana["email"]}, token=tokens["requester"])
    assert status == 200
    return {
        "tokens": tokens,
        "other_ticket_id": other["ticket"]["id"],
        "follower_email": dana["email"],
        "totp_code": totp_code,
        "passkey_registration": {"name": "Phone",
                                 "credential": Authenticator().register(options)},
        "org_id": acme["id"],
        "requester_id": users["requester"]["id"],
        "params": {
            "ticket_id": ticket_id,
            "user_id": users["same_org"]["id"],
            "entry_id": inbox["items"][0]["id"],
            "folder": "inbox",
            "action": "read",
            "delivery_id": spam,
            "attachment_id": attachment_id,
            "team_id": "support",
            "email": "gone@acme.test",
            "org_id": acme["id"],
            "session_id": session_id(hash_token(tokens["requester"])),
            "follower_id": dana["id"],
            "canned_id": canned["id"],
            "passkey_id": passkey["id"],
            "provider_id": "demo",  # an OpenID provider's (public routes: the bad-input tests)
        },
    }


PROTECTED = sorted({(r.method, r.path) for r in ROUTES if r.access is not PUBLIC})


def test_every_protected_route_is_in_the_matrix():
    missing = [route for route in PROTECTED if route not in MATRIX]
    assert not missing, f"add these routes to the access matrix: {missing}"
    stale = [route for route in MATRIX if route not in PROTECTED]
    assert not stale, f"these matrix rows name no route: {stale}"


@pytest.mark.parametrize(("method", "path"), PROTECTED, ids=[f"{m} {p}" for m, p in PROTECTED])
def test_route_answers_each_persona_as_expected(api, world, method, path):
    expected = dict(zip(PERSONAS, MATRIX[(method, path)], strict=True))
    url = path.format(**world["params"])
    body = _bodies(world).get((method, path))
    got = {}
    for persona in PERSONAS:
        token = world["tokens"].get(persona)
        # Anonymous callers present a token that matches no session.
        status, payload, _ = api.call(method, url, body, token=token or "no-such-session")
        got[persona] = status
        if status >= 400:
            assert set(payload) == {"error"} and {"code", "message"} <= set(payload["error"]), (
                persona, payload)
    assert got == expected


def test_someone_elses_ticket_and_a_missing_ticket_look_the_same(api, world):
    carol = world["tokens"]["other_org"]
    theirs = api.call("GET", f"/api/portal/tickets/{world['params']['ticket_id']}", token=carol)
    missing = api.call("GET", "/api/portal/tickets/0123456789abcdef0123456789abcdef", token=carol)
    assert theirs[0] == missing[0] == 404
    assert theirs[1] == missing[1]
