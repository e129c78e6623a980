"""Typed settings, read from the environment once.

Deployment-time configuration only (table names, buckets, sender). What an admin can change at
run time (topics, timeouts, templates) lives in the portal settings item, not here.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache

LOCAL_STAGES = frozenset({"local", "test"})


@dataclass(frozen=True)
class Settings:
    stage: str
    region: str
    table_prefix: str
    documents_bucket: str
    inbound_bucket: str
    public_url: str
    mail_from: str
    mail_domain: str
    signing_key_value: bytes | None
    secure_cookies: bool
    trusted_proxy_hops: int
    # The secret CloudFront sends as X-Parley-Origin-Verify on every API request. Set: a request
    # without it did not come through CloudFront and is refused. Empty (local run, tests): no check.
    origin_verify: str = ""
    # During a rotation (docs/operations.md), the value before the current one: still accepted
    # until it is cleared, so no key or header change has to reach everything at the same instant.
    # Empty or None: nothing but the current value is accepted.
    signing_key_previous_value: bytes | None = None
    origin_verify_previous: str = ""
    # Event sources, named at import time (decorator arguments): safe defaults name the right
    # table and topic, so the local event pump and infra/ can match each handler to its source.
    messages_stream_arn: str = ""
    feedback_topic: str = ""
    # Inbound mail: SES stores the raw message and notifies this topic, which feeds this queue.
    inbound_queue: str = ""
    inbound_topic: str = ""
    # Account mail (password reset, registration): the request queues it, a handler sends it,
    # so known and unknown addresses cost the request the same.
    account_mail_queue: str = ""
    # The API Gateway Management endpoint of the WebSocket API (https://<id>.execute-api...
    # /<stage>). Empty: no live pushes, the pages poll.
    websocket_endpoint: str = ""

    @property
    def signing_key(self) -> bytes:
        """Required only where something is signed, so tools that sign nothing (the mail
        parser's command line) run without it."""
        if self.signing_key_value is None:
            # A deployed stage without a key would sign tokens and cursors with a public value.
            raise RuntimeError("PARLEY_SIGNING_KEY must be set outside the local and test stages")
        return self.signing_key_value

    def verification_keys(self) -> tuple[bytes, ...]:
        """The keys a signature may have been made with, the current one first. Signing uses
        `signing_key` alone; every verifier tries these, each compared in constant time."""
        previous = self.signing_key_previous_value
        if previous and previous != self.signing_key:
            return (self.signing_key, previous)
        return (self.signing_key,)

    def origin_verify_values(self) -> tuple[str, ...]:
        """The X-Parley-Origin-Verify values a request may carry; empty: no check at all. A
        previous value alone still counts, so clearing the wrong variable fails closed."""
        return tuple(v for v in (self.origin_verify, self.origin_verify_previous) if v)

    @property
    def is_local(self) -> bool:
        """Local run and tests: the demo password and /dev routes exist only here."""
        return self.stage in LOCAL_STAGES

    def table_name(self, short: str) -> str:
        return f"{self.table_prefix}{short}"


def _flag(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    # Unset means "not local": a function deployed without its stage must fail closed (no demo
    # password, no /dev routes, no public signing key), never fall back to local behaviour.
    stage = os.environ.get("PARLEY_STAGE", "unconfigured")
    key = os.environ.get("PARLEY_SIGNING_KEY", "")
    if not key and stage in LOCAL_STAGES:
        key = "local-only-signing-key-not-secret"
    previous_key = os.environ.get("PARLEY_SIGNING_KEY_PREVIOUS", "")
    public_url = os.environ.get("PARLEY_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
    mail_domain = os.environ.get("PARLEY_MAIL_DOMAIN", "parley.test")
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "eu-west-1"
    table_prefix = os.environ.get("PARLEY_TABLE_PREFIX", f"parley-{stage}-")
    return Settings(
        stage=stage,
        region=region,
        table_prefix=table_prefix,
        documents_bucket=os.environ.get("PARLEY_DOCUMENTS_BUCKET", f"parley-{stage}-documents"),
        inbound_bucket=os.environ.get("PARLEY_INBOUND_BUCKET", f"parley-{stage}-inbound"),
        public_url=public_url,
        mail_from=os.environ.get("PARLEY_MAIL_FROM", f"support@{mail_domain}"),
        mail_domain=mail_domain,
        signing_key_value=key.encode() if key else None,
        signing_key_previous_value=previous_key.encode() if previous_key else None,
        secure_cookies=_flag("PARLEY_SECURE_COOKIES", public_url.startswith("https://")),
        # Proxies in front of API Gateway whose X-Forwarded-For entry we trust (CloudFront: 1).
        trusted_proxy_hops=int(os.environ.get("PARLEY_TRUSTED_PROXY_HOPS", "0") or 0),
        origin_verify=os.environ.get("PARLEY_ORIGIN_VERIFY", ""),
        origin_verify_previous=os.environ.get("PARLEY_ORIGIN_VERIFY_PREVIOUS", ""),
        messages_stream_arn=os.environ.get("PARLEY_MESSAGES_STREAM_ARN")
        or f"arn:aws:dynamodb:{region}:000000000000:table/{table_prefix}messages/stream/latest",
        feedback_topic=os.environ.get("PARLEY_FEEDBACK_TOPIC") or f"parley-{stage}-mail-feedback",
        websocket_endpoint=os.environ.get("PARLEY_WEBSOCKET_ENDPOINT", "").rstrip("/"),
        inbound_queue=os.environ.get("PARLEY_INBOUND_QUEUE") or f"parley-{stage}-inbound-mail",
        account_mail_queue=os.environ.get("PARLEY_ACCOUNT_MAIL_QUEUE")
        or f"parley-{stage}-account-mail",
        inbound_topic=os.environ.get("PARLEY_INBOUND_TOPIC")
        or f"parley-{stage}-inbound-notifications",
    )
