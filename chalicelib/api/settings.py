"""Admin: portal settings."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint
from pydantic import BaseModel, ConfigDict

from chalicelib.api.routing import ADMINS, route
from chalicelib.services import settings
from chalicelib.services.principal import Principal

blueprint = Blueprint(__name__)


class SettingsPatch(BaseModel):
    """Any subset of the portal settings; validated against PortalSettings by the service."""

    model_config = ConfigDict(extra="allow")


@route(blueprint, "/api/admin/settings", access=ADMINS, tag="admin", summary="Portal settings.")
def get_settings(caller: Principal) -> dict[str, Any]:
    return {"settings": settings.get_portal_settings().model_dump()}


@route(
    blueprint,
    "/api/admin/settings",
    method="PATCH",
    access=ADMINS,
    body=SettingsPatch,
    tag="admin",
    summary="Change portal settings (audited).",
)
def update_settings(caller: Principal, body: SettingsPatch) -> dict[str, Any]:
    updated = settings.update_portal_settings(caller, body.model_dump())
    return {"settings": updated.model_dump()}
