"""Users (customers, agents, admins) and the email-uniqueness guard."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from pynamodb.attributes import (
    BooleanAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    VersionAttribute,
)
from pynamodb.exceptions import DoesNotExist
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.data.base import REGION, Page, connection, query_page, table_name, translate
from chalicelib.errors import Conflict

STAFF = "staff"  # partition of the sparse staff index: agents and admins only


class OrgIndex(GlobalSecondaryIndex["UserModel"]):
    class Meta:
        index_name = "org-index"
        projection = AllProjection()

    org_id = UnicodeAttribute(hash_key=True)
    email = UnicodeAttribute(range_key=True)


class StaffIndex(GlobalSecondaryIndex["UserModel"]):
    class Meta:
        index_name = "staff-index"
        projection = AllProjection()

    staff_key = UnicodeAttribute(hash_key=True)
    name_key = UnicodeAttribute(range_key=True)


class UserModel(Model):
    class Meta:
        table_name = table_name("users")
        region = REGION
        billing_mode = "PAY_PER_REQUEST"

    user_id = UnicodeAttribute(hash_key=True)
    email = UnicodeAttribute()
    name = UnicodeAttribute()
    role = UnicodeAttribute()  # customer | agent | admin
    status = UnicodeAttribute(default="active")  # active | disabled | unverified
    org_id = UnicodeAttribute(null=True)
    org_view = BooleanAttribute(default=False)
    team_ids = UnicodeSetAttribute(null=True)
    language = UnicodeAttribute(default="en")
    # How the user hears of their tickets by mail: every message, a daily digest, or only in
    # the portal (services/profile.py). Accounts made before it had one hear of every message.
    notifications = UnicodeAttribute(default="every")
    password_hash = UnicodeAttribute(null=True)
    must_change_password = BooleanAttribute(default=False)
    password_changed_at = NumberAttribute(null=True)
    # What the account answers a second factor with: {"totp", "passkey"} (services/second_factor.py)
    second_factors = UnicodeSetAttribute(null=True)
    created_at = NumberAttribute()
    staff_key = UnicodeAttribute(null=True)
    name_key = UnicodeAttribute(null=True)
    version = VersionAttribute()

    org_index = OrgIndex()
    staff_index = StaffIndex()


class UserEmailModel(Model):
    """One item per address: a conditional put here is what makes email unique."""

    class Meta:
        table_name = table_name("user-emails")
        region = REGION
        billing_mode = "PAY_PER_REQUEST"

    email = UnicodeAttribute(hash_key=True)
    user_id = UnicodeAttribute()



def create_user(user: UserModel) -> UserModel:
    if user.role != "customer":
        user.staff_key = STAFF
        user.name_key = user.name.casefold()
    claim = UserEmailModel(email=user.email, user_id=user.user_id)
    with (
        translate(Conflict("A user with this email already exists.", code="email_taken")),
        TransactWrite(connection=connection()) as tx,
    ):
        tx.save(claim, condition=UserEmailModel.email.does_not_exist())
        tx.save(user, condition=UserModel.user_id.does_not_exist())
    return user


def get_user(user_id: str, *, consistent: bool = False) -> UserModel | None:
    try:
        return UserModel.get(user_id, consistent_read=consistent)
    except DoesNotExist:
        return None


def find_user_by_email(email: str) -> UserModel | None:
    try:
        claim = UserEmailModel.get(email)
    except DoesNotExist:
        return None
    return get_user(claim.user_id)


def save_user(user: UserModel) -> None:
    """Optimistic locking: a concurrent edit makes this raise Conflict instead of losing one."""
    if user.role != "customer":
        user.staff_key, user.name_key = STAFF, user.name.casefold()
    else:
        user.staff_key = user.name_key = None
    with translate(Conflict("The user changed meanwhile; reload and try again.")):
        user.save()


def list_org_users(org_id: str, limit: int, cursor: str | None) -> Page[UserModel]:
    return query_page(
        UserModel.org_index, UserModel, org_id, scope=f"org-users:{org_id}",
        limit=limit, cursor=cursor, newest_first=False,
    )


def list_staff(prefix: str, limit: int, cursor: str | None) -> Page[UserModel]:
    """Agents and admins by name, for the assignee picker and the admin list."""
    return query_page(
        UserModel.staff_index,
        UserModel,
        STAFF,
        scope=f"staff:{prefix}",
        limit=limit,
        cursor=cursor,
        newest_first=False,
        range_key_condition=UserModel.name_key.startswith(prefix.casefold()) if prefix else None,
    )


# The staff are the company's own team, not its customers: their partition stays small whatever
# the number of tickets or customers, so the picker reads it through a filter, a page at most.
STAFF_PAGE = 500


def find_staff(words: Sequence[str], limit: int) -> list[UserModel]:
    """Agents and admins whose name or address holds every one of `words` (casefolded), in
    any part ("agent2", "martin", "acme-support"): one Query of the staff partition, by name."""
    condition = None
    for word in words:
        either = UserModel.name_key.contains(word) | UserModel.email.contains(word)
        condition = either if condition is None else condition & either
    found = UserModel.staff_index.query(
        STAFF, filter_condition=condition, limit=limit, page_size=STAFF_PAGE
    )
    return list(found)


def get_users(user_ids: Iterable[str]) -> dict[str, UserModel]:
    ids = sorted(set(user_ids))
    if not ids:
        return {}
    return {u.user_id: u for u in UserModel.batch_get(ids)}
