"""What the passkey routes answer: the user's passkeys, and the WebAuthn options a page hands
to navigator.credentials.create() / .get() (py_webauthn's JSON form of them, camelCase as the
WebAuthn specification names the members)."""

from __future__ import annotations

from typing import NotRequired

from typing_extensions import TypedDict


class Passkey(TypedDict):
    id: str  # what the pages and the routes name it by (a hash of its credential id)
    name: str
    created_at: str
    last_used_at: str | None
    synced: bool  # backed up by its provider (a multi-device passkey), as the authenticator says


class PasskeyList(TypedDict):
    items: list[Passkey]  # oldest first
    max: int  # how many one account may have


class PasskeyAnswer(TypedDict):
    passkey: Passkey


class WebAuthnRelyingParty(TypedDict):
    id: str
    name: str


class WebAuthnUser(TypedDict):
    id: str  # base64url of the account's id: the user handle a passkey sign-in returns
    name: str
    displayName: str


class WebAuthnCredentialParameters(TypedDict):
    type: str
    alg: int


class WebAuthnCredentialDescriptor(TypedDict):
    id: str  # base64url
    type: str
    transports: NotRequired[list[str]]


class WebAuthnAuthenticatorSelection(TypedDict):
    residentKey: str
    requireResidentKey: bool
    userVerification: str


class PasskeyRegistrationOptions(TypedDict):
    """PublicKeyCredentialCreationOptionsJSON."""

    rp: WebAuthnRelyingParty
    user: WebAuthnUser
    challenge: str
    pubKeyCredParams: list[WebAuthnCredentialParameters]
    timeout: int
    excludeCredentials: list[WebAuthnCredentialDescriptor]  # the account's passkeys: none twice
    authenticatorSelection: WebAuthnAuthenticatorSelection
    attestation: str


class PasskeyAuthenticationOptions(TypedDict):
    """PublicKeyCredentialRequestOptionsJSON."""

    challenge: str
    timeout: int
    rpId: str
    # Empty: any passkey of this portal (passwordless sign-in)
    allowCredentials: list[WebAuthnCredentialDescriptor]
    userVerification: str
