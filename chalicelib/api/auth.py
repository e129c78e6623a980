"""Sign-in, sign-out, password change and reset, self-registration, and who am I: the
profile (name, language, notification mail) and the caller's own sessions.

Services are imported in the view: a cold start loads only what the route it answers needs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from chalice.app import Blueprint, Response
from pydantic import ConfigDict, Field

from chalicelib.api.requests import Strict
from chalicelib.api.routing import ANY_USER, PUBLIC, route
from chalicelib.config import get_settings
from chalicelib.services.principal import Anonymous, Principal
from chalicelib.shapes.auth import Me, SessionList, SessionsEnded, SessionStatus, SignInAnswer
from chalicelib.shapes.common import Accepted, Ok
from chalicelib.shapes.second_factor import SecondFactorAsked

if TYPE_CHECKING:
    from chalicelib.services.second_factor import SecondFactorNeeded
    from chalicelib.services.sessions import SignedIn

blueprint = Blueprint(__name__)
TAG = "auth"
DEVICE_COOKIE_SECONDS = 90 * 24 * 3600


class AuthBody(Strict):
    """No string in an account body is longer than this, whatever field it claims to be."""

    model_config = ConfigDict(str_max_length=10_000)


class LoginBody(AuthBody):
    email: str = Field(min_length=3, max_length=254)
    password: str = Field(min_length=1, max_length=1024)


class PasswordChangeBody(AuthBody):
    current_password: str = Field(min_length=1, max_length=1024)
    new_password: str = Field(min_length=1, max_length=1024)


class ProfileBody(AuthBody):
    """Only the fields sent change; the others stay as they are."""

    name: str | None = Field(default=None, min_length=1, max_length=120)
    language: Literal["en", "fr", "pl"] | None = None
    notifications: Literal["every", "digest", "portal"] | None = Field(
        default=None,
        description="Ticket mail: every message, a daily digest, or none (the portal only)",
    )


class ResetRequestBody(AuthBody):
    email: str = Field(min_length=1, max_length=254)


class ResetConfirmBody(AuthBody):
    token: str = Field(min_length=10, max_length=200)
    new_password: str = Field(min_length=1, max_length=1024)


class ResetCheckBody(AuthBody):
    token: str = Field(min_length=10, max_length=200)


class RegisterBody(AuthBody):
    email: str = Field(min_length=3, max_length=254)
    name: str = Field(min_length=1, max_length=120)
    password: str = Field(min_length=1, max_length=1024)
    language: Literal["en", "fr", "pl"] = "en"


class VerifyBody(AuthBody):
    token: str = Field(min_length=10, max_length=200)
    password: str = Field(
        min_length=1, max_length=1024, description="The one chosen at registration"
    )


def _cookie(name: str, value: str, max_age: int, path: str = "/") -> str:
    parts = [f"{name}={value}", f"Path={path}", "HttpOnly", "SameSite=Lax", f"Max-Age={max_age}"]
    if get_settings().secure_cookies:
        parts.append("Secure")
    return "; ".join(parts)


def _device_cookie(value: str) -> str:
    """Sent only to the sign-in route, the one place it is read."""
    from chalicelib.services.sessions import DEVICE_COOKIE

    return _cookie(DEVICE_COOKIE, value, DEVICE_COOKIE_SECONDS, path="/api/auth/login")


@route(
    blueprint,
    "/api/auth/login",
    method="POST",
    access=PUBLIC,
    body=LoginBody,
    tag=TAG,
    summary="Sign in with email and password; sets the session cookie and returns the token.",
    answers=SignInAnswer | SecondFactorAsked,
)
def login(caller: Anonymous, body: LoginBody) -> Response:
    from chalicelib.api.network import read_cookie
    from chalicelib.services import second_factor, sessions

    headers = _headers()
    device = read_cookie(headers, sessions.DEVICE_COOKIE)
    proved = sessions.prove_password(body.email, body.password, caller, device)
    return sign_in_answer(second_factor.finish_sign_in(
        proved.user, caller, headers.get("user-agent"), method="password",
        known_device=proved.known_device,
    ))


def sign_in_answer(result: SignedIn | SecondFactorNeeded) -> Response:
    """The answer of every route that proves a first factor: signed in (cookies set), or 200
    `{"second_factor": {"methods", "enrol"}}` with only the `parley_pending` cookie
    (services/second_factor.py; the page goes on with web/assets/js/auth_second_factor.js)."""
    from chalicelib.services.second_factor import (
        PENDING_COOKIE,
        PENDING_SECONDS,
        SecondFactorNeeded,
    )

    if not isinstance(result, SecondFactorNeeded):
        return _signed_in(result)
    answer: SecondFactorAsked = {"second_factor": {"methods": result.methods,
                                                   "enrol": result.enrol}}
    return Response(body=answer, status_code=200, headers={
        "Set-Cookie": _cookie(PENDING_COOKIE, result.token, PENDING_SECONDS, path="/api/auth")})


def _headers() -> dict[str, str]:
    return {k.lower(): v for k, v in (blueprint.current_request.headers or {}).items()}


def _signed_in(signed_in: SignedIn) -> Response:
    """The answer that starts a session: its token (for API clients), the session cookie and,
    when the password was just proved, the device cookie."""
    from chalicelib.services import sessions

    answer: SignInAnswer = {
        "user": signed_in.user,
        "token": signed_in.token,
        "csrf_token": signed_in.csrf_token,
        "expires_in": signed_in.max_age,
    }
    return Response(
        body=answer,
        status_code=200,
        headers={
            "Set-Cookie": [
                _cookie(sessions.SESSION_COOKIE, signed_in.token, signed_in.max_age),
                *([_device_cookie(signed_in.device_cookie)] if signed_in.device_cookie else []),
            ]
        },
    )


@route(
    blueprint,
    "/api/auth/logout",
    method="POST",
    access=ANY_USER,
    tag=TAG,
    before_password_change=True,
    summary="End this session on the server and clear the cookie.",
    answers=Ok,
)
def logout(caller: Principal) -> Response:
    from chalicelib.services import sessions

    sessions.sign_out(caller)
    answer: Ok = {"ok": True}
    return Response(
        body=answer,
        status_code=200,
        headers={"Set-Cookie": _cookie(sessions.SESSION_COOKIE, "", 0)},
    )


@route(
    blueprint,
    "/api/me",
    access=ANY_USER,
    tag=TAG,
    before_password_change=True,
    summary="The signed-in user, and why the portal does not email them, if it does not.",
)
def me(caller: Principal) -> Me:
    from chalicelib.services import profile

    return profile.get_me(caller)


@route(
    blueprint,
    "/api/me",
    method="PATCH",
    access=ANY_USER,
    body=ProfileBody,
    tag=TAG,
    summary="Change your own name, language (of the pages and of every mail) or notification "
    "mail. Fields not sent are kept.",
)
def update_me(caller: Principal, body: ProfileBody) -> Me:
    from chalicelib.services import profile

    return profile.update_me(caller, body.model_dump(exclude_unset=True, exclude_none=True))


@route(
    blueprint,
    "/api/me/sessions",
    access=ANY_USER,
    tag=TAG,
    summary="Where you are signed in: device (browser and system), when signed in, last seen; "
    "this session first.",
)
def list_my_sessions(caller: Principal) -> SessionList:
    from chalicelib.services import sessions

    return {"items": sessions.list_own_sessions(caller)}


@route(
    blueprint,
    "/api/me/sessions/{session_id}",
    method="DELETE",
    access=ANY_USER,
    tag=TAG,
    summary="Sign out one of your sessions. Another user's session is a 404, like a missing one.",
)
def end_my_session(caller: Principal, session_id: str) -> Ok:
    from chalicelib.services import sessions

    sessions.end_own_session(caller, session_id)
    return {"ok": True}


@route(
    blueprint,
    "/api/me/sessions/sign-out-others",
    method="POST",
    access=ANY_USER,
    tag=TAG,
    summary="Sign out everywhere else: every session of yours but this one.",
)
def end_my_other_sessions(caller: Principal) -> SessionsEnded:
    from chalicelib.services import sessions

    return {"ended": sessions.end_other_sessions(caller)}


@route(
    blueprint,
    "/api/auth/session",
    access=ANY_USER,
    tag=TAG,
    before_password_change=True,
    refreshes_session=False,
    summary="When this session ends without activity (idle_expires_at) and at the latest "
    "(expires_at), in epoch seconds with the server's now. Reading it is not activity.",
)
def session_status(caller: Principal) -> SessionStatus:
    from chalicelib.services import sessions

    return sessions.session_status(caller)


@route(
    blueprint,
    "/api/auth/session/refresh",
    method="POST",
    access=ANY_USER,
    tag=TAG,
    before_password_change=True,
    summary="Keep this session signed in (\"Stay signed in\"): restarts the idle timeout.",
)
def keep_session_alive(caller: Principal) -> SessionStatus:
    from chalicelib.services import sessions

    return sessions.keep_session_alive(caller)


@route(
    blueprint,
    "/api/auth/password",
    method="POST",
    access=ANY_USER,
    body=PasswordChangeBody,
    tag=TAG,
    before_password_change=True,
    summary="Change the password; ends every other session of the user.",
    answers=Ok,
)
def change_password(caller: Principal, body: PasswordChangeBody) -> Response:
    from chalicelib.services import users

    device_cookie = users.change_password(caller, body.current_password, body.new_password)
    return _ok_with_device_cookie(device_cookie)


@route(
    blueprint,
    "/api/auth/password-reset",
    method="POST",
    access=PUBLIC,
    body=ResetRequestBody,
    status=202,
    tag=TAG,
    summary="Email a single-use reset link. The same answer whether or not the email exists.",
)
def request_reset(caller: Anonymous, body: ResetRequestBody) -> Accepted:
    from chalicelib.services import users
    from chalicelib.services.oidc_accounts import refuse_password

    refuse_password(body.email)  # 403 sso_required where the domain signs in with a provider
    users.request_password_reset(body.email, caller)
    return {"ok": True, "message": "If an account exists for this address, we sent it a link."}


@route(
    blueprint,
    "/api/auth/password-reset/confirm",
    method="POST",
    access=PUBLIC,
    body=ResetConfirmBody,
    tag=TAG,
    summary="Set a new password with a reset or invite token; ends every session of the user.",
    answers=Ok,
)
def confirm_reset(caller: Anonymous, body: ResetConfirmBody) -> Response:
    from chalicelib.services import users

    device_cookie = users.confirm_password_reset(body.token, body.new_password, caller)
    return _ok_with_device_cookie(device_cookie)


@route(
    blueprint,
    "/api/auth/password-reset/check",
    method="POST",
    access=PUBLIC,
    body=ResetCheckBody,
    tag=TAG,
    summary="Whether a reset or invite link still works, without using it (400 invalid_token "
    "when spent, expired or outdated): the page says so before asking for a password.",
)
def check_reset(caller: Anonymous, body: ResetCheckBody) -> Ok:
    from chalicelib.services import users

    users.check_password_link(body.token)
    return {"ok": True}


def _ok_with_device_cookie(device_cookie: str) -> Response:
    """The password changed: this browser gets a device cookie signed for the new one."""
    answer: Ok = {"ok": True}
    return Response(
        body=answer, status_code=200, headers={"Set-Cookie": _device_cookie(device_cookie)}
    )


@route(
    blueprint,
    "/api/auth/register",
    method="POST",
    access=PUBLIC,
    body=RegisterBody,
    status=202,
    tag=TAG,
    summary="Self-registration (when enabled): emails a verification link.",
)
def register(caller: Anonymous, body: RegisterBody) -> Accepted:
    from chalicelib.services import users
    from chalicelib.services.oidc_accounts import refuse_password

    refuse_password(body.email)  # 403 sso_required where the domain signs in with a provider
    users.register(body.email, body.name, body.password, body.language, caller)
    return {"ok": True, "message": "Check your mailbox to confirm the address."}


@route(
    blueprint,
    "/api/auth/verify",
    method="POST",
    access=PUBLIC,
    body=VerifyBody,
    tag=TAG,
    summary="Confirm a self-registered address with the password chosen at registration, and "
    "sign in: answers and sets cookies as sign-in does.",
    answers=SignInAnswer | SecondFactorAsked,
)
def verify(caller: Anonymous, body: VerifyBody) -> Response:
    from chalicelib.services import users

    return sign_in_answer(users.verify_email(
        body.token, body.password, caller, user_agent=_headers().get("user-agent")
    ))
