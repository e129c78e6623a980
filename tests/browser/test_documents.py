"""Files that explain themselves: every file of a drop or a message says what became of it and
why, a message sent again after a failure carries each file once, each drop zone says what it
takes, and images show as thumbnails to those who may see them, internal ones to the team only."""

from __future__ import annotations

import re
import struct
import uuid
import zlib

import pytest
from playwright.sync_api import expect

from tests.browser.support import sign_in

pytestmark = pytest.mark.browser

LIMITS = ("Accepted: PDF, PNG, JPG, GIF, WEBP, TXT, CSV, ZIP, DOCX, XLSX, PPTX. "
          "Up to 25 MB per file.")  # the portal's default settings
PROGRAM = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 54 + b"PE\x00\x00"  # a Windows program
PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<<>>\n%%EOF\n"


def png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))

    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows))
            + chunk(b"IEND", b""))


def file(name: str, mime: str, data: bytes) -> dict[str, object]:
    return {"name": name, "mimeType": mime, "buffer": data}


def drop_large_file(page, zone_selector: str, name: str, megabytes: int) -> None:
    """A file too large to pass through Playwright's protocol cheaply, made in the page."""
    page.locator(zone_selector).dispatch_event("drop", {"dataTransfer": page.evaluate_handle(
        """([name, size]) => {
            const transfer = new DataTransfer();
            transfer.items.add(new File([new Uint8Array(size)], name, { type: "application/zip" }));
            return transfer;
        }""", [name, megabytes * 1024 * 1024])})


def test_a_customers_files_each_say_what_became_of_them_and_go_once(stack, open_page):
    email, password = stack.new_customer("Nora Lind")
    customer = open_page()
    page = customer.page
    sign_in(page, email, password)

    # Given a new ticket's form: its drop zone says what it takes
    page.goto("/tickets/new")
    expect(page.locator(".dropzone__limits")).to_have_text(LIMITS)
    page.get_by_label("Topic").select_option("technical")
    page.get_by_label("Subject").fill(f"Scanner jams {uuid.uuid4().hex[:6]}")
    page.get_by_role("textbox", name="Message").fill("The scanner jams on every second page.")

    # When she sends it with a note, a program, and a program named like a picture
    page.locator("input[type=file]").set_input_files(files=[
        file("notes.txt", "text/plain", b"jams at page 2, 4, 6\n"),
        file("setup.exe", "application/x-msdownload", PROGRAM),
        file("scan.png", "image/png", PROGRAM),
    ])
    expect(page.locator(".pending-files .file-line")).to_have_count(3)
    page.get_by_role("button", name="Send", exact=True).click()

    # Then the ticket's page names each refused file and why; the note alone was added
    page.wait_for_url(re.compile(r"/tickets/[0-9a-f]{32}\?upload=failed$"))
    ticket_id = re.search(r"/tickets/([0-9a-f]{32})", page.url).group(1)
    refused = page.locator(".notice--error", has_text="Some files could not be uploaded")
    expect(refused.locator(".file-line", has_text="setup.exe")).to_contain_text(
        "Not added: This type of file is not accepted here.")
    expect(refused.locator(".file-line", has_text="scan.png")).to_contain_text(
        "Not added: Programs cannot be shared here.")
    expect(page.locator(".documents__item")).to_have_text([re.compile("notes.txt")])

    # When she drops two files on the documents area at once, each says what became of it
    expect(page.locator(".documents .dropzone__limits")).to_have_text(LIMITS)
    page.locator(".documents input[type=file]").set_input_files(files=[
        file("readings.csv", "text/csv", b"page,jammed\n2,yes\n3,no\n"),
        file("driver.exe", "application/x-msdownload", PROGRAM),
    ])
    lines = page.locator(".documents__status .file-line")
    expect(lines.filter(has_text="readings.csv")).to_contain_text("Uploaded")
    expect(lines.filter(has_text="driver.exe")).to_contain_text("This type of file is not accepted")

    # When she replies with a photo, a report, and a file too large for the portal
    reply = page.locator("form.reply")
    reply.get_by_text("Attach files").click()
    reply.locator("input[type=file]").set_input_files(files=[
        file("photo.png", "image/png", png(40, 30, (200, 40, 40))),
        file("report.pdf", "application/pdf", PDF),
    ])
    drop_large_file(page, "form.reply .dropzone", "archive.zip", 26)
    # Then the large one is refused at once, with the limit and its own size
    big = reply.locator(".file-line", has_text="archive.zip")
    expect(big).to_contain_text("26 MB")
    expect(big).to_contain_text("Not added: The file is too large: files may be at most 25 MB.")
    page.get_by_label("Your reply").fill("Photo of the jammed page and the service report.")
    page.get_by_role("button", name="Send reply").click()
    # And nothing is sent while a file is refused; the others are uploaded already
    expect(reply.get_by_role("alert")).to_contain_text("Not sent: 1 file could not be attached.")
    expect(reply.locator(".file-line", has_text="photo.png")).to_contain_text("Uploaded")
    expect(reply.locator(".file-line", has_text="report.pdf")).to_contain_text("Uploaded")

    # When she removes it, and the first try to send is lost on the way
    reply.get_by_role("button", name="Remove archive.zip").click()
    messages = re.compile(rf"/api/portal/tickets/{ticket_id}/messages$")
    page.route(messages, lambda route: route.abort() if route.request.method == "POST"
               else route.continue_())
    page.get_by_role("button", name="Send reply").click()
    expect(reply.get_by_role("alert")).to_contain_text("The portal cannot be reached.")
    page.unroute(messages)
    page.get_by_role("button", name="Send reply").click()
    expect(page.get_by_text("Your reply was sent.")).to_be_visible()

    # Then her reply carries each file once, and the ticket holds each file once
    token = stack.token(email, password)
    view = stack.call("GET", f"/api/portal/tickets/{ticket_id}", token=token)
    sent = next(m for m in view["messages"] if m["body"].startswith("Photo of the jammed page"))
    assert len(sent["attachment_ids"]) == 2
    listed = stack.call("GET", f"/api/portal/tickets/{ticket_id}/attachments", token=token)
    assert sorted(item["filename"] for item in listed["items"]) == [
        "notes.txt", "photo.png", "readings.csv", "report.pdf"]

    # And the photo shows in the thread as a thumbnail, the report as a plain chip
    chips = page.locator(".thread .message--mine").first.locator(".chip--file")
    thumbnail = chips.filter(has_text="photo.png").locator("img.chip__thumb")
    expect(thumbnail).to_be_visible()
    assert thumbnail.evaluate("image => image.naturalWidth") == 40
    expect(chips.filter(has_text="report.pdf").locator("img")).to_have_count(0)
    assert customer.csp_violations() == []
    assert not [e for e in customer.errors if e.startswith("uncaught")]


def test_image_thumbnails_show_to_those_who_may_see_the_image(stack, open_page):
    # Given a customer's ticket
    alice = stack.token("alice@acme.test")
    subject = f"Badge reader offline {uuid.uuid4().hex[:6]}"
    ticket_id = stack.call("POST", "/api/portal/tickets", {
        "topic": "technical", "subject": subject, "body": "The badge reader at door B is dark.",
    }, token=alice)["ticket"]["id"]

    # When an agent notes a picture for the team, then answers with another one
    agent = open_page()
    console = agent.page
    sign_in(console, "agent@parley.test")
    console.goto(f"/console/tickets/{ticket_id}")
    composer = console.locator(".composer")
    composer.get_by_text("Attach files").click()
    expect(composer.locator(".dropzone__limits")).to_have_text(LIMITS)
    answer = console.get_by_label("Your answer or note")
    composer.locator("input[type=file]").set_input_files(
        files=[file("wiring.png", "image/png", png(24, 24, (20, 20, 20)))])
    answer.fill("Wiring behind the reader: the fuse is gone.")
    console.get_by_role("button", name="Internal note").click()
    expect(console.get_by_text("Internal note added.")).to_be_visible()
    composer.locator("input[type=file]").set_input_files(
        files=[file("door-b.png", "image/png", png(32, 20, (30, 120, 200)))])
    answer.fill("A technician replaces the fuse this afternoon.")
    console.get_by_role("button", name="Send and leave open").click()
    expect(console.get_by_text("Sent. The ticket stays open.")).to_be_visible()

    # Then the team sees both pictures, the internal one on the note
    expect(console.locator(".message--internal img.chip__thumb")).to_be_visible()
    expect(console.locator(".thread img.chip__thumb")).to_have_count(2)
    expect(console.locator(".thread img.chip__thumb").last).to_be_visible()

    # And the customer sees the answer's picture only
    customer = open_page()
    page = customer.page
    sign_in(page, "alice@acme.test")
    page.goto(f"/tickets/{ticket_id}")
    team = page.locator(".thread .message--team", has_text="replaces the fuse")
    expect(team.locator("img.chip__thumb")).to_be_visible()
    assert team.locator("img.chip__thumb").evaluate("image => image.naturalWidth") == 32
    expect(page.locator("img.chip__thumb")).to_have_count(1)
    expect(page.get_by_text("wiring.png")).to_have_count(0)
    assert agent.csp_violations() == [] and customer.csp_violations() == []
    assert not [e for e in agent.errors + customer.errors if e.startswith("uncaught")]
