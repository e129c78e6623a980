"""Bad input gets a 4xx answer in the one error shape, never a 500: malformed JSON, bodies that
are not objects, unknown fields, wrong types, oversized bodies, bad query values, path ids no
object can have, numbers past what DynamoDB stores. Every route that takes a body, a query string
or a path parameter is covered, including routes added later."""

from __future__ import annotations

import json
import re
from urllib.parse import quote

import pytest

import app  # noqa: F401 - importing the app registers every route in ROUTES
from chalicelib.api.routing import MAX_BODY_BYTES, MAX_PATH_ID, PUBLIC, ROUTES
from tests.functional.auth_support import Callers, assert_error_body, concrete_path, route_id
from tests.functional.dynamodb_support import dynamodb_limits
from tests.functional.test_access_matrix import _bodies, world  # noqa: F401 - a fixture

pytestmark = pytest.mark.functional

WITH_BODY = [spec for spec in ROUTES if spec.body is not None]
WITH_QUERY = [spec for spec in ROUTES if spec.query is not None]
WITH_PARAMS = [spec for spec in ROUTES if "{" in spec.path]
# Ids no object has: longer than DynamoDB takes as a key, just longer than any id the app
# issues, and characters ids never contain (percent-encoded in the URL).
IDS_OF_NOTHING = {
    "3,000 characters": "a" * 3000,
    "one character too many": "a" * (MAX_PATH_ID + 1),
    "a NUL": "%00",
    "a path": "..%2F..%2Fetc",
    "an emoji": "%F0%9F%98%80",
    "a space": "a%20b",
}
MISSING_ID = "0123456789abcdef0123456789abcdef"  # well formed, names nothing
TOO_BIG = {"2**53 + 1": 2**53 + 1, "40 digits": 10**39}
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


def persona_for(spec):
    if spec.access is PUBLIC or "customer" in spec.access:
        return "requester"
    return "agent" if "agent" in spec.access else "admin"


def params_of(path):
    return re.findall(r"{(\w+)}", path)


def test_a_path_id_no_object_can_have_is_the_404_of_a_missing_object(api, world, subtests):
    """On DynamoDB such an id would be a key it refuses (a 500); it must never reach the store,
    and must answer exactly as an id that names nothing does."""
    bodies = _bodies(world)
    for spec in WITH_PARAMS:
        token = world["tokens"][persona_for(spec)]
        body = bodies.get((spec.method, spec.path))
        for name in (p for p in params_of(spec.path) if p.endswith("_id")):
            missing_path = spec.path.format(**{**world["params"], name: MISSING_ID})
            missing = api.call(spec.method, missing_path, body, token=token)
            with subtests.test(msg=f"{route_id(spec)}: {name} that names nothing"):
                assert missing[0] == 404, missing[1]
                assert_error_body(missing[1])
            for label, bad in IDS_OF_NOTHING.items():
                with subtests.test(msg=f"{route_id(spec)}: {name} of {label}"):
                    path = spec.path.format(**{**world["params"], name: bad})
                    with dynamodb_limits() as refused:
                        status, answer, _ = api.call(spec.method, path, body, token=token)
                    assert not refused, refused
                    assert (status, answer) == (missing[0], missing[1])


def test_every_path_parameter_too_long_for_a_key_is_a_4xx(api, world, subtests):
    """Folder names and actions too: whatever a path carries, the answer is a 4xx (as before for
    an unknown one: 404 for a folder, 400 for an action), never a key DynamoDB refuses."""
    bodies = _bodies(world)
    for spec in WITH_PARAMS:
        token = world["tokens"][persona_for(spec)]
        for name in params_of(spec.path):
            with subtests.test(msg=f"{route_id(spec)}: {name} of 3,000 characters"):
                path = spec.path.format(**{**world["params"], name: "a" * 3000})
                with dynamodb_limits() as refused:
                    status, answer, _ = api.call(
                        spec.method, path, bodies.get((spec.method, spec.path)), token=token
                    )
                assert not refused, refused
                assert 400 <= status < 500, answer
                assert_error_body(answer)


def integer_fields(model):
    schema = model.model_json_schema()
    for field, prop in schema.get("properties", {}).items():
        options = [s for s in prop.get("anyOf", [prop]) if s.get("type") != "null"]
        if any(option.get("type") == "integer" for option in options):
            yield field, next(o for o in options if o.get("type") == "integer")


def test_every_integer_input_has_a_bound_dynamodb_can_store():
    # A sequence number or a size past 2**53 is no real value, and DynamoDB refuses numbers of
    # more than 38 digits (moto does not): every integer a client sends has a maximum.
    unbounded = [
        f"{route_id(spec)} {field}"
        for spec in ROUTES
        for model in (spec.body, spec.query)
        if model is not None
        for field, schema in integer_fields(model)
        if schema.get("maximum", 2**63) > 2**53
    ]
    assert not unbounded, unbounded


def test_numbers_too_big_to_store_are_refused_with_400(api, world, subtests):
    bodies = _bodies(world)
    for spec in ROUTES:
        token = world["tokens"].get(persona_for(spec)) if spec.access is not PUBLIC else None
        path = spec.path.format(**world["params"]) if "{" in spec.path else spec.path
        for where, model in (("query", spec.query), ("body", spec.body)):
            for field, _ in integer_fields(model) if model is not None else ():
                for label, number in TOO_BIG.items():
                    with subtests.test(msg=f"{route_id(spec)} {where} {field} = {label}"):
                        if where == "query":
                            call = (f"{path}?{field}={quote(str(number))}", None)
                        else:
                            call = (path, {**(bodies.get((spec.method, spec.path)) or {}),
                                           field: number})
                        with dynamodb_limits() as refused:
                            status, answer, _ = api.call(spec.method, call[0], call[1],
                                                         token=token)
                        assert not refused, refused
                        assert status == 400, answer
                        assert field in error_fields(answer), answer


def test_a_poll_after_a_number_past_any_thread_is_refused(api, world):
    token = world["tokens"]["requester"]
    path = f"/api/portal/tickets/{world['params']['ticket_id']}/messages"
    assert api.call("GET", f"{path}?after={2**53}", token=token)[0] == 200
    status, body, _ = api.call("GET", f"{path}?after={'9' * 40}", token=token)
    assert status == 400
    assert_error_body(body, "invalid_input")


def test_settings_that_would_outgrow_their_item_are_refused_and_change_nothing(
    api, make_user, fake_clock
):
    # DynamoDB refuses an item over 400 KB (moto stores it): the settings are one item
    token = api.login(make_user("admin")["email"])
    for label, patch in {
        "101 topics": {"topics": [{"id": f"t{n}", "name": f"Topic {n}"} for n in range(101)]},
        "a hidden topic no topic id can be": {"hidden_topics": ["x" * 41]},
    }.items():
        status, body, _ = api.call("PATCH", "/api/admin/settings", patch, token=token)
        assert status == 400, (label, body)
    # Each wording is within its own limit, and each request within the body limit: together
    # they would not fit (stored as JSON, "é" takes six bytes)
    wordy = {language: {"body": "é" * 10_000} for language in ("en", "fr", "pl")}
    templates = {}
    answers = []
    for template in ("secure_notification", "acknowledgement"):
        templates[template] = wordy
        raw = json.dumps({"notification_templates": templates}, ensure_ascii=False)
        answers.append(api.call("PATCH", "/api/admin/settings", raw, token=token))
        if answers[-1][0] == 200:
            kept = api.call("GET", "/api/admin/settings", token=token)[1]
    assert answers[0][0] == 200, answers[0][1]
    assert answers[1][0] == 400, answers[1][1]
    assert_error_body(answers[1][1], "settings_too_large")
    assert api.call("GET", "/api/admin/settings", token=token)[1] == kept


def test_the_customer_routes_and_close_refuse_what_they_cannot_take(api, world):
    agent, admin = world["tokens"]["agent"], world["tokens"]["admin"]
    ticket = world["params"]["ticket_id"]
    for query, field in (("limit=0", "limit"), ("limit=51", "limit"), ("q=" + "a" * 201, "q"),
                         ("zzz=1", "zzz")):
        status, body, _ = api.call("GET", f"/api/console/customers?{query}", token=agent)
        assert status == 400, (query, body)
        assert field in error_fields(body), body
    for reason in ("x" * 501, 42, ["Abandoned"]):
        status, body, _ = api.call("POST", f"/api/console/tickets/{ticket}/close",
                                   {"reason": reason}, token=admin)
        assert status == 400, (reason, body)
        assert error_fields(body) == ["reason"], body


def test_ticket_ids_in_a_body_that_no_ticket_can_have_are_refused_before_any_read(api, world):
    """The bulk actions' tickets and a merge's survivor are named in the body, not the path:
    bounded and of the ids' characters there, so none reaches DynamoDB as a key it refuses."""
    token = world["tokens"]["agent"]
    ticket_id = world["params"]["ticket_id"]
    for bad in ("a" * 3000, "a" * 65, "../etc", "a b", "\x00", "😀", ""):
        for path, body in (
            ("/api/console/tickets/bulk", {"ticket_ids": [ticket_id, bad], "action": "close"}),
            (f"/api/console/tickets/{ticket_id}/merge", {"into": bad}),
        ):
            with dynamodb_limits() as refused:
                status, answer, _ = api.call("POST", path, body, token=token)
            assert not refused, refused
            assert status == 400, (bad, answer)
            assert_error_body(answer)
    # and a tag filter outside the tags' charset is refused before the index is read
    with dynamodb_limits() as refused:
        status, answer, _ = api.call("GET", "/api/console/tickets?tag=%00", token=token)
    assert not refused and status == 400
    assert_error_body(answer, "invalid_tag")


def test_passkey_answers_that_are_not_what_they_claim_are_refused_never_a_500(
    api, make_user, fake_clock
):
    """What a browser hands back from WebAuthn is parsed by py_webauthn: base64 that is not,
    JSON or CBOR that is not, data cut short, a user handle that is no account's id. Each is a
    4xx in the one error shape."""
    from chalicelib.services.throttles import WINDOW_SECONDS
    from tests.functional.webauthn_support import (
        Authenticator,
        add_passkey,
        b64url,
        challenge_cookie,
    )

    token = api.login(make_user("customer")["email"])
    laptop, _ = add_passkey(api, token)
    junk = {"not base64url": "a", "not JSON": b64url(b"{nope"), "not CBOR": b64url(b"\xff\x00"),
            "a CBOR list": b64url(b"\x82\x01\x02"), "too short": b64url(b"\x00" * 3)}
    for label, value in junk.items():
        for member in ("clientDataJSON", "attestationObject"):
            _, options, _ = api.call("POST", "/api/me/passkeys/options", token=token)
            credential = Authenticator().register(options)
            credential["response"][member] = value
            status, answer, _ = api.call("POST", "/api/me/passkeys",
                                         {"name": "Junk", "credential": credential}, token=token)
            assert status == 400, (label, member, answer)
            assert_error_body(answer, "passkey_invalid")
        fake_clock.advance(WINDOW_SECONDS + 1)  # refused sign-ins count against the address
        for member in ("clientDataJSON", "authenticatorData", "signature", "userHandle"):
            status, options, headers = api.call("POST", "/api/auth/passkey/options")
            credential = laptop.assert_(options)
            credential["response"][member] = value
            status, answer, _ = api.call("POST", "/api/auth/passkey", {"credential": credential},
                                         headers={"Cookie": challenge_cookie(headers)})
            assert status == 401, (label, member, answer)
            assert_error_body(answer, "passkey_refused")
    # An id that is not the raw id, and one past any credential's length
    status, options, headers = api.call("POST", "/api/auth/passkey/options")
    credential = laptop.assert_(options)
    credential["id"] = b64url(b"another")
    status, answer, _ = api.call("POST", "/api/auth/passkey", {"credential": credential},
                                 headers={"Cookie": challenge_cookie(headers)})
    assert status == 401, answer
    credential["id"] = credential["rawId"] = "a" * 1401
    status, answer, _ = api.call("POST", "/api/auth/passkey", {"credential": credential})
    assert status == 400 and error_fields(answer) == ["credential.id", "credential.rawId"], answer


def test_codes_that_are_no_code_are_refused_never_a_500(api, make_user, fake_clock):
    """Whatever is typed for a second-factor code (an emoji, a NUL, 40 letters, digits of the
    wrong length, a recovery code's shape of nothing): a 4xx in the one error shape, at the
    sign-in's step and in the profile alike."""
    from tests.functional.second_factor_support import enrolled_person

    person = enrolled_person(api, make_user)
    fake_clock.advance(60)
    token = api.login(make_user("customer")["email"])
    api.call("POST", "/api/me/second-factor/totp", token=token)
    _, _, pending = person.password_step()
    # Fullwidth digits first. The first five are wrong codes counted as failed sign-ins; then
    # the account is locked (429)
    for junk in ("\uff11\uff12\uff13\uff14\uff15\uff16", "\x00", "😀", "a" * 40,
                 "zzzz-zzzz-zzzz", "12345", "1234567", " "):
        for call in (
            lambda code: person.second_step(pending, code),
            lambda code: api.call("POST", "/api/me/second-factor/totp/confirm", {"code": code},
                                  token=token),
        ):
            with dynamodb_limits() as refused:
                status, answer, _ = call(junk)
            assert not refused, refused
            assert status in (400, 429), (junk, answer)
            assert_error_body(answer)
