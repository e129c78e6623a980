"""Sign-in through the real OpenID provider of the local stack (the certified oidc-provider, on
Node.js: parley_dev/local/oidc), driven over HTTP as a browser would: its sign-in page with a
demo user's password, its redirect back with `code`, `state` and `iss`, then the portal's
callback and session. A replayed code is refused by the provider itself."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
import requests

from parley_dev.local.oidc_provider import SECRET_VARIABLE, LocalOidcProvider, free_port
from tests.functional.local_stack_support import DEMO_PASSWORD
from tests.functional.oidc_support import PUBLIC_URL, SsoBrowser

pytestmark = pytest.mark.functional

CALLBACK = f"{PUBLIC_URL}/api/auth/oidc/demo/callback"


@pytest.fixture(scope="module")
def provider() -> Iterator[LocalOidcProvider]:
    started = LocalOidcProvider("127.0.0.1", free_port("127.0.0.1"), [CALLBACK]).start()
    yield started
    started.stop()


@pytest.fixture
def portal(api, make_org, make_user, provider, monkeypatch) -> dict[str, Any]:
    from chalicelib.services import oidc_tokens

    oidc_tokens.forget_cached_documents()
    monkeypatch.setenv(SECRET_VARIABLE, provider.client_secret)
    acme = make_org("Acme")
    token = api.login(make_user("admin", email="ada@parley.test")["email"])
    settings = provider.settings()
    settings["domains"] = {"acme.test": acme["id"], "parley.test": ""}
    status, body, _ = api.call("PATCH", "/api/admin/settings", {"sso_providers": [settings]},
                               token=token)
    assert status == 200, body
    make_user("customer", email="alice@acme.test", org_id=acme["id"], name="Alice Martin")
    return {"acme": acme}


def sign_in_at_provider(location: str, email: str, password: str = DEMO_PASSWORD) -> str:
    """What a browser does at the provider: follow it to its sign-in page, sign in there, and
    follow it until it sends the browser back to the portal; returns that address."""
    browser = requests.Session()
    url, form = location, None
    for _ in range(12):
        answer = (browser.post(url, data=form, allow_redirects=False, timeout=10) if form
                  else browser.get(url, allow_redirects=False, timeout=10))
        form = None
        if answer.is_redirect:
            url = urljoin(url, answer.headers["Location"])
            if url.startswith(CALLBACK):
                return url
            continue
        assert answer.status_code == 200, answer.text[:500]
        refused = re.search(r'role="alert">([^<]+)<', answer.text)
        assert not refused, refused.group(1) if refused else ""
        action = re.search(r'<form method="post" action="([^"]+)"', answer.text)
        assert action, answer.text[:500]
        url, form = urljoin(url, action.group(1)), {"email": email, "password": password}
    raise AssertionError("the provider never sent the browser back")


def test_a_demo_user_signs_in_through_the_local_provider_and_a_replayed_code_fails(
    api, provider, portal
):
    # When Alice clicks the button and signs in at the provider with her password
    browser = SsoBrowser(api)
    back = sign_in_at_provider(browser.start("demo", next_path="/tickets"), "alice@acme.test")

    # Then the provider sends her back with a code, the state and its issuer (RFC 9207)
    query = urlsplit(back).query
    assert {"code", "state", "iss"} <= {pair.split("=")[0] for pair in query.split("&")}
    assert browser.callback(query, "demo") == "/login?sso=done&next=%2Ftickets"
    status, answer, _ = browser.complete()
    assert status == 200, answer
    assert answer["user"]["email"] == "alice@acme.test"

    # When the same code is played again with a flow of someone else's
    code = dict(pair.split("=", 1) for pair in query.split("&"))["code"]
    thief = SsoBrowser(api)
    their = sign_in_at_provider(thief.start("demo"), "dana@acme.test")
    their_state = dict(pair.split("=", 1) for pair in urlsplit(their).query.split("&"))["state"]

    # Then the provider refuses it and nobody signs in
    assert thief.callback(f"code={code}&state={their_state}", "demo") == (
        "/login?sso_error=sso_failed")
    assert thief.complete()[0] == 400


def test_a_wrong_password_at_the_provider_signs_nobody_in(provider, portal, api):
    browser = SsoBrowser(api)
    with pytest.raises(AssertionError, match="email or password is wrong"):
        sign_in_at_provider(browser.start("demo"), "alice@acme.test", "not her password")
