"""Lazily created, cached boto3 clients."""

from __future__ import annotations

import threading
from functools import cache
from typing import Any

from chalicelib.config import get_settings


@cache
def _session() -> Any:
    # One session for every client: its loader parses each service description once, instead
    # of once per client (~0.1 s each; felt at cold start, and in every test).
    import boto3

    return boto3.session.Session()


_creating = threading.Lock()  # a boto3 session is not safe to create clients from concurrently


@cache
def client(service: str) -> Any:
    with _creating:
        return _session().client(
            service, region_name=get_settings().region, config=_config(service)
        )


def _config(service: str) -> Any:
    if service != "s3":
        return None
    from botocore.config import Config

    # botocore still presigns S3 with SigV2 unless told otherwise, and S3 refuses SigV2.
    return Config(signature_version="s3v4")


def reset_clients() -> None:
    """Tests start a fresh moto backend per test; cached clients must not outlive it."""
    client.cache_clear()
