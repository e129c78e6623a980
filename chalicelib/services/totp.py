"""TOTP (RFC 6238, pyotp) and one-time recovery codes: the secrets and how a code is checked.

Who may do what with them (enrol, remove, regenerate, sign in) is services/second_factor.py.

- The secret is stored encrypted (AES-GCM, a key derived from the signing key, bound to the
  user's id) and shown only while enrolling; a secret encrypted with the previous signing key
  is re-encrypted with the current one the next time a code is accepted, and every one at once
  by `reseal_secrets` (`parley admin reseal-second-factors`, a required step of a key rotation:
  docs/operations.md). A secret no known key opens cannot be checked: 409 `totp_unreadable`
  (a recovery code, a passkey or an admin's reset still let its owner in).
- A code is accepted for the current 30-second step or the one before or after (clocks drift),
  and never twice: the accepted step is recorded with a conditional write, and a code of that
  step or an earlier one is refused.
- Recovery codes (10, 12 letters and digits each, about 59 bits) are stored only as SHA-256
  hashes, each spent by a conditional write."""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import secrets
from dataclasses import dataclass

import pyotp
import segno
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from chalicelib import clock
from chalicelib.config import get_settings
from chalicelib.data import second_factor as store
from chalicelib.errors import Conflict, InvalidInput
from chalicelib.observability import count, get_logger

STEP_SECONDS = 30
WINDOW = 1  # steps either side of now
ENROLMENT_SECONDS = 15 * 60  # to scan the code and type one back
RECOVERY_CODES = store.MAX_RECOVERY_CODES
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i
_RECOVERY_LENGTH = 12


@dataclass(frozen=True)
class Setup:
    """An enrolment started: what the page shows once."""

    secret: str  # base32, for typing into the app by hand
    uri: str  # otpauth://, what the QR code holds
    qr_svg: str  # the QR code, an SVG document


def _key(signing_key: bytes) -> bytes:
    return hmac.new(signing_key, b"parley:totp-secret:v1", hashlib.sha256).digest()


def _encrypt(user_id: str, secret: str) -> str:
    nonce = secrets.token_bytes(12)
    sealed = AESGCM(_key(get_settings().signing_key)).encrypt(
        nonce, secret.encode(), user_id.encode())
    return "v1." + base64.urlsafe_b64encode(nonce + sealed).decode()


def _decrypt(user_id: str, stored: str) -> tuple[str, bool]:
    """The secret, and whether it was sealed with a key other than the current one."""
    version, _, body = stored.partition(".")
    if version != "v1":
        raise ValueError("unknown secret format")
    raw = base64.urlsafe_b64decode(body.encode())
    for index, key in enumerate(get_settings().verification_keys()):
        try:
            opened = AESGCM(_key(key)).decrypt(raw[:12], raw[12:], user_id.encode())
        except InvalidTag:
            continue
        return opened.decode(), index > 0
    raise ValueError("the secret was sealed with a key no longer known")


def _open(user_id: str, stored: str) -> tuple[str, bool]:
    """`_decrypt` for a request: a secret no known key opens is a 409, never a 500."""
    try:
        return _decrypt(user_id, stored)
    except ValueError as exc:
        get_logger().error("TOTP secret unreadable", extra={"user_id": user_id})
        count("TotpSecretUnreadable")
        raise Conflict("Your authenticator app can no longer be checked. Use a recovery code or "
                       "a passkey, or ask an administrator to reset your two-step "
                       "verification.", code="totp_unreadable") from exc


@dataclass(frozen=True)
class Resealed:
    """What `reseal_secrets` found: secrets re-sealed with the current key, those sealed with
    it already, and those no known key opens (their owners need a recovery code, a passkey or
    an admin's reset)."""

    resealed: int = 0
    current: int = 0
    unreadable: int = 0


def reseal(user_id: str, item: str, stored: str) -> str:
    """The re-seal rule for one stored secret: "current" when the signing key opens it,
    "resealed" when only another known key (the previous one) did and it is now sealed with the
    current key, "unreadable" when none does. A conditional write: whatever changed the item
    meanwhile (a use that re-sealed it, a removal) wins, and the item is read again."""
    for _ in range(3):
        try:
            secret, stale = _decrypt(user_id, stored)
        except ValueError:
            return "unreadable"
        if not stale:
            return "current"
        if store.replace_secret(user_id, item, stored, _encrypt(user_id, secret)):
            return "resealed"
        fresh = store.get_item(user_id, item)
        if fresh is None or fresh.secret is None:
            return "gone"
        stored = fresh.secret
    raise Conflict("The second factor changed meanwhile; run again.",
                   code="second_factor_changed")


def reseal_secrets() -> Resealed:
    """Every stored TOTP secret, confirmed or being enrolled, sealed with the current signing
    key. Safe to run again. A walk of the whole table: for the operator after a key rotation,
    never on a request path."""
    found = {"resealed": 0, "current": 0, "unreadable": 0}
    for item in store.sealed_items():
        if item.secret is not None:
            outcome = reseal(item.user_id, item.item, item.secret)
            if outcome in found:
                found[outcome] += 1
    return Resealed(**found)


def _qr_svg(uri: str) -> str:
    out = io.BytesIO()
    segno.make(uri, error="m").save(out, kind="svg", scale=4, border=2, xmldecl=False,
                                    svgclass=None, lineclass=None)
    return out.getvalue().decode()


def start(user_id: str, email: str, issuer: str) -> Setup:
    """A new secret, kept pending until a code from it confirms it (`confirm`)."""
    if store.get_item(user_id, store.TOTP) is not None:
        raise Conflict("An authenticator app is already set up.", code="totp_already_enrolled")
    secret = pyotp.random_base32()
    now = clock.now()
    store.put_pending(user_id, _encrypt(user_id, secret), now, now + ENROLMENT_SECONDS)
    uri = pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=issuer)
    return Setup(secret=secret, uri=uri, qr_svg=_qr_svg(uri))


def _matching_step(secret: str, code: str, at: float) -> int | None:
    digits = "".join(code.split())
    if len(digits) != 6 or not (digits.isascii() and digits.isdigit()):
        return None
    totp = pyotp.TOTP(secret)
    now_step = int(at // STEP_SECONDS)
    found = None
    for step in range(now_step - WINDOW, now_step + WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(step), digits):
            found = step
    return found


def confirm(user_id: str, code: str) -> list[str] | None:
    """The pending enrolment confirmed by a code from it: the new recovery codes (shown once),
    or None when the code is wrong. 409 `totp_enrolment_expired` when none is pending."""
    now = clock.now()
    pending = store.get_item(user_id, store.PENDING)
    if pending is None or pending.secret is None or (pending.valid_until or 0) <= now:
        raise Conflict("Start the set-up again: it was not finished in time.",
                       code="totp_enrolment_expired")
    try:
        secret, _ = _decrypt(user_id, pending.secret)
    except ValueError as exc:  # sealed with a key no longer known: start again
        raise Conflict("Start the set-up again: it was not finished in time.",
                       code="totp_enrolment_expired") from exc
    step = _matching_step(secret, code, now)
    if step is None:
        return None
    codes = new_recovery_codes()
    store.confirm_totp(user_id, _encrypt(user_id, secret), step,
                       [recovery_hash(user_id, c) for c in codes], now)
    return codes


def is_enrolled(user_id: str) -> bool:
    return store.get_item(user_id, store.TOTP) is not None


def check(user_id: str, code: str) -> str:
    """"ok" when `code` is a current code of the user's TOTP, never accepted before (and now
    spent); "used" when it was already accepted; "wrong" otherwise."""
    item = store.get_item(user_id, store.TOTP)
    if item is None or item.secret is None:
        return "wrong"
    secret, stale = _open(user_id, item.secret)
    step = _matching_step(secret, code, clock.now())
    if step is None:
        return "wrong"
    if item.last_step is not None and step <= item.last_step:
        return "used"
    resealed = _encrypt(user_id, secret) if stale else None
    return "ok" if store.spend_step(user_id, step, resealed) else "used"


def remove(user_id: str, *, with_recovery: bool) -> None:
    store.remove_totp(user_id, with_recovery=with_recovery)


def remove_all(user_id: str) -> list[str]:
    """The app, a set-up in progress and the recovery codes (an admin's reset): what was."""
    return store.remove_all(user_id)


def new_recovery_codes() -> list[str]:
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_LENGTH))
        codes.append(f"{raw[:4]}-{raw[4:8]}-{raw[8:]}")
    return codes


def _normalized(code: str) -> str:
    return "".join(c for c in code.casefold() if c.isalnum())


def looks_like_recovery_code(code: str) -> bool:
    return len(_normalized(code)) == _RECOVERY_LENGTH


def recovery_hash(user_id: str, code: str) -> str:
    return hashlib.sha256(f"recovery:{user_id}:{_normalized(code)}".encode()).hexdigest()


def replace_recovery_codes(user_id: str) -> list[str]:
    codes = new_recovery_codes()
    store.replace_recovery(user_id, [recovery_hash(user_id, c) for c in codes], clock.now())
    return codes


def recovery_codes_left(user_id: str) -> int:
    return sum(1 for item in store.recovery_items(user_id) if item.used_at is None)


def spend_recovery_code(user_id: str, code: str) -> bool:
    """True when `code` was one of the user's unused recovery codes (now used)."""
    if not looks_like_recovery_code(code):
        return False
    return store.spend_recovery(user_id, recovery_hash(user_id, code), clock.now())


def require_code_shape(code: str) -> None:
    if not _normalized(code):
        raise InvalidInput("Type the code.", code="invalid_code")
