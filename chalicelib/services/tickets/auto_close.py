"""Scheduled: tickets resolved more than `auto_close_days` ago, with no activity since, close."""

from __future__ import annotations

from chalicelib import clock
from chalicelib.data import tickets as store
from chalicelib.data.messages import INTERNAL
from chalicelib.data.tickets import TicketFilter, TicketModel
from chalicelib.services.settings import PortalSettings, get_portal_settings
from chalicelib.services.tickets import access
from chalicelib.services.tickets.commit import commit
from chalicelib.services.tickets.drafts import SYSTEM_EVENT, Draft, set_status


def auto_close_resolved() -> int:
    """Close tickets resolved more than `auto_close_days` ago with no activity since."""
    settings = get_portal_settings()
    cutoff = clock.now() - settings.auto_close_days * 86400
    closed = 0
    cursor = None
    while True:
        page = store.query_tickets(
            "state", store.CLOSED_CLASS, "activity", limit=100, cursor=cursor, newest_first=False,
            narrow=TicketFilter(status="resolved", active_before=cutoff),
        )
        for ticket in page.items:
            closed += _auto_close(ticket.ticket_id, cutoff, settings)
        if not page.cursor or (page.items and page.items[-1].last_activity_at >= cutoff):
            return closed
        cursor = page.cursor


def _auto_close(ticket_id: str, cutoff: float, settings: PortalSettings) -> int:
    def rule(ticket: TicketModel) -> Draft | None:
        if ticket.status != "resolved" or ticket.last_activity_at >= cutoff:
            return None  # someone answered meanwhile
        set_status(ticket, "closed")
        return Draft(SYSTEM_EVENT, INTERNAL, "Closed automatically.", None, "",
                     details={"event": "auto_closed"})

    return 1 if commit(lambda: access.existing_ticket(ticket_id), rule, settings,
                       touch=False) else 0
