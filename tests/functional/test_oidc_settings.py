"""The OpenID providers in the admin's settings: what a save refuses (a secret the function
must not read, an issuer without TLS, an organization that does not exist, an admin locking
themselves out), that no answer carries a secret, and the domains whose password sign-in is off:
their addresses are sent to the provider, the same way whether they have an account or not."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from tests.functional.auth_support import environment
from tests.functional.oidc_support import CLIENT_SECRET, SECRET_VARIABLE, provider_settings

pytestmark = pytest.mark.functional

ISSUER = "https://sso.acme.test"


@pytest.fixture
def admin(api, make_user, fake_clock) -> str:
    return api.login(make_user("admin", email="ada@parley.test")["email"])


def _save(api, token: str, *providers: dict[str, Any]) -> tuple[int, Any]:
    status, body, _ = api.call("PATCH", "/api/admin/settings",
                               {"sso_providers": list(providers)}, token=token)
    return status, body


def _problems(body: Any) -> list[tuple[str, str]]:
    return [(d["field"], d.get("code")) for d in body["error"]["details"]]


def test_a_provider_is_saved_with_a_reference_to_its_secret_never_the_secret(
    api, admin, make_org, monkeypatch
):
    monkeypatch.setenv(SECRET_VARIABLE, CLIENT_SECRET)
    acme = make_org("Acme")
    assert _save(api, admin, provider_settings(ISSUER, acme["id"]))[0] == 200
    status, body, _ = api.call("GET", "/api/admin/settings", token=admin)
    assert status == 200
    assert body["settings"]["sso_providers"][0]["client_secret_ref"] == SECRET_VARIABLE
    # The secret itself is in no answer the portal gives
    for path in ("/api/admin/settings", "/api/auth/oidc/providers", "/api/portal/branding"):
        assert CLIENT_SECRET not in str(api.call("GET", path, token=admin)[1]), path


@pytest.mark.parametrize(("changes", "problem"), [
    # Any other variable of the function could be sent to a token endpoint of one's choosing
    ({"client_secret_ref": "PARLEY_SIGNING_KEY"}, ("sso_providers.0.client_secret_ref",
                                                   "sso_secret_reference")),
    ({"domains": {"acme.test": "no-such-org"}}, ("sso_providers.0.domains.acme.test",
                                                 "unknown_org")),
    # The admin (ada@parley.test) would lock herself out: admins may not use this provider
    ({"roles": ["customer", "agent"], "password_off_domains": ["parley.test"]},
     ("sso_providers.0.password_off_domains", "sso_lockout")),
])
def test_a_provider_that_could_not_work_is_refused(api, admin, make_org, changes, problem):
    acme = make_org("Acme")
    status, body = _save(api, admin, provider_settings(ISSUER, acme["id"], **changes))
    assert status == 400, body
    assert problem in _problems(body)
    assert api.call("GET", "/api/admin/settings", token=admin)[1]["settings"][
        "sso_providers"] == []


@pytest.mark.parametrize("providers", [
    [{"id": "a"}, {"id": "a"}],  # two with one id
    [{"id": "a", "password_off_domains": ["other.test"]}],  # not one of its domains
    [{"id": "a", "password_off_domains": ["acme.test"]},
     {"id": "b", "password_off_domains": ["acme.test"]}],  # one domain, two providers
    [{"id": "a", "roles": []}],
    [{"id": "a", "issuer": "ftp://sso.acme.test"}],
    [{"id": "a", "domains": {"Not A Domain": ""}}],
])
def test_malformed_providers_are_refused(api, admin, make_org, providers):
    acme = make_org("Acme")
    status, body = _save(api, admin, *({**provider_settings(ISSUER, acme["id"]), **p}
                                       for p in providers))
    assert status == 400, body


def test_deployed_the_issuer_needs_tls_and_the_secret_this_stages_prefix(make_user, make_org):
    from chalicelib.errors import InvalidInput
    from chalicelib.services.oidc_config import refuse_unusable
    from chalicelib.services.principal import ADMIN, Principal

    admin = make_user("admin", email="ada@parley.test")
    caller = Principal(user_id=admin["id"], role=ADMIN, org_id=None, org_view=False,
                       session_hash="", must_change_password=False)
    acme = make_org("Acme")
    good = provider_settings(ISSUER, acme["id"], client_secret_ref="parley/prod/oidc/acme")
    with environment(PARLEY_STAGE="prod", PARLEY_SIGNING_KEY="k" * 32):
        refuse_unusable(caller, {"sso_providers": [good]})
        refuse_unusable(caller, {"sso_providers": [{**good, "client_secret_ref":
                        "arn:aws:secretsmanager:eu-west-1:1:secret:parley/prod/oidc/acme-AbCdEf"}]})
        for changes, field in (
            ({"issuer": "http://sso.acme.test"}, "issuer"),
            ({"client_secret_ref": "parley/staging/oidc/acme"}, "client_secret_ref"),
            ({"client_secret_ref": "PARLEY_OIDC_ACME"}, "client_secret_ref"),
            ({"client_secret_ref": "arn:aws:secretsmanager:eu-west-1:1:secret:prod/db-AbCdEf"},
             "client_secret_ref"),
        ):
            with pytest.raises(InvalidInput) as refused:
                refuse_unusable(caller, {"sso_providers": [{**good, **changes}]})
            assert [d["field"] for d in refused.value.details] == [f"sso_providers.0.{field}"]


def test_deployed_the_client_secret_is_read_from_secrets_manager_and_kept_a_while(aws):
    from chalicelib.adapters import secrets

    secrets.forget_cached_secrets()
    client = boto3.client("secretsmanager", region_name="eu-west-1")
    client.create_secret(Name="parley/prod/oidc/acme", SecretString="from-secrets-manager")
    assert secrets.secret_string("parley/prod/oidc/acme") == "from-secrets-manager"
    client.put_secret_value(SecretId="parley/prod/oidc/acme", SecretString="rotated")
    assert secrets.secret_string("parley/prod/oidc/acme") == "from-secrets-manager"  # kept
    with pytest.raises(secrets.SecretMissing):
        secrets.secret_string("parley/prod/oidc/nothing")
    secrets.forget_cached_secrets()


def test_password_sign_in_off_for_a_domain_points_to_the_provider_without_telling_accounts(
    api, admin, make_org, make_user
):
    # Given Acme's addresses sign in with Acme SSO only
    acme = make_org("Acme")
    make_user("customer", email="alice@acme.test", org_id=acme["id"])
    assert _save(api, admin, provider_settings(
        ISSUER, acme["id"], name="Acme SSO", password_off_domains=["acme.test"]))[0] == 200

    # When Alice (who has an account) and someone without one try a password route
    answers = {}
    for email in ("alice@acme.test", "nobody@acme.test"):
        answers[email] = [
            api.call("POST", "/api/auth/login", {"email": email, "password": "whatever it is"}),
            api.call("POST", "/api/auth/password-reset", {"email": email}),
            api.call("POST", "/api/auth/register", {"email": email, "name": "X",
                                                    "password": "a long enough passphrase"}),
        ]

    # Then every answer sends them to the provider, the same for both
    for email, replies in answers.items():
        for status, body, _ in replies:
            assert status == 403, (email, body)
            assert body["error"]["code"] == "sso_required"
            assert body["error"]["details"] == {"provider": "Acme SSO", "provider_id": "tiny"}
    assert [r[:2] for r in answers["alice@acme.test"]] == [
        r[:2] for r in answers["nobody@acme.test"]]

    # While the team's domain keeps its passwords
    assert api.call("POST", "/api/auth/login", {"email": "ada@parley.test",
                                                "password": "correct horse battery staple"})[
        0] == 200
