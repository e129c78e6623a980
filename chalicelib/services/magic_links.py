"""Magic-link sign-in (off unless the admin enables it): a single-use link by mail, valid 15
minutes, that works only in the browser that asked for it.

Asking goes the way of a password reset: the request path makes the same calls for every
address (the source's and the address's mail caps, one message to the account-mail queue) and
answers 202, so neither the answer nor its time tells a known address from an unknown one. The
queue's handler (`send_queued`) then looks the address up and mails a link only to an active
account. The browser that asked holds a random value in an HttpOnly cookie; the link's token
(stored only as its hash, in the tokens table) records the hash of that value, so a link opened
in another browser (a forwarded mail, a mail scanner's sandbox) is refused without being spent.

A link is a first factor, like a password: the sign-in goes on through
`second_factor.finish_sign_in` (a second factor when the account has or needs one). It proves
the mailbox, not the password, so it earns no device cookie (see `api/magic_links.py`)."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from typing import TYPE_CHECKING, Any

from chalicelib import clock
from chalicelib.adapters import queues
from chalicelib.config import get_settings
from chalicelib.data import tokens as token_store
from chalicelib.data import users as user_store
from chalicelib.data.base import expiry
from chalicelib.errors import Forbidden, InvalidInput
from chalicelib.services import audit, mailer, throttles
from chalicelib.services.identity import check_email
from chalicelib.services.principal import Anonymous
from chalicelib.services.settings import get_portal_settings

if TYPE_CHECKING:
    from chalicelib.services.second_factor import SecondFactorNeeded
    from chalicelib.services.sessions import SignedIn

PURPOSE = "magic_link"
KIND = "magic_link"  # of the account-mail queue's requests
LINK_SECONDS = 15 * 60
# The browser's cookie outlives the link a little: the link's 15 minutes start when the queue's
# handler issues it, a moment after the request.
BROWSER_SECONDS = LINK_SECONDS + 5 * 60
BROWSER_COOKIE = "parley_magic"
_BROWSER_VALUE = re.compile(r"^[A-Za-z0-9_-]{43}$")  # secrets.token_urlsafe(32)
METHOD = "magic_link"
SPENT_LINK = "This link has expired or was already used. Ask for a new one."
OTHER_BROWSER = "Open this link in the browser where you asked for it."


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _check_enabled() -> None:
    if not get_portal_settings().magic_link_sign_in:
        raise Forbidden("Sign-in links are not enabled on this portal.", code="magic_link_off")


def request_link(email: str, caller: Anonymous, browser: str | None) -> str:
    """Queue a sign-in link for `email`, bound to the asking browser. Returns the value the
    browser keeps in its cookie: the one it already holds (so a second request leaves the
    first link usable there), else a new random one. The same work for every address; 403
    `sso_required` for a domain whose password sign-in is off (decided from the domain alone):
    a link would be a way around its provider."""
    from chalicelib.services.oidc_accounts import refuse_password

    _check_enabled()
    refuse_password(email)
    browser = browser if browser and _BROWSER_VALUE.match(browser) else secrets.token_urlsafe(32)
    throttles.check_mail_request(caller.source_ip)
    try:
        email = check_email(email)
    except InvalidInput:
        return browser
    if not throttles.allow_account_mail(KIND, email, LINK_SECONDS):
        audit.record("auth.magic_link.request", actor=caller, actor_email=email, outcome="capped")
        return browser
    queues.send(get_settings().account_mail_queue, {
        "kind": KIND, "email": email, "browser": _hash(browser), "source_ip": caller.source_ip,
    })
    return browser


def send_queued(body: str) -> bool:
    """The account-mail handler's hook: sends the link of a queued magic-link request and says
    True; False for any other request (the handler hands it to `users.send_account_mail`)."""
    request: Any = json.loads(body)
    if not isinstance(request, dict) or request.get("kind") != KIND:
        return False
    _send_link(str(request["email"]), str(request["browser"]),
               Anonymous(source_ip=request.get("source_ip")))
    return True


def _send_link(email: str, browser_hash: str, caller: Anonymous) -> None:
    """Only an active account gets a link: an unverified one confirms its address first, a
    disabled one is shut, and one invited but without a password yet sets it with its
    invitation (signed in by a link, it would stop at the password change it cannot make).
    The caller learnt none of this: it had its answer already."""
    user = user_store.find_user_by_email(email)
    if user is None or user.status != "active" or (
            user.must_change_password and not user.password_hash):
        audit.record("auth.magic_link.request", actor=caller, actor_email=email,
                     outcome="unknown")
        return
    token = secrets.token_urlsafe(32)
    now = clock.now()
    token_store.put_token(token_store.TokenModel(
        token_hash=_hash(token), purpose=PURPOSE, user_id=user.user_id, issued_at=now,
        valid_until=now + LINK_SECONDS, expires_at=expiry(now + LINK_SECONDS + 86400),
        details=json.dumps({"browser": browser_hash}),
    ))
    mailer.send_to_user(user, "magic_link", {"link": mailer.link(f"/sign-in/link?token={token}")})
    audit.record("auth.magic_link.request", actor=caller, actor_email=email, target=user.user_id)


def sign_in(
    token: str, browser: str | None, caller: Anonymous, user_agent: str | None
) -> SignedIn | SecondFactorNeeded:
    """Spend a link and sign in (or ask for the second factor). Refused: a link spent, expired,
    made up or of an account no longer active (400 invalid_token); a live link opened in
    another browser (403 magic_link_other_browser), which leaves it usable where it belongs; an
    address whose domain now signs in with its provider (403 sso_required)."""
    from chalicelib.services import second_factor
    from chalicelib.services.oidc_accounts import refuse_password

    _check_enabled()
    token_hash, now = _hash(token), clock.now()
    pending = token_store.get_valid_token(token_hash, PURPOSE, now)
    if pending is None:
        _refused(caller, None, "failure", "invalid_token")
        raise InvalidInput(SPENT_LINK, code="invalid_token")
    if not _same_browser(pending, browser):
        _refused(caller, pending.user_id, "denied", "other_browser")
        raise Forbidden(OTHER_BROWSER, code="magic_link_other_browser")
    user = user_store.get_user(pending.user_id)
    if user is not None:
        refuse_password(user.email)  # the domain signs in with its provider since the mail went
    if user is None or user.status != "active" or token_store.consume_token(
            token_hash, PURPOSE, now) is None:
        _refused(caller, pending.user_id, "failure", "invalid_token")
        raise InvalidInput(SPENT_LINK, code="invalid_token")
    return second_factor.finish_sign_in(user, caller, user_agent, method=METHOD)


def _same_browser(token: token_store.TokenModel, browser: str | None) -> bool:
    try:
        expected = str(json.loads(token.details or "{}").get("browser") or "")
    except (ValueError, AttributeError):
        return False
    return bool(expected and browser) and hmac.compare_digest(expected, _hash(browser or ""))


def _refused(caller: Anonymous, user_id: str | None, outcome: str, reason: str) -> None:
    audit.record("auth.login", actor=caller, target=user_id, outcome=outcome,
                 details={"method": METHOD, "reason": reason})
