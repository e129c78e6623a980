"""The second factor: the seam every sign-in with a first factor goes through, what an admin may
require, and the account's own management of its TOTP and recovery codes.

A sign-in whose first factor is proved (a password, a magic link) calls `finish_sign_in`: the
session starts at once when the account has no second factor and none is required of it;
otherwise the answer is a pending sign-in, a single-use token (tokens table, purpose
`sign_in_pending`, 5 minutes) the browser holds in the HttpOnly `parley_pending` cookie, and
the page asks for a code (`answer_code`), a passkey (services/passkeys.py, then `complete`), or,
when one is required and none is enrolled, walks the enrolment first (`start_enrolment` /
`confirm_enrolment` with the pending token). Passwordless passkeys and OIDC are complete
sign-ins by themselves and never come here.

Wrong codes count against the password throttles (services/throttles.py), account and source
address alike, and earlier failures are forgiven only once the whole sign-in succeeds: a
password known to an attacker must not buy fresh guesses at the code."""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from typing import Literal

from chalicelib import clock
from chalicelib.data import orgs as org_store
from chalicelib.data import tokens as token_store
from chalicelib.data import users as user_store
from chalicelib.data.base import expiry
from chalicelib.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    TooManyRequests,
    Unauthenticated,
)
from chalicelib.observability import count, get_logger
from chalicelib.services import audit, mailer, passwords, sessions, throttles, totp
from chalicelib.services.principal import STAFF_ROLES, Anonymous, Principal
from chalicelib.services.settings import get_portal_settings
from chalicelib.shapes.second_factor import SecondFactorStatus, TotpSetup
from chalicelib.shapes.users import User

PENDING_COOKIE = "parley_pending"
PENDING_SECONDS = 5 * 60
PURPOSE = "sign_in_pending"
# What a forced enrolment offers. The passkey module adds "passkey" here (one word) once it can
# register a passkey during a pending sign-in (pending_user, then complete(method="passkey")).
ENROL_METHODS: tuple[str, ...] = ("totp",)

Method = Literal["totp", "recovery_code", "passkey"]


@dataclass(frozen=True)
class SecondFactorNeeded:
    token: str  # goes into the HttpOnly cookie `parley_pending` (Path=/api/auth), 5 minutes
    methods: list[str]  # what this account can answer with: "totp", "passkey", "recovery_code"
    enrol: bool  # True: a second factor is required and none is enrolled yet


def enrolled(user: user_store.UserModel) -> set[str]:
    return set(user.second_factors or ())


def required(user: user_store.UserModel) -> bool:
    """Whether the account must sign in with a second factor: staff when the portal settings
    say so, customers when their organization does."""
    if user.role in STAFF_ROLES:
        return get_portal_settings().require_second_factor_staff
    if not user.org_id:
        return False
    org = org_store.get_org(user.org_id)
    return bool(org and org.require_second_factor)


def _methods(user: user_store.UserModel) -> list[str]:
    factors = enrolled(user)
    methods = [m for m in ("totp", "passkey") if m in factors]
    return [*methods, "recovery_code"] if methods else list(ENROL_METHODS)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def finish_sign_in(
    user: user_store.UserModel, caller: Anonymous, user_agent: str | None, *,
    method: str, known_device: bool = False,
) -> sessions.SignedIn | SecondFactorNeeded:
    """After a first factor (`method` "password" or "magic_link") was proved: the session, or
    the pending step when the account has a second factor or must enrol one. `known_device`:
    the browser holds a current device cookie of the account (password sign-in)."""
    must_enrol = not enrolled(user) and required(user)
    if not enrolled(user) and not must_enrol:
        _forgive(user, method, known_device)
        return sessions.start_session(user, caller, user_agent, method=method)
    token = secrets.token_urlsafe(32)
    now = clock.now()
    token_store.put_token(token_store.TokenModel(
        token_hash=_hash(token), purpose=PURPOSE, user_id=user.user_id,
        valid_until=now + PENDING_SECONDS, issued_at=now,
        details=json.dumps({"first": method, "device": known_device, "enrol": must_enrol}),
        expires_at=expiry(now + PENDING_SECONDS + 3600),
    ))
    count("SecondFactorAsked")
    return SecondFactorNeeded(token=token, methods=_methods(user), enrol=must_enrol)


def _forgive(user: user_store.UserModel, first: str, known_device: bool) -> None:
    """A complete password sign-in forgives the account's earlier failures, as before."""
    if first == "password":
        throttles.record_success(user.email, known_device)


def _expired() -> Unauthenticated:
    return Unauthenticated("This sign-in took too long or was already used. Sign in again.",
                           code="second_factor_expired")


def _pending(token: str | None) -> tuple[token_store.TokenModel, user_store.UserModel]:
    pending = token_store.get_valid_token(_hash(token), PURPOSE, clock.now()) if token else None
    user = user_store.get_user(pending.user_id, consistent=True) if pending else None
    if pending is None or user is None or user.status != "active":
        raise _expired()
    return pending, user


def pending_user(token: str | None) -> user_store.UserModel:
    """The account of a live pending sign-in (401 `second_factor_expired` otherwise). Read only."""
    return _pending(token)[1]


def _details(pending: token_store.TokenModel) -> dict[str, object]:
    try:
        loaded = json.loads(pending.details or "{}")
    except ValueError:
        loaded = {}
    return loaded if isinstance(loaded, dict) else {}


def complete(
    token: str | None, caller: Anonymous, user_agent: str | None, *, method: str
) -> sessions.SignedIn:
    """The second factor was proved with `method`: spends the pending token (a conditional
    write: a replay fails), audits it and starts the session."""
    pending, user = _pending(token)
    return _complete(pending, user, caller, user_agent, method=method)


def _complete(pending: token_store.TokenModel, user: user_store.UserModel, caller: Anonymous,
              user_agent: str | None, *, method: str) -> sessions.SignedIn:
    """`complete`, for a caller that has read the pending sign-in and its account."""
    changed = user.password_changed_at or 0
    if changed > (pending.issued_at or 0) or not token_store.spend_token(
            pending.token_hash, PURPOSE, clock.now()):
        raise _expired()  # spent, late, or the password changed since it was proved
    if not enrolled(user) and required(user):
        raise Forbidden("Set up a second factor first.", code="second_factor_required")
    details = _details(pending)
    first = str(details.get("first") or "password")
    audit.record("auth.second_factor.use", actor=caller, actor_email=user.email,
                 target=user.user_id, details={"method": method})
    _forgive(user, first, bool(details.get("device")))
    return sessions.start_session(user, caller, user_agent, method=first)


def _check_throttles(user: user_store.UserModel, caller: Anonymous | Principal,
                     known_device: bool, action: str) -> None:
    """The sign-in locks, as `sessions.prove_password` applies them."""
    try:
        throttles.check_allowed(user.email, caller.source_ip, known_device)
    except TooManyRequests:
        audit.record(action, actor=caller, actor_email=user.email, outcome="throttled")
        raise


def _failed(user: user_store.UserModel, caller: Anonymous | Principal, action: str,
            method: str, why: str, *, counted: bool = False) -> InvalidInput:
    """One wrong code (or password) counted as a failed sign-in, and the refusal to raise.
    `counted`: the account already counted it before the check (`_guess`)."""
    if counted:
        throttles.record_address_failure(caller.source_ip)
        locked = False
    else:
        locked = throttles.record_failure(user.email, caller.source_ip)
    audit.record(action, actor=caller, actor_email=user.email, target=user.user_id,
                 outcome="failure", details={"method": method})
    if locked:
        audit.record("auth.lockout", actor=caller, actor_email=user.email, outcome="failure")
        count("AccountLocked")
    count("SecondFactorFailed")
    if why == "used":
        return InvalidInput("This code was used already. Wait for the next one.",
                            code="code_already_used")
    if method == "password":
        return InvalidInput("The current password is wrong.", code="wrong_password")
    return InvalidInput("The code is wrong.", code="invalid_code")


def answer_code(
    token: str | None, code: str, caller: Anonymous, user_agent: str | None
) -> sessions.SignedIn:
    """The pending step answered with a code from the authenticator app or a recovery code
    (told apart by their shape: six digits, or twelve letters and digits)."""
    pending, user = _pending(token)
    known_device = bool(_details(pending).get("device"))
    action = "auth.second_factor.use"
    _check_throttles(user, caller, known_device, action)
    _guess(user, caller, known_device, action)
    if totp.looks_like_recovery_code(code):
        if not totp.spend_recovery_code(user.user_id, code):
            raise _failed(user, caller, action, "recovery_code", "wrong", counted=True)
        _recovered(user, caller)
        return _complete(pending, user, caller, user_agent, method="recovery_code")
    outcome = totp.check(user.user_id, code) if "totp" in enrolled(user) else "wrong"
    if outcome != "ok":
        raise _failed(user, caller, action, "totp", outcome, counted=True)
    return _complete(pending, user, caller, user_agent, method="totp")


def _guess(user: user_store.UserModel, caller: Anonymous, known_device: bool,
           action: str) -> None:
    """Counts the guess against the account before the code is checked (a million codes, three
    valid at a time: a burst of parallel guesses must not all be checked)."""
    try:
        throttles.count_guess(user.email, known_device)
    except TooManyRequests:
        audit.record(action, actor=caller, actor_email=user.email, outcome="throttled")
        raise


def _recovered(user: user_store.UserModel, caller: Anonymous) -> None:
    left = totp.recovery_codes_left(user.user_id)
    audit.record("auth.second_factor.recovery", actor=caller, actor_email=user.email,
                 target=user.user_id, details={"remaining": left})
    _mail(user, "recovery_code_used", {"remaining": left})


def _mail(user: user_store.UserModel, template: str, context: dict[str, object]) -> None:
    """A security notice to the account's address; a failure to send never undoes the change."""
    profile = "/console/profile" if user.role in STAFF_ROLES else "/profile"
    try:
        mailer.send_to_user(user, template, {"link": mailer.link(profile), **context})
    except Exception:  # the change is made; the notice is best effort
        get_logger().exception("second-factor notice not sent", extra={"template": template})


def _setup(setup: totp.Setup) -> TotpSetup:
    return {"secret": setup.secret, "uri": setup.uri, "qr_svg": setup.qr_svg}


def _issuer() -> str:
    return get_portal_settings().portal_name


# --- Enrolment forced at sign-in (the pending token instead of a session) ------------------


def _pending_enrolment(token: str | None
                       ) -> tuple[token_store.TokenModel, user_store.UserModel]:
    """A pending sign-in that must set up a second factor, as it was issued and as the account
    is now. Any other pending sign-in has a factor to answer with: letting it enrol one would
    let a password alone add a factor of the attacker's and sign in with it."""
    pending, user = _pending(token)
    if _details(pending).get("enrol") is not True or enrolled(user) or not required(user):
        raise Forbidden("This sign-in cannot set up a second factor.",
                        code="second_factor_required")
    return pending, user


def start_pending_enrolment(token: str | None) -> TotpSetup:
    _, user = _pending_enrolment(token)
    return _setup(totp.start(user.user_id, user.email, _issuer()))


def confirm_pending_enrolment(
    token: str | None, code: str, caller: Anonymous, user_agent: str | None
) -> tuple[sessions.SignedIn, list[str]]:
    """The enrolment the sign-in required, confirmed by a first code: the session, and the
    recovery codes to show once."""
    pending, user = _pending_enrolment(token)
    known_device = bool(_details(pending).get("device"))
    _check_throttles(user, caller, known_device, "auth.second_factor.enrol")
    codes, user = _confirm(user, code, caller)
    return _complete(pending, user, caller, user_agent, method="totp"), codes


def _confirm(user: user_store.UserModel, code: str, caller: Anonymous | Principal
             ) -> tuple[list[str], user_store.UserModel]:
    """The recovery codes, and the account as it now is."""
    codes = totp.confirm(user.user_id, code)
    if codes is None:
        raise _failed(user, caller, "auth.second_factor.enrol", "totp", "wrong")
    user = mark_enrolled(user.user_id, add="totp") or user
    audit.record("auth.second_factor.enrol", actor=caller, actor_email=user.email,
                 target=user.user_id, details={"method": "totp"})
    return codes, user


def mark_enrolled(
    user_id: str, *, add: str | None = None, drop: str | None = None, drop_all: bool = False
) -> user_store.UserModel | None:
    """The account's list of enrolled factors, which sign-in reads (one GetItem it makes
    anyway); the account as saved."""
    for _ in range(3):
        user = user_store.get_user(user_id, consistent=True)
        if user is None:
            return None
        factors = set() if drop_all else enrolled(user) | ({add} if add else set())
        factors.discard(drop or "")
        user.second_factors = factors or None
        try:
            user_store.save_user(user)
            return user
        except Conflict:
            continue
    raise Conflict("The account changed meanwhile; try again.")


# --- The account's own Security section (signed in) ----------------------------------------


def _own(principal: Principal) -> user_store.UserModel:
    user = user_store.get_user(principal.user_id, consistent=True)
    if user is None:
        raise Unauthenticated("Sign in first.", code="unauthenticated")
    return user


def status(principal: Principal) -> SecondFactorStatus:
    user = _own(principal)
    factors = enrolled(user)
    return {
        "totp": "totp" in factors,
        "passkey": "passkey" in factors,
        "recovery_codes_left": totp.recovery_codes_left(user.user_id) if factors else 0,
        "required": required(user),
    }


def start_enrolment(principal: Principal) -> TotpSetup:
    user = _own(principal)
    return _setup(totp.start(user.user_id, user.email, _issuer()))


def confirm_enrolment(principal: Principal, code: str) -> list[str]:
    user = _own(principal)
    _check_throttles(user, principal, False, "auth.second_factor.enrol")
    return _confirm(user, code, principal)[0]


def _prove(user: user_store.UserModel, principal: Principal, action: str,
           password: str | None, code: str | None) -> None:
    """The password or a current code, for a change that weakens or replaces the factor."""
    if not password and not code:
        raise InvalidInput("Type your password or a code from the app.", code="proof_required")
    _check_throttles(user, principal, False, action)
    if password:
        if not passwords.verify_password(user.password_hash, password):
            raise _failed(user, principal, action, "password", "wrong")
        return
    outcome = totp.check(user.user_id, code or "") if "totp" in enrolled(user) else "wrong"
    if outcome != "ok":
        raise _failed(user, principal, action, "totp", outcome)


def regenerate_recovery_codes(
    principal: Principal, password: str | None, code: str | None
) -> list[str]:
    user = _own(principal)
    if not enrolled(user):
        raise Conflict("Set up a second factor first.", code="no_second_factor")
    _prove(user, principal, "auth.second_factor.recovery_codes", password, code)
    codes = totp.replace_recovery_codes(user.user_id)
    audit.record("auth.second_factor.recovery_codes", actor=principal, target=user.user_id,
                 details={"count": len(codes)})
    return codes


def remove_totp(principal: Principal, password: str | None, code: str | None) -> None:
    """Refused while a second factor is required and TOTP is the last one (a passkey counts)."""
    user = _own(principal)
    factors = enrolled(user)
    if "totp" not in factors:
        raise Conflict("No authenticator app is set up.", code="no_second_factor")
    if factors == {"totp"} and required(user):
        raise Conflict("A second factor is required for this account: add another one before "
                       "removing this one.", code="second_factor_required")
    _prove(user, principal, "auth.second_factor.remove", password, code)
    others = factors - {"totp"}
    totp.remove(user.user_id, with_recovery=not others)
    mark_enrolled(user.user_id, drop="totp")
    audit.record("auth.second_factor.remove", actor=principal, target=user.user_id,
                 details={"method": "totp"})
    _mail(user, "second_factor_removed", {})


# --- An admin's reset (a lost phone, lost recovery codes) ----------------------------------


def reset(actor: Principal, user_id: str) -> User:
    """Removes every second factor of the account: its app, its recovery codes, an app being
    set up and all its passkeys. It then signs in with its password alone, or sets a second
    factor up at its next sign-in when one is required of it. Its open sessions stay (the
    admin took something away from the sign-in, not from them). An admin resets their own from
    their Security section, which asks them to prove it is them: 403 here. Nothing to remove:
    the account as it is, nothing recorded."""
    from chalicelib.data import passkeys as passkey_store
    from chalicelib.services.identity import public_user

    if user_id == actor.user_id:
        raise Forbidden("Change your own two-step verification in the Security section of your "
                        "profile.", code="own_second_factor")
    user = user_store.get_user(user_id, consistent=True)
    if user is None:
        raise NotFound("No such user.")
    passkeys = passkey_store.remove_all(user_id)
    items = totp.remove_all(user_id)
    methods = sorted(enrolled(user))
    if not (methods or passkeys or items):
        return public_user(user)
    user = mark_enrolled(user_id, drop_all=True) or user
    audit.record("auth.second_factor.reset", actor=actor, target=user_id, details={
        "methods": methods, "passkeys": len(passkeys)})
    count("SecondFactorReset")
    _mail(user, "second_factor_reset", {})
    return public_user(user)
