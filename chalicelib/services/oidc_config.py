"""The OpenID providers an admin configures (portal setting `sso_providers`): what each is, who
may sign in through it, and the checks made when they are saved.

A provider holds a REFERENCE to its client secret, never the secret: deployed, the name (or ARN)
of a Secrets Manager secret under `parley/<stage>/oidc/` (the only ones the API function may
read, infra/parley_infra/access.py); locally, an environment variable `PARLEY_OIDC_...`. The
prefixes matter: an admin could otherwise name any secret or variable of the function and have
it sent, as a client secret, to a token endpoint of their choosing.

Imported by services/settings.py (the field's type), so it imports no service: what it reads
(organizations, the acting admin) it imports inside the function that reads it."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from chalicelib.config import get_settings
from chalicelib.errors import InvalidInput
from chalicelib.services.principal import Principal

MAX_PROVIDERS = 10
ENV_PREFIX = "PARLEY_OIDC_"
# A domain as the address's part after "@", lowercase (addresses are casefolded).
Domain = Annotated[str, Field(max_length=253,
                              pattern=r"^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$")]
# An organization's id, or "" for none (staff, or accounts that exist already).
OrgRef = Annotated[str, Field(max_length=64, pattern=r"^[A-Za-z0-9._-]*$")]


class OidcProvider(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    # In the sign-in and callback addresses: /api/auth/oidc/<id>/...
    id: str = Field(min_length=1, max_length=40, pattern=r"^[a-z0-9][a-z0-9_-]*$")
    name: str = Field(min_length=1, max_length=60)  # "Sign in with <name>"
    issuer: str = Field(min_length=8, max_length=500, pattern=r"^https?://[^\s?#]+$")
    client_id: str = Field(min_length=1, max_length=500, pattern=r"^[\x21-\x7e]+$")
    client_secret_ref: str = Field(min_length=1, max_length=2048, pattern=r"^[A-Za-z0-9/_+=.@:-]+$")
    roles: list[Literal["customer", "agent", "admin"]] = Field(min_length=1, max_length=3)
    # The domains this provider speaks for, each with the organization a customer it creates
    # joins ("": none, so none is created there). An address of another domain is refused: a
    # provider whose users may set their own address must not sign anyone else in.
    domains: dict[Domain, OrgRef] = Field(min_length=1, max_length=100)
    create_accounts: bool = False  # customers only: staff are never created by a sign-in
    # Addresses of these domains (some of `domains`) sign in through this provider only.
    password_off_domains: list[Domain] = Field(default_factory=list, max_length=100)

    def speaks_for(self, email: str) -> bool:
        return domain_of(email) in self.domains


def _distinct(providers: list[OidcProvider]) -> list[OidcProvider]:
    ids = [p.id for p in providers]
    if len(set(ids)) != len(ids):
        raise ValueError("each provider needs its own identifier")
    off = [d for p in providers for d in p.password_off_domains]
    if len(set(off)) != len(off):
        raise ValueError("a domain may sign in through one provider only")
    for provider in providers:
        if len(set(provider.roles)) != len(provider.roles):
            raise ValueError(f"{provider.id}: each role once")
        outside = sorted(set(provider.password_off_domains) - set(provider.domains))
        if outside:
            raise ValueError(f"{provider.id}: {', '.join(outside)} must be one of its domains "
                             "to have password sign-in turned off")
    return providers


OidcProviders = Annotated[
    list[OidcProvider], Field(max_length=MAX_PROVIDERS), AfterValidator(_distinct)
]


def domain_of(email: str) -> str:
    return email.rpartition("@")[2].strip().casefold()


def secret_prefix() -> str:
    """Where the provider's client secret may be named: an environment variable locally, a
    Secrets Manager name of this stage when deployed."""
    settings = get_settings()
    return ENV_PREFIX if settings.is_local else f"parley/{settings.stage}/oidc/"


def refuse_unusable(actor: Principal, changes: dict[str, Any]) -> None:
    """What the model cannot say alone, checked when the providers are saved (not when loaded,
    so settings stored before a check still load): https issuers (http only on the local
    stage), secret references under this stage's prefix, organizations that exist, and that the
    admin saving them can still sign in afterwards."""
    if "sso_providers" not in changes:
        return
    try:
        providers = TypeAdapter(OidcProviders).validate_python(changes["sso_providers"])
    except ValidationError:
        return  # the settings' own validation says what is wrong
    problems: list[dict[str, str]] = []
    for index, provider in enumerate(providers):
        problems += _provider_problems(f"sso_providers.{index}", provider)
    if not problems:
        problems += _lockout(actor, providers)
    if problems:
        raise InvalidInput("Some settings are not valid.", details=problems)


def _provider_problems(where: str, provider: OidcProvider) -> list[dict[str, str]]:
    from chalicelib.data import orgs as org_store

    problems: list[dict[str, str]] = []
    if urlsplit(provider.issuer).scheme != "https" and not get_settings().is_local:
        problems.append({
            "field": f"{where}.issuer", "code": "sso_insecure_issuer",
            "message": "The issuer must be an https address."})
    prefix = secret_prefix()
    if not _names_secret(provider.client_secret_ref, prefix):
        problems.append({
            "field": f"{where}.client_secret_ref", "code": "sso_secret_reference",
            "prefix": prefix,
            "message": f"Name the client secret where the portal may read it: {prefix}..."})
    named = sorted({org for org in provider.domains.values() if org})
    found = org_store.get_orgs(named) if named else {}
    for domain, org in provider.domains.items():
        if org and org not in found:
            problems.append({
                "field": f"{where}.domains.{domain}", "code": "unknown_org",
                "message": f"{domain}: no organization has the id {org}."})
    return problems


def _names_secret(reference: str, prefix: str) -> bool:
    if prefix == ENV_PREFIX:
        return re.fullmatch(rf"{ENV_PREFIX}[A-Z0-9_]+", reference) is not None
    # A name, or an ARN (…:secret:<name>-AbCdEf)
    name = reference.split(":secret:", 1)[1] if reference.startswith("arn:") else reference
    return (reference.startswith("arn:") == (":secret:" in reference)
            and name.startswith(prefix) and len(name) > len(prefix) and ".." not in name)


def _lockout(actor: Principal, providers: list[OidcProvider]) -> list[dict[str, str]]:
    """An admin who turns password sign-in off for their own domain, through a provider that
    does not admit admins, could never sign in again: refused."""
    from chalicelib.data import users as user_store

    user = user_store.get_user(actor.user_id)
    if user is None:
        return []
    domain = domain_of(user.email)
    for index, provider in enumerate(providers):
        if domain in provider.password_off_domains and user.role not in provider.roles:
            return [{
                "field": f"sso_providers.{index}.password_off_domains", "code": "sso_lockout",
                "message": f"You sign in with an address of {domain}: turning its password "
                "sign-in off through a provider that does not admit your role would lock "
                "you out."}]
    return []
