"""Organizations (the companies customers belong to) and the name-uniqueness guard."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.data.base import REGION, Page, connection, query_page, table_name, translate
from chalicelib.errors import Conflict

ALL_ORGS = "org"
# A name claim is an item of the same table, keyed by the name's key, of another kind: it stays
# out of the list's partition of the name index, and get_org never returns it.
NAME_CLAIM = "org-name"
_CLAIM_PREFIX = "name#"


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
    claimed_by = UnicodeAttribute(null=True)  # on a name claim: the organization holding it
    # Its customers sign in with a second factor (services/second_factor.py); unset: no
    require_second_factor = BooleanAttribute(null=True)

    name_index = OrgNameIndex()


def name_key(name: str) -> str:
    """What makes two names the same: case, compatibility forms (fullwidth letters), invisible
    formatting characters (zero-width spaces, soft hyphens) and the spaces around and between
    words ignored."""
    folded = unicodedata.normalize("NFKC", name)
    visible = "".join(c for c in folded if unicodedata.category(c) != "Cf")
    return " ".join(visible.split()).casefold()


def _claim(org: OrgModel) -> OrgModel:
    return OrgModel(
        org_id=_CLAIM_PREFIX + org.name_key, name=org.name, kind=NAME_CLAIM,
        name_key=org.name_key, created_at=org.created_at, claimed_by=org.org_id,
    )


def _taken() -> Conflict:
    return Conflict("An organization with this name already exists.", code="org_name_taken")


def _named_before_claims(key: str, org_id: str | None) -> bool:
    """Organizations created before names were claimed have no claim: one key-condition query
    of the name index finds them."""
    return any(
        org.org_id != org_id
        for org in OrgModel.name_index.query(ALL_ORGS, OrgModel.name_key == key, limit=2)
    )


def create_org(org: OrgModel) -> OrgModel:
    """The organization and its name claim in one transaction: of two creations of the same
    name, one fails its condition."""
    org.name_key = name_key(org.name)
    if _named_before_claims(org.name_key, None):
        raise _taken()
    with translate(_taken()), TransactWrite(connection=connection()) as tx:
        tx.save(_claim(org), condition=OrgModel.org_id.does_not_exist())
        tx.save(org, condition=OrgModel.org_id.does_not_exist())
    return org


def rename_org(org: OrgModel, name: str) -> OrgModel:
    """A new name claimed and the old one released with the rename, in one transaction."""
    old_key, new_key = org.name_key, name_key(name)
    if new_key != old_key and _named_before_claims(new_key, org.org_id):
        raise _taken()
    org.name, org.name_key = name, new_key
    with translate(_taken()), TransactWrite(connection=connection()) as tx:
        if new_key != old_key:
            tx.save(_claim(org), condition=OrgModel.org_id.does_not_exist())
            if old_key:  # an organization made before names were claimed holds no claim
                tx.delete(OrgModel(org_id=_CLAIM_PREFIX + old_key),
                          condition=OrgModel.claimed_by.does_not_exist()
                          | (OrgModel.claimed_by == org.org_id))
        # Conditioned on the name it had when read: of two renames at once, one fails, so no
        # claim is left behind for a name the organization no longer bears.
        tx.update(org, actions=[OrgModel.name.set(name), OrgModel.name_key.set(new_key)],
                  condition=(OrgModel.kind == ALL_ORGS) & (
                      OrgModel.name_key == old_key if old_key
                      else OrgModel.name_key.does_not_exist()))
    return org


def set_require_second_factor(org: OrgModel, required: bool) -> None:
    org.update(actions=[OrgModel.require_second_factor.set(required)],
               condition=OrgModel.kind == ALL_ORGS)


def get_org(org_id: str) -> OrgModel | None:
    try:
        org = OrgModel.get(org_id)
    except DoesNotExist:
        return None
    return org if org.kind == ALL_ORGS else None


def get_orgs(org_ids: Iterable[str]) -> dict[str, OrgModel]:
    """Organizations by id (BatchGetItem, 100 a call); missing ones and name claims are absent."""
    ids = sorted(set(org_ids))
    return {o.org_id: o for o in OrgModel.batch_get(ids) if o.kind == ALL_ORGS} if ids else {}


def list_orgs(limit: int, cursor: str | None) -> Page[OrgModel]:
    return query_page(
        OrgModel.name_index, OrgModel, ALL_ORGS, scope="orgs",
        limit=limit, cursor=cursor, newest_first=False,
    )
