"""Saving settings keeps what the save did not touch (issue 13, point 5): a page that changes
the portal name must not drop a mail template override set through the API, and the audit log
says what changed, from what to what."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.services import files
from chalicelib.services.settings import PortalSettings

pytestmark = pytest.mark.functional

INVITE = {"subject": "Join Acme's portal", "body": "Choose a password: {{ link }}"}
TOPICS = [
    {"id": "general", "name": "General question", "team_id": "support"},
    {"id": "billing", "name": "Billing", "team_id": "support"},
    {"id": "technical", "name": "Technical problem", "team_id": "support"},
    {"id": "returns", "name": "Returns", "team_id": "support"},
]
RECIPIENTS = {"to": ["watch@acme.test"], "cc": [], "bcc": ["archive@acme.test"]}

# One new value for every setting: a setting added without one here fails the test below.
NEW_VALUES: dict[str, Any] = {
    "portal_name": "Acme Help",
    "logo_url": "https://cdn.acme.test/logo.png",
    "primary_color": "#123456",
    "accent_color": "#654321",
    "banner_links": [{"label": "Status", "url": "https://status.acme.test/"}],
    "announcement": "Maintenance on Sunday.",
    "default_language": "fr",
    "self_registration": True,
    "magic_link_sign_in": True,
    "require_second_factor_staff": True,
    "idle_timeout_minutes": 45,
    "absolute_lifetime_hours": 10,
    "topics": TOPICS,
    "author_display": "team",
    "team_display_name": "Help desk",
    "author_custom_text": "The Acme team",
    "status_display": "full",
    "org_view_enabled": False,
    "followers_outside_org": True,
    "trash_retention_days": 60,
    "reopen_window_days": 10,
    "auto_close_days": 3,
    "troubleshooters": [{
        "id": "vpn", "name": "VPN", "topic": "technical", "intro": "",
        "questions": [{"text": "Which office?", "options": ["Paris", "Kraków"]}],
    }],
    "hidden_topics": ["billing"],
    "hidden_channels": ["email"],
    "attachment_max_bytes": 10 * files.MiB,
    "attachments_per_ticket": 20,
    "attachment_types": list(files.DEFAULT_ALLOWED_TYPES)[:2],
    "inbound_default_topic": "billing",
    "inbound_unknown_sender": "reject",
    "inbound_default_org": "acme",
    "acknowledge_customer_messages": False,
    "support_address": "help@acme.test",
    "customer_alert_recipients": RECIPIENTS,
    "support_alert_recipients": RECIPIENTS,
    "notification_templates": {"digest": {"fr": {"subject": None, "body": "Du nouveau"}}},
    "sso_providers": [{
        "id": "acme", "name": "Acme SSO", "issuer": "https://sso.acme.test", "client_id": "portal",
        "client_secret_ref": "PARLEY_OIDC_ACME", "roles": ["customer"],
        "domains": {"acme.test": ""}, "create_accounts": False, "password_off_domains": [],
    }],
}


@pytest.fixture
def admin_token(api, make_user) -> str:
    return api.login(make_user("admin")["email"])


def settings_of(api, token: str) -> dict[str, Any]:
    status, body, _ = api.call("GET", "/api/admin/settings", token=token)
    assert status == 200, body
    return dict(body["settings"])


def patch(api, token: str, changes: dict[str, Any]) -> dict[str, Any]:
    status, body, _ = api.call("PATCH", "/api/admin/settings", changes, token=token)
    assert status == 200, body
    return dict(body["settings"])


def test_every_setting_has_a_new_value_to_try():
    assert set(NEW_VALUES) == set(PortalSettings.model_fields)


@pytest.mark.parametrize("field", sorted(NEW_VALUES))
def test_changing_one_setting_keeps_every_other_one(api, admin_token, field, fake_clock):
    # Given an invitation reworded through the API
    patch(api, admin_token, {"notification_templates": {"invite": {"en": INVITE}}})
    before = settings_of(api, admin_token)
    assert before["notification_templates"]["invite"]["en"] == INVITE

    # When one setting alone is changed
    patch(api, admin_token, {field: NEW_VALUES[field]})

    # Then it has its new value, and every other one (the invitation's words included) is as it was
    after = settings_of(api, admin_token)
    assert after[field] != before[field]
    assert {k: v for k, v in after.items() if k != field} == {
        k: v for k, v in before.items() if k != field
    }
    assert after["notification_templates"]["invite"]["en"] == INVITE


def test_a_template_override_goes_only_when_set_to_null(api, admin_token, fake_clock):
    # Given two overrides of the invitation and one of the digest
    patch(api, admin_token, {"notification_templates": {
        "invite": {"en": INVITE, "fr": {"subject": "Rejoignez-nous", "body": None}},
        "digest": {"en": {"subject": None, "body": "More news"}},
    }})

    # When the French invitation is set to null, and the digest's English body changed
    templates = patch(api, admin_token, {"notification_templates": {
        "invite": {"fr": None}, "digest": {"en": {"body": "Even more news"}},
    }})["notification_templates"]

    # Then only the French invitation is gone
    assert templates["invite"] == {"en": INVITE}
    assert templates["digest"]["en"]["body"] == "Even more news"

    # And a whole template set to null goes, the others stay
    templates = patch(api, admin_token, {"notification_templates": {"digest": None}})[
        "notification_templates"]
    assert templates == {"invite": {"en": INVITE}}


def test_the_settings_change_is_audited_before_and_after(api, admin_token, fake_clock):
    # Given a long logo and an invitation override
    patch(api, admin_token, {"notification_templates": {"invite": {"en": INVITE}}})
    fake_clock.advance(60)  # the log is newest first: the entry below is the later one

    # When the admin renames the portal, sets a logo and rewords the invitation's subject
    logo = "data:image/png;base64," + "A" * 5000
    patch(api, admin_token, {
        "portal_name": "Acme Help", "logo_url": logo,
        "notification_templates": {"invite": {"en": {"subject": "Welcome"}}},
    })

    # Then the audit entry names each change with its value before and after, kept short
    status, body, _ = api.call("GET", "/api/admin/audit?kind=change&action=settings.update",
                               token=admin_token)
    assert status == 200, body
    entry = body["items"][0]
    assert entry["details"]["changed"] == ["logo_url", "notification_templates", "portal_name"]
    changes = {c["field"]: (c["before"], c["after"]) for c in entry["details"]["changes"]}
    assert changes["portal_name"] == ("Parley", "Acme Help")
    assert changes["notification_templates.invite.en.subject"] == (INVITE["subject"], "Welcome")
    before, after = changes["logo_url"]
    assert before == "" and after.startswith("data:image/png") and len(after) <= 200
    assert "notification_templates.invite.en.body" not in changes
