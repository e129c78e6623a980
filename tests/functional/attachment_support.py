"""Helpers of the documents tests: files of each kind, and the browser's part of an upload (POST
the presigned form to S3, which moto intercepts in-process as it does boto3's calls)."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import requests

from tests.conftest import Api

Response = tuple[int, Any, dict[str, Any]]

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00" + b"\x00" * 100
PE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"PE\x00\x00"
TEXT = "Numéro de série : 42\nZażółć gęślą jaźń\n".encode()
CSV = b"sku,qty\nA-1,3\nB-2,5\n"
OFFICE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def zip_of(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


DOCX = zip_of({
    "[Content_Types].xml": b"<Types/>",
    "_rels/.rels": b"<Relationships/>",
    "word/document.xml": b"<w:document/>",
})


class Uploads:
    """The upload steps as the pages take them, for one side (portal or console)."""

    def __init__(self, api: Api) -> None:
        self.api = api

    def request(
        self, token: str, ticket_id: str, *, filename: str = "scan.pdf",
        content_type: str = "application/pdf", size: int = len(PDF), where: str = "portal",
        **extra: Any,
    ) -> Response:
        return self.api.call(
            "POST", f"/api/{where}/tickets/{ticket_id}/attachments",
            {"filename": filename, "content_type": content_type, "size": size, **extra},
            token=token,
        )

    def confirm(
        self, token: str, ticket_id: str, attachment_id: str, where: str = "portal"
    ) -> Response:
        return self.api.call(
            "POST", f"/api/{where}/tickets/{ticket_id}/attachments/{attachment_id}/confirm",
            token=token,
        )

    def upload(
        self, token: str, ticket_id: str, data: bytes, *, filename: str = "scan.pdf",
        content_type: str = "application/pdf", declared_size: int | None = None,
        where: str = "portal", **extra: Any,
    ) -> dict[str, Any]:
        """Ask, then POST the bytes with the form: returns the answer to the ask."""
        status, asked, _ = self.request(
            token, ticket_id, filename=filename, content_type=content_type,
            size=len(data) if declared_size is None else declared_size, where=where, **extra,
        )
        assert status == 201, asked
        post_form(asked["upload"], data, filename)
        return dict(asked)

    def upload_confirmed(self, token: str, ticket_id: str, data: bytes = PDF, **kw: Any) -> str:
        asked = self.upload(token, ticket_id, data, **kw)
        attachment_id = asked["attachment"]["id"]
        status, body, _ = self.confirm(token, ticket_id, attachment_id, kw.get("where", "portal"))
        assert status == 200, body
        return str(attachment_id)

    def documents(self, token: str, ticket_id: str, where: str = "portal") -> list[dict[str, Any]]:
        status, body, _ = self.api.call(
            "GET", f"/api/{where}/tickets/{ticket_id}/attachments", token=token
        )
        assert status == 200, body
        return list(body["items"])

    def download(
        self, token: str, ticket_id: str, attachment_id: str, where: str = "portal",
        query: str = "",
    ) -> Response:
        return self.api.call(
            "GET", f"/api/{where}/tickets/{ticket_id}/attachments/{attachment_id}{query}",
            token=token,
        )


def post_form(upload: dict[str, Any], data: bytes, filename: str) -> None:
    """The browser's multipart POST of the presigned form; the file field comes last."""
    response = requests.post(
        upload["url"], data=upload["fields"], files={"file": (filename, data)}, timeout=10
    )
    assert response.status_code in (200, 201, 204), response.text
