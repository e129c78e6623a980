"""What a request costs in DynamoDB calls does not grow with the tables.

Every route the app registers (ROUTES) is measured, with one request shape each (a route added
without one fails the suite), plus a few variants of the lists (search, filters, sorts). Every
DynamoDB call is recorded by a hook on botocore's API calls. The same scene — customers,
agents, an admin, answered tickets, folder entries, notifications, documents, quarantined mail —
is built twice and measured twice: once with the tables nearly empty, once after 10,000 tickets
of other customers were added. No Scan, ever; at most CEILING calls (or a route's documented
bound); and the same count at both sizes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pyotp
import pytest

import app  # noqa: F401 - importing the app registers every route in ROUTES
from chalicelib import clock
from chalicelib.api.routing import ROUTES
from chalicelib.services import notifications
from tests.conftest import PASSWORD
from tests.functional.attachment_support import PDF, Uploads
from tests.functional.auth_support import STRONG_PASSWORD, cookies_set, link_token, mails_to
from tests.functional.dynamodb_support import dynamodb_calls
from tests.functional.inbound_support import deliver, make_mail
from tests.functional.notification_support import Stream, send_queued_account_mail, session_token
from tests.functional.oidc_support import SsoScene
from tests.functional.search_support import index_messages
from tests.functional.webauthn_support import Authenticator, add_passkey, challenge_cookie
from tests.seeding import seed_other_customers

pytestmark = pytest.mark.functional

CEILING = 12  # DynamoDB calls any one request may make, unless BOUNDS says otherwise
# Routes whose work is bounded by something other than the table's size, with that bound.
BOUNDS = {
    # Mark-all-read updates the caller's own unread items one by one, at most MARK_ALL_BATCH
    # per query and MARK_ALL_BATCHES queries (the answer's count tells the page what is left):
    # the session, the batches, their updates and the final count.
    ("POST", "/api/notifications/read"): 1 + notifications.MARK_ALL_BATCHES
    * (1 + notifications.MARK_ALL_BATCH) + 1,
    # A released (or retried) delivery runs the inbound pipeline again: the delivery record, the
    # sender's account, threading look-ups, the new ticket's transaction, its mail records; and
    # (+2) the team alert addresses a customer account may never be (one query over the
    # handful of teams) and the decision kept on the delivery record before anything is written;
    # (+1) a new customer's words in the console's customer directory (services/customers.py).
    ("POST", "/api/admin/inbound/{delivery_id}/retry"): 23,
    ("POST", "/api/admin/inbound/{delivery_id}/release"): 23,
    ("POST", "/api/admin/inbound/{delivery_id}/force"): 23,
    # The audit log is kept per month: a page not filled by this month's entries reads back
    # through at most twelve earlier months (services/audit.py:list_entries), one query each.
    ("GET", "/api/admin/audit"): 1 + 12,
    # A filtered audit page is the same walk over its own partition (data/audit.py); a person
    # named by address is first found (+2: the address's claim, then the account).
    "audit sign-ins": 1 + 12,
    "audit changes of one person": 1 + 2 + 12,
    # A bulk action is each ticket's own action (the author, the ticket, its transaction, and
    # for an assignment the agent) for at most 50 tickets (tickets/bulk.py: MAX_TICKETS), plus
    # the session, the settings and the agent checked once before any ticket.
    ("POST", "/api/console/tickets/bulk"): 3 + 4 * 50,
    # A merge reads both tickets, marks the merged one and tells the survivor (a commit each),
    # then moves its messages a transaction per step of up to 97 items (each step reads both
    # tickets and a page of each thread partition), then its loose documents and the audit
    # entry: bounded by the merged ticket's own thread, measured here with one step.
    ("POST", "/api/console/tickets/{ticket_id}/merge"): 30,
    # Setting up the app a sign-in requires is the set-up (the pending secret, the recovery
    # codes' Query, one transaction, the account's record read and saved, its audit entry)
    # and then the sign-in's second step (services/second_factor.py): bounded, whatever the
    # tables hold.
    ("POST", "/api/auth/second-factor/totp/confirm"): 16,
    # The code step reads the locks, counts the guess against the account before checking it
    # (a parallel burst must not all be checked: throttles.count_guess), then checks the code
    # and starts the session: the sign-in's calls and one more, whatever the tables hold.
    ("POST", "/api/auth/second-factor"): 13,
}
# Bounded, not equal at both sizes: how much these read depends on what the caller's own
# partitions hold, not on the tables' size: the audit page reads back as many months as the
# newest ones leave it short. (Search reads one page of postings, however many match: equal.)
BOUNDED_NOT_EQUAL = {("GET", "/api/admin/audit"), "audit sign-ins",
                     "audit changes of one person"}


@dataclass
class Call:
    who: str | None  # a token name of the scene, None: anonymous
    path: str
    body: Any = None
    headers: dict[str, str] | None = None  # a cookie the route reads, say


@dataclass
class Scene:
    """One copy of the world a request shape needs, built through the API (and a few direct
    sessions: the cost under test is the request's, not argon2's)."""

    n: int
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    tickets: dict[str, str] = field(default_factory=dict)
    numbers: dict[str, int] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)


def build_scene(api, make_org, make_user, stream: Stream, n: int) -> Scene:
    scene = Scene(n)
    acme = make_org(f"Acme {n}")
    scene.ids["org"] = acme["id"]
    for who, role, extra in (
        ("alice", "customer", {"org_id": acme["id"], "org_view": True}),
        ("changer", "customer", {"org_id": acme["id"]}),
        ("forgetful", "customer", {"org_id": acme["id"]}),
        ("keyholder", "customer", {"org_id": acme["id"]}),  # signs in with passkeys
        ("resetter", "customer", {"org_id": acme["id"]}),
        ("totper", "customer", {"org_id": acme["id"]}),  # signs in with an authenticator app
        ("enroller", "customer", {"org_id": acme["id"]}),  # sets one up
        ("remover", "customer", {"org_id": acme["id"]}),  # removes it
        ("lostphone", "customer", {"org_id": acme["id"]}),  # an admin resets hers
        ("agent", "agent", {"team_ids": ["support"]}),
        ("agent2", "agent", {"team_ids": ["support"]}),
        ("admin", "admin", {}),
    ):
        scene.users[who] = make_user(role, **extra)
        scene.tokens[who] = session_token(scene.users[who])
    scene.tokens["leaving"] = session_token(scene.users["alice"])
    names = ("main", "rated", "closing", "resolving", "blocking")
    for index in range(10):
        status, created, _ = api.call("POST", "/api/portal/tickets", {
            "topic": "general", "subject": f"Question {index}", "body": "Where is my order?"},
            token=scene.tokens["alice"])
        assert status == 201, created
        name = names[index] if index < len(names) else f"other{index}"
        scene.tickets[name] = created["ticket"]["id"]
        scene.numbers[name] = created["ticket"]["number"]
    for name, action in (("main", "send_leave_open"), ("rated", "send"),
                         ("closing", "send_leave_open")):
        status, body, _ = api.call(
            "POST", f"/api/console/tickets/{scene.tickets[name]}/messages",
            {"action": action, "body": "On its way."}, token=scene.tokens["agent"])
        assert status == 201, body
    # Tagged, for the list's tag filter (and the bulk actions' tickets have a tag to add)
    status, body, _ = api.call("POST", f"/api/console/tickets/{scene.tickets['other5']}/tags",
                               {"add": ["vip"]}, token=scene.tokens["agent"])
    assert status == 200, body
    stream.pump()  # the feed items of those answers
    index_messages()  # and the search index
    _, inbox, _ = api.call("GET", "/api/portal/folders/inbox", token=scene.tokens["alice"])
    # The answer on a ticket no measured request opens: still unread when marked read
    scene.ids["entry"] = next(
        e["id"] for e in inbox["items"] if e["ticket_id"] == scene.tickets["closing"])
    uploads = Uploads(api)
    scene.ids["portal_document"] = uploads.upload_confirmed(
        scene.tokens["alice"], scene.tickets["main"])
    scene.ids["console_document"] = uploads.upload_confirmed(
        scene.tokens["agent"], scene.tickets["main"], where="console")
    for name in ("spam_release", "spam_retry", "spam_discard"):
        scene.ids[name] = deliver(
            make_mail(sender=f"offers{n}@spam.test", subject=f"Cheap {name} {n}"),
            verdicts={"spam": "FAIL"})
    # Alice's own words taken for an automatic reply: dropped, for staff to force through.
    scene.ids["dropped_force"] = deliver(make_mail(
        sender=scene.users["alice"]["email"], subject=f"Not automatic {n}",
        headers={"Auto-Submitted": "auto-replied"}))
    status, body, _ = api.call("PATCH", "/api/admin/settings", {
        "self_registration": True, "magic_link_sign_in": True}, token=scene.tokens["admin"])
    assert status == 200, body
    status, body, _ = api.call("POST", "/api/admin/teams", {"id": f"desk{n}", "name": "Desk"},
                               token=scene.tokens["admin"])
    assert status == 201, body
    for who, name, shared in (("agent", "canned_mine", False), ("admin", "canned_edit", True),
                              ("admin", "canned_delete", True)):
        status, body, _ = api.call("POST", "/api/console/canned", {
            "title": f"Thanks {name}", "body": "Thank you, {{ customer_name }}.",
            "language": "en", "shortcut": f"{name}{n}", "shared": shared},
            token=scene.tokens[who])
        assert status == 201, body
        scene.ids[name] = body["response"]["id"]
    # An organization that requires a second factor: its customer sets one up at sign-in.
    from chalicelib.data import orgs as org_store

    vault = make_org(f"Vault {n}")
    org_store.set_require_second_factor(org_store.get_org(vault["id"]), True)
    scene.users["vaulted"] = make_user("customer", org_id=vault["id"])
    return scene


def shapes(scene: Scene, api, sent_mail) -> dict[tuple[str, str], Callable[[], Call]]:
    """One request per route: a callable that prepares what the request needs (not measured)
    and returns it."""
    t, ids, n = scene.tickets, scene.ids, scene.n
    main = t["main"]
    uploads = Uploads(api)

    def mailed_token(email: str, path: str, body: dict[str, Any]) -> str:
        api.call("POST", path, body)
        send_queued_account_mail()  # the API only queued the mail
        return link_token(mails_to(sent_mail, email)[0])

    def reset_confirm() -> Call:
        email = scene.users["resetter"]["email"]
        token = mailed_token(email, "/api/auth/password-reset", {"email": email})
        return Call(None, "/api/auth/password-reset/confirm",
                    {"token": token, "new_password": STRONG_PASSWORD})

    def reset_check() -> Call:
        # Forgetful's link: nobody spends it, whichever request runs first.
        email = scene.users["forgetful"]["email"]
        token = mailed_token(email, "/api/auth/password-reset", {"email": email})
        return Call(None, "/api/auth/password-reset/check", {"token": token})

    def verify() -> Call:
        email = f"verify{n}@acme.test"
        token = mailed_token(email, "/api/auth/register",
                             {"email": email, "name": "Vera", "password": STRONG_PASSWORD})
        return Call(None, "/api/auth/verify", {"token": token, "password": STRONG_PASSWORD})

    def magic_link_confirm() -> Call:
        # The link works only in the browser that asked: its cookie goes with the request.
        email, browser = scene.users["resetter"]["email"], {"Cookie": f"parley_magic={'b' * 42}{n}"}
        api.call("POST", "/api/auth/magic-link", {"email": email}, headers=browser)
        send_queued_account_mail()  # the API only queued the mail
        return Call(None, "/api/auth/magic-link/confirm",
                    {"token": link_token(mails_to(sent_mail, email)[0])}, headers=browser)

    keys: dict[str, Authenticator] = {}

    def keyholder_passkey() -> Authenticator:
        """Keyholder's first passkey, registered when first needed (not measured)."""
        if "laptop" not in keys:
            keys["laptop"] = add_passkey(api, scene.tokens["keyholder"])[0]
        return keys["laptop"]

    def register_passkey() -> Call:
        options = api.call("POST", "/api/me/passkeys/options", token=scene.tokens["keyholder"])[1]
        return Call("keyholder", "/api/me/passkeys",
                    {"name": "Phone", "credential": Authenticator().register(options)})

    def change_passkey(body: dict[str, str] | None) -> Callable[[], Call]:
        def prepare() -> Call:
            keyholder_passkey()  # so the one changed is not the last
            passkey = add_passkey(api, scene.tokens["keyholder"], name="Spare")[1]
            return Call("keyholder", f"/api/me/passkeys/{passkey['id']}", body)
        return prepare

    def passkey_sign_in() -> Call:
        laptop = keyholder_passkey()
        _, options, headers = api.call("POST", "/api/auth/passkey/options")
        return Call(None, "/api/auth/passkey", {"credential": laptop.assert_(options)},
                    headers={"Cookie": challenge_cookie(headers)})

    def pending_sign_in() -> dict[str, str]:
        """Keyholder's password sign-in, waiting for the second step: its cookie."""
        keyholder_passkey()
        _, _, headers = api.call("POST", "/api/auth/login", {
            "email": scene.users["keyholder"]["email"], "password": PASSWORD})
        return {"Cookie": cookies_set(headers)["parley_pending"].split(";", 1)[0]}

    def passkey_second_factor() -> Call:
        laptop, pending = keyholder_passkey(), pending_sign_in()
        options = api.call("POST", "/api/auth/passkey/second-factor/options", headers=pending)[1]
        return Call(None, "/api/auth/passkey/second-factor",
                    {"credential": laptop.assert_(options)}, headers=pending)

    totp_secrets: dict[str, str] = {}

    def totp_of(who: str) -> str:
        """`who`'s authenticator app, set up when first needed (not measured) with the code of
        the step before: the step now is left for a sign-in."""
        if who not in totp_secrets:
            setup = api.call("POST", "/api/me/second-factor/totp", token=scene.tokens[who])[1]
            code = pyotp.TOTP(setup["secret"]).at(int(clock.now()) - 30)
            status, body, _ = api.call("POST", "/api/me/second-factor/totp/confirm",
                                       {"code": code}, token=scene.tokens[who])
            assert status == 200, body
            totp_secrets[who] = setup["secret"]
        return totp_secrets[who]

    def pending_of(who: str) -> dict[str, str]:
        """`who`'s password sign-in, waiting for the second step: its cookie."""
        _, _, headers = api.call("POST", "/api/auth/login", {
            "email": scene.users[who]["email"], "password": PASSWORD})
        return {"Cookie": cookies_set(headers)["parley_pending"].split(";", 1)[0]}

    def totp_sign_in() -> Call:
        secret = totp_of("totper")
        return Call(None, "/api/auth/second-factor",
                    {"code": pyotp.TOTP(secret).at(int(clock.now()))}, headers=pending_of("totper"))

    def totp_set_up_at_sign_in() -> Call:
        pending = pending_of("vaulted")
        setup = api.call("POST", "/api/auth/second-factor/totp", headers=pending)[1]
        return Call(None, "/api/auth/second-factor/totp/confirm",
                    {"code": pyotp.TOTP(setup["secret"]).at(int(clock.now()))}, headers=pending)

    def totp_set_up() -> Call:
        setup = api.call("POST", "/api/me/second-factor/totp", token=scene.tokens["enroller"])[1]
        return Call("enroller", "/api/me/second-factor/totp/confirm",
                    {"code": pyotp.TOTP(setup["secret"]).at(int(clock.now()))})

    def with_totp(who: str, path: str, body: Any = None) -> Callable[[], Call]:
        def prepare() -> Call:
            totp_of(who)
            return Call(who, path, body)
        return prepare

    def second_factor_reset() -> Call:
        """Lostphone's app and a passkey, which an admin removes."""
        totp_of("lostphone")
        add_passkey(api, scene.tokens["lostphone"])
        return Call("admin", f"/api/admin/users/{scene.users['lostphone']['id']}"
                             "/second-factor/reset")

    def confirm(where: str, who: str) -> Callable[[], Call]:
        def prepare() -> Call:
            asked = uploads.upload(scene.tokens[who], main, PDF, where=where)
            return Call(who, f"/api/{where}/tickets/{main}/attachments/"
                             f"{asked['attachment']['id']}/confirm")
        return prepare

    def lift() -> Call:
        from chalicelib.services.suppressions import suppress_bounced

        suppress_bounced(f"gone{n}@acme.test", detail="5.1.1", feedback_id=None)
        return Call("admin", f"/api/admin/suppressions/gone{n}%40acme.test")

    def end_session() -> Call:
        other = session_token(scene.users["alice"])
        listed = api.call("GET", "/api/me/sessions", token=other)[1]["items"]
        return Call("alice", f"/api/me/sessions/{next(s['id'] for s in listed if s['current'])}")

    def sign_out_others() -> Call:
        session_token(scene.users["forgetful"])
        return Call("forgetful", "/api/me/sessions/sign-out-others")

    def unfollow(where: str, who: str) -> Callable[[], Call]:
        def prepare() -> Call:
            followers = f"/api/{where}/tickets/{main}/followers"
            resetter = scene.users["resetter"]
            api.call("POST", followers, {"email": resetter["email"]}, token=scene.tokens[who])
            return Call(who, f"{followers}/{resetter['id']}")
        return prepare

    def find_customer() -> Call:
        # The customer directory, by address: one Query a word for the organizations it names,
        # one of the people, one BatchGetItem of them and one of their organizations. (The
        # scene's accounts were made through the data layer: Alice is written here.)
        from chalicelib.data import users as user_store
        from chalicelib.services import customers

        customers.added(user_store.get_user(scene.users["alice"]["id"]))
        return Call("agent", "/api/console/customers?q="
                    + scene.users["alice"]["email"].replace("@", "%40"))

    sso = SsoScene(api, scene)  # OpenID sign-in against an issuer of the tests' own

    upload = {"filename": "scan.pdf", "content_type": "application/pdf", "size": 1234}
    calls: dict[tuple[str, str], Call | Callable[[], Call]] = {
        ("POST", "/api/auth/login"): Call(None, "/api/auth/login", {
            "email": scene.users["alice"]["email"], "password": PASSWORD}),
        ("POST", "/api/auth/logout"): Call("leaving", "/api/auth/logout"),
        ("GET", "/api/me"): Call("alice", "/api/me"),
        ("PATCH", "/api/me"): Call("forgetful", "/api/me", {"name": f"Fred {n}",
                                                             "language": "fr"}),
        ("GET", "/api/me/sessions"): Call("alice", "/api/me/sessions"),
        ("DELETE", "/api/me/sessions/{session_id}"): end_session,
        ("POST", "/api/me/sessions/sign-out-others"): sign_out_others,
        ("GET", "/api/auth/session"): Call("alice", "/api/auth/session"),
        ("POST", "/api/auth/session/refresh"): Call("alice", "/api/auth/session/refresh"),
        ("POST", "/api/auth/password"): Call("changer", "/api/auth/password", {
            "current_password": PASSWORD, "new_password": STRONG_PASSWORD}),
        ("POST", "/api/auth/password-reset"): Call(None, "/api/auth/password-reset", {
            "email": scene.users["forgetful"]["email"]}),
        ("POST", "/api/auth/password-reset/confirm"): reset_confirm,
        ("POST", "/api/auth/password-reset/check"): reset_check,
        ("POST", "/api/auth/register"): Call(None, "/api/auth/register", {
            "email": f"new{n}@acme.test", "name": "Newton", "password": STRONG_PASSWORD}),
        ("POST", "/api/auth/verify"): verify,
        # Passkeys: the keyholder's own list (one Query), options (a challenge written), a
        # registration, a rename, a removal; passwordless sign-in (its challenge spent, the
        # passkey got by key, its counter kept) and the second step after a password.
        ("GET", "/api/me/passkeys"): Call("keyholder", "/api/me/passkeys"),
        ("POST", "/api/me/passkeys/options"): Call("keyholder", "/api/me/passkeys/options"),
        ("POST", "/api/me/passkeys"): register_passkey,
        ("PATCH", "/api/me/passkeys/{passkey_id}"): change_passkey({"name": "Old laptop"}),
        ("DELETE", "/api/me/passkeys/{passkey_id}"): change_passkey(None),
        ("POST", "/api/auth/passkey/options"): Call(None, "/api/auth/passkey/options"),
        ("POST", "/api/auth/passkey"): passkey_sign_in,
        ("POST", "/api/auth/passkey/second-factor/options"): lambda: Call(
            None, "/api/auth/passkey/second-factor/options", headers=pending_sign_in()),
        ("POST", "/api/auth/passkey/second-factor"): passkey_second_factor,
        # Two-step verification with an app: the account's items are one partition (a GetItem
        # each, a Query of the ten recovery codes); a sign-in's step spends the pending token
        # and the code's time step (conditional writes) then starts the session.
        ("GET", "/api/me/second-factor"): with_totp("totper", "/api/me/second-factor"),
        ("POST", "/api/me/second-factor/totp"): Call("alice", "/api/me/second-factor/totp"),
        ("POST", "/api/me/second-factor/totp/confirm"): totp_set_up,
        ("POST", "/api/me/second-factor/recovery-codes"): with_totp(
            "totper", "/api/me/second-factor/recovery-codes", {"password": PASSWORD}),
        ("POST", "/api/me/second-factor/totp/remove"): with_totp(
            "remover", "/api/me/second-factor/totp/remove", {"password": PASSWORD}),
        ("POST", "/api/auth/second-factor"): totp_sign_in,
        ("POST", "/api/auth/second-factor/totp"): lambda: Call(
            None, "/api/auth/second-factor/totp", headers=pending_of("vaulted")),
        ("POST", "/api/auth/second-factor/totp/confirm"): totp_set_up_at_sign_in,
        ("POST", "/api/auth/magic-link"): Call(None, "/api/auth/magic-link", {
            "email": scene.users["forgetful"]["email"]}),
        ("POST", "/api/auth/magic-link/confirm"): magic_link_confirm,
        # OpenID sign-in (services/oidc.py): the settings; the flow written, then its state taken
        # and the account found (the ID token's checks read nothing), then the session started:
        # conditional writes on one item, whatever the tables hold.
        ("GET", "/api/auth/oidc/providers"): lambda: Call(None, *sso.providers()),
        ("GET", "/api/auth/oidc/{provider_id}/start"): lambda: Call(None, *sso.start()),
        ("GET", "/api/auth/oidc/{provider_id}/callback"): lambda: Call(None, *sso.callback()),
        ("POST", "/api/auth/oidc/complete"): lambda: Call(None, *sso.complete()),
        ("GET", "/api/health"): Call(None, "/api/health"),
        ("GET", "/api/openapi.json"): Call(None, "/api/openapi.json"),
        ("GET", "/dev/mail"): Call(None, "/dev/mail?format=json"),
        # Admin
        ("GET", "/api/admin/audit"): Call("admin", "/api/admin/audit"),
        ("POST", "/api/admin/orgs"): Call("admin", "/api/admin/orgs", {"name": f"Initech {n}"}),
        ("GET", "/api/admin/orgs"): Call("admin", "/api/admin/orgs"),
        ("PATCH", "/api/admin/orgs/{org_id}"): Call(
            "admin", f"/api/admin/orgs/{ids['org']}", {"name": f"Acme Corporation {n}"}),
        ("GET", "/api/admin/settings"): Call("admin", "/api/admin/settings"),
        ("GET", "/api/admin/settings/mail-templates"): Call(
            "admin", "/api/admin/settings/mail-templates"),
        ("POST", "/api/admin/settings/mail-templates/preview"): Call(
            "admin", "/api/admin/settings/mail-templates/preview",
            {"template": "invite", "language": "fr", "body": "Bienvenue : {{ link }}"}),
        ("PATCH", "/api/admin/settings"): Call("admin", "/api/admin/settings",
                                               {"portal_name": f"Acme Help {n}"}),
        ("POST", "/api/admin/users"): Call("admin", "/api/admin/users", {
            "email": f"hired{n}@acme.test", "name": "Hired", "role": "customer",
            "org_id": ids["org"]}),
        ("GET", "/api/admin/users"): Call("admin", f"/api/admin/users?org_id={ids['org']}"),
        ("GET", "/api/admin/users/{user_id}"): Call(
            "admin", f"/api/admin/users/{scene.users['changer']['id']}"),
        ("PATCH", "/api/admin/users/{user_id}"): Call(
            "admin", f"/api/admin/users/{scene.users['forgetful']['id']}", {"name": "Robert"}),
        # A reset: the account, its passkeys and its second factors' partition (a Query and a
        # batched delete each), the account's list of factors saved, the audit entry and the
        # mail (the suppression list).
        ("POST", "/api/admin/users/{user_id}/second-factor/reset"): second_factor_reset,
        ("GET", "/api/admin/teams"): Call("admin", "/api/admin/teams"),
        ("POST", "/api/admin/teams"): Call("admin", "/api/admin/teams",
                                           {"id": f"billing{n}", "name": "Billing"}),
        ("PATCH", "/api/admin/teams/{team_id}"): Call(
            "admin", f"/api/admin/teams/desk{n}", {"email": "desk@acme.test"}),
        ("GET", "/api/admin/suppressions"): Call("admin", "/api/admin/suppressions"),
        ("DELETE", "/api/admin/suppressions/{email}"): lift,
        ("GET", "/api/admin/inbound"): Call("agent", "/api/admin/inbound"),
        ("POST", "/api/admin/inbound/{delivery_id}/retry"): Call(
            "agent", f"/api/admin/inbound/{ids['spam_retry']}/retry"),
        ("POST", "/api/admin/inbound/{delivery_id}/release"): Call(
            "agent", f"/api/admin/inbound/{ids['spam_release']}/release"),
        ("GET", "/api/admin/inbound/{delivery_id}"): Call(
            "agent", f"/api/admin/inbound/{ids['spam_discard']}"),
        ("POST", "/api/admin/inbound/{delivery_id}/discard"): Call(
            "agent", f"/api/admin/inbound/{ids['spam_discard']}/discard"),
        ("POST", "/api/admin/inbound/{delivery_id}/force"): Call(
            "agent", f"/api/admin/inbound/{ids['dropped_force']}/force"),
        # The console
        ("GET", "/api/console/config"): Call("agent", "/api/console/config"),
        ("GET", "/api/console/tickets"): Call("agent", "/api/console/tickets"),
        ("POST", "/api/console/tickets"): Call("agent", "/api/console/tickets", {
            "requester_id": scene.users["alice"]["id"], "topic": "general",
            "subject": "Phoned in", "body": "Customer called about the invoice."}),
        ("GET", "/api/console/tickets/{ticket_id}"): Call("agent", f"/api/console/tickets/{main}"),
        ("PATCH", "/api/console/tickets/{ticket_id}"): Call(
            "agent", f"/api/console/tickets/{main}", {"title": "Order missing",
                                                      "status": "pending"}),
        ("GET", "/api/console/tickets/{ticket_id}/messages"): Call(
            "agent", f"/api/console/tickets/{main}/messages?after=1"),
        ("POST", "/api/console/tickets/{ticket_id}/messages"): Call(
            "agent", f"/api/console/tickets/{main}/messages",
            {"action": "send_leave_open", "body": "Anything else?"}),
        ("POST", "/api/console/tickets/{ticket_id}/assign"): Call(
            "agent", f"/api/console/tickets/{main}/assign",
            {"assignee_id": scene.users["agent2"]["id"]}),
        ("POST", "/api/console/tickets/{ticket_id}/close"): Call(
            "agent", f"/api/console/tickets/{t['closing']}/close"),
        ("POST", "/api/console/tickets/{ticket_id}/block"): Call(
            "agent", f"/api/console/tickets/{t['blocking']}/block", {"reason": "Abuse"}),
        ("POST", "/api/console/tickets/{ticket_id}/unblock"): Call(
            "agent", f"/api/console/tickets/{t['blocking']}/unblock"),
        ("GET", "/api/console/agents"): Call("agent", "/api/console/agents?q=Agent"),
        # The desk's tools: a tag (the commit, then the view), a bulk action on three tickets,
        # the survivors offered (one page of the requester's tickets), a merge of one message
        ("POST", "/api/console/tickets/{ticket_id}/tags"): Call(
            "agent", f"/api/console/tickets/{main}/tags", {"add": ["billing"]}),
        ("POST", "/api/console/tickets/bulk"): Call("agent", "/api/console/tickets/bulk", {
            "ticket_ids": [t["other5"], t["other6"], t["other7"]], "action": "add_tag",
            "tag": "vip"}),
        ("GET", "/api/console/tickets/{ticket_id}/merge-candidates"): Call(
            "agent", f"/api/console/tickets/{main}/merge-candidates"),
        ("POST", "/api/console/tickets/{ticket_id}/merge"): Call(
            "agent", f"/api/console/tickets/{t['other8']}/merge", {"into": t["other9"]}),
        # The requester's context: the ticket, the customer, the organization, the suppression
        # list, and one Query of their latest tickets (services/customers.py:HISTORY).
        ("GET", "/api/console/tickets/{ticket_id}/customer"): Call(
            "agent", f"/api/console/tickets/{main}/customer"),
        ("GET", "/api/console/customers"): find_customer,
        # Canned responses: the shared partition and the caller's own, each one Query (each
        # holds a bounded few hundred, services/canned.py); a shared one's change is audited.
        ("GET", "/api/console/canned"): Call("agent", "/api/console/canned?q=thanks"),
        ("POST", "/api/console/canned"): Call("agent", "/api/console/canned", {
            "title": "Refund", "body": "Refunded, {{ customer_name }}.", "language": "en",
            "shortcut": f"refund{n}", "action": "send"}),
        ("PATCH", "/api/console/canned/{canned_id}"): Call(
            "admin", f"/api/console/canned/{ids['canned_edit']}", {"shortcut": f"thanks{n}"}),
        ("DELETE", "/api/console/canned/{canned_id}"): Call(
            "admin", f"/api/console/canned/{ids['canned_delete']}"),
        # The presence heartbeat: the ticket, the partition's Query, the agent's name and the
        # item on a first beat; leaving deletes the item.
        ("PUT", "/api/console/tickets/{ticket_id}/presence"): Call(
            "agent", f"/api/console/tickets/{main}/presence", {"typing": True}),
        ("DELETE", "/api/console/tickets/{ticket_id}/presence"): Call(
            "agent", f"/api/console/tickets/{main}/presence"),
        # The portal
        ("GET", "/api/portal/branding"): Call(None, "/api/portal/branding"),
        ("GET", "/api/portal/config"): Call("alice", "/api/portal/config"),
        ("POST", "/api/portal/tickets"): Call("alice", "/api/portal/tickets", {
            "topic": "general", "subject": "Another", "body": "And another thing."}),
        ("GET", "/api/portal/tickets"): Call("alice", "/api/portal/tickets"),
        ("GET", "/api/portal/tickets/{ticket_id}"): Call("alice", f"/api/portal/tickets/{main}"),
        ("GET", "/api/portal/tickets/{ticket_id}/messages"): Call(
            "alice", f"/api/portal/tickets/{main}/messages?after=1"),
        ("POST", "/api/portal/tickets/{ticket_id}/messages"): Call(
            "alice", f"/api/portal/tickets/{main}/messages", {"body": "Thanks"}),
        ("POST", "/api/portal/tickets/{ticket_id}/read"): Call(
            "alice", f"/api/portal/tickets/{main}/read", {"seq": 2}),
        ("POST", "/api/portal/tickets/{ticket_id}/resolve"): Call(
            "alice", f"/api/portal/tickets/{t['resolving']}/resolve"),
        ("PUT", "/api/portal/tickets/{ticket_id}/rating"): Call(
            "alice", f"/api/portal/tickets/{t['rated']}/rating", {"score": 5}),
        ("GET", "/api/portal/folders"): Call("alice", "/api/portal/folders"),
        ("GET", "/api/portal/folders/{folder}"): Call("alice", "/api/portal/folders/inbox"),
        ("POST", "/api/portal/folders/entries/{entry_id}/{action}"): Call(
            "alice", f"/api/portal/folders/entries/{ids['entry']}/read"),
        # Notifications
        ("GET", "/api/notifications"): Call("alice", "/api/notifications"),
        ("POST", "/api/notifications/read"): Call("alice", "/api/notifications/read",
                                                  {"ids": "all"}),
        ("GET", "/api/notifications/unread-count"): Call(
            "alice", "/api/notifications/unread-count"),
        ("GET", "/api/notifications/live"): Call("alice", "/api/notifications/live"),
        # Documents
        ("POST", "/api/portal/tickets/{ticket_id}/attachments"): Call(
            "alice", f"/api/portal/tickets/{main}/attachments", upload),
        ("POST", "/api/portal/tickets/{ticket_id}/attachments/{attachment_id}/confirm"):
            confirm("portal", "alice"),
        ("GET", "/api/portal/tickets/{ticket_id}/attachments"): Call(
            "alice", f"/api/portal/tickets/{main}/attachments"),
        ("GET", "/api/portal/tickets/{ticket_id}/attachments/{attachment_id}"): Call(
            "alice", f"/api/portal/tickets/{main}/attachments/{ids['portal_document']}"),
        ("POST", "/api/console/tickets/{ticket_id}/attachments"): Call(
            "agent", f"/api/console/tickets/{main}/attachments", upload),
        ("POST", "/api/console/tickets/{ticket_id}/attachments/{attachment_id}/confirm"):
            confirm("console", "agent"),
        ("GET", "/api/console/tickets/{ticket_id}/attachments"): Call(
            "agent", f"/api/console/tickets/{main}/attachments"),
        ("GET", "/api/console/tickets/{ticket_id}/attachments/{attachment_id}"): Call(
            "agent", f"/api/console/tickets/{main}/attachments/{ids['console_document']}"),
        # Followers
        ("GET", "/api/portal/tickets/{ticket_id}/followers"): Call(
            "alice", f"/api/portal/tickets/{main}/followers"),
        ("POST", "/api/portal/tickets/{ticket_id}/followers"): Call(
            "alice", f"/api/portal/tickets/{main}/followers",
            {"email": scene.users["changer"]["email"]}),
        ("DELETE", "/api/portal/tickets/{ticket_id}/followers/{follower_id}"):
            unfollow("portal", "alice"),
        ("GET", "/api/console/tickets/{ticket_id}/followers"): Call(
            "agent", f"/api/console/tickets/{main}/followers"),
        ("POST", "/api/console/tickets/{ticket_id}/followers"): Call(
            "agent", f"/api/console/tickets/{main}/followers",
            {"email": scene.users["forgetful"]["email"]}),
        ("DELETE", "/api/console/tickets/{ticket_id}/followers/{follower_id}"):
            unfollow("console", "agent"),
    }
    return {key: (lambda c=c: c) if isinstance(c, Call) else c for key, c in calls.items()}


def variants(scene: Scene) -> dict[str, Call]:
    """More shapes of the lists, where filters and sorts choose other indexes and pages."""
    number = scene.numbers["main"]
    return {
        "portal list open, searched": Call("alice", "/api/portal/tickets?status=open&q=question"),
        "portal list org by creation": Call("alice", "/api/portal/tickets?scope=org&sort=created"),
        "portal list oldest first": Call("alice", "/api/portal/tickets?order=asc"),
        "portal list unread": Call("alice", "/api/portal/tickets?status=unread"),
        # Forgetful follows the main ticket (the console's follower request shape adds him)
        "portal list following": Call("forgetful", "/api/portal/tickets?scope=following"),
        "console mine": Call("agent", "/api/console/tickets?assignee=me"),
        "console unassigned": Call("agent", "/api/console/tickets?assignee=none"),
        "console team": Call("agent", "/api/console/tickets?team=support"),
        "console closed": Call("agent", "/api/console/tickets?status=closed"),
        "portal search, a word of an answer": Call("alice", "/api/portal/tickets?q=way"),
        "portal organization search": Call("alice", "/api/portal/tickets?scope=org&q=order"),
        "console search": Call("agent", "/api/console/tickets?q=question"),
        "console search, two words": Call("agent", "/api/console/tickets?q=order+question"),
        "console search by address": Call(
            "agent", "/api/console/tickets?q=" + scene.users["alice"]["email"].replace("@", "%40")),
        "console number": Call("agent", f"/api/console/tickets?q=%23{number}"),
        # A tag is a staff term of the search index: one page of its postings, however many
        "console tag filter": Call("agent", "/api/console/tickets?tag=vip"),
        "console tag filter, words and assignee": Call(
            "agent", "/api/console/tickets?tag=vip&q=question&assignee=none"),
        # Filled for a ticket: its GetItem and one BatchGetItem of its customer and the agent
        "canned for a ticket": Call(
            "agent", f"/api/console/canned?language=en&ticket_id={scene.tickets['main']}"),
        "audit sign-ins": Call("admin", "/api/admin/audit?kind=signin"),
        "audit changes of one person": Call(
            "admin", "/api/admin/audit?kind=change&actor="
            + scene.users["admin"]["email"].replace("@", "%40")),
    }


def measure(api, scene: Scene, requests: dict[Any, Callable[[], Call]]) -> dict[Any, Counter]:
    costs: dict[Any, Counter] = {}
    for name, prepare in requests.items():
        call = prepare()
        method = name[0] if isinstance(name, tuple) else "GET"
        token = scene.tokens[call.who] if call.who else None
        with dynamodb_calls() as calls:
            status, payload, _ = api.call(method, call.path, call.body, token=token,
                                          headers=call.headers)
        assert status < 400, (name, status, payload)
        costs[name] = calls
    return costs


def every_request(scene: Scene, api, sent_mail) -> dict[Any, Callable[[], Call]]:
    requests: dict[Any, Callable[[], Call]] = dict(shapes(scene, api, sent_mail))
    requests.update({name: (lambda c=c: c) for name, c in variants(scene).items()})
    return requests


def test_every_route_has_a_request_shape(api, make_org, make_user, sent_mail, fake_clock):
    scene = Scene(0)
    scene.users = {who: {"id": "x", "email": "x@example.test"} for who in (
        "alice", "changer", "forgetful", "resetter", "keyholder", "agent", "agent2", "admin")}
    scene.tickets = dict.fromkeys(("main", "rated", "closing", "resolving", "blocking",
                                   *(f"other{n}" for n in range(5, 10))), "x")
    scene.ids = dict.fromkeys(("org", "entry", "portal_document", "console_document",
                               "spam_release", "spam_retry", "spam_discard",
                               "dropped_force", "canned_edit", "canned_delete"), "x")
    registered = {(spec.method, spec.path) for spec in ROUTES}
    shaped = set(shapes(scene, api, sent_mail))
    assert not registered - shaped, f"give these routes a request shape: {registered - shaped}"
    assert not shaped - registered, f"these shapes name no route: {shaped - registered}"


def test_every_route_costs_the_same_with_10_or_10000_tickets(
    api, make_org, make_user, sent_mail, fake_clock
):
    # A frozen clock: the settings cache and the once-a-minute session refresh must not expire
    # between the two measurements (on a loaded machine they would, and add a call).
    stream = Stream()
    small_scene = build_scene(api, make_org, make_user, stream, 1)
    small = measure(api, small_scene, every_request(small_scene, api, sent_mail))

    big_scene = build_scene(api, make_org, make_user, stream, 2)
    # Their titles say "question": the console's search reads a page of 10,000 postings
    seed_other_customers(10_000, 0, agents=[big_scene.users["agent"]["id"]],
                         staff_words=("question", "tag:vip"))
    big = measure(api, big_scene, every_request(big_scene, api, sent_mail))

    assert set(small) == set(big)
    for name in small:
        ceiling = BOUNDS.get(name, CEILING)
        for size, calls in (("10", small[name]), ("10,000", big[name])):
            assert "Scan" not in calls, (name, size, calls)
            assert sum(calls.values()) <= ceiling, (name, size, calls)
        if name not in BOUNDED_NOT_EQUAL:
            assert sum(small[name].values()) == sum(big[name].values()), (
                name, small[name], big[name])
    most = max(sum(c.values()) for c in big.values())
    print(f"\n{len(big)} requests measured ({len(ROUTES)} routes); most calls: {most}")
