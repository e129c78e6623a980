"""What the sign-in, session and account routes answer."""

from __future__ import annotations

from typing_extensions import TypedDict

from chalicelib.shapes.suppressions import MailSuppression
from chalicelib.shapes.users import User


class SignInAnswer(TypedDict):
    user: User
    token: str  # for API clients; browsers use the HttpOnly cookie set with it
    csrf_token: str  # sent back as `Authorization: CSRF <token>` with the cookie
    expires_in: int  # seconds, at the latest


class Me(TypedDict):
    user: User
    mail_suppressed: MailSuppression | None  # why the portal does not mail them, if it does not
    notifications: str  # every (message), digest (daily) or portal (no ticket mail)


class SessionStatus(TypedDict):
    """Epoch seconds, with the server's `now`: the browser's clock may be wrong."""

    idle_expires_at: float
    expires_at: float
    now: float
    idle_timeout_seconds: int


class ActiveSession(TypedDict):
    """One of the caller's signed-in browsers, as the profile page lists it."""

    id: str  # derived from the session's key, not the key
    browser: str  # "Firefox", "Chrome"...; "" when the User-Agent does not say
    os: str  # "Windows", "macOS", "Android"...; "" when it does not say
    signed_in_at: str
    last_seen_at: str
    current: bool  # the session this request came with


class SessionList(TypedDict):
    items: list[ActiveSession]


class SessionsEnded(TypedDict):
    ended: int  # how many sessions were signed out
