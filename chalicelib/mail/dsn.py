"""Delivery status notifications (RFC 3464): who could not be reached, and whether for good.

A bounce report says per recipient what happened (`Action: failed` / `delayed` / ...) and why
(`Status: 5.1.1`, `Diagnostic-Code`). The suppression list needs exactly that distinction: a
permanent failure suppresses the address, a delay does not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_FIELD = re.compile(r"^([A-Za-z][A-Za-z0-9-]*)\s*:\s*(.*)$")
_STATUS = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")


@dataclass(frozen=True)
class DeliveryStatus:
    recipient: str
    action: str
    status: str
    diagnostic: str
    remote_mta: str

    @property
    def failed(self) -> bool:
        """Permanent failure: the address will not work if we try again."""
        return self.action == "failed" or self.status.startswith("5.")


def parse_delivery_status(text: str) -> list[DeliveryStatus]:
    """One entry per recipient block; blocks without a recipient (the per-message part) skipped."""
    statuses = []
    for block in re.split(r"\n\s*\n", text.replace("\r\n", "\n")):
        fields = _fields(block)
        recipient = _typed_value(fields.get("final-recipient") or fields.get("original-recipient"))
        if not recipient:
            continue
        status_match = _STATUS.search(fields.get("status", ""))
        statuses.append(
            DeliveryStatus(
                recipient=recipient.strip("<>"),
                action=fields.get("action", "").strip().lower().split(" ")[0],
                status=status_match.group(0) if status_match else "",
                diagnostic=_typed_value(fields.get("diagnostic-code")),
                remote_mta=_typed_value(fields.get("remote-mta")),
            )
        )
    return statuses


def _fields(block: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    name = ""
    for line in block.split("\n"):
        if line[:1] in {" ", "\t"} and name:
            fields[name] += " " + line.strip()
            continue
        match = _FIELD.match(line)
        if match:
            name = match.group(1).lower()
            fields.setdefault(name, match.group(2).strip())
    return fields


def _typed_value(value: str | None) -> str:
    """`rfc822; user@host` -> `user@host`, `smtp; 550 5.1.1 ...` -> `550 5.1.1 ...`."""
    if not value:
        return ""
    kind, separator, rest = value.partition(";")
    return (rest if separator and " " not in kind.strip() else value).strip()
