"""Passkeys (services/passkeys.py): the account's own (register, list, rename, remove: the
Security section of the profile), passwordless sign-in, and a passkey as the second step of a
password sign-in.

The bodies carry what navigator.credentials.create() / .get() returned, in the WebAuthn JSON
form (base64url strings, camelCase members as the specification names them); the pages build
it (web/assets/js/auth_passkey.js). Services are imported in the view: a cold start loads only
what the route it answers needs."""

from __future__ import annotations

from typing import Any, Literal

from chalice.app import Blueprint, Response
from pydantic import ConfigDict, Field

from chalicelib.api.requests import Strict
from chalicelib.api.routing import ANY_USER, PUBLIC, route
from chalicelib.services.principal import Anonymous, Principal
from chalicelib.shapes.auth import SignInAnswer
from chalicelib.shapes.common import Ok
from chalicelib.shapes.passkeys import (
    PasskeyAnswer,
    PasskeyAuthenticationOptions,
    PasskeyList,
    PasskeyRegistrationOptions,
)

blueprint = Blueprint(__name__)
TAG = "auth"
# The challenge cookie of a passwordless sign-in goes only to its two routes.
COOKIE_PATH = "/api/auth/passkey"
B64URL = r"^[A-Za-z0-9_-]*$"
# A credential id is at most 1,023 bytes (1,364 characters in base64url).
CREDENTIAL_ID = 1400


class WebAuthnBody(Strict):
    model_config = ConfigDict(str_max_length=100_000)


class WebAuthnAttestationResponse(WebAuthnBody):
    clientDataJSON: str = Field(min_length=1, max_length=4096, pattern=B64URL)
    attestationObject: str = Field(min_length=1, max_length=64_000, pattern=B64URL)
    transports: list[str] | None = Field(default=None, max_length=10)


class WebAuthnAssertionResponse(WebAuthnBody):
    clientDataJSON: str = Field(min_length=1, max_length=4096, pattern=B64URL)
    authenticatorData: str = Field(min_length=1, max_length=4096, pattern=B64URL)
    signature: str = Field(min_length=1, max_length=2048, pattern=B64URL)
    userHandle: str | None = Field(default=None, max_length=128, pattern=B64URL)


class WebAuthnCredential(WebAuthnBody):
    id: str = Field(min_length=1, max_length=CREDENTIAL_ID, pattern=B64URL)
    rawId: str = Field(min_length=1, max_length=CREDENTIAL_ID, pattern=B64URL)
    type: Literal["public-key"]
    authenticatorAttachment: Literal["platform", "cross-platform"] | None = None
    clientExtensionResults: dict[str, Any] | None = None


class WebAuthnNewCredential(WebAuthnCredential):
    response: WebAuthnAttestationResponse


class WebAuthnAssertion(WebAuthnCredential):
    response: WebAuthnAssertionResponse


class PasskeyRegisterBody(WebAuthnBody):
    name: str = Field(min_length=1, max_length=60, description="What the user calls it")
    credential: WebAuthnNewCredential = Field(
        description="What navigator.credentials.create() gave")


class PasskeyRenameBody(WebAuthnBody):
    name: str = Field(min_length=1, max_length=60)


class PasskeyAssertionBody(WebAuthnBody):
    credential: WebAuthnAssertion = Field(description="What navigator.credentials.get() gave")


def _headers() -> dict[str, str]:
    return {k.lower(): v for k, v in (blueprint.current_request.headers or {}).items()}


def _credential(credential: WebAuthnCredential) -> dict[str, Any]:
    return credential.model_dump(exclude_none=True)


@route(
    blueprint,
    "/api/me/passkeys",
    access=ANY_USER,
    tag=TAG,
    summary="Your passkeys, oldest first: name, when added, when last used.",
)
def list_passkeys(caller: Principal) -> PasskeyList:
    from chalicelib.services import passkeys

    return passkeys.list_own(caller)


@route(
    blueprint,
    "/api/me/passkeys/options",
    method="POST",
    access=ANY_USER,
    tag=TAG,
    summary="Start adding a passkey: the options for navigator.credentials.create() (a "
    "discoverable credential with user verification). Its challenge is bound to this session "
    "and lasts five minutes.",
)
def passkey_registration_options(caller: Principal) -> PasskeyRegistrationOptions:
    from chalicelib.services import passkeys

    return passkeys.registration_options(caller)


@route(
    blueprint,
    "/api/me/passkeys",
    method="POST",
    access=ANY_USER,
    body=PasskeyRegisterBody,
    status=201,
    tag=TAG,
    summary="Add the passkey the browser created for the options (400 passkey_invalid when it "
    "does not verify, passkey_challenge_expired when the options were spent or are too old).",
)
def register_passkey(caller: Principal, body: PasskeyRegisterBody) -> PasskeyAnswer:
    from chalicelib.services import passkeys

    return {"passkey": passkeys.register(caller, body.name, _credential(body.credential))}


@route(
    blueprint,
    "/api/me/passkeys/{passkey_id}",
    method="PATCH",
    access=ANY_USER,
    body=PasskeyRenameBody,
    tag=TAG,
    summary="Rename one of your passkeys. Another user's passkey is a 404, like a missing one.",
)
def rename_passkey(caller: Principal, passkey_id: str, body: PasskeyRenameBody) -> PasskeyAnswer:
    from chalicelib.services import passkeys

    return {"passkey": passkeys.rename(caller, passkey_id, body.name)}


@route(
    blueprint,
    "/api/me/passkeys/{passkey_id}",
    method="DELETE",
    access=ANY_USER,
    tag=TAG,
    summary="Remove one of your passkeys (409 second_factor_required when it is the last second "
    "factor of an account that must have one).",
)
def remove_passkey(caller: Principal, passkey_id: str) -> Ok:
    from chalicelib.services import passkeys

    passkeys.remove(caller, passkey_id)
    return {"ok": True}


@route(
    blueprint,
    "/api/auth/passkey/options",
    method="POST",
    access=PUBLIC,
    tag=TAG,
    summary="Start a sign-in with a passkey, without a password: the options for "
    "navigator.credentials.get() (any passkey of this portal), and an HttpOnly cookie binding "
    "the challenge to this browser for five minutes.",
    answers=PasskeyAuthenticationOptions,
)
def passkey_sign_in_options(caller: Anonymous) -> Response:
    from chalicelib.api.auth import _cookie
    from chalicelib.services import passkeys

    options, browser = passkeys.sign_in_options(caller)
    return Response(body=options, status_code=200, headers={"Set-Cookie": _cookie(
        passkeys.CHALLENGE_COOKIE, browser, passkeys.CHALLENGE_SECONDS, path=COOKIE_PATH)})


@route(
    blueprint,
    "/api/auth/passkey",
    method="POST",
    access=PUBLIC,
    body=PasskeyAssertionBody,
    tag=TAG,
    summary="Sign in with the passkey the browser chose for the options: answers and sets "
    "cookies as a password sign-in does. Any failure is 401 passkey_refused and counts "
    "against the caller's address.",
    answers=SignInAnswer,
)
def passkey_sign_in(caller: Anonymous, body: PasskeyAssertionBody) -> Response:
    from chalicelib.api.auth import _cookie, _signed_in
    from chalicelib.api.network import read_cookie
    from chalicelib.services import passkeys

    headers = _headers()
    signed_in = passkeys.sign_in(
        read_cookie(headers, passkeys.CHALLENGE_COOKIE), _credential(body.credential), caller,
        headers.get("user-agent"),
    )
    response = _signed_in(signed_in)
    cookies = response.headers["Set-Cookie"]
    response.headers["Set-Cookie"] = [
        *(cookies if isinstance(cookies, list) else [cookies]),
        _cookie(passkeys.CHALLENGE_COOKIE, "", 0, path=COOKIE_PATH),
    ]
    return response


@route(
    blueprint,
    "/api/auth/passkey/second-factor/options",
    method="POST",
    access=PUBLIC,
    tag=TAG,
    summary="The second step of a password sign-in with a passkey (the `parley_pending` "
    "cookie): the options for navigator.credentials.get(), limited to that account's passkeys.",
)
def passkey_second_factor_options(caller: Anonymous) -> PasskeyAuthenticationOptions:
    from chalicelib.api.second_factor import pending_token
    from chalicelib.services import passkeys

    return passkeys.second_factor_options(pending_token())


@route(
    blueprint,
    "/api/auth/passkey/second-factor",
    method="POST",
    access=PUBLIC,
    body=PasskeyAssertionBody,
    tag=TAG,
    summary="Finish a password sign-in with one of the account's passkeys: answers and sets "
    "cookies as sign-in does. A wrong or foreign passkey is 401 passkey_refused.",
    answers=SignInAnswer,
)
def passkey_second_factor(caller: Anonymous, body: PasskeyAssertionBody) -> Response:
    from chalicelib.api.second_factor import pending_token, signed_in_after_step
    from chalicelib.services import passkeys

    signed_in = passkeys.second_factor_sign_in(
        pending_token(), _credential(body.credential), caller, _headers().get("user-agent"))
    return signed_in_after_step(signed_in)
