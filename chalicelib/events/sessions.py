"""The session-timeout cleanup, every five minutes."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, CloudWatchEvent, Rate

from chalicelib.observability import in_invocation

blueprint = Blueprint(__name__)


@blueprint.schedule(Rate(5, unit=Rate.MINUTES), name="purge_sessions")
@in_invocation
def purge_sessions(event: CloudWatchEvent) -> dict[str, Any]:
    from chalicelib.services.sessions import purge_expired_sessions

    return {"purged": purge_expired_sessions()}
