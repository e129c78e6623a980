"""Hourly housekeeping: trash purge, auto-close of resolved tickets, uploads never confirmed."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, CloudWatchEvent, Rate

from chalicelib.observability import in_invocation

blueprint = Blueprint(__name__)


@blueprint.schedule(Rate(1, unit=Rate.HOURS), name="purge_trash")
@in_invocation
def purge_trash(event: CloudWatchEvent) -> dict[str, Any]:
    from chalicelib.services.mailbox import purge_trash

    return {"purged": purge_trash()}


@blueprint.schedule(Rate(1, unit=Rate.HOURS), name="auto_close")
@in_invocation
def auto_close(event: CloudWatchEvent) -> dict[str, Any]:
    from chalicelib.services.tickets.auto_close import auto_close_resolved

    return {"closed": auto_close_resolved()}


@blueprint.schedule(Rate(1, unit=Rate.HOURS), name="purge_uploads")
@in_invocation
def purge_uploads(event: CloudWatchEvent) -> dict[str, Any]:
    from chalicelib.services.attachments.uploads import purge_stale_uploads

    return {"removed": purge_stale_uploads()}
