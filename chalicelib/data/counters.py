"""Atomic counters (ticket numbers)."""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from chalicelib.data.base import REGION, table_name


class CounterModel(Model):
    class Meta:
        table_name = table_name("counters")
        region = REGION
        billing_mode = "PAY_PER_REQUEST"

    name = UnicodeAttribute(hash_key=True)
    value = NumberAttribute(default=0)


def next_value(name: str, start_after: int) -> int:
    """One atomic ADD: concurrent callers never get the same number. The first caller's value
    is start_after + 1 (if_not_exists seeds the counter)."""
    counter = CounterModel(name=name)
    counter.update(actions=[CounterModel.value.set((CounterModel.value | start_after) + 1)])
    return int(counter.value)
