"""Every refusal reaches a client in the one error shape, in words a page can translate: the
local server answers a method no route has with the JSON 405 (not http.server's 501 HTML page),
and a body its model refuses names each field and problem with a stable code, never pydantic's
message or a regular expression."""

from __future__ import annotations

import http.client
import json
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from chalice.config import Config

from tests.functional.auth_support import assert_error_body

pytestmark = pytest.mark.functional

UNKNOWN_METHODS = ("TRACE", "PROPFIND", "BREW", "CONNECT")
PATHS = ("/api/me", "/api/portal/tickets/0123456789abcdef", "/api/no/such/thing", "/",
         "/tickets")


@pytest.fixture
def local_server(aws: None) -> Iterator[int]:
    """The portal's own request handler (parley_dev/local/server.py) on a free port, serving the
    app against the in-process emulator; yields the port."""
    import app as app_module
    from parley_dev.local.server import create_server

    config = Config.create(chalice_stage="test", chalice_app=app_module.app)
    server = create_server(app_module.app, config, "127.0.0.1", 0)
    thread = threading.Thread(target=server.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(server.server.server_address[1])
    finally:
        server.shutdown()
        server.server.server_close()
        thread.join(timeout=10)


def request(port: int, method: str, path: str, body: bytes | None = None,
            headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def assert_json_refusal(status: int, headers: dict[str, str], raw: bytes,
                        expected_status: int, code: str) -> dict[str, Any]:
    assert status == expected_status, raw
    assert headers["content-type"] == "application/json", headers
    assert headers["x-content-type-options"] == "nosniff"
    body = json.loads(raw)
    assert_error_body(body, code)
    return dict(body["error"])


def test_a_method_no_route_has_is_the_json_405_on_every_path(local_server, subtests):
    for method in UNKNOWN_METHODS:
        for path in PATHS:
            with subtests.test(msg=f"{method} {path}"):
                # When a client sends a method nothing answers, with or without a body
                status, headers, raw = request(local_server, method, path, b"{}")
                # Then it gets the API's 405, never a 501 HTML page
                assert_json_refusal(status, headers, raw, 405, "method_not_allowed")


def test_a_method_the_route_lacks_is_the_same_405_naming_what_it_takes(local_server):
    status, headers, raw = request(local_server, "DELETE", "/api/auth/login")
    assert_json_refusal(status, headers, raw, 405, "method_not_allowed")
    assert headers["allow"] == "POST"


def test_a_path_no_route_has_is_a_json_404(local_server):
    # As API Gateway's refusal is on AWS (infra/parley_infra/chalice_app.py), not chalice
    # local's 403 "Missing Authentication Token"
    status, headers, raw = request(local_server, "GET", "/api/no/such/thing")
    assert_json_refusal(status, headers, raw, 404, "not_found")
    # And with a session token, the same 404, which does not quote the token back
    status, headers, raw = request(local_server, "GET", "/api/no/such/thing",
                                   headers={"Authorization": "Bearer secret-session-token"})
    assert_json_refusal(status, headers, raw, 404, "not_found")
    assert b"secret-session-token" not in raw


def test_a_request_the_http_server_cannot_read_is_a_json_4xx(local_server):
    # A header line longer than http.server reads: refused before any route runs
    with socket.create_connection(("127.0.0.1", local_server), timeout=10) as sock:
        sock.sendall(b"GET /api/me HTTP/1.1\r\nX-Long: " + b"a" * 70_000 + b"\r\n\r\n")
        answer = sock.makefile("rb").read()
    head, _, raw = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 431 "), head
    assert b"Content-Type: application/json" in head, head
    assert_error_body(json.loads(raw), "bad_request")


def test_a_method_no_route_has_leaves_the_connection_usable(local_server):
    # The refused request's body was never read: the server must not take it for the next
    # request on the same connection
    connection = http.client.HTTPConnection("127.0.0.1", local_server, timeout=10)
    try:
        connection.request("TRACE", "/api/me", body=b"GET /api/me HTTP/1.1\r\n\r\n")
        first = connection.getresponse()
        first.read()
        assert first.status == 405
        connection.request("GET", "/api/health")
        second = connection.getresponse()
        second.read()
        assert second.status != 405
    finally:
        connection.close()


def invalid_detail(body: Any, field: str) -> dict[str, Any]:
    assert_error_body(body, "invalid_input")
    details = {d["field"]: d for d in body["error"]["details"]}
    assert field in details, body
    return dict(details[field])


def test_an_invalid_cc_address_is_named_in_words_not_as_a_pattern(api, make_user, fake_clock):
    # Given an admin editing who else gets support alerts
    token = api.login(make_user("admin")["email"])
    # When one Cc address is not an address
    status, body, _ = api.call(
        "PATCH", "/api/admin/settings",
        {"support_alert_recipients": {"cc": ["not an address"]}}, token=token,
    )
    # Then the refusal names the field and the problem as a code, without pydantic's words
    assert status == 400, body
    detail = invalid_detail(body, "support_alert_recipients.cc.0")
    assert detail["code"] == "invalid_email"
    assert detail["message"] == "Support alert recipients, cc #1 is not a valid email address."
    text = json.dumps(body)
    assert "pattern" not in text and "^" not in text and "String should" not in text, text


def test_each_validation_problem_has_its_code_and_its_limit(api, make_org, make_user,
                                                             fake_clock):
    token = api.login(make_user("customer", org_id=make_org()["id"])["email"])
    cases = {
        "too long": ({"topic": "general", "subject": "s" * 201, "body": "Hello"},
                     "subject", "too_long", 200),
        "missing": ({"subject": "Hello", "body": "Hello"}, "topic", "required", None),
        "wrong type": ({"topic": "general", "subject": 5, "body": "Hello"},
                       "subject", "not_text", None),
        "unknown field": ({"topic": "general", "body": "Hi", "zzz": 1}, "zzz", "unknown_field",
                          None),
    }
    for label, (payload, field, code, limit) in cases.items():
        status, body, _ = api.call("POST", "/api/portal/tickets", payload, token=token)
        assert status == 400, (label, body)
        detail = invalid_detail(body, field)
        assert detail["code"] == code, (label, detail)
        assert detail.get("limit") == limit, (label, detail)
        assert body["error"]["message"] == detail["message"], body
    status, body, _ = api.call("PUT", f"/api/portal/tickets/{'a' * 32}/rating",
                               {"score": 9}, token=token)
    assert (status, invalid_detail(body, "score")["code"]) == (400, "too_large"), body
    assert invalid_detail(body, "score")["limit"] == 5


def test_a_query_value_out_of_its_choices_is_invalid_choice(api, make_user, fake_clock):
    token = api.login(make_user("customer")["email"])
    status, body, _ = api.call("GET", "/api/portal/tickets?status=maybe", token=token)
    assert status == 400, body
    assert invalid_detail(body, "status")["code"] == "invalid_choice"
    assert "literal" not in json.dumps(body)
