"""The customer directory: the words of customers' names and addresses, and of organizations'
names, each pointing at who bears it (services/customers.py decides the words).

`term` is `person#<word>` or `org#<word>`; `holder` is `<organization id>#<user id>` for a
person and `<organization id>` for an organization. A person's organization leads the holder
so that one key-condition Query finds the people of one organization who bear a word
(`begins_with`), the way "Alice, of Globex" is looked up without reading Globex's customers.
An item is written when its account or organization is, and deleted when the word goes: the
directory says what the records say now (the reader checks the records anyway).
"""

from __future__ import annotations

from collections.abc import Iterable

from pynamodb.attributes import UnicodeAttribute
from pynamodb.models import Model

from chalicelib.data.base import REGION, table_name


class CustomerTermModel(Model):
    class Meta:
        table_name = table_name("customer-terms")
        region = REGION
        billing_mode = "PAY_PER_REQUEST"

    term = UnicodeAttribute(hash_key=True)  # person#<word> | org#<word>
    holder = UnicodeAttribute(range_key=True)  # <org id>#<user id> | <org id>


def change_terms(
    put: Iterable[tuple[str, str]], delete: Iterable[tuple[str, str]] = ()
) -> int:
    """(term, holder) items written and removed, in BatchWriteItem calls of 25; returns how
    many. Writing one again changes nothing."""
    changed = 0
    with CustomerTermModel.batch_write() as batch:
        for term, holder in delete:
            batch.delete(CustomerTermModel(term=term, holder=holder))
            changed += 1
        for term, holder in put:
            batch.save(CustomerTermModel(term=term, holder=holder))
            changed += 1
    return changed


def holders(term: str, *, limit: int, prefix: str = "") -> list[str]:
    """Who bears a term, in holder order, at most `limit`: one Query (with `prefix`, only the
    holders that begin with it: the people of one organization)."""
    condition = CustomerTermModel.holder.startswith(prefix) if prefix else None
    pages = CustomerTermModel.query(
        term, range_key_condition=condition, limit=limit, page_size=limit
    ).page_iter
    page = next(pages)
    return [str(raw["holder"]["S"]) for raw in page.get("Items", [])]
