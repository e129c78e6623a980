"""Liveness and the API description."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint

from chalicelib.api.routing import PUBLIC, route
from chalicelib.config import get_settings
from chalicelib.services.principal import Anonymous
from chalicelib.shapes.health import Health

blueprint = Blueprint(__name__)


@route(
    blueprint, "/api/health", access=PUBLIC, tag="meta", summary="Liveness, with one table read."
)
def health(caller: Anonymous) -> Health:
    # Reading the settings item proves the function can reach its tables, not just that it runs.
    from chalicelib.services import settings

    settings.forget_cached_settings()
    settings.get_portal_settings()
    return {"status": "ok", "stage": get_settings().stage}


@route(blueprint, "/api/openapi.json", access=PUBLIC, tag="meta", summary="This API, as OpenAPI 3.")
def openapi(caller: Anonymous) -> dict[str, Any]:
    from chalicelib.api.openapi import build_document

    return build_document()
