"""Who sent a mail: the From address as the lookups use it and why it may not be believed
(SES's proof itself, DMARC / SPF / DKIM aligned with From, is read in `rules.py`), the
addresses that are never a customer's, what the admin chose for senders without an account,
and the account of a sender: the one the decision named, or a customer made for them."""

from __future__ import annotations

import hashlib
import re
from typing import Any

from chalicelib import clock
from chalicelib.config import get_settings
from chalicelib.data import orgs as org_store
from chalicelib.data import teams as team_store
from chalicelib.data import users as user_store
from chalicelib.data.inbound import DROPPED, REJECTED
from chalicelib.errors import InvalidInput
from chalicelib.mail import tokens
from chalicelib.mail.model import ParsedMail
from chalicelib.services import customers
from chalicelib.services.inbound.deliveries import Result
from chalicelib.services.inbound.received import Mail, Unhandled
from chalicelib.services.inbound.replies import answer_unknown_sender, may_answer
from chalicelib.services.principal import CUSTOMER
from chalicelib.services.settings import PortalSettings
from chalicelib.services.users import find_or_create_mail_customer

_PLAIN_ADDRESS = re.compile(r"[^@\s\"<>(),;:\\\[\]]{1,64}@[^@\s\"<>(),;:\\\[\]]{1,253}")


def sender_of(parsed: ParsedMail) -> tuple[str, str]:
    """The From address as the lookups use it, and why it cannot be believed ("" if it can).
    An address that is not plain (a quoted local part holding another address, two From
    headers) may read one way to SES and another here: it proves nothing."""
    raw = (parsed.from_email or "").strip().lower()
    sender = tokens.normalize(raw).rstrip(".")
    doubt = parsed.sender_doubt
    if raw and (sender != raw.rstrip(".") or not _PLAIN_ADDRESS.fullmatch(sender)):
        doubt = doubt or "the From address is not a plain address"
    elif len(parsed.header_values("From")) > 1:
        doubt = doubt or "the mail has more than one From header"
    return sender, doubt


def reserved(address: str, portal: PortalSettings) -> str:
    """Why an address may never be a customer's ("" when it may): it is the portal's own
    sender, at the portal's mail domain (or below it), or an address support alerts go to
    (a team's, the portal's support address, the alerts' extra recipients)."""
    settings = get_settings()
    own = settings.mail_domain.lower().rstrip(".")
    address = address.rstrip(".")
    if address == tokens.normalize(settings.mail_from):
        return "the portal's own sender address"
    domain = address.rpartition("@")[2]
    if domain == own or domain.endswith("." + own):
        return "an address at the portal's mail domain"
    alerts = {portal.support_address, *(a for recipients in (
        portal.support_alert_recipients, portal.customer_alert_recipients)
        for a in (*recipients.to, *recipients.cc, *recipients.bcc))}
    if address in {tokens.normalize(str(a)) for a in alerts if a}:
        return "an address support alerts go to"
    if address in {tokens.normalize(t.email) for t in team_store.list_teams() if t.email}:
        return "a team's alert address"
    return ""


def unknown_sender_policy(mail: Mail) -> Result | None:
    """What the admin chose for senders without an account: None to create one."""
    policy = mail.settings.inbound_unknown_sender
    if mail.word.vouches or policy == "create":
        return None
    if policy == "drop":
        return Result(DROPPED, "unknown_sender", f"{mail.sender} has no account")
    sent = answer_unknown_sender(mail)
    return Result(REJECTED, "unknown_sender",
                  f"{mail.sender} has no account" + ("; answered" if sent else ""))


def account(mail: Mail, plan: dict[str, Any]) -> user_store.UserModel:
    """The account the decision named, or the one it decided to make (found by its address
    on a retry)."""
    if plan.get("user_id"):
        user = user_store.get_user(str(plan["user_id"]))
        if user is None:
            raise Unhandled("the sender's account no longer exists")
        return user
    return _create_customer(mail, _mail_org(mail.sender, mail.settings))


def give_org(user: user_store.UserModel, settings: PortalSettings) -> user_store.UserModel:
    """A customer without an organization (self-registered) cannot hold a ticket: give them
    the one mail customers get."""
    user.org_id = _mail_org(str(user.email), settings)
    user_store.save_user(user)
    customers.added(user)  # with an organization, the console's customer search lists them
    return user


def _create_customer(mail: Mail, org_id: str) -> user_store.UserModel:
    # An invitation is mail back: only to a sender SES could prove (no backscatter).
    invite = may_answer(mail, mail.sender)
    try:
        user = find_or_create_mail_customer(
            mail.sender, mail.parsed.from_name, org_id, mail.settings.default_language,
            invite=invite,
        )
    except InvalidInput:
        raise Unhandled("the sender's address is not one an account can have") from None
    if (tokens.normalize(str(user.email)) != mail.sender or user.role != CUSTOMER
            or user.status == "disabled"):
        # Another account's address once folded (straße → strasse): never act as it.
        raise Unhandled("the sender's address collides with another account's")
    return user


def _mail_org(address: str, settings: PortalSettings) -> str:
    """The organization of customers created from mail: the admin's choice, else one of their
    own (an id derived from the address, so a repeated delivery finds it)."""
    chosen = settings.inbound_default_org
    if chosen and org_store.get_org(chosen) is not None:
        return chosen
    org_id = "mail-" + hashlib.sha256(address.encode()).hexdigest()[:24]
    if org_store.get_org(org_id) is not None:
        return org_id
    # Organization names are unique: if an admin already named one after this address, the
    # mail customer's own gets the address with a short tag instead.
    for name in (address, f"{address} ({org_id[5:11]})"):
        try:
            org_store.create_org(org_store.OrgModel(org_id=org_id, name=name,
                                                    created_at=clock.now()))
            return org_id
        except Exception:
            # A concurrent create of the same organization is as good as ours.
            if org_store.get_org(org_id) is not None:
                return org_id
    raise Unhandled("no organization could be made for the sender")
