"""Sign-in, the per-request session check, sign-out and the expiry cleanup."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from chalicelib import clock
from chalicelib.config import get_settings
from chalicelib.data import sessions as store
from chalicelib.data import users as user_store
from chalicelib.data.base import expiry
from chalicelib.errors import Forbidden, NotFound, TooManyRequests, Unauthenticated
from chalicelib.observability import count, get_logger
from chalicelib.services import audit, passwords, throttles
from chalicelib.services.identity import normalize_email, public_user
from chalicelib.services.principal import Anonymous, Principal
from chalicelib.services.settings import get_portal_settings
from chalicelib.shapes.auth import ActiveSession, SessionStatus
from chalicelib.shapes.users import User

SESSION_COOKIE = "parley_session"
DEVICE_COOKIE = "parley_device"
DEMO_PASSWORD = "parley-demo"  # noqa: S105 - a published, local-only value
TOUCH_EVERY_SECONDS = 60
# How long an ended session's marker can still tell its browser why it ended: a weekend away.
ENDED_KEPT_SECONDS = 4 * 24 * 3600
ENDED_MESSAGES = {
    "idle": "You were signed out after a period of inactivity. Sign in again.",
    "expired": "Your session reached its time limit. Sign in again.",
    "signed_out": "You were signed out elsewhere. Sign in again.",
    "password_changed": "Your password was changed. Sign in with the new one.",
    "account_disabled": "This account has been disabled.",
}


@dataclass(frozen=True)
class SignedIn:
    user: User
    token: str
    csrf_token: str
    device_cookie: str  # "" when no password was proved: then none is set
    max_age: int


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class PasswordProved:
    """The first factor of a password sign-in: the account, and whether this browser holds a
    current device cookie of it (then the account lock does not apply to it, nor is it lifted)."""

    user: user_store.UserModel
    known_device: bool


def sign_in(
    email: str,
    password: str,
    caller: Anonymous,
    device_cookie: str | None,
    user_agent: str | None = None,
) -> SignedIn:
    """A password sign-in without the second-factor step (the page's route goes through
    second_factor.finish_sign_in instead)."""
    proved = prove_password(email, password, caller, device_cookie)
    throttles.record_success(proved.user.email, proved.known_device)
    return start_session(proved.user, caller, user_agent)


def prove_password(
    email: str, password: str, caller: Anonymous, device_cookie: str | None
) -> PasswordProved:
    """The password checked under the throttles. Earlier failures are forgiven only once the
    sign-in is complete (after the second factor, if any): `throttles.record_success`."""
    email = normalize_email(email)
    from chalicelib.services.oidc_accounts import refuse_password

    refuse_password(email)  # a domain that signs in through its provider: from the domain alone
    # The locks are checked before the account is looked up, so a locked caller learns nothing
    # from how long the refusal took. A genuine device cookie passes the account lock here...
    device = throttles.device_version(email, device_cookie)
    try:
        account_lock = throttles.check_allowed(email, caller.source_ip, device is not None)
    except TooManyRequests:
        audit.record("auth.login", actor=caller, actor_email=email, outcome="throttled")
        raise
    user = user_store.find_user_by_email(email)
    known_device = user is not None and throttles.is_current_device(
        device, user.password_changed_at
    )
    if account_lock and not known_device:
        # ...but one issued before the last password change does not. Only the holder of a
        # cookie signed for this address gets here, so it tells nothing about who has an account
        audit.record("auth.login", actor=caller, actor_email=email, outcome="throttled")
        raise throttles.too_many_sign_ins(account_lock)
    # verify_password runs argon2 even when the user is unknown: same answer, same time.
    valid = passwords.verify_password(user.password_hash if user else None, password)
    if password == DEMO_PASSWORD and not get_settings().is_local:
        valid = False  # the demo seed's password never opens a deployed portal
    if not user or not valid:
        locked = throttles.record_failure(email, caller.source_ip)
        audit.record("auth.login", actor=caller, actor_email=email, outcome="failure")
        if locked:
            audit.record("auth.lockout", actor=caller, actor_email=email, outcome="failure")
            count("AccountLocked")
        count("SignInFailed")
        raise Unauthenticated("The email or password is wrong.", code="invalid_credentials")
    if user.status == "disabled":
        audit.record("auth.login", actor=caller, actor_email=email, outcome="denied")
        raise Forbidden("This account is disabled.", code="account_disabled")
    if user.status == "unverified":
        raise Forbidden("Confirm your email address first.", code="email_not_verified")
    if user.password_hash and passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
        user_store.save_user(user)
    return PasswordProved(user=user, known_device=known_device)


def start_session(
    user: user_store.UserModel, caller: Anonymous, user_agent: str | None, *,
    method: str = "password",
) -> SignedIn:
    """A session for an account whose identity the caller has just proved: at sign-in, or
    when confirming a registration (which asks for it, so signing in would ask again).
    `method` is how ("password", "passkey", "oidc", "magic_link"), audited with auth.login."""
    email = user.email
    token = secrets.token_urlsafe(32)  # 256 bits
    now = clock.now()
    settings = get_portal_settings()
    lifetime = settings.absolute_lifetime_hours * 3600
    session = store.SessionModel(
        session_hash=hash_token(token),
        user_id=user.user_id,
        role=user.role,
        org_id=user.org_id,
        org_view=user.org_view,
        must_change_password=user.must_change_password,
        csrf_token=secrets.token_urlsafe(24),
        created_at=now,
        last_seen_at=now,
        expires_at=expiry(now + lifetime),
        user_agent=(user_agent or "")[:512] or None,
    )
    store.put_session(session)
    # An admin may disable the account between our read of it and this session's write, and
    # the index that disabling walks to end sessions may not show this one yet: look again.
    current = user_store.get_user(user.user_id, consistent=True)
    if current is None or current.status != "active":
        store.delete_session(session.session_hash)
        raise Forbidden("This account is disabled.", code="account_disabled")
    audit.record("auth.login", actor=caller, actor_email=email, target=user.user_id,
                 details={"method": method})
    count("SignIn")
    return SignedIn(
        user=public_user(user),
        token=token,
        csrf_token=session.csrf_token,
        # Only a proved password earns a device cookie (throttles.py): a link, a passkey or a
        # provider does not, before the second factor or after it.
        device_cookie=throttles.device_cookie_for(email, user.password_changed_at)
        if method == "password" else "",
        max_age=lifetime,
    )


@dataclass(frozen=True)
class SessionCheck:
    """Who is calling, and when their session ends if they do nothing more."""

    principal: Principal
    idle_expires_at: float
    expires_at: float


def authenticate(token: str, csrf: str | None, source_ip: str | None) -> Principal:
    """Who presents this token, without counting it as their activity (live connections)."""
    return check_session(token, csrf, source_ip, refreshes=False).principal


def check_session(
    token: str, csrf: str | None, source_ip: str | None, *, refreshes: bool
) -> SessionCheck:
    """The check behind the session authorizer, run on every request: one GetItem, and at most
    one conditional update when `refreshes` (a request a person caused, as its route declares:
    the page's background polls would otherwise keep an untouched tab signed in for ever).
    `csrf` is given when the token came from the cookie: then the request must also prove it
    knows the CSRF token."""
    if not token:
        raise Unauthenticated("Sign in first.", code="unauthenticated")
    session_hash = hash_token(token)
    session = store.get_session(session_hash)
    if session is None:
        raise _ended(_reason_ended(session_hash))
    now = clock.now()
    reason = _expiry_reason(session.created_at, session.last_seen_at, now)
    if reason:
        store.end_session(session, reason, now, ENDED_KEPT_SECONDS)
        raise _ended(reason)
    if csrf is not None and not hmac.compare_digest(csrf, session.csrf_token):
        raise Forbidden("The CSRF token does not match this session.", code="csrf_failed")
    last_seen = session.last_seen_at
    if refreshes and now - last_seen >= TOUCH_EVERY_SECONDS:
        store.touch_session(session, now, now - TOUCH_EVERY_SECONDS)
        last_seen = now
    return SessionCheck(
        principal=_principal(session, source_ip),
        **_limits(session.created_at, last_seen),
    )


def session_status(principal: Principal) -> SessionStatus:
    """When the caller's session ends if they do nothing more: the page warns a minute before.
    Reading it is not activity."""
    session = store.get_session(principal.session_hash)
    if session is None:
        raise _ended(_reason_ended(principal.session_hash))
    return _status(session.created_at, session.last_seen_at)


def keep_session_alive(principal: Principal) -> SessionStatus:
    """"Stay signed in": moves the idle clock now, even within the once-a-minute window."""
    session = store.get_session(principal.session_hash)
    now = clock.now()
    if session is None or not store.refresh_session(session, now):
        raise _ended(_reason_ended(principal.session_hash))
    return _status(session.created_at, now)


def _status(created_at: float, last_seen_at: float) -> SessionStatus:
    limits = _limits(created_at, last_seen_at)
    settings = get_portal_settings()
    return {
        "idle_expires_at": limits["idle_expires_at"],
        "expires_at": limits["expires_at"],
        # The browser's clock may be wrong: the page counts from `now`, not from its own.
        "now": clock.now(),
        "idle_timeout_seconds": settings.idle_timeout_minutes * 60,
    }


def _limits(created_at: float, last_seen_at: float) -> dict[str, float]:
    settings = get_portal_settings()
    return {
        "idle_expires_at": last_seen_at + settings.idle_timeout_minutes * 60,
        "expires_at": created_at + settings.absolute_lifetime_hours * 3600,
    }


def _ended(reason: str) -> Unauthenticated:
    # The code stays `session_expired` for every ended session (API clients rely on it); the
    # reason tells the page what to say.
    return Unauthenticated(
        ENDED_MESSAGES.get(reason, "Your session has ended. Sign in again."),
        code="session_expired",
        details={"reason": reason},
    )


def _reason_ended(session_hash: str) -> str:
    """Why a session that is no longer there ended, as its marker says: read only on the
    refusal path, so a valid request still costs one GetItem. The reason was decided when the
    session ended; the account's state now is nobody's business who holds an old token."""
    marker = store.get_ended_session(session_hash)
    if marker is None or not marker.ended_reason:
        return "ended"  # signed out here, or ended too long ago to tell
    return str(marker.ended_reason)


def _why_ended_by_account(user: user_store.UserModel | None, started_at: float) -> str:
    """Why the account's change ended a session that began at `started_at`: the account is
    disabled (or gone), its password changed since, or else someone signed it out."""
    if user is None or user.status == "disabled":
        return "account_disabled"
    if user.password_changed_at and user.password_changed_at >= started_at:
        return "password_changed"
    return "signed_out"


def principal_for_session(session_hash: str) -> Principal | None:
    """Who holds a stored session, or None once it has ended: for callers that keep the
    session's hash instead of presenting its token (live-update connections). Read only: a
    push to someone is not activity of theirs, so it never extends the idle timeout."""
    session = store.get_session(session_hash)
    if session is None or _expiry_reason(session.created_at, session.last_seen_at, clock.now()):
        return None
    return _principal(session, None)


def _principal(session: store.SessionModel, source_ip: str | None) -> Principal:
    """Who holds a session: the role, organization and flags copied into it at sign-in."""
    return Principal(
        user_id=session.user_id,
        role=session.role,
        org_id=session.org_id,
        org_view=session.org_view,
        session_hash=session.session_hash,
        must_change_password=session.must_change_password,
        source_ip=source_ip,
    )


def sign_out(principal: Principal) -> None:
    store.delete_session(principal.session_hash)
    audit.record("auth.logout", actor=principal, target=principal.user_id)


def end_sessions(user_id: str, keep: str | None = None) -> int:
    """Ends the user's other sessions, leaving markers so their browsers can say why."""
    ended = 0
    now = clock.now()
    user = user_store.get_user(user_id)  # saved by the caller before it ends the sessions
    for session_hash in store.session_hashes_of_user(user_id):
        if session_hash == keep:
            continue
        session = store.get_session(session_hash)
        if session is not None:
            reason = _why_ended_by_account(user, float(session.created_at))
            store.end_session(session, reason, now, ENDED_KEPT_SECONDS)
            ended += 1
    return ended


def session_id(session_hash: str) -> str:
    """What a client calls a session: derived from its key, never the key itself, so a page
    holding the list of its user's sessions holds nothing the table is keyed by."""
    return hashlib.sha256(f"session-id:{session_hash}".encode()).hexdigest()[:32]


def list_own_sessions(principal: Principal) -> list[ActiveSession]:
    """The caller's live sessions, this one first, then the most recently active."""
    now = clock.now()
    mine = [
        s for s in store.sessions_of_user(principal.user_id)
        if not _expiry_reason(s.created_at, s.last_seen_at, now)
    ]
    mine.sort(key=lambda s: (s.session_hash != principal.session_hash, -float(s.last_seen_at)))
    answer: list[ActiveSession] = []
    for session in mine:
        browser, system = describe_device(session.user_agent)
        answer.append({
            "id": session_id(session.session_hash),
            "browser": browser,
            "os": system,
            "signed_in_at": clock.iso(float(session.created_at)),
            "last_seen_at": clock.iso(float(session.last_seen_at)),
            "current": session.session_hash == principal.session_hash,
        })
    return answer


def end_own_session(principal: Principal, public_id: str) -> None:
    """Sign out one of the caller's sessions. Only the caller's own can be found: the lookup
    is a query on the caller's partition of the user index, so another user's session id is
    the same 404 as one that never existed."""
    for session in store.sessions_of_user(principal.user_id):
        if hmac.compare_digest(session_id(session.session_hash), public_id):
            store.end_session(session, "signed_out", clock.now(), ENDED_KEPT_SECONDS)
            audit.record("auth.logout", actor=principal, target=principal.user_id,
                         details={"session": "current" if session.session_hash
                                  == principal.session_hash else "other"})
            return
    raise NotFound("Not found.")  # the answer of a path id no session can have


def end_other_sessions(principal: Principal) -> int:
    """"Sign out everywhere else": every session of the caller but this one. Zendesk's
    profile removes other devices and never the one in use, Google signs out "all other
    sessions"; this browser signs out with its own button."""
    ended = end_sessions(principal.user_id, keep=principal.session_hash)
    audit.record("auth.logout", actor=principal, target=principal.user_id,
                 details={"session": "others", "sessions_ended": ended})
    return ended


_BROWSERS = (  # the first match names it: Edge and Opera say "Chrome" too, Chrome "Safari"
    ("Edg", "Edge"), ("OPR/", "Opera"), ("SamsungBrowser/", "Samsung Internet"),
    ("Firefox/", "Firefox"), ("FxiOS/", "Firefox"), ("CriOS/", "Chrome"), ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
)
_SYSTEMS = (
    ("Windows", "Windows"), ("Android", "Android"), ("iPhone", "iOS"), ("iPad", "iOS"),
    ("CrOS", "ChromeOS"), ("Mac OS X", "macOS"), ("Macintosh", "macOS"), ("Linux", "Linux"),
)


def describe_device(user_agent: str | None) -> tuple[str, str]:
    """Browser and operating system named from a User-Agent; "" for what it does not say (an
    API client, a session begun before user agents were kept)."""
    agent = user_agent or ""
    browser = next((name for mark, name in _BROWSERS if mark in agent), "")
    system = next((name for mark, name in _SYSTEMS if mark in agent), "")
    return browser, system


def purge_expired_sessions() -> int:
    """The scheduled session-timeout cleanup. Correct without TTL: it applies the same limits as
    the authorizer, read from the current settings."""
    settings = get_portal_settings()
    now = clock.now()
    purged = set()
    for session_hash in store.expired_session_hashes(
        idle_before=now - settings.idle_timeout_minutes * 60,
        created_before=now - settings.absolute_lifetime_hours * 3600,
    ):
        if session_hash in purged:
            continue
        purged.add(session_hash)
        session = store.get_session(session_hash)
        if session is None:
            continue
        reason = _expiry_reason(session.created_at, session.last_seen_at, now)
        if reason:
            store.end_session(session, reason, now, ENDED_KEPT_SECONDS)
    for marker_key in store.old_ended_session_keys(now - ENDED_KEPT_SECONDS):
        store.delete_session(marker_key)
    if purged:
        count("SessionsPurged", len(purged))
        get_logger().info("expired sessions purged", extra={"purged": len(purged)})
    return len(purged)


def _expiry_reason(created_at: float, last_seen_at: float, now: float) -> str | None:
    settings = get_portal_settings()
    if now - created_at > settings.absolute_lifetime_hours * 3600:
        return "expired"
    if now - last_seen_at > settings.idle_timeout_minutes * 60:
        return "idle"
    return None
