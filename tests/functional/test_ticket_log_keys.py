"""A request about one ticket names it on its log lines (`ticket_id`), so whoever reads the logs
after a failure finds the ticket it happened on, and the next request names no ticket of its own
by mistake."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from tests.functional.notification_support import Desk

pytestmark = pytest.mark.functional


class _CurrentStdout:
    """The log handler keeps the stream it was created with; pytest swaps sys.stdout per test."""

    def write(self, text: str) -> int:
        return sys.stdout.write(text)

    def flush(self) -> None:
        sys.stdout.flush()


@pytest.fixture
def log_lines(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Iterator[Any]:
    from chalicelib.observability import get_logger

    monkeypatch.setattr(get_logger().registered_handler, "stream", _CurrentStdout())
    capsys.readouterr()

    def read() -> list[dict[str, Any]]:
        out = capsys.readouterr().out
        return [json.loads(line) for line in out.splitlines()
                if line.startswith("{") and '"level"' in line]

    yield read


def _fails(monkeypatch: pytest.MonkeyPatch, module: Any, name: str) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the table went away")

    monkeypatch.setattr(module, name, broken)


def _errors(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [line for line in lines if line["message"] == "unhandled error"]


def test_a_failure_on_a_ticket_is_logged_with_its_id(desk: Desk, log_lines, monkeypatch):
    from chalicelib.services.attachments import reading
    from chalicelib.services.tickets import console, portal

    # Given Alice's ticket, and a fault in what a reply, an assignment and the documents reach
    ticket_id = desk.open_ticket()
    _fails(monkeypatch, portal, "customer_reply")
    _fails(monkeypatch, console, "assign")
    _fails(monkeypatch, reading, "list_customer_attachments")
    log_lines()

    # When she replies and an agent assigns the ticket, each answered 500
    status, _, _ = desk.api.call("POST", f"/api/portal/tickets/{ticket_id}/messages",
                                 {"body": "Still smoking."}, token=desk.tokens["customer"])
    assert status == 500
    status, _, _ = desk.api.call("POST", f"/api/console/tickets/{ticket_id}/assign",
                                 {"assignee_id": desk.agent["id"]}, token=desk.tokens["agent"])
    assert status == 500
    status, _, _ = desk.api.call("GET", f"/api/portal/tickets/{ticket_id}/attachments",
                                 token=desk.tokens["customer"])
    assert status == 500

    # Then each error line names the ticket
    errors = _errors(log_lines())
    assert [(e["method"], e.get("ticket_id")) for e in errors] == [
        ("POST", ticket_id), ("POST", ticket_id), ("GET", ticket_id)]


def test_a_failure_after_a_ticket_was_opened_names_the_new_ticket(
    desk: Desk, log_lines, monkeypatch
):
    from chalicelib.services.tickets import create

    # Given a fault in what the portal shows once a ticket is stored
    _fails(monkeypatch, create, "customer_view")
    log_lines()

    # When Alice opens a ticket
    status, _, _ = desk.api.call(
        "POST", "/api/portal/tickets",
        {"topic": "technical", "subject": "Printer on fire", "body": "It smokes."},
        token=desk.tokens["customer"],
    )
    assert status == 500

    # Then the error line names the ticket that was stored, the one her list now shows
    (error,) = _errors(log_lines())
    status, listed, _ = desk.api.call("GET", "/api/portal/tickets", token=desk.tokens["customer"])
    assert status == 200
    assert error["ticket_id"] == listed["items"][0]["id"]


def test_the_next_request_names_no_ticket(desk: Desk, log_lines, monkeypatch):
    from chalicelib.services.tickets import portal

    # Given a request on Alice's ticket that failed and was logged with it
    ticket_id = desk.open_ticket()
    _fails(monkeypatch, portal, "customer_reply")
    _fails(monkeypatch, portal, "list_customer_tickets")
    desk.api.call("POST", f"/api/portal/tickets/{ticket_id}/messages", {"body": "Hello?"},
                  token=desk.tokens["customer"])
    log_lines()

    # When her next request, about no ticket in particular, fails too
    status, _, _ = desk.api.call("GET", "/api/portal/tickets", token=desk.tokens["customer"])
    assert status == 500

    # Then its error line names no ticket
    (error,) = _errors(log_lines())
    assert "ticket_id" not in error
