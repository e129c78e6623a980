"""The whole portal in one stack."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import (
    Annotations,
    Aws,
    CfnOutput,
    IStableStringProducer,
    Lazy,
    RemovalPolicy,
    SecretValue,
    Stack,
)
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from parley_infra import access
from parley_infra.chalice_app import ParleyChalice, patched_definition_body
from parley_infra.manifest import PROJECT_DIR, AppManifest, FunctionSpec, load_manifest
from parley_infra.messaging import MAX_CONSUMER_TIMEOUT_S, Messaging
from parley_infra.monitoring import Alarms
from parley_infra.settings import StageSettings
from parley_infra.storage import Buckets, documents_bucket_name
from parley_infra.tables import AppTables
from parley_infra.web import Portal

API_STAGE = "api"
ORIGIN_VERIFY_HEADER = "X-Parley-Origin-Verify"
TABLE_READ = ["GetItem", "BatchGetItem", "Query", "ConditionCheckItem", "DescribeTable"]
TABLE_WRITE = ["PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "ConditionCheckItem"]
# An append-only table (the audit trail): new items, never a change or removal of one.
TABLE_APPEND = ["PutItem"]
TABLE_SCAN = ["Scan"]
BUCKET_ACTIONS = {"read": "s3:GetObject", "write": "s3:PutObject", "delete": "s3:DeleteObject"}
STREAM_RETRIES = 5
LOG_RETENTION = {
    7: logs.RetentionDays.ONE_WEEK,
    14: logs.RetentionDays.TWO_WEEKS,
    30: logs.RetentionDays.ONE_MONTH,
    90: logs.RetentionDays.THREE_MONTHS,
    180: logs.RetentionDays.SIX_MONTHS,
    365: logs.RetentionDays.ONE_YEAR,
}
ASYNC_RETRIES = 2
# What Secrets Manager accepts as a version id (a ClientRequestToken): usually a UUID.
_SECRET_VERSION = re.compile(r"^[A-Za-z0-9-]{32,64}$")


@dataclass(frozen=True)
class SecretReferences:
    """Where one rotated secret goes: dynamic references, resolved by CloudFormation at deploy."""

    current: str  # what the functions sign with or expect (PARLEY_SIGNING_KEY, ..._ORIGIN_VERIFY)
    previous: str  # what they still accept during a rotation (..._PREVIOUS); "" outside one
    sent: str  # what CloudFront sends as the origin header


def secret_references(
    secret: secretsmanager.ISecret, node: Any, context_key: str
) -> SecretReferences:
    """The references to `secret` for the rotation step named in the context
    (docs/operations.md, "Rotating the secrets"): `<context_key>Version`, the version id the
    functions use, and `<context_key>PreviousVersion`, the one they still accept.

    Versions are named by id, never by the AWSPREVIOUS stage: that stage does not exist until
    the secret's value has been replaced once, and a reference to a missing version fails the
    deployment, the first one included. Outside a rotation there is no previous reference at
    all. And each step of a rotation changes the text of every reference whose value must
    change: CloudFormation resolves a dynamic reference again only when the reference itself
    changes, not when the secret does.

    While a previous version is named, CloudFront keeps sending it: the functions learn the new
    value first, and CloudFront switches in the next deploy, once every function accepts both.
    """
    current_id = _context_version(node, f"{context_key}Version")
    previous_id = _context_version(node, f"{context_key}PreviousVersion")
    if previous_id and not current_id:
        raise ValueError(
            f"{context_key}PreviousVersion needs {context_key}Version (the new value's version "
            "id): without a change to its reference CloudFormation keeps the value it resolved "
            "before, and the functions would go on using the old one"
        )
    if previous_id and previous_id == current_id:
        raise ValueError(f"{context_key}PreviousVersion names the current version")

    def reference(version_id: str | None) -> str:
        value = SecretValue.secrets_manager(secret.secret_arn, version_id=version_id)
        return value.unsafe_unwrap()

    current = reference(current_id)
    previous = reference(previous_id) if previous_id else ""
    return SecretReferences(current=current, previous=previous, sent=previous or current)


def _context_version(node: Any, key: str) -> str | None:
    value = node.try_get_context(key)
    if value in (None, ""):
        return None
    if not _SECRET_VERSION.match(str(value)):
        raise ValueError(f"{key} {value!r} is not a Secrets Manager version id")
    return str(value)


def app_environment(
    settings: StageSettings,
    *,
    documents_bucket: str,
    inbound_bucket: str,
    public_url: str,
    signing_key: str,
    origin_verify: str,
    configuration_set: str,
    streams: dict[str, str],
    signing_key_previous: str = "",
    origin_verify_previous: str = "",
) -> dict[str, str]:
    """What every function finds in its environment (chalicelib/config.py reads it)."""
    return {
        "PARLEY_STAGE": settings.stage,
        "PARLEY_TABLE_PREFIX": settings.table_prefix,
        "PARLEY_DOCUMENTS_BUCKET": documents_bucket,
        "PARLEY_INBOUND_BUCKET": inbound_bucket,
        "PARLEY_PUBLIC_URL": public_url,
        "PARLEY_MAIL_FROM": settings.mail_from,
        "PARLEY_MAIL_DOMAIN": settings.mail_domain,
        "PARLEY_SIGNING_KEY": signing_key,
        # The value CloudFront sends as ORIGIN_VERIFY_HEADER on every API request.
        "PARLEY_ORIGIN_VERIFY": origin_verify,
        # Still accepted during a rotation, empty outside one (secret_references).
        "PARLEY_SIGNING_KEY_PREVIOUS": signing_key_previous,
        "PARLEY_ORIGIN_VERIFY_PREVIOUS": origin_verify_previous,
        "PARLEY_SECURE_COOKIES": "true",
        # CloudFront is the one proxy in front of API Gateway whose X-Forwarded-For entry counts.
        "PARLEY_TRUSTED_PROXY_HOPS": "1",
        "PARLEY_INBOUND_QUEUE": settings.inbound_queue_name,
        "PARLEY_ACCOUNT_MAIL_QUEUE": settings.account_mail_queue_name,
        "PARLEY_INBOUND_TOPIC": settings.inbound_topic_name,
        "PARLEY_FEEDBACK_TOPIC": settings.feedback_topic_name,
        "PARLEY_MAIL_CONFIGURATION_SET": configuration_set,
        # Set to the WebSocket API's endpoint when the app has websocket handlers
        # (_websocket_hook); empty means no live pushes and the pages poll.
        "PARLEY_WEBSOCKET_ENDPOINT": "",
        "POWERTOOLS_LOG_LEVEL": "INFO",
        **streams,
    }


def introspection_environment(settings: StageSettings) -> dict[str, str]:
    """The same names with stand-ins for values only known at deploy time."""
    return app_environment(
        settings,
        documents_bucket=f"{settings.name_prefix}documents",
        inbound_bucket=f"{settings.name_prefix}inbound",
        public_url="https://portal.invalid",
        signing_key="introspection-only-not-a-key",
        origin_verify="introspection-only",
        configuration_set=f"{settings.name_prefix}mail",
        streams={},
    )


@jsii.implements(IStableStringProducer)
class _Later:
    """A value known only after the constructs that need it exist."""

    def __init__(self) -> None:
        self.value: str | None = None

    def produce(self) -> str | None:
        return self.value


class ParleyStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: StageSettings,
        retain: bool,
        scratch_dir: Path,
        web_dir: Path | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.settings = settings
        self.scratch_dir = scratch_dir
        self.manifest: AppManifest = load_manifest(introspection_environment(settings))
        self.tables = AppTables(self, "Tables", specs=self.manifest.tables, retain=retain)
        self.buckets = Buckets(self, "Buckets", settings=settings, retain=retain)
        self.messaging = Messaging(
            self, "Messaging", settings=settings, inbound_bucket=self.buckets.inbound
        )
        # Encrypts the functions' environment and the signing key secret: reading a function's
        # configuration then takes kms:Decrypt on this key, not just lambda:GetFunction.
        self.config_key = kms.Key(
            self,
            "ConfigKey",
            description=f"Parley {settings.stage}: Lambda environment and the signing key",
            enable_key_rotation=True,
        )
        self.signing_key = secretsmanager.Secret(
            self,
            "SigningKey",
            encryption_key=self.config_key,
            description=f"Parley {settings.stage}: HMAC key for reply tokens and cursors",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                password_length=64, exclude_punctuation=True
            ),
        )
        self.origin_verify = secretsmanager.Secret(
            self,
            "OriginVerify",
            encryption_key=self.config_key,
            description=f"Parley {settings.stage}: the header CloudFront adds to API requests",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                password_length=40, exclude_punctuation=True
            ),
        )
        self.signing_key_refs = secret_references(self.signing_key, self.node, "signingKey")
        self.origin_verify_refs = secret_references(self.origin_verify, self.node, "originVerify")
        self.function_names = {
            f.name: settings.function_name(f.name) for f in self.manifest.functions
        }
        self.roles: dict[str, iam.Role] = {}
        self.policies: dict[str, iam.Policy] = {}
        for spec in self.manifest.functions:
            self.roles[spec.name], self.policies[spec.name] = self._role(spec)
        self._event_sources_exist()

        # The functions need the portal's URL and the portal (CloudFront) needs the API: a lazy
        # value, filled in once the distribution exists (chalice_app.patched_definition_body
        # cuts the dependency cycle this would otherwise make).
        later = _Later()
        self.api = self._chalice(Lazy.string(later))
        self.api_gateway_account = self._api_gateway_logging()
        self.portal = Portal(
            self,
            "Portal",
            settings=settings,
            web_bucket=self.buckets.web,
            logs_bucket=self.buckets.logs,
            rest_api_id=self.api.get_resource("RestAPI").ref,
            api_stage=API_STAGE,
            origin_verify_header=(ORIGIN_VERIFY_HEADER, self.origin_verify_refs.sent),
            documents_bucket_name=documents_bucket_name(settings),
            web_dir=web_dir or PROJECT_DIR / "web",
            extra_connect_sources=self._websocket_hook(),
        )
        public_url = f"https://{settings.portal_domain or self.portal.domain_name}"
        later.value = public_url
        self.buckets.allow_portal_uploads(public_url)
        self._patch_api()
        self._patch_functions()
        self._grant()
        self.messaging.warn_unfed()

        self.alarms = Alarms(self, "Alarms", settings=settings, topic_key=self.messaging.topic_key)
        self.alarms.dead_letters(dict(self.messaging.dead_letter_queues))
        self.alarms.api_errors(settings.api_name, API_STAGE)
        self.alarms.functions(self.function_names)
        streamed = self.manifest.of_kind("dynamodb")
        self.alarms.stream_ages({spec.name: self.function_names[spec.name] for spec in streamed})
        self.alarms.queue_ages(dict(self.messaging.queues))
        self.alarms.mail_reputation()
        self._outputs(public_url)

    # -- the Chalice app ------------------------------------------------------------------------

    def _chalice(self, public_url: str) -> ParleyChalice:
        settings = self.settings
        streams = {
            spec.stream_env_var: self.tables.tables[short].table_stream_arn or ""
            for short, spec in self.tables.specs.items()
            if spec.stream
        }
        environment = app_environment(
            settings,
            documents_bucket=self.buckets.documents.bucket_name,
            inbound_bucket=self.buckets.inbound.bucket_name,
            public_url=public_url,
            # A dynamic reference: CloudFormation resolves it at deploy time, so the key is in
            # no template or synth output. It is visible in the functions' configuration to
            # whoever may read it (docs/deploy.md weighs this against a runtime fetch).
            signing_key=self.signing_key_refs.current,
            origin_verify=self.origin_verify_refs.current,
            signing_key_previous=self.signing_key_refs.previous,
            origin_verify_previous=self.origin_verify_refs.previous,
            configuration_set=self.messaging.configuration_set.configuration_set_name,
            streams=streams,
        )
        stage_config = {
            "api_gateway_stage": API_STAGE,
            "api_gateway_endpoint_type": "REGIONAL",  # CloudFront is the edge
            "autogen_policy": False,
            "manage_iam_role": False,
            # Chalice reads per-function settings only from .chalice/config.json, not from the
            # stage config handed to it here: every function's Role, MemorySize and Timeout are
            # set in _patch_functions. This stand-in fails any deployment that escaped them.
            "iam_role_arn": "arn:aws:iam::000000000000:role/set-per-function-by-infra",
            # Dependencies in a layer cached by requirements.txt alone; the functions' own
            # package is just the app code, so a code change does not re-download wheels.
            "automatic_layer": True,
            # The layer's wheels and every function's Architectures follow this one setting.
            "lambda_architecture": settings.architecture,
            "xray": False,
            "environment_variables": environment,
        }
        return ParleyChalice(
            self,
            "App",
            chalice_stage=settings.stage,
            stage_config=stage_config,
            scratch_dir=self.scratch_dir,
        )

    def _api_gateway_logging(self) -> apigateway.CfnAccount:
        """API Gateway writes access logs (REST and WebSocket) through one role per account and
        region, set in its account settings; a stage with logging fails to deploy without it."""
        role = iam.Role(
            self,
            "ApiGatewayLogsRole",
            assumed_by=iam.ServicePrincipal("apigateway.amazonaws.com"),
            managed_policies=[
                iam.ManagedPolicy.from_aws_managed_policy_name(
                    "service-role/AmazonAPIGatewayPushToCloudWatchLogs"
                )
            ],
        )
        account = apigateway.CfnAccount(
            self, "ApiGatewayAccount", cloud_watch_role_arn=role.role_arn
        )
        account.apply_removal_policy(RemovalPolicy.RETAIN)  # shared by every API in the region
        return account

    def _patch_api(self) -> None:
        rest_api = self.api.get_resource("RestAPI")
        rest_api.node.add_dependency(self.api_gateway_account)
        rest_api.add_property_override(
            "DefinitionBody",
            patched_definition_body(self.api, self.manifest, self.function_names),
        )
        rest_api.add_property_override("Name", self.settings.api_name)
        access_log = logs.LogGroup(
            self,
            "ApiAccessLog",
            retention=self._retention(),
        )
        rest_api.add_property_override(
            "AccessLogSetting",
            {
                "DestinationArn": access_log.log_group_arn,
                "Format": (
                    '{"requestId":"$context.requestId","ip":"$context.identity.sourceIp",'
                    '"method":"$context.httpMethod","path":"$context.path",'
                    '"status":"$context.status","latencyMs":"$context.responseLatency",'
                    '"authorizerError":"$context.authorizer.error",'
                    '"integrationError":"$context.integration.error"}'
                ),
            },
        )
        rest_api.add_property_override(
            "MethodSettings",
            [
                {
                    # No per-method detailed metrics: they bill per resource and method (dozens
                    # of routes), and the API-wide metrics are enough for the 5xx alarm.
                    "ResourcePath": "/*",
                    "HttpMethod": "*",
                    "MetricsEnabled": False,
                    "ThrottlingBurstLimit": 200,
                    "ThrottlingRateLimit": 100,
                }
            ],
        )

    def _retention(self) -> logs.RetentionDays:
        days = self.settings.log_retention_days
        if days not in LOG_RETENTION:
            raise ValueError(f"logRetentionDays {days}: one of {sorted(LOG_RETENTION)}")
        return LOG_RETENTION[days]

    def _patch_functions(self) -> None:
        """Names, triggers referenced by ARN (so CloudFormation orders them), partial batch
        responses, and somewhere for every failure to go."""
        failures = self.messaging.failures
        for spec in self.manifest.functions:
            function = self.api.function(spec)
            profile = access.PROFILES.get(spec.name, access.NO_ACCESS)
            function.add_property_override("FunctionName", self.function_names[spec.name])
            function.add_property_override("Role", self.roles[spec.name].role_arn)
            function.add_property_override("KmsKeyArn", self.config_key.key_arn)
            function.add_property_override("MemorySize", profile.memory_mb)
            function.add_property_override("Timeout", profile.timeout_s)
            # Created here rather than by `chalice package` (whose log group names the API
            # handler by a logical ID it renames): retention, and the role needs no
            # logs:CreateLogGroup.
            log_group = logs.LogGroup(
                self,
                f"{spec.logical_id}Logs",
                log_group_name=f"/aws/lambda/{self.function_names[spec.name]}",
                retention=self._retention(),
                removal_policy=RemovalPolicy.DESTROY,
            )
            function.node.add_dependency(log_group.node.default_child)
            # CloudFront first, the functions after: in the deploy that ends an origin-secret
            # rotation, every edge sends the new value before any function stops accepting the
            # old one (CloudFormation waits for the distribution to be deployed). Without a
            # portal domain the functions' PARLEY_PUBLIC_URL orders them so already; with one,
            # only this does.
            function.node.add_dependency(self.portal.distribution.node.default_child)
            # The event source mappings must not be created before the role may read the source.
            function.node.add_dependency(self.policies[spec.name].node.default_child)
            if spec.kind in {"sqs", "sns", "dynamodb"}:
                event = f"Events.{self.api.event_name(spec)}.Properties"
            if spec.kind == "sqs":
                queue = self._queue_of(spec)
                function.add_property_override(f"{event}.Queue", queue.queue_arn)
                function.add_property_override(
                    f"{event}.FunctionResponseTypes", ["ReportBatchItemFailures"]
                )
            elif spec.kind == "dynamodb":
                table = self._table_of(spec)
                function.add_property_override(f"{event}.Stream", table.table_stream_arn)
                function.add_property_override(
                    f"{event}.FunctionResponseTypes", ["ReportBatchItemFailures"]
                )
                function.add_property_override(f"{event}.MaximumRetryAttempts", STREAM_RETRIES)
                function.add_property_override(f"{event}.BisectBatchOnFunctionError", True)
                function.add_property_override(f"{event}.MaximumRecordAgeInSeconds", 86400)
                function.add_property_override(
                    f"{event}.DestinationConfig",
                    {"OnFailure": {"Type": "SQS", "Destination": failures.queue_arn}},
                )
            elif spec.kind == "sns":
                function.add_property_override(f"{event}.Topic", self._topic_of(spec).topic_arn)
            if spec.kind in {"sns", "schedule", "eventbridge"}:
                # Asynchronous invocations: two retries, then the event and its error go to the
                # failures queue instead of vanishing.
                function.add_property_override(
                    "EventInvokeConfig",
                    {
                        "MaximumRetryAttempts": ASYNC_RETRIES,
                        "MaximumEventAgeInSeconds": 3600,
                        "DestinationConfig": {
                            "OnFailure": {"Type": "SQS", "Destination": failures.queue_arn}
                        },
                    },
                )

    def _event_sources_exist(self) -> None:
        for spec in self.manifest.of_kind("sqs"):
            self._queue_of(spec)
            timeout = access.PROFILES.get(spec.name, access.NO_ACCESS).timeout_s
            if timeout > MAX_CONSUMER_TIMEOUT_S:
                raise ValueError(
                    f"{spec.name}: a queue consumer's timeout is at most {MAX_CONSUMER_TIMEOUT_S}s "
                    "(the queues' visibility timeout is six times that)"
                )
        for spec in self.manifest.of_kind("sns"):
            self._topic_of(spec)
        for spec in self.manifest.of_kind("dynamodb"):
            self._table_of(spec)

    def _queue_of(self, spec: FunctionSpec) -> Any:
        name = (
            spec.details.get("queue") or str(spec.details.get("queue_arn", "")).rsplit(":", 1)[-1]
        )
        if not name:
            raise ValueError(f"{spec.name}: an SQS handler without a queue name")
        return self.messaging.queue(name)

    def _topic_of(self, spec: FunctionSpec) -> Any:
        return self.messaging.topic(str(spec.details["topic"]).rsplit(":", 1)[-1])

    def _table_of(self, spec: FunctionSpec) -> Any:
        arn = str(spec.details.get("stream_arn", ""))
        for short, table_spec in self.tables.specs.items():
            if f":table/{table_spec.name}/stream/" in arn:
                return self.tables.tables[short]
        raise ValueError(
            f"{spec.name}: its stream ARN {arn!r} names no table in MODELS; read it from the "
            "environment variable PARLEY_<TABLE>_STREAM_ARN and set Meta.stream_view_type on the "
            "model"
        )

    # -- IAM -----------------------------------------------------------------------------------

    def _role(self, spec: FunctionSpec) -> tuple[iam.Role, iam.Policy]:
        function_name = self.settings.function_name(spec.name)
        role = iam.Role(
            self,
            f"{spec.logical_id}Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Parley {self.settings.stage}: {spec.name} ({spec.kind})",
        )
        policy = iam.Policy(self, f"{spec.logical_id}Policy", roles=[role])
        policy.add_statements(
            iam.PolicyStatement(
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[
                    f"arn:{Aws.PARTITION}:logs:{Aws.REGION}:{Aws.ACCOUNT_ID}:log-group:"
                    f"/aws/lambda/{function_name}:*"
                ],
            )
        )
        policy.add_statements(
            iam.PolicyStatement(actions=["kms:Decrypt"], resources=[self.config_key.key_arn])
        )
        if spec.name not in access.PROFILES:
            Annotations.of(self).add_warning_v2(
                "parley:no-access-profile",
                f"{spec.name}: no entry in infra/parley_infra/access.py PROFILES; it may only log",
            )
        return role, policy

    def _grant(self) -> None:
        tables = self.tables.tables
        for spec in self.manifest.functions:
            policy = self.policies[spec.name]
            profile = access.PROFILES.get(spec.name, access.NO_ACCESS)
            by_level: dict[str, set[str]] = {}
            named = set(profile.tables) - {access.ALL_TABLES}
            for short, table_levels in profile.tables.items():
                # A table the profile names by itself takes those levels, not the ones of "*".
                shorts = (
                    sorted(set(tables) - named) if short == access.ALL_TABLES else [short]
                )
                for name in shorts:
                    if name not in tables:
                        # A profile may name a table before its model lands; nothing to grant.
                        Annotations.of(self).add_warning_v2(
                            "parley:unknown-table", f"{spec.name}: no table {name!r} in MODELS"
                        )
                        continue
                    for level in table_levels:
                        by_level.setdefault(level, set()).add(name)
            actions = {
                "read": TABLE_READ,
                "write": TABLE_WRITE,
                "append": TABLE_APPEND,
                "scan": TABLE_SCAN,
            }
            for level, names in sorted(by_level.items()):
                if level not in actions:
                    raise ValueError(f"{spec.name}: no table level {level!r} ({sorted(actions)})")
                resources: list[str] = []
                for name in sorted(names):
                    resources.append(tables[name].table_arn)
                    if level in {"read", "scan"} and (
                        self.tables.specs[name].gsis or self.tables.specs[name].lsis
                    ):
                        resources.append(f"{tables[name].table_arn}/index/*")
                policy.add_statements(
                    iam.PolicyStatement(
                        actions=[f"dynamodb:{a}" for a in actions[level]], resources=resources
                    )
                )
            buckets = {"documents": self.buckets.documents, "inbound": self.buckets.inbound}
            for bucket_key, bucket_levels in sorted(profile.buckets.items()):
                bucket = buckets[bucket_key]
                # Object levels by the key prefix they are limited to ("" for the whole bucket).
                by_prefix: dict[str, set[str]] = {}
                for bucket_level in bucket_levels:
                    if bucket_level == "list":
                        continue
                    level, _, prefix = bucket_level.partition(":")
                    if level not in BUCKET_ACTIONS or "*" in prefix:
                        raise ValueError(f"{spec.name}: no bucket level {bucket_level!r}")
                    by_prefix.setdefault(prefix, set()).add(BUCKET_ACTIONS[level])
                for prefix, object_actions in sorted(by_prefix.items()):
                    policy.add_statements(
                        iam.PolicyStatement(
                            actions=sorted(object_actions),
                            resources=[bucket.arn_for_objects(f"{prefix}*")],
                        )
                    )
                if "list" in bucket_levels:
                    policy.add_statements(
                        iam.PolicyStatement(
                            actions=["s3:ListBucket"], resources=[bucket.bucket_arn]
                        )
                    )
            if profile.send_mail:
                messaging = self.messaging
                policy.add_statements(
                    iam.PolicyStatement(
                        actions=["ses:SendEmail", "ses:SendRawEmail"],
                        resources=[
                            f"arn:{Aws.PARTITION}:ses:{Aws.REGION}:{Aws.ACCOUNT_ID}:identity/"
                            f"{self.settings.mail_domain}",
                            f"arn:{Aws.PARTITION}:ses:{Aws.REGION}:{Aws.ACCOUNT_ID}:"
                            f"configuration-set/{messaging.configuration_set.configuration_set_name}",
                        ],
                    )
                )
            if profile.send_to_queues:
                policy.add_statements(
                    iam.PolicyStatement(
                        actions=["sqs:SendMessage"],
                        resources=[self.messaging.queue(self._queue_name(q)).queue_arn
                                   for q in sorted(profile.send_to_queues)],
                    )
                )
            if profile.read_secrets:
                # Secret ARNs end with a random suffix: the name prefix, then anything.
                policy.add_statements(
                    iam.PolicyStatement(
                        actions=["secretsmanager:GetSecretValue"],
                        resources=[
                            f"arn:{Aws.PARTITION}:secretsmanager:{Aws.REGION}:{Aws.ACCOUNT_ID}:"
                            f"secret:parley/{self.settings.stage}/{profile.read_secrets}*"
                        ],
                    )
                )
            self._grant_trigger(spec, policy)

    def _queue_name(self, short: str) -> str:
        """A queue a profile names by its short name (`account-mail`), as the stage names it."""
        return f"{self.settings.name_prefix}{short}"

    def _grant_trigger(self, spec: FunctionSpec, policy: iam.Policy) -> None:
        failures = self.messaging.failures
        if spec.kind == "sqs":
            queue = self._queue_of(spec)
            policy.add_statements(
                iam.PolicyStatement(
                    actions=[
                        "sqs:ReceiveMessage",
                        "sqs:DeleteMessage",
                        "sqs:ChangeMessageVisibility",
                        "sqs:GetQueueAttributes",
                    ],
                    resources=[queue.queue_arn],
                )
            )
        if spec.kind == "dynamodb":
            table = self._table_of(spec)
            policy.add_statements(
                iam.PolicyStatement(
                    actions=[
                        "dynamodb:DescribeStream",
                        "dynamodb:GetRecords",
                        "dynamodb:GetShardIterator",
                    ],
                    resources=[table.table_stream_arn],
                )
            )
            # ListStreams names no resource in IAM: it is granted on "*" or not at all (as
            # CDK's own grantStreamRead does). It lists stream ARNs, nothing more.
            policy.add_statements(
                iam.PolicyStatement(actions=["dynamodb:ListStreams"], resources=["*"])
            )
        if spec.kind in {"dynamodb", "sns", "schedule", "eventbridge"}:
            policy.add_statements(
                iam.PolicyStatement(actions=["sqs:SendMessage"], resources=[failures.queue_arn])
            )
        if access.PROFILES.get(spec.name, access.NO_ACCESS).push_live:
            policy.add_statements(self._websocket_push_statement())

    # -- WebSocket API ---------------------------------------------------------------------

    def _websocket_hook(self) -> list[str]:
        """The live-updates WebSocket API, when the app has websocket handlers: `chalice package`
        builds it (WebsocketAPI, stage API_STAGE); the infra hands its management endpoint to the
        functions (PARLEY_WEBSOCKET_ENDPOINT), lets the pages connect to it (CSP connect-src) and
        lets the profiles with push_live post to its connections."""
        if not self.manifest.has_websocket:
            return []
        stage = self.api.get_resource("WebsocketAPIStage")
        stage.node.add_dependency(self.api_gateway_account)
        stage.add_property_override(
            "AccessLogSettings",
            {
                "DestinationArn": logs.LogGroup(
                    self, "WebsocketAccessLog", retention=self._retention()
                ).log_group_arn,
                "Format": (
                    '{"requestId":"$context.requestId","ip":"$context.identity.sourceIp",'
                    '"route":"$context.routeKey","event":"$context.eventType",'
                    '"status":"$context.status","connectionId":"$context.connectionId",'
                    '"integrationError":"$context.integrationErrorMessage"}'
                ),
            },
        )
        stage.add_property_override(
            "DefaultRouteSettings", {"ThrottlingBurstLimit": 100, "ThrottlingRateLimit": 50}
        )
        api_id = self.api.get_resource("WebsocketAPI").ref
        host = f"{api_id}.execute-api.{Aws.REGION}.{Aws.URL_SUFFIX}"
        endpoint = f"https://{host}/{API_STAGE}"
        for spec in self.manifest.functions:
            self.api.function(spec).add_property_override(
                "Environment.Variables.PARLEY_WEBSOCKET_ENDPOINT", endpoint
            )
        return [f"wss://{host}"]

    def _websocket_push_statement(self) -> iam.PolicyStatement:
        if not self.manifest.has_websocket:
            raise ValueError("a profile has push_live but the app has no websocket handlers")
        return iam.PolicyStatement(
            actions=["execute-api:ManageConnections"],
            resources=[
                f"arn:{Aws.PARTITION}:execute-api:{Aws.REGION}:{Aws.ACCOUNT_ID}:"
                f"{self.api.get_resource('WebsocketAPI').ref}/{API_STAGE}/*/@connections/*"
            ],
        )

    # -- outputs -------------------------------------------------------------------------------

    def _outputs(self, public_url: str) -> None:
        CfnOutput(self, "PortalUrl", value=public_url)
        CfnOutput(self, "DistributionDomain", value=self.portal.domain_name)
        CfnOutput(
            self,
            "ReceiptRuleSet",
            value=self.messaging.receipt_rule_set_name,
            description="Activate it: aws ses set-active-receipt-rule-set --rule-set-name ...",
        )
        CfnOutput(
            self,
            "InboundMx",
            value=f"10 inbound-smtp.{Aws.REGION}.amazonaws.com",
            description=f"MX record for {self.settings.mail_domain}",
        )
        identity = self.messaging.identity
        for i, (name, value) in enumerate(
            [
                (identity.dkim_dns_token_name1, identity.dkim_dns_token_value1),
                (identity.dkim_dns_token_name2, identity.dkim_dns_token_value2),
                (identity.dkim_dns_token_name3, identity.dkim_dns_token_value3),
            ],
            start=1,
        ):
            CfnOutput(self, f"DkimRecord{i}", value=f"{name} CNAME {value}")
        CfnOutput(self, "AlarmTopic", value=self.alarms.topic.topic_arn)
        # Their ARNs, not their values: what a rotation names (docs/operations.md).
        CfnOutput(self, "SigningKeySecret", value=self.signing_key.secret_arn)
        CfnOutput(self, "OriginVerifySecret", value=self.origin_verify.secret_arn)
