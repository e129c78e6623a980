"""How every route is declared: who may call it, what it accepts, and the one error path.

`route()` is the only way the blueprints register a view. It refuses requests that did not come
through CloudFront (where PARLEY_ORIGIN_VERIFY is set), attaches the session authorizer
(unless the route is explicitly PUBLIC), checks the caller's role and the password-change gate,
validates the JSON body and query string with pydantic, refuses path ids no object can have,
maps domain errors to `{"error": {"code", "message"}}`, and records the route for the OpenAPI
document.
"""

from __future__ import annotations

import functools
import json
import re
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import typing_extensions
from chalice.app import Blueprint, Request, Response
from pydantic import BaseModel, ValidationError

from chalicelib import clock
from chalicelib.api.authorizer import BACKGROUND_ROUTES, session_authorizer
from chalicelib.api.network import client_ip, require_origin
from chalicelib.errors import (
    Forbidden,
    InvalidInput,
    NotFound,
    ParleyError,
    PasswordChangeRequired,
    PayloadTooLarge,
    TooManyRequests,
    Unauthenticated,
    invalid_fields,
)
from chalicelib.observability import append_log_keys, get_logger
from chalicelib.services.principal import ADMIN, AGENT, CUSTOMER, Anonymous, Principal

PUBLIC: frozenset[str] = frozenset()
ANY_USER = frozenset({CUSTOMER, AGENT, ADMIN})
CUSTOMERS = frozenset({CUSTOMER})
STAFF = frozenset({AGENT, ADMIN})
ADMINS = frozenset({ADMIN})

MAX_BODY_BYTES = 256 * 1024

# Path ids go into DynamoDB keys, and DynamoDB answers a key over 2,048 bytes (1,024 for a sort
# key) with a ValidationException: a 500 (moto accepts any length, so only this check shows it).
# No id the app issues is longer than MAX_PATH_ID or has other characters (uuid hex, SES message
# ids, "<ticket>.<seq>" folder entries), so such an id names nothing: it gets the 404 of a missing
# object before anything is read.
MAX_PATH_ID = 128
_PATH_ID = re.compile(rf"[A-Za-z0-9._-]{{1,{MAX_PATH_ID}}}")
MISSING: dict[str, tuple[str, str]] = {
    "ticket_id": ("No such ticket.", "ticket_not_found"),
    "user_id": ("No such user.", "not_found"),
    "entry_id": ("No such message in your folders.", "entry_not_found"),
    "delivery_id": ("No such delivery.", "delivery_not_found"),
    "attachment_id": ("No such document.", "attachment_not_found"),
    "team_id": ("No such team.", "team_not_found"),
    "follower_id": ("No such follower.", "follower_not_found"),
    "canned_id": ("No such canned response.", "canned_not_found"),
    "passkey_id": ("No such passkey.", "passkey_not_found"),
    "provider_id": ("No such sign-in provider.", "sso_provider_not_found"),
}

SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


@dataclass(frozen=True)
class RouteSpec:
    path: str
    method: str
    access: frozenset[str]
    summary: str
    body: type[BaseModel] | None
    query: type[BaseModel] | None
    status: int
    tag: str
    before_password_change: bool
    responses: dict[int, str] = field(default_factory=dict)
    handler: Callable[..., Any] | None = None
    answers: Any = None

    def response_shape(self) -> Any | None:
        """What the view declares it answers (a TypedDict from chalicelib/shapes, or a list of
        one): `answers=` for a view that builds its own Response (a cookie, a redirect), else its
        return annotation; None when it declares no JSON shape. Read when the document is built
        or a test checks an answer, never at a cold start."""
        if self.answers is not None:
            return self.answers
        if self.handler is None:
            return None
        # Only the return annotation: parameters may name types imported for mypy alone. A shape
        # imported that way is not found here, and the route counts as undeclared.
        annotation = self.handler.__annotations__.get("return")
        try:
            shape = (eval(annotation, self.handler.__globals__)  # noqa: S307 - our own source
                     if isinstance(annotation, str) else annotation)
        except NameError:
            return None
        return shape if _is_shape(shape) else None


def _is_shape(annotation: Any) -> bool:
    """A TypedDict, a list of one, or a choice between them: what a client can rely on. A bare
    dict or a raw Response declares nothing."""
    # typing's own check does not know typing_extensions' TypedDict on Python 3.11.
    if typing_extensions.is_typeddict(annotation):
        return True
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) is list:
        return _is_shape(args[0])
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return all(_is_shape(arg) or arg is type(None) for arg in args)
    return False


ROUTES: list[RouteSpec] = []


def route(
    blueprint: Blueprint,
    path: str,
    *,
    method: str = "GET",
    access: frozenset[str],
    summary: str,
    tag: str,
    body: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    status: int = 200,
    before_password_change: bool = False,
    content_types: list[str] | None = None,
    refreshes_session: bool = True,
    polled_with: str | None = None,
    answers: Any = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a view. The view receives the caller (Principal, or Anonymous for PUBLIC routes),
    the URL parameters, and `body` / `query` when models are given.

    `refreshes_session=False` marks a route the page polls: authenticated, but no activity of the
    person's, so it never moves the idle clock; `polled_with="after"` marks only the requests
    carrying that query parameter so."""
    background = not refreshes_session or polled_with is not None
    poll = None if not refreshes_session else polled_with
    listed = (method, path) in BACKGROUND_ROUTES
    if listed != background or (listed and BACKGROUND_ROUTES[(method, path)] != poll):
        raise RuntimeError(f"{method} {path}: its background flag and the authorizer's "
                           "BACKGROUND_ROUTES disagree (chalicelib/api/authorizer.py)")

    def decorator(fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def view(**params: Any) -> Response:
            request = blueprint.current_request
            try:
                caller = _caller(request, access, before_password_change)
                session_headers = _session_headers(request)
                kwargs: dict[str, Any] = dict(params)
                if body is not None:
                    kwargs["body"] = _validate(body, _json_body(request))
                if query is not None:
                    kwargs["query"] = _validate(query, dict(request.query_params or {}))
                _check_path_ids(params)
                # Every route on one ticket (its replies, console actions, documents): each
                # later log line of the request names the ticket. Ticket creation adds it once
                # the ticket exists (services/tickets/create.py).
                append_log_keys(ticket_id=params.get("ticket_id"))
                result = fn(caller, **kwargs)
            except ParleyError as exc:
                return error_response(exc)
            except Exception:
                get_logger().exception("unhandled error", extra={"path": path, "method": method})
                return Response(
                    body={"error": {"code": "internal", "message": "Something went wrong."}},
                    status_code=500,
                    headers=dict(SECURITY_HEADERS),
                )
            if isinstance(result, Response):
                result.headers = {**SECURITY_HEADERS, **session_headers, **(result.headers or {})}
                return result
            return Response(
                body=result, status_code=status, headers={**SECURITY_HEADERS, **session_headers}
            )

        blueprint.route(
            path,
            methods=[method],
            authorizer=None if access is PUBLIC else session_authorizer,
            content_types=content_types or ["application/json"],
        )(view)
        ROUTES.append(
            RouteSpec(
                path, method, access, summary, body, query, status, tag, before_password_change,
                handler=fn, answers=answers,
            )
        )
        return fn

    return decorator


def error_response(exc: ParleyError) -> Response:
    if isinstance(exc, InvalidInput) and isinstance(exc.__cause__, ValidationError):
        # A service that validates its own model (the portal settings) raises from pydantic's
        # error: its details become codes and field paths here too, never pydantic's words.
        exc = invalid_fields(exc.__cause__, exc.message)
    headers: dict[str, str | list[str]] = dict(SECURITY_HEADERS)
    if isinstance(exc, TooManyRequests):
        headers["Retry-After"] = str(exc.retry_after)
    return Response(body=exc.body(), status_code=exc.status, headers=headers)


def _caller(
    request: Request, access: frozenset[str], before_password_change: bool
) -> Principal | Anonymous:
    identity = (request.context or {}).get("identity") or {}
    headers = {k.lower(): v for k, v in (request.headers or {}).items()}
    # First, for public routes too: sign-in and registration are what the throttles guard.
    require_origin(headers)
    if access is PUBLIC:
        return Anonymous(source_ip=client_ip(headers, identity.get("sourceIp")))
    ctx = (request.context or {}).get("authorizer") or {}
    if ctx.get("error_code"):
        status = int(ctx.get("error_status", 401))
        error_class = Forbidden if status == 403 else Unauthenticated
        reason = ctx.get("error_reason")
        raise error_class(
            str(ctx.get("error_message", "Sign in first.")),
            code=ctx["error_code"],
            details={"reason": str(reason)} if reason else None,
        )
    if not ctx.get("user_id"):
        raise Unauthenticated("Sign in first.")
    principal = Principal(
        user_id=str(ctx["user_id"]),
        role=str(ctx["role"]),
        org_id=str(ctx.get("org_id") or "") or None,
        org_view=_truthy(ctx.get("org_view")),
        session_hash=str(ctx["session_hash"]),
        must_change_password=_truthy(ctx.get("must_change_password")),
        source_ip=str(ctx.get("source_ip") or "") or None,
    )
    if principal.must_change_password and not before_password_change:
        raise PasswordChangeRequired("Change your temporary password before anything else.")
    if principal.role not in access:
        # Staff-only and admin-only areas are not secret, so a plain 403 (audited) is honest.
        from chalicelib.services import audit

        audit.record("access.denied", actor=principal, target=request.path, outcome="denied")
        raise Forbidden("Your account may not do this.")
    return principal


def _session_headers(request: Request) -> dict[str, str]:
    """How long the caller's session lasts without activity, on every answer to a signed-in
    request: the page warns a minute before without asking (or trusting its own clock)."""
    ctx = (request.context or {}).get("authorizer") or {}
    if not ctx.get("idle_expires_at"):
        return {}
    ends_at = min(float(ctx["idle_expires_at"]), float(ctx.get("expires_at") or "inf"))
    return {"X-Session-Ends-In": str(max(0, int(ends_at - clock.now())))}


def _check_path_ids(params: dict[str, Any]) -> None:
    for name, value in params.items():
        if name.endswith("_id") and not _PATH_ID.fullmatch(str(value)):
            message, code = MISSING.get(name, ("Not found.", "not_found"))
            raise NotFound(message, code=code)


def _truthy(value: Any) -> bool:
    # API Gateway hands authorizer context values to the route as strings.
    return value is True or str(value).lower() == "true"


def _json_body(request: Request) -> Any:
    raw = request.raw_body or b""
    if len(raw) > MAX_BODY_BYTES:
        raise PayloadTooLarge(
            f"The request body is larger than {MAX_BODY_BYTES // 1024} KB.",
            details={"max_bytes": MAX_BODY_BYTES},
        )
    if not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except RecursionError as exc:  # "[[[[..." nested past the parser's stack: hostile, not a bug
        raise InvalidInput("The request body is nested too deeply.", code="invalid_json") from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput("The request body is not valid JSON.", code="invalid_json") from exc


def _validate(model: type[BaseModel], data: Any) -> BaseModel:
    if not isinstance(data, dict):
        raise InvalidInput("The request body must be a JSON object.")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise invalid_fields(exc) from exc


def not_found(what: str = "Not found.") -> NotFound:
    return NotFound(what)
