"""Who is calling: what the session authorizer established, passed to every service."""

from __future__ import annotations

from dataclasses import dataclass

CUSTOMER = "customer"
AGENT = "agent"
ADMIN = "admin"
ROLES = (CUSTOMER, AGENT, ADMIN)
STAFF_ROLES = frozenset({AGENT, ADMIN})


@dataclass(frozen=True)
class Principal:
    user_id: str
    role: str
    org_id: str | None
    org_view: bool
    session_hash: str
    must_change_password: bool
    email: str = ""
    source_ip: str | None = None

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def is_admin(self) -> bool:
        return self.role == ADMIN


@dataclass(frozen=True)
class Anonymous:
    """A caller without a session (sign-in, reset, registration)."""

    source_ip: str | None = None
