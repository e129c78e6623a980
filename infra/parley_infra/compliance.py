"""Checks a static analyser runs on the template that this stack answers for one resource.

Stack-wide decisions (no VPC, no WAF, ...) are in infra/checkov.yaml, each with its reason;
this is for a single resource, with its reason beside the call.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnResource
from constructs import IConstruct


def skip_checks(construct: IConstruct, reasons: dict[str, str]) -> None:
    resource = construct if isinstance(construct, CfnResource) else construct.node.default_child
    if not isinstance(resource, CfnResource):
        raise TypeError(f"{construct.node.path} has no CloudFormation resource")
    current: dict[str, Any] = resource.get_metadata("checkov") or {"skip": []}
    skips = [s for s in current.get("skip", []) if s["id"] not in reasons]
    skips += [{"id": check, "comment": reason} for check, reason in sorted(reasons.items())]
    resource.add_metadata("checkov", {"skip": skips})
