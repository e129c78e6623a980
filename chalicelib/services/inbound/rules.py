"""What SES tells us about a received message, and what its verdicts decide. Pure: no AWS.

SES's receipt notification (`notificationType: "Received"`) names the stored raw message
(`receipt.action.bucketName` / `objectKey`), the envelope recipients (`mail.destination`,
`receipt.recipients`) and five verdicts, each PASS, FAIL, GRAY or PROCESSING_FAILED. It reaches
the queue either wrapped in an SNS envelope (`{"Type": "Notification", "Message": "<json>"}`)
or as it is (raw message delivery, as `infra/` subscribes the queue): both are read.

The verdict table (`VERDICTS`) is the whole policy, one cell per (verdict, status):

| verdict | PASS | FAIL | GRAY | PROCESSING_FAILED |
|---|---|---|---|---|
| virus | ok | quarantine `virus` | ok, attachments withheld | quarantine `virus_unscanned` |
| spam | ok | quarantine `spam` | ok (noted) | ok (noted) |
| DMARC | sender proven | by policy (below) | ok, unproven | ok, unproven |
| SPF | sender proven | ok, unproven | ok, unproven | ok, unproven |
| DKIM | sender proven | ok, unproven | ok, unproven | ok, unproven |

DMARC FAIL goes by `receipt.dmarcPolicy`: REJECT → rejected (recorded, no ticket, nothing
sent back); QUARANTINE → quarantine `dmarc`; NONE (or absent) → ok, sender unproven.

SPF or DKIM failing alone never refuses mail: forwarding breaks SPF and mailing lists break
DKIM, which is why DMARC (and the domain owner's policy) is the one that decides. A sender is
*proven* when DMARC passed, or DMARC did not fail and SPF or DKIM passed *aligned* with the
From domain: SPF vouches for the envelope sender (`mail.source`) and DKIM for the signing
domain, and either says nothing about From unless its domain is From's (or one is a subdomain
of the other: DMARC's relaxed alignment). The signing domains are read from the
Authentication-Results header SES puts on top of the message (authserv-id `amazonses.com`);
one further down was written by whoever sent the mail and is ignored. An unproven sender gets
no mail back from us (no invitation, no polite answer: that would be backscatter to a forged
address), never gets an account, and cannot thread by subject tag or Message-ID. A
virus-quarantined message released by staff still never stores its attachments.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Literal

VERDICT_NAMES = ("virus", "spam", "dmarc", "spf", "dkim")
STATUSES = ("PASS", "FAIL", "GRAY", "PROCESSING_FAILED")

Effect = Literal[
    "ok", "proven", "unproven", "quarantine_virus", "quarantine_virus_unscanned",
    "quarantine_spam", "withhold_attachments", "noted", "dmarc_policy",
]

VERDICTS: dict[tuple[str, str], Effect] = {
    ("virus", "PASS"): "ok",
    ("virus", "FAIL"): "quarantine_virus",
    ("virus", "GRAY"): "withhold_attachments",
    ("virus", "PROCESSING_FAILED"): "quarantine_virus_unscanned",
    ("spam", "PASS"): "ok",
    ("spam", "FAIL"): "quarantine_spam",
    ("spam", "GRAY"): "noted",
    ("spam", "PROCESSING_FAILED"): "noted",
    ("dmarc", "PASS"): "proven",
    ("dmarc", "FAIL"): "dmarc_policy",
    ("dmarc", "GRAY"): "unproven",
    ("dmarc", "PROCESSING_FAILED"): "unproven",
    ("spf", "PASS"): "proven",
    ("spf", "FAIL"): "unproven",
    ("spf", "GRAY"): "unproven",
    ("spf", "PROCESSING_FAILED"): "unproven",
    ("dkim", "PASS"): "proven",
    ("dkim", "FAIL"): "unproven",
    ("dkim", "GRAY"): "unproven",
    ("dkim", "PROCESSING_FAILED"): "unproven",
}
assert set(VERDICTS) == {(v, s) for v in VERDICT_NAMES for s in STATUSES}

QUARANTINE_REASONS = {
    "quarantine_virus": "virus",
    "quarantine_virus_unscanned": "virus_unscanned",
    "quarantine_spam": "spam",
}
# Quarantines staff may release (a released virus quarantine keeps its attachments out).
# Others (a message we could not handle) are re-run with "retry" instead.
RELEASABLE = frozenset({"spam", "dmarc", "virus", "virus_unscanned"})


# SES's own verdict header: `amazonses.com; spf=pass ...; dkim=pass header.i=@acme.test; ...`
_SES_AUTHSERV = "amazonses.com"
# Quoted strings and comments are the sender's words (an envelope address SES echoes): gone
# before the header is read, so no text of theirs can pose as a clause.
_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"')
_COMMENT = re.compile(r"\([^()]*\)")
_DOMAIN = r"([a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?)"
_SIGNER_D = re.compile(rf"(?:^|\s)header\.d={_DOMAIN}(?:\s|$)", re.IGNORECASE)
_SIGNER_I = re.compile(rf"(?:^|\s)header\.i=[^\s@]*@{_DOMAIN}(?:\s|$)", re.IGNORECASE)
_HEADER_FROM = re.compile(rf"(?:^|\s)header\.from={_DOMAIN}(?:\s|$)", re.IGNORECASE)


class UnreadableNotification(ValueError):
    """Not an SES receipt notification we can act on."""


@dataclass(frozen=True)
class Receipt:
    """One SES receipt notification, read."""

    delivery_id: str  # SES's mail.messageId: the same for every repeat of one delivery
    bucket: str
    object_key: str
    source: str  # the envelope sender (MAIL FROM)
    destination: list[str]
    verdicts: dict[str, str]
    dmarc_policy: str
    timestamp: str = ""
    dkim_domains: tuple[str, ...] = ()  # domains whose DKIM signature SES found valid
    dmarc_domain: str = ""  # the From domain SES checked DMARC for (`header.from`)
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    def summary(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "destination": self.destination,
            "verdicts": self.verdicts,
            "dmarc_policy": self.dmarc_policy,
            "timestamp": self.timestamp,
            "dkim_domains": list(self.dkim_domains),
            "dmarc_domain": self.dmarc_domain,
        }

    def aligned(self, from_address: str) -> frozenset[str]:
        """Which of SPF, DKIM and DMARC vouch for the From address's domain: SPF and DKIM for
        their own domains, DMARC for the domain SES read in From, which must be this one (a
        From our parser read otherwise than SES, a quoted local part say, proves nothing)."""
        domain = _domain(from_address)
        found = set()
        if domain and self.dmarc_domain == domain:
            found.add("dmarc")
        if domain and domains_align(_domain(self.source), domain):
            found.add("spf")
        if domain and any(domains_align(d, domain) for d in self.dkim_domains):
            found.add("dkim")
        return frozenset(found)


@dataclass(frozen=True)
class Decision:
    action: Literal["accept", "quarantine", "reject"]
    reason: str = ""
    proven_sender: bool = False
    withhold_attachments: bool = False
    notes: tuple[str, ...] = ()


def unwrap(body: str) -> dict[str, Any]:
    """The SES notification from an SQS body: an SNS envelope, or the notification itself."""
    try:
        outer = json.loads(body)
    except (TypeError, ValueError) as exc:
        raise UnreadableNotification("the queue message is not JSON") from exc
    if isinstance(outer, dict) and outer.get("Type") == "Notification" and "Message" in outer:
        try:
            outer = json.loads(outer["Message"])
        except (TypeError, ValueError) as exc:
            raise UnreadableNotification("the SNS message is not JSON") from exc
    if not isinstance(outer, dict):
        raise UnreadableNotification("the notification is not a JSON object")
    return outer


def is_receipt(notification: dict[str, Any]) -> bool:
    return notification.get("notificationType") == "Received"


def read_receipt(notification: dict[str, Any]) -> Receipt:
    mail = notification.get("mail")
    receipt = notification.get("receipt")
    if not isinstance(mail, dict) or not isinstance(receipt, dict):
        raise UnreadableNotification("no mail or receipt object")
    delivery_id = str(mail.get("messageId") or "")
    found = receipt.get("action")
    action: dict[str, Any] = found if isinstance(found, dict) else {}
    if not delivery_id or len(delivery_id) > 200:
        raise UnreadableNotification("no SES message id")
    verdicts = {}
    for name in VERDICT_NAMES:
        verdict = receipt.get(f"{name}Verdict")
        status = str(verdict.get("status", "")).upper() if isinstance(verdict, dict) else ""
        # A verdict SES did not give (scanning off) counts as one it could not compute.
        verdicts[name] = status if status in STATUSES else "PROCESSING_FAILED"
    destination = [str(a) for a in (mail.get("destination") or receipt.get("recipients") or [])]
    headers = mail.get("headers")
    clauses = _ses_clauses(headers if isinstance(headers, list) else [])
    return Receipt(
        delivery_id=delivery_id,
        bucket=str(action.get("bucketName") or ""),
        object_key=str(action.get("objectKey") or ""),
        source=str(mail.get("source") or ""),
        destination=destination[:50],
        verdicts=verdicts,
        dmarc_policy=str(receipt.get("dmarcPolicy") or "").upper(),
        timestamp=str(mail.get("timestamp") or ""),
        dkim_domains=_signers(clauses),
        dmarc_domain=_dmarc_domain(clauses),
        raw=notification,
    )


def _ses_clauses(headers: list[Any]) -> list[str]:
    """The clauses of SES's own Authentication-Results header (`dkim=pass header.i=@x`, ...),
    quoted strings and comments removed. Only the first such header counts: SES adds it above
    everything the sender wrote."""
    for header in headers[:200]:
        if not isinstance(header, dict):
            continue
        if str(header.get("name", "")).lower() != "authentication-results":
            continue
        value = _COMMENT.sub(" ", _QUOTED.sub('""', str(header.get("value", ""))[:8000]))
        clauses = [c.strip() for c in value.split(";")]
        if not clauses or clauses[0].lower() != _SES_AUTHSERV:
            return []
        return clauses[1:]
    return []


def _signers(clauses: list[str]) -> tuple[str, ...]:
    found: list[str] = []
    for clause in clauses:
        if clause.lower().startswith("dkim=pass"):
            found += _SIGNER_D.findall(clause) + _SIGNER_I.findall(clause)
    return tuple(dict.fromkeys(d.lower().rstrip(".") for d in found))[:10]


def _dmarc_domain(clauses: list[str]) -> str:
    for clause in clauses:
        if clause.lower().startswith("dmarc="):
            match = _HEADER_FROM.search(clause)
            return match.group(1).lower().rstrip(".") if match else ""
    return ""


def _domain(address: str) -> str:
    return address.rpartition("@")[2].strip().strip(">").lower().rstrip(".")


def domains_align(one: str, other: str) -> bool:
    """DMARC's relaxed alignment, without a public-suffix list: the same domain, or one a
    subdomain of the other (mail.acme.test signs for acme.test)."""
    if not one or not other:
        return False
    return one == other or one.endswith("." + other) or other.endswith("." + one)


def decide(
    verdicts: dict[str, str], dmarc_policy: str, *, released: bool = False,
    aligned: frozenset[str] = frozenset(),
) -> Decision:
    """The verdicts' decision. `released`: staff looked at the quarantined message and let it
    through; a doubtful virus verdict still withholds its attachments, for good. `aligned`:
    which of spf / dkim / dmarc were for the From domain (`Receipt.aligned`); a pass of one
    that was not proves nothing about who wrote the mail."""
    effects = {name: VERDICTS[(name, verdicts.get(name, "PROCESSING_FAILED"))]
               for name in VERDICT_NAMES}
    notes = tuple(f"{name}:{verdicts.get(name)}" for name in VERDICT_NAMES
                  if verdicts.get(name) != "PASS")
    dmarc_failed = effects["dmarc"] == "dmarc_policy"
    proven = (effects["dmarc"] == "proven" and "dmarc" in aligned) or (
        not dmarc_failed
        and any(effects[name] == "proven" and name in aligned for name in ("spf", "dkim"))
    )
    withhold = effects["virus"] != "ok"
    if dmarc_failed and dmarc_policy == "REJECT":
        # The domain's owner asked receivers to refuse mail that fails DMARC: honour it.
        return Decision("reject", "dmarc_reject", False, withhold, notes)
    if not released:
        for name in ("virus", "spam"):
            reason = QUARANTINE_REASONS.get(effects[name])
            if reason:
                return Decision("quarantine", reason, proven, withhold, notes)
        if dmarc_failed and dmarc_policy == "QUARANTINE":
            return Decision("quarantine", "dmarc", False, withhold, notes)
    return Decision("accept", "", proven, withhold, notes)
