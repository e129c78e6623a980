"""The portal's one origin: CloudFront serves web/ from S3 and routes /api/* to API Gateway."""

from __future__ import annotations

from pathlib import Path

from aws_cdk import Aws, CfnResource, Duration, Fn, Stack
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3deploy
from constructs import Construct

from parley_infra.compliance import skip_checks
from parley_infra.settings import StageSettings

PLACEHOLDER_PAGE = (
    "<!doctype html><html lang=en><meta charset=utf-8><title>Parley</title>"
    "<p>The portal pages are not built yet.</p></html>"
)


def content_security_policy(documents_bucket_name: str, extra_connect_sources: list[str]) -> str:
    """Scripts and styles only from the portal itself (no inline script), no framing; the browser
    may also POST uploads to the documents bucket (presigned POST, both S3 endpoint forms) and
    show image thumbnails from it (presigned GET, named even though `https:` covers it today)."""
    bucket_endpoints = [
        f"https://{documents_bucket_name}.s3.amazonaws.com",
        f"https://{documents_bucket_name}.s3.{Aws.REGION}.amazonaws.com",
    ]
    connect = " ".join(["'self'", *bucket_endpoints, *extra_connect_sources])
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            # the admin's logo may be an https address
            f"img-src 'self' data: blob: https: {' '.join(bucket_endpoints)}",
            "font-src 'self'",
            f"connect-src {connect}",
            f"form-action 'self' {' '.join(bucket_endpoints)}",
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "object-src 'none'",
            "upgrade-insecure-requests",
        ]
    )


class Portal(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: StageSettings,
        web_bucket: s3.IBucket,
        logs_bucket: s3.IBucket,
        rest_api_id: str,
        api_stage: str,
        origin_verify_header: tuple[str, str],
        documents_bucket_name: str,
        web_dir: Path,
        extra_connect_sources: list[str],
    ) -> None:
        super().__init__(scope, construct_id)
        headers = cloudfront.ResponseHeadersPolicy(
            self,
            "SecurityHeaders",
            response_headers_policy_name=f"{settings.name_prefix}security-headers",
            security_headers_behavior=cloudfront.ResponseSecurityHeadersBehavior(
                content_security_policy=cloudfront.ResponseHeadersContentSecurityPolicy(
                    content_security_policy=content_security_policy(
                        documents_bucket_name, extra_connect_sources
                    ),
                    override=True,
                ),
                content_type_options=cloudfront.ResponseHeadersContentTypeOptions(override=True),
                frame_options=cloudfront.ResponseHeadersFrameOptions(
                    frame_option=cloudfront.HeadersFrameOption.DENY, override=True
                ),
                referrer_policy=cloudfront.ResponseHeadersReferrerPolicy(
                    referrer_policy=cloudfront.HeadersReferrerPolicy.SAME_ORIGIN, override=True
                ),
                strict_transport_security=cloudfront.ResponseHeadersStrictTransportSecurity(
                    access_control_max_age=Duration.days(730),
                    include_subdomains=True,
                    override=True,
                ),
            ),
            custom_headers_behavior=cloudfront.ResponseCustomHeadersBehavior(
                custom_headers=[
                    cloudfront.ResponseCustomHeader(
                        header="Permissions-Policy",
                        value="camera=(), microphone=(), geolocation=(), payment=()",
                        override=True,
                    ),
                    cloudfront.ResponseCustomHeader(
                        header="Cross-Origin-Opener-Policy", value="same-origin", override=True
                    ),
                ]
            ),
        )
        api_domain = Fn.join("", [rest_api_id, ".execute-api.", Aws.REGION, ".", Aws.URL_SUFFIX])
        api_behavior = cloudfront.BehaviorOptions(
            # The app's routes start with /api and the API stage is named api: /api/x reaches
            # the stage's /api/x resource.
            origin=origins.HttpOrigin(
                api_domain,
                origin_path=f"/{api_stage}",
                # Proves to the app that a request came through CloudFront, whose
                # X-Forwarded-For entry is the one PARLEY_TRUSTED_PROXY_HOPS trusts: the API's own
                # execute-api URL stays reachable, without this header.
                custom_headers=dict([origin_verify_header]),
                protocol_policy=cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
                origin_ssl_protocols=[cloudfront.OriginSslPolicy.TLS_V1_2],
            ),
            viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
            allowed_methods=cloudfront.AllowedMethods.ALLOW_ALL,
            cache_policy=cloudfront.CachePolicy.CACHING_DISABLED,
            # Every viewer header, cookie and query string except Host, which must stay API
            # Gateway's own for it to accept the request.
            origin_request_policy=cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
            response_headers_policy=headers,
            compress=True,
        )
        certificate = (
            acm.Certificate.from_certificate_arn(self, "Certificate", settings.certificate_arn)
            if settings.certificate_arn
            else None
        )
        self.distribution = cloudfront.Distribution(
            self,
            "Distribution",
            comment=f"Parley {settings.stage}",
            default_root_object="index.html",
            default_behavior=cloudfront.BehaviorOptions(
                origin=origins.S3BucketOrigin.with_origin_access_control(web_bucket),
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
                response_headers_policy=headers,
                compress=True,
            ),
            additional_behaviors={"/api/*": api_behavior},
            domain_names=[settings.portal_domain] if settings.portal_domain else None,
            certificate=certificate,
            # Only a custom certificate can raise the viewer TLS floor (see checkov.yaml).
            minimum_protocol_version=(
                cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021 if certificate else None
            ),
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
            price_class=cloudfront.PriceClass.PRICE_CLASS_100,
            enable_logging=True,
            log_bucket=logs_bucket,
            log_file_prefix="cloudfront/",
        )
        files = [p for p in web_dir.rglob("*") if p.is_file() and not p.name.startswith(".")]
        source = (
            s3deploy.Source.asset(str(web_dir), exclude=[".*", "**/.*"])
            if files
            else s3deploy.Source.data("index.html", PLACEHOLDER_PAGE)
        )
        deployment = s3deploy.BucketDeployment(
            self,
            "Pages",
            sources=[source],
            destination_bucket=web_bucket,
            distribution=self.distribution,
            distribution_paths=["/*"],
            prune=True,
            memory_limit=256,
        )
        for child in Stack.of(self).node.children:
            # The construct's singleton handler function sits at the stack's root.
            if child.node.id.startswith("Custom::CDKBucketDeployment") and isinstance(
                child.node.default_child, CfnResource
            ):
                skip_checks(
                    child,
                    {
                        "CKV_AWS_173": "CDK's own deployment handler: its environment holds no "
                        "secret, only the AWS CLI layer's settings."
                    },
                )
        handler_policy = deployment.handler_role.node.try_find_child("DefaultPolicy")
        if handler_policy is not None:
            skip_checks(
                handler_policy,
                {
                    "CKV_AWS_111": "CDK's own deployment handler: it may invalidate any CloudFront "
                    "path (cloudfront:CreateInvalidation on *, as CDK grants it); its S3 writes "
                    "are limited to the web bucket."
                },
            )

    @property
    def domain_name(self) -> str:
        return self.distribution.distribution_domain_name
