"""The local stack as `make run` starts it: the event pump turns an agent's reply into a secure
notification on /dev/mail, and Ctrl-C / SIGTERM leaves no process or port behind. And the demo
password, printed by `make run`, opens nothing outside the local stage."""

from __future__ import annotations

import socket
import time
import uuid

import pytest
import requests

from tests.functional.auth_support import environment
from tests.functional.local_stack_support import (
    DEMO_PASSWORD,
    descendants,
    local_stack,  # noqa: F401 - the fixture
    stop,
)

pytestmark = pytest.mark.functional


def _sign_in(base: str, email: str) -> dict[str, str]:
    answer = requests.post(f"{base}/api/auth/login", timeout=10,
                           json={"email": email, "password": DEMO_PASSWORD})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['token']}"}


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "Z"  # exited, awaiting its reaper
    except OSError:
        return True


def test_an_agent_reply_reaches_dev_mail_and_the_stack_stops_clean(local_stack):
    base = local_stack["url"]
    alice, agent = _sign_in(base, "alice@acme.test"), _sign_in(base, "agent@parley.test")

    # The demo opens on conversations: Alice has an unread answer, and the team's internal
    # note on it is in the console only
    mine = requests.get(f"{base}/api/portal/tickets", headers=alice, timeout=10).json()["items"]
    vat = next(t for t in mine if t["subject"] == "October invoice shows the wrong VAT rate")
    assert vat["unread"] is True
    thread = requests.get(f"{base}/api/portal/tickets/{vat['id']}", headers=alice,
                          timeout=10).json()["messages"]
    console = requests.get(f"{base}/api/console/tickets/{vat['id']}", headers=agent,
                           timeout=10).json()["messages"]
    note = "Finance confirms the VAT id"
    assert not any(note in m["body"] for m in thread)
    assert any(note in m["body"] for m in console)

    subject = f"Printer offline {uuid.uuid4().hex[:6]}"
    created = requests.post(f"{base}/api/portal/tickets", headers=alice, timeout=10, json={
        "topic": "technical", "subject": subject, "body": "The printer says offline."})
    assert created.status_code == 201, created.text
    ticket = created.json()["ticket"]

    # When the agent answers in the console
    # The secret word has letters no hex id or timestamp in the notice can hold.
    secret = "Restart it with the blue button, then the code is KUMQUAT-4711."
    answered = requests.post(f"{base}/api/console/tickets/{ticket['id']}/messages",
                             headers=agent, timeout=10, json={"action": "send", "body": secret})
    assert answered.status_code in (200, 201), answered.text

    # Then the pump hands the stream record to the handler, and /dev/mail shows the notice
    deadline, notice = time.monotonic() + 30, None
    while notice is None and time.monotonic() < deadline:
        mails = requests.get(f"{base}/dev/mail", params={"format": "json"}, timeout=10).json()
        notice = next((m for m in mails["items"] if "alice@acme.test" in m["to"]
                       and m["subject"].startswith(f"[#{ticket['number']}] ")
                       and "You have a new message" in m["text"]), None)
        time.sleep(0.5)
    assert notice is not None, "no secure notification on /dev/mail"
    assert f"/tickets/{ticket['id']}" in notice["text"]
    assert "KUMQUAT" not in notice["text"] + notice["html"] + notice["subject"]

    # When the stack gets SIGTERM (what Ctrl-C and `make` stopping it send)
    process = local_stack["process"]
    children = descendants(process.pid)
    ports = [local_stack["port"], int(local_stack["endpoint"].rsplit(":", 1)[1].strip("/")),
             int(local_stack["live"].rsplit(":", 1)[1].split("/")[0])]  # the WebSocket API
    stop(process)

    # Then it exits cleanly, and no process nor listening port is left behind
    assert process.returncode in (0, -15), process.returncode
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not all(_gone(pid) for pid in children):
        time.sleep(0.2)
    assert [pid for pid in children if not _gone(pid)] == []
    assert [port for port in ports if _port_open(port)] == []


def test_the_demo_password_opens_nothing_outside_the_local_stage(api, make_user):
    from chalicelib.errors import Unauthenticated
    from chalicelib.services import sessions
    from chalicelib.services.principal import Anonymous

    make_user("customer", email="demo@acme.test", password=DEMO_PASSWORD)
    assert api.call("POST", "/api/auth/login", {"email": "demo@acme.test",
                                                "password": DEMO_PASSWORD})[0] == 200
    # The service as a deployed function runs it: chalice's test client would put its own
    # stage ("test") back into the environment of every request.
    with environment(PARLEY_STAGE="prod", PARLEY_SIGNING_KEY="k" * 32), \
            pytest.raises(Unauthenticated) as refused:
        sessions.sign_in("demo@acme.test", DEMO_PASSWORD, Anonymous(source_ip="192.0.2.7"), None)
    assert refused.value.code == "invalid_credentials"
