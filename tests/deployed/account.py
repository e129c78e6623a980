"""The synthesised stack, created in moto's CloudFormation on moto's server.

What a deployer's `cdk deploy` does, in order: publish the assets to the CDK bootstrap bucket,
expand the SAM transform (aws-sam-translator, as CloudFormation's own transform does), then create
the stack. moto's CloudFormation lacks some resource types; each is listed in STUBS with what
stands in for it and why. Nothing else of the template is changed.
"""

from __future__ import annotations

import copy
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import urllib.request
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REGION = "eu-west-1"
ACCOUNT = "123456789012"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
BOOTSTRAP_VERSION_PARAMETER = "/cdk-bootstrap/hnb659fds/version"
ASSET_BUCKET = f"cdk-hnb659fds-assets-{ACCOUNT}-{REGION}"
# What CloudFront would be called: the portal's address in links and cookies.
DISTRIBUTION_DOMAIN = "d1parleydeployed.cloudfront.net"


@dataclass(frozen=True)
class Stub:
    why: str
    # Called with (account, logical id, properties) once the stack exists, for the stubs whose
    # behaviour the journey needs: it creates the resource through the emulated service's API.
    create: Callable[[Account, str, dict[str, Any]], None] | None = None
    ref: Callable[[str, dict[str, Any]], str] | None = None
    attributes: dict[str, Callable[[str, dict[str, Any]], str]] = field(default_factory=dict)


# Every resource type of the translated template that is not created by moto's CloudFormation.
# Secrets are created beforehand (their values reach the functions' environments as dynamic
# references); the others after the stack, from their resolved properties.
STUBS: dict[str, Stub] = {}


def _stub(resource_type: str, why: str, **kwargs: Any) -> None:
    STUBS[resource_type] = Stub(why=why, **kwargs)


_stub("AWS::CDK::Metadata", "CDK's version report; no behaviour.")
_stub("AWS::CloudWatch::Alarm", "moto's CloudFormation has no alarms; tests/infra checks them.")
_stub("AWS::S3::BucketPolicy", "not in moto's CloudFormation; the emulator enforces no policy.")
_stub("AWS::SNS::TopicPolicy", "not in moto's CloudFormation; the emulator enforces no policy.")
_stub("AWS::SQS::QueuePolicy", "not in moto's CloudFormation; the emulator enforces no policy.")
_stub("AWS::ApiGateway::Account", "the CloudWatch role of API Gateway's logs; no behaviour here.")
_stub("AWS::ApiGateway::Deployment", "moto's CloudFormation creates the RestApi without its "
      "swagger body, and a deployment of an API without methods fails; the harness is API "
      "Gateway and routes by the RestApi's swagger body from the template.")
_stub("AWS::ApiGateway::Stage", "not in moto's CloudFormation (see ApiGateway::Deployment).",
      ref=lambda lid, p: p.get("StageName", "api"))
_stub("AWS::Lambda::EventInvokeConfig", "retry settings of asynchronous invocations; the "
      "harness invokes each event once, as the journey needs.")
_stub("AWS::Lambda::EventSourceMapping", "moto's pollers run functions in Docker (or answer a "
      "canned result) and drop the records; the harness is the poller: it reads the stream and "
      "the queues the mappings name and invokes the mapped function with AWS's record shapes.")
_stub("AWS::Lambda::LayerVersion", "moto's CloudFormation publishes it under a generated name "
      "and gives it no ARN, and drops the Layers of the functions that name it: published through "
      "moto's Lambda API before the stack, then set on each function as the template says.")
_stub("AWS::SecretsManager::Secret", "not in moto's CloudFormation: created with the template's "
      "GenerateSecretString in moto's Secrets Manager before the stack, so dynamic references "
      "resolve as CloudFormation resolves them.")
_stub("AWS::SNS::Subscription", "not in moto's CloudFormation: subscribed through moto's SNS "
      "with the template's properties.", create=lambda a, lid, p: a.subscribe(p))
_stub("AWS::SES::ConfigurationSet", "not in moto's CloudFormation: created through moto's SES.",
      create=lambda a, lid, p: a.ses.create_configuration_set(
          ConfigurationSet={"Name": p["Name"]}),
      ref=lambda lid, p: p["Name"])
_stub("AWS::SES::ConfigurationSetEventDestination", "moto's SES publishes no events; the "
      "harness publishes SES's bounce and complaint notifications to the destination's topic.")
_stub("AWS::SES::EmailIdentity", "not in moto's CloudFormation: verified through moto's SES.",
      create=lambda a, lid, p: a.ses.verify_domain_identity(Domain=p["EmailIdentity"]))
_stub("AWS::SES::ReceiptRuleSet", "moto's SES receives no mail; the harness is SES receiving: "
      "it follows the receipt rule's S3 action (bucket, prefix, topic).",
      ref=lambda lid, p: p["RuleSetName"])
_stub("AWS::SES::ReceiptRule", "see ReceiptRuleSet.")
_stub("AWS::ApiGatewayV2::Api", "the WebSocket API; the harness invokes its functions with "
      "WebSocket connect/message/disconnect events.", ref=lambda lid, p: "wsparley01")
for _kind in ("Deployment", "Integration", "Route", "Stage"):
    _stub(f"AWS::ApiGatewayV2::{_kind}", "part of the WebSocket API (see ApiGatewayV2::Api).")
_stub("AWS::CloudFront::Distribution", "not in moto; the harness is the viewer's CloudFront: it "
      "sends API requests with the origin header the distribution adds.",
      attributes={"DomainName": lambda lid, p: DISTRIBUTION_DOMAIN})
_stub("AWS::CloudFront::OriginAccessControl", "part of the distribution.",
      attributes={"Id": lambda lid, p: "E2PARLEYOAC"})
_stub("AWS::CloudFront::ResponseHeadersPolicy", "part of the distribution.")
_stub("Custom::CDKBucketDeployment", "copies the web pages to their bucket with a Lambda-backed "
      "custom resource; the journey drives the API, not the pages.")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class MotoServer:
    """moto's server in its own process: the deployed functions reach it over HTTP, as they
    would reach AWS, and no test's in-process emulator shares its state."""

    def __init__(self, log_path: Path) -> None:
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self._log = log_path.open("wb")
        self.process = subprocess.Popen(  # noqa: S603 - moto's server from this venv
            [sys.executable, "-m", "tests.deployed.emulator", str(self.port)],
            stdout=subprocess.PIPE, stderr=self._log, cwd=Path(__file__).resolve().parents[2],
            env={**os.environ, **CREDENTIALS, "AWS_DEFAULT_REGION": REGION}, text=True,
        )
        assert self.process.stdout is not None
        if self.process.stdout.readline().strip() != "READY":  # EOF: it died while starting
            raise RuntimeError(f"moto's server did not start; see {log_path}")
        # Lambda invocations moto makes on its own (SNS to a function) answer without Docker.
        self._post("/moto-api/config", {"lambda": {"use_docker": False}})

    def _post(self, path: str, body: dict[str, Any]) -> None:
        request = urllib.request.Request(  # noqa: S310 - our local server
            self.endpoint + path, data=json.dumps(body).encode(), method="POST",
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10):  # noqa: S310 - our local server
            pass

    def sent_mails(self) -> list[dict[str, Any]]:
        """What SES accepted for sending, oldest first: {"raw": MIME text, "to": [...]}."""
        with urllib.request.urlopen(f"{self.endpoint}/_harness/ses/sent", timeout=30) as r:  # noqa: S310
            return json.loads(r.read())  # type: ignore[no-any-return]

    def pushed(self, connection_id: str) -> list[Any]:
        """The frames pushed to one WebSocket connection, in order."""
        url = f"{self.endpoint}/_harness/live/{connection_id}"
        with urllib.request.urlopen(url, timeout=30) as r:  # noqa: S310 - our local server
            data = json.loads(r.read())
        decoder, frames, position = json.JSONDecoder(), [], 0
        while position < len(data):
            frame, position = decoder.raw_decode(data, position)
            frames.append(frame)
        return frames

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)
        self._log.close()


class Account:
    """boto3 clients for the emulated account, and what the harness creates in it."""

    def __init__(self, endpoint: str) -> None:
        import boto3

        session = boto3.session.Session(
            aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"], region_name=REGION,
        )
        self.endpoint = endpoint
        self.client = lambda service: session.client(service, endpoint_url=endpoint)
        self.s3 = self.client("s3")
        self.ses = self.client("ses")
        self.sns = self.client("sns")
        self.sqs = self.client("sqs")
        self.secrets = self.client("secretsmanager")
        self.cloudformation = self.client("cloudformation")
        self.lambda_ = self.client("lambda")
        self.physical: dict[str, str] = {}
        self.layer_contents: dict[str, dict[str, str]] = {}  # layer version ARN -> S3 location

    def subscribe(self, properties: dict[str, Any]) -> None:
        attributes = {}
        if properties.get("RawMessageDelivery"):
            attributes["RawMessageDelivery"] = "true"
        if properties.get("RedrivePolicy"):
            attributes["RedrivePolicy"] = json.dumps(properties["RedrivePolicy"])
        self.sns.subscribe(TopicArn=properties["TopicArn"], Protocol=properties["Protocol"],
                           Endpoint=properties["Endpoint"], Attributes=attributes)

    def resolve_secret(self, reference: str) -> str:
        """A dynamic reference, `{{resolve:secretsmanager:<id>:SecretString:<key>:<stage>:
        <version>}}`, as CloudFormation resolves it when it creates the resource."""
        secret_id, _, rest = reference.partition(":SecretString:")
        json_key, version_stage, version_id = ([*rest.split(":"), "", "", ""])[:3]
        kwargs: dict[str, str] = {"SecretId": secret_id}
        if version_stage:
            kwargs["VersionStage"] = version_stage
        if version_id:
            kwargs["VersionId"] = version_id
        value = str(self.secrets.get_secret_value(**kwargs)["SecretString"])
        return str(json.loads(value)[json_key]) if json_key else value


PSEUDO_PARAMETERS = {"AWS::AccountId": ACCOUNT, "AWS::Region": REGION, "AWS::Partition": "aws",
                     "AWS::URLSuffix": "amazonaws.com"}


def pseudo(node: Any) -> Any:
    """Fn::Sub over pseudo parameters only (the asset bucket's name), as CloudFormation
    evaluates it."""

    def visit(node: Any) -> Any:
        if isinstance(node, dict) and set(node) == {"Fn::Sub"} and isinstance(node["Fn::Sub"], str):
            text = node["Fn::Sub"]
            for name, value in PSEUDO_PARAMETERS.items():
                text = text.replace("${" + name + "}", value)
            if "${" not in text:
                return text
        return node

    return _walk(node, visit)


DYNAMIC_REFERENCE = re.compile(r"\{\{resolve:secretsmanager:(.+?)\}\}")


def _walk(node: Any, visit: Callable[[Any], Any]) -> Any:
    node = visit(node)
    if isinstance(node, dict):
        return {k: _walk(v, visit) for k, v in node.items()}
    if isinstance(node, list):
        return [_walk(v, visit) for v in node]
    return node


@dataclass
class Deployed:
    """The stack as created: its template (translated, with the stubs' values in place), the
    harness-side values of the stubs, and where the assets went."""

    stack_name: str
    template: dict[str, Any]
    stubbed: dict[str, str]  # logical id -> resource type
    outputs: dict[str, str]
    physical: dict[str, str]  # logical id -> physical id

    def resources(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {k: r for k, r in self.template["Resources"].items() if r["Type"] == resource_type}


def translate(template: dict[str, Any]) -> dict[str, Any]:
    """CloudFormation's AWS::Serverless-2016-10-31 transform, by the library AWS runs for it."""
    import boto3
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator

    translator = Translator(None, Parser(), boto_session=boto3.session.Session(region_name=REGION))
    # The template names no AWS managed policy by name; one that did would fail here.
    return dict(translator.translate(copy.deepcopy(template), {}, get_managed_policy_map=dict))


def publish_assets(account: Account, cdk_out: Path) -> None:
    """`cdk deploy`'s asset publishing: each file asset to the bootstrap bucket, folders
    zipped."""
    manifest = json.loads(next(cdk_out.glob("*.assets.json")).read_text())
    # What `cdk bootstrap` leaves in the account: the templates check its version parameter.
    account.client("ssm").put_parameter(Name=BOOTSTRAP_VERSION_PARAMETER, Value="30",
                                        Type="String")
    account.s3.create_bucket(Bucket=ASSET_BUCKET,
                             CreateBucketConfiguration={"LocationConstraint": REGION})
    for asset in manifest["files"].values():
        source = cdk_out / asset["source"]["path"]
        for destination in asset["destinations"].values():
            key = destination["objectKey"]
            if source.is_dir():
                archive = cdk_out / f"{key}.published"
                with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
                    for path in sorted(source.rglob("*")):
                        zipped.write(path, path.relative_to(source))
                source_file = archive
            else:
                source_file = source
            account.s3.upload_file(str(source_file), ASSET_BUCKET, key)


def _substitute(template: dict[str, Any], values: dict[tuple[str, str | None], str]) -> Any:
    def visit(node: Any) -> Any:
        if isinstance(node, dict) and len(node) == 1:
            if "Ref" in node and (node["Ref"], None) in values:
                return values[(node["Ref"], None)]
            get_att = node.get("Fn::GetAtt")
            if isinstance(get_att, list) and (get_att[0], get_att[1]) in values:
                return values[(get_att[0], get_att[1])]
            sub = node.get("Fn::Sub")
            if isinstance(sub, str):
                for (lid, attribute), value in values.items():
                    sub = sub.replace("${" + lid + ("." + attribute if attribute else "") + "}",
                                      value)
                return {"Fn::Sub": sub}
        return node

    return _walk(template, visit)


def _attributes_read(template: dict[str, Any]) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()

    def visit(node: Any) -> Any:
        if isinstance(node, dict) and isinstance(node.get("Fn::GetAtt"), list):
            found.add((node["Fn::GetAtt"][0], node["Fn::GetAtt"][1]))
        if isinstance(node, dict) and isinstance(node.get("Fn::Sub"), str):
            for name in re.findall(r"\$\{([^}!]+)\.([^}]+)\}", node["Fn::Sub"]):
                found.add(name)
        return node

    _walk(template, visit)
    return found


def _join_literals(node: Any) -> Any:
    """Fn::Join over plain strings, as CloudFormation evaluates it; needed where the joined
    string is a dynamic reference (CloudFormation resolves it after the join)."""

    def visit(node: Any) -> Any:
        if isinstance(node, dict) and set(node) == {"Fn::Join"}:
            separator, parts = node["Fn::Join"]
            parts = [_join_literals(p) for p in parts]
            if all(isinstance(p, str) for p in parts):
                return separator.join(parts)
        return node

    return _walk(node, visit)


def resolve_dynamic_references(node: Any, account: Account) -> Any:
    def visit(node: Any) -> Any:
        if isinstance(node, str) and "{{resolve:secretsmanager:" in node:
            return DYNAMIC_REFERENCE.sub(lambda m: account.resolve_secret(m.group(1)), node)
        return node

    return _walk(_join_literals(node), visit)


def _drops_with_bucket_deployment(template: dict[str, Any]) -> set[str]:
    """What exists only for the custom resource: its handler function, the layer nothing else
    uses, the handler's role and that role's policies."""
    resources = template["Resources"]

    def named_in(text: str, kind: str) -> set[str]:
        return {lid for lid, r in resources.items() if r["Type"] == kind and f'"{lid}"' in text}

    deployment = json.dumps([r for r in resources.values()
                             if r["Type"] == "Custom::CDKBucketDeployment"])
    handlers = named_in(deployment, "AWS::Lambda::Function")
    handler_text = json.dumps([resources[h] for h in handlers])
    others = json.dumps([r for lid, r in resources.items() if lid not in handlers])
    layers = named_in(handler_text, "AWS::Lambda::LayerVersion") - named_in(
        others, "AWS::Lambda::LayerVersion")
    roles = named_in(handler_text, "AWS::IAM::Role")
    policies = {lid for lid, r in resources.items() if r["Type"] == "AWS::IAM::Policy"
                and any(f'"{role}"' in json.dumps(r) for role in roles)}
    return handlers | layers | roles | policies


def deploy(account: Account, template: dict[str, Any], stack_name: str) -> Deployed:
    translated = translate(template)
    resources = translated["Resources"]
    bucket_deployment = _drops_with_bucket_deployment(translated)
    stubbed = {lid: r["Type"] for lid, r in resources.items()
               if r["Type"] in STUBS or lid in bucket_deployment}
    # moto's CloudFormation skips a type it lacks with a warning; here it must be a listed stub.
    from moto.cloudformation.parsing import resource_class_from_type

    unlisted = sorted({r["Type"] for lid, r in resources.items()
                       if lid not in stubbed and not resource_class_from_type(r["Type"])})
    assert not unlisted, f"not in moto's CloudFormation; add to STUBS with why: {unlisted}"

    # Values that stand in for the stubs' Ref and Fn::GetAtt, before the stack exists.
    values: dict[tuple[str, str | None], str] = {}
    for lid, resource_type in stubbed.items():
        properties = resources[lid].get("Properties", {})
        stub = STUBS.get(resource_type)
        if lid in bucket_deployment:  # the custom resource's handler, its layer and role
            values[(lid, None)] = f"stub-{lid}"
        elif resource_type == "AWS::SecretsManager::Secret":
            generate = properties.get("GenerateSecretString", {})
            length = int(generate.get("PasswordLength", 32))
            value = secrets.token_urlsafe(length)[:length]
            arn = account.secrets.create_secret(
                Name=f"{stack_name}-{lid}", SecretString=value)["ARN"]
            values[(lid, None)] = arn
        elif resource_type == "AWS::Lambda::LayerVersion":
            content = pseudo(properties["Content"])
            published = account.lambda_.publish_layer_version(
                LayerName=properties.get("LayerName", f"{stack_name}-{lid}"),
                Content=content,
                CompatibleRuntimes=properties.get("CompatibleRuntimes", []),
                CompatibleArchitectures=properties.get("CompatibleArchitectures", []),
            )
            values[(lid, None)] = published["LayerVersionArn"]
            account.layer_contents[published["LayerVersionArn"]] = content
        elif stub is not None:
            values[(lid, None)] = stub.ref(lid, properties) if stub.ref else f"stub-{lid}"
            for attribute, make in stub.attributes.items():
                values[(lid, attribute)] = make(lid, properties)
    # Attributes nothing here reads (DKIM tokens in the outputs, say) get a placeholder.
    for lid, attribute in _attributes_read(translated):
        if lid in stubbed:
            values.setdefault((lid, attribute), f"stub-{lid}-{attribute}")
    body = {k: v for k, v in translated.items() if k != "Resources"}
    body["Resources"] = {lid: r for lid, r in resources.items() if lid not in stubbed}
    body = _substitute(body, values)
    body = resolve_dynamic_references(body, account)
    account.cloudformation.create_stack(StackName=stack_name, TemplateBody=json.dumps(body),
                                        Capabilities=["CAPABILITY_IAM",
                                                      "CAPABILITY_NAMED_IAM",
                                                      "CAPABILITY_AUTO_EXPAND"])
    described = account.cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]
    if described["StackStatus"] != "CREATE_COMPLETE":
        raise RuntimeError(f"{stack_name}: {described['StackStatus']} "
                           f"{described.get('StackStatusReason')}")
    physical = {
        r["LogicalResourceId"]: r.get("PhysicalResourceId", "")
        for r in account.cloudformation.describe_stack_resources(
            StackName=stack_name)["StackResources"]
    }
    outputs = {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}
    deployed = Deployed(stack_name, _substitute(translated, values), stubbed, outputs, physical)
    account.physical = physical
    _create_after(account, deployed)
    for lid, resource in deployed.resources("AWS::Lambda::Function").items():
        layers = resource["Properties"].get("Layers")
        if layers and lid in physical:
            account.lambda_.update_function_configuration(FunctionName=physical[lid],
                                                          Layers=layers)
    return deployed


def _create_after(account: Account, deployed: Deployed) -> None:
    """The stubs the journey needs, created through the services' APIs once the resources they
    name exist."""
    for lid, resource_type in deployed.stubbed.items():
        stub = STUBS.get(resource_type)
        if stub is None or stub.create is None:
            continue
        properties = resolve_properties(account, deployed, deployed.template["Resources"][lid])
        stub.create(account, lid, properties)


def resolve_properties(account: Account, deployed: Deployed, resource: dict[str, Any]) -> Any:
    """A stubbed resource's properties with Ref and Fn::GetAtt of stack resources resolved."""

    def arn_of(lid: str) -> str:
        physical = deployed.physical[lid]
        kind = deployed.template["Resources"][lid]["Type"]
        if kind == "AWS::SQS::Queue":
            name = physical.rsplit("/", 1)[-1]
            return f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}"
        if kind == "AWS::Lambda::Function":
            return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{physical}"
        if kind == "AWS::SNS::Topic":
            return physical
        raise KeyError(f"no Arn for {kind} {lid}")

    def visit(node: Any) -> Any:
        if isinstance(node, dict) and len(node) == 1:
            if "Ref" in node and node["Ref"] in deployed.physical:
                return deployed.physical[node["Ref"]]
            get_att = node.get("Fn::GetAtt")
            if isinstance(get_att, list) and get_att[0] in deployed.physical:
                if get_att[1] == "Arn":
                    return arn_of(get_att[0])
                if get_att[1] == "StreamArn":
                    return account.client("dynamodb").describe_table(
                        TableName=deployed.physical[get_att[0]])["Table"]["LatestStreamArn"]
        return node

    return _walk(resource.get("Properties", {}), visit)
