"""Domain errors. The API edge turns each into its HTTP status and one JSON body:
{"error": {"code": "...", "message": "..."}}. Nothing else about internals reaches a client."""

from __future__ import annotations

from typing import Any


class ParleyError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.details = details

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details is not None:
            error["details"] = self.details
        return {"error": error}


class InvalidInput(ParleyError):
    status = 400
    code = "invalid_input"


class Unauthenticated(ParleyError):
    status = 401
    code = "unauthenticated"


class Forbidden(ParleyError):
    status = 403
    code = "forbidden"


class PasswordChangeRequired(Forbidden):
    code = "password_change_required"


class NotFound(ParleyError):
    status = 404
    code = "not_found"


class Conflict(ParleyError):
    status = 409
    code = "conflict"


class Unprocessable(ParleyError):
    """Well-formed, but its content is not acceptable (an uploaded file that is not what it
    claims to be)."""

    status = 422
    code = "unprocessable"


class PayloadTooLarge(ParleyError):
    status = 413
    code = "payload_too_large"


class TooManyRequests(ParleyError):
    status = 429
    code = "too_many_requests"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message, details={"retry_after": retry_after})
        self.retry_after = retry_after
