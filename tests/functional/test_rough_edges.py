"""Rough edges of issue 16 (item 8), as rules the server decides: who is offered "OK, resolved"
and the rating, a reset link checked without being spent, a confirmed registration that signs
in, and topics and troubleshooters named in each customer's language, in the portal and in mail.
(The pages that follow these answers are tests/browser/test_rough_edges.py.)"""

from __future__ import annotations

from typing import Any

import pytest

from tests.functional.auth_support import STRONG_PASSWORD, link_token, mails_to
from tests.functional.conversation_support import Cast, assert_error
from tests.functional.notification_support import mails_to as mails_sent_to
from tests.functional.notification_support import send_queued_account_mail, session_token

pytestmark = pytest.mark.functional

MINUTE = 60
TOPICS: list[dict[str, Any]] = [
    {"id": "general", "name": "General question", "team_id": "support"},
    {"id": "technical", "name": "Technical problem", "team_id": "support",
     "names": {"fr": "Problème technique", "pl": "Problem techniczny"}},
]
PRINTER: dict[str, Any] = {
    "id": "printer", "name": "Printer trouble", "topic": "technical", "intro": "Two questions.",
    "questions": [{"text": "Which printer?", "options": ["Ground floor", "Attic"]},
                  {"text": "What does it say?", "options": []}],
    "translations": {"pl": {
        "name": "Problem z drukarką", "intro": "",
        "questions": [{"text": "Która drukarka?", "options": ["Parter", "Poddasze"]},
                      {"text": "Co wyświetla?", "options": []}],
    }},
}


def speaks(cast: Cast, who: str, language: str) -> None:
    status, body, _ = cast.call(who, "PATCH", "/api/me", {"language": language})
    assert status == 200, body


# ---------------------------------------------------------------------------------------------
# "OK, resolved" and the rating: offered to the requester only


def test_only_the_requester_is_offered_resolving_and_rating(cast):
    # Given Alice's open ticket, which Boss reads through the organization view
    ticket_id = cast.open_ticket("alice")["id"]

    # Then Alice may resolve it, and Boss may reply but neither resolve nor rate
    mine, boss = cast.portal_ticket("alice", ticket_id), cast.portal_ticket("boss", ticket_id)
    assert (mine["can_resolve"], mine["can_rate"]) == (True, False)
    assert (boss["can_reply"], boss["can_resolve"], boss["can_rate"]) == (True, False, False)

    # When the team resolves it, Alice may rate it and Boss still may not
    assert cast.answer("sam", ticket_id, "send")[0] == 201
    mine, boss = cast.portal_ticket("alice", ticket_id), cast.portal_ticket("boss", ticket_id)
    assert (mine["can_resolve"], mine["can_rate"]) == (False, True)
    assert (boss["can_resolve"], boss["can_rate"]) == (False, False)
    # And what the view says is what the routes do
    assert_error(cast.call("boss", "PUT", f"/api/portal/tickets/{ticket_id}/rating",
                           {"score": 5}), 403, "not_requester")


# ---------------------------------------------------------------------------------------------
# Reset links: checked before the form, without being spent


def check(api: Any, token: str) -> tuple[int, Any, dict[str, Any]]:
    return api.call("POST", "/api/auth/password-reset/check", {"token": token})


def test_a_reset_link_is_checked_without_being_spent(api, make_user, sent_mail, fake_clock):
    # Given a customer's reset link
    email = make_user("customer")["email"]
    api.call("POST", "/api/auth/password-reset", {"email": email})
    send_queued_account_mail()
    token = link_token(mails_to(sent_mail, email)[0])

    # When the page checks it, twice, it still works
    assert check(api, token)[:2] == (200, {"ok": True})
    assert check(api, token)[0] == 200
    status, body, _ = api.call("POST", "/api/auth/password-reset/confirm",
                               {"token": token, "new_password": STRONG_PASSWORD})
    assert status == 200, body

    # Then once used, expired or never issued, it is refused as confirming it would be
    assert_error(check(api, token), 400, "invalid_token")
    api.call("POST", "/api/auth/password-reset", {"email": email})
    send_queued_account_mail()
    later = link_token(mails_to(sent_mail, email)[-1])
    fake_clock.advance(31 * MINUTE)
    assert_error(check(api, later), 400, "invalid_token")
    assert_error(check(api, "never-issued-0123456789"), 400, "invalid_token")


# ---------------------------------------------------------------------------------------------
# Confirming a registration signs in


def test_confirming_a_registration_signs_in(api, make_user, sent_mail, fake_clock):
    admin = session_token(make_user("admin"))
    assert api.call("PATCH", "/api/admin/settings", {"self_registration": True},
                    token=admin)[0] == 200
    api.call("POST", "/api/auth/register",
             {"email": "nina@example.test", "name": "Nina", "password": STRONG_PASSWORD})
    send_queued_account_mail()
    token = link_token(mails_to(sent_mail, "nina@example.test")[0])

    # When Nina confirms with the password she chose
    status, body, headers = api.call("POST", "/api/auth/verify",
                                     {"token": token, "password": STRONG_PASSWORD})

    # Then she is signed in: a session, its cookie, and no second password asked
    assert status == 200, body
    assert body["user"]["email"] == "nina@example.test" and body["user"]["status"] == "active"
    assert "parley_session=" in str(headers.get("Set-Cookie") or headers.get("set-cookie"))
    assert api.call("GET", "/api/me", token=body["token"])[0] == 200


def test_the_confirmation_link_is_no_way_to_guess_the_password(api, make_user, sent_mail,
                                                                fake_clock):
    admin = session_token(make_user("admin"))
    api.call("PATCH", "/api/admin/settings", {"self_registration": True}, token=admin)
    api.call("POST", "/api/auth/register",
             {"email": "nina@example.test", "name": "Nina", "password": STRONG_PASSWORD})
    send_queued_account_mail()
    token = link_token(mails_to(sent_mail, "nina@example.test")[0])
    # When someone holding the link guesses passwords, as many as sign-in lets through
    for n in range(5):
        status, body, _ = api.call("POST", "/api/auth/verify",
                                   {"token": token, "password": f"Guess number {n}!"})
        assert status == 400 and body["error"]["code"] == "invalid_token"
    # Then the next try is refused as a sign-in would be, the right password too
    status, body, _ = api.call("POST", "/api/auth/verify",
                               {"token": token, "password": STRONG_PASSWORD})
    assert status == 429, body
    # And once the lock has passed, Nina confirms and is signed in
    fake_clock.advance(31)
    status, body, _ = api.call("POST", "/api/auth/verify",
                               {"token": token, "password": STRONG_PASSWORD})
    assert status == 200, body


# ---------------------------------------------------------------------------------------------
# Topics and troubleshooters in the customer's language


def test_topics_and_troubleshooters_are_named_in_each_customers_language(cast):
    # Given topics and a troubleshooter with Polish (and French) names, and Bob reading Polish
    cast.change_settings(topics=TOPICS, troubleshooters=[PRINTER])
    speaks(cast, "bob", "pl")

    # Then Bob is offered them in Polish, and Alice, in English, as the admin named them
    config = cast.get("bob", "/api/portal/config")
    assert [t["name"] for t in config["topics"]] == ["General question", "Problem techniczny"]
    [form] = config["troubleshooters"]
    assert form["name"] == "Problem z drukarką" and form["intro"] == "Two questions."
    assert form["questions"][0] == {"text": "Która drukarka?", "options": ["Parter", "Poddasze"]}
    english = cast.get("alice", "/api/portal/config")
    assert english["troubleshooters"][0]["name"] == "Printer trouble"
    assert english["topics"][1]["name"] == "Technical problem"

    # When Bob answers the form as he was shown it
    answers = [{"question": "Która drukarka?", "answer": "Poddasze"},
               {"question": "Co wyświetla?", "answer": "Brak papieru"}]
    status, created, _ = cast.call("bob", "POST", "/api/portal/tickets", {
        "topic": "technical", "troubleshooter": {"id": "printer", "name": form["name"],
                                                 "answers": answers}})

    # Then the ticket keeps what he was asked, and every view names its topic in Polish
    assert status == 201, created
    ticket = created["ticket"]
    assert ticket["topic_name"] == "Problem techniczny"
    assert ticket["subject"] == "Problem z drukarką"
    assert ticket["troubleshooter"] == {"id": "printer", "name": "Problem z drukarką",
                                        "answers": answers}
    listed = cast.get("bob", "/api/portal/tickets")["items"]
    assert [t["topic_name"] for t in listed] == ["Problem techniczny"]
    polled = cast.get("bob", f"/api/portal/tickets/{ticket['id']}/messages?after=0")
    assert polled["ticket"]["topic_name"] == "Problem techniczny"
    # And the console reads the topic by its id, as before
    assert cast.console_ticket("sam", ticket["id"])["topic"] == "technical"

    # And English questions from a Polish reader are not the form he was shown
    english_answers = [{"question": "Which printer?", "answer": "Attic"},
                       {"question": "What does it say?", "answer": "Out of paper"}]
    assert_error(cast.call("bob", "POST", "/api/portal/tickets", {
        "topic": "technical", "troubleshooter": {"id": "printer", "name": "Printer trouble",
                                                 "answers": english_answers}}),
        400, "invalid_answer")


def test_the_customers_mail_names_the_topic_in_their_language(api, make_user, desk, stream):
    # Given the technical topic named in Polish, and Alice reading Polish
    admin = session_token(make_user("admin"))
    assert api.call("PATCH", "/api/admin/settings", {"topics": TOPICS}, token=admin)[0] == 200
    assert api.call("PATCH", "/api/me", {"language": "pl"}, token=desk.customer_token())[0] == 200

    # When she opens a ticket and the team answers
    ticket_id = desk.open_ticket()
    desk.answer(ticket_id)
    assert stream.pump() == {"batchItemFailures": []}

    # Then her acknowledgement and her notification, in Polish, name the topic in Polish
    texts = [mail["text"] for mail in mails_sent_to("alice@acme.test")]
    assert len(texts) == 2
    assert all("(Problem techniczny)" in text and "Dzień dobry" in text for text in texts), texts


def test_settings_saved_before_translations_load_and_an_edit_keeps_them(cast):
    from chalicelib.data import settings as store
    from chalicelib.services.settings import forget_cached_settings

    # Given settings stored before topics and forms had translations
    old_form = {key: PRINTER[key] for key in ("id", "name", "topic", "intro", "questions")}
    old_topics = [{key: value for key, value in t.items() if key != "names"} for t in TOPICS]
    store.save_settings_item(store.get_settings_item(),
                             {"topics": old_topics, "troubleshooters": [old_form]}, 0)
    forget_cached_settings()

    # Then they load, with none
    saved = cast.get("ada", "/api/admin/settings")["settings"]
    assert saved["topics"][1]["names"] == {} and saved["troubleshooters"][0]["translations"] == {}

    # When the admin translates them, and a client that knows nothing of translations then
    # saves the topics and forms as it sees them
    cast.change_settings(topics=TOPICS, troubleshooters=[PRINTER])
    saved = cast.change_settings(topics=[*old_topics, {"id": "billing", "name": "Billing"}],
                                 troubleshooters=[{**old_form, "name": "Printer problems"}])

    # Then what it did not send is kept, and what it changed is changed
    assert saved["topics"][1]["names"] == TOPICS[1]["names"]
    assert saved["topics"][2]["names"] == {}
    assert saved["troubleshooters"][0]["name"] == "Printer problems"
    assert saved["troubleshooters"][0]["translations"] == PRINTER["translations"]
    # And translations sent empty are removed
    saved = cast.change_settings(topics=[{**TOPICS[1], "names": {"fr": "", "pl": " "}}])
    assert saved["topics"][0]["names"] == {}


@pytest.mark.parametrize(("change", "field"), [
    pytest.param({"topics": [{**TOPICS[1], "names": {"xx": "Problème"}}]}, "topics.0.names.xx",
                 id="a name in an unknown language"),
    pytest.param({"topics": [{**TOPICS[1], "names": {"fr": "x" * 81}}]}, "topics.0.names.fr",
                 id="a name too long"),
    pytest.param({"topics": TOPICS, "troubleshooters": [{**PRINTER, "translations": {"pl": {
        "questions": [{"text": "Która drukarka?", "options": ["Parter", "Poddasze"]}]}}}]},
        "troubleshooters.0.translations", id="fewer translated questions than the form has"),
    pytest.param({"topics": TOPICS, "troubleshooters": [{**PRINTER, "translations": {"pl": {
        "questions": [{"text": "Która drukarka?", "options": ["Parter"]},
                      {"text": "Co wyświetla?", "options": []}]}}}]},
        "troubleshooters.0.translations", id="a translated question with fewer choices"),
])
def test_translations_that_do_not_fit_are_refused(cast, change, field):
    status, body, _ = cast.call("ada", "PATCH", "/api/admin/settings", change)
    assert status == 400, body
    assert field in [detail["field"] for detail in body["error"]["details"]], body
