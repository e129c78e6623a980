"""An OpenID provider's discovery document and key set, and the check of the ID token it issues.

The token is checked by authlib (authlib.jose), never by code of ours: its signature against the
provider's published keys (JWKS), with only the asymmetric algorithms the discovery document
lists (never `none`, never an HMAC one: an HMAC "signed" with the public key would pass a
library that lets the token choose), then its issuer, audience, nonce and times. Discovery and
keys are kept an hour per warm function; a key id the set does not hold reads it once again
(the provider rotated its keys)."""

from __future__ import annotations

import threading
import warnings
from dataclasses import dataclass
from typing import Any

from chalicelib import clock
from chalicelib.adapters import oidc_http
from chalicelib.config import get_settings

CACHE_SECONDS = 3600.0
LEEWAY_SECONDS = 60  # clock skew between the provider and us
# What an ID token may be signed with: public-key algorithms only.
ASYMMETRIC = frozenset({"RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
                        "ES256", "ES384", "ES512", "EdDSA"})
_cache: dict[str, tuple[float, dict[str, Any]]] = {}
_lock = threading.Lock()


class ProviderUnavailable(Exception):
    """The provider's documents could not be read or are not usable."""


class TokenRefused(Exception):
    """The ID token failed a check; `reason` says which (recorded, never shown)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Discovery:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    algorithms: list[str]  # signing algorithms of ID tokens we accept from it
    auth_methods: list[str]  # token_endpoint_auth_methods_supported


def _allow_http() -> bool:
    return get_settings().is_local  # the local stack's provider runs on plain http


def _fetch(url: str, *, fresh: bool = False) -> dict[str, Any]:
    now = clock.now()
    with _lock:
        cached = _cache.get(url)
    if cached and not fresh and now - cached[0] < CACHE_SECONDS:
        return cached[1]
    try:
        document = oidc_http.get_json(url, allow_http=_allow_http())
    except oidc_http.ProviderUnreachable as exc:
        raise ProviderUnavailable(f"{url}: {exc}") from exc
    with _lock:
        _cache[url] = (now, document)
    return document


def discovery(issuer: str) -> Discovery:
    """The provider's metadata (OpenID Connect Discovery 1.0): its `issuer` must be the one
    configured, exactly, and its endpoints web addresses."""
    document = _fetch(issuer.rstrip("/") + "/.well-known/openid-configuration")
    if document.get("issuer") != issuer:
        raise ProviderUnavailable(f"discovery names the issuer {document.get('issuer')!r}")
    endpoints: dict[str, str] = {}
    for name in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        value = document.get(name)
        scheme = value.split("://", 1)[0] if isinstance(value, str) else ""
        if not isinstance(value, str) or (
                scheme != "https" and not (scheme == "http" and _allow_http())):
            raise ProviderUnavailable(f"discovery has no usable {name}")
        endpoints[name] = value
    listed = document.get("id_token_signing_alg_values_supported") or ["RS256"]
    algorithms = [a for a in listed if isinstance(a, str) and a in ASYMMETRIC]
    if not algorithms:
        raise ProviderUnavailable(f"no public-key algorithm for ID tokens among {listed!r}")
    methods = document.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
    return Discovery(
        issuer=issuer, algorithms=algorithms,
        auth_methods=[m for m in methods if isinstance(m, str)], **endpoints,
    )


def client_auth_method(meta: Discovery) -> str:
    """client_secret_basic unless the provider takes only client_secret_post."""
    if "client_secret_basic" not in meta.auth_methods and "client_secret_post" in meta.auth_methods:
        return "client_secret_post"
    return "client_secret_basic"


class _UnknownKey(Exception):
    pass


def verify_id_token(
    id_token: object, meta: Discovery, *, client_id: str, nonce: str
) -> dict[str, Any]:
    """The token's claims once every check passed; TokenRefused otherwise."""
    try:
        return _verify(id_token, meta, client_id, nonce, fresh_keys=False)
    except _UnknownKey:
        return _verify(id_token, meta, client_id, nonce, fresh_keys=True)


def _verify(
    id_token: object, meta: Discovery, client_id: str, nonce: str, *, fresh_keys: bool
) -> dict[str, Any]:
    # authlib 1.x announces authlib.jose's move to joserfc at import (its own module sets that
    # warning to "always" when first imported, so it is imported first): it is what we pin.
    from authlib.deprecate import AuthlibDeprecationWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AuthlibDeprecationWarning)
        from authlib.jose import JsonWebKey, JsonWebToken
        from authlib.jose.errors import (
            BadSignatureError,
            DecodeError,
            ExpiredTokenError,
            InvalidClaimError,
            InvalidTokenError,
            JoseError,
            MissingClaimError,
            UnsupportedAlgorithmError,
        )

    if not isinstance(id_token, str) or id_token.count(".") != 2 or len(id_token) > 16_384:
        raise TokenRefused("malformed")  # two dots: a signed token, never an encrypted one
    try:
        keys = JsonWebKey.import_key_set(_fetch(meta.jwks_uri, fresh=fresh_keys))
    except (ValueError, TypeError, KeyError, JoseError) as exc:
        raise ProviderUnavailable(f"unusable key set: {exc}") from exc

    def key_for(header: dict[str, Any], payload: Any) -> Any:
        usable = [k for k in keys.keys if k.tokens.get("use", "sig") == "sig"]
        found = _keys_named(usable, header.get("kid"))
        if not found:
            if fresh_keys:
                raise TokenRefused("unknown_key")
            raise _UnknownKey
        return found[0]

    options = {
        "iss": {"essential": True, "value": meta.issuer},
        "aud": {"essential": True, "value": client_id},
        "sub": {"essential": True},
        "exp": {"essential": True},
        "iat": {"essential": True},
        "nonce": {"essential": True, "value": nonce},
    }
    try:
        claims = JsonWebToken(meta.algorithms).decode(id_token, key_for, claims_options=options)
        claims.validate(now=int(clock.now()), leeway=LEEWAY_SECONDS)
    except UnsupportedAlgorithmError as exc:
        raise TokenRefused("algorithm") from exc
    except BadSignatureError as exc:
        raise TokenRefused("signature") from exc
    except ExpiredTokenError as exc:
        raise TokenRefused("expired") from exc
    except InvalidClaimError as exc:
        raise TokenRefused({"iss": "issuer", "aud": "audience"}.get(
            exc.claim_name, exc.claim_name)) from exc
    except MissingClaimError as exc:
        raise TokenRefused("missing_claim") from exc
    except InvalidTokenError as exc:
        raise TokenRefused("not_yet_valid") from exc
    except (DecodeError, JoseError, ValueError, TypeError) as exc:
        raise TokenRefused("malformed") from exc
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if len(audiences) > 1 and claims.get("azp") != client_id:
        raise TokenRefused("audience")  # OpenID Connect Core 3.1.3.7: azp names us
    return dict(claims)


def _keys_named(usable: list[Any], kid: object) -> list[Any]:
    if kid:
        return [k for k in usable if k.kid == kid]
    return usable if len(usable) == 1 else []  # without a key id, only a set of one says which


def forget_cached_documents() -> None:
    with _lock:
        _cache.clear()
