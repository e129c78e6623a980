"""One journey through the deployed shape: the first admin of a new portal, an agent and a
customer, a ticket with a document, the secure notification and the live page, a reply by mail,
a bounce, the schedules; every function ran from its package, printed its metrics and tagged
its logs."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

import pytest
import requests

from tests.deployed.gateway import Viewer
from tests.deployed.people import PASSWORD, bootstrap_admin, choose_password, mails_to, text_of
from tests.deployed.runtime import Invocation
from tests.deployed.sources import load_event
from tests.deployed.stack import Stack

pytestmark = pytest.mark.deployed

ADMIN = "ada.admin@example.test"
AGENT = "bob.agent@example.test"
CUSTOMER = "carol@acme.test"
PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<<>>\n%%EOF\n"


def test_a_new_portal_from_its_first_admin_to_a_reply_by_mail(stack: Stack) -> None:
    invocations: list[Invocation] = []

    # Given a freshly deployed stack, the operator bootstraps the first admin
    result = bootstrap_admin(stack, ADMIN)
    assert result.returncode == 0, result.stderr
    invocations += stack.sources.pump_queue("parley-ci-account_mail")
    admin = choose_password(stack, ADMIN)

    # The admin invites an agent and a customer
    answer = admin.call("POST", "/api/admin/orgs", {"name": "Acme"})
    assert answer.status == 201, answer.body
    org_id = answer.json()["org"]["id"]
    for address, role, extra in ((AGENT, "agent", {}), (CUSTOMER, "customer", {"org_id": org_id})):
        answer = admin.call("POST", "/api/admin/users",
                            {"email": address, "name": address.split("@")[0].title(),
                             "role": role, **extra})
        assert answer.status == 201, answer.body
        invocations += answer.invocations
    invocations += stack.sources.pump_queue("parley-ci-account_mail")
    agent = choose_password(stack, AGENT)
    customer = choose_password(stack, CUSTOMER)

    # The customer opens a ticket with a document (presigned POST to S3, then confirm)
    answer = customer.call("POST", "/api/portal/tickets",
                           {"topic": "technical", "subject": "Printer on fire",
                            "body": "My printer is on fire."})
    assert answer.status == 201, answer.body
    ticket_id = answer.json()["ticket"]["id"]
    answer = customer.call("POST", f"/api/portal/tickets/{ticket_id}/attachments",
                           {"filename": "invoice.pdf", "content_type": "application/pdf",
                            "size": len(PDF)})
    assert answer.status == 201, answer.body
    upload = answer.json()["upload"]
    posted = requests.post(upload["url"], data=upload["fields"],
                           files={"file": ("invoice.pdf", PDF, "application/pdf")}, timeout=30)
    assert posted.status_code in (200, 201, 204), posted.text
    attachment_id = answer.json()["attachment"]["id"]
    answer = customer.call(
        "POST", f"/api/portal/tickets/{ticket_id}/attachments/{attachment_id}/confirm")
    assert answer.status == 200, answer.body
    invocations += answer.invocations

    # The customer's page opens its live connection and follows the ticket
    live = customer.call("GET", "/api/notifications/live")
    assert live.status == 200 and live.json()["enabled"], live.body
    connection = "LiveConn0001="
    connected = stack.websocket.send("$connect", connection,
                                     query={"ticket": live.json()["ticket"]})
    assert connected.result == {"statusCode": 200}, connected.logs
    subscribed = stack.websocket.send("$default", connection,
                                      body={"action": "subscribe", "ticket_id": ticket_id})
    assert subscribed.result == {"statusCode": 200}, subscribed.logs
    invocations += [connected, subscribed]

    # The agent writes an internal note and answers; the stream function sends the customer the
    # secure notification, and pushes the answer, never the note, to the live page
    answer = agent.call("POST", f"/api/console/tickets/{ticket_id}/messages",
                        {"action": "note", "body": "Internal: check the fuse box."})
    assert answer.status == 201, answer.body
    answer = agent.call("POST", f"/api/console/tickets/{ticket_id}/messages",
                        {"action": "send_leave_open", "body": "Unplug it, then tell us."})
    assert answer.status == 201, answer.body
    invocations += answer.invocations
    invocations += stack.sources.pump_stream("parley-ci-notify_messages")
    invocations += stack.sources.pump_stream("parley-ci-index_messages")
    notices = [m for m in mails_to(stack, CUSTOMER) if "You have a new message" in text_of(m)]
    assert len(notices) == 1, [m["Subject"] for m in notices]
    notice = notices[0]
    assert "Unplug it" not in notice.as_string()  # the notice never carries the message
    pushed = json.dumps(stack.server.pushed(connection))
    assert ticket_id in pushed and "fuse box" not in pushed, pushed
    invocations.append(stack.websocket.send("$disconnect", connection))

    # The customer replies to the notice by mail; SES receives it and it threads
    reply = EmailMessage()
    reply["From"] = f"Carol <{CUSTOMER}>"
    reply["To"] = str(notice["Reply-To"] or notice["From"])
    reply["Subject"] = "Re: " + str(notice["Subject"])
    reply["Date"] = format_datetime(datetime.now(UTC))
    reply["Message-ID"] = make_msgid(domain="acme.test")
    reply["In-Reply-To"] = str(notice["Message-ID"])
    reply["References"] = str(notice["Message-ID"])
    reply.set_content("Unplugged. It stopped smoking.\n")
    stack.sources.receive_mail(reply.as_bytes(), [str(reply["To"])], sender=CUSTOMER)
    invocations += stack.sources.pump_queue("parley-ci-inbound_mail")
    answer = customer.call("GET", f"/api/portal/tickets/{ticket_id}/messages")
    assert answer.status == 200, answer.body
    bodies = [m.get("body", "") for m in answer.json()["messages"]]
    assert any("It stopped smoking" in b for b in bodies), bodies
    assert not any("fuse box" in b for b in bodies), bodies

    # Search finds the ticket by the answer's words, and the note's only for the agent
    for who, q, found in ((customer, "unplug", True), (customer, "fuse", False),
                          (agent, "fuse", True)):
        where = "portal" if who is customer else "console"
        answer = who.call("GET", f"/api/{where}/tickets?q={q}")
        assert answer.status == 200, answer.body
        assert (ticket_id in answer.body) is found, (where, q, answer.body)

    # SES reports a bounce for the agent's address through the feedback topic
    bounce = json.loads(load_event("ses_bounce.json")["Records"][0]["Sns"]["Message"])
    bounce["bounce"]["bouncedRecipients"] = [{"emailAddress": AGENT, "action": "failed",
                                              "status": "5.1.1"}]
    bounce["mail"]["destination"] = [AGENT]
    topic = next(t["TopicArn"] for t in stack.account.sns.list_topics()["Topics"]
                 if t["TopicArn"].endswith(":parley-ci-mail-feedback"))
    feedback = stack.sources.publish_to_function(topic, json.dumps(bounce),
                                                 "parley-ci-mail_feedback")
    invocations.append(feedback)
    answer = admin.call("GET", "/api/admin/suppressions")
    assert answer.status == 200 and AGENT in answer.body, answer.body

    # The scheduled functions run
    ran = stack.sources.run_schedules()
    assert len(ran) == 6, sorted(ran)
    invocations += ran.values()

    # Every function of the stack ran here, in its own clean interpreter, from the layer
    functions = {resource["Properties"]["FunctionName"]
                 for lid, resource in stack.deployed.resources("AWS::Lambda::Function").items()
                 if lid not in stack.deployed.stubbed}
    assert len(functions) == 16, sorted(functions)
    assert set(stack.functions.environments) == functions
    for invocation in invocations:
        assert invocation.error is None, invocation.logs
        assert not {"moto", "pytest", "tests", "parley_dev"} & set(invocation.loaded)
        for package in ("boto3", "botocore", "pynamodb", "aws_lambda_powertools"):
            if package in invocation.loaded:
                assert "/layer-" in invocation.loaded[package], invocation.loaded[package]
        if "chalice" in invocation.loaded:  # `chalice package` vendors its runtime in the zip
            assert "/task-" in invocation.loaded["chalice"], invocation.loaded["chalice"]

    # Each printed its metrics, by name with dimensions
    metrics = {(name, tuple(sorted((d, line[d]) for d in dims)))
               for invocation in invocations for line in invocation.metrics()
               for spec in line["_aws"]["CloudWatchMetrics"]
               for dims in spec["Dimensions"] for name in
               [m["Name"] for m in spec["Metrics"]] if "service" in dims}
    names = {name for name, _ in metrics}
    for expected in ("MailSent", "AttachmentConfirmed", "AgentAnswer", "InboundMail",
                     "AddressSuppressed"):
        assert expected in names, sorted(metrics)
    assert not any("_" in name for name in names), names  # no value baked into a name

    # And every log line carries the invocation's request id; the API's, API Gateway's too
    for invocation in invocations:
        for line in invocation.log_lines():
            assert line.get("function_request_id") == invocation.request_id, line
    api_lines = [line for invocation in invocations for line in invocation.log_lines()
                 if "api_request_id" in line]
    assert api_lines, "the API function logged nothing with API Gateway's request id"


def test_api_gateway_refuses_before_the_app_and_the_app_refuses_in_its_own_shape(
        stack: Stack) -> None:
    viewer = Viewer(stack.api)
    # No session: the authorizer lets the route answer, in the app's JSON error shape
    answer = viewer.call("GET", "/api/portal/tickets")
    assert answer.status == 401 and answer.json()["error"]["code"] == "unauthenticated"
    # A path the API does not have: API Gateway's own refusal, in the same shape
    answer = viewer.call("GET", "/api/no/such/thing", headers={"Authorization": "Bearer x"})
    assert answer.status == 404 and answer.json()["error"]["code"] == "not_found"
    assert "Bearer" not in answer.body
    # Straight to execute-api, around CloudFront: refused before anything is read
    answer = stack.api.request("POST", "/api/api/auth/login", through_cloudfront=False,
                               headers={"Content-Type": "application/json"},
                               body=json.dumps({"email": ADMIN, "password": PASSWORD}))
    assert answer.status == 403 and answer.json()["error"]["code"] == "origin_not_verified"
