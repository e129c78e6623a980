"""One harness for every tier: environment before any import, one moto fixture whose account is
built once from the app's own definitions and emptied between tests, a chalice test client, a
fake clock and factories."""

from __future__ import annotations

import os

from tests.environment import TEST_ENVIRONMENT

os.environ.update(TEST_ENVIRONMENT)
os.environ.pop("AWS_ENDPOINT_URL", None)
os.environ.pop("AWS_PROFILE", None)

import functools
import gc
import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from chalice.test import Client

from chalicelib import clock
from chalicelib.adapters.aws import reset_clients
from chalicelib.services.settings import forget_cached_settings
from parley_dev.local.moto_atomic import make_dynamodb_atomic
from parley_dev.local.moto_speed import make_moto_faster
from tests.emulated_account import EmulatedAccount
from tests.frame_room import call_with_room

PASSWORD = "correct horse battery staple"

# moto checks conditions and writes without a lock; DynamoDB does both atomically.
make_dynamodb_atomic()
make_moto_faster()  # the same answers, with less work per request


class _RoomForFrames:
    """Runs the test loop through one roomy frame (why: tests/frame_room.py)."""

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> object:
        loop = session.config.pluginmanager.subset_hook_caller(
            "pytest_runtestloop", remove_plugins=[self])
        return call_with_room(loop, session=session)


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(_RoomForFrames(), "parley-frame-room")


def pytest_collection_finish(session: pytest.Session) -> None:
    # What importing the app, moto and botocore made lives as long as the process: out of the
    # garbage collector's way, so that each full collection looks only at what tests make, and
    # collections come less often (a request through moto makes thousands of short-lived
    # objects; reference counting frees nearly all of them).
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 20, 10)


class FakeClock:
    def __init__(self, start: float) -> None:
        self.now = start

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def fake_clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock(1_795_000_000.0)  # 2026-11-17
    monkeypatch.setattr(clock, "now", lambda: fake.now)
    return fake


_ACCOUNT = EmulatedAccount()


@pytest.fixture
def aws() -> Iterator[None]:
    """The emulated account, its resources built once and emptied after each test."""
    reset_clients()
    forget_cached_settings()
    _ACCOUNT.enter()
    try:
        yield
    finally:
        _ACCOUNT.leave()
        reset_clients()
        forget_cached_settings()


@pytest.fixture
def app_client(aws: None) -> Iterator[Client]:
    import app as app_module

    with Client(app_module.app, stage_name="test") as client:
        yield client


@pytest.fixture
def requests_per_thread(app_client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    """chalice.test keeps the current request on the shared app object; `chalice local` keeps it
    per thread (LocalChalice), as each Lambda invocation has its own. Tests that send requests
    from several threads at once need the latter."""
    from chalice.local import LocalChalice

    import app as app_module

    chalice_app = app_module.app
    per_thread = type("PerThreadRequestChalice", (LocalChalice, type(chalice_app)), {})
    monkeypatch.setattr(chalice_app, "__class__", per_thread)


@functools.cache
def _shape_checker(method: str, template: str) -> Any:
    from pydantic import TypeAdapter

    from chalicelib.api.routing import ROUTES

    spec = next(s for s in ROUTES if s.method == method and s.path == template)
    shape = spec.response_shape()
    if shape is None:
        return None
    return TypeAdapter(shape)


@functools.cache
def _route_templates() -> list[tuple[str, re.Pattern[str], str]]:
    from chalicelib.api.routing import ROUTES

    # A literal segment wins over a parameter (/tickets/search before /tickets/{ticket_id}).
    return [
        (s.method, re.compile(re.sub(r"\{\w+\}", "[^/]+", s.path) + "$"), s.path)
        for s in sorted(ROUTES, key=lambda s: s.path.count("{"))
    ]


def check_answer_shape(method: str, path: str, payload: Any) -> None:
    """Check a successful answer against the shape its route declares (chalicelib/shapes)."""
    bare = path.split("?", 1)[0]
    for route_method, pattern, template in _route_templates():
        if route_method == method and pattern.match(bare):
            checker = _shape_checker(method, template)
            if checker is not None:
                # Every key the answer has is in its shape, of the declared type: what the
                # OpenAPI document promises is what a client gets. (Given when validating: a
                # TypedDict takes no config from its TypeAdapter.)
                checker.validate_python(payload, strict=True, extra="forbid")
            return


class Api:
    """Thin JSON helper around the chalice test client."""

    def __init__(self, client: Client) -> None:
        self.client = client

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        token: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any, dict[str, Any]]:
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        if token:
            all_headers["Authorization"] = f"Bearer {token}"
        raw = json.dumps(body) if body is not None and not isinstance(body, str) else body
        response = self.client.http.request(method, path, headers=all_headers, body=raw or b"")
        try:
            payload = json.loads(response.body) if response.body else None
        except ValueError:
            payload = response.body.decode()  # a page (/dev/mail), not a JSON answer to check
        else:
            if 200 <= response.status_code < 300 and payload is not None:
                check_answer_shape(method, path, payload)
        return response.status_code, payload, response.headers

    def login(self, email: str, password: str = PASSWORD, **kw: Any) -> str:
        status, body, _ = self.call(
            "POST", "/api/auth/login", {"email": email, "password": password}, **kw
        )
        assert status == 200, body
        return str(body["token"])


@pytest.fixture
def api(app_client: Client) -> Api:
    return Api(app_client)


@pytest.fixture
def make_org(aws: None) -> Callable[..., dict[str, Any]]:
    from chalicelib.services import orgs

    def build(name: str = "Acme") -> dict[str, Any]:
        return orgs.create_org(None, name)

    return build


_HASHES: dict[str, str] = {}


@pytest.fixture
def make_user(aws: None) -> Callable[..., dict[str, Any]]:
    from chalicelib.data import users as store
    from chalicelib.services.identity import public_user
    from chalicelib.services.passwords import hash_password

    counter = {"n": 0}

    def build(
        role: str = "customer",
        *,
        email: str | None = None,
        org_id: str | None = None,
        org_view: bool = False,
        password: str = PASSWORD,
        must_change_password: bool = False,
        status: str = "active",
        name: str | None = None,
        team_ids: list[str] | None = None,
    ) -> dict[str, Any]:
        counter["n"] += 1
        if password not in _HASHES:
            _HASHES[password] = hash_password(password)
        user = store.UserModel(
            user_id=f"u{counter['n']:04d}{role[:2]}",
            email=email or f"{role}{counter['n']}@example.test",
            name=name or f"{role.title()} {counter['n']}",
            role=role,
            org_id=org_id,
            org_view=org_view,
            password_hash=_HASHES[password],
            must_change_password=must_change_password,
            status=status,
            team_ids=set(team_ids) if team_ids else None,
            created_at=clock.now(),
        )
        store.create_user(user)
        return public_user(user)

    return build


@pytest.fixture
def sent_mail() -> Callable[[], list[dict[str, Any]]]:
    from chalicelib.adapters.dev_mail import sent_messages

    return sent_messages
