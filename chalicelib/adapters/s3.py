"""The documents bucket: presigned POST for uploads, presigned GET for downloads, and the reads,
writes and deletes of the confirm step. Every object is encrypted at rest (SSE-S3)."""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import IO, Any

from chalicelib.adapters.aws import client
from chalicelib.config import get_settings
from chalicelib.errors import Conflict
from chalicelib.observability import get_logger

ENCRYPTION = "AES256"
CHUNK_BYTES = 1024 * 1024


@dataclass(frozen=True)
class ObjectInfo:
    size: int
    etag: str


def _bucket() -> str:
    return get_settings().documents_bucket


def presigned_upload(key: str, content_type: str, size: int, expires_in: int) -> dict[str, Any]:
    """A form the browser POSTs straight to S3. Its policy fixes the key, the Content-Type, the
    encryption and the exact size. (The emulator enforces none of it: the confirm step checks
    what was stored.)"""
    fields = {"Content-Type": content_type, "x-amz-server-side-encryption": ENCRYPTION}
    post: dict[str, Any] = client("s3").generate_presigned_post(
        Bucket=_bucket(),
        Key=key,
        Fields=fields,
        Conditions=[
            {"Content-Type": content_type},
            {"x-amz-server-side-encryption": ENCRYPTION},
            ["content-length-range", size, size],
        ],
        ExpiresIn=expires_in,
    )
    return {"url": post["url"], "fields": post["fields"]}


def head_object(key: str) -> ObjectInfo | None:
    from botocore.exceptions import ClientError

    try:
        head = client("s3").head_object(Bucket=_bucket(), Key=key)
    except ClientError as exc:
        # Without s3:ListBucket (least privilege) S3 answers a missing key with 403, not 404.
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if status in (403, 404):
            if status == 403:
                get_logger().info("upload not readable; treated as missing", extra={"key": key})
            return None
        raise
    return ObjectInfo(size=int(head["ContentLength"]), etag=str(head["ETag"]))


def read_object(key: str, etag: str, max_bytes: int) -> Generator[bytes, None, None]:
    """The object's bytes in chunks, at most `max_bytes` + 1 of them (enough to tell that a file
    is too large), and only the version that HEAD described: a file replaced since then fails
    the If-Match instead of being read in its place."""
    from botocore.exceptions import ClientError

    try:
        response = client("s3").get_object(
            Bucket=_bucket(), Key=key, IfMatch=etag, Range=f"bytes=0-{max_bytes}"
        )
    except ClientError as exc:
        if exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") in (403, 404, 412):
            raise Conflict(
                "The upload changed while it was being checked; confirm it again.",
                code="upload_changed",
            ) from exc
        raise
    body = response["Body"]
    try:
        yield from body.iter_chunks(CHUNK_BYTES)
    finally:
        body.close()


def put_object(key: str, body: IO[bytes] | bytes, content_type: str) -> None:
    client("s3").put_object(
        Bucket=_bucket(),
        Key=key,
        Body=body,
        ContentType=content_type,
        ServerSideEncryption=ENCRYPTION,
    )


def delete_object(key: str) -> None:
    """Deleting a missing key is not an error in S3: repeated cleanups are harmless."""
    client("s3").delete_object(Bucket=_bucket(), Key=key)


def download_url(key: str, *, content_type: str, disposition: str, expires_in: int) -> str:
    url: str = client("s3").generate_presigned_url(
        "get_object",
        Params={
            "Bucket": _bucket(),
            "Key": key,
            "ResponseContentType": content_type,
            "ResponseContentDisposition": disposition,
            "ResponseCacheControl": "private, no-store",
        },
        ExpiresIn=expires_in,
    )
    return url
