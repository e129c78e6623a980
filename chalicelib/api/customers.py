"""The console's customer routes: the requester's context beside a conversation, and the
customer search of "New on behalf" (services/customers.py).

Services are imported in the view: a cold start loads only what the route it answers needs."""

from __future__ import annotations

from chalice.app import Blueprint
from pydantic import Field

from chalicelib.api.requests import Strict
from chalicelib.api.routing import STAFF, route
from chalicelib.services.principal import Principal
from chalicelib.shapes.customers import CustomerContext, CustomerMatchList

blueprint = Blueprint(__name__)
TAG = "console"


class CustomerQuery(Strict):
    q: str = Field("", max_length=200, description=(
        "Words all found in a customer's name, address or organization's name, in any order, "
        "accents ignored; each may be a word's beginning (3 letters or more)."
    ))
    limit: int = Field(20, ge=1, le=50)


@route(blueprint, "/api/console/customers", access=STAFF, query=CustomerQuery, tag=TAG,
       summary="Find any customer (with or without tickets) by name, address or organization, "
               "for a ticket opened on their behalf. Staff are never listed.")
def find_customers(caller: Principal, query: CustomerQuery) -> CustomerMatchList:
    from chalicelib.services import customers

    return {"items": customers.find(query.q, query.limit)}


@route(blueprint, "/api/console/tickets/{ticket_id}/customer", access=STAFF, tag=TAG,
       summary="The requester's context: their other tickets (open first, then the latest "
               "closed), organization, language, whether mail to them is suppressed, and "
               "their ratings.")
def customer_context(caller: Principal, ticket_id: str) -> CustomerContext:
    from chalicelib.services import customers

    return customers.context(caller, ticket_id)
