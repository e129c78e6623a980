"""The suppression list as people meet it: SES's own bounce and complaint notifications (through
SNS, as recorded under tests/events/) put an address on it with the evidence; the admin lists,
judges and lifts entries (audited), after which mail goes out again; the customer is told in the
portal, and agents beside the requester, why mail does not reach them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from parley_dev.local.pump import FakeContext
from tests.functional.dynamodb_support import dynamodb_calls
from tests.functional.notification_support import (
    Desk,
    handler,
    mails_to,
    send_queued_account_mail,
    session_token,
)

pytestmark = pytest.mark.functional

EVENTS = Path(__file__).resolve().parents[1] / "events"
BOUNCED = "bob@acme.test"  # the recipient of tests/events/ses_bounce.json
COMPLAINED = "carol@globex.test"  # the complainant of tests/events/ses_complaint.json


def recorded(name: str) -> dict[str, Any]:
    return dict(json.loads((EVENTS / name).read_text()))


def feedback(event: dict[str, Any]) -> dict[str, Any]:
    """The SNS event handed to the function Lambda runs for the feedback topic."""
    return dict(handler("mail_feedback")(event, FakeContext()))


@pytest.fixture
def people(api, make_org, make_user) -> dict[str, Any]:
    desk = Desk(api, make_org, make_user)
    bob = make_user("customer", org_id=desk.org["id"], email=BOUNCED, name="Bob Stone")
    admin = make_user("admin", email="root@parley.test")
    return {
        "desk": desk, "bob": bob, "admin": admin,
        "tokens": {"bob": session_token(bob), "admin": session_token(admin),
                   "agent": desk.tokens["agent"], "alice": desk.tokens["customer"]},
    }


def listed(api, token: str, **query: Any) -> dict[str, Any]:
    suffix = "&".join(f"{k}={v}" for k, v in query.items())
    status, body, _ = api.call("GET", f"/api/admin/suppressions?{suffix}", token=token)
    assert status == 200, body
    return dict(body)


def test_an_ses_bounce_through_sns_suppresses_the_address_with_its_evidence(api, people):
    # Given the bounce notification SES publishes to the feedback topic, as SNS delivers it
    event = recorded("ses_bounce.json")

    # When the handler Lambda runs for the topic receives it
    assert feedback(event) == {"suppressed": 1}

    # Then the admin's list names the address, why, since when and what proved it
    [entry] = listed(api, people["tokens"]["admin"])["items"]
    assert entry["email"] == BOUNCED
    assert entry["reason"] == "bounce" and entry["detail"] == "Permanent/General"
    assert entry["since"].endswith("Z")
    evidence = entry["evidence"]
    assert evidence["source"] == "ses_feedback"
    assert evidence["feedback_id"] == "0102019a8f3c2b11-5e0c7a1d-3f4b-4c59-9d0e-8b6a2f1c4d7e-000000"
    assert evidence["ses_message_id"].startswith("0102019a8f3c26a4")
    assert evidence["message_id"] == "<n.7f3a9c2e1b.1002.3@parley.test>"
    assert evidence["bounce_type"] == "Permanent" and evidence["bounce_subtype"] == "General"
    assert evidence["status"] == "5.1.1" and "User unknown" in evidence["diagnostic"]
    assert evidence["timestamp"] == "2026-11-17T09:42:03.114Z"


def test_a_complaint_through_sns_suppresses_with_its_feedback_type(api, people):
    assert feedback(recorded("ses_complaint.json")) == {"suppressed": 1}
    [entry] = listed(api, people["tokens"]["admin"])["items"]
    assert (entry["email"], entry["reason"], entry["detail"]) == (COMPLAINED, "complaint", "abuse")
    assert entry["evidence"]["complaint_type"] == "abuse"
    assert entry["evidence"]["source"] == "ses_feedback"


def test_the_admin_lifts_a_suppression_audited_and_mail_flows_again(api, people):
    tokens = people["tokens"]
    feedback(recorded("ses_bounce.json"))
    # Given Bob's address is suppressed: not even a password reset reaches him
    api.call("POST", "/api/auth/password-reset", {"email": BOUNCED})
    send_queued_account_mail()  # the API only queued the mail
    assert mails_to(BOUNCED) == []

    # When the admin lifts it (the address percent-encoded in the path, as the page sends it)
    status, body, _ = api.call("DELETE", "/api/admin/suppressions/bob%40acme.test",
                               token=tokens["admin"])

    # Then it is off the list, the audit log says who lifted what and why it was there
    assert status == 200, body
    assert listed(api, tokens["admin"])["items"] == []
    status, audit, _ = api.call("GET", "/api/admin/audit", token=tokens["admin"])
    [lifted] = [e for e in audit["items"] if e["action"] == "suppression.lift"]
    assert lifted["actor_id"] == people["admin"]["id"] and lifted["target"] == BOUNCED
    assert lifted["details"]["reason"] == "bounce"
    assert lifted["details"]["detail"] == "Permanent/General"
    assert lifted["details"]["source"] == "ses_feedback"
    # And mail goes out to him again
    api.call("POST", "/api/auth/password-reset", {"email": BOUNCED})
    send_queued_account_mail()  # the API only queued the mail
    assert len(mails_to(BOUNCED)) == 1
    # And lifting it again finds nothing to lift
    status, body, _ = api.call("DELETE", f"/api/admin/suppressions/{BOUNCED}",
                               token=tokens["admin"])
    assert status == 404 and body["error"]["code"] == "suppression_not_found"


def test_only_admins_see_or_lift_suppressions(api, people):
    feedback(recorded("ses_bounce.json"))
    tokens = people["tokens"]
    for who in ("agent", "alice", "bob"):
        assert api.call("GET", "/api/admin/suppressions", token=tokens[who])[0] == 403
        assert api.call("DELETE", f"/api/admin/suppressions/{BOUNCED}",
                        token=tokens[who])[0] == 403
    assert api.call("GET", "/api/admin/suppressions", token="no-such-session")[0] == 401
    # Still there: nobody but an admin lifted it
    assert [e["email"] for e in listed(api, tokens["admin"])["items"]] == [BOUNCED]


def test_the_customer_is_told_in_the_portal_and_agents_see_why(api, people):
    tokens, desk = people["tokens"], people["desk"]
    status, created, _ = api.call("POST", "/api/portal/tickets", {
        "topic": "technical", "subject": "Badge", "body": "My badge stopped working."},
        token=tokens["bob"])
    assert status == 201, created
    ticket_id = created["ticket"]["id"]
    # Before: nothing to say
    assert api.call("GET", "/api/me", token=tokens["bob"])[1]["mail_suppressed"] is None

    feedback(recorded("ses_bounce.json"))

    # The customer's own view: the reason and since when
    status, me, _ = api.call("GET", "/api/me", token=tokens["bob"])
    assert status == 200
    assert set(me["mail_suppressed"]) == {"reason", "since"}
    assert me["mail_suppressed"]["reason"] == "bounce"
    # Alice, whose address works, is told nothing
    assert api.call("GET", "/api/me", token=tokens["alice"])[1]["mail_suppressed"] is None
    # The console says why beside the requester
    status, view, _ = api.call("GET", f"/api/console/tickets/{ticket_id}",
                               token=desk.tokens["agent"])
    requester = view["ticket"]["requester"]
    assert requester["email_suppressed"] is True
    assert requester["suppression"]["reason"] == "bounce"
    assert requester["suppression"]["detail"] == "Permanent/General"
    assert requester["suppression"]["since"] == me["mail_suppressed"]["since"]


def test_a_returned_mail_report_keeps_the_evidence_inbound_mail_found(api, people):
    from chalicelib.services import suppressions

    # Given inbound mail matched a delivery report to a message we sent to that recipient
    assert suppressions.suppress_bounced(
        "Dana@Example.test", detail="5.1.1 user unknown", feedback_id="d-1",
        evidence={"source": "inbound_dsn", "message_id": "<n.1.2@parley.test>",
                  "delivery_id": "d-1", "status": "5.1.1", "diagnostic": "x" * 5000},
    )
    # Then the entry says so, with the diagnostic cut to a readable length
    [entry] = listed(api, people["tokens"]["admin"], email="dana@example.test")["items"]
    assert entry["evidence"]["source"] == "inbound_dsn"
    assert entry["evidence"]["message_id"] == "<n.1.2@parley.test>"
    assert 0 < len(entry["evidence"]["diagnostic"]) <= 500
    # And an address that is not one suppresses nothing
    assert not suppressions.suppress_bounced("not an address", detail="", feedback_id=None)


def test_the_list_is_newest_first_paged_without_a_scan(api, people, fake_clock):
    from chalicelib.services import suppressions

    for address in ("one@a.test", "two@a.test", "three@a.test"):
        suppressions.suppress_bounced(address, detail="5.1.1", feedback_id=None)
        fake_clock.advance(60)
    token = people["tokens"]["admin"]
    with dynamodb_calls() as calls:
        first = listed(api, token, limit=2)
        second = listed(api, token, limit=2, cursor=first["next_cursor"])
    assert [e["email"] for e in first["items"]] == ["three@a.test", "two@a.test"]
    assert [e["email"] for e in second["items"]] == ["one@a.test"]
    assert second["next_cursor"] is None
    assert "Scan" not in calls and calls["Query"] == 2
    # One address, looked up by key (also an entry written before the list had its index)
    assert [e["email"] for e in listed(api, token, email="TWO@a.test")["items"]] == ["two@a.test"]
    assert listed(api, token, email="nobody@a.test")["items"] == []


def test_a_bounce_published_to_the_local_topic_reaches_the_handler_through_the_pump(api, people):
    """`parley dev`'s event pump: what SES publishes to the feedback topic reaches the handler
    Lambda runs, one SNS record per invocation."""
    import app as app_module
    from parley_dev.local.feedback import BOUNCE, COMPLAINT, send_feedback
    from parley_dev.local.pump import EventPump

    pump = EventPump(app_module.app)
    send_feedback(BOUNCE, "Erin@Acme.test")
    send_feedback(COMPLAINT, "frank@acme.test")
    pump.pump_once()
    entries = {e["email"]: e for e in listed(api, people["tokens"]["admin"])["items"]}
    assert set(entries) == {"erin@acme.test", "frank@acme.test"}
    assert entries["erin@acme.test"]["reason"] == "bounce"
    assert entries["frank@acme.test"]["reason"] == "complaint"
    # Delivered once: the next pass finds nothing more on the topic
    before = pump.delivered
    pump.pump_once()
    assert pump._topics and pump.delivered == before


def test_the_feedback_command_refuses_without_a_running_stack(tmp_path, monkeypatch, capsys):
    from parley_dev.cli import main

    monkeypatch.setenv("PARLEY_DEV_STATE", str(tmp_path / "none.json"))
    assert main(["mail", "feedback", "--bounce", "bob@acme.test"]) == 2
    assert "no local stack is running" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["mail", "feedback"])  # neither --bounce nor --complaint
