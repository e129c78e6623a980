"""`parley mail parse FILE`: what the portal would read from one raw message, for debugging mail.

Any file that can be read gets exit code 0, however broken the mail in it: the parser reports
problems as warnings. Only a missing or unreadable file is an error.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path

from chalicelib.mail.model import ParsedMail
from chalicelib.mail.parse import parse_mail


def run_parse(
    path: str, *, as_json: bool, domains: Sequence[str] | None, addresses: Sequence[str] | None
) -> int:
    try:
        raw = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
    except OSError as error:
        print(f"parley mail parse: cannot read {path}: {error.strerror or error}", file=sys.stderr)
        return 1
    own_domains, own_addresses = _own_identity(domains, addresses)
    parsed = parse_mail(raw, own_domains=own_domains, own_addresses=own_addresses)
    if as_json:
        _print(json.dumps(parsed.summary(), ensure_ascii=False), parsed)
    else:
        _print(_readable(parsed), parsed)
    return 0


def run_receive(
    path: str,
    *,
    endpoint: str | None,
    destination: Sequence[str],
    verdicts: dict[str, str],
    dmarc_policy: str,
) -> int:
    """`parley mail receive FILE`: the raw message goes into the local stack's inbound bucket
    and SES's receipt notification onto its inbound topic; the stack's event pump then hands it
    to the same handler Lambda runs. Only ever against the local emulator: without --endpoint
    the endpoint comes from the state file `parley dev` writes, never from AWS credentials."""
    try:
        raw = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
    except OSError as error:
        reason = error.strerror or error
        print(f"parley mail receive: cannot read {path}: {reason}", file=sys.stderr)
        return 1
    if not _use_local_stack(endpoint, "receive"):
        return 2
    from parley_dev.local.inbound import receive_mail

    delivery_id = receive_mail(raw, destination=destination, verdicts=verdicts,
                               dmarc_policy=dmarc_policy)
    print(delivery_id)
    return 0


def run_feedback(
    *, bounce: str | None, complaint: str | None, endpoint: str | None, bounce_subtype: str,
    complaint_type: str, diagnostic: str,
) -> int:
    """`parley mail feedback --bounce ADDRESS` (or --complaint): SES's notification of a bounce
    or complaint goes onto the running local stack's feedback topic, whose handler (run by the
    stack's event pump) puts the address on the suppression list. Only ever against the local
    emulator, found as `parley mail receive` finds it."""
    if not _use_local_stack(endpoint, "feedback"):
        return 2
    from parley_dev.local.feedback import BOUNCE, COMPLAINT, send_feedback

    if bounce:
        print(send_feedback(BOUNCE, bounce, bounce_subtype=bounce_subtype, diagnostic=diagnostic))
    if complaint:
        print(send_feedback(COMPLAINT, complaint, complaint_type=complaint_type))
    return 0


def _use_local_stack(endpoint: str | None, command: str) -> bool:
    """Point every AWS client at the running local stack's emulator, with its names; False
    (said on stderr) when no stack runs."""
    import os

    from parley_dev.cli.dev import read_dev_state

    state = read_dev_state()
    endpoint = endpoint or state.get("endpoint")
    if not endpoint:
        print(f"parley mail {command}: no local stack is running (start `parley dev`, or pass "
              "--endpoint URL of its emulator)", file=sys.stderr)
        return False
    os.environ.update({
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
    })
    os.environ.pop("AWS_SESSION_TOKEN", None)
    os.environ.pop("AWS_PROFILE", None)
    for name, value in (state.get("environment") or {}).items():
        os.environ[name] = str(value)  # the stack's stage, region and names win
    os.environ.setdefault("PARLEY_STAGE", "local")
    return True


def _own_identity(
    domains: Sequence[str] | None, addresses: Sequence[str] | None
) -> tuple[list[str], list[str]]:
    """Defaults from the deployment settings, so a message that looped back shows as "loop"."""
    if domains is not None and addresses is not None:
        return list(domains), list(addresses)
    from chalicelib.config import get_settings

    try:
        settings = get_settings()
    except RuntimeError:  # a deployed stage without its secrets: no defaults, still parse
        return list(domains or []), list(addresses or [])
    return list(domains or [settings.mail_domain]), list(addresses or [settings.mail_from])


def _print(text: str, parsed: ParsedMail) -> None:
    try:
        print(text)
    except UnicodeEncodeError:
        # A terminal that cannot show the text still gets valid output: JSON's ASCII escapes.
        print(json.dumps(parsed.summary()))


def _readable(parsed: ParsedMail) -> str:
    sender = f"{parsed.from_name} <{parsed.from_email}>" if parsed.from_name else parsed.from_email
    classification = parsed.classification + (
        f" ({parsed.classification_reason})" if parsed.classification_reason else ""
    )
    lines = [
        f"From:           {sender or '-'}",
        f"To:             {', '.join(parsed.to) or '-'}",
        f"Cc:             {', '.join(parsed.cc) or '-'}",
        f"Subject:        {parsed.subject or '-'}",
        f"Date:           {parsed.date or '-'}",
        f"Message-ID:     {parsed.message_id or '-'}",
        f"In-Reply-To:    {parsed.in_reply_to or '-'}",
        f"References:     {' '.join(parsed.references) or '-'}",
        f"Classification: {classification}",
    ]
    for status in parsed.delivery_status:
        lines.append(f"  delivery: {status.recipient} {status.action} {status.status}".rstrip())
    lines.append(f"Attachments:    {len(parsed.attachments)}")
    for attachment in parsed.attachments:
        details = [attachment.content_type, f"{attachment.size} bytes"]
        if attachment.inline:
            details.append("inline")
        if attachment.content_id:
            details.append(f"cid:{attachment.content_id}")
        lines.append(f"  - {attachment.filename} ({', '.join(details)})")
    if parsed.warnings:
        lines.append(f"Warnings:       {len(parsed.warnings)}")
        lines.extend(f"  - {warning}" for warning in parsed.warnings)
    lines += ["", "--- reply text ---", parsed.reply_text or "(empty)"]
    if parsed.reply_text != parsed.body_text:
        lines += ["", "--- full text ---", parsed.body_text or "(empty)"]
    return "\n".join(lines)
