"""The second factor: the sign-in step after a first factor (the pending sign-in, its
`parley_pending` cookie), and the account's own TOTP and recovery codes (Security section of
the profile).

Services are imported in the view: a cold start loads only what the route it answers needs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice.app import Blueprint, Response
from pydantic import Field

from chalicelib.api.requests import Strict
from chalicelib.api.routing import ADMINS, ANY_USER, PUBLIC, route
from chalicelib.services.principal import Anonymous, Principal
from chalicelib.shapes.auth import SignInAnswer
from chalicelib.shapes.second_factor import (
    RecoveryCodes,
    SecondFactorStatus,
    SignInWithRecoveryCodes,
    TotpSetup,
)
from chalicelib.shapes.users import UserAnswer

if TYPE_CHECKING:
    from chalicelib.services.sessions import SignedIn

blueprint = Blueprint(__name__)
TAG = "auth"


class CodeBody(Strict):
    code: str = Field(
        min_length=1, max_length=40,
        description="Six digits from the authenticator app, or a recovery code",
    )


class ProofBody(Strict):
    """The password or a current code from the app: one is needed."""

    password: str | None = Field(default=None, min_length=1, max_length=1024)
    code: str | None = Field(default=None, min_length=1, max_length=40)


def pending_token() -> str | None:
    """The pending sign-in this browser holds (the `parley_pending` cookie), for every route of
    the step: the passkey module's too."""
    from chalicelib.api.network import read_cookie
    from chalicelib.services.second_factor import PENDING_COOKIE

    return read_cookie(_headers(), PENDING_COOKIE)


def _headers() -> dict[str, str]:
    return {k.lower(): v for k, v in (blueprint.current_request.headers or {}).items()}


def signed_in_after_step(signed_in: SignedIn, extra: dict[str, object] | None = None) -> Response:
    """The sign-in answer and cookies, and the spent pending cookie cleared."""
    from chalicelib.api.auth import _cookie, _signed_in
    from chalicelib.services.second_factor import PENDING_COOKIE

    response = _signed_in(signed_in)
    if extra:
        response.body = {**response.body, **extra}
    cookies = response.headers.get("Set-Cookie") or []
    response.headers["Set-Cookie"] = [
        *(cookies if isinstance(cookies, list) else [cookies]),
        _cookie(PENDING_COOKIE, "", 0, path="/api/auth"),
    ]
    return response


@route(
    blueprint,
    "/api/auth/second-factor",
    method="POST",
    access=PUBLIC,
    body=CodeBody,
    tag=TAG,
    summary="The second step of a sign-in (the `parley_pending` cookie from the first): a code "
    "from the authenticator app or a recovery code. Wrong codes count as failed sign-ins.",
    answers=SignInAnswer,
)
def answer_code(caller: Anonymous, body: CodeBody) -> Response:
    from chalicelib.services import second_factor

    signed_in = second_factor.answer_code(
        pending_token(), body.code, caller, _headers().get("user-agent"))
    return signed_in_after_step(signed_in)


@route(
    blueprint,
    "/api/auth/second-factor/totp",
    method="POST",
    access=PUBLIC,
    tag=TAG,
    summary="A second factor is required and none is set up: start setting up an authenticator "
    "app during the sign-in (the `parley_pending` cookie). The secret is shown only now.",
)
def start_pending_enrolment(caller: Anonymous) -> TotpSetup:
    from chalicelib.services import second_factor

    return second_factor.start_pending_enrolment(pending_token())


@route(
    blueprint,
    "/api/auth/second-factor/totp/confirm",
    method="POST",
    access=PUBLIC,
    body=CodeBody,
    tag=TAG,
    summary="Confirm the app set up during the sign-in with a first code: signs in, and answers "
    "the recovery codes (shown once).",
    answers=SignInWithRecoveryCodes,
)
def confirm_pending_enrolment(caller: Anonymous, body: CodeBody) -> Response:
    from chalicelib.services import second_factor

    signed_in, codes = second_factor.confirm_pending_enrolment(
        pending_token(), body.code, caller, _headers().get("user-agent"))
    return signed_in_after_step(signed_in, {"recovery_codes": codes})


@route(
    blueprint,
    "/api/me/second-factor",
    access=ANY_USER,
    tag=TAG,
    summary="Your second factors: authenticator app, passkeys, recovery codes left, and whether "
    "one is required of you.",
)
def second_factor_status(caller: Principal) -> SecondFactorStatus:
    from chalicelib.services import second_factor

    return second_factor.status(caller)


@route(
    blueprint,
    "/api/me/second-factor/totp",
    method="POST",
    access=ANY_USER,
    tag=TAG,
    summary="Start setting up an authenticator app: the secret, its otpauth URI and QR code "
    "(shown only now; confirm with a code to finish).",
)
def start_enrolment(caller: Principal) -> TotpSetup:
    from chalicelib.services import second_factor

    return second_factor.start_enrolment(caller)


@route(
    blueprint,
    "/api/me/second-factor/totp/confirm",
    method="POST",
    access=ANY_USER,
    body=CodeBody,
    tag=TAG,
    summary="Finish setting up the authenticator app with a code from it; answers 10 one-time "
    "recovery codes, shown once.",
)
def confirm_enrolment(caller: Principal, body: CodeBody) -> RecoveryCodes:
    from chalicelib.services import second_factor

    return {"recovery_codes": second_factor.confirm_enrolment(caller, body.code)}


@route(
    blueprint,
    "/api/me/second-factor/totp/remove",
    method="POST",
    access=ANY_USER,
    body=ProofBody,
    tag=TAG,
    summary="Remove the authenticator app (with the password or a current code). Refused when "
    "a second factor is required and it is the last one.",
)
def remove_totp(caller: Principal, body: ProofBody) -> SecondFactorStatus:
    from chalicelib.services import second_factor

    second_factor.remove_totp(caller, body.password, body.code)
    return second_factor.status(caller)


@route(
    blueprint,
    "/api/me/second-factor/recovery-codes",
    method="POST",
    access=ANY_USER,
    body=ProofBody,
    tag=TAG,
    summary="New recovery codes (with the password or a current code): the old ones stop "
    "working. Shown once.",
)
def regenerate_recovery_codes(caller: Principal, body: ProofBody) -> RecoveryCodes:
    from chalicelib.services import second_factor

    return {"recovery_codes": second_factor.regenerate_recovery_codes(
        caller, body.password, body.code)}


@route(
    blueprint,
    "/api/admin/users/{user_id}/second-factor/reset",
    method="POST",
    access=ADMINS,
    tag="admin",
    summary="Reset a user's two-step verification (a lost phone, lost recovery codes): removes "
    "their authenticator app, recovery codes and passkeys; they sign in with their password "
    "alone, or set a second factor up at their next sign-in when one is required. Their "
    "sessions stay; they get a mail. Not your own (403).",
)
def reset_user_second_factor(caller: Principal, user_id: str) -> UserAnswer:
    from chalicelib.services import second_factor

    return {"user": second_factor.reset(caller, user_id)}
