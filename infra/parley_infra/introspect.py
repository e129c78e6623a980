"""Read what the app declares: its tables (chalicelib.data.registry.MODELS) and its Lambda
handlers (routes, authorizers, schedules, queues, topics, streams, websockets).

Run as a subprocess by `manifest.load_manifest()`, never imported by the CDK process: importing
the app there would cache its settings before `chalice package` imports it again with the stage's
environment (the same process, `importlib.import_module("app")`), and a cached local stage would
register the /dev routes in a deployed API.

Usage: python -m parley_infra.introspect <project_dir>   (environment: see manifest.py)
Prints one JSON document on stdout.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any


def _models(prefix: str) -> list[dict[str, Any]]:
    from chalicelib.data.registry import MODELS

    tables = []
    for model in MODELS:
        meta = model.Meta
        name = str(meta.table_name)
        if not name.startswith(prefix):
            raise SystemExit(
                f"{model.__name__}.Meta.table_name {name!r} does not start with the table prefix "
                f"{prefix!r}: build it with chalicelib.data.base.table_name(short)."
            )
        schema: dict[str, Any] = dict(model._get_schema())
        types = {a["AttributeName"]: a["AttributeType"] for a in schema["attribute_definitions"]}

        def keys(key_schema: list[dict[str, str]], types: dict[str, str] = types) -> dict[str, Any]:
            found: dict[str, Any] = {"hash": None, "range": None}
            for key in key_schema:
                name = key["AttributeName"]
                found["hash" if key["KeyType"] == "HASH" else "range"] = {
                    "name": name,
                    "type": types[name],
                }
            return found

        def indexes(raw: list[dict[str, Any]], keys: Any = keys) -> list[dict[str, Any]]:
            result = []
            for index in raw:
                projection = index["projection"]
                result.append(
                    {
                        "name": index["index_name"],
                        **keys(index["key_schema"]),
                        "projection": projection["ProjectionType"],
                        "non_key_attributes": sorted(projection.get("NonKeyAttributes", [])),
                    }
                )
            return sorted(result, key=lambda i: i["name"])

        ttl = model._ttl_attribute()  # type: ignore[no-untyped-call]
        tables.append(
            {
                "model": f"{model.__module__}.{model.__name__}",
                "name": name,
                "short": name[len(prefix) :],
                **keys(schema["key_schema"]),
                "gsis": indexes(schema.get("global_secondary_indexes", [])),
                "lsis": indexes(schema.get("local_secondary_indexes", [])),
                "ttl": ttl.attr_name if ttl is not None else None,
                "stream": getattr(meta, "stream_view_type", None),
            }
        )
    return tables


def _functions(app: Any) -> list[dict[str, Any]]:
    from chalice import app as chalice_app
    from chalice.utils import to_cfn_resource_name

    def entry(name: str, kind: str, handler: str, **extra: Any) -> dict[str, Any]:
        logical = "APIHandler" if name == "api_handler" else to_cfn_resource_name(name)
        return {"name": name, "logical_id": logical, "kind": kind, "handler": handler, **extra}

    functions = []
    if app.routes:
        functions.append(entry("api_handler", "api", "app.app"))
    for auth in app.builtin_auth_handlers:
        functions.append(entry(auth.name, "authorizer", auth.handler_string))
    for source in app.event_sources:
        if isinstance(source, chalice_app.ScheduledEventConfig):
            expression = source.schedule_expression
            if not isinstance(expression, str):
                expression = expression.to_string()
            functions.append(
                entry(source.name, "schedule", source.handler_string, schedule=expression)
            )
        elif isinstance(source, chalice_app.CloudWatchEventConfig):
            functions.append(
                entry(
                    source.name, "eventbridge", source.handler_string, pattern=source.event_pattern
                )
            )
        elif isinstance(source, chalice_app.SQSEventConfig):
            functions.append(
                entry(
                    source.name,
                    "sqs",
                    source.handler_string,
                    queue=source.queue,
                    queue_arn=source.queue_arn,
                    batch_size=source.batch_size,
                )
            )
        elif isinstance(source, chalice_app.SNSEventConfig):
            functions.append(entry(source.name, "sns", source.handler_string, topic=source.topic))
        elif isinstance(source, chalice_app.DynamoDBEventConfig):
            functions.append(
                entry(source.name, "dynamodb", source.handler_string, stream_arn=source.stream_arn)
            )
        elif isinstance(source, chalice_app.S3EventConfig):
            raise SystemExit(
                f"{source.handler_string}: @app.on_s3_event cannot be packaged for CloudFormation; "
                "route S3 notifications through SQS (see DESIGN.md, Events)."
            )
        else:
            functions.append(entry(source.name, type(source).__name__, source.handler_string))
    for function in app.pure_lambda_functions:
        functions.append(entry(function.name, "lambda", function.handler_string))
    websocket_names = {
        "$connect": "websocket_connect",
        "$disconnect": "websocket_disconnect",
    }
    for route_key, handler in sorted(app.websocket_handlers.items()):
        name = websocket_names.get(route_key, "websocket_message")
        if any(f["name"] == name for f in functions):
            continue
        functions.append(entry(name, "websocket", handler.handler_string, route_key=route_key))
    return functions


def main(project_dir: str) -> None:
    sys.path.insert(0, project_dir)
    prefix = os.environ["PARLEY_TABLE_PREFIX"]
    tables = _models(prefix)
    # Stream handlers name their stream by an ARN read from the environment at import time; give
    # each streamed table a recognisable stand-in so the handler can be matched to its table.
    # The settings read while importing the models are cached: drop them so the app sees these.
    for table in tables:
        if table["stream"]:
            os.environ.setdefault(stream_env_var(table["short"]), placeholder_stream_arn(table))
    from chalicelib import config

    config.get_settings.cache_clear()
    import app as app_module

    manifest = {"tables": tables, "functions": _functions(app_module.app)}
    json.dump(manifest, sys.stdout, indent=1, sort_keys=True)


def stream_env_var(short: str) -> str:
    return "PARLEY_" + short.upper().replace("-", "_") + "_STREAM_ARN"


def placeholder_stream_arn(table: dict[str, Any]) -> str:
    region = os.environ.get("AWS_REGION", "eu-west-1")
    return f"arn:aws:dynamodb:{region}:000000000000:table/{table['name']}/stream/introspection"


if __name__ == "__main__":
    main(sys.argv[1])
