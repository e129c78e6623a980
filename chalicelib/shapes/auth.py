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


class SessionStatus(TypedDict):
    """Epoch seconds, with the server's `now`: the browser's clock may be wrong."""

    idle_expires_at: float
    expires_at: float
    now: float
    idle_timeout_seconds: int
