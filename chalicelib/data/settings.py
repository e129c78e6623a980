"""The portal settings item: one document, edited with optimistic locking."""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute, VersionAttribute
from pynamodb.exceptions import DoesNotExist
from pynamodb.models import Model

from chalicelib.data.base import REGION, table_name, translate
from chalicelib.errors import Conflict

PORTAL = "portal"


class SettingsModel(Model):
    class Meta:
        table_name = table_name("settings")
        region = REGION
        billing_mode = "PAY_PER_REQUEST"

    key = UnicodeAttribute(hash_key=True)
    data = JSONAttribute(default=dict)
    updated_at = NumberAttribute(default=0)
    version = VersionAttribute()


def get_settings_item() -> SettingsModel:
    try:
        return SettingsModel.get(PORTAL)
    except DoesNotExist:
        return SettingsModel(key=PORTAL, data={})


def save_settings_item(item: SettingsModel, data: dict[str, Any], at: float) -> None:
    item.data = data
    item.updated_at = at
    with translate(Conflict("Settings changed meanwhile; reload and try again.")):
        item.save()
