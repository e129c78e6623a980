"""Who may call what: every registered route, whatever blueprint added it, is checked for the
anonymous caller and for every role it does not admit. A new route enters the matrix by itself.
(Object-level access to tickets is in test_access_matrix.py.)"""

from __future__ import annotations

import pytest

import app as app_module  # importing the app registers every route in ROUTES
from chalicelib.api.routing import PUBLIC, ROUTES
from tests.functional.auth_support import (
    ROLES,
    Callers,
    assert_error_body,
    concrete_path,
    route_id,
)

pytestmark = pytest.mark.functional

# The API's own description is a document of OpenAPI's shape, not one of ours; the OpenID
# sign-in's way out and back are browser redirects (302), with no body.
RAW_ANSWERS = {"/api/openapi.json", "/api/auth/oidc/{provider_id}/start",
               "/api/auth/oidc/{provider_id}/callback"}
# The second step of a sign-in needs the pending sign-in its first step left (the HttpOnly
# `parley_pending` cookie), not a session: without one it is 401 second_factor_expired.
NEEDS_PENDING_SIGN_IN = "second_factor_expired"
PROTECTED = [spec for spec in ROUTES if spec.access is not PUBLIC]
OPEN = [spec for spec in ROUTES if spec.access is PUBLIC]


def content_type(spec):
    return app_module.app.routes[spec.path][spec.method].content_types[0]


def test_every_protected_route_refuses_strangers_and_other_roles(
    api, make_org, make_user, subtests, fake_clock
):
    assert PROTECTED, "no protected route registered: is the app imported?"
    callers = Callers(api, make_org, make_user)
    for spec in PROTECTED:
        with subtests.test(msg=route_id(spec)):
            path = concrete_path(spec.path)
            headers = {"Content-Type": content_type(spec)}

            # Without any credentials, the gateway itself refuses
            status, body, _ = api.call(spec.method, path, headers=headers)
            assert status == 401, body
            assert body == {"message": "Unauthorized"}

            # With credentials that open no session, the app refuses in its own error shape
            for authorization in ("Bearer not-a-session", "Basic dXNlcjpwYXNz", "CSRF no-cookie"):
                status, body, _ = api.call(
                    spec.method, path, headers={**headers, "Authorization": authorization}
                )
                assert status == 401, (authorization, body)
                assert_error_body(body)

            # Signed in with a role the route does not admit: 403, same shape
            for role in sorted(set(ROLES) - spec.access):
                status, body, _ = api.call(
                    spec.method, path, token=callers.token(role), headers=headers
                )
                assert status == 403, (role, body)
                assert_error_body(body, "forbidden")

            # While a role it admits gets past the door (whatever the unnamed object then gives)
            status, body, _ = api.call(
                spec.method, path, token=callers.token(sorted(spec.access)[0]), headers=headers
            )
            assert status not in (401, 403), body
            callers.forget_ended_sessions()


def test_every_public_route_answers_without_a_session(api, subtests):
    for spec in OPEN:
        with subtests.test(msg=route_id(spec)):
            status, body, _ = api.call(
                spec.method, concrete_path(spec.path), headers={"Content-Type": content_type(spec)}
            )
            assert status not in (401, 403) or (
                status == 401 and body["error"]["code"] == NEEDS_PENDING_SIGN_IN), body


def test_every_route_of_the_app_is_declared_through_the_route_registry():
    # A view registered around route() would escape the session authorizer and this matrix
    chalice_routes = {
        (path, method) for path, methods in app_module.app.routes.items() for method in methods
    }
    declared = {(spec.path, spec.method) for spec in ROUTES}
    assert chalice_routes == declared
    # And every protected route has the session authorizer in front of it at the gateway
    for spec in PROTECTED:
        entry = app_module.app.routes[spec.path][spec.method]
        assert entry.authorizer is not None, route_id(spec)


def test_a_denied_role_is_recorded_in_the_audit_log(api, make_org, make_user, fake_clock):
    # Given a customer who tries an admin page
    callers = Callers(api, make_org, make_user)
    assert api.call("GET", "/api/admin/settings", token=callers.token("customer"))[0] == 403

    # Then the admin sees the denial in the audit log
    fake_clock.advance(1)
    status, body, _ = api.call("GET", "/api/admin/audit", token=callers.token("admin"))
    assert status == 200
    denials = [e for e in body["items"] if e["action"] == "access.denied"]
    assert [(e["outcome"], e["target"]) for e in denials] == [("denied", "/api/admin/settings")]


def test_the_openapi_document_lists_every_route_of_the_app(api):
    # When a client reads the API description
    status, document, _ = api.call("GET", "/api/openapi.json")
    assert status == 200

    # Then it has every (path, method) Chalice routes, and nothing else
    documented = {
        (path, method.upper())
        for path, operations in document["paths"].items()
        for method in operations
    }
    served = {
        (path, method) for path, methods in app_module.app.routes.items() for method in methods
    }
    missing = served - documented
    assert not missing, f"routes missing from the OpenAPI document: {sorted(missing)}"
    assert documented == served

    # And each operation says who may call it and how its body looks
    for spec in ROUTES:
        operation = document["paths"][spec.path][spec.method.lower()]
        if spec.access is PUBLIC:
            assert operation["security"] == [], route_id(spec)
        else:
            assert operation["x-parley-roles"] == sorted(spec.access), route_id(spec)
        if spec.body is not None:
            ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
            assert ref.rsplit("/", 1)[1] in document["components"]["schemas"], route_id(spec)


def test_every_json_answer_has_a_declared_shape_the_document_shows(api):
    # When a client reads the API description
    status, document, _ = api.call("GET", "/api/openapi.json")
    assert status == 200

    # Then every route that answers JSON says what its answer holds (the tests check each answer
    # against it: tests/conftest.py check_answer_shape)
    undeclared = [route_id(spec) for spec in ROUTES
                  if spec.status != 204 and spec.response_shape() is None
                  and spec.path not in RAW_ANSWERS]
    assert undeclared == []
    for spec in ROUTES:
        success = document["paths"][spec.path][spec.method.lower()]["responses"][str(spec.status)]
        if spec.response_shape() is not None:
            assert success["content"]["application/json"]["schema"], route_id(spec)
