"""Helpers shared by the accounts / sign-in / sessions tests: what a browser keeps after signing
in, links and passwords read from the mails, and counters on what reaches DynamoDB."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

from tests.conftest import PASSWORD, Api

STRONG_PASSWORD = "violet tractor lantern quay"  # not PASSWORD, not on any common list
OTHER_STRONG_PASSWORD = "mossy harbour kettle drum"


def cookies_set(headers: dict[str, Any]) -> dict[str, str]:
    """Set-Cookie lines by cookie name (the test client gives a list, or one string)."""
    raw = headers.get("Set-Cookie") or []
    lines = [raw] if isinstance(raw, str) else list(raw)
    return {line.split("=", 1)[0]: line for line in lines}


def cookie_value(line: str) -> str:
    return line.split(";", 1)[0].split("=", 1)[1]


def cookie_attributes(line: str) -> list[str]:
    return [part.strip() for part in line.split(";")[1:]]


@dataclass
class Browser:
    """What a browser holds after signing in: the session cookie, the device cookie and the CSRF
    token the page read from the login answer."""

    api: Api
    token: str
    csrf_token: str
    device_cookie: str
    user: dict[str, Any]

    def call(
        self, method: str, path: str, body: Any = None, csrf: str | None = None
    ) -> tuple[int, Any, dict[str, Any]]:
        return self.api.call(
            method,
            path,
            body,
            headers={
                "Cookie": f"parley_session={self.token}",
                "Authorization": f"CSRF {self.csrf_token if csrf is None else csrf}",
            },
        )


def sign_in(
    api: Api,
    email: str,
    password: str = PASSWORD,
    *,
    device_cookie: str | None = None,
    headers: dict[str, str] | None = None,
) -> Browser:
    all_headers = dict(headers or {})
    if device_cookie:
        all_headers["Cookie"] = f"parley_device={device_cookie}"
    status, body, response_headers = api.call(
        "POST", "/api/auth/login", {"email": email, "password": password}, headers=all_headers
    )
    assert status == 200, body
    cookies = cookies_set(response_headers)
    return Browser(
        api=api,
        token=body["token"],
        csrf_token=body["csrf_token"],
        device_cookie=cookie_value(cookies["parley_device"]),
        user=body["user"],
    )


def attempt_login(
    api: Api, email: str, password: str, headers: dict[str, str] | None = None
) -> tuple[int, Any, dict[str, Any]]:
    return api.call(
        "POST", "/api/auth/login", {"email": email, "password": password}, headers=headers
    )


def me_status(api: Api, token: str) -> int:
    return api.call("GET", "/api/me", token=token)[0]


def mails_to(sent_mail: Any, address: str) -> list[dict[str, Any]]:
    """Mails sent to one address, newest first."""
    return [m for m in sent_mail() if address.casefold() in m["to"].casefold()]


def link_token(mail: dict[str, Any]) -> str:
    match = re.search(r"[?&]token=([A-Za-z0-9_\-]+)", mail["text"])
    assert match, mail["text"]
    return match.group(1)


def temporary_password(mail: dict[str, Any]) -> str:
    match = re.search(r"Temporary password: (\S+)", mail["text"])
    assert match, mail["text"]
    return match.group(1)


def sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def table_items(model: Any) -> list[dict[str, Any]]:
    """Every raw item of a model's table, read straight from DynamoDB (tests only: a Scan)."""
    client = boto3.client("dynamodb", region_name=model.Meta.region)
    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"TableName": model.Meta.table_name, "ConsistentRead": True}
    while True:
        page = client.scan(**kwargs)
        items.extend(page["Items"])
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def raw_session_item(token: str) -> dict[str, Any] | None:
    from chalicelib.data.sessions import SessionModel

    client = boto3.client("dynamodb", region_name=SessionModel.Meta.region)
    found = client.get_item(
        TableName=SessionModel.Meta.table_name,
        Key={"session_hash": {"S": sha256(token)}},
        ConsistentRead=True,
    )
    return found.get("Item")


@contextmanager
def session_writes() -> Iterator[list[dict[str, Any]]]:
    """UpdateItem calls on the sessions table, counted on PynamoDB's own botocore client."""
    from chalicelib.data.sessions import SessionModel

    client = SessionModel._get_connection().connection.client
    table = SessionModel.Meta.table_name
    calls: list[dict[str, Any]] = []

    def hook(params: dict[str, Any], **_: Any) -> None:
        if params.get("TableName") == table:
            calls.append(params)

    event = "before-parameter-build.dynamodb.UpdateItem"
    client.meta.events.register(event, hook)
    try:
        yield calls
    finally:
        client.meta.events.unregister(event, hook)


def trusted_proxy_hops(hops: int) -> Any:
    """Run the app as if `hops` proxies (CloudFront) stood in front of API Gateway."""
    return environment(PARLEY_TRUSTED_PROXY_HOPS=str(hops))


@contextmanager
def environment(**values: str) -> Iterator[None]:
    """Deployment settings from other environment values, restored afterwards."""
    from chalicelib.config import get_settings

    with pytest.MonkeyPatch.context() as mp:
        for name, value in values.items():
            mp.setenv(name, value)
        get_settings.cache_clear()
        try:
            yield
        finally:
            mp.undo()
            get_settings.cache_clear()


ROLES = ("customer", "agent", "admin")


class Callers:
    """One signed-in user per role, created on first use (each sign-in costs one argon2 hash)."""

    def __init__(self, api: Api, make_org: Any, make_user: Any, **user_options: Any) -> None:
        self.api = api
        self.make_org = make_org
        self.make_user = make_user
        self.user_options = user_options
        self.tokens: dict[str, str] = {}

        self.emails: dict[str, str] = {}

    def token(self, role: str) -> str:
        if role not in self.emails:
            org_id = self.make_org(f"Org of the {role}")["id"] if role == "customer" else None
            self.emails[role] = self.make_user(role, org_id=org_id, **self.user_options)["email"]
        if role not in self.tokens:
            self.tokens[role] = self.api.login(self.emails[role])
        return self.tokens[role]

    def forget_ended_sessions(self) -> None:
        """After a call that may have signed someone out (logout), sign in again when needed."""
        for role, token in list(self.tokens.items()):
            if me_status(self.api, token) != 200:
                del self.tokens[role]


def concrete_path(path: str) -> str:
    """A URL for a route template: every parameter filled with a value that names nothing."""
    return re.sub(r"{\w+}", "x", path)


def route_id(spec: Any) -> str:
    return f"{spec.method} {spec.path}"


def assert_error_body(body: Any, code: str | None = None) -> None:
    """The one error shape: {"error": {"code": str, "message": str}}."""
    assert isinstance(body, dict) and set(body) == {"error"}, body
    error = body["error"]
    assert isinstance(error.get("code"), str) and error["code"], body
    assert isinstance(error.get("message"), str) and error["message"], body
    if code is not None:
        assert error["code"] == code, body
