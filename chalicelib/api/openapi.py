"""The OpenAPI 3 document, generated from the route registry, so it cannot drift from the code."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from chalicelib.api.routing import PUBLIC, ROUTES

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "details": {},
            },
        }
    },
}


def _shape_schema(shape: Any, schemas: dict[str, Any]) -> dict[str, Any]:
    """The JSON schema of a response shape; the TypedDicts it names go into the components."""
    from pydantic import TypeAdapter

    schema = TypeAdapter(shape).json_schema(ref_template="#/components/schemas/{model}")
    for name, definition in schema.pop("$defs", {}).items():
        _add_component(schemas, name, definition)
    return schema


def _add_component(schemas: dict[str, Any], name: str, definition: Any) -> None:
    """Each name once: two different schemas (an answer's, a request body's) under one name
    would make one of them lie, so that is refused."""
    if schemas.setdefault(name, definition) != definition:
        raise RuntimeError(f"two schemas of the API are both named {name}")


@lru_cache(maxsize=1)
def build_document() -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    schemas: dict[str, Any] = {"Error": ERROR_SCHEMA}
    for spec in ROUTES:
        success: dict[str, Any] = {}
        shape = spec.response_shape()
        if shape is not None:
            success = {"schema": _shape_schema(shape, schemas)}
        operation: dict[str, Any] = {
            "summary": spec.summary,
            "tags": [spec.tag],
            "operationId": f"{spec.method.lower()}_{re.sub(r'[^a-z0-9]+', '_', spec.path.lower())}",
            "responses": {
                str(spec.status): {
                    "description": "Success", "content": {"application/json": success},
                },
                "4XX": {
                    "description": "The request was refused; the body says why.",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                    },
                },
            },
        }
        params = [
            {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
            for name in re.findall(r"{(\w+)}", spec.path)
        ]
        if spec.query is not None:
            for name, prop in spec.query.model_json_schema().get("properties", {}).items():
                params.append({"name": name, "in": "query", "required": False, "schema": prop})
        if params:
            operation["parameters"] = params
        if spec.body is not None:
            name = spec.body.__name__
            schema = spec.body.model_json_schema(ref_template="#/components/schemas/{model}")
            for nested, definition in schema.pop("$defs", {}).items():
                _add_component(schemas, nested, definition)
            _add_component(schemas, name, schema)
            operation["requestBody"] = {
                "required": True,
                "content": {
                    "application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}
                },
            }
        if spec.access is PUBLIC:
            operation["security"] = []
        else:
            operation["x-parley-roles"] = sorted(spec.access)
        paths.setdefault(spec.path, {})[spec.method.lower()] = operation
    return {
        "openapi": "3.0.3",
        "info": {"title": "Parley API", "version": "1"},
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "cookie": {"type": "apiKey", "in": "cookie", "name": "parley_session"},
            },
        },
        "security": [{"bearer": []}, {"cookie": []}],
    }
