"""Mail wordings that cannot break sending: each is rendered with sample data, in its language,
under limits of size, loops and time when saved; whatever still fails when a mail is sent (a
wording stored before the check) gives way to the built-in text, with a log line and a metric,
and never an error. The settings page edits every mail from its built-in text, with the
variables it may use and a preview."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib import clock
from chalicelib.mail import outbound
from chalicelib.services import mail_templates
from tests.functional.notification_support import (
    Desk,
    Stream,
    mails_to,
    send_queued_account_mail,
    session_token,
)

pytestmark = pytest.mark.functional

PREVIEW = "/api/admin/settings/mail-templates/preview"
# The four wordings that once passed the save check and then raised (or ate 300 MB) when sent.
HOSTILE = {
    "division by zero": ("{{ (name|length) // 0 }}", "template_render_failed"),
    "a range too long": ("{% for i in range(100001) %}{{ i }}{% endfor %}",
                         "template_loop_too_long"),
    "%-formatting a text": ("{{ '%d' % name }}", "template_render_failed"),
    "300 MB of name": ("{{ name * 100000000 }}", "template_too_long"),
    # a typo is a syntax problem, not one of variables (the page explains each differently)
    "an unclosed tag": ("{{ name }", "template_syntax"),
}


@pytest.fixture
def admin_token(make_user) -> str:
    return session_token(make_user("admin", name="Ada Admin"))


@pytest.fixture
def fallbacks(monkeypatch) -> list[str]:
    """The metrics counted and the warnings logged by the mail templates' service."""
    seen: list[str] = []
    real_count, real_logger = mail_templates.count, mail_templates.get_logger()

    def record(name: str, value: int = 1) -> None:
        seen.append(name)
        real_count(name, value)

    class Logger:
        def warning(self, message: str, **kwargs: Any) -> None:
            seen.append(f"log: {message} {kwargs.get('extra', {}).get('problem')}")
            real_logger.warning(message, **kwargs)

    monkeypatch.setattr(mail_templates, "count", record)
    monkeypatch.setattr(mail_templates, "get_logger", Logger)
    return seen


def _save(api, token: str, templates: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    status, body, _ = api.call("PATCH", "/api/admin/settings",
                               {"notification_templates": templates}, token=token)
    return status, body


def _store_directly(templates: dict[str, Any]) -> None:
    """As a settings record saved before the render check would hold it."""
    from chalicelib.data import settings as store
    from chalicelib.services.settings import forget_cached_settings

    item = store.get_settings_item()
    store.save_settings_item(item, {**item.data, "notification_templates": templates},
                             clock.now())
    forget_cached_settings()


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_a_wording_that_would_fail_when_sent_is_refused_on_save_with_its_reason(
    api, admin_token, case
):
    source, code = HOSTILE[case]
    # When the admin saves it as the French body of the reset mail
    status, body = _save(api, admin_token, {
        "password_reset": {"fr": {"body": "{{ link }} " + source}}})
    # Then it is refused, naming the mail, the language, the part and the problem
    assert status == 400, body
    assert body["error"]["code"] == "mail_template_refused"
    [detail] = body["error"]["details"]
    assert (detail["template"], detail["language"], detail["part"], detail["code"]) == (
        "password_reset", "fr", "body", code)
    assert detail["field"] == "notification_templates.password_reset.fr.body"
    assert "password_reset" in body["error"]["message"] and "French" in body["error"]["message"]
    # and nothing was saved
    _, loaded, _ = api.call("GET", "/api/admin/settings", token=admin_token)
    assert loaded["settings"]["notification_templates"] == {}


def test_every_language_is_rendered_with_sample_data_when_saved(api, admin_token):
    # A wording that only fails with the sample data of the digest (three updates)
    status, body = _save(api, admin_token, {"digest": {
        "en": {"body": "{{ count }} updates: {{ link }}"},
        "pl": {"body": "{{ 1 // (count - 3) }}"}}})
    assert status == 400, body
    assert [(d["language"], d["part"]) for d in body["error"]["details"]] == [("pl", "body")]
    # while wordings that render are saved
    status, body = _save(api, admin_token, {"digest": {"en": {"body": "{{ count }} updates"}}})
    assert status == 200, body


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_a_stored_wording_that_fails_gives_way_to_the_built_in_reset_mail(
    api, make_user, fallbacks, case
):
    # Given a wording stored before the check, as the body and the subject of the reset mail
    source, code = HOSTILE[case]
    _store_directly({"password_reset": {"en": {"subject": source, "body": "{{ link }}" + source}}})
    user = make_user("customer", email="real@acme.test", name="Real Person")
    # When a real account and an unknown address ask for a reset
    real = api.call("POST", "/api/auth/password-reset", {"email": user["email"]})
    unknown = api.call("POST", "/api/auth/password-reset", {"email": "nobody@acme.test"})
    assert send_queued_account_mail() == {"batchItemFailures": []}
    # Then both get the same 202
    assert real[0] == unknown[0] == 202
    assert real[1] == unknown[1]
    # and the real account gets the built-in mail, with a log line and a metric saying why
    [mail] = mails_to(user["email"])
    assert mail["subject"] == "Reset your Parley password"
    assert "Someone asked to reset the password" in mail["text"]
    assert "/reset-password?token=" in mail["text"]
    assert fallbacks == [
        "MailTemplateFallback",
        f"log: mail template override failed; the built-in text was sent {code}"]


def test_a_stored_wording_that_fails_never_stops_a_notification(
    api, make_org, make_user, admin_token, fallbacks
):
    desk = Desk(api, make_org, make_user)
    stream = Stream()
    # Given secure notifications worded with a variable they no longer have, and a huge text
    _store_directly({"secure_notification": {"en": {
        "body": "{{ ticket.title }}{% for i in range(10) %}{{ link * 99999 }}{% endfor %}"}}})
    # When an agent answers the customer
    ticket_id = desk.open_ticket()
    desk.answer(ticket_id)
    assert stream.pump() == {"batchItemFailures": []}
    # Then the customer still gets the built-in notice
    [mail] = [m for m in mails_to("alice@acme.test") if "You have a new message" in m["text"]]
    assert f"/tickets/{ticket_id}" in mail["text"]
    assert fallbacks[:2] == [
        "MailTemplateFallback",
        "log: mail template override failed; the built-in text was sent template_render_failed"]


def test_a_wording_that_renders_is_sent_as_worded(api, make_user, admin_token, fallbacks):
    status, body = _save(api, admin_token, {"password_reset": {"en": {
        "subject": "{{ name|upper }}, a new password",
        "body": "{% for i in range(2) %}{{ loop.index }}. {% endfor %}{{ link }}"}}})
    assert status == 200, body
    user = make_user("customer", email="worded@acme.test", name="Wanda")
    assert api.call("POST", "/api/auth/password-reset", {"email": user["email"]})[0] == 202
    send_queued_account_mail()
    [mail] = mails_to(user["email"])
    assert mail["subject"] == "WANDA, a new password"
    assert mail["text"].startswith("1. 2. http://127.0.0.1:8000/reset-password?token=")
    assert fallbacks == []


def test_the_template_list_covers_every_mail_with_its_text_and_variables(api, admin_token):
    status, body, _ = api.call("GET", "/api/admin/settings/mail-templates", token=admin_token)
    assert status == 200, body
    templates = {t["name"]: t for t in body["templates"]}
    # Every template name the code sends, 14 of them (the sign-in link and the two second-factor
    # notices among them)
    assert set(templates) == set(outbound.MAIL_TEMPLATES)
    assert len(templates) == 15
    for name, template in templates.items():
        assert {v["name"] for v in template["variables"]} == outbound.MAIL_TEMPLATES[name]
        assert all(v["description"] for v in template["variables"])
        assert set(template["builtin"]) == {"en", "fr", "pl"}
        for language, text in template["builtin"].items():
            assert text["subject"] and text["body"], (name, language)
            assert not text["subject"].startswith("Subject:")
    assert templates["invite"]["required"] == ["link"]
    assert templates["password_reset"]["builtin"]["fr"]["subject"].startswith("Réinitialisez")


def test_the_preview_renders_an_unsaved_wording_with_sample_data(api, admin_token):
    # Given a French invitation being edited (not saved)
    status, body, _ = api.call("POST", PREVIEW, {
        "template": "invite", "language": "fr",
        "subject": "Bienvenue, {{ name }}", "body": "Votre lien : {{ link }}"}, token=admin_token)
    assert status == 200, body
    assert body["preview"]["subject"] == "Bienvenue, Zoë Łukasiewicz-Fontaine"
    assert body["preview"]["text"] == (
        "Votre lien : http://127.0.0.1:8000/reset-password?token=SAMPLE-TOKEN\n")
    # An empty wording previews the built-in text of that language
    status, body, _ = api.call("POST", PREVIEW, {"template": "digest", "language": "pl"},
                               token=admin_token)
    assert status == 200, body
    assert body["preview"]["subject"] == (
        "[#1042] Invoice 2026-118 does not match the order (VAT counted twice)")
    assert "(liczba: 3)" in body["preview"]["text"]
    # Nothing was saved
    _, loaded, _ = api.call("GET", "/api/admin/settings", token=admin_token)
    assert loaded["settings"]["notification_templates"] == {}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_the_preview_is_bounded_and_says_why_it_refuses(api, admin_token, case):
    source, code = HOSTILE[case]
    status, body, _ = api.call("POST", PREVIEW, {
        "template": "invite", "language": "en", "subject": source},
        token=admin_token)
    assert status == 400, body
    [detail] = body["error"]["details"]
    assert (detail["part"], detail["code"]) == ("subject", code)


def test_the_preview_refuses_output_over_the_cap(api, admin_token):
    status, body, _ = api.call("POST", PREVIEW, {
        "template": "secure_notification", "language": "en",
        "body": "{% for i in range(900) %}{{ ticket_title * 20 }}{% endfor %}"},
        token=admin_token)
    assert status == 400, body
    assert body["error"]["details"][0]["code"] == "template_too_long"


def test_only_admins_see_and_preview_mail_templates(api, make_user):
    for role in ("customer", "agent"):
        token = session_token(make_user(role))
        assert api.call("GET", "/api/admin/settings/mail-templates", token=token)[0] == 403
        assert api.call("POST", PREVIEW, {"template": "invite", "language": "en"},
                        token=token)[0] == 403


def test_saving_one_wording_keeps_the_others_and_null_resets_one(api, admin_token):
    assert _save(api, admin_token, {"invite": {"fr": {"subject": "Invitation {{ name }}"}}})[0] \
        == 200
    assert _save(api, admin_token, {"digest": {"en": {"body": "{{ count }} news"}}})[0] == 200
    _, loaded, _ = api.call("GET", "/api/admin/settings", token=admin_token)
    kept = loaded["settings"]["notification_templates"]
    assert kept["invite"]["fr"]["subject"] == "Invitation {{ name }}"
    assert kept["digest"]["en"]["body"] == "{{ count }} news"
    # Back to the built-in text: the page sends null for that language
    assert _save(api, admin_token, {"invite": {"fr": None}})[0] == 200
    _, loaded, _ = api.call("GET", "/api/admin/settings", token=admin_token)
    assert "fr" not in loaded["settings"]["notification_templates"].get("invite", {})
    assert loaded["settings"]["notification_templates"]["digest"]["en"]["body"]
