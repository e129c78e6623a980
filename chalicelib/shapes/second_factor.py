"""What the second-factor routes answer (services/second_factor.py)."""

from __future__ import annotations

from typing_extensions import TypedDict

from chalicelib.shapes.auth import SignInAnswer


class SecondFactorStep(TypedDict):
    methods: list[str]  # what the account can answer with: totp, passkey, recovery_code
    enrol: bool  # a second factor is required and none is set up: the page sets one up first


class SecondFactorAsked(TypedDict):
    """A sign-in whose first factor was proved and which needs a second: only the
    `parley_pending` cookie is set (HttpOnly, 5 minutes)."""

    second_factor: SecondFactorStep


class TotpSetup(TypedDict):
    secret: str  # base32, to type into an authenticator app by hand
    uri: str  # otpauth://totp/..., what the QR code holds
    qr_svg: str  # the QR code as an SVG document


class RecoveryCodes(TypedDict):
    recovery_codes: list[str]  # shown once; each signs in once instead of a code


class SecondFactorStatus(TypedDict):
    totp: bool  # an authenticator app is set up
    passkey: bool  # at least one passkey is registered
    recovery_codes_left: int
    required: bool  # the admin requires a second factor of this account


class SignInWithRecoveryCodes(SignInAnswer):
    """The sign-in that set up the required second factor: signed in, and the recovery codes."""

    recovery_codes: list[str]
