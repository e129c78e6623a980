"""Troubleshooter forms: the admin configures them in the portal settings, the portal offers those
whose ticket the customer could see, and a ticket started from one stores the form's own
questions with the customer's checked answers."""

from __future__ import annotations

from typing import Any

import pytest

from tests.functional.conversation_support import Cast, assert_error

pytestmark = pytest.mark.functional

VPN: dict[str, Any] = {
    "id": "vpn",
    "name": "Can't sign in to the VPN",
    "topic": "technical",
    "intro": "A few questions first.",
    "questions": [
        {"text": "Which device?", "options": ["Laptop", "Phone"]},
        {"text": "What does the error say?", "options": []},
    ],
}
INVOICE: dict[str, Any] = {
    "id": "invoice",
    "name": "Invoice looks wrong",
    "topic": "billing",
    "questions": [{"text": "Which month?", "options": []}],
}


def patch_settings(cast: Cast, **changes: Any) -> tuple[int, Any]:
    status, body, _ = cast.call("ada", "PATCH", "/api/admin/settings", changes)
    return status, body


def refused_fields(body: Any) -> list[str]:
    assert body["error"]["code"] == "invalid_input", body
    return [detail["field"] for detail in body["error"]["details"]]


def send_form(cast: Cast, who: str, answers: list[dict[str, str]], **extra: Any) -> Any:
    payload = {"topic": "technical", "subject": "", "body": "",
               "troubleshooter": {"id": "vpn", "name": VPN["name"], "answers": answers}}
    payload.update(extra)
    return cast.call(who, "POST", "/api/portal/tickets", payload)


GOOD_ANSWERS = [
    {"question": "Which device?", "answer": "Laptop"},
    {"question": "What does the error say?", "answer": "Error 809"},
]

# ---------------------------------------------------------------------------------------------
# Settings


def test_the_admin_saves_forms_and_none_are_configured_by_default(cast):
    assert cast.get("ada", "/api/admin/settings")["settings"]["troubleshooters"] == []
    saved = cast.change_settings(troubleshooters=[VPN, INVOICE])
    assert [form["id"] for form in saved["troubleshooters"]] == ["vpn", "invoice"]
    assert saved["troubleshooters"][1]["intro"] == ""
    # And the change is audited like every settings change
    audit = cast.get("ada", "/api/admin/audit")["items"]
    assert any(item["action"] == "settings.update"
               and "troubleshooters" in item["details"]["changed"] for item in audit)


@pytest.mark.parametrize("label, forms, field", [
    ("a topic that is not configured", [{**VPN, "topic": "lottery"}], "troubleshooters"),
    ("the same id twice", [VPN, {**INVOICE, "id": "vpn"}], "troubleshooters"),
    ("21 questions", [{**VPN, "questions": [{"text": f"Q{n}?"} for n in range(21)]}],
     "troubleshooters.0.questions"),
    ("no question", [{**VPN, "questions": []}], "troubleshooters.0.questions"),
    ("an id that is not a slug", [{**VPN, "id": "VPN form"}], "troubleshooters.0.id"),
    ("a blank name", [{**VPN, "name": "   "}], "troubleshooters.0.name"),
    ("11 choices", [{**VPN, "questions": [{"text": "Q?", "options": [str(n) for n in range(11)]}]}],
     "troubleshooters.0.questions.0.options"),
    ("a choice of 101 characters",
     [{**VPN, "questions": [{"text": "Q?", "options": ["x" * 101]}]}],
     "troubleshooters.0.questions.0.options.0"),
    ("a question of 301 characters", [{**VPN, "questions": [{"text": "x" * 301}]}],
     "troubleshooters.0.questions.0.text"),
    # The settings page edits a question as one line, choices after "|": it must read back
    ("a question with a |", [{**VPN, "questions": [{"text": "TCP|UDP?"}]}],
     "troubleshooters.0.questions.0.text"),
    ("a question on two lines", [{**VPN, "questions": [{"text": "Is it A?\nReally?"}]}],
     "troubleshooters.0.questions.0.text"),
    ("a choice with a |", [{**VPN, "questions": [{"text": "Q?", "options": ["A|B", "C"]}]}],
     "troubleshooters.0.questions.0.options.0"),
])
def test_a_form_that_breaks_a_rule_is_refused_and_changes_nothing(cast, label, forms, field):
    status, body = patch_settings(cast, troubleshooters=forms)
    assert status == 400, (label, body)
    assert field in refused_fields(body), (label, body)
    assert cast.get("ada", "/api/admin/settings")["settings"]["troubleshooters"] == []


def test_a_topic_in_use_by_a_form_cannot_be_removed(cast):
    cast.change_settings(troubleshooters=[INVOICE])
    status, body = patch_settings(cast, topics=[{"id": "general", "name": "General"}])
    assert status == 400
    assert "troubleshooters" in refused_fields(body)
    assert "invoice" in body["error"]["details"][0]["message"]


# ---------------------------------------------------------------------------------------------
# What the portal offers


def test_the_portal_offers_the_forms_except_those_of_hidden_topics(cast):
    assert cast.get("alice", "/api/portal/config")["troubleshooters"] == []
    cast.change_settings(troubleshooters=[VPN, INVOICE])
    offered = cast.get("alice", "/api/portal/config")["troubleshooters"]
    assert offered[0] == {**VPN}
    assert [form["id"] for form in offered] == ["vpn", "invoice"]
    # When the admin hides the billing topic, its form is no longer offered
    cast.change_settings(hidden_topics=["billing"])
    assert [f["id"] for f in cast.get("alice", "/api/portal/config")["troubleshooters"]] == ["vpn"]
    # Nor is any when tickets from troubleshooters are hidden
    cast.change_settings(hidden_topics=[], hidden_channels=["troubleshooter"])
    assert cast.get("alice", "/api/portal/config")["troubleshooters"] == []


# ---------------------------------------------------------------------------------------------
# Opening a ticket from a form


def test_a_ticket_from_a_form_stores_the_forms_questions_and_the_answers(cast):
    cast.change_settings(troubleshooters=[VPN])
    # When Alice sends the form (her page's copy of a question differs in spacing only)
    answers = [{"question": " Which device? ", "answer": "Laptop"},
               {"question": "What does the error say?", "answer": "Error 809"}]
    status, created, _ = send_form(cast, "alice", answers)
    assert status == 201, created
    # Then the ticket is named after the form and carries the server's copy of the Q&A
    ticket = created["ticket"]
    assert ticket["subject"] == "Can't sign in to the VPN"
    assert ticket["topic"] == "technical" and ticket["channel"] == "troubleshooter"
    expected = {"id": "vpn", "name": "Can't sign in to the VPN", "answers": GOOD_ANSWERS}
    assert created["ticket"]["troubleshooter"] == expected
    assert "Which device? Laptop" in created["messages"][0]["body"]
    # And the agent's console shows the summary, titled with the form's name
    detail = cast.get("sam", f"/api/console/tickets/{ticket['id']}")
    assert detail["troubleshooter"] == expected
    assert detail["ticket"]["title"] == "Can't sign in to the VPN"


def test_a_form_with_a_note_keeps_the_note_as_the_first_message(cast):
    cast.change_settings(troubleshooters=[VPN])
    status, created, _ = send_form(cast, "alice", GOOD_ANSWERS, subject="VPN down at home",
                                   body="It worked yesterday.")
    assert status == 201, created
    assert created["ticket"]["subject"] == "VPN down at home"
    assert created["messages"][0]["body"] == "It worked yesterday."
    assert created["ticket"]["troubleshooter"]["answers"] == GOOD_ANSWERS


def test_answers_that_do_not_fit_the_form_are_refused(cast):
    cast.change_settings(troubleshooters=[VPN])
    not_a_choice = [{"question": "Which device?", "answer": "Toaster"}, GOOD_ANSWERS[1]]
    error = assert_error(send_form(cast, "alice", not_a_choice), 400, "invalid_answer")
    assert error["details"]["question"] == "Which device?"
    assert error["details"]["options"] == ["Laptop", "Phone"]
    missing = assert_error(send_form(cast, "alice", GOOD_ANSWERS[:1]), 400, "missing_answer")
    assert missing["details"]["question"] == "What does the error say?"
    blank = [GOOD_ANSWERS[0], {"question": "What does the error say?", "answer": "  "}]
    assert_error(send_form(cast, "alice", blank), 400, "missing_answer")
    stranger = [*GOOD_ANSWERS, {"question": "Favourite colour?", "answer": "Blue"}]
    assert_error(send_form(cast, "alice", stranger), 400, "invalid_answer")
    twice = [*GOOD_ANSWERS, GOOD_ANSWERS[0]]
    assert_error(send_form(cast, "alice", twice), 400, "invalid_answer")
    other_topic = send_form(cast, "alice", GOOD_ANSWERS, topic="billing")
    assert_error(other_topic, 400, "topic_mismatch")
    # Nothing was opened
    assert cast.get("alice", "/api/portal/tickets")["items"] == []


def test_an_unknown_or_hidden_form_is_refused_alike(cast):
    assert_error(send_form(cast, "alice", GOOD_ANSWERS), 400, "unknown_troubleshooter")
    cast.change_settings(troubleshooters=[VPN], hidden_topics=["technical"])
    assert_error(send_form(cast, "alice", GOOD_ANSWERS), 400, "unknown_troubleshooter")
    assert cast.get("sam", "/api/console/tickets")["items"] == []


def test_without_an_id_the_clients_summary_is_kept_as_before(cast):
    cast.change_settings(troubleshooters=[VPN])
    mine = {"name": "My own wizard",
            "answers": [{"question": "Which device?", "answer": "Toaster"}]}
    status, created, _ = cast.call("alice", "POST", "/api/portal/tickets",
                                   {"topic": "technical", "troubleshooter": mine})
    assert status == 201, created
    assert created["ticket"]["troubleshooter"] == mine
    # And with neither text nor troubleshooter, a ticket is still refused
    empty = cast.call("alice", "POST", "/api/portal/tickets",
                      {"topic": "technical", "subject": "Hi", "body": ""})
    assert_error(empty, 400, "empty_message")


def test_forms_that_would_outgrow_the_settings_item_are_refused(cast):
    # Given long mail wordings (stored as JSON, "é" takes six bytes)
    wordy = {language: {"body": "é" * 10_000} for language in ("en", "fr", "pl")}
    cast.change_settings(notification_templates={"acknowledgement": wordy})
    # When the admin adds forms each within its own limits, and the request within the body
    # limit, but together too large for the one item DynamoDB keeps the settings in (400 KB)
    biggest = {
        "name": "x" * 80, "topic": "technical", "intro": "x" * 1000,
        "questions": [{"text": f"{n}" + "x" * 290,
                       "options": [f"{m}" + "x" * 98 for m in range(10)]} for n in range(20)],
    }
    forms = [{**biggest, "id": f"form-{n}"} for n in range(8)]
    status, body = patch_settings(cast, troubleshooters=forms)
    # Then they are refused and nothing changes
    assert status == 400, body
    assert body["error"]["code"] == "settings_too_large"
    assert cast.get("ada", "/api/admin/settings")["settings"]["troubleshooters"] == []
    # And as many as fit are kept
    assert len(cast.change_settings(troubleshooters=forms[:2])["troubleshooters"]) == 2


def test_a_summary_cannot_fake_questions_or_a_configured_form(cast):
    cast.change_settings(troubleshooters=[VPN])
    # An answer with a line break cannot add a line that reads as another answered question
    forged = [{"question": "Which device?", "answer": "Laptop"},
              {"question": "What does the error say?",
               "answer": "809\n- Did you restart?: Yes"}]
    status, created, _ = send_form(cast, "alice", forged)
    assert status == 201, created
    first = created["messages"][0]["body"].splitlines()
    assert first == ["Troubleshooter: Can't sign in to the VPN", "- Which device? Laptop",
                     "- What does the error say? 809 - Did you restart?: Yes"]
    # A summary without an id may not take a configured form's name (agents would read it as
    # checked against that form)
    posing = {"name": "can't sign in to the vpn",
              "answers": [{"question": "Which device?", "answer": "Toaster"}]}
    refused = cast.call("alice", "POST", "/api/portal/tickets",
                        {"topic": "billing", "troubleshooter": posing})
    assert_error(refused, 400, "troubleshooter_id_required")
    # An answer of invisible characters only is no answer
    invisible = [GOOD_ANSWERS[0],
                 {"question": "What does the error say?", "answer": "\u200b\u2060"}]
    assert_error(send_form(cast, "alice", invisible), 400, "missing_answer")


def test_answers_longer_than_a_message_in_all_are_refused(cast):
    cast.change_settings(troubleshooters=[{**VPN, "questions": [
        {"text": f"Question {n}?"} for n in range(6)]}])
    long_answers = [{"question": f"Question {n}?", "answer": "x" * 1990} for n in range(6)]
    error = assert_error(send_form(cast, "alice", long_answers), 400, "answers_too_long")
    assert error["details"]["max"] == 10_000
    assert cast.get("alice", "/api/portal/tickets")["items"] == []


def test_an_unknown_topic_error_lists_only_the_topics_customers_may_see(cast):
    cast.change_settings(hidden_topics=["billing"])
    error = assert_error(cast.call("alice", "POST", "/api/portal/tickets",
                                   {"topic": "lottery", "subject": "Hi", "body": "Hello"}),
                         400, "unknown_topic")
    assert "billing" not in error["details"]["topics"]
    assert "general" in error["details"]["topics"]
