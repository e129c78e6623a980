"""Magic-link sign-in (services/magic_links.py): ask for a link by mail, then sign in with it in
the same browser.

Services are imported in the view: a cold start loads only what the route it answers needs."""

from __future__ import annotations

from chalice.app import Blueprint, Response
from pydantic import ConfigDict, Field

from chalicelib.api.requests import Strict
from chalicelib.api.routing import PUBLIC, route
from chalicelib.services.principal import Anonymous
from chalicelib.shapes.auth import SignInAnswer
from chalicelib.shapes.common import Accepted
from chalicelib.shapes.second_factor import SecondFactorAsked

blueprint = Blueprint(__name__)
TAG = "auth"
# The browser's binding cookie goes only to these routes (the confirmation is under this path).
COOKIE_PATH = "/api/auth/magic-link"


class LinkBody(Strict):
    model_config = ConfigDict(str_max_length=10_000)

    email: str = Field(min_length=1, max_length=254)


class LinkConfirmBody(Strict):
    model_config = ConfigDict(str_max_length=10_000)

    token: str = Field(min_length=10, max_length=200)


def _headers() -> dict[str, str]:
    return {k.lower(): v for k, v in (blueprint.current_request.headers or {}).items()}


@route(
    blueprint,
    "/api/auth/magic-link",
    method="POST",
    access=PUBLIC,
    body=LinkBody,
    status=202,
    tag=TAG,
    summary="Email a sign-in link (when enabled; 403 magic_link_off otherwise), valid 15 minutes, "
    "single-use, working only in this browser (an HttpOnly cookie binds it). The same answer "
    "whether or not the address has an account.",
    answers=Accepted,
)
def request_magic_link(caller: Anonymous, body: LinkBody) -> Response:
    from chalicelib.api.auth import _cookie
    from chalicelib.api.network import read_cookie
    from chalicelib.services import magic_links

    browser = magic_links.request_link(
        body.email, caller, read_cookie(_headers(), magic_links.BROWSER_COOKIE))
    answer: Accepted = {
        "ok": True, "message": "If an account exists for this address, we sent it a link.",
    }
    return Response(body=answer, status_code=202, headers={"Set-Cookie": _cookie(
        magic_links.BROWSER_COOKIE, browser, magic_links.BROWSER_SECONDS, path=COOKIE_PATH)})


@route(
    blueprint,
    "/api/auth/magic-link/confirm",
    method="POST",
    access=PUBLIC,
    body=LinkConfirmBody,
    tag=TAG,
    summary="Sign in with a mailed link, in the browser that asked for it: answers as sign-in "
    "does (the session, or the second factor to give). 400 invalid_token when spent or expired; "
    "403 magic_link_other_browser from another browser, which leaves the link usable.",
    answers=SignInAnswer | SecondFactorAsked,
)
def confirm_magic_link(caller: Anonymous, body: LinkConfirmBody) -> Response:
    from chalicelib.api.auth import sign_in_answer
    from chalicelib.api.network import read_cookie
    from chalicelib.services import magic_links

    headers = _headers()
    # Answered as a password sign-in is (the session, or the pending second factor), but a link
    # proves the mailbox, not the password: no device cookie (sessions.start_session).
    return sign_in_answer(magic_links.sign_in(
        body.token, read_cookie(headers, magic_links.BROWSER_COOKIE), caller,
        user_agent=headers.get("user-agent")))
