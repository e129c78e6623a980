"""Passkeys (WebAuthn, py_webauthn 2.x): registering them from the profile, signing in with one
instead of a password, and using one as the second factor after a password.

- The relying party is the portal's public URL: its host is the RP ID, its origin the only one
  accepted. WebAuthn takes no IP address as an RP ID, so a loopback address (the local run,
  http://127.0.0.1:8000) becomes "localhost" with the same scheme and port: passkeys work on
  the local stack opened as http://localhost:8000, the secure context WebAuthn needs.
- Every ceremony's challenge is random, kept server-side five minutes and spent by one
  conditional write before the answer is checked: a replayed or late answer finds nothing to
  spend. A registration's is bound to the session that asked, a sign-in's to the browser (an
  HttpOnly cookie holds a random id whose hash keys it), a second factor's to the pending
  sign-in.
- Passwordless sign-in asks for a discoverable credential (no allowCredentials) with user
  verification: the passkey alone is possession and PIN or biometric, so it starts the session
  itself and never goes through the second-factor step. As a second factor, after the password,
  user verification is only preferred and the credentials offered are the account's own.
- The authenticator's signature counter must move forward (a cloned key's does not), unless
  both the stored and the new one are 0 (authenticators without a counter, synced passkeys).
"""

from __future__ import annotations

import hashlib
import ipaddress
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url, options_to_json_dict
from webauthn.helpers.cose import COSEAlgorithmIdentifier
from webauthn.helpers.structs import (
    AttestationConveyancePreference,
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from chalicelib import clock
from chalicelib.config import get_settings
from chalicelib.data import passkeys as store
from chalicelib.data import users as user_store
from chalicelib.errors import Conflict, InvalidInput, NotFound, Unauthenticated
from chalicelib.observability import count
from chalicelib.services import audit, second_factor, sessions, throttles
from chalicelib.services.principal import Anonymous, Principal
from chalicelib.services.sessions import SignedIn
from chalicelib.shapes.passkeys import (
    Passkey,
    PasskeyAuthenticationOptions,
    PasskeyList,
    PasskeyRegistrationOptions,
)

CHALLENGE_COOKIE = "parley_passkey"  # the browser's binding of a passwordless sign-in
CHALLENGE_SECONDS = 5 * 60
TIMEOUT_MS = 3 * 60 * 1000  # a hint to the browser, within the challenge's life
METHOD = "passkey"  # in UserModel.second_factors and audit details
# What the common authenticators sign with: ES256 (platform authenticators, security keys),
# EdDSA, RS256 (Windows Hello).
ALGORITHMS = [
    COSEAlgorithmIdentifier.ECDSA_SHA_256,
    COSEAlgorithmIdentifier.EDDSA,
    COSEAlgorithmIdentifier.RSASSA_PKCS1_v1_5_SHA_256,
]
_TRANSPORTS = {t.value for t in AuthenticatorTransport}


@dataclass(frozen=True)
class RelyingParty:
    id: str
    origin: str


def relying_party(public_url: str | None = None) -> RelyingParty:
    """The RP ID and origin the portal's public URL gives (see the module's note on loopback
    addresses)."""
    url = urlsplit((public_url or get_settings().public_url).rstrip("/"))
    host = url.hostname or "localhost"
    if _is_loopback_address(host):
        host = "localhost"
    port = f":{url.port}" if url.port else ""
    return RelyingParty(id=host, origin=f"{url.scheme}://{host}{port}")


def _is_loopback_address(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def credential_key(credential_id: bytes) -> str:
    """What a passkey is keyed and named by: its credential id may be 1,023 bytes long."""
    return hashlib.sha256(credential_id).hexdigest()


def _challenge_key(purpose: str, binding: str) -> str:
    return hashlib.sha256(f"passkey:{purpose}:{binding}".encode()).hexdigest()


def _new_challenge(purpose: str, binding: str, user_id: str | None) -> bytes:
    challenge = secrets.token_bytes(32)
    store.put_challenge(
        _challenge_key(purpose, binding), purpose=purpose, challenge=bytes_to_base64url(challenge),
        user_id=user_id, valid_until=clock.now() + CHALLENGE_SECONDS,
    )
    return challenge


def _spend(purpose: str, binding: str | None) -> store.ChallengeModel:
    spent = store.spend_challenge(_challenge_key(purpose, binding), purpose, clock.now()) \
        if binding else None
    if spent is None:
        raise InvalidInput("This passkey request has expired or was already answered. "
                           "Try again.", code="passkey_challenge_expired")
    return spent


def _descriptors(passkeys: list[store.PasskeyModel]) -> list[PublicKeyCredentialDescriptor]:
    return [
        PublicKeyCredentialDescriptor(
            id=base64url_to_bytes(p.credential_id),
            transports=[AuthenticatorTransport(t) for t in sorted(p.transports or ())],
        )
        for p in passkeys
    ]


def public_passkey(passkey: store.PasskeyModel) -> Passkey:
    return {
        "id": passkey.credential_key,
        "name": passkey.name,
        "created_at": clock.iso(float(passkey.created_at)),
        "last_used_at": clock.iso(float(passkey.last_used_at)) if passkey.last_used_at else None,
        "synced": bool(passkey.backed_up),
    }


# ---------------------------------------------------------------------------------------------
# The profile: register, list, rename, remove


def list_own(principal: Principal) -> PasskeyList:
    mine = sorted(store.passkeys_of(principal.user_id), key=lambda p: float(p.created_at))
    return {"items": [public_passkey(p) for p in mine], "max": store.MAX_PASSKEYS}


def registration_options(principal: Principal) -> PasskeyRegistrationOptions:
    """Options for navigator.credentials.create(): a resident key with user verification, none
    of the account's passkeys again. The challenge is bound to this session."""
    user = _own_account(principal)
    existing = store.passkeys_of(user.user_id)
    _check_room(existing)
    from chalicelib.services.settings import get_portal_settings

    options = generate_registration_options(
        rp_id=relying_party().id,
        rp_name=get_portal_settings().portal_name,
        user_name=user.email,
        user_id=user.user_id.encode(),  # the user handle a passkey sign-in returns
        user_display_name=user.name,
        challenge=_new_challenge("register", principal.session_hash, user.user_id),
        timeout=TIMEOUT_MS,
        attestation=AttestationConveyancePreference.NONE,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.REQUIRED,
        ),
        exclude_credentials=_descriptors(existing),
        supported_pub_key_algs=ALGORITHMS,
    )
    answer: PasskeyRegistrationOptions = options_to_json_dict(options)  # type: ignore[assignment]
    return answer


def register(principal: Principal, name: str, credential: dict[str, Any]) -> Passkey:
    """Checks the authenticator's answer against this session's challenge and keeps the
    passkey under `name`; the account's first passkey makes "passkey" one of its second
    factors."""
    spent = _spend("register", principal.session_hash)
    if spent.user_id != principal.user_id:
        raise InvalidInput("This passkey request has expired or was already answered. "
                           "Try again.", code="passkey_challenge_expired")
    rp = relying_party()
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=base64url_to_bytes(spent.challenge),
            expected_rp_id=rp.id,
            expected_origin=rp.origin,
            require_user_verification=True,
            supported_pub_key_algs=ALGORITHMS,
        )
    except Exception as exc:  # a hostile answer may break any part of the parser
        count("PasskeyRegistrationRefused")
        raise InvalidInput("The passkey could not be verified. Try again.",
                           code="passkey_invalid") from exc
    user = _own_account(principal)
    _check_room(store.passkeys_of(user.user_id))
    now = clock.now()
    transports = set((credential.get("response") or {}).get("transports") or ()) & _TRANSPORTS
    passkey = store.PasskeyModel(
        user_id=user.user_id,
        credential_key=credential_key(verified.credential_id),
        credential_id=bytes_to_base64url(verified.credential_id),
        public_key=bytes_to_base64url(verified.credential_public_key),
        sign_count=verified.sign_count,
        name=_clean_name(name),
        transports=transports or None,
        aaguid=verified.aaguid,
        backed_up=verified.credential_backed_up,
        created_at=now,
    )
    store.add_passkey(passkey)
    # The account's list of enrolled factors, which sign-in reads: the second-factor rules'
    # own bookkeeping (one place that writes it).
    second_factor.mark_enrolled(user.user_id, add=METHOD)
    audit.record("auth.passkey.register", actor=principal, target=user.user_id,
                 details={"name": passkey.name})
    count("PasskeyRegistered")
    return public_passkey(passkey)


def rename(principal: Principal, passkey_id: str, name: str) -> Passkey:
    passkey = _own_passkey(principal, passkey_id)
    passkey.name = _clean_name(name)
    if not store.rename_passkey(passkey, passkey.name):
        raise _missing()
    return public_passkey(passkey)


def remove(principal: Principal, passkey_id: str) -> None:
    """Removes one of the caller's passkeys. The last one takes "passkey" off the account's
    second factors, which the second-factor rules may refuse (a second factor required and
    none other enrolled)."""
    passkey = _own_passkey(principal, passkey_id)
    others = [p for p in store.passkeys_of(principal.user_id)
              if p.credential_key != passkey.credential_key]
    if not others:
        user = _own_account(principal)
        if not second_factor.enrolled(user) - {METHOD} and second_factor.required(user):
            raise Conflict("A second factor is required for this account: add another one "
                           "before removing this one.", code="second_factor_required")
    if not store.remove_passkey(principal.user_id, passkey.credential_key):
        raise _missing()
    if not others:
        second_factor.mark_enrolled(principal.user_id, drop=METHOD)
    audit.record("auth.passkey.remove", actor=principal, target=principal.user_id,
                 details={"name": passkey.name})


def _own_account(principal: Principal) -> user_store.UserModel:
    user = user_store.get_user(principal.user_id)
    if user is None:
        raise Unauthenticated("Sign in first.")
    return user


def _own_passkey(principal: Principal, passkey_id: str) -> store.PasskeyModel:
    """One of the caller's passkeys: another user's is the same 404 as a missing one (the
    key is in the caller's partition)."""
    passkey = store.get_passkey(principal.user_id, passkey_id)
    if passkey is None:
        raise _missing()
    return passkey


def _missing() -> NotFound:
    return NotFound("No such passkey.", code="passkey_not_found")


def _check_room(existing: list[store.PasskeyModel]) -> None:
    if len(existing) >= store.MAX_PASSKEYS:
        raise Conflict(f"An account has at most {store.MAX_PASSKEYS} passkeys. Remove one first.",
                       code="too_many_passkeys", details={"limit": store.MAX_PASSKEYS})


def _clean_name(name: str) -> str:
    cleaned = " ".join(name.split())
    if not cleaned:
        raise InvalidInput("Give the passkey a name.", code="passkey_name_required")
    return cleaned


# ---------------------------------------------------------------------------------------------
# Signing in: without a password, or after one as the second factor


def sign_in_options(caller: Anonymous) -> tuple[PasskeyAuthenticationOptions, str]:
    """Options for navigator.credentials.get() with any passkey of this site, and the random
    id the browser keeps in its challenge cookie (the challenge is keyed by its hash)."""
    throttles.check_address(caller.source_ip)
    browser = secrets.token_urlsafe(32)
    options = generate_authentication_options(
        rp_id=relying_party().id,
        challenge=_new_challenge("sign_in", browser, None),
        timeout=TIMEOUT_MS,
        allow_credentials=[],
        user_verification=UserVerificationRequirement.REQUIRED,
    )
    answer: PasskeyAuthenticationOptions = options_to_json_dict(options)  # type: ignore[assignment]
    return answer, browser


def sign_in(
    browser: str | None, credential: dict[str, Any], caller: Anonymous, user_agent: str | None
) -> SignedIn:
    """A passwordless sign-in: the passkey is found by the user handle and credential id the
    authenticator returned (one GetItem), its answer checked, its counter kept. Every failure,
    an unknown passkey or an account that is not active among them, is the same refusal and
    counts against the caller's address."""
    throttles.check_address(caller.source_ip)
    spent = _spend("sign_in", browser)
    passkey, user = _found(credential)
    if passkey is None or user is None or user.status != "active":
        raise _refused(caller, user.email if user else None)
    if not _verified(passkey, credential, spent, user_verification=True):
        raise _refused(caller, user.email)
    from chalicelib.services.oidc_accounts import refuse_password

    # Where the company signs its people in through its provider, a passkey registered before
    # must not outlive their removal there: only the provider signs such addresses in.
    refuse_password(user.email)
    return sessions.start_session(user, caller, user_agent, method=METHOD)


def second_factor_options(pending: str | None) -> PasskeyAuthenticationOptions:
    """Options for the second step of a password sign-in: the pending account's passkeys."""
    user = second_factor.pending_user(pending)
    passkeys = store.passkeys_of(user.user_id)
    if not passkeys:
        raise InvalidInput("This account has no passkey.", code="no_passkey")
    assert pending is not None  # pending_user refuses a missing token
    options = generate_authentication_options(
        rp_id=relying_party().id,
        challenge=_new_challenge("second_factor", pending, user.user_id),
        timeout=TIMEOUT_MS,
        allow_credentials=_descriptors(passkeys),
        user_verification=UserVerificationRequirement.PREFERRED,
    )
    answer: PasskeyAuthenticationOptions = options_to_json_dict(options)  # type: ignore[assignment]
    return answer


def second_factor_sign_in(
    pending: str | None, credential: dict[str, Any], caller: Anonymous, user_agent: str | None
) -> SignedIn:
    """The second step with a passkey: one of the pending account's own (another account's
    passkey is refused like a wrong answer), then the pending sign-in completes. The account is
    the one the challenge was issued for (from the pending sign-in, which `complete` checks
    again as it spends it)."""
    throttles.check_address(caller.source_ip)
    spent = _spend("second_factor", pending)
    user_id = str(spent.user_id or "")
    raw_id = _raw_id(credential)
    passkey = store.get_passkey(user_id, credential_key(raw_id)) if raw_id and user_id else None
    if passkey is None or not _verified(passkey, credential, spent, user_verification=False):
        raise _refused(caller, _email_of(user_id))
    return second_factor.complete(pending, caller, user_agent, method=METHOD)


def _email_of(user_id: str) -> str | None:
    """For the audit entry of a refusal (read only then)."""
    user = user_store.get_user(user_id) if user_id else None
    return user.email if user else None


def _found(
    credential: dict[str, Any],
) -> tuple[store.PasskeyModel | None, user_store.UserModel | None]:
    """The passkey the answer names (its user handle is the account's id), and its account."""
    raw_id = _raw_id(credential)
    handle = (credential.get("response") or {}).get("userHandle")
    try:
        user_id = base64url_to_bytes(handle).decode() if isinstance(handle, str) else ""
    except (ValueError, UnicodeDecodeError):
        user_id = ""
    if not raw_id or not user_id or len(user_id) > 128:
        return None, None
    passkey = store.get_passkey(user_id, credential_key(raw_id))
    return passkey, user_store.get_user(user_id) if passkey else None


def _raw_id(credential: dict[str, Any]) -> bytes:
    try:
        return base64url_to_bytes(str(credential.get("rawId") or ""))
    except ValueError:
        return b""


def _verified(
    passkey: store.PasskeyModel,
    credential: dict[str, Any],
    spent: store.ChallengeModel,
    *,
    user_verification: bool,
) -> bool:
    """The assertion checked against the challenge spent, the RP and the passkey's key, and
    its counter stored (only if it moved forward from what was read: a clone racing the
    original loses)."""
    rp = relying_party()
    try:
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=base64url_to_bytes(spent.challenge),
            expected_rp_id=rp.id,
            expected_origin=rp.origin,
            credential_public_key=base64url_to_bytes(passkey.public_key),
            credential_current_sign_count=int(passkey.sign_count),
            require_user_verification=user_verification,
        )
    except Exception:  # a hostile answer may break any part of the parser: refused alike
        return False
    return store.record_use(passkey, verified.new_sign_count, clock.now())


def _refused(caller: Anonymous, email: str | None) -> Unauthenticated:
    throttles.record_address_failure(caller.source_ip)
    audit.record("auth.login", actor=caller, actor_email=email, outcome="failure",
                 details={"method": METHOD})
    count("SignInFailed")
    return Unauthenticated("This passkey was not accepted.", code="passkey_refused")
