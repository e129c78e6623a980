"""Domain errors. The API edge turns each into its HTTP status and one JSON body:
{"error": {"code": "...", "message": "...", "details": ...}}. Nothing else about internals
reaches a client: validation problems are stable codes with the field's path, not pydantic's
messages. Every code has a message in each of the pages' languages
(tests/unit/test_error_codes.py collects them from the source)."""

from __future__ import annotations

import re
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails


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


class MethodNotAllowed(ParleyError):
    """A method no route has, on any path (the local server; API Gateway answers on AWS)."""

    status = 405
    code = "method_not_allowed"


# pydantic's error types, each turned into a stable code the pages translate: pydantic's own
# messages quote regular expressions and Python types, and are English only.
VALIDATION_CODES: dict[str, str] = {
    "missing": "required",
    "extra_forbidden": "unknown_field",
    "unexpected_keyword_argument": "unknown_field",
    "no_such_attribute": "unknown_field",
    "string_too_short": "too_short",
    "string_too_long": "too_long",
    "too_short": "too_few",
    "too_long": "too_many",
    "string_type": "not_text",
    "string_unicode": "not_text",
    "string_sub_type": "not_text",
    "int_type": "not_a_number",
    "int_parsing": "not_a_number",
    "int_parsing_size": "not_a_number",
    "int_from_float": "not_a_number",
    "float_type": "not_a_number",
    "float_parsing": "not_a_number",
    "finite_number": "not_a_number",
    "decimal_type": "not_a_number",
    "decimal_parsing": "not_a_number",
    "bool_type": "not_a_boolean",
    "bool_parsing": "not_a_boolean",
    "list_type": "not_a_list",
    "tuple_type": "not_a_list",
    "set_type": "not_a_list",
    "frozen_set_type": "not_a_list",
    "iterable_type": "not_a_list",
    "dict_type": "not_an_object",
    "mapping_type": "not_an_object",
    "model_type": "not_an_object",
    "model_attributes_type": "not_an_object",
    "dataclass_type": "not_an_object",
    "literal_error": "invalid_choice",
    "enum": "invalid_choice",
    "union_tag_invalid": "invalid_choice",
    "union_tag_not_found": "invalid_choice",
    "greater_than": "too_small",
    "greater_than_equal": "too_small",
    "less_than": "too_large",
    "less_than_equal": "too_large",
    "string_pattern_mismatch": "invalid_format",
    "url_parsing": "invalid_format",
    "url_scheme": "invalid_format",
    "url_syntax_violation": "invalid_format",
    "json_invalid": "invalid_json",
    "value_error": "invalid_value",
    "assertion_error": "invalid_value",
}
# A pattern that requires an "@" is an address pattern: say so rather than "wrong format".
EMAIL_CODE = "invalid_email"

# The English message of every code validation can give (the keys are those codes); the pages
# show their own translation instead.
VALIDATION_MESSAGES: dict[str, str] = {
    "required": "is required",
    "unknown_field": "is not a field this request takes",
    "too_short": "must have at least {limit} characters",
    "too_long": "may have at most {limit} characters",
    "too_few": "must have at least {limit} entries",
    "too_many": "may have at most {limit} entries",
    "not_text": "must be text",
    "not_a_number": "must be a whole number",
    "not_a_boolean": "must be true or false",
    "not_a_list": "must be a list",
    "not_an_object": "must be an object",
    "invalid_choice": "is not one of the choices",
    "too_small": "must be at least {limit}",
    "too_large": "may be at most {limit}",
    "invalid_format": "is not in the expected format",
    "invalid_email": "is not a valid email address",
    "invalid_json": "is not valid JSON",
    "invalid_value": "is not valid",
}
# The bound each constrained type reports, as one name: pages say "at most {limit}".
_LIMITS = ("max_length", "min_length", "le", "ge", "lt", "gt")
# Segments pydantic adds to a location for union members, validators and dict keys
# ("literal['all']", "function-after[...]", "[key]"): not fields a person would recognise.
_TAG = re.compile(r"[\[\](]")


def validation_details(exc: ValidationError) -> list[dict[str, Any]]:
    """One entry per problem: the field's path ("cc.0"), a stable code, numbers it needs, and an
    English sentence. Never pydantic's message, the value sent, or a pattern."""
    details: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    for err in exc.errors(include_url=False, include_input=False):
        path = ".".join(str(p) for p in err["loc"] if not _TAG.search(str(p)))
        ctx = err.get("ctx") or {}
        code = VALIDATION_CODES.get(err["type"], "invalid_value")
        if code == "invalid_format" and "@" in str(ctx.get("pattern", "")):
            code = EMAIL_CODE
        if code in ("too_short", "too_few") and ctx.get("min_length") == 1:
            code = "required"  # "at least 1 character" is a person's "fill this in"
        if (path, code) in seen:  # each member of a union reports the same field
            continue
        seen.add((path, code))
        detail: dict[str, Any] = {"field": path, "code": code}
        limit = next((ctx[name] for name in _LIMITS if name in ctx), None)
        if "{limit}" in VALIDATION_MESSAGES[code] and isinstance(limit, int | float):
            detail["limit"] = limit
        detail["message"] = _sentence(path, code, detail.get("limit"), err)
        details.append(detail)
    return details


def _sentence(path: str, code: str, limit: Any, err: ErrorDetails) -> str:
    if code == "invalid_value" and err["type"] == "value_error":
        # Our own validators' words (ValueError("each choice may appear only once")), after
        # the field they are about: "Options: each choice may appear only once."
        reason = str(err["msg"]).removeprefix("Value error, ").rstrip(".")
        if not path:  # a rule across fields: its words stand alone
            return f"{reason[:1].upper()}{reason[1:]}."
        return f"{field_words(path)}: {reason}."
    reason = VALIDATION_MESSAGES[code].format(limit=limit)
    return f"{field_words(path)} {reason}." if path else f"The request body {reason}."


def field_words(path: str) -> str:
    """A field's path in words: "support_alert_recipients.cc.0" is "Support alert recipients,
    cc #1" (the pages use their own labels)."""
    words: list[str] = []
    for part in path.split("."):
        if part.isdigit() and words:
            words[-1] += f" #{int(part) + 1}"
        else:
            words.append(part.replace("_", " "))
    text = ", ".join(words)
    return text[:1].upper() + text[1:]


def invalid_fields(exc: ValidationError, message: str | None = None) -> InvalidInput:
    """The refusal of a body or query string its model does not accept; `details` names each
    field and its problem. `message` keeps a caller's own summary."""
    details = validation_details(exc)
    first = details[0]["message"] if details else "The request is not valid."
    return InvalidInput(message or first, details=details)
