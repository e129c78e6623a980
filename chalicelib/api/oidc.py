"""Sign-in with an OpenID provider (services/oidc.py has the flow): the sign-in page's buttons,
the way out to the provider, the way back, and the session the page then asks for.

The start and the callback are browser navigations: they answer redirects, and a refusal along
the way ends on the sign-in page with its reason (`/login?sso_error=<code>`), never a JSON page.
A request no browser of ours sends (a malformed query, an unknown provider) is still a JSON 4xx.

Services are imported in the view: a cold start loads only what the route it answers needs."""

from __future__ import annotations

from chalice.app import Blueprint, Response
from pydantic import BaseModel, ConfigDict, Field

from chalicelib.api.routing import PUBLIC, route
from chalicelib.services.principal import Anonymous
from chalicelib.shapes.auth import SignInAnswer
from chalicelib.shapes.oidc import OfferedProviders

blueprint = Blueprint(__name__)
TAG = "auth"


class StartQuery(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    next: str | None = Field(None, max_length=1000,
                             description="A path of the portal to return to once signed in")


class CallbackQuery(BaseModel):
    """What the provider sends back (RFC 6749 4.1.2, RFC 9207). Parameters a provider adds
    beside them (session_state, error_description...) are ignored, not refused: the browser
    carries them, and its person must not meet a refusal for them."""

    model_config = ConfigDict(extra="ignore", defer_build=True)

    code: str | None = Field(None, max_length=4096)
    state: str | None = Field(None, max_length=200)
    iss: str | None = Field(None, max_length=500)
    error: str | None = Field(None, max_length=200)


def _headers() -> dict[str, str]:
    return {k.lower(): v for k, v in (blueprint.current_request.headers or {}).items()}


def _flow_cookie(value: str) -> str:
    from chalicelib.api.auth import _cookie
    from chalicelib.services.oidc import COOKIE_PATH, FLOW_COOKIE, FLOW_SECONDS

    return _cookie(FLOW_COOKIE, value, FLOW_SECONDS if value else 0, path=COOKIE_PATH)


def _redirect(location: str, cookie: str | None) -> Response:
    headers: dict[str, str | list[str]] = {"Location": location}
    if cookie is not None:
        headers["Set-Cookie"] = _flow_cookie(cookie)
    return Response(body="", status_code=302, headers=headers)


@route(blueprint, "/api/auth/oidc/providers", access=PUBLIC, tag=TAG,
       summary="The OpenID providers the sign-in page offers (\"Sign in with ...\").")
def providers(caller: Anonymous) -> OfferedProviders:
    from chalicelib.services import oidc

    return {"providers": oidc.offered()}


@route(blueprint, "/api/auth/oidc/{provider_id}/start", access=PUBLIC, query=StartQuery,
       status=302, tag=TAG,
       summary="Sign in with this provider: a redirect to its authorization endpoint (code flow "
       "with PKCE, state and nonce), the flow bound to this browser by a cookie.")
def start(caller: Anonymous, provider_id: str, query: StartQuery) -> Response:
    from chalicelib.services import oidc

    went = oidc.start(provider_id, query.next, caller.source_ip)
    return _redirect(went.location, went.cookie)


@route(blueprint, "/api/auth/oidc/{provider_id}/callback", access=PUBLIC, query=CallbackQuery,
       status=302, tag=TAG,
       summary="Where the provider sends the browser back: the code is exchanged and the ID "
       "token checked, then a redirect to the sign-in page, which finishes signing in "
       "(/login?sso=done) or says why not (/login?sso_error=<code>).")
def callback(caller: Anonymous, provider_id: str, query: CallbackQuery) -> Response:
    from chalicelib.api.network import read_cookie
    from chalicelib.services import oidc

    went = oidc.callback(
        provider_id, code=query.code, state=query.state, issuer=query.iss, error=query.error,
        cookie=read_cookie(_headers(), oidc.FLOW_COOKIE), caller=caller,
    )
    return _redirect(went.location, went.cookie)


@route(blueprint, "/api/auth/oidc/complete", method="POST", access=PUBLIC, tag=TAG,
       summary="Finish the sign-in this browser's provider just proved (once, within two "
       "minutes): answers and sets cookies as sign-in does. No second-factor step: the "
       "provider applies its own.", answers=SignInAnswer)
def complete(caller: Anonymous) -> Response:
    from chalicelib.api.auth import _signed_in
    from chalicelib.api.network import read_cookie
    from chalicelib.services import oidc

    headers = _headers()
    signed_in = oidc.complete(read_cookie(headers, oidc.FLOW_COOKIE), caller,
                              headers.get("user-agent"))
    answer = _signed_in(signed_in)
    cookies = answer.headers["Set-Cookie"]
    answer.headers["Set-Cookie"] = [
        *(cookies if isinstance(cookies, list) else [cookies]), _flow_cookie("")]
    return answer
