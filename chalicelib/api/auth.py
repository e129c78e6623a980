"""Sign-in, sign-out, password change and reset, self-registration, and who am I."""

from __future__ import annotations

from typing import Any, Literal

from chalice.app import Blueprint, Response
from pydantic import BaseModel, ConfigDict, Field

from chalicelib.api.network import read_cookie
from chalicelib.api.routing import ANY_USER, PUBLIC, route
from chalicelib.config import get_settings
from chalicelib.services import sessions, suppressions, users
from chalicelib.services.principal import Anonymous, Principal

blueprint = Blueprint(__name__)
TAG = "auth"
DEVICE_COOKIE_SECONDS = 90 * 24 * 3600


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=10_000)


class LoginBody(Strict):
    email: str = Field(min_length=3, max_length=254)
    password: str = Field(min_length=1, max_length=1024)


class PasswordChangeBody(Strict):
    current_password: str = Field(min_length=1, max_length=1024)
    new_password: str = Field(min_length=1, max_length=1024)


class ResetRequestBody(Strict):
    email: str = Field(min_length=1, max_length=254)


class ResetConfirmBody(Strict):
    token: str = Field(min_length=10, max_length=200)
    new_password: str = Field(min_length=1, max_length=1024)


class RegisterBody(Strict):
    email: str = Field(min_length=3, max_length=254)
    name: str = Field(min_length=1, max_length=120)
    password: str = Field(min_length=1, max_length=1024)
    language: Literal["en", "fr", "pl"] = "en"


class VerifyBody(Strict):
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
    return _cookie(sessions.DEVICE_COOKIE, value, DEVICE_COOKIE_SECONDS, path="/api/auth/login")


@route(
    blueprint,
    "/api/auth/login",
    method="POST",
    access=PUBLIC,
    body=LoginBody,
    tag=TAG,
    summary="Sign in with email and password; sets the session cookie and returns the token.",
)
def login(caller: Anonymous, body: LoginBody) -> Response:
    headers = {k.lower(): v for k, v in (blueprint.current_request.headers or {}).items()}
    device = read_cookie(headers, sessions.DEVICE_COOKIE)
    signed_in = sessions.sign_in(body.email, body.password, caller, device)
    return Response(
        body={
            "user": signed_in.user,
            "token": signed_in.token,
            "csrf_token": signed_in.csrf_token,
            "expires_in": signed_in.max_age,
        },
        status_code=200,
        headers={
            "Set-Cookie": [
                _cookie(sessions.SESSION_COOKIE, signed_in.token, signed_in.max_age),
                _device_cookie(signed_in.device_cookie),
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
)
def logout(caller: Principal) -> Response:
    sessions.sign_out(caller)
    return Response(
        body={"ok": True},
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
def me(caller: Principal) -> dict[str, Any]:
    user = users.get_me(caller)
    return {"user": user, "mail_suppressed": suppressions.mail_suppression(user["email"])}


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
def session_status(caller: Principal) -> dict[str, Any]:
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
def keep_session_alive(caller: Principal) -> dict[str, Any]:
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
)
def change_password(caller: Principal, body: PasswordChangeBody) -> Response:
    device_cookie = users.change_password(caller, body.current_password, body.new_password)
    return Response(
        body={"ok": True}, status_code=200, headers={"Set-Cookie": _device_cookie(device_cookie)}
    )


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
def request_reset(caller: Anonymous, body: ResetRequestBody) -> dict[str, Any]:
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
)
def confirm_reset(caller: Anonymous, body: ResetConfirmBody) -> Response:
    device_cookie = users.confirm_password_reset(body.token, body.new_password, caller)
    return Response(
        body={"ok": True}, status_code=200, headers={"Set-Cookie": _device_cookie(device_cookie)}
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
def register(caller: Anonymous, body: RegisterBody) -> dict[str, Any]:
    users.register(body.email, body.name, body.password, body.language, caller)
    return {"ok": True, "message": "Check your mailbox to confirm the address."}


@route(
    blueprint,
    "/api/auth/verify",
    method="POST",
    access=PUBLIC,
    body=VerifyBody,
    tag=TAG,
    summary="Confirm a self-registered address (with the password chosen at registration).",
)
def verify(caller: Anonymous, body: VerifyBody) -> dict[str, Any]:
    users.verify_email(body.token, body.password, caller)
    return {"ok": True}
