"""What the API answers, one module per aggregate (the same names as in api/, services/, data/).

Each shape is a `TypedDict` (from typing_extensions, which pydantic reads on Python 3.11): the
services annotate what they return with it, the routes declare it as their return type, and the
OpenAPI document and the tests read it from there (`RouteSpec.response_shape`). A shape module
imports nothing but typing, so declaring a route's answer costs nothing at a cold start.

A shape lists every key the answer has: the functional tests check each answer they receive
against its route's shape, and an extra or missing key fails them.
"""
