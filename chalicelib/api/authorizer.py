"""The session authorizer: Chalice's builtin custom authorizer, fed the request headers.

Chalice's stock authorizer only sees the Authorization header. Browsers keep the session token
in an HttpOnly cookie, so this one also reads the Cookie header: the local gateway and the test
client hand the authorizer the whole request, and infra/ deploys it as a REQUEST authorizer so
API Gateway does the same.

It never denies by itself: it establishes who is calling (or why nobody valid is) and the route
layer turns that into the answer, so every refusal has the same JSON shape and status locally and
on AWS. A route without this authorizer cannot be registered except as explicitly public.

Every route module imports this one (through api/routing.py), so the sessions service is
imported in the authorizer's function: a route's cold start does not load it for nothing (on AWS
the authorizer is a function of its own).
"""

from __future__ import annotations

from typing import Any

from chalice.app import AuthRequest, AuthResponse, Blueprint, ChaliceAuthorizer

from chalicelib.api.network import client_ip, read_cookie, require_origin
from chalicelib.errors import ParleyError, Unauthenticated
from chalicelib.observability import in_invocation


class SessionAuthRequest(AuthRequest):
    def __init__(self, event: dict[str, Any], context: Any = None) -> None:
        super().__init__(
            event.get("type", "REQUEST"), event.get("authorizationToken", ""), event["methodArn"]
        )
        self.context = context  # the Lambda context, as chalice's event objects carry it
        self.headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
        if "authorization" not in self.headers and self.token:
            self.headers["authorization"] = self.token
        request_context = event.get("requestContext") or {}
        identity = request_context.get("identity") or {}
        self.source_ip = client_ip(self.headers, identity.get("sourceIp"))
        # The route template and the query names: whether the request is a background refresh is
        # the route's to say, never the client's (both the local gateway and API Gateway's
        # REQUEST authorizer event carry them).
        self.route_key = (
            str(request_context.get("httpMethod") or event.get("httpMethod") or ""),
            str(request_context.get("resourcePath") or event.get("resource") or ""),
        )
        self.query_names = frozenset(
            (event.get("multiValueQueryStringParameters") or {})
            | (event.get("queryStringParameters") or {})
        )


class SessionAuthorizer(ChaliceAuthorizer):
    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        # chalice's own __call__ drops the Lambda context; the request carries it here.
        auth_request = SessionAuthRequest(event, context)
        result = self.func(auth_request)
        if isinstance(result, AuthResponse):
            return result.to_dict(auth_request)
        return result

    def _transform_event(self, event: dict[str, Any]) -> AuthRequest:
        return SessionAuthRequest(event)


class _Blueprint(Blueprint):
    def _wrap_handler(self, handler_type: str, handler_name: str, user_handler: Any) -> Any:
        if handler_type == "authorizer":
            return SessionAuthorizer(handler_name, user_handler)
        return super()._wrap_handler(handler_type, handler_name, user_handler)


blueprint = _Blueprint(__name__)

# Routes the page polls: a request to one is authenticated but is not a person's activity, so
# it never moves the idle clock. The value names the query parameter that makes a request a poll
# (`?after=`), or is None when every request to the route is one. Written here, not collected
# from the routes: deployed, the authorizer is a Lambda function of its own that imports this
# module and none of the routes. route() checks each route's declaration against this table at
# import, so the two cannot drift apart.
BACKGROUND_ROUTES: dict[tuple[str, str], str | None] = {
    ("GET", "/api/auth/session"): None,
    ("GET", "/api/notifications/unread-count"): None,
    ("GET", "/api/notifications/live"): None,
    ("GET", "/api/portal/folders"): None,
    ("GET", "/api/portal/tickets/{ticket_id}/messages"): "after",
    # What a live update showed on an open ticket is read: the update's doing, not the person's.
    ("POST", "/api/portal/tickets/{ticket_id}/read"): None,
    ("GET", "/api/console/tickets/{ticket_id}/messages"): "after",
    # What the page reads again when a live update arrives (`?refresh=1`, RefreshQuery).
    ("GET", "/api/portal/tickets/{ticket_id}"): "refresh",
    ("GET", "/api/console/tickets/{ticket_id}"): "refresh",
    ("GET", "/api/portal/tickets/{ticket_id}/attachments"): "refresh",
    ("GET", "/api/console/tickets/{ticket_id}/attachments"): "refresh",
    # The console's list, read again on a queue frame or its fallback poll (console/queue.js).
    ("GET", "/api/console/tickets"): "refresh",
    # The console's presence heartbeat (api/presence.py): a page left open beats on its own.
    ("PUT", "/api/console/tickets/{ticket_id}/presence"): None,
    ("DELETE", "/api/console/tickets/{ticket_id}/presence"): None,
}


def refreshes_session(route_key: tuple[str, str], query_names: frozenset[str]) -> bool:
    if route_key not in BACKGROUND_ROUTES:
        return True
    polled_with = BACKGROUND_ROUTES[route_key]
    return polled_with is not None and polled_with not in query_names


@blueprint.authorizer(ttl_seconds=0)
@in_invocation
def session_authorizer(auth_request: SessionAuthRequest) -> AuthResponse:
    from chalicelib.services import sessions

    try:
        # A request that bypassed CloudFront is refused without a session lookup (route() answers).
        require_origin(auth_request.headers)
        token, csrf = _credentials(auth_request.headers)
        checked = sessions.check_session(
            token,
            csrf,
            auth_request.source_ip,
            refreshes=refreshes_session(auth_request.route_key, auth_request.query_names),
        )
    except ParleyError as exc:
        return AuthResponse(
            routes=["*"],
            principal_id="anonymous",
            context=_context({
                "error_status": exc.status,
                "error_code": exc.code,
                "error_message": exc.message,
                "error_reason": (exc.details or {}).get("reason", "")
                if isinstance(exc.details, dict) else "",
            }),
        )
    principal = checked.principal
    return AuthResponse(
        routes=["*"],
        principal_id=principal.user_id,
        context=_context({
            "user_id": principal.user_id,
            "role": principal.role,
            "org_id": principal.org_id or "",
            "org_view": principal.org_view,
            "session_hash": principal.session_hash,
            "must_change_password": principal.must_change_password,
            "source_ip": principal.source_ip or "",
            "idle_expires_at": checked.idle_expires_at,
            "expires_at": checked.expires_at,
        }),
    )


def _context(values: dict[str, Any]) -> Any:
    # API Gateway's authorizer context holds strings, numbers and booleans; chalice's annotation
    # says strings only.
    return values


def _credentials(headers: dict[str, str]) -> tuple[str, str | None]:
    """API clients send `Authorization: Bearer <token>`. Browsers hold the token in an HttpOnly
    cookie and send `Authorization: CSRF <csrf token>`: a header a cross-site page can neither
    read nor set, so every cookie-authenticated request carries its CSRF proof."""
    scheme, _, credential = headers.get("authorization", "").strip().partition(" ")
    credential = credential.strip()
    if scheme.lower() == "bearer" and credential:
        return credential, None
    if scheme.lower() == "csrf" and credential:
        from chalicelib.services.sessions import SESSION_COOKIE

        return read_cookie(headers, SESSION_COOKIE) or "", credential
    raise Unauthenticated("Sign in first.", code="unauthenticated")
