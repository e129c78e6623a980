"""`parley mail receive FILE` delivers a message into a running local stack exactly as SES
would, and the stack's own event pump turns it into a ticket."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
from typing import Any

import pytest

from parley_dev.cli import main
from parley_dev.cli.dev import PROJECT_DIR
from tests.functional.local_stack_support import (
    DEMO_PASSWORD,
    local_stack,  # noqa: F401 - the fixture
    stack_environment,
    stop,
)

pytestmark = pytest.mark.functional

RAW = (
    b"From: Alice Martin <alice@acme.test>\r\n"
    b"To: support@parley.test\r\n"
    b"Subject: Sent with parley mail receive\r\n"
    b"Message-ID: <cli-test-1@mail.acme.test>\r\n"
    b"\r\n"
    b"The scanner jams on every page.\r\n"
)


def _call(url: str, method: str = "GET", body: Any = None, token: str = "") -> Any:
    request = urllib.request.Request(  # noqa: S310 - http to the local stack only
        url, method=method, data=json.dumps(body).encode() if body is not None else None,
        headers={"Content-Type": "application/json",
                 **({"Authorization": f"Bearer {token}"} if token else {})},
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - local stack
        return json.loads(response.read())


def test_a_received_file_becomes_a_ticket_in_the_running_stack(local_stack, tmp_path):
    # Given a local stack started with `parley dev`, which says where its emulator runs
    state = local_stack["state"]
    eml = tmp_path / "mail.eml"
    eml.write_bytes(RAW)

    # When the file is received with the CLI (as its own process, as a developer runs it)
    received = subprocess.run(  # noqa: S603
        [sys.executable, "-c", "import sys; from parley_dev.cli import main; "
         "sys.exit(main())", "mail", "receive", str(eml)],
        cwd=PROJECT_DIR, env=stack_environment(state), capture_output=True, text=True,
        timeout=60,
    )
    assert received.returncode == 0, received.stderr
    delivery_id = received.stdout.strip()

    # Then the stack's pump hands it to the handler: a ticket, in the delivery log
    base = local_stack["url"]
    token = _call(f"{base}/api/auth/login", "POST",
                  {"email": "agent@parley.test", "password": DEMO_PASSWORD})["token"]
    found: dict[str, Any] = {}
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not found:
        done = _call(f"{base}/api/admin/inbound?status=done", token=token)["items"]
        found = next((d for d in done if d["id"] == delivery_id), {})
        time.sleep(0.3)
    assert found["outcome"] == "ticket", found
    ticket = _call(f"{base}/api/console/tickets/{found['ticket_id']}", token=token)
    assert ticket["ticket"]["subject"] == "Sent with parley mail receive"
    assert ticket["ticket"]["channel"] == "email"
    assert ticket["messages"][0]["body"] == "The scanner jams on every page."

    stop(local_stack["process"])
    assert not state.exists(), "parley dev removes its state file when it stops"


def test_receive_without_a_running_stack_says_so(tmp_path, monkeypatch, capsys):
    # Given no stack (no state file) and no --endpoint
    monkeypatch.setenv("PARLEY_DEV_STATE", str(tmp_path / "none.json"))
    eml = tmp_path / "mail.eml"
    eml.write_bytes(RAW)
    # When / Then: nothing is sent anywhere, and the developer is told why
    assert main(["mail", "receive", str(eml)]) == 2
    assert "no local stack is running" in capsys.readouterr().err


def test_receive_of_a_missing_file_fails(capsys):
    assert main(["mail", "receive", "/nonexistent/mail.eml", "--endpoint", "http://x"]) == 1
    assert "cannot read" in capsys.readouterr().err
