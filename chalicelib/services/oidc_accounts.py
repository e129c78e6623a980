"""Who an OpenID provider's answer signs in, and the domains that sign in through one only.

The account is found by the address the provider vouches for (verified, of a domain the provider
speaks for); a customer is created on the first sign-in only where the admin allows it and the
domain names an organization. Staff are never created by a sign-in: the admin creates them.

`refuse_password` is the other side: where the admin turned password sign-in off for a domain,
the password routes (sign-in, reset, registration, magic link) refuse its addresses with 403
`sso_required`, naming the provider. It is decided from the domain alone, before any account is
looked up, so the answer is the same for an address with an account and one without."""

from __future__ import annotations

import uuid
from typing import Any

from chalicelib import clock
from chalicelib.data import users as user_store
from chalicelib.errors import Conflict, Forbidden, InvalidInput
from chalicelib.services.identity import check_email
from chalicelib.services.oidc_config import OidcProvider, domain_of
from chalicelib.services.principal import CUSTOMER
from chalicelib.services.settings import get_portal_settings

LANGUAGES = ("en", "fr", "pl")


class AccountRefused(Exception):
    """Nobody to sign in: `code` is what the sign-in page says (error.<code>)."""

    def __init__(self, code: str, reason: str, email: str | None = None) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason
        self.email = email


def refuse_password(email: str) -> None:
    """403 `sso_required` for an address of a domain whose password sign-in is off."""
    domain = domain_of(email)
    for provider in get_portal_settings().sso_providers:
        if domain in provider.password_off_domains:
            raise Forbidden(
                f"Addresses of {domain} sign in with {provider.name}.",
                code="sso_required", details={"provider": provider.name,
                                              "provider_id": provider.id},
            )


def account_for(provider: OidcProvider, claims: dict[str, Any]) -> user_store.UserModel:
    """The account the verified claims name, created when allowed; AccountRefused otherwise."""
    raw = claims.get("email")
    if not isinstance(raw, str):
        raise AccountRefused("sso_failed", "no_email")
    try:
        email = check_email(raw)
    except InvalidInput as exc:
        raise AccountRefused("sso_failed", "invalid_email") from exc
    # Accounts are found by the address as Parley writes it (casefolded): a verified
    # "eßex@" must not sign in as "essex@", a different mailbox. Plain ASCII only, and it
    # must be that address already but for its case.
    if not raw.isascii() or raw.strip().lower() != email:
        raise AccountRefused("sso_failed", "invalid_email")
    # Some providers (Cognito) send the flag as a string
    if claims.get("email_verified") not in (True, "true"):
        raise AccountRefused("sso_email_unverified", "email_unverified", email)
    if not provider.speaks_for(email):
        raise AccountRefused("sso_domain_refused", "domain", email)
    user = user_store.find_user_by_email(email) or _created(provider, email, claims)
    if user.role not in provider.roles:
        raise AccountRefused("sso_role_refused", "role", email)
    if user.status == "disabled":
        raise AccountRefused("account_disabled", "disabled", email)
    if user.status != "active":
        raise AccountRefused("email_not_verified", "unverified", email)
    return user


def _created(
    provider: OidcProvider, email: str, claims: dict[str, Any]
) -> user_store.UserModel:
    from chalicelib.data import orgs as org_store
    from chalicelib.services import audit, customers

    org_id = provider.domains.get(domain_of(email), "")
    if (not provider.create_accounts or CUSTOMER not in provider.roles or not org_id
            or org_store.get_org(org_id) is None):
        raise AccountRefused("sso_no_account", "no_account", email)
    user = user_store.UserModel(
        user_id=uuid.uuid4().hex,
        email=email,
        name=_name(claims, email),
        role=CUSTOMER,
        status="active",  # the provider verified the address
        org_id=org_id,
        language=_language(claims),
        created_at=clock.now(),
    )
    try:
        customers.added(user_store.create_user(user))
    except Conflict:  # created meanwhile (two sign-ins at once): that account
        existing = user_store.find_user_by_email(email)
        if existing is None:
            raise
        return existing
    audit.record("user.create", actor=None, actor_email=email, target=user.user_id,
                 details={"role": CUSTOMER, "via": "sso", "provider": provider.id})
    return user


def _name(claims: dict[str, Any], email: str) -> str:
    name = claims.get("name")
    if not isinstance(name, str) or not name.strip():
        name = " ".join(part for part in (claims.get("given_name"), claims.get("family_name"))
                        if isinstance(part, str))
    printable = "".join(ch if ch.isprintable() else " " for ch in name)
    return " ".join(printable.split())[:120] or email.split("@")[0]


def _language(claims: dict[str, Any]) -> str:
    locale = claims.get("locale")
    language = locale.replace("_", "-").split("-")[0].lower() if isinstance(locale, str) else ""
    return language if language in LANGUAGES else get_portal_settings().default_language
