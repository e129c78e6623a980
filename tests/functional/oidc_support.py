"""OpenID sign-in in the functional tier: a small issuer of our own for the ID token checks, and
what a browser does around the portal's routes.

`TinyIssuer` is a real HTTP server on 127.0.0.1 (the portal's adapter fetches its discovery
document, key set and token endpoint over HTTP, as it would a provider's), with a real RSA key:
what it makes different is only the ID token it is told to issue, so each check of the portal
is met by the one token that breaks it. Its codes are single-use and bound to the PKCE
challenge, the client and the redirect address, as a provider's are. (The sign-in against the
real local provider, oidc-provider on Node.js, is tests/functional/test_oidc_provider.py.)"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.hashes import SHA256

from tests.functional.auth_support import cookie_value, cookies_set

CLIENT_ID = "parley-test-client"
CLIENT_SECRET = "tiny-issuer-client-secret"
SECRET_VARIABLE = "PARLEY_OIDC_TINY_SECRET"
PUBLIC_URL = "http://127.0.0.1:8000"  # the tests' PARLEY_PUBLIC_URL (its default)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _json64(value: dict[str, Any]) -> str:
    return b64url(json.dumps(value, separators=(",", ":")).encode())


@dataclass
class Grant:
    """An authorization the issuer gave: what the token request must match, and the token."""

    client_id: str
    redirect_uri: str
    challenge: str
    nonce: str
    token: Callable[[], str]
    used: bool = False


@dataclass
class TinyIssuer:
    key: rsa.RSAPrivateKey = field(
        default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048))
    kid: str = field(default_factory=lambda: secrets.token_hex(4))
    grants: dict[str, Grant] = field(default_factory=dict)
    token_requests: list[dict[str, Any]] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def issuer(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> TinyIssuer:
        issuer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _answer(self, status: int, body: dict[str, Any]) -> None:
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def do_GET(self) -> None:  # http.server's names
                if self.path == "/.well-known/openid-configuration":
                    self._answer(200, issuer.discovery())
                elif self.path == "/jwks":
                    self._answer(200, {"keys": [issuer.public_jwk()]})
                else:
                    self._answer(404, {"error": "not_found"})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                status, body = issuer.token(form, self.headers.get("Authorization", ""))
                self._answer(status, body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "jwks_uri": f"{self.issuer}/jwks",
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic"],
            "code_challenge_methods_supported": ["S256"],
        }

    def public_jwk(self) -> dict[str, str]:
        numbers = self.key.public_key().public_numbers()
        def as_b64(n: int) -> str:
            return b64url(n.to_bytes((n.bit_length() + 7) // 8, "big"))
        return {"kty": "RSA", "kid": self.kid, "use": "sig", "alg": "RS256",
                "n": as_b64(numbers.n), "e": as_b64(numbers.e)}

    def public_pem(self) -> bytes:
        return self.key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)

    # -- tokens -------------------------------------------------------------------------------

    def signed(self, claims: dict[str, Any], header: dict[str, Any] | None = None) -> str:
        head = {"alg": "RS256", "typ": "JWT", "kid": self.kid, **(header or {})}
        signing_input = f"{_json64(head)}.{_json64(claims)}".encode()
        signature = self.key.sign(signing_input, padding.PKCS1v15(), SHA256())
        return f"{signing_input.decode()}.{b64url(signature)}"

    def unsigned(self, claims: dict[str, Any]) -> str:
        """alg "none": no signature at all."""
        return f"{_json64({'alg': 'none', 'typ': 'JWT'})}.{_json64(claims)}."

    def hmac_with_public_key(self, claims: dict[str, Any]) -> str:
        """HS256 with the issuer's PUBLIC key as the HMAC secret: what passes a library that
        lets the token choose its algorithm and verifies with whatever key it was given."""
        head = {"alg": "HS256", "typ": "JWT", "kid": self.kid}
        signing_input = f"{_json64(head)}.{_json64(claims)}".encode()
        mac = hmac.new(self.public_pem(), signing_input, hashlib.sha256).digest()
        return f"{signing_input.decode()}.{b64url(mac)}"

    def claims(self, now: float, nonce: str, email: str, **changes: Any) -> dict[str, Any]:
        base = {
            "iss": self.issuer, "aud": CLIENT_ID, "sub": f"sub-{email}", "iat": int(now),
            "exp": int(now) + 300, "nonce": nonce, "email": email, "email_verified": True,
            "name": "Ola Nowak",
        }
        base.update(changes)
        return {k: v for k, v in base.items() if v is not None}

    # -- the authorization endpoint, as a person signing in ----------------------------------

    def authorize(self, location: str, token: Callable[[str], str]) -> tuple[str, str]:
        """The person signs in at the authorization address the portal sent them to: returns
        the code and state the issuer sends back. `token(nonce)` makes the ID token."""
        params = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
        assert location.startswith(f"{self.issuer}/authorize?"), location
        assert params["response_type"] == "code" and params["code_challenge_method"] == "S256"
        assert set(params["scope"].split()) >= {"openid", "email"}
        code = secrets.token_urlsafe(16)
        self.grants[code] = Grant(params["client_id"], params["redirect_uri"],
                                  params["code_challenge"], params["nonce"],
                                  lambda: token(params["nonce"]))
        return code, params["state"]

    def token(self, form: dict[str, str], authorization: str) -> tuple[int, dict[str, Any]]:
        self.token_requests.append(form)
        expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if authorization != f"Basic {expected}":
            return 401, {"error": "invalid_client"}
        grant = self.grants.get(form.get("code", ""))
        verifier = form.get("code_verifier", "")
        challenge = b64url(hashlib.sha256(verifier.encode()).digest())
        if (grant is None or grant.used or form.get("grant_type") != "authorization_code"
                or grant.redirect_uri != form.get("redirect_uri") or grant.challenge != challenge):
            return 400, {"error": "invalid_grant"}
        grant.used = True
        return 200, {"access_token": secrets.token_urlsafe(8), "token_type": "Bearer",
                     "expires_in": 300, "id_token": grant.token()}


def provider_settings(issuer: str, org_id: str, **changes: Any) -> dict[str, Any]:
    return {
        "id": "tiny", "name": "Tiny SSO", "issuer": issuer, "client_id": CLIENT_ID,
        "client_secret_ref": SECRET_VARIABLE, "roles": ["customer", "agent"],
        "domains": {"acme.test": org_id, "parley.test": ""}, "create_accounts": True,
        "password_off_domains": [], **changes,
    }


@dataclass
class SsoBrowser:
    """A browser's side of the portal's routes: the flow cookie it keeps between them."""

    api: Any
    flow_cookie: str | None = None

    def headers(self) -> dict[str, str]:
        return {"Cookie": f"parley_sso={self.flow_cookie}"} if self.flow_cookie else {}

    def _keep(self, response_headers: dict[str, Any]) -> None:
        line = cookies_set(response_headers).get("parley_sso")
        if line is not None:
            self.flow_cookie = cookie_value(line) or None

    def start(self, provider_id: str = "tiny", next_path: str | None = None) -> str:
        path = f"/api/auth/oidc/{provider_id}/start"
        if next_path:
            path += f"?next={next_path}"
        status, body, headers = self.api.call("GET", path, headers=self.headers())
        assert status == 302, body
        self._keep(headers)
        return str(headers["Location"])

    def callback(self, query: str, provider_id: str = "tiny") -> str:
        status, body, headers = self.api.call(
            "GET", f"/api/auth/oidc/{provider_id}/callback?{query}", headers=self.headers())
        assert status == 302, body
        self._keep(headers)
        return str(headers["Location"])

    def complete(self) -> tuple[int, Any, dict[str, Any]]:
        return self.api.call("POST", "/api/auth/oidc/complete", {}, headers=self.headers())


_shared: TinyIssuer | None = None


def shared_issuer() -> TinyIssuer:
    """One issuer for the tests that only need one answering (the cost test): started once per
    process, a daemon thread."""
    global _shared
    if _shared is None:
        _shared = TinyIssuer().start()
    return _shared


class SsoScene:
    """The OpenID routes' requests for the cost test (tests/functional/test_cost.py): each
    method prepares what its request needs (not measured) and returns (path, body, headers).
    The scene's admin configures the provider for its organization's domain on first use."""

    def __init__(self, api: Any, scene: Any) -> None:
        self.api, self.scene = api, scene
        self.configured = False

    def _ready(self) -> TinyIssuer:
        import os

        issuer = shared_issuer()
        if not self.configured:
            # The variable the provider's settings name: read by the request, as deployed
            # functions read Secrets Manager (tests share the process: the value is the tests')
            os.environ[SECRET_VARIABLE] = CLIENT_SECRET
            email = self.scene.users["alice"]["email"]
            settings = provider_settings(issuer.issuer, self.scene.ids["org"],
                                         domains={email.split("@")[1]: self.scene.ids["org"]})
            status, body, _ = self.api.call("PATCH", "/api/admin/settings",
                                            {"sso_providers": [settings]},
                                            token=self.scene.tokens["admin"])
            assert status == 200, body
            self.configured = True
        return issuer

    def providers(self) -> tuple[str, None, None]:
        self._ready()
        return "/api/auth/oidc/providers", None, None

    def start(self) -> tuple[str, None, None]:
        self._ready()
        return "/api/auth/oidc/tiny/start?next=/tickets", None, None

    def _came_back(self) -> tuple[SsoBrowser, str]:
        from chalicelib import clock

        issuer, email = self._ready(), self.scene.users["alice"]["email"]
        browser = SsoBrowser(self.api)
        code, state = issuer.authorize(browser.start(), lambda nonce: issuer.signed(
            issuer.claims(clock.now(), nonce, email)))
        return browser, f"/api/auth/oidc/tiny/callback?code={code}&state={state}"

    def callback(self) -> tuple[str, None, dict[str, str]]:
        browser, path = self._came_back()
        return path, None, browser.headers()

    def complete(self) -> tuple[str, dict[str, Any], dict[str, str]]:
        browser, path = self._came_back()
        assert browser.callback(path.split("?", 1)[1]).startswith("/login?sso=done")
        return "/api/auth/oidc/complete", {}, browser.headers()
