"""The documents trip on the real local stack (`parley dev`): the browser's multipart POST goes
to the embedded emulator over HTTP with plain `requests`, as a page's would, and the download
follows the API's redirect to it. Signed in as a browser is: session cookie + CSRF header."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from chalicelib.cli.dev import PROJECT_DIR

pytestmark = pytest.mark.functional

DEMO_PASSWORD = "parley-demo"  # chalicelib/services/sessions.py; local stage only
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF\n"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _environment(state: Path) -> dict[str, str]:
    # The stack sets its own AWS and Parley environment: none of the tests' may leak in.
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AWS_", "PARLEY_", "POWERTOOLS_"))}
    return {**env, "PARLEY_DEV_STATE": str(state), "PYTHONPATH": str(PROJECT_DIR)}


@pytest.fixture
def local_stack(tmp_path):
    """`parley dev` on free ports; stopped (SIGTERM: emulator, server and pump) afterwards."""
    state, port = tmp_path / "dev.json", _free_port()
    stack = subprocess.Popen(  # noqa: S603 - our own command
        [sys.executable, "-c", "from chalicelib.cli import main; main()", "dev", "--port",
         str(port)],
        cwd=PROJECT_DIR, env=_environment(state), stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while not state.exists():
            assert stack.poll() is None, "parley dev stopped"
            assert time.monotonic() < deadline, "parley dev did not start"
            time.sleep(0.2)
        yield {"url": f"http://127.0.0.1:{port}", **json.loads(state.read_text())}
    finally:
        stack.terminate()
        try:
            stack.wait(timeout=20)
        except subprocess.TimeoutExpired:
            stack.kill()
            stack.wait(timeout=5)


def test_a_browser_uploads_confirms_and_downloads_through_the_emulator(local_stack):
    base, emulator = local_stack["url"], local_stack["endpoint"]
    # Given Alice signed in with a browser: a session cookie, and the CSRF token as header
    browser = requests.Session()
    signed_in = browser.post(f"{base}/api/auth/login",
                             json={"email": "alice@acme.test", "password": DEMO_PASSWORD},
                             timeout=10)
    assert signed_in.status_code == 200, signed_in.text
    browser.headers["Authorization"] = f"CSRF {signed_in.json()['csrf_token']}"
    created = browser.post(f"{base}/api/portal/tickets", timeout=10,
                           json={"topic": "general", "subject": "Invoice", "body": "Attached."})
    ticket_id = created.json()["ticket"]["id"]

    # When she asks to upload, the form points at the emulator, not at AWS
    name = "Relevé n°7.pdf"
    asked = browser.post(f"{base}/api/portal/tickets/{ticket_id}/attachments", timeout=10,
                         json={"filename": name, "content_type": "application/pdf",
                               "size": len(PDF)})
    assert asked.status_code == 201, asked.text
    upload, attachment_id = asked.json()["upload"], asked.json()["attachment"]["id"]
    assert upload["url"].startswith(emulator)
    # And the page POSTs the file there as multipart (no session: the form is the credential)
    stored = requests.post(upload["url"], data=upload["fields"],
                           files={"file": (name, PDF, "application/pdf")}, timeout=10)
    assert stored.status_code == 204, stored.text
    confirmed = browser.post(
        f"{base}/api/portal/tickets/{ticket_id}/attachments/{attachment_id}/confirm", timeout=10
    )
    assert confirmed.status_code == 200, confirmed.text

    # Then she downloads it back byte for byte through the redirect
    download = f"{base}/api/portal/tickets/{ticket_id}/attachments/{attachment_id}"
    redirect = browser.get(download, allow_redirects=False, timeout=10)
    assert redirect.status_code == 302
    assert redirect.headers["Location"].startswith(emulator)
    followed = browser.get(download, timeout=10)
    assert followed.status_code == 200
    assert followed.content == PDF
    assert "filename*=UTF-8''Relev%C3%A9%20n%C2%B07.pdf" in followed.headers["Content-Disposition"]
    # And a page that navigates itself gets the link as JSON
    link = browser.get(download, params={"redirect": "false"}, timeout=10).json()["url"]
    assert requests.get(link, timeout=10).content == PDF
