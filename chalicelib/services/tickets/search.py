"""What the search box of a ticket list asks for: a ticket number, or words that must all appear.

The console's lists and the portal's own and organization lists find words in the search index
(services/search.py). The followed and unread lists, whose pages are bounded by the caller's
own partitions, still narrow a page with these words (data/tickets.py:TicketFilter)."""

from __future__ import annotations

import re

SEARCH_WORDS = 8  # a bounded number of words keeps the filter expression small


def ticket_number(q: str) -> int | None:
    match = re.fullmatch(r"\s*#?(\d{1,9})\s*", q or "")
    return int(match.group(1)) if match else None


def search_words(q: str) -> list[str]:
    """Every word must appear, in any order ("fire printer" finds "Printer on fire")."""
    return list(dict.fromkeys((q or "").casefold().split()))[:SEARCH_WORDS]
