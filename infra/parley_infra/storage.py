"""S3 buckets: documents, inbound raw mail, web pages, access logs."""

from __future__ import annotations

from aws_cdk import Aws, Duration, RemovalPolicy
from aws_cdk import aws_s3 as s3
from constructs import Construct

from parley_infra.compliance import skip_checks
from parley_infra.settings import StageSettings


def documents_bucket_name(settings: StageSettings) -> str:
    """Named from the account and region, not generated: the CloudFront CSP must name the bucket
    the browser uploads to, and the bucket's CORS names the CloudFront origin; a generated name
    would make those two depend on each other."""
    return f"{settings.name_prefix}documents-{Aws.ACCOUNT_ID}-{Aws.REGION}"


class Buckets(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: StageSettings,
        retain: bool,
    ) -> None:
        super().__init__(scope, construct_id)
        removal = RemovalPolicy.RETAIN if retain else RemovalPolicy.DESTROY
        abort_uploads = s3.LifecycleRule(
            id="abort-incomplete-uploads", abort_incomplete_multipart_upload_after=Duration.days(1)
        )

        def bucket(bucket_id: str, **options: object) -> s3.Bucket:
            return s3.Bucket(
                self,
                bucket_id,
                block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
                encryption=s3.BucketEncryption.S3_MANAGED,
                enforce_ssl=True,
                minimum_tls_version=1.2,
                removal_policy=removal,
                **options,  # type: ignore[arg-type]
            )

        # CloudFront standard logs are delivered with ACLs, so this one bucket keeps them enabled.
        self.logs = bucket(
            "AccessLogs",
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
            lifecycle_rules=[
                abort_uploads,
                s3.LifecycleRule(
                    id="expire-logs", expiration=Duration.days(settings.log_retention_days)
                ),
            ],
        )
        skip_checks(
            self.logs,
            {
                "CKV_AWS_18": "The access-log bucket itself: logging it would log into itself.",
                "CKV_AWS_21": "Append-only logs that expire; versions would only add cost.",
            },
        )
        self.documents = bucket(
            "Documents",
            bucket_name=documents_bucket_name(settings),
            versioned=True,
            server_access_logs_bucket=self.logs,
            server_access_logs_prefix="s3/documents/",
            lifecycle_rules=[
                abort_uploads,
                # Versioning guards against a bad overwrite or delete; a purged document still
                # leaves the portal for good after this many days.
                s3.LifecycleRule(
                    id="expire-old-versions", noncurrent_version_expiration=Duration.days(30)
                ),
            ],
        )
        self.inbound = bucket(
            "InboundMail",
            server_access_logs_bucket=self.logs,
            server_access_logs_prefix="s3/inbound/",
            lifecycle_rules=[
                abort_uploads,
                # Raw messages are kept for debugging and re-processing, then expire: the ticket
                # keeps the parsed text and attachments. Only raw/: the app copies a quarantined
                # message to quarantine/, which must stay re-runnable whatever its age.
                s3.LifecycleRule(
                    id="expire-raw-mail",
                    prefix="raw/",
                    expiration=Duration.days(settings.inbound_retention_days),
                ),
            ],
        )
        skip_checks(
            self.inbound,
            {"CKV_AWS_21": "SES writes each raw message once under a new key; nothing overwrites."},
        )
        self.web = bucket(
            "Web",
            server_access_logs_bucket=self.logs,
            server_access_logs_prefix="s3/web/",
            lifecycle_rules=[abort_uploads],
        )
        skip_checks(
            self.web,
            {"CKV_AWS_21": "Built from web/ in git on every deploy; git is its version history."},
        )

    def allow_portal_uploads(self, origin: str) -> None:
        """The browser POSTs uploads straight to S3 with a presigned policy: CORS for the portal's
        own origin and that method only. Downloads are navigations and need no CORS."""
        self.documents.add_cors_rule(
            allowed_methods=[s3.HttpMethods.POST],
            allowed_origins=[origin],
            allowed_headers=["content-type"],
            exposed_headers=["ETag", "Location"],
            max_age=3000,
        )
