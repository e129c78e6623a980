"""Canned responses: an agent's own are theirs alone, the team's shared ones are written by
admins (audited), each is found by words and language, and its placeholders are filled for the
ticket at hand or refused when the console could not fill them."""

from __future__ import annotations

import typing
from typing import Any

import pytest

from tests.functional.conversation_support import Cast, assert_error

pytestmark = pytest.mark.functional

CANNED = "/api/console/canned"


def save(cast: Cast, who: str, **fields: Any) -> dict[str, Any]:
    body = {"title": "Refund on its way", "body": "Your refund is on its way.",
            "language": "en", **fields}
    status, answer, _ = cast.call(who, "POST", CANNED, body)
    assert status == 201, answer
    return dict(answer["response"])


def listed(cast: Cast, who: str, query: str = "") -> dict[str, Any]:
    return dict(cast.get(who, CANNED + query))


def titles(cast: Cast, who: str, query: str = "") -> list[str]:
    return [item["title"] for item in listed(cast, who, query)["items"]]


def test_a_personal_response_is_its_owners_alone(cast):
    # Given Sam's own response
    mine = save(cast, "sam", title="My sign-off", body="Cheers, Sam", shortcut="bye")
    assert (mine["shared"], mine["editable"], mine["shortcut"]) == (False, True, "bye")

    # Then Sam lists it, and Kim, another agent, does not
    assert titles(cast, "sam") == ["My sign-off"]
    assert titles(cast, "kim") == []
    # nor can Kim change or delete it: it is as missing as a deleted one
    missing = assert_error(cast.call("kim", "PATCH", f"{CANNED}/{mine['id']}", {"title": "Mine"}),
                           404, "canned_not_found")
    assert assert_error(cast.call("kim", "DELETE", f"{CANNED}/{mine['id']}"), 404) == missing
    # and a customer reaches none of the routes
    assert_error(cast.call("alice", "GET", CANNED), 403)
    assert_error(cast.call("alice", "PATCH", f"{CANNED}/{mine['id']}", {"title": "X"}), 403)
    assert_error(cast.call("alice", "POST", CANNED, {
        "title": "X", "body": "Y", "language": "en"}), 403)

    # And Sam changes it, then deletes it
    status, changed, _ = cast.call("sam", "PATCH", f"{CANNED}/{mine['id']}",
                                   {"body": "Best regards, Sam", "shortcut": None})
    assert status == 200, changed
    assert (changed["response"]["body"], changed["response"]["shortcut"]) == (
        "Best regards, Sam", None)
    assert cast.call("sam", "DELETE", f"{CANNED}/{mine['id']}")[0] == 200
    assert titles(cast, "sam") == []
    assert_error(cast.call("sam", "DELETE", f"{CANNED}/{mine['id']}"), 404, "canned_not_found")


def test_shared_responses_are_written_by_admins_and_audited(cast):
    # An agent may not add to the team's responses
    assert_error(cast.call("sam", "POST", CANNED, {
        "title": "Refund", "body": "Refunded.", "language": "en", "shared": True}),
        403, "shared_admins_only")

    # When the admin adds one
    shared = save(cast, "ada", title="Refund on its way", shortcut="Refund", action="send",
                  shared=True)
    assert (shared["shared"], shared["shortcut"], shared["action"]) == (True, "refund", "send")

    # Then every agent uses it, and none may change or delete it
    sams = listed(cast, "sam")["items"]
    assert [(r["title"], r["shared"], r["editable"]) for r in sams] == [
        ("Refund on its way", True, False)]
    assert_error(cast.call("sam", "PATCH", f"{CANNED}/{shared['id']}", {"title": "Mine now"}),
                 403, "shared_admins_only")
    assert_error(cast.call("kim", "DELETE", f"{CANNED}/{shared['id']}"), 403, "shared_admins_only")

    # And the admin's changes are in the audit log, before and after
    status, changed, _ = cast.call("ada", "PATCH", f"{CANNED}/{shared['id']}",
                                   {"title": "Refund issued", "action": None})
    assert status == 200, changed
    assert titles(cast, "sam") == ["Refund issued"]
    assert cast.call("ada", "DELETE", f"{CANNED}/{shared['id']}")[0] == 200
    assert titles(cast, "kim") == []
    log = cast.get("ada", "/api/admin/audit?kind=change")["items"]
    entries = {e["action"]: e for e in log if e["action"].startswith("canned.")}
    assert set(entries) == {"canned.create", "canned.update", "canned.delete"}
    update = entries["canned.update"]
    assert update["actor_id"] == cast.id("ada")
    assert update["target"] == f"canned:{shared['id']}"
    assert {(c["field"], c["before"], c["after"]) for c in update["details"]["changes"]} == {
        ("title", "Refund on its way", "Refund issued"), ("action", "send", None)}
    # What the agent tried and was refused changed nothing and is not audited as a change
    assert {e["details"]["title"] for e in entries.values()} == {
        "Refund on its way", "Refund issued"}


def test_placeholders_are_filled_for_the_ticket(cast):
    ticket = cast.open_ticket("alice")
    cast.call("alice", "PATCH", "/api/me", {"language": "fr"})
    save(cast, "sam", title="Hello", body=(
        "Bonjour {{ customer_name }},\nvotre ticket #{{ticket_number}} est traité.\n"
        "{{  agent_name  }}"), language="fr")

    # Asked for one ticket, each response comes filled for its customer and the agent asking
    answer = listed(cast, "sam", f"?ticket_id={ticket['id']}")
    assert answer["customer_language"] == "fr"
    [item] = answer["items"]
    assert item["filled"] == (f"Bonjour Alice,\nvotre ticket #{ticket['number']} est traité.\n"
                              "Sam Agent")
    assert "{{ customer_name }}" in item["body"]  # what was saved is kept as written
    assert answer["placeholders"] == ["customer_name", "ticket_number", "agent_name"]
    # A list asked without a ticket fills nothing; a ticket that does not exist is a 404
    assert "filled" not in listed(cast, "sam")["items"][0]
    assert_error(cast.call("sam", "GET", f"{CANNED}?ticket_id=0123456789abcdef0123456789abcdef"),
                 404, "ticket_not_found")


def test_a_value_that_looks_like_a_placeholder_is_not_filled_again(cast, make_user):
    from tests.functional.notification_support import set_user

    ticket = cast.open_ticket("bob")
    set_user(cast.id("bob"), name="{{ agent_name }}")
    save(cast, "kim", body="Dear {{ customer_name }}, {{ agent_name }}")
    [item] = listed(cast, "kim", f"?ticket_id={ticket['id']}")["items"]
    assert item["filled"] == "Dear {{ agent_name }}, Kim Agent"


@pytest.mark.parametrize(("body", "shown"), [
    ("Dear {{ customer.email }}", "{{ customer.email }}"),
    ("Dear {{ requester_name }}", "{{ requester_name }}"),
    ("Dear {{ customer_name", "Dear {{ customer_name"),
    ("Dear customer_name }}", "Dear customer_name }}"),
])
def test_a_placeholder_the_console_cannot_fill_is_refused(cast, body, shown):
    error = assert_error(cast.call("sam", "POST", CANNED, {
        "title": "Hello", "body": body, "language": "en"}), 400, "unknown_placeholder")
    assert error["details"]["placeholder"] == shown
    assert "{{ customer_name }}, {{ ticket_number }}, {{ agent_name }}" in error["message"]
    assert titles(cast, "sam") == []


def test_a_change_to_an_unknown_placeholder_is_refused_and_keeps_the_response(cast):
    kept = save(cast, "sam", body="Hello {{ customer_name }}")
    assert_error(cast.call("sam", "PATCH", f"{CANNED}/{kept['id']}",
                           {"body": "Hello {{ customer_first_name }}"}), 400, "unknown_placeholder")
    assert listed(cast, "sam")["items"][0]["body"] == "Hello {{ customer_name }}"


def test_responses_are_found_by_language_and_by_words(cast):
    save(cast, "ada", title="Écran noir au démarrage", body="Redémarrez en mode sans échec.",
         language="fr", shared=True, shortcut="ecran")
    save(cast, "ada", title="Black screen at start-up", body="Restart in safe mode.",
         language="en", shared=True)
    save(cast, "sam", title="Czarny ekran", body="Uruchom ponownie w trybie awaryjnym.",
         language="pl")
    save(cast, "sam", title="Signature", body="— {{ agent_name }}", language="any")

    # A language keeps its own and those for any language
    assert titles(cast, "sam", "?language=fr") == ["Écran noir au démarrage", "Signature"]
    assert titles(cast, "sam", "?language=pl") == ["Czarny ekran", "Signature"]
    # Every word must be found in the title, the shortcut or the body, in any order, accents
    # and case ignored
    assert titles(cast, "sam", "?q=ECRAN") == ["Écran noir au démarrage"]
    assert titles(cast, "sam", "?q=mode+restart") == ["Black screen at start-up"]
    assert titles(cast, "sam", "?q=sans+echec+redemarrez") == ["Écran noir au démarrage"]
    assert titles(cast, "sam", "?q=%3Becran") == ["Écran noir au démarrage"]  # ";ecran"
    assert titles(cast, "sam", "?q=trybie") == ["Czarny ekran"]
    assert titles(cast, "sam", "?q=screen&language=fr") == []
    # Kim does not find Sam's own
    assert titles(cast, "kim", "?q=ekran") == []


def test_a_shortcut_is_unique_within_a_list(cast):
    first = save(cast, "sam", title="Refund", shortcut="refund")
    # Taken in Sam's list, whatever its case
    assert_error(cast.call("sam", "POST", CANNED, {
        "title": "Other", "body": "Other", "language": "en", "shortcut": "REFUND"}),
        409, "shortcut_taken")
    second = save(cast, "sam", title="Other", shortcut="other")
    assert_error(cast.call("sam", "PATCH", f"{CANNED}/{second['id']}", {"shortcut": "refund"}),
                 409, "shortcut_taken")
    # Free in Kim's list and in the team's
    save(cast, "kim", title="Kim's refund", shortcut="refund")
    save(cast, "ada", title="Team refund", shortcut="refund", shared=True)
    # And free again in Sam's once the first lets it go
    cast.call("sam", "PATCH", f"{CANNED}/{first['id']}", {"shortcut": "refund-old"})
    status, moved, _ = cast.call("sam", "PATCH", f"{CANNED}/{second['id']}",
                                 {"shortcut": "refund"})
    assert status == 200, moved
    cast.call("sam", "DELETE", f"{CANNED}/{second['id']}")
    save(cast, "sam", title="Third", shortcut="refund")


def test_a_list_holds_a_bounded_number_of_responses(cast, monkeypatch):
    from chalicelib.services import canned

    monkeypatch.setattr(canned, "MAX_PERSONAL", 2)
    first = save(cast, "sam", title="One")
    save(cast, "sam", title="Two")
    error = assert_error(cast.call("sam", "POST", CANNED, {
        "title": "Three", "body": "Three", "language": "en"}), 409, "too_many_canned")
    assert error["details"] == {"limit": 2}
    cast.call("sam", "DELETE", f"{CANNED}/{first['id']}")
    save(cast, "sam", title="Three")
    assert titles(cast, "sam") == ["Three", "Two"]


@pytest.mark.parametrize(("fields", "field"), [
    ({"title": "Two\nlines"}, "title"),
    ({"title": "   "}, "title"),
    ({"shortcut": "re fund"}, "shortcut"),
    ({"shortcut": ";refund"}, "shortcut"),
    ({"language": "de"}, "language"),
    ({"action": "close"}, "action"),
    ({"body": "x" * 5_001}, "body"),
])
def test_what_no_response_can_be_is_refused_with_its_field(cast, fields, field):
    body = {"title": "Refund", "body": "Refunded.", "language": "en", **fields}
    error = assert_error(cast.call("sam", "POST", CANNED, body), 400)
    assert field in [detail["field"] for detail in error["details"]], error
    assert titles(cast, "sam") == []


def test_the_routes_take_what_the_service_and_the_composer_know():
    from chalicelib.api import canned as routes
    from chalicelib.services import canned
    from chalicelib.services.tickets.console import ANSWERS

    assert set(typing.get_args(routes.AnswerAction)) == set(ANSWERS)
    assert set(typing.get_args(routes.ResponseLanguage)) == set(canned.LANGUAGES)
    fields = routes.CannedBody.model_fields
    limits = {name: next(m.max_length for m in fields[name].metadata if hasattr(m, "max_length"))
              for name in ("title", "body", "shortcut")}
    assert limits == {"title": canned.MAX_TITLE, "body": canned.MAX_BODY,
                      "shortcut": canned.MAX_SHORTCUT}
