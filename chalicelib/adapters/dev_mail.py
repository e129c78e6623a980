"""Reads what the embedded SES (moto) accepted. Local and test stages only: the emulator runs in
the same process there, so its backend is readable directly."""

from __future__ import annotations

import email
import email.policy
from html import escape

from chalicelib.config import get_settings
from chalicelib.shapes.dev import SentMail


def sent_messages() -> list[SentMail]:
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    backend = ses_backends[DEFAULT_ACCOUNT_ID][get_settings().region]
    result: list[SentMail] = []
    for raw in reversed(getattr(backend, "sent_messages", [])):
        data = getattr(raw, "raw_data", None)
        if data is None:
            continue
        parsed = email.message_from_string(data, policy=email.policy.default)
        text_part = parsed.get_body(preferencelist=("plain",))
        html_part = parsed.get_body(preferencelist=("html",))
        result.append(
            {
                "id": raw.id,
                "headers": [[k, str(v)] for k, v in parsed.items()],
                "subject": str(parsed.get("Subject", "")),
                "to": str(parsed.get("To", "")),
                "text": text_part.get_content() if text_part else "",
                "html": html_part.get_content() if html_part else "",
            }
        )
    return result


def render_page(messages: list[SentMail]) -> str:
    rows = []
    for m in messages:
        headers = "".join(
            f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in m["headers"]
        )
        rows.append(
            f"<article><h2>{escape(m['subject'])}</h2><table>{headers}</table>"
            f"<pre>{escape(m['text'])}</pre></article>"
        )
    body = "".join(rows) or "<p>No mail sent yet.</p>"
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>Sent mail</title>"
        "<style>body{font-family:sans-serif;max-width:60rem;margin:2rem auto}"
        "article{border:1px solid #ccc;border-radius:6px;padding:1rem;margin:1rem 0}"
        "th{text-align:left;padding-right:1rem;vertical-align:top}pre{white-space:pre-wrap}"
        "</style></head><body><h1>Mail sent by the local portal</h1>"
        f"<p>{len(messages)} message(s), newest first.</p>{body}</body></html>"
    )
