"""Documents on a ticket: a file is visible only once the confirm step has read it back from S3
and proved it. moto enforces no presigned-POST policy (size, type, expiry, signature), so every
refusal here is the confirm step's own; the browser's upload is a real multipart POST of the
handed-out form, intercepted by moto in-process."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
import requests

from chalicelib.adapters.aws import client
from chalicelib.config import get_settings
from tests.functional.attachment_support import (
    CSV,
    DOCX,
    ELF,
    OFFICE,
    PDF,
    PE,
    PNG,
    TEXT,
    Uploads,
    post_form,
    zip_of,
)
from tests.functional.conversation_support import DAY, assert_error, run_job

pytestmark = pytest.mark.functional


@pytest.fixture
def uploads(api) -> Uploads:
    return Uploads(api)


@pytest.fixture
def ticket(cast) -> str:
    return str(cast.open_ticket("alice")["id"])


def bucket_keys() -> set[str]:
    listing = client("s3").list_objects_v2(Bucket=get_settings().documents_bucket)
    return {item["Key"] for item in listing.get("Contents", [])}


def put_raw(key: str, data: bytes) -> None:
    """What a client could write with a form (or credentials) of its own, bypassing the API."""
    client("s3").put_object(Bucket=get_settings().documents_bucket, Key=key, Body=data)


def fetch(location: str) -> requests.Response:
    response = requests.get(location, timeout=10)
    assert response.status_code == 200, response.text
    return response


# ---------------------------------------------------------------------------------------------
# The whole trip


def test_a_customer_uploads_confirms_and_downloads_a_document(cast, uploads, ticket):
    alice = cast.token("alice")
    # Given Alice asks to upload a PDF
    status, asked, _ = uploads.request(alice, ticket, filename="scan.pdf", size=len(PDF))
    assert status == 201, asked
    attachment_id = asked["attachment"]["id"]
    assert asked["attachment"]["status"] == "pending"
    # Then the form's policy fixes the key (chosen by the server), the type, the encryption and
    # the exact size
    fields = asked["upload"]["fields"]
    assert fields["key"] == f"uploads/{ticket}/{attachment_id}"
    assert "scan" not in fields["key"]
    policy = json.loads(base64.b64decode(fields["policy"]))
    conditions = policy["conditions"]
    assert {"key": fields["key"]} in conditions
    assert {"Content-Type": "application/pdf"} in conditions
    assert {"x-amz-server-side-encryption": "AES256"} in conditions
    assert ["content-length-range", len(PDF), len(PDF)] in conditions
    # And nobody sees the file before it is confirmed
    assert uploads.documents(alice, ticket) == []
    assert_error(uploads.download(alice, ticket, attachment_id), 404, "attachment_not_found")

    # When the browser POSTs the form and confirms
    post_form(asked["upload"], PDF, "scan.pdf")
    status, confirmed, _ = uploads.confirm(alice, ticket, attachment_id)

    # Then it is verified and listed with name, size, who and when
    assert status == 200, confirmed
    assert confirmed["attachment"]["status"] == "ready"
    [listed] = uploads.documents(alice, ticket)
    assert (listed["id"], listed["filename"]) == (attachment_id, "scan.pdf")
    assert listed["size"] == len(PDF)
    assert (listed["uploaded_by"], listed["mine"]) == ("Alice", True)
    assert listed["created_at"].endswith("Z")
    # And the agent sees it too, with its checksum
    [seen] = uploads.documents(cast.token("sam"), ticket, "console")
    assert seen["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert seen["visibility"] == "public"

    # When she downloads it: a redirect to a short-lived link, served as an attachment
    status, _, headers = uploads.download(alice, ticket, attachment_id)
    assert status == 302
    location = headers["Location"]
    query = parse_qs(urlsplit(location).query)
    assert int(query["X-Amz-Expires"][0]) <= 300
    response = fetch(location)
    assert response.content == PDF
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    # The stored object is the server's verified copy; the upload key is gone
    assert bucket_keys() == {f"tickets/{ticket}/{attachment_id}/{seen['sha256']}"}


def test_a_page_can_ask_for_the_link_instead_of_a_redirect(cast, uploads, ticket):
    alice = cast.token("alice")
    attachment_id = uploads.upload_confirmed(alice, ticket, PNG, filename="photo.png",
                                             content_type="image/png")
    status, body, _ = uploads.download(alice, ticket, attachment_id, query="?redirect=false")
    assert status == 200, body
    assert fetch(body["url"]).content == PNG
    assert body["expires_in"] <= 300


def test_thumbnails_may_come_from_the_local_documents_emulator_and_nowhere_new(monkeypatch):
    from parley_dev.local.server import content_security_policy

    # Given the local stack's emulator (plain http: `https:` does not cover it)
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")
    directives = dict(d.split(" ", 1) for d in content_security_policy().split("; "))
    # Then the pages may show its images, and nothing else was widened
    assert directives["img-src"].split() == ["'self'", "data:", "https:", "http://127.0.0.1:4566"]


def test_a_unicode_name_survives_the_round_trip(cast, uploads, ticket):
    alice = cast.token("alice")
    name = "Facture été 2026 — 東京 «final».pdf"
    attachment_id = uploads.upload_confirmed(alice, ticket, PDF, filename=name)
    [listed] = uploads.documents(alice, ticket)
    assert listed["filename"] == name
    _, _, headers = uploads.download(alice, ticket, attachment_id)
    disposition = fetch(headers["Location"]).headers["Content-Disposition"]
    fallback = disposition.split('filename="', 1)[1].split('"', 1)[0]
    encoded = disposition.split("filename*=UTF-8''", 1)[1]
    assert unquote(encoded) == name
    assert fallback.isascii() and fallback.endswith(".pdf") and "Facture ete 2026" in fallback


def test_a_name_loses_its_path_and_control_characters(cast, uploads, ticket):
    alice = cast.token("alice")
    # A right-to-left override would show "invoice\u202efdp.exe" as "invoiceexe.pdf"
    uploads.upload_confirmed(alice, ticket, PDF, filename="..\\..\\C:/tmp/invoice\u202e\x07fdp.exe")
    [listed] = uploads.documents(alice, ticket)
    assert listed["filename"] == "invoicefdp.exe.pdf"


# ---------------------------------------------------------------------------------------------
# What the confirm step refuses (and deletes)


def assert_rejected(cast, uploads, ticket, data, status, code, **kw):
    """Refused with this status and code, and deleted: the object and the record, while the
    ticket's verified files stay as they were."""
    alice, sam = cast.token("alice"), cast.token("sam")
    keys, documents = bucket_keys(), uploads.documents(sam, ticket, "console")
    asked = uploads.upload(alice, ticket, data, **kw)
    attachment_id = asked["attachment"]["id"]
    error = assert_error(uploads.confirm(alice, ticket, attachment_id), status, code)
    assert error["details"]["deleted"] is True
    assert bucket_keys() == keys
    assert_error(uploads.confirm(alice, ticket, attachment_id), 404, "attachment_not_found")
    assert uploads.documents(sam, ticket, "console") == documents
    return error


def test_an_executable_named_pdf_is_refused(cast, uploads, ticket):
    for program in (ELF, PE):
        assert_rejected(cast, uploads, ticket, program, 422, "executable_refused",
                        filename="invoice.pdf", content_type="application/pdf")


def test_content_of_another_type_is_refused(cast, uploads, ticket):
    assert_rejected(cast, uploads, ticket, PNG, 422, "type_mismatch", filename="scan.pdf")


def test_an_oversize_file_is_refused_before_and_after_the_upload(cast, uploads, ticket):
    cast.change_settings(attachment_max_bytes=1024)
    alice = cast.token("alice")
    # Announced too large: refused at once
    assert_error(uploads.request(alice, ticket, size=1025), 413, "file_too_large")
    # Announced small, stored large (moto enforces no content-length-range; S3 would)
    big = PDF + b"0" * 2000
    error = assert_rejected(cast, uploads, ticket, big, 413, "file_too_large",
                            declared_size=len(PDF))
    assert error["details"]["max_bytes"] == 1024


def test_a_file_of_another_size_than_announced_is_refused(cast, uploads, ticket):
    assert_rejected(cast, uploads, ticket, PDF + b"trailing", 422, "size_mismatch",
                    declared_size=len(PDF))


def test_an_empty_file_is_refused(cast, uploads, ticket):
    alice = cast.token("alice")
    assert_error(uploads.request(alice, ticket, size=0), 400, "file_empty")
    assert_rejected(cast, uploads, ticket, b"", 422, "file_empty", declared_size=len(PDF))


def test_text_must_be_utf8_without_nul_bytes(cast, uploads, ticket):
    alice = cast.token("alice")
    uploads.upload_confirmed(alice, ticket, TEXT, filename="notes.txt", content_type="text/plain")
    uploads.upload_confirmed(alice, ticket, CSV, filename="stock.csv", content_type="text/csv")
    assert_rejected(cast, uploads, ticket, "café".encode("latin-1"), 422, "type_mismatch",
                    filename="notes.txt", content_type="text/plain")
    assert_rejected(cast, uploads, ticket, b"a,b\n\x00\x00", 422, "type_mismatch",
                    filename="data.csv", content_type="text/csv")


def test_text_that_starts_like_a_program_is_still_text(cast, uploads, ticket):
    alice = cast.token("alice")
    uploads.upload_confirmed(alice, ticket, b"MZ Logistics,12\n", filename="carriers.csv",
                             content_type="text/csv")


def test_text_served_as_utf8(cast, uploads, ticket):
    alice = cast.token("alice")
    attachment_id = uploads.upload_confirmed(alice, ticket, TEXT, filename="notes.txt",
                                             content_type="text/plain")
    _, _, headers = uploads.download(alice, ticket, attachment_id)
    response = fetch(headers["Location"])
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content == TEXT


def test_office_documents_are_checked_inside_the_zip(cast, uploads, ticket):
    alice = cast.token("alice")
    uploads.upload_confirmed(alice, ticket, DOCX, filename="letter.docx", content_type=OFFICE)
    uploads.upload_confirmed(alice, ticket, zip_of({"a.txt": b"hi"}), filename="bundle.zip",
                             content_type="application/zip")
    assert len(uploads.documents(alice, ticket)) == 2
    # A plain zip is not a Word document; nor is a macro-enabled one renamed .docx
    plain = zip_of({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<w/>"})
    assert_rejected(cast, uploads, ticket, plain, 422, "type_mismatch",
                            filename="letter.docx", content_type=OFFICE)
    macros = zip_of({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w/>",
                     "word/vbaProject.bin": b"\x00" * 10})
    assert_rejected(cast, uploads, ticket, macros, 422, "macros_refused",
                            filename="letter.docx", content_type=OFFICE)
    assert_rejected(cast, uploads, ticket, b"PK\x03\x04 not really a zip", 422,
                            "type_mismatch", filename="bundle.zip",
                            content_type="application/zip")
    assert len(uploads.documents(alice, ticket)) == 2


def test_types_the_portal_does_not_take_are_refused_before_upload(cast, uploads, ticket):
    alice = cast.token("alice")
    error = assert_error(
        uploads.request(alice, ticket, filename="setup.exe",
                        content_type="application/x-msdownload"),
        400, "type_not_allowed",
    )
    assert "application/pdf" in error["details"]["allowed"]
    cast.change_settings(attachment_types=["application/pdf"])
    assert_error(uploads.request(alice, ticket, filename="a.png", content_type="image/png"),
                 400, "type_not_allowed")
    # An empty type (the browser did not know it) is guessed from the name
    status, asked, _ = uploads.request(alice, ticket, filename="scan.PDF", content_type="")
    assert status == 201, asked
    assert asked["attachment"]["content_type"] == "application/pdf"


def test_the_pages_are_told_what_their_drop_zones_take(cast):
    # Given the admin takes JPEG photos and PDFs, up to 2 MB each
    cast.change_settings(attachment_types=["image/jpeg", "application/pdf"],
                         attachment_max_bytes=2 * 1024 * 1024)
    # Then the portal's and the console's pages are told so, the types in one order everywhere,
    # each with the endings its files take
    for who, path in (("alice", "/api/portal/config"), ("sam", "/api/console/config")):
        status, config, _ = cast.call(who, "GET", path)
        assert status == 200, config
        assert config["attachments"] == {
            "max_bytes": 2 * 1024 * 1024,
            "types": [{"mime": "application/pdf", "extensions": [".pdf"]},
                      {"mime": "image/jpeg", "extensions": [".jpg", ".jpeg", ".jpe", ".jfif"]}],
            "per_message": 10,
            "per_ticket": 50,
        }


def test_settings_refuse_unknown_types_and_silly_limits(cast):
    for change in ({"attachment_types": ["application/x-msdownload"]},
                   {"attachment_max_bytes": 0}, {"attachments_per_ticket": 0}):
        assert_error(cast.call("ada", "PATCH", "/api/admin/settings", change), 400)


# ---------------------------------------------------------------------------------------------
# Confirm: repeated, early, and for what was never handed out


def test_a_second_confirm_answers_the_same(cast, uploads, ticket):
    alice = cast.token("alice")
    attachment_id = uploads.upload_confirmed(alice, ticket, PDF)
    status, again, _ = uploads.confirm(alice, ticket, attachment_id)
    assert status == 200, again
    assert again["attachment"]["status"] == "ready"
    assert len(uploads.documents(alice, ticket)) == 1


def test_a_confirm_before_the_upload_keeps_the_form_usable(cast, uploads, ticket):
    alice = cast.token("alice")
    _, asked, _ = uploads.request(alice, ticket)
    attachment_id = asked["attachment"]["id"]
    assert_error(uploads.confirm(alice, ticket, attachment_id), 409, "upload_missing")
    post_form(asked["upload"], PDF, "scan.pdf")
    assert uploads.confirm(alice, ticket, attachment_id)[0] == 200


def test_a_form_reused_after_the_confirm_cannot_change_the_file(cast, uploads, ticket):
    alice = cast.token("alice")
    asked = uploads.upload(alice, ticket, PDF)
    attachment_id = asked["attachment"]["id"]
    assert uploads.confirm(alice, ticket, attachment_id)[0] == 200
    # The form is valid until it expires: the same size, other bytes
    post_form(asked["upload"], ELF[: len(PDF)], "scan.pdf")
    assert uploads.confirm(alice, ticket, attachment_id)[0] == 200
    _, _, headers = uploads.download(alice, ticket, attachment_id)
    assert fetch(headers["Location"]).content == PDF


def test_another_tickets_attachment_cannot_be_confirmed_or_downloaded(cast, uploads, ticket):
    alice = cast.token("alice")
    other = cast.open_ticket("alice", subject="Another one")["id"]
    asked = uploads.upload(alice, ticket, PDF)
    attachment_id = asked["attachment"]["id"]
    assert_error(uploads.confirm(alice, other, attachment_id), 404, "attachment_not_found")
    assert_error(uploads.confirm(cast.token("sam"), other, attachment_id, "console"), 404,
                 "attachment_not_found")
    # Carol cannot even see the ticket
    assert_error(uploads.confirm(cast.token("carol"), ticket, attachment_id), 404,
                 "ticket_not_found")
    assert uploads.confirm(alice, ticket, attachment_id)[0] == 200
    assert_error(uploads.download(alice, other, attachment_id), 404, "attachment_not_found")
    assert uploads.documents(alice, other) == []


def test_an_object_at_a_key_never_handed_out_never_becomes_visible(cast, uploads, ticket):
    alice = cast.token("alice")
    made_up = secrets.token_hex(16)
    put_raw(f"uploads/{ticket}/{made_up}", PDF)
    put_raw(f"tickets/{ticket}/{made_up}", PDF)
    assert_error(uploads.confirm(alice, ticket, made_up), 404, "attachment_not_found")
    assert_error(uploads.download(alice, ticket, made_up), 404, "attachment_not_found")
    assert_error(uploads.confirm(alice, ticket, "X" * 2000), 404, "attachment_not_found")
    assert uploads.documents(alice, ticket) == []
    assert uploads.documents(cast.token("sam"), ticket, "console") == []


# ---------------------------------------------------------------------------------------------
# Limits per ticket


def test_a_ticket_holds_a_limited_number_of_files(cast, uploads, ticket):
    cast.change_settings(attachments_per_ticket=2)
    alice = cast.token("alice")
    uploads.upload_confirmed(alice, ticket, PDF)
    rejected = uploads.upload(alice, ticket, ELF, filename="x.pdf")
    # A pending upload holds its slot
    error = assert_error(uploads.request(alice, ticket), 409, "too_many_files")
    assert error["details"]["limit"] == 2
    # A rejected one gives it back
    assert_error(uploads.confirm(alice, ticket, rejected["attachment"]["id"]), 422)
    uploads.upload_confirmed(alice, ticket, PDF)
    assert_error(uploads.request(alice, ticket), 409, "too_many_files")
    # Another ticket has its own slots
    other = cast.open_ticket("alice", subject="Another one")["id"]
    assert uploads.request(alice, other)[0] == 201


def test_blocked_messaging_blocks_customer_uploads(cast, uploads, ticket):
    assert cast.call("sam", "POST", f"/api/console/tickets/{ticket}/block",
                     {"reason": "Abuse"})[0] == 200
    assert_error(uploads.request(cast.token("alice"), ticket), 409, "messaging_blocked")
    assert uploads.request(cast.token("sam"), ticket, where="console")[0] == 201


# ---------------------------------------------------------------------------------------------
# With messages


def reply(cast, who, ticket, ids, body="See attached."):
    return cast.call(who, "POST", f"/api/portal/tickets/{ticket}/messages",
                     {"body": body, "attachment_ids": ids})


def answer(cast, who, ticket, action, ids, body="See attached."):
    return cast.call(who, "POST", f"/api/console/tickets/{ticket}/messages",
                     {"action": action, "body": body, "attachment_ids": ids})


def test_a_reply_carries_confirmed_files_of_its_ticket(cast, uploads, ticket):
    alice = cast.token("alice")
    first = uploads.upload_confirmed(alice, ticket, PDF)
    second = uploads.upload_confirmed(alice, ticket, PNG, filename="p.png",
                                      content_type="image/png")
    status, sent, _ = reply(cast, "alice", ticket, [first, second, first])
    assert status == 201, sent
    assert sent["message"]["attachment_ids"] == [first, second]
    thread = cast.portal_ticket("alice", ticket)["messages"]
    assert thread[-1]["attachment_ids"] == [first, second]
    listed = {d["id"]: d for d in uploads.documents(alice, ticket)}
    assert listed[first]["message_id"] == sent["message"]["id"]
    # Once only
    assert_error(reply(cast, "alice", ticket, [first]), 409, "attachment_already_attached")


def test_a_refused_reply_leaves_its_files_for_the_retry(cast, uploads, ticket):
    alice = cast.token("alice")
    # Given Alice's two uploaded files, and a reply with them the server refuses
    first = uploads.upload_confirmed(alice, ticket, PDF)
    second = uploads.upload_confirmed(alice, ticket, PNG, filename="p.png",
                                      content_type="image/png")
    assert_error(reply(cast, "alice", ticket, [first, second], body="   "), 400, "empty_message")
    # When she sends it again with the same files (the page keeps their ids)
    status, sent, _ = reply(cast, "alice", ticket, [first, second])
    # Then the message carries each once, and the ticket holds each once
    assert status == 201, sent
    assert sent["message"]["attachment_ids"] == [first, second]
    assert sorted(d["id"] for d in uploads.documents(alice, ticket)) == sorted([first, second])


def test_a_reply_refuses_files_it_may_not_carry(cast, uploads, ticket):
    alice = cast.token("alice")
    other = cast.open_ticket("alice", subject="Another one")["id"]
    elsewhere = uploads.upload_confirmed(alice, other, PDF)
    pending = uploads.request(alice, ticket)[1]["attachment"]["id"]
    assert_error(reply(cast, "alice", ticket, [elsewhere]), 400, "unknown_attachment")
    assert_error(reply(cast, "alice", ticket, [secrets.token_hex(16)]), 400, "unknown_attachment")
    assert_error(reply(cast, "alice", ticket, [pending]), 409, "attachment_not_confirmed")
    # Nothing was posted
    assert len(cast.portal_ticket("alice", ticket)["messages"]) == 1


def test_files_on_internal_notes_never_reach_the_customer(cast, uploads, ticket):
    sam, alice = cast.token("sam"), cast.token("alice")
    # Given the agent uploads two files (internal until sent publicly) and notes them
    for action in ("note", "resolve_silently"):
        attachment_id = uploads.upload_confirmed(sam, ticket, PDF, where="console",
                                                 filename=f"{action}-secret.pdf")
        status, noted, _ = answer(cast, "sam", ticket, action, [attachment_id])
        assert status == 201, noted
        assert noted["message"]["attachment_ids"] == [attachment_id]
        # Then no customer path returns, lists or links it
        assert_error(uploads.download(alice, ticket, attachment_id), 404, "attachment_not_found")
        assert_error(uploads.download(alice, ticket, attachment_id, query="?redirect=false"), 404)
        assert_error(uploads.confirm(alice, ticket, attachment_id), 404, "attachment_not_found")
        assert_error(reply(cast, "alice", ticket, [attachment_id]), 400, "unknown_attachment")
        boss = cast.token("boss")
        for token in (alice, boss):
            assert uploads.documents(token, ticket) == []
        for path in (f"/api/portal/tickets/{ticket}", f"/api/portal/tickets/{ticket}/messages",
                     f"/api/portal/tickets/{ticket}/attachments", "/api/portal/tickets"):
            assert attachment_id not in json.dumps(cast.get("alice", path)), path
            assert "secret" not in json.dumps(cast.get("alice", path)), path
    # While the team sees both, marked internal
    documents = uploads.documents(sam, ticket, "console")
    assert [d["internal"] for d in documents] == [True, True]
    assert all(d["message_id"] for d in documents)


def test_an_agent_file_sent_publicly_becomes_visible(cast, uploads, ticket):
    sam, alice = cast.token("sam"), cast.token("alice")
    attachment_id = uploads.upload_confirmed(sam, ticket, PDF, where="console",
                                             filename="manual.pdf")
    assert uploads.documents(alice, ticket) == []
    assert answer(cast, "sam", ticket, "send_leave_open", [attachment_id])[0] == 201
    [listed] = uploads.documents(alice, ticket)
    assert (listed["filename"], listed["uploaded_by"], listed["mine"]) == (
        "manual.pdf", "Sam Agent", False)
    _, _, headers = uploads.download(alice, ticket, attachment_id)
    assert fetch(headers["Location"]).content == PDF


def test_an_agent_can_share_a_file_at_once(cast, uploads, ticket):
    sam, alice = cast.token("sam"), cast.token("alice")
    uploads.upload_confirmed(sam, ticket, PDF, where="console", visibility="public")
    assert len(uploads.documents(alice, ticket)) == 1


def test_a_file_the_customer_saw_cannot_go_on_an_internal_note(cast, uploads, ticket):
    attachment_id = uploads.upload_confirmed(cast.token("alice"), ticket, PDF)
    assert_error(answer(cast, "sam", ticket, "note", [attachment_id]), 409, "attachment_public")
    assert answer(cast, "sam", ticket, "send", [attachment_id])[0] == 201


# ---------------------------------------------------------------------------------------------
# Cleanup


def test_uploads_never_confirmed_are_removed_after_a_day(cast, uploads, ticket, app_client,
                                                         fake_clock):
    alice = cast.token("alice")
    cast.change_settings(attachments_per_ticket=4)
    kept = uploads.upload_confirmed(alice, ticket, PDF)
    stale = uploads.upload(alice, ticket, PDF)["attachment"]["id"]
    never_sent = uploads.request(alice, ticket)[1]["attachment"]["id"]
    fake_clock.advance(23 * 3600)
    fresh = uploads.upload(cast.token("boss"), ticket, PDF)["attachment"]["id"]
    fake_clock.advance(2 * 3600)

    assert run_job(app_client, "purge_uploads") == {"removed": 2}

    cast.sign_in_again()
    alice = cast.token("alice")
    for gone in (stale, never_sent):
        assert_error(uploads.confirm(alice, ticket, gone), 404, "attachment_not_found")
    assert f"uploads/{ticket}/{stale}" not in bucket_keys()
    # The fresh one is still confirmable, the verified one untouched, and the slots came back
    assert uploads.confirm(alice, ticket, fresh)[0] == 200
    assert {d["id"] for d in uploads.documents(alice, ticket)} == {kept, fresh}
    assert uploads.request(alice, ticket)[0] == 201
    fake_clock.advance(DAY * 2)
    assert run_job(app_client, "purge_uploads") == {"removed": 1}


# ---------------------------------------------------------------------------------------------
# Files the server receives itself (inbound mail uses this)


def test_server_side_files_go_through_the_same_checks(cast, uploads, ticket):
    from chalicelib.errors import Unprocessable
    from chalicelib.services.attachments.received import store_bytes

    stored = store_bytes(ticket, "scan.pdf", "application/octet-stream", PDF, cast.id("alice"))
    assert (stored["status"], stored["content_type"]) == ("ready", "application/pdf")
    with pytest.raises(Unprocessable) as refused:
        store_bytes(ticket, "invoice.pdf", "application/pdf", ELF, cast.id("alice"))
    assert refused.value.code == "executable_refused"
    [listed] = uploads.documents(cast.token("alice"), ticket)
    assert (listed["id"], listed["uploaded_by"]) == (stored["id"], "Alice")
    _, _, headers = uploads.download(cast.token("alice"), ticket, stored["id"])
    assert fetch(headers["Location"]).content == PDF
