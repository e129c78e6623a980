"""Sign-in with an OpenID provider: the authorization code flow with PKCE (S256), state and
nonce.

1. `start`: a flow is stored (data/oidc.py) under the hash of a random value the browser keeps
   in an HttpOnly cookie (FLOW_COOKIE, 10 minutes), and the browser is sent to the provider's
   authorization endpoint (from its discovery document) with `state`, `nonce` and the PKCE
   challenge.
2. `callback`: the provider sends the browser back with `code` and `state`. The flow of THIS
   browser must hold that state, unspent; spending it is a conditional write, so an answer
   replayed (or one carried to another browser) is refused. The code is exchanged at the token
   endpoint (with the verifier and the client secret), and the ID token is checked by authlib
   (services/oidc_tokens.py). The verified address names the account (services/oidc_accounts.py:
   found, or a customer created where allowed), whose role the provider must admit.
3. `complete`: the callback does not start the session itself: the page must receive the CSRF
   token the way every sign-in hands it over, in a JSON answer. So the callback sends the
   browser to the sign-in page (`/login?sso=done`), which asks for it once (POST
   /api/auth/oidc/complete, the same cookie, within two minutes): `sessions.start_session(...,
   method="oidc")`, with the cookies every sign-in sets. An OpenID sign-in is complete by itself
   (the provider applies the company's own second factor): no second-factor step.

Every refusal in the browser's way ends on the sign-in page with a readable reason
(`/login?sso_error=<code>`), and is audited as a failed `auth.login` with the precise reason.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from typing import Any, NoReturn
from urllib.parse import urlencode

from chalicelib import clock
from chalicelib.config import get_settings
from chalicelib.data import oidc as store
from chalicelib.data.base import expiry
from chalicelib.errors import InvalidInput, NotFound, TooManyRequests
from chalicelib.observability import count, get_logger
from chalicelib.services import audit, oidc_tokens, throttles
from chalicelib.services.oidc_accounts import AccountRefused, account_for
from chalicelib.services.oidc_config import OidcProvider, secret_prefix
from chalicelib.services.principal import Anonymous
from chalicelib.services.sessions import SignedIn
from chalicelib.services.settings import get_portal_settings
from chalicelib.shapes.oidc import OfferedProvider

FLOW_COOKIE = "parley_sso"
COOKIE_PATH = "/api/auth/oidc"
FLOW_SECONDS = 600  # from the click to the provider's answer
COMPLETE_SECONDS = 120  # from the provider's answer to the page asking for the session
SCOPE = "openid email profile"
_COOKIE_VALUE = re.compile(r"[A-Za-z0-9_-]{43}")
# What the sign-in page may be sent back to: never another site, nor a sign-in page.
_NOT_NEXT = ("/login", "/sign-in", "/session-expired")


@dataclass(frozen=True)
class Redirect:
    location: str
    cookie: str | None = None  # the flow cookie's new value ("" clears it)


class Refused(Exception):
    def __init__(self, code: str, reason: str, email: str | None = None) -> None:
        super().__init__(reason)
        self.code, self.reason, self.email = code, reason, email


class SecretUnavailable(Exception):
    """The provider's client secret cannot be read (a configuration problem)."""


def offered() -> list[OfferedProvider]:
    """The buttons of the sign-in page."""
    return [{"id": p.id, "name": p.name} for p in get_portal_settings().sso_providers]


def provider(provider_id: str) -> OidcProvider:
    found = next((p for p in get_portal_settings().sso_providers if p.id == provider_id), None)
    if found is None:
        raise NotFound("No such sign-in provider.", code="sso_provider_not_found")
    return found


def safe_next(value: str | None) -> str | None:
    """A path of this portal to return to, or None (the rules of auth.js safeNext)."""
    if (not value or len(value) > 1000 or not value.startswith("/")
            or value.startswith(("//", "/\\")) or re.search(r"[\x00-\x1f\x7f\\]", value)):
        return None
    path = value.split("?", 1)[0].split("#", 1)[0]
    if path in _NOT_NEXT or "/../" in path + "/" or "/./" in path + "/":
        return None
    return value.split("#", 1)[0]


def redirect_uri(provider_id: str) -> str:
    return f"{get_settings().public_url}/api/auth/oidc/{provider_id}/callback"


def start(provider_id: str, next_path: str | None, source_ip: str | None = None) -> Redirect:
    """The way out to the provider, a flow stored for this browser. Anyone may ask, so each
    source address may start only so many (services/throttles.py `check_sso_start`); beyond
    that the browser is sent back to the sign-in page with the reason."""
    chosen = provider(provider_id)
    try:
        throttles.check_sso_start(source_ip)
    except TooManyRequests:
        count("SsoStartThrottled")
        return Redirect(_sign_in_page(error="too_many_requests", next_path=next_path))
    try:
        meta = oidc_tokens.discovery(chosen.issuer)
    except oidc_tokens.ProviderUnavailable as exc:
        get_logger().warning("sign-in provider unavailable", extra={
            "provider": chosen.id, "reason": str(exc)[:300]})
        return Redirect(_sign_in_page(error="sso_unavailable", next_path=next_path))
    browser = secrets.token_urlsafe(32)
    state, nonce, verifier = (secrets.token_urlsafe(32) for _ in range(3))
    now = clock.now()
    store.put_flow(store.FlowModel(
        token_hash=_hash(browser), provider_id=chosen.id, state=state, nonce=nonce,
        verifier=verifier, next_path=safe_next(next_path), valid_until=now + FLOW_SECONDS,
        expires_at=expiry(now + FLOW_SECONDS + 3600),
    ))
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    query = urlencode({
        "response_type": "code", "client_id": chosen.client_id, "scope": SCOPE,
        "redirect_uri": redirect_uri(chosen.id), "state": state, "nonce": nonce,
        "code_challenge": challenge.rstrip(b"=").decode(), "code_challenge_method": "S256",
    })
    joiner = "&" if "?" in meta.authorization_endpoint else "?"
    return Redirect(f"{meta.authorization_endpoint}{joiner}{query}", cookie=browser)


def callback(
    provider_id: str, *, code: str | None, state: str | None, issuer: str | None,
    error: str | None, cookie: str | None, caller: Anonymous,
) -> Redirect:
    """Where the provider sends the browser back: to the sign-in page, to finish signing in or
    to say why not. The flow cookie goes either way."""
    chosen = provider(provider_id)
    flow = _flow_of(cookie)
    try:
        user_id = _verified(chosen, flow, code=code, state=state, issuer=issuer, error=error)
    except Refused as refused:
        audit.record("auth.login", actor=caller, actor_email=refused.email, outcome="failure",
                     details={"method": "oidc", "provider": chosen.id, "reason": refused.reason})
        count("SignInFailed")
        next_path = flow.next_path if flow is not None else None
        return Redirect(_sign_in_page(error=refused.code, next_path=next_path), cookie="")
    assert flow is not None  # a refusal otherwise
    if not store.mark_verified(flow, user_id, clock.now()):
        return Redirect(_sign_in_page(error="sso_expired", next_path=None), cookie="")
    return Redirect(_sign_in_page(done=True, next_path=flow.next_path))


def _verified(
    chosen: OidcProvider, flow: store.FlowModel | None, *, code: str | None,
    state: str | None, issuer: str | None, error: str | None,
) -> str:
    """The account the provider's answer proves, once every check passed: Refused otherwise."""
    now = clock.now()
    if flow is None or flow.provider_id != chosen.id:
        raise Refused("sso_expired", "no_flow")  # another browser's answer, or a stale cookie
    if not state or not hmac.compare_digest(state.encode(), flow.state.encode()):
        raise Refused("sso_expired", "state_mismatch")
    if flow.used_at is not None:
        raise Refused("sso_expired", "state_used")
    if not store.take_state(flow, now):
        raise Refused("sso_expired", "state_used" if flow.valid_until > now else "flow_expired")
    if error:
        raise Refused("sso_cancelled" if error == "access_denied" else "sso_failed",
                      f"provider_error:{error[:40]}")
    if issuer is not None and issuer != chosen.issuer:
        raise Refused("sso_failed", "issuer_parameter")  # RFC 9207: another provider's answer
    if not code:
        raise Refused("sso_failed", "no_code")
    claims = _claims(chosen, flow, code)
    try:
        return account_for(chosen, claims).user_id
    except AccountRefused as refused:
        raise Refused(refused.code, refused.reason, refused.email) from refused


def _claims(chosen: OidcProvider, flow: store.FlowModel, code: str) -> dict[str, Any]:
    from chalicelib.adapters import oidc_http

    try:
        meta = oidc_tokens.discovery(chosen.issuer)
        auth = oidc_http.ClientAuth(chosen.client_id, _client_secret(chosen),
                                    oidc_tokens.client_auth_method(meta))
        answer = oidc_http.post_form(meta.token_endpoint, {
            "grant_type": "authorization_code", "code": code,
            "redirect_uri": redirect_uri(chosen.id), "code_verifier": flow.verifier,
        }, auth, allow_http=get_settings().is_local)
    except oidc_http.ProviderUnreachable as exc:
        if exc.status == 400 and exc.body.get("error") == "invalid_grant":
            raise Refused("sso_failed", "code_rejected") from exc  # spent, stolen or expired
        _unavailable(chosen, str(exc))
    except (oidc_tokens.ProviderUnavailable, SecretUnavailable) as exc:
        _unavailable(chosen, str(exc))
    try:
        return oidc_tokens.verify_id_token(answer.get("id_token"), meta,
                                           client_id=chosen.client_id, nonce=flow.nonce)
    except oidc_tokens.TokenRefused as exc:
        raise Refused("sso_failed", f"id_token:{exc.reason}") from exc
    except oidc_tokens.ProviderUnavailable as exc:
        _unavailable(chosen, str(exc))


def _unavailable(chosen: OidcProvider, reason: str) -> NoReturn:
    get_logger().warning("sign-in provider unavailable", extra={
        "provider": chosen.id, "reason": reason[:300]})
    raise Refused("sso_unavailable", "provider_unavailable")


def _client_secret(chosen: OidcProvider) -> str:
    """The secret the reference names: an environment variable locally, Secrets Manager when
    deployed; only under this stage's prefix (services/oidc_config.py says why)."""
    from chalicelib.adapters import secrets as secret_store

    prefix = secret_prefix()
    reference = chosen.client_secret_ref
    name = reference.split(":secret:", 1)[-1]
    if not name.startswith(prefix):
        raise SecretUnavailable(f"{chosen.id}: the client secret is not under {prefix}")
    try:
        if get_settings().is_local:
            return secret_store.environment_value(reference)
        return secret_store.secret_string(reference)
    except secret_store.SecretMissing as exc:
        raise SecretUnavailable(f"{chosen.id}: client secret: {exc}") from exc


def complete(cookie: str | None, caller: Anonymous, user_agent: str | None) -> SignedIn:
    """The session of the sign-in this browser's callback proved, once, within two minutes."""
    from chalicelib.data import users as user_store
    from chalicelib.services import sessions

    now = clock.now()
    flow = _flow_of(cookie)
    user = user_store.get_user(flow.user_id) if flow is not None and flow.user_id else None
    if flow is None or user is None or not store.take_verified(flow, now, now - COMPLETE_SECONDS):
        raise InvalidInput("This sign-in has expired or was already used. Try again.",
                           code="sso_expired")
    return sessions.start_session(user, caller, user_agent, method="oidc")


def _flow_of(cookie: str | None) -> store.FlowModel | None:
    if not cookie or not _COOKIE_VALUE.fullmatch(cookie):
        return None
    return store.get_flow(_hash(cookie))


def _hash(value: str) -> str:
    return hashlib.sha256(f"oidc-flow:{value}".encode()).hexdigest()


def _sign_in_page(*, error: str | None = None, done: bool = False,
                  next_path: str | None) -> str:
    params = {"sso": "done"} if done else {"sso_error": error or "sso_failed"}
    if next_path:
        params["next"] = next_path
    return f"/login?{urlencode(params)}"
