"""The inbound bucket (raw messages as SES stored them) and the local stand-in for SES's
receipt notification. A raw object under `raw/` is only ever read here, never changed or
deleted: it is the record of what arrived. The bucket expires `raw/` after the retention; a
quarantined message is copied under `quarantine/`, which does not expire, so it can be re-run
whatever its age."""

from __future__ import annotations

import json
from typing import Any

from chalicelib.adapters.aws import client

MAX_RAW_BYTES = 40 * 1024 * 1024  # SES receives at most 40 MB per message


class RawMissing(Exception):
    """The notification names an object that is not (or no longer, or not yet) there."""


def read_raw(bucket: str, key: str) -> bytes:
    from botocore.exceptions import ClientError

    try:
        # No Range header: S3 refuses any range of an empty object (a zero-byte "mail").
        response = client("s3").get_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        # Without s3:ListBucket (least privilege) S3 answers a missing key with 403, not 404.
        if exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") in (403, 404):
            raise RawMissing(f"s3://{bucket}/{key}") from exc
        raise
    body = response["Body"]
    try:
        return bytes(body.read(MAX_RAW_BYTES))
    finally:
        body.close()


def keep_raw(bucket: str, key: str, kept_key: str) -> bool:
    """Copy a raw message to `kept_key` in the same bucket (server-side, SSE-S3); False when the
    raw message is not there (never arrived, or already expired)."""
    from botocore.exceptions import ClientError

    try:
        client("s3").copy_object(
            Bucket=bucket, Key=kept_key, CopySource={"Bucket": bucket, "Key": key},
            ServerSideEncryption="AES256",
        )
    except ClientError as exc:
        # Without s3:ListBucket S3 answers a missing source with 403, not 404.
        if exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") in (403, 404):
            return False
        raise
    return True


def put_raw(bucket: str, key: str, data: bytes) -> None:
    """What SES's S3 action does (local runs and tests only)."""
    client("s3").put_object(Bucket=bucket, Key=key, Body=data, ServerSideEncryption="AES256")


def publish(topic_name: str, notification: dict[str, Any]) -> str:
    """Publish a notification to a topic by name (local runs and tests: creating a topic that
    exists returns its ARN)."""
    sns = client("sns")
    arn = sns.create_topic(Name=topic_name)["TopicArn"]
    return str(sns.publish(TopicArn=arn, Message=json.dumps(notification))["MessageId"])
