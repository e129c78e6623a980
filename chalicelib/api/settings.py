"""Admin: portal settings.

Services are imported in the view: a cold start loads only what the route it answers needs."""

from __future__ import annotations

from chalice.app import Blueprint
from pydantic import BaseModel, ConfigDict

from chalicelib.api.routing import ADMINS, route
from chalicelib.services.principal import Principal
from chalicelib.shapes.settings import SettingsAnswer

blueprint = Blueprint(__name__)


class SettingsPatch(BaseModel):
    """Any subset of the portal settings; validated against PortalSettings by the service."""

    # Not api/requests.py's Strict: the service knows the settings, and says which is wrong.
    model_config = ConfigDict(extra="allow", defer_build=True)


@route(blueprint, "/api/admin/settings", access=ADMINS, tag="admin", summary="Portal settings.")
def get_settings(caller: Principal) -> SettingsAnswer:
    from chalicelib.services import settings

    return {"settings": settings.public_settings(settings.get_portal_settings())}


@route(
    blueprint,
    "/api/admin/settings",
    method="PATCH",
    access=ADMINS,
    body=SettingsPatch,
    tag="admin",
    summary="Change portal settings (audited).",
)
def update_settings(caller: Principal, body: SettingsPatch) -> SettingsAnswer:
    from chalicelib.services import settings

    updated = settings.update_portal_settings(caller, body.model_dump())
    return {"settings": settings.public_settings(updated)}
