"""Bad input gets a 4xx answer in the one error shape, never a 500: malformed JSON, bodies that
are not objects, unknown fields, wrong types, oversized bodies, bad query values. Every route
that takes a body or a query string is covered, including routes added later."""

from __future__ import annotations

import json

import pytest

import app  # noqa: F401 - importing the app registers every route in ROUTES
from chalicelib.api.routing import MAX_BODY_BYTES, PUBLIC, ROUTES
from tests.functional.auth_support import Callers, assert_error_body, concrete_path, route_id

pytestmark = pytest.mark.functional

WITH_BODY = [spec for spec in ROUTES if spec.body is not None]
WITH_QUERY = [spec for spec in ROUTES if spec.query is not None]
UNPARSABLE = {
    "invalid JSON": "{",
    "a JSON array": "[1, 2]",
    "JSON null": "null",
    "a JSON string": '"hello"',
    "truncated object": '{"email": "a@b.c", ',
}


def caller_token(callers, spec):
    return None if spec.access is PUBLIC else callers.token(sorted(spec.access)[0])


def error_fields(body):
    return [detail["field"] for detail in body["error"].get("details") or []]


def invalid_query_value(schema):
    """A value the field's schema refuses, or None when any string is acceptable."""
    options = [s for s in schema.get("anyOf", [schema]) if s.get("type") != "null"]
    option = options[0] if options else {}
    if "enum" in option or "const" in option:
        return "zzz-not-a-choice"
    if option.get("type") == "integer":
        return "abc"
    if option.get("type") == "boolean":
        return "maybe"
    if "maxLength" in option:
        return "a" * (option["maxLength"] + 1)
    return None


def test_every_body_route_refuses_malformed_bodies_with_400(
    api, make_org, make_user, subtests, fake_clock
):
    callers = Callers(api, make_org, make_user)
    for spec in WITH_BODY:
        token = caller_token(callers, spec)
        path = concrete_path(spec.path)
        for label, raw in UNPARSABLE.items():
            with subtests.test(msg=f"{route_id(spec)}: {label}"):
                status, body, _ = api.call(spec.method, path, raw, token=token)
                assert status == 400, body
                assert_error_body(body)


def test_every_body_route_refuses_unknown_fields_and_wrong_types(
    api, make_org, make_user, subtests, fake_clock
):
    callers = Callers(api, make_org, make_user)
    for spec in WITH_BODY:
        token = caller_token(callers, spec)
        path = concrete_path(spec.path)
        with subtests.test(msg=f"{route_id(spec)}: unknown field"):
            status, body, _ = api.call(spec.method, path, {"zzz_unexpected": 1}, token=token)
            assert status == 400, body
            assert "zzz_unexpected" in error_fields(body), body
        for field in spec.body.model_fields:
            with subtests.test(msg=f"{route_id(spec)}: {field} of the wrong type"):
                wrong = {field: {"nested": {"deeper": [1]}}}
                status, body, _ = api.call(spec.method, path, wrong, token=token)
                assert status == 400, body
                assert any(f.split(".")[0] == field for f in error_fields(body)), body


def test_every_body_route_refuses_an_oversized_body_with_413(
    api, make_org, make_user, subtests, fake_clock
):
    callers = Callers(api, make_org, make_user)
    huge = json.dumps({"padding": "x" * (MAX_BODY_BYTES + 1)})
    for spec in WITH_BODY:
        with subtests.test(msg=route_id(spec)):
            status, body, _ = api.call(
                spec.method, concrete_path(spec.path), huge, token=caller_token(callers, spec)
            )
            assert status == 413, body
            assert_error_body(body, "payload_too_large")


def test_every_query_route_refuses_values_its_fields_do_not_allow(
    api, make_org, make_user, subtests, fake_clock
):
    from urllib.parse import quote

    callers = Callers(api, make_org, make_user)
    for spec in WITH_QUERY:
        token = caller_token(callers, spec)
        for field, schema in spec.query.model_json_schema()["properties"].items():
            value = invalid_query_value(schema)
            if value is None:
                continue
            with subtests.test(msg=f"{route_id(spec)}?{field}={value[:20]}"):
                path = f"{concrete_path(spec.path)}?{field}={quote(value)}"
                status, body, _ = api.call(spec.method, path, token=token)
                assert status == 400, body
                assert field in error_fields(body), body


def test_list_cursors_that_were_not_issued_by_the_server_are_refused(
    api, make_user, subtests, fake_clock
):
    token = api.login(make_user("admin")["email"])
    for path in ("/api/admin/users", "/api/admin/orgs", "/api/admin/audit"):
        for cursor in ("not-a-cursor", "eyJ1c2VyX2lkIjogIngifS5mb3JnZWQ", "%%%"):
            with subtests.test(msg=f"{path}?cursor={cursor}"):
                status, body, _ = api.call("GET", f"{path}?cursor={cursor}", token=token)
                assert status == 400, body
                assert_error_body(body, "invalid_cursor")


def test_invalid_settings_are_refused_and_change_nothing(api, make_user, subtests, fake_clock):
    token = api.login(make_user("admin")["email"])
    before = api.call("GET", "/api/admin/settings", token=token)[1]
    for label, patch in {
        "unknown setting": {"zzz_unknown": True},
        "idle timeout below 5 minutes": {"idle_timeout_minutes": 1},
        "idle timeout as text": {"idle_timeout_minutes": "soon"},
        "lifetime of zero hours": {"absolute_lifetime_hours": 0},
        "registration as a list": {"self_registration": [True]},
        "empty portal name": {"portal_name": ""},
        "unknown language": {"default_language": "xx"},
    }.items():
        with subtests.test(msg=label):
            status, body, _ = api.call("PATCH", "/api/admin/settings", patch, token=token)
            assert status == 400, body
            assert_error_body(body)
    assert api.call("GET", "/api/admin/settings", token=token)[1] == before


def test_bytes_that_are_not_text_are_refused(api, fake_clock):
    response = api.client.http.request(
        "POST",
        "/api/auth/login",
        headers={"Content-Type": "application/json"},
        body=b"\xff\xfe\xfa\x00{",
    )
    assert response.status_code == 400
    assert_error_body(json.loads(response.body), "invalid_json")


def test_a_body_of_another_media_type_is_refused_with_415(api, fake_clock):
    response = api.client.http.request(
        "POST",
        "/api/auth/login",
        headers={"Content-Type": "text/plain"},
        body=b"email=a@b.c&password=x",
    )
    # Refused by the framework before the route runs; still a JSON body
    assert response.status_code == 415
    assert json.loads(response.body)


def test_identifiers_that_name_nothing_are_404_not_500(api, make_user, subtests, fake_clock):
    token = api.login(make_user("admin")["email"])
    for user_id in ("x" * 3000, "%00", "..%2F..%2Fetc", "%F0%9F%98%80"):
        with subtests.test(msg=user_id[:20]):
            status, body, _ = api.call("GET", f"/api/admin/users/{user_id}", token=token)
            assert status == 404, body
            assert_error_body(body, "not_found")


def test_oversized_credentials_are_refused_before_any_work(api, fake_clock):
    for attempt in (
        {"email": "a" * 300 + "@example.test", "password": "x"},
        {"email": "a@example.test", "password": "x" * 2000},
    ):
        status, body, _ = api.call("POST", "/api/auth/login", attempt)
        assert status == 400, body
        assert_error_body(body, "invalid_input")


def test_a_deeply_nested_body_is_refused_with_400(api, fake_clock):
    status, body, _ = api.call("POST", "/api/auth/login", "[" * 100_000)
    assert status == 400, body
