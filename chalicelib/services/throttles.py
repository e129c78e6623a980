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


# Account mails to one address per clock hour; beyond it the request answers the same and sends
# nothing. A fixed window, so nobody can keep an address silenced: the next hour starts afresh,
# and the owner already holds the links sent within the cap.
MAILS_PER_ADDRESS_PER_HOUR = 5
# Reset and registration requests from one source address per clock hour, whatever addresses
# they name (counted alike for known and unknown ones, so the refusal reveals nothing).
MAIL_REQUESTS_PER_SOURCE_PER_HOUR = 30
HOUR = 3600


def account_key(email: str) -> str:
    return f"acct:{email}"


def address_key(ip: str | None) -> str:
    return f"ip:{ip or 'unknown'}"


def device_cookie_for(email: str, password_changed_at: float | None) -> str:
    """The cookie is bound to the password it was earned with: changing or resetting the
    password revokes every device cookie handed out before, e.g. to someone who had guessed it."""
    message = f"device:{email}:{password_changed_at or 0:.6f}"
    mac = hmac.new(get_settings().signing_key, message.encode(), hashlib.sha256)
    return mac.hexdigest()[:32]


def is_known_device(email: str, password_changed_at: float | None, cookie: str | None) -> bool:
    expected = device_cookie_for(email, password_changed_at)
    return bool(cookie) and hmac.compare_digest(cookie or "", expected)


def check_allowed(email: str, ip: str | None, known_device: bool) -> None:
    """Raise TooManyRequests while a lock is on. Locked attempts are neither checked nor counted,
    so hammering a locked account does not extend the lock."""
    now = clock.now()
    keys = [address_key(ip)] + ([] if known_device else [account_key(email)])
    waits = [
        t.locked_until - now
        for t in store.get_throttles(keys).values()
        if t.locked_until > now
    ]
    if waits:
        retry_after = math.ceil(max(waits))
        raise TooManyRequests(
            f"Too many failed sign-ins. Try again in {retry_after} seconds.",
            retry_after=retry_after,
        )


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


def record_success(email: str, known_device: bool = False) -> None:
    """Forgive earlier failures. Not when the sign-in came through a device cookie: that browser
    is outside the account lock, and lifting it would hand whoever caused it fresh free guesses."""
    if not known_device:
        store.clear_throttle(account_key(email))


def _count_this_hour(prefix: str, subject: str) -> int:
    now = clock.now()
    hour_start = now - now % HOUR
    # TTL only tidies: a counter of a past hour is never read again, its key names the hour
    return store.count_in_window(f"{prefix}:{int(hour_start)}:{subject}", hour_start + 2 * HOUR)


def check_mail_request(ip: str | None) -> None:
    """Count one mail-sending request from `ip`; raise TooManyRequests beyond the hourly cap."""
    if _count_this_hour("mailreq", ip or "unknown") > MAIL_REQUESTS_PER_SOURCE_PER_HOUR:
        now = clock.now()
        retry_after = math.ceil(HOUR - now % HOUR)
        raise TooManyRequests(
            f"Too many requests from this address. Try again in {retry_after} seconds.",
            retry_after=retry_after,
        )


def allow_account_mail(email: str) -> bool:
    """Count one account mail to `email`; False once this hour's cap is reached."""
    return _count_this_hour("mail", email) <= MAILS_PER_ADDRESS_PER_HOUR
