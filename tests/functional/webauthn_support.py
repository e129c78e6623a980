"""A software authenticator for the passkey tests: a real EC P-256 key (cryptography), and the
bytes a browser would hand back — attestationObject ("none" format) with authenticatorData and
the COSE key, clientDataJSON, an ECDSA signature over authenticatorData and the client data's
hash — built here, so the server's verification (py_webauthn) runs for real.

Every part can be bent (another origin, another RP ID, a counter going back, a changed
challenge), which is what the tests of the refusals do."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import struct
from dataclasses import dataclass, field
from typing import Any

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

RP_ID = "localhost"  # the test stage's public URL is http://127.0.0.1:8000 (a loopback address)
ORIGIN = "http://localhost:8000"

UP, UV, BE, BS, AT = 0x01, 0x04, 0x08, 0x10, 0x40


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Authenticator:
    """One passkey: its key, credential id and the user handle it was registered with."""

    key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    credential_id: bytes = field(default_factory=lambda: secrets.token_bytes(16))
    user_handle: bytes | None = None
    sign_count: int = 0

    @property
    def id(self) -> str:
        return b64url(self.credential_id)

    def cose_key(self) -> bytes:
        numbers = self.key.public_key().public_numbers()
        return cbor2.dumps({1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"),
                            -3: numbers.y.to_bytes(32, "big")})

    def register(self, options: dict[str, Any], *, origin: str = ORIGIN,
                 rp_id: str | None = None, challenge: str | None = None,
                 flags: int = UP | UV | BE | BS, client_type: str = "webauthn.create",
                 transports: list[str] | None = None) -> dict[str, Any]:
        """What navigator.credentials.create() gives for `options`, as the page sends it."""
        self.user_handle = unb64url(options["user"]["id"])
        attested = (b"\x00" * 16 + struct.pack(">H", len(self.credential_id))
                    + self.credential_id + self.cose_key())
        auth_data = self._auth_data(rp_id or options["rp"]["id"], flags | AT, self.sign_count)
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data + attested})
        client_data = _client_data(client_type, challenge or options["challenge"], origin)
        return {
            "id": self.id, "rawId": self.id, "type": "public-key",
            "authenticatorAttachment": "platform", "clientExtensionResults": {},
            "response": {"clientDataJSON": b64url(client_data),
                         "attestationObject": b64url(attestation),
                         "transports": transports or ["internal"]},
        }

    def assert_(self, options: dict[str, Any], *, origin: str = ORIGIN,
                rp_id: str | None = None, challenge: str | None = None,
                flags: int = UP | UV | BE | BS, counter: int | None = None,
                user_handle: bytes | None = None, with_handle: bool = True) -> dict[str, Any]:
        """What navigator.credentials.get() gives for `options`; the counter moves on by one
        unless `counter` says what to report."""
        if counter is None:
            self.sign_count += 1
            counter = self.sign_count
        auth_data = self._auth_data(rp_id or options["rpId"], flags, counter)
        client_data = _client_data("webauthn.get", challenge or options["challenge"], origin)
        signature = self.key.sign(auth_data + hashlib.sha256(client_data).digest(),
                                  ec.ECDSA(hashes.SHA256()))
        handle = user_handle if user_handle is not None else self.user_handle
        response: dict[str, Any] = {
            "clientDataJSON": b64url(client_data), "authenticatorData": b64url(auth_data),
            "signature": b64url(signature)}
        if with_handle and handle is not None:
            response["userHandle"] = b64url(handle)
        return {"id": self.id, "rawId": self.id, "type": "public-key",
                "authenticatorAttachment": "platform", "clientExtensionResults": {},
                "response": response}

    @staticmethod
    def _auth_data(rp_id: str, flags: int, counter: int) -> bytes:
        return hashlib.sha256(rp_id.encode()).digest() + bytes([flags]) + struct.pack(">I", counter)


def _client_data(kind: str, challenge: str, origin: str) -> bytes:
    return json.dumps({"type": kind, "challenge": challenge, "origin": origin,
                       "crossOrigin": False}).encode()


def challenge_cookie(headers: dict[str, Any]) -> str:
    """The `parley_passkey=<id>` cookie a browser sends back, from the options' Set-Cookie."""
    raw = headers.get("Set-Cookie") or []
    lines = [raw] if isinstance(raw, str) else list(raw)
    line = next(line for line in lines if line.startswith("parley_passkey="))
    return line.split(";", 1)[0]


def add_passkey(api: Any, token: str, name: str = "Laptop",
                authenticator: Authenticator | None = None) -> tuple[Authenticator, dict[str, Any]]:
    """A passkey registered through the routes, for a Bearer session: the authenticator and
    the answer's passkey."""
    authenticator = authenticator or Authenticator()
    status, options, _ = api.call("POST", "/api/me/passkeys/options", token=token)
    assert status == 200, options
    status, body, _ = api.call("POST", "/api/me/passkeys", {
        "name": name, "credential": authenticator.register(options)}, token=token)
    assert status == 201, body
    return authenticator, body["passkey"]


def sign_in_with(api: Any, authenticator: Authenticator, **bend: Any
                 ) -> tuple[int, Any, dict[str, Any]]:
    """A passwordless sign-in: the options (and their cookie), then the assertion."""
    status, options, headers = api.call("POST", "/api/auth/passkey/options")
    assert status == 200, options
    return api.call("POST", "/api/auth/passkey",
                    {"credential": authenticator.assert_(options, **bend)},
                    headers={"Cookie": challenge_cookie(headers)})
