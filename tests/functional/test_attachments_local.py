"""The documents trip on the real local stack (`parley dev`): the browser's multipart POST goes
to the embedded emulator over HTTP with plain `requests`, as a page's would, and the download
follows the API's redirect to it. Signed in as a browser is: session cookie + CSRF header."""

from __future__ import annotations

import pytest
import requests

from tests.functional.local_stack_support import DEMO_PASSWORD, local_stack  # noqa: F401

pytestmark = pytest.mark.functional

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF\n"


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
