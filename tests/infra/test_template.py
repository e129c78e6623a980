"""What the synthesised template promises: every table, bucket, queue and role as the design
says, derived from the app's own declarations so a new model or handler is checked too."""

from __future__ import annotations

import json
import os
import re
from typing import Any

import pytest
from aws_cdk.assertions import Match
from parley_infra.settings import LAMBDA_RUNTIME

from tests.infra.conftest import CONTEXT, ROOT, STAGE, WHEELHOUSE, Synthesis

pytestmark = pytest.mark.infra

PREFIX = f"parley-{STAGE}-"


def _statements(document: dict[str, Any]) -> list[dict[str, Any]]:
    statements = document.get("Statement", [])
    return statements if isinstance(statements, list) else [statements]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _identity_policies(synthesis: Synthesis) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for logical_id, resource in synthesis.template["Resources"].items():
        properties = resource.get("Properties", {})
        if resource["Type"] in {"AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"}:
            found.append((logical_id, properties["PolicyDocument"]))
        if resource["Type"] == "AWS::IAM::Role":
            for policy in properties.get("Policies", []):
                found.append((logical_id, policy["PolicyDocument"]))
    return found


def _functions(synthesis: Synthesis) -> dict[str, dict[str, Any]]:
    """The app's functions by handler name (FunctionName is parley-<stage>-<handler>)."""
    functions = {}
    for resource in synthesis.resources("AWS::Serverless::Function").values():
        name = resource["Properties"]["FunctionName"]
        assert name.startswith(PREFIX), name
        functions[name[len(PREFIX) :]] = resource["Properties"]
    return functions


def _queue_logical_id(arn: Any) -> str | None:
    if isinstance(arn, dict) and "Fn::GetAtt" in arn:
        return str(arn["Fn::GetAtt"][0])
    return None


# -- tables -------------------------------------------------------------------------------------


def test_every_table_is_on_demand_recoverable_and_encrypted(synthesis: Synthesis) -> None:
    tables = synthesis.resources("AWS::DynamoDB::Table")
    assert tables
    for logical_id, table in tables.items():
        properties = table["Properties"]
        assert properties["BillingMode"] == "PAY_PER_REQUEST", logical_id
        pitr = properties.get("PointInTimeRecoverySpecification", {})
        assert pitr.get("PointInTimeRecoveryEnabled") is True, logical_id
        assert properties.get("SSESpecification", {}).get("SSEEnabled") is True, logical_id


def test_every_model_has_its_table_with_keys_indexes_ttl_and_stream(synthesis: Synthesis) -> None:
    from chalicelib.data.registry import MODELS

    test_prefix = os.environ["PARLEY_TABLE_PREFIX"]
    tables = {
        t["Properties"]["TableName"]: t["Properties"]
        for t in synthesis.resources("AWS::DynamoDB::Table").values()
    }
    assert len(tables) == len(MODELS)
    for model in MODELS:
        short = model.Meta.table_name[len(test_prefix) :]
        table = tables.get(PREFIX + short)
        assert table is not None, f"{model.__name__}: no table {PREFIX + short}"
        schema = model._get_schema()
        assert _keys(table["KeySchema"]) == _keys(schema["key_schema"]), model.__name__
        declared = {a["AttributeName"]: a["AttributeType"] for a in table["AttributeDefinitions"]}
        expected = {a["AttributeName"]: a["AttributeType"] for a in schema["attribute_definitions"]}
        assert declared == expected, model.__name__
        assert _indexes(table.get("GlobalSecondaryIndexes", [])) == _indexes(
            schema.get("global_secondary_indexes", [])
        ), model.__name__
        assert _indexes(table.get("LocalSecondaryIndexes", [])) == _indexes(
            schema.get("local_secondary_indexes", [])
        ), model.__name__
        ttl = model._ttl_attribute()
        if ttl is None:
            assert "TimeToLiveSpecification" not in table, model.__name__
        else:
            assert table["TimeToLiveSpecification"] == {
                "AttributeName": ttl.attr_name,
                "Enabled": True,
            }, model.__name__
        stream = getattr(model.Meta, "stream_view_type", None)
        assert table.get("StreamSpecification", {}).get("StreamViewType") == stream, model.__name__


def _keys(key_schema: list[dict[str, str]]) -> dict[str, str]:
    return {k["KeyType"]: k["AttributeName"] for k in key_schema}


def _indexes(indexes: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        (i.get("IndexName") or i.get("index_name")): (
            _keys(i.get("KeySchema") or i.get("key_schema") or []),
            (i.get("Projection") or i.get("projection"))["ProjectionType"],
            sorted((i.get("Projection") or i.get("projection")).get("NonKeyAttributes", [])),
        )
        for i in indexes
    }


# -- buckets ------------------------------------------------------------------------------------


def test_every_bucket_blocks_public_access_is_encrypted_and_refuses_plain_http(
    synthesis: Synthesis,
) -> None:
    buckets = synthesis.resources("AWS::S3::Bucket")
    assert len(buckets) >= 4
    tls_enforced = set()
    for policy in synthesis.resources("AWS::S3::BucketPolicy").values():
        bucket = policy["Properties"]["Bucket"]["Ref"]
        for statement in _statements(policy["Properties"]["PolicyDocument"]):
            if (
                statement["Effect"] == "Deny"
                and statement.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport")
                == "false"
                and statement["Principal"] == {"AWS": "*"}
            ):
                tls_enforced.add(bucket)
    for logical_id, bucket in buckets.items():
        properties = bucket["Properties"]
        assert properties["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        }, logical_id
        assert properties["BucketEncryption"]["ServerSideEncryptionConfiguration"], logical_id
        assert logical_id in tls_enforced, f"{logical_id} accepts requests without TLS"
        rules = properties.get("LifecycleConfiguration", {}).get("Rules", [])
        assert any("AbortIncompleteMultipartUpload" in r for r in rules), logical_id


def test_raw_inbound_mail_expires_and_only_the_portal_may_post_documents(
    synthesis: Synthesis,
) -> None:
    buckets = synthesis.resources("AWS::S3::Bucket")
    inbound = next(b for k, b in buckets.items() if "InboundMail" in k)["Properties"]
    assert any(r.get("ExpirationInDays") for r in inbound["LifecycleConfiguration"]["Rules"]), (
        "raw inbound mail is kept forever"
    )
    documents = next(b for k, b in buckets.items() if "Documents" in k)["Properties"]
    (rule,) = documents["CorsConfiguration"]["CorsRules"]
    assert rule["AllowedMethods"] == ["POST"]
    (origin,) = rule["AllowedOrigins"]
    assert "*" not in json.dumps(origin)


# -- queues, streams, event sources -------------------------------------------------------------


def test_every_queue_has_a_dead_letter_queue_and_every_dead_letter_queue_an_alarm(
    synthesis: Synthesis,
) -> None:
    queues = synthesis.resources("AWS::SQS::Queue")
    dead_letter = set()
    for queue in queues.values():
        redrive = queue["Properties"].get("RedrivePolicy")
        if redrive:
            dead_letter.add(_queue_logical_id(redrive["deadLetterTargetArn"]))
    for function in _functions(synthesis).values():
        for destination in _failure_destinations(function):
            dead_letter.add(_queue_logical_id(destination))
    for subscription in synthesis.resources("AWS::SNS::Subscription").values():
        redrive = subscription["Properties"].get("RedrivePolicy")
        if redrive:
            dead_letter.add(_queue_logical_id(redrive["deadLetterTargetArn"]))
    for logical_id, queue in queues.items():
        if logical_id in dead_letter:
            assert queue["Properties"]["MessageRetentionPeriod"] == 14 * 24 * 3600, logical_id
        else:
            assert "RedrivePolicy" in queue["Properties"], f"{logical_id} has no dead-letter queue"
        assert queue["Properties"].get("SqsManagedSseEnabled") is True, logical_id
    alarmed = set()
    for alarm in synthesis.resources("AWS::CloudWatch::Alarm").values():
        for dimension in alarm["Properties"].get("Dimensions", []):
            if dimension["Name"] == "QueueName":
                alarmed.add(dimension["Value"]["Fn::GetAtt"][0])
    assert dead_letter - {None} <= alarmed


def _failure_destinations(function: dict[str, Any]) -> list[Any]:
    found = []
    on_failure = function.get("EventInvokeConfig", {}).get("DestinationConfig", {}).get("OnFailure")
    if on_failure:
        found.append(on_failure["Destination"])
    for event in (function.get("Events") or {}).values():
        on_failure = event["Properties"].get("DestinationConfig", {}).get("OnFailure")
        if on_failure:
            found.append(on_failure["Destination"])
    return found


def test_event_sources_report_partial_batches_and_never_lose_a_failure(
    synthesis: Synthesis,
) -> None:
    for name, function in _functions(synthesis).items():
        for event in (function.get("Events") or {}).values():
            properties = event["Properties"]
            if event["Type"] in {"SQS", "DynamoDB"}:
                assert properties["FunctionResponseTypes"] == ["ReportBatchItemFailures"], name
            if event["Type"] == "SQS":
                assert _queue_logical_id(properties["Queue"]), f"{name}: queue not from this stack"
            if event["Type"] == "DynamoDB":
                assert 0 < properties["MaximumRetryAttempts"] <= 10, name
                assert properties["BisectBatchOnFunctionError"] is True, name
                assert properties["DestinationConfig"]["OnFailure"]["Destination"], name
                assert properties["Stream"]["Fn::GetAtt"][1] == "StreamArn", name
            if event["Type"] in {"SNS", "Schedule", "CloudWatchEvent"}:
                invoke = function["EventInvokeConfig"]
                assert invoke["DestinationConfig"]["OnFailure"]["Destination"], name


def test_inbound_mail_is_stored_then_queued_and_feedback_reaches_a_topic(
    synthesis: Synthesis, template: Any
) -> None:
    template.has_resource_properties(
        "AWS::SES::ReceiptRule",
        {
            "Rule": Match.object_like(
                {
                    "Enabled": True,
                    "ScanEnabled": True,
                    "Recipients": [CONTEXT["mailDomain"]],
                    "Actions": [{"S3Action": Match.object_like({"TopicArn": Match.any_value()})}],
                }
            )
        },
    )
    template.has_resource_properties(
        "AWS::SNS::Subscription",
        {"Protocol": "sqs", "RawMessageDelivery": True},
    )
    template.has_resource_properties(
        "AWS::SES::ConfigurationSetEventDestination",
        {
            "EventDestination": Match.object_like(
                {
                    "MatchingEventTypes": ["bounce", "complaint"],
                    "SnsDestination": Match.any_value(),
                }
            )
        },
    )
    template.has_resource_properties(
        "AWS::SES::EmailIdentity", {"EmailIdentity": CONTEXT["mailDomain"]}
    )
    ses_may_publish = template.find_resources(
        "AWS::SNS::TopicPolicy",
        {
            "Properties": {
                "PolicyDocument": {
                    "Statement": Match.array_with(
                        [
                            Match.object_like(
                                {
                                    "Effect": "Allow",
                                    "Principal": {"Service": "ses.amazonaws.com"},
                                    "Action": "sns:Publish",
                                }
                            )
                        ]
                    )
                }
            }
        },
    )
    assert len(ses_may_publish) == 2, "SES must be able to publish inbound and feedback events"


# -- IAM ----------------------------------------------------------------------------------------


def test_no_iam_statement_allows_every_action_or_every_dynamodb_or_s3_action(
    synthesis: Synthesis,
) -> None:
    for logical_id, document in _identity_policies(synthesis):
        for statement in _statements(document):
            if statement["Effect"] != "Allow":
                continue
            for action in _as_list(statement["Action"]):
                assert action != "*", logical_id
                assert not re.fullmatch(r"[a-z0-9-]+:\*", action), f"{logical_id}: {action}"
    for resource_type in (
        "AWS::S3::BucketPolicy",
        "AWS::SQS::QueuePolicy",
        "AWS::SNS::TopicPolicy",
    ):
        for logical_id, policy in synthesis.resources(resource_type).items():
            for statement in _statements(policy["Properties"]["PolicyDocument"]):
                if statement["Effect"] == "Allow":
                    for action in _as_list(statement["Action"]):
                        assert action not in {"*", "s3:*", "dynamodb:*", "sqs:*", "sns:*"}, (
                            f"{logical_id}: {action}"
                        )


def test_every_function_has_its_own_role_and_an_access_profile(synthesis: Synthesis) -> None:
    PROFILES = _profiles()
    roles = synthesis.resources("AWS::IAM::Role")
    functions = _functions(synthesis)
    used = []
    for name, function in functions.items():
        role = function["Role"]
        assert isinstance(role, dict) and role["Fn::GetAtt"][0] in roles, name
        used.append(role["Fn::GetAtt"][0])
        assert name in PROFILES, (
            f"the handler {name!r} has no entry in infra/parley_infra/access.py PROFILES: say "
            "which tables and buckets it uses (it is deployed able to write logs only)"
        )
        assert function["MemorySize"] == PROFILES[name].memory_mb, name
        assert function["Timeout"] == PROFILES[name].timeout_s, name
    assert len(used) == len(set(used)), "functions share a role"


def test_mail_documents_and_live_pushes_only_for_the_profiles_that_ask(
    synthesis: Synthesis,
) -> None:
    PROFILES = _profiles()
    functions = _functions(synthesis)
    role_of = {function["Role"]["Fn::GetAtt"][0]: name for name, function in functions.items()}
    for policy in synthesis.resources("AWS::IAM::Policy").values():
        owners = [role_of.get(r["Ref"]) for r in policy["Properties"]["Roles"]]
        if owners == [None]:
            continue  # CDK's own deployment handler
        (owner,) = owners
        profile = PROFILES[owner]
        text = json.dumps(policy["Properties"]["PolicyDocument"])
        assert ("ses:SendEmail" in text) == profile.send_mail, owner
        assert ("BucketsDocuments" in text) == ("documents" in profile.buckets), owner
        assert ("execute-api:ManageConnections" in text) == profile.push_live, owner
        # Request paths and jobs read by key (Query, GetItem): no function may Scan a table.
        assert '"dynamodb:Scan"' not in text, owner


def test_inbound_mail_reads_the_raw_message_and_records_its_delivery(synthesis: Synthesis) -> None:
    functions = _functions(synthesis)
    inbound = functions["inbound_mail"]
    # Fed by the inbound queue, reporting partial batches
    (event,) = inbound["Events"].values()
    queue = synthesis.template["Resources"][_queue_logical_id(event["Properties"]["Queue"])]
    assert queue["Properties"]["QueueName"] == f"{PREFIX}inbound-mail"
    assert event["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    # Its own role may read what SES stored, and read and write its delivery records
    role = inbound["Role"]["Fn::GetAtt"][0]
    statements = [
        statement
        for policy in synthesis.resources("AWS::IAM::Policy").values()
        if policy["Properties"]["Roles"] == [{"Ref": role}]
        for statement in _statements(policy["Properties"]["PolicyDocument"])
    ]
    (bucket,) = [
        logical_id
        for logical_id, b in synthesis.resources("AWS::S3::Bucket").items()
        if "InboundMail" in logical_id
    ]
    (table,) = [
        logical_id
        for logical_id, t in synthesis.resources("AWS::DynamoDB::Table").items()
        if t["Properties"]["TableName"] == f"{PREFIX}inbound-mail"
    ]

    def allowed(action: str, resource_mentions: str) -> bool:
        return any(
            action in _as_list(st["Action"]) and resource_mentions in json.dumps(st["Resource"])
            for st in statements
            if st["Effect"] == "Allow"
        )

    assert allowed("s3:GetObject", bucket)
    for action in ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"):
        assert allowed(action, table), action
    assert not allowed("s3:DeleteObject", bucket), "raw mail is never changed by the handler"


def test_every_table_a_profile_names_exists(synthesis: Synthesis) -> None:
    tables = {
        t["Properties"]["TableName"][len(PREFIX) :]
        for t in synthesis.resources("AWS::DynamoDB::Table").values()
    }
    for name, profile in _profiles().items():
        unknown = set(profile.tables) - tables - {"*"}
        assert not unknown, f"infra/parley_infra/access.py {name}: no tables {sorted(unknown)}"


def _profiles() -> dict[str, Any]:
    import sys

    if str(ROOT / "infra") not in sys.path:
        sys.path.insert(0, str(ROOT / "infra"))
    from parley_infra.access import PROFILES

    return PROFILES


# -- API ----------------------------------------------------------------------------------------


def test_the_session_authorizer_is_a_request_authorizer_without_cache_or_identity_source(
    synthesis: Synthesis,
) -> None:
    (api,) = synthesis.resources("AWS::Serverless::Api").values()
    definitions = api["Properties"]["DefinitionBody"]["securityDefinitions"]
    authorizer = definitions["session_authorizer"]["x-amazon-apigateway-authorizer"]
    assert authorizer["type"] == "request"
    assert authorizer["authorizerResultTtlInSeconds"] == 0
    assert "identitySource" not in authorizer
    for definition in definitions.values():
        custom = definition.get("x-amazon-apigateway-authorizer")
        if custom:
            assert custom["type"] == "request", definition


def test_gateway_refusals_use_the_apps_error_shape_and_never_echo_the_request(
    synthesis: Synthesis,
) -> None:
    (api,) = synthesis.resources("AWS::Serverless::Api").values()
    responses = api["Properties"]["DefinitionBody"]["x-amazon-apigateway-gateway-responses"]
    # The refusals API Gateway makes before the app runs: no or a denied authorizer answer,
    # an unknown path (with an Authorization header API Gateway calls it a bad AWS signature and
    # would quote the header, the caller's session token), and anything else it refuses.
    expected_status = {
        "UNAUTHORIZED": "401",
        "ACCESS_DENIED": "403",
        "MISSING_AUTHENTICATION_TOKEN": "404",
        "INCOMPLETE_SIGNATURE": "404",
        "INVALID_SIGNATURE": "404",
        "DEFAULT_4XX": None,
        "DEFAULT_5XX": None,
    }
    assert set(expected_status) <= set(responses)
    for kind, status in expected_status.items():
        assert responses[kind].get("statusCode") == status, kind
    for kind, response in responses.items():
        (body,) = response["responseTemplates"].values()
        # A fixed body: no template variable ($context.error.message, $input...) or directive
        # that could copy anything of the request into the answer.
        assert "$" not in body and "#" not in body, f"{kind}: {body}"
        parsed = json.loads(body)
        assert set(parsed) == {"error"} and set(parsed["error"]) == {"code", "message"}, kind
        headers = response["responseParameters"]
        assert all(value.startswith("'") for value in headers.values()), f"{kind}: {headers}"
        assert headers["gatewayresponse.header.Cache-Control"] == "'no-store'", kind
    assert json.loads(
        responses["MISSING_AUTHENTICATION_TOKEN"]["responseTemplates"]["application/json"]
    )["error"]["code"] == "not_found"


def test_every_function_gets_every_setting_the_app_reads(synthesis: Synthesis) -> None:
    config = (ROOT / "chalicelib" / "config.py").read_text()
    read = set(re.findall(r"""["'](PARLEY_[A-Z0-9_]+)["']""", config))
    assert {"PARLEY_STAGE", "PARLEY_SIGNING_KEY", "PARLEY_TABLE_PREFIX"} <= read
    for name, function in _functions(synthesis).items():
        variables = function["Environment"]["Variables"]
        assert read <= set(variables), f"{name}: missing {sorted(read - set(variables))}"
        assert variables["PARLEY_STAGE"] == STAGE
        assert variables["PARLEY_TABLE_PREFIX"] == PREFIX
        assert variables["PARLEY_TRUSTED_PROXY_HOPS"] == "1"
        assert variables["PARLEY_MAIL_FROM"] == CONTEXT["mailFrom"]
        key = json.dumps(variables["PARLEY_SIGNING_KEY"])
        assert "{{resolve:secretsmanager:" in key, "the signing key is not a dynamic reference"
        # Outside a rotation no previous value is referenced: a reference to a version that
        # does not exist (AWSPREVIOUS of a secret never rotated) would fail the first deploy
        assert variables["PARLEY_SIGNING_KEY_PREVIOUS"] == "", name
        assert variables["PARLEY_ORIGIN_VERIFY_PREVIOUS"] == "", name
        assert function["KmsKeyArn"], name


def test_the_api_deploys_no_local_only_routes(synthesis: Synthesis) -> None:
    (api,) = synthesis.resources("AWS::Serverless::Api").values()
    paths = api["Properties"]["DefinitionBody"]["paths"]
    assert "/api/health" in paths
    assert not [p for p in paths if p.startswith("/dev")], (
        "the /dev routes reached a deployed stage"
    )


def test_alarm_on_api_5xx_rate(template: Any) -> None:
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "Metrics": Match.array_with(
                [
                    Match.object_like(
                        {
                            "MetricStat": Match.object_like(
                                {"Metric": Match.object_like({"MetricName": "5XXError"})}
                            )
                        }
                    )
                ]
            )
        },
    )


# -- web ----------------------------------------------------------------------------------------

CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
ALL_VIEWER_EXCEPT_HOST_HEADER = "b689b0a8-53d0-40ab-baf2-68738e2966ac"


def test_cloudfront_serves_pages_from_s3_and_passes_api_calls_uncached(
    synthesis: Synthesis,
) -> None:
    (distribution,) = synthesis.resources("AWS::CloudFront::Distribution").values()
    config = distribution["Properties"]["DistributionConfig"]
    (api,) = [b for b in config["CacheBehaviors"] if b["PathPattern"] == "/api/*"]
    assert api["CachePolicyId"] == CACHING_DISABLED
    assert api["OriginRequestPolicyId"] == ALL_VIEWER_EXCEPT_HOST_HEADER
    assert api["ViewerProtocolPolicy"] == "https-only"
    assert set(api["AllowedMethods"]) >= {"GET", "POST", "PUT", "PATCH", "DELETE"}
    origins = {o["Id"]: o for o in config["Origins"]}
    assert origins[api["TargetOriginId"]]["OriginPath"] == "/api"
    (verify,) = origins[api["TargetOriginId"]]["OriginCustomHeaders"]
    assert verify["HeaderName"] == "X-Parley-Origin-Verify"
    assert "{{resolve:secretsmanager:" in json.dumps(verify["HeaderValue"])
    expected = json.dumps(verify["HeaderValue"])
    for name, function in _functions(synthesis).items():
        given = json.dumps(function["Environment"]["Variables"]["PARLEY_ORIGIN_VERIFY"])
        assert given == expected, name
    default_origin = origins[config["DefaultCacheBehavior"]["TargetOriginId"]]
    assert default_origin["OriginAccessControlId"], "the web bucket is not behind OAC"


def test_every_function_is_updated_after_cloudfront(synthesis: Synthesis) -> None:
    # The deploy that ends an origin-secret rotation switches CloudFront to the new value and
    # stops the functions accepting the old one: CloudFront must be done first, whether or not
    # the portal has a domain of its own (without one, PARLEY_PUBLIC_URL orders them anyway)
    (distribution,) = synthesis.resources("AWS::CloudFront::Distribution")
    for logical_id, function in synthesis.resources("AWS::Serverless::Function").items():
        depends_on = function.get("DependsOn", [])
        assert distribution in _as_list(depends_on), logical_id


def _rotation_references(**context: str) -> dict[str, str]:
    """What the functions and CloudFront get for one secret in a stack synthesised with
    `context`: its dynamic references as text, the secret's logical id as <secret>."""
    from aws_cdk import App, Stack
    from aws_cdk import aws_secretsmanager as secretsmanager

    _profiles()  # puts infra/ on the path
    from parley_infra.stack import secret_references

    stack = Stack(App(context=context), "RotationOnly")
    secret = secretsmanager.Secret(stack, "OriginVerify")
    refs = secret_references(secret, stack.node, "originVerify")
    secret_id = stack.get_logical_id(secret.node.default_child)

    def text(value: str) -> str:
        resolved = json.dumps(stack.resolve(value)) if value else ""
        return resolved.replace(json.dumps({"Ref": secret_id}), "<secret>")

    return {"current": text(refs.current), "previous": text(refs.previous),
            "sent": text(refs.sent)}


NEW_VERSION = "a1b2c3d4-0000-4000-8000-00000000000a"
OLD_VERSION = "a1b2c3d4-0000-4000-8000-00000000000b"


def test_a_rotation_names_secret_versions_by_id_and_cloudfront_switches_last() -> None:
    # Outside a rotation: the current value, unversioned, and no previous one
    outside = _rotation_references()
    assert outside["previous"] == ""
    assert outside["current"] == outside["sent"]
    assert ":SecretString:::}}" in outside["current"]

    # Rotating (first deploy): the functions hold the new version and accept the old one, by
    # version id (never the AWSPREVIOUS stage); CloudFront still sends the old one
    rotating = _rotation_references(originVerifyVersion=NEW_VERSION,
                                    originVerifyPreviousVersion=OLD_VERSION)
    assert f":SecretString:::{NEW_VERSION}}}}}" in rotating["current"]
    assert f":SecretString:::{OLD_VERSION}}}}}" in rotating["previous"]
    assert rotating["sent"] == rotating["previous"]
    assert "AWSPREVIOUS" not in json.dumps(rotating)

    # Done (second deploy): CloudFront sends the new version, the old one is accepted no more
    done = _rotation_references(originVerifyVersion=NEW_VERSION)
    assert done["previous"] == ""
    assert done["sent"] == done["current"] == rotating["current"]


@pytest.mark.parametrize(
    ("context", "refusal"),
    [
        # The current reference would not change, so CloudFormation would not resolve it again
        ({"originVerifyPreviousVersion": OLD_VERSION}, "needs originVerifyVersion"),
        ({"originVerifyVersion": NEW_VERSION, "originVerifyPreviousVersion": NEW_VERSION},
         "names the current version"),
        ({"originVerifyVersion": "AWSCURRENT"}, "not a Secrets Manager version id"),
    ],
)
def test_a_rotation_context_that_could_not_work_fails_the_synth(
    context: dict[str, str], refusal: str
) -> None:
    with pytest.raises(ValueError, match=refusal):
        _rotation_references(**context)


def test_pages_carry_a_strict_content_security_policy_and_security_headers(
    synthesis: Synthesis,
) -> None:
    (policy,) = synthesis.resources("AWS::CloudFront::ResponseHeadersPolicy").values()
    security = policy["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    csp = json.dumps(security["ContentSecurityPolicy"]["ContentSecurityPolicy"])
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    # The portal's logo may be an https address (the settings allow one): the pages must show it.
    assert "img-src 'self' data: blob: https:" in csp
    assert security["ContentTypeOptions"]["Override"] is True
    assert security["ReferrerPolicy"]["ReferrerPolicy"] == "same-origin"
    assert security["StrictTransportSecurity"]["AccessControlMaxAgeSec"] >= 31536000
    assert security["FrameOptions"]["FrameOption"] == "DENY"


def test_image_thumbnails_may_come_from_the_documents_bucket_and_nowhere_new() -> None:
    from parley_infra.web import content_security_policy

    policy = content_security_policy("docs-bucket", [])
    (images,) = [d for d in policy.split("; ") if d.startswith("img-src ")]
    sources = images.split()[1:]
    # The documents bucket's endpoints (its presigned GETs), besides what the logo needed already
    assert sources[:4] == ["'self'", "data:", "blob:", "https:"]
    assert [s for s in sources[4:] if "docs-bucket.s3." not in s] == []
    assert "https://docs-bucket.s3.amazonaws.com" in sources and "*" not in sources


def test_web_folder_is_deployed_to_the_web_bucket(synthesis: Synthesis) -> None:
    (deployment,) = synthesis.resources("Custom::CDKBucketDeployment").values()
    assert deployment["Properties"]["DestinationBucketName"]["Ref"].startswith("BucketsWeb")
    assert deployment["Properties"]["DistributionPaths"] == ["/*"]


def test_the_lambda_package_holds_the_app_and_not_the_developer_tools(
    synthesis: Synthesis,
) -> None:
    import zipfile

    # Given the code every function of the stack runs (Chalice's deployment package)
    packages = [
        path for path in synthesis.outdir.rglob("*")
        if path.is_file() and path.suffix == ".zip" and zipfile.is_zipfile(path)
        and "app.py" in zipfile.ZipFile(path).namelist()
    ]
    if not packages:  # CDK may stage an asset as a directory instead of a zip
        packages = [path.parent for path in synthesis.outdir.rglob("app.py")]
    assert packages, f"no deployment package with app.py under {synthesis.outdir}"
    for package in packages:
        names = (zipfile.ZipFile(package).namelist() if package.is_file()
                 else [str(p.relative_to(package)) for p in package.rglob("*")])
        # Then it has the app and its library
        assert "app.py" in names and any(n.startswith("chalicelib/api/") for n in names)
        # And none of what only a developer's machine runs: the local stack, the CLI, moto
        assert [n for n in names if n.startswith(("parley_dev/", "chalicelib/local/",
                                                   "chalicelib/cli/", "tests/", "moto/"))] == []


def _package_name(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _lock() -> dict[str, tuple[str, set[str]]]:
    """requirements.txt as pip reads it: each package's pinned version and its sha256 hashes."""
    text = (ROOT / "requirements.txt").read_text().replace("\\\n", " ")
    lock = {}
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        requirement, *options = line.split()
        assert "==" in requirement and not requirement.startswith("-"), (
            f"requirements.txt holds {requirement!r}: it is written by `make lock`, pins only"
        )
        name, version = requirement.split("==", 1)
        hashes = {o.removeprefix("--hash=sha256:") for o in options if o.startswith("--hash=")}
        lock[_package_name(name)] = (version, hashes)
    return lock


def test_the_lock_pins_every_layer_package_with_hashes_at_the_versions_asked_for() -> None:
    # Given the lock, and the direct dependencies it was generated from
    lock = _lock()
    asked = {
        _package_name(name): version.strip()
        for line in (ROOT / "requirements.in").read_text().splitlines()
        if "==" in line and not line.lstrip().startswith("#")
        for name, version in [line.split("#", 1)[0].split("==", 1)]
    }
    # Then every package, transitive ones included, has the hashes pip checks it against
    assert [name for name, (_, hashes) in lock.items() if not hashes] == []
    # And the lock was generated from requirements.in as it is (`make lock` after an edit)
    assert {name: lock[name][0] for name in asked if name in lock} == asked
    # And boto3 and botocore are both in it, at one version
    assert lock["boto3"][0] == lock["botocore"][0]


def test_every_app_function_runs_on_arm64_with_the_runtime_of_python_version(
    synthesis: Synthesis,
) -> None:
    functions = {
        logical_id: resource["Properties"]
        for logical_id, resource in synthesis.resources("AWS::Serverless::Function").items()
    }
    assert len(functions) == 16, sorted(functions)
    assert {p["Runtime"] for p in functions.values()} == {LAMBDA_RUNTIME}
    assert {tuple(p["Architectures"]) for p in functions.values()} == {("arm64",)}
    layers = synthesis.resources("AWS::Serverless::LayerVersion")
    assert [p["Properties"]["CompatibleArchitectures"] for p in layers.values()] == [["arm64"]]
    assert [p["Properties"]["CompatibleRuntimes"] for p in layers.values()] == [[LAMBDA_RUNTIME]]


def test_the_layer_holds_exactly_the_locked_wheels_with_one_aws_sdk(
    synthesis: Synthesis,
) -> None:
    import hashlib
    import zipfile

    # Given the layer every function runs with, what requirements.txt locks, and the wheels the
    # synth built the layer from (the wheelhouse, each wheel checked against the lock)
    lock = _lock()
    # The functions run on arm64: the layer holds the aarch64 build of each compiled package
    wheels = {_package_name(wheel.name.split("-")[0]): wheel
              for wheel in WHEELHOUSE.glob("*.whl")
              if wheel.name.endswith("-none-any.whl") or "aarch64" in wheel.name}
    site_packages = f"python/lib/{LAMBDA_RUNTIME}/site-packages/"
    # (Chalice's managed layer; CDK's own deployment helper brings an AWS CLI layer of its own)
    layers = list(synthesis.outdir.rglob("layer-deployment.zip"))
    assert layers, f"no Chalice layer package under {synthesis.outdir}"
    for layer in layers:
        with zipfile.ZipFile(layer) as archive:
            files = {info.filename: archive.read(info)
                     for info in archive.infolist() if not info.is_dir()}
        shipped = {}
        for name in files:
            if name.endswith(".dist-info/METADATA"):
                folder = name.split("/")[-2].removesuffix(".dist-info")
                package, version = folder.rsplit("-", 1)
                shipped[_package_name(package)] = version
        # Then it holds what is locked, at the locked versions, and nothing unlocked
        assert shipped == {name: version for name, (version, _) in lock.items()}
        # And boto3 and botocore come together from it, at one tested version
        assert shipped["boto3"] == shipped["botocore"]
        # And every file in it is a file of one of the locked wheels, byte for byte, and every
        # file of those wheels is in it (a wheel's purelib and platlib data go to the top)
        expected = {}
        for name in shipped:
            assert name in wheels, f"no wheel of {name} in {WHEELHOUSE} (make wheelhouse)"
            wheel = wheels[name]
            assert hashlib.sha256(wheel.read_bytes()).hexdigest() in lock[name][1], wheel.name
            with zipfile.ZipFile(wheel) as source:
                for info in source.infolist():
                    if info.is_dir():
                        continue
                    path = re.sub(r"^[^/]+\.data/(purelib|platlib)/", "", info.filename)
                    expected[site_packages + path] = source.read(info)
        assert sorted(set(files) ^ set(expected)) == []
        assert [name for name in files if files[name] != expected[name]] == []
