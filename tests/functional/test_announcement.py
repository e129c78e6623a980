"""The announcement holds a small markup (services/markup.py): an admin saves bold, italic and
https or mailto links; a link the pages would not show (javascript:, data:, http:, relative,
malformed) is refused when saved, in the settings' usual refusal; what was stored before the
check still loads and renders as text; and a save that does not send the announcement keeps it."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.functional

MARKUP = ("**Maintenance** on *Sunday* 06:00-08:00: see [our status page](https://status.acme.test/)"
          " or [write to us](mailto:help@acme.test).\n\nThank you for your patience.")


@pytest.fixture
def admin_token(api, make_user) -> str:
    return api.login(make_user("admin")["email"])


def save(api, token: str, changes: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    status, body, _ = api.call("PATCH", "/api/admin/settings", changes, token=token)
    return status, body


def test_an_announcement_with_emphasis_and_links_is_saved_and_published_as_typed(
        api, admin_token, fake_clock):
    # When the admin saves an announcement with emphasis, links and two paragraphs
    status, body = save(api, admin_token, {"announcement": MARKUP})

    # Then it is kept as typed, for the settings page to edit again
    assert status == 200, body
    assert body["settings"]["announcement"] == MARKUP

    # And every page, signed in or not, reads it from the branding, for markup.js to render
    status, branding, _ = api.call("GET", "/api/portal/branding")
    assert status == 200
    assert branding["announcement"] == MARKUP

    # And the audit log says what it became
    status, log, _ = api.call("GET", "/api/admin/audit?kind=change&action=settings.update",
                              token=admin_token)
    assert status == 200, log
    assert log["items"][0]["details"]["changed"] == ["announcement"]


@pytest.mark.parametrize("link", [
    "[click](javascript:alert(1))",
    "[click](data:text/html;base64,PHNjcmlwdD4=)",
    "[click](/tickets)",
    "[click](http://insecure.test/)",
    "[click](https://)",
    "[click](https://status.acme.test/ now)",
    "[click](https://user@bank.test/)",
    "[](https://status.acme.test/)",
])
def test_a_link_the_pages_would_not_show_is_refused_when_saved(api, admin_token, link):
    # Given an announcement already published
    assert save(api, admin_token, {"announcement": "Welcome."})[0] == 200

    # When the admin saves one with a link that is not https: or mailto:, or is malformed
    status, body = save(api, admin_token, {"announcement": f"Read this: {link}",
                                           "portal_name": "Acme Help"})

    # Then the save is refused, naming the field with a code the pages translate, and quoting
    # the link in the English message
    assert status == 400, body
    assert body["error"]["code"] == "invalid_input"
    [detail] = body["error"]["details"]
    assert detail["field"] == "announcement"
    assert detail["code"] == "invalid_format"
    assert link[:20] in detail["message"]
    assert "https://" in detail["message"] and "mailto:" in detail["message"]

    # And nothing of the save was kept
    status, branding, _ = api.call("GET", "/api/portal/branding")
    assert (branding["announcement"], branding["portal_name"]) == ("Welcome.", "Parley")


@pytest.mark.parametrize("typed", [
    "<script>alert(1)</script> <b>not bold</b>",
    "Brackets as they are: \\[note\\](see below), [a] (b), 2 * 3 * 4",
    "**unclosed, *nested **markers*** and ****stars****",
    "Zażółć **gęślą** jaźń 日本語 🎉 [café](https://xn--caf-dma.test/menu?q=é)",
])
def test_text_that_only_looks_like_markup_is_saved(api, admin_token, typed):
    # HTML typed as text is text (the pages never parse it), and escaped brackets are brackets
    status, body = save(api, admin_token, {"announcement": typed})
    assert status == 200, body
    assert body["settings"]["announcement"] == typed


def test_the_length_limit_stays_and_is_said_as_such(api, admin_token):
    status, body = save(api, admin_token, {"announcement": "[x](javascript:1) " + "a" * 2000})
    assert status == 400, body
    [detail] = body["error"]["details"]
    assert detail["field"] == "announcement"
    assert detail.get("code") != "invalid_format"  # too long, whatever else is wrong

    assert save(api, admin_token, {"announcement": "**" + "a" * 1996 + "**"})[0] == 200


def test_a_save_without_the_announcement_keeps_it(api, admin_token):
    # Given an announcement with markup
    assert save(api, admin_token, {"announcement": MARKUP})[0] == 200

    # When the admin changes something else
    status, body = save(api, admin_token, {"portal_name": "Acme Help"})

    # Then the announcement is as it was
    assert status == 200, body
    assert body["settings"]["announcement"] == MARKUP


def test_an_announcement_stored_before_the_check_still_loads_and_other_saves_pass(
        api, admin_token):
    # Given an announcement stored before links were checked, with a script link in it
    from chalicelib.data import settings as store
    from chalicelib.services.settings import forget_cached_settings

    stored = "Old news: [click](javascript:alert(1))"
    item = store.get_settings_item()
    store.save_settings_item(item, {**item.data, "announcement": stored}, 0)
    forget_cached_settings()

    # Then the portal still loads it (markup.js shows the link as the text typed)
    status, branding, _ = api.call("GET", "/api/portal/branding")
    assert status == 200
    assert branding["announcement"] == stored

    # And a save that does not touch it is not refused for it
    status, body = save(api, admin_token, {"portal_name": "Acme Help"})
    assert status == 200, body
    assert body["settings"]["announcement"] == stored

    # But saving it again, unchanged, is: it would still not be shown as a link
    assert save(api, admin_token, {"announcement": stored})[0] == 400
