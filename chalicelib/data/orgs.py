"""Organizations (the companies customers belong to)."""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.data.base import REGION, Page, query_page, table_name

ALL_ORGS = "org"


class OrgNameIndex(GlobalSecondaryIndex["OrgModel"]):
    class Meta:
        index_name = "name-index"
        projection = AllProjection()

    kind = UnicodeAttribute(hash_key=True)
    name_key = UnicodeAttribute(range_key=True)


class OrgModel(Model):
    class Meta:
        table_name = table_name("orgs")
        region = REGION
        billing_mode = "PAY_PER_REQUEST"

    org_id = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute()
    kind = UnicodeAttribute(default=ALL_ORGS)
    name_key = UnicodeAttribute()
    created_at = NumberAttribute()

    name_index = OrgNameIndex()


def create_org(org: OrgModel) -> OrgModel:
    org.name_key = org.name.casefold()
    org.save(condition=OrgModel.org_id.does_not_exist())
    return org


def get_org(org_id: str) -> OrgModel | None:
    try:
        return OrgModel.get(org_id)
    except DoesNotExist:
        return None


def list_orgs(limit: int, cursor: str | None) -> Page[OrgModel]:
    return query_page(
        OrgModel.name_index, OrgModel, ALL_ORGS, scope="orgs",
        limit=limit, cursor=cursor, newest_first=False,
    )
