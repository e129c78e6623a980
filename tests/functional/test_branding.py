"""Branding: admins set the name, logo, colours, banner links and announcement; every page (the
sign-in page too) reads them from a public route that says nothing else."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.functional

BRANDING_KEYS = {
    "portal_name", "logo_url", "primary_color", "accent_color", "banner_links", "announcement",
    "self_registration", "magic_link_sign_in", "default_language",
}


def test_the_public_branding_route_shows_what_the_admin_set(api, make_user):
    # Given an admin who brands the portal
    admin = api.login(make_user("admin")["email"])
    status, _, _ = api.call("PATCH", "/api/admin/settings", {
        "portal_name": "Acme Help",
        "logo_url": "data:image/png;base64,iVBORw0KGgo=",
        "primary_color": "#7c3aed",
        "banner_links": [{"label": "Status", "url": "https://status.acme.test/"},
                         {"label": "Write to us", "url": "mailto:help@acme.test"}],
        "announcement": "Maintenance on Sunday.",
    }, token=admin)
    assert status == 200

    # When anyone, signed in or not, asks for the branding
    status, body, _ = api.call("GET", "/api/portal/branding")

    # Then they get it, and nothing more
    assert status == 200
    assert set(body) == BRANDING_KEYS
    assert body["portal_name"] == "Acme Help"
    assert body["primary_color"] == "#7c3aed"
    assert body["banner_links"][1] == {"label": "Write to us", "url": "mailto:help@acme.test"}
    assert body["announcement"] == "Maintenance on Sunday."


@pytest.mark.parametrize("change", [
    {"logo_url": "javascript:alert(1)"},
    {"logo_url": "http://insecure.test/logo.png"},
    {"logo_url": "data:text/html;base64,PHNjcmlwdD4="},
    {"logo_url": "https://x.test/a.png\" onerror=\"alert(1)"},
    {"primary_color": "red"},
    {"accent_color": "#12345"},
    {"banner_links": [{"label": "x", "url": "javascript:alert(1)"}]},
    {"banner_links": [{"label": "", "url": "https://x.test/"}]},
])
def test_unsafe_branding_is_refused(api, make_user, change):
    admin = api.login(make_user("admin")["email"])
    status, body, _ = api.call("PATCH", "/api/admin/settings", change, token=admin)
    assert status == 400, body
    assert body["error"]["code"] == "invalid_input"
