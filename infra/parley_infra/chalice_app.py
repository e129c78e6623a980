"""The Chalice app through `chalice.cdk.Chalice`, and the patches `chalice package` needs.

`chalice package` (SAM) cannot express: a REQUEST authorizer, gateway responses, explicit
function names, partial batch responses, stream retry limits and failure destinations, or our
own roles' ordering. Each is patched here through the escape hatches (`get_resource`,
`add_property_override`), driven by what the app declares (manifest.py), never by a list of
names kept here.
"""

from __future__ import annotations

import contextlib
import copy
import fcntl
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from aws_cdk import CfnResource
from chalice import api as chalice_api
from chalice.cdk import Chalice
from constructs import Construct

from parley_infra.manifest import PROJECT_DIR, AppManifest, FunctionSpec


@contextlib.contextmanager
def _working_directory(path: Path) -> Iterator[None]:
    previous = os.getcwd()
    path.mkdir(parents=True, exist_ok=True)
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(previous)


@contextlib.contextmanager
def _package_lock() -> Iterator[None]:
    """Two synths in one work tree share .chalice/deployments; chalice writes its cached zips in
    place, so one must not read a zip the other is still writing."""
    lock_dir = PROJECT_DIR / ".chalice" / "deployments"
    lock_dir.mkdir(parents=True, exist_ok=True)
    with open(lock_dir / ".infra-package.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


CACHE_KEEP = 3  # newest packages of each kind kept in .chalice/deployments


def _prune_package_cache() -> None:
    """Every change to the app's code leaves a new app package behind, and every change to
    requirements.txt a 20 MB layer: keep the newest few of each."""
    cache = PROJECT_DIR / ".chalice" / "deployments"
    for prefix in ("appcode-", "managed-layer-"):
        packages = sorted(cache.glob(f"{prefix}*.zip"), key=lambda p: p.stat().st_mtime)
        for old in packages[:-CACHE_KEEP]:
            old.unlink(missing_ok=True)


class ParleyChalice(Chalice):
    """chalice.cdk.Chalice with three changes: the Chalice stage is ours (the construct would take
    the scope's path), its scratch directory lives in the CDK output directory (the construct
    uses the working directory), and packaging holds a lock on the shared package cache."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        chalice_stage: str,
        stage_config: dict[str, Any],
        scratch_dir: Path,
    ) -> None:
        self._chalice_stage = chalice_stage
        with _working_directory(scratch_dir):
            super().__init__(
                scope, construct_id, source_dir=str(PROJECT_DIR), stage_config=stage_config
            )
        with open(os.path.join(self._sam_package_dir, "sam.json")) as handle:
            self.sam: dict[str, Any] = json.load(handle)

    def _package_app(self) -> None:
        with _package_lock():
            chalice_api.package_app(
                project_dir=self.source_dir,
                output_dir=self._sam_package_dir,
                stage=self._chalice_stage,
                chalice_config=self.stage_config,
            )
            _prune_package_cache()

    def sam_resource(self, logical_id: str) -> dict[str, Any]:
        return self.sam["Resources"][logical_id]  # type: ignore[no-any-return]

    def function(self, spec: FunctionSpec) -> CfnResource:
        return self.get_resource(spec.logical_id)  # type: ignore[no-any-return]

    def event_name(self, spec: FunctionSpec) -> str:
        events = self.sam_resource(spec.logical_id)["Properties"].get("Events") or {}
        if len(events) != 1:
            raise ValueError(f"{spec.name}: expected one event source, found {sorted(events)}")
        return str(next(iter(events)))


def function_arn_sub(function_name: str) -> str:
    return "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:" + function_name


# Refusals API Gateway makes before the app runs. Messages are fixed strings, never
# $context.error.message: for a request with an Authorization header on a path or method the API
# does not have, API Gateway's own message quotes that header (it tries to read it as an AWS
# signature) and the caller's session token would come back in the body and in any log of it.
NO_SUCH_ENDPOINT = (404, "not_found", "There is no such endpoint.")
ERROR_RESPONSES: dict[str, tuple[int | None, str, str]] = {
    # gateway response type: (status override, code, message) in the app's error shape
    "UNAUTHORIZED": (401, "unauthenticated", "Sign in first."),
    "ACCESS_DENIED": (403, "forbidden", "Your account may not do this."),
    # No route for this path and method; with an Authorization header it is reported as an
    # incomplete or invalid AWS signature instead (the API uses no IAM authorization).
    "MISSING_AUTHENTICATION_TOKEN": NO_SUCH_ENDPOINT,
    "INCOMPLETE_SIGNATURE": NO_SUCH_ENDPOINT,
    "INVALID_SIGNATURE": NO_SUCH_ENDPOINT,
    "EXPIRED_TOKEN": NO_SUCH_ENDPOINT,
    "RESOURCE_NOT_FOUND": NO_SUCH_ENDPOINT,
    "THROTTLED": (429, "too_many_requests", "Too many requests. Try again shortly."),
    "REQUEST_TOO_LARGE": (413, "payload_too_large", "The request is too large."),
    "INTEGRATION_TIMEOUT": (504, "timeout", "The request took too long. Try again."),
    "DEFAULT_4XX": (None, "bad_request", "The request was refused."),
    "DEFAULT_5XX": (None, "internal", "Something went wrong."),
}


def gateway_responses() -> dict[str, Any]:
    """Refusals API Gateway makes itself, in the same JSON shape as the app's own errors and
    with its security headers; nothing of the request is copied into them."""
    responses = {}
    for kind, (status, code, message) in ERROR_RESPONSES.items():
        body = json.dumps({"error": {"code": code, "message": message}})
        response: dict[str, Any] = {
            "responseParameters": {
                "gatewayresponse.header.Cache-Control": "'no-store'",
                "gatewayresponse.header.X-Content-Type-Options": "'nosniff'",
                "gatewayresponse.header.Content-Type": "'application/json'",
            },
            "responseTemplates": {"application/json": body},
        }
        if status is not None:
            response["statusCode"] = str(status)
        responses[kind] = response
    return responses


def patched_definition_body(
    chalice: ParleyChalice, manifest: AppManifest, function_names: dict[str, str]
) -> dict[str, Any]:
    """The swagger body with: builtin authorizers as REQUEST authorizers (the session authorizer
    reads the Cookie and Authorization headers), TTL 0 and no required identity source (a
    cookie-only or header-only request must still reach it); integrations that name functions
    by ARN instead of GetAtt (CloudFront -> API -> function -> PARLEY_PUBLIC_URL -> CloudFront is
    otherwise a dependency cycle); gateway responses in the app's error shape."""
    body = copy.deepcopy(chalice.sam_resource("RestAPI")["Properties"]["DefinitionBody"])
    replacements = {
        "${" + spec.logical_id + ".Arn}": function_arn_sub(function_names[spec.name])
        for spec in manifest.functions
    }

    def rewrite(node: Any) -> Any:
        if isinstance(node, dict):
            if set(node) == {"Fn::Sub"} and isinstance(node["Fn::Sub"], str):
                text = node["Fn::Sub"]
                for old, new in replacements.items():
                    text = text.replace(old, new)
                return {"Fn::Sub": text}
            return {k: rewrite(v) for k, v in node.items()}
        if isinstance(node, list):
            return [rewrite(v) for v in node]
        return node

    body = rewrite(body)
    for definition in body.get("securityDefinitions", {}).values():
        authorizer = definition.get("x-amazon-apigateway-authorizer")
        if not authorizer or authorizer.get("type") != "token":
            continue
        authorizer["type"] = "request"
        authorizer["authorizerResultTtlInSeconds"] = 0
        authorizer.pop("identitySource", None)
        definition["name"] = "Unused"  # REQUEST authorizers name no single header
    body["x-amazon-apigateway-gateway-responses"] = gateway_responses()
    return dict(body)
