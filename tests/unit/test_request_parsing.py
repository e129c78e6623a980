"""Reading the caller from a request: credentials, cookies and the client's address."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from chalicelib.api.authorizer import _credentials
from chalicelib.api.network import client_ip, read_cookie, require_origin
from chalicelib.config import get_settings
from chalicelib.errors import Forbidden, Unauthenticated

pytestmark = pytest.mark.unit


@pytest.fixture
def proxy_hops(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    def set_hops(hops: int) -> None:
        monkeypatch.setenv("PARLEY_TRUSTED_PROXY_HOPS", str(hops))
        get_settings.cache_clear()

    yield set_hops
    monkeypatch.undo()
    get_settings.cache_clear()


def test_api_clients_present_a_bearer_token():
    assert _credentials({"authorization": "Bearer abc123"}) == ("abc123", None)
    assert _credentials({"authorization": "bearer   abc123 "}) == ("abc123", None)


def test_browsers_present_the_cookie_with_a_csrf_token():
    headers = {"authorization": "CSRF c5rf", "cookie": "theme=dark; parley_session=tok; x=1"}
    assert _credentials(headers) == ("tok", "c5rf")
    # without the cookie there is no token to check, whatever the CSRF header says
    assert _credentials({"authorization": "CSRF c5rf"}) == ("", "c5rf")


@pytest.mark.parametrize(
    "authorization", ["", "Bearer", "Bearer   ", "CSRF ", "Basic dXNlcjpwYXNz", "Token abc"]
)
def test_anything_else_is_no_credential(authorization):
    with pytest.raises(Unauthenticated):
        _credentials({"authorization": authorization})


def test_cookies_are_read_by_exact_name():
    header = {"cookie": "parley_session_old=stale; parley_session=fresh;parley_device=d"}
    assert read_cookie(header, "parley_session") == "fresh"
    assert read_cookie(header, "parley_device") == "d"
    assert read_cookie(header, "missing") is None
    assert read_cookie({}, "parley_session") is None


def test_without_a_trusted_proxy_forwarded_headers_are_ignored(proxy_hops):
    proxy_hops(0)
    assert client_ip({"x-forwarded-for": "198.51.100.1"}, "203.0.113.9") == "203.0.113.9"


def test_behind_one_proxy_the_entry_it_appended_is_the_client(proxy_hops):
    proxy_hops(1)
    headers = {"x-forwarded-for": "6.6.6.6, 198.51.100.1"}  # the first entry is the client's own
    assert client_ip(headers, "203.0.113.9") == "198.51.100.1"
    assert client_ip({}, "203.0.113.9") == "203.0.113.9"


def test_behind_two_proxies_the_second_entry_from_the_right_is_the_client(proxy_hops):
    proxy_hops(2)
    headers = {"x-forwarded-for": "6.6.6.6, 198.51.100.1, 10.0.0.1"}
    assert client_ip(headers, "203.0.113.9") == "198.51.100.1"


def test_api_gateways_own_entry_after_cloudfronts_is_not_the_client(proxy_hops):
    proxy_hops(1)
    # the client's own entry, the viewer (CloudFront), CloudFront's edge (API Gateway = sourceIp)
    headers = {"x-forwarded-for": "6.6.6.6, 198.51.100.1, 130.176.0.9"}
    assert client_ip(headers, "130.176.0.9") == "198.51.100.1"
    # API Gateway's entry is skipped once only: a client cannot hide behind a copy of it
    headers = {"x-forwarded-for": "130.176.0.9, 198.51.100.1, 130.176.0.9"}
    assert client_ip(headers, "130.176.0.9") == "198.51.100.1"


@pytest.fixture
def origin_secret(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("PARLEY_ORIGIN_VERIFY", "the-secret")
    monkeypatch.setenv("PARLEY_TRUSTED_PROXY_HOPS", "1")
    get_settings.cache_clear()
    yield "the-secret"
    monkeypatch.undo()
    get_settings.cache_clear()


def test_with_an_origin_secret_only_requests_carrying_it_pass(origin_secret):
    require_origin({"x-parley-origin-verify": origin_secret})
    for headers in ({}, {"x-parley-origin-verify": ""}, {"x-parley-origin-verify": "the-secreT"},
                    {"x-parley-origin-verify": "the-secret "}, {"x-parley-origin-verify": "é"}):
        with pytest.raises(Forbidden) as refused:
            require_origin(headers)
        assert refused.value.code == "origin_not_verified"


def test_without_the_origin_secret_forwarded_headers_are_not_believed(origin_secret):
    spoofed = {"x-forwarded-for": "198.51.100.1"}
    assert client_ip(spoofed, "203.0.113.9") == "203.0.113.9"
    verified = {**spoofed, "x-parley-origin-verify": origin_secret}
    assert client_ip(verified, "203.0.113.9") == "198.51.100.1"


def test_without_a_configured_secret_nothing_is_required(proxy_hops):
    proxy_hops(0)
    require_origin({})


@pytest.fixture
def origin_secrets(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    def configure(current: str, previous: str = "") -> None:
        monkeypatch.setenv("PARLEY_ORIGIN_VERIFY", current)
        monkeypatch.setenv("PARLEY_ORIGIN_VERIFY_PREVIOUS", previous)
        get_settings.cache_clear()

    yield configure
    monkeypatch.undo()
    get_settings.cache_clear()


def _refused(headers: dict[str, str]) -> bool:
    try:
        require_origin(headers)
    except Forbidden:
        return True
    return False


def test_during_a_rotation_both_origin_secrets_pass_and_nothing_else(origin_secrets):
    # Given CloudFront switching from the old secret to the new one, edge by edge
    origin_secrets("the-new-secret", previous="the-old-secret")

    # Then a request carrying either passes
    assert not _refused({"x-parley-origin-verify": "the-new-secret"})
    assert not _refused({"x-parley-origin-verify": "the-old-secret"})
    # And a missing, empty or near-miss value passes no more than before
    for given in (None, "", "the-old-secreT", "the-new-secret,the-old-secret"):
        headers = {} if given is None else {"x-parley-origin-verify": given}
        assert _refused(headers), headers

    # When the rotation ends and the previous secret is cleared
    origin_secrets("the-new-secret")

    # Then the old secret is refused like any other wrong value
    assert _refused({"x-parley-origin-verify": "the-old-secret"})
    assert not _refused({"x-parley-origin-verify": "the-new-secret"})


def test_clearing_the_current_origin_secret_instead_of_the_previous_does_not_open_the_door(
    origin_secrets,
):
    origin_secrets("", previous="the-old-secret")
    assert _refused({})
    assert not _refused({"x-parley-origin-verify": "the-old-secret"})
