"""What the app declares, read in a subprocess (see introspect.py) and typed here."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from parley_infra.introspect import stream_env_var

INFRA_DIR = Path(__file__).resolve().parent.parent
PROJECT_DIR = INFRA_DIR.parent


@dataclass(frozen=True)
class Key:
    name: str
    type: str  # S | N | B


@dataclass(frozen=True)
class Index:
    name: str
    hash: Key
    range: Key | None
    projection: str  # ALL | KEYS_ONLY | INCLUDE
    non_key_attributes: tuple[str, ...]


@dataclass(frozen=True)
class TableSpec:
    model: str
    name: str
    short: str
    hash: Key
    range: Key | None
    gsis: tuple[Index, ...]
    lsis: tuple[Index, ...]
    ttl: str | None
    stream: str | None  # a DynamoDB StreamViewType, when a handler reads the table's changes

    @property
    def stream_env_var(self) -> str:
        return stream_env_var(self.short)


@dataclass(frozen=True)
class FunctionSpec:
    name: str  # the Chalice handler name: the key under lambda_functions in the stage config
    logical_id: str  # its resource in the template `chalice package` writes
    kind: (
        str  # api | authorizer | schedule | eventbridge | sqs | sns | dynamodb | websocket | lambda
    )
    handler: str
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AppManifest:
    tables: tuple[TableSpec, ...]
    functions: tuple[FunctionSpec, ...]

    def table(self, short: str) -> TableSpec:
        for table in self.tables:
            if table.short == short:
                return table
        raise KeyError(short)

    def of_kind(self, *kinds: str) -> list[FunctionSpec]:
        return [f for f in self.functions if f.kind in kinds]

    @property
    def has_websocket(self) -> bool:
        return bool(self.of_kind("websocket"))


def _key(raw: dict[str, str] | None) -> Key | None:
    return Key(raw["name"], raw["type"]) if raw else None


def _index(raw: dict[str, Any]) -> Index:
    hash_key = _key(raw["hash"])
    assert hash_key is not None
    return Index(
        name=raw["name"],
        hash=hash_key,
        range=_key(raw["range"]),
        projection=raw["projection"],
        non_key_attributes=tuple(raw["non_key_attributes"]),
    )


def parse_manifest(raw: dict[str, Any]) -> AppManifest:
    tables = []
    for t in raw["tables"]:
        hash_key = _key(t["hash"])
        assert hash_key is not None
        tables.append(
            TableSpec(
                model=t["model"],
                name=t["name"],
                short=t["short"],
                hash=hash_key,
                range=_key(t["range"]),
                gsis=tuple(_index(i) for i in t["gsis"]),
                lsis=tuple(_index(i) for i in t["lsis"]),
                ttl=t["ttl"],
                stream=t["stream"],
            )
        )
    functions = []
    for f in raw["functions"]:
        details = {k: v for k, v in f.items() if k not in {"name", "logical_id", "kind", "handler"}}
        functions.append(FunctionSpec(f["name"], f["logical_id"], f["kind"], f["handler"], details))
    return AppManifest(tables=tuple(tables), functions=tuple(functions))


def load_manifest(app_environment: dict[str, str]) -> AppManifest:
    """Import the app in a child process with the stage's plain-string environment (tokens are
    replaced by stand-ins) and read its tables and handlers."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PARLEY_", "AWS_ENDPOINT"))}
    env.update(app_environment)
    env.setdefault("AWS_DEFAULT_REGION", env.get("AWS_REGION", "eu-west-1"))
    env["PYTHONPATH"] = os.pathsep.join([str(INFRA_DIR), str(PROJECT_DIR)])
    result = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "parley_infra.introspect", str(PROJECT_DIR)],
        env=env,
        cwd=str(PROJECT_DIR),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"Reading the app's tables and handlers failed:\n{result.stderr}")
    return parse_manifest(json.loads(result.stdout))
