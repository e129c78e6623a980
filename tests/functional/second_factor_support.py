"""Helpers of the second-factor tests: a person who signs in with a password and then a code
from an authenticator app (pyotp, at the tests' clock), as a browser does: the pending cookie
from the first answer, the session cookie from the last."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pyotp

from chalicelib import clock
from tests.conftest import PASSWORD, Api
from tests.functional.auth_support import Browser, cookie_value, cookies_set, sign_in


def code_at(secret: str, at: float) -> str:
    return pyotp.TOTP(secret).at(int(at))


@dataclass
class Person:
    api: Api
    email: str
    password: str = PASSWORD
    secret: str = ""
    recovery_codes: list[str] = field(default_factory=list)

    def code(self, offset_steps: int = 0) -> str:
        return code_at(self.secret, clock.now() + 30 * offset_steps)

    def password_step(self, headers: dict[str, str] | None = None) -> tuple[int, Any, str | None]:
        """The first factor: the answer, and the pending cookie it set (if any)."""
        status, body, response_headers = self.api.call(
            "POST", "/api/auth/login", {"email": self.email, "password": self.password},
            headers=headers)
        pending = cookies_set(response_headers).get("parley_pending")
        return status, body, cookie_value(pending) if pending else None

    def second_step(self, pending: str | None, code: str,
                    path: str = "/api/auth/second-factor") -> tuple[int, Any, dict[str, Any]]:
        headers = {"Cookie": f"parley_pending={pending}"} if pending else {}
        return self.api.call("POST", path, {"code": code}, headers=headers)

    def sign_in(self, code: str | None = None) -> Browser:
        """Password, then (when asked) a code: a signed-in browser."""
        status, body, pending = self.password_step()
        assert status == 200, body
        if "second_factor" not in body:
            return browser_from(self.api, body, {})
        status, body, headers = self.second_step(pending, code or self.code())
        assert status == 200, body
        return browser_from(self.api, body, headers)

    def enrol(self, browser: Browser) -> Browser:
        """Set up TOTP from the Security section; keeps the secret and the recovery codes."""
        status, setup, _ = browser.call("POST", "/api/me/second-factor/totp")
        assert status == 200, setup
        self.secret = setup["secret"]
        status, body, _ = browser.call("POST", "/api/me/second-factor/totp/confirm",
                                       {"code": self.code()})
        assert status == 200, body
        self.recovery_codes = body["recovery_codes"]
        return browser


def browser_from(api: Api, body: dict[str, Any], headers: dict[str, Any]) -> Browser:
    cookies = cookies_set(headers)
    device = cookies.get("parley_device")
    return Browser(api=api, token=body["token"], csrf_token=body["csrf_token"],
                   device_cookie=cookie_value(device) if device else "", user=body["user"])


def enrolled_person(api: Api, make_user: Any, role: str = "customer", **kw: Any) -> Person:
    user = make_user(role, **kw)
    person = Person(api, user["email"])
    person.enrol(sign_in(api, user["email"]))
    return person
