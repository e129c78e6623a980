"""The portal settings item: one document, edited with optimistic locking."""

from __future__ import annotations

import json
from typing import Any

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute, VersionAttribute
from pynamodb.exceptions import DoesNotExist
from pynamodb.models import Model

from chalicelib.data.base import REGION, table_name, translate
from chalicelib.errors import Conflict, InvalidInput

PORTAL = "portal"
# DynamoDB refuses an item over 400 KB (moto does not check): the settings, stored as one JSON
# string as PynamoDB writes it, keep a margin for the item's other attributes.
MAX_DATA_BYTES = 350 * 1024


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
    size = len(json.dumps(data).encode())  # what JSONAttribute stores
    if size > MAX_DATA_BYTES:
        raise InvalidInput(
            f"The settings would take {size // 1024} KB, more than the {MAX_DATA_BYTES // 1024} "
            "KB they may: shorten the mail templates, the troubleshooters or the logo.",
            code="settings_too_large",
        )
    item.data = data
    item.updated_at = at
    with translate(Conflict("Settings changed meanwhile; reload and try again.")):
        item.save()
