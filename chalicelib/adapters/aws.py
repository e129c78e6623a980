"""Lazily created, cached boto3 clients."""

from __future__ import annotations

from functools import cache
from typing import Any

from chalicelib.config import get_settings


@cache
def client(service: str) -> Any:
    import boto3

    return boto3.session.Session().client(service, region_name=get_settings().region)


def reset_clients() -> None:
    """Tests start a fresh moto backend per test; cached clients must not outlive it."""
    client.cache_clear()
