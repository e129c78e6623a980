"""What the OpenID sign-in routes answer, and the providers as the admin's settings hold them
(services/oidc_config.py OidcProvider has the rules)."""

from __future__ import annotations

from typing import Literal

from typing_extensions import TypedDict


class OfferedProvider(TypedDict):
    id: str
    name: str  # the button says "Sign in with <name>"


class OfferedProviders(TypedDict):
    providers: list[OfferedProvider]


class SettingsSsoProvider(TypedDict):
    id: str
    name: str
    issuer: str
    client_id: str
    client_secret_ref: str  # where the secret is read (a name), never the secret
    roles: list[Literal["customer", "agent", "admin"]]
    domains: dict[str, str]  # email domain -> organization id ("" none)
    create_accounts: bool
    password_off_domains: list[str]
