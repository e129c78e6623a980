"""Failed sign-in throttling with a growing, self-lifting delay.

Two counters: per account and per source address. The account lock is what stops a distributed
guesser; it would also let an attacker lock a real user out, so a browser that has signed in to
the account before carries a signed device cookie that the account lock does not apply to (the
OWASP "device cookie" pattern). The address lock still applies to everyone on that address.

Anonymous requests that make us send mail (password reset, self-registration) are capped too:
otherwise anyone could point the portal's sender at a stranger's mailbox in a loop, and the
company's sending reputation would pay for it.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from dataclasses import dataclass

from chalicelib import clock
from chalicelib.config import get_settings
from chalicelib.data import throttles as store
from chalicelib.errors import TooManyRequests

WINDOW_SECONDS = 15 * 60  # failures are forgotten this long after the last failure or lock ends


@dataclass(frozen=True)
class Rule:
    free_failures: int
    first_lock_seconds: float
    max_lock_seconds: float

    def lock_seconds(self, failures: int) -> float:
        if failures < self.free_failures:
            return 0.0
        doubled = self.first_lock_seconds * 2.0 ** (failures - self.free_failures)
        return min(self.max_lock_seconds, doubled)


ACCOUNT = Rule(free_failures=5, first_lock_seconds=30, max_lock_seconds=15 * 60)
ADDRESS = Rule(free_failures=20, first_lock_seconds=60, max_lock_seconds=60 * 60)


# Account mails of one kind to one address per window; beyond it the request answers the same
# and sends nothing. Fixed windows, so nobody can keep an address silenced: the next window starts
# afresh. A reset window is as long as a reset link lives, so the last link mailed within a
# window is still valid when the window ends; resets and registrations count apart, so
# registering someone's address over and over cannot use up their reset mails.
MAILS_PER_ADDRESS = 5
# Reset and registration requests from one source address per clock hour, whatever addresses
# they name (counted alike for known and unknown ones, so the refusal reveals nothing).
MAIL_REQUESTS_PER_SOURCE_PER_HOUR = 30
HOUR = 3600
# Sign-ins with an OpenID provider started from one source address per ten minutes: each start
# stores a flow (services/oidc.py) for anyone who asks. An office behind one address signing in
# at nine stays well under it; a script in a loop stops writing after this many.
SSO_STARTS_PER_SOURCE = 120
SSO_WINDOW_SECONDS = 600


def account_key(email: str) -> str:
    return f"acct:{email}"


def address_key(ip: str | None) -> str:
    return f"ip:{ip or 'unknown'}"


def _password_version(password_changed_at: float | None) -> str:
    return str(round((password_changed_at or 0) * 1000))


def _device_mac(email: str, version: str, key: bytes) -> str:
    message = f"device:{email}:{version}"
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()[:32]


def device_cookie_for(email: str, password_changed_at: float | None) -> str:
    """`<password version>.<HMAC of address and version>`. The cookie is bound to the password
    it was earned with: changing or resetting the password revokes every device cookie handed
    out before, e.g. to someone who had guessed it. The version is readable so that the lock
    check can trust a cookie before the account is looked up (see `sessions.sign_in`)."""
    version = _password_version(password_changed_at)
    return f"{version}.{_device_mac(email, version, get_settings().signing_key)}"


def device_version(email: str, cookie: str | None) -> str | None:
    """The password version a genuine device cookie for `email` was issued under, else None.

    The cookie is a signature the browser keeps for months, not a counter's name: one signed
    with the previous key still counts while one is set, or a key rotation would strip every
    owner of the exemption at once. (The counters themselves are keyed by plain address and
    account, `account_key` / `address_key`, so a rotation leaves them in place.) The next
    successful sign-in hands out a cookie signed with the current key."""
    version, _, mac = (cookie or "").partition(".")
    if not version.isdigit():
        return None
    keys = get_settings().verification_keys()
    if not any(hmac.compare_digest(mac, _device_mac(email, version, k)) for k in keys):
        return None
    return version


def is_current_device(version: str | None, password_changed_at: float | None) -> bool:
    return version is not None and version == _password_version(password_changed_at)


def too_many_sign_ins(wait: float) -> TooManyRequests:
    retry_after = math.ceil(wait)
    return TooManyRequests(
        f"Too many failed sign-ins. Try again in {retry_after} seconds.", retry_after=retry_after
    )


def check_allowed(email: str, ip: str | None, device_claimed: bool) -> float:
    """Raise TooManyRequests while the address lock is on, or the account lock unless the caller
    holds a device cookie of the account. Returns how long the account lock has left (0 when
    none): the caller still applies it once the account shows the cookie to be out of date.
    Locked attempts are neither checked nor counted, so hammering a locked account does not
    extend the lock."""
    now = clock.now()
    throttles = store.get_throttles([address_key(ip), account_key(email)])
    waits = {key: t.locked_until - now for key, t in throttles.items() if t.locked_until > now}
    account_wait = waits.pop(account_key(email), 0.0)
    if waits:
        raise too_many_sign_ins(max(waits.values()))
    if account_wait and not device_claimed:
        raise too_many_sign_ins(account_wait)
    return account_wait


def record_failure(email: str, ip: str | None) -> bool:
    """Count one failure on both keys; True when this failure started an account lock."""
    now = clock.now()
    locked = False
    for key, rule in ((account_key(email), ACCOUNT), (address_key(ip), ADDRESS)):
        # Counted from the end of the lock, not the last failure: the longest lock is as long as
        # the window, so waiting it out must not also wipe the count and restart the free tries.
        failures = store.count_failure(
            key, now, live_since=now - WINDOW_SECONDS, expires_at=now + WINDOW_SECONDS
        )
        lock = rule.lock_seconds(failures)
        if lock:
            store.extend_lock(key, now + lock, expires_at=now + WINDOW_SECONDS + lock)
        locked = locked or (bool(lock) and key.startswith("acct:"))
    return locked


def count_guess(email: str, device_known: bool) -> None:
    """One guess at a short code (six digits), counted against the account BEFORE it is
    checked: parallel guesses would all pass a lock read before any of them failed, so each
    takes its number first, and one past the free tries is refused unchecked (the account lock
    is set by the guess that would start it; a right answer forgives it, `record_success`). A
    genuine device cookie passes the account lock, as at sign-in. The caller counts a wrong
    guess against the source address only (`record_address_failure`)."""
    now = clock.now()
    key = account_key(email)
    failures = store.count_failure(
        key, now, live_since=now - WINDOW_SECONDS, expires_at=now + WINDOW_SECONDS
    )
    waiting = ACCOUNT.lock_seconds(failures - 1)
    if waiting and not device_known:
        raise too_many_sign_ins(waiting)
    lock = ACCOUNT.lock_seconds(failures)
    if lock:
        store.extend_lock(key, now + lock, expires_at=now + WINDOW_SECONDS + lock)


def check_address(ip: str | None) -> None:
    """The address lock alone, for sign-ins that name no account to lock (a passkey: nothing
    to guess, so nobody can lock its owner out with it)."""
    now = clock.now()
    throttle = store.get_throttles([address_key(ip)]).get(address_key(ip))
    if throttle is not None and throttle.locked_until > now:
        raise too_many_sign_ins(throttle.locked_until - now)


def record_address_failure(ip: str | None) -> None:
    """Count one failure against the source address only (see `check_address`)."""
    now = clock.now()
    key = address_key(ip)
    failures = store.count_failure(
        key, now, live_since=now - WINDOW_SECONDS, expires_at=now + WINDOW_SECONDS
    )
    lock = ADDRESS.lock_seconds(failures)
    if lock:
        store.extend_lock(key, now + lock, expires_at=now + WINDOW_SECONDS + lock)


def record_success(email: str, known_device: bool = False) -> None:
    """Forgive earlier failures. Not when the sign-in came through a device cookie: that browser
    is outside the account lock, and lifting it would hand whoever caused it fresh free guesses."""
    if not known_device:
        store.clear_throttle(account_key(email))


def _count_in_window(prefix: str, subject: str, window: int) -> int:
    now = clock.now()
    start = now - now % window
    # TTL only tidies: a counter of a past window is never read again, its key names the window
    return store.count_in_window(f"{prefix}:{int(start)}:{subject}", start + 2 * window)


def check_mail_request(ip: str | None) -> None:
    """Count one mail-sending request from `ip`; raise TooManyRequests beyond the hourly cap."""
    if _count_in_window("mailreq", ip or "unknown", HOUR) > MAIL_REQUESTS_PER_SOURCE_PER_HOUR:
        now = clock.now()
        retry_after = math.ceil(HOUR - now % HOUR)
        raise TooManyRequests(
            f"Too many requests from this address. Try again in {retry_after} seconds.",
            retry_after=retry_after,
        )


def check_sso_start(ip: str | None) -> None:
    """Count one OpenID sign-in started from `ip`; raise TooManyRequests beyond the cap of its
    ten-minute window (fixed windows, as `check_mail_request`'s)."""
    if _count_in_window("ssostart", ip or "unknown", SSO_WINDOW_SECONDS) > SSO_STARTS_PER_SOURCE:
        now = clock.now()
        retry_after = math.ceil(SSO_WINDOW_SECONDS - now % SSO_WINDOW_SECONDS)
        raise TooManyRequests(
            f"Too many sign-ins started from this address. Try again in {retry_after} seconds.",
            retry_after=retry_after,
        )


def allow_account_mail(kind: str, email: str, window: int) -> bool:
    """Count one `kind` of account mail to `email`; False once this window's cap is reached."""
    return _count_in_window(f"mail-{kind}", email, window) <= MAILS_PER_ADDRESS
