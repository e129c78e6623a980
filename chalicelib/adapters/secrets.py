"""Secrets the app reads at run time by reference (an OpenID provider's client secret):
Secrets Manager when deployed, kept a few minutes per warm function so a sign-in does not pay
a call each time (a rotated secret is read again within that time); an environment variable on
the local stack and in the tests."""

from __future__ import annotations

import os
import threading

from chalicelib import clock
from chalicelib.adapters.aws import client

CACHE_SECONDS = 300.0

_cache: dict[str, tuple[float, str]] = {}
_lock = threading.Lock()


class SecretMissing(Exception):
    """The reference names nothing this function can read."""


def secret_string(secret_id: str) -> str:
    """A Secrets Manager secret's string (by name or ARN)."""
    now = clock.now()
    with _lock:
        cached = _cache.get(secret_id)
    if cached and now - cached[0] < CACHE_SECONDS:
        return cached[1]
    from botocore.exceptions import ClientError

    try:
        answer = client("secretsmanager").get_secret_value(SecretId=secret_id)
    except ClientError as exc:
        raise SecretMissing(exc.response.get("Error", {}).get("Code", "error")) from exc
    value = answer.get("SecretString")
    if not isinstance(value, str) or not value:
        raise SecretMissing("no SecretString")
    with _lock:
        _cache[secret_id] = (now, value)
    return value


def environment_value(name: str) -> str:
    value = os.environ.get(name, "")
    if not value:
        raise SecretMissing(f"{name} is not set")
    return value


def forget_cached_secrets() -> None:
    with _lock:
        _cache.clear()
