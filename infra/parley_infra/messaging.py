"""SES (sending identity, configuration set, receipt rules), SNS topics and SQS queues.

Inbound: SES receipt rule -> raw message in the inbound bucket + SNS notification -> SQS queue
(raw delivery: the message body is SES's notification JSON, whose receipt.action names the
bucket and object key; what SNS cannot deliver goes to the subscription's dead-letter queue)
-> the app's SQS handler.
Feedback: SES configuration set -> bounce and complaint events -> SNS topic -> the app's handler.
Queues and topics the app's handlers name are created here under those names; the two above
are named by settings.py and handed to the app as PARLEY_INBOUND_QUEUE and
PARLEY_MAIL_FEEDBACK_TOPIC.
"""

from __future__ import annotations

from aws_cdk import Annotations, Duration, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_ses as ses
from aws_cdk import aws_ses_actions as ses_actions
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from parley_infra.settings import StageSettings

DLQ_RETENTION = Duration.days(14)
MAX_RECEIVES = 5
MAX_CONSUMER_TIMEOUT_S = 60
QUEUE_VISIBILITY = Duration.seconds(6 * MAX_CONSUMER_TIMEOUT_S)


class Messaging(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: StageSettings,
        inbound_bucket: s3.IBucket,
    ) -> None:
        super().__init__(scope, construct_id)
        self.settings = settings
        # SNS topics that SES and CloudWatch publish to cannot use the AWS managed SNS key: one
        # customer managed key serves them.
        self.topic_key = kms.Key(
            self,
            "TopicKey",
            description=f"Parley {settings.stage}: SNS topics written by SES and CloudWatch",
            enable_key_rotation=True,
        )
        for service in ("ses.amazonaws.com", "cloudwatch.amazonaws.com"):
            self.topic_key.add_to_resource_policy(
                iam.PolicyStatement(
                    principals=[iam.ServicePrincipal(service)],
                    actions=["kms:GenerateDataKey*", "kms:Decrypt"],
                    resources=["*"],  # a key policy's resource is the key itself
                    conditions={"StringEquals": {"aws:SourceAccount": Stack.of(self).account}},
                )
            )
        self.queues: dict[str, sqs.Queue] = {}
        self.topics: dict[str, sns.Topic] = {}
        self.dead_letter_queues: dict[str, sqs.Queue] = {}
        # Failed asynchronous invocations (schedules, SNS) and stream batches that ran out of
        # retries land here, with the error, for a person to look at.
        self.failures = self._dlq("EventFailures", f"{settings.name_prefix}event-failures")

        self.feedback_topic = self.topic(settings.feedback_topic_name)
        self.inbound_topic = sns.Topic(
            self,
            "InboundNotifications",
            topic_name=settings.inbound_topic_name,
            master_key=self.topic_key,
            enforce_ssl=True,
        )
        self.inbound_queue = self.queue(settings.inbound_queue_name)
        # A notification SNS cannot deliver to the queue (the queue refused it: a policy, the
        # queue gone) lands here with the alarm of every dead-letter queue, rather than being
        # dropped after SNS's retries; the raw message itself is in the bucket either way.
        self.inbound_undelivered = self._dlq(
            "InboundNotificationsDlq", f"{settings.inbound_topic_name}-dlq"
        )
        self.inbound_topic.add_subscription(
            subscriptions.SqsSubscription(
                self.inbound_queue,
                raw_message_delivery=True,
                dead_letter_queue=self.inbound_undelivered,
            )
        )
        self._sending(settings)
        self._receiving(settings, inbound_bucket)

    # -- queues and topics, by the names the app's handlers use ------------------------------

    def queue(self, name: str) -> sqs.Queue:
        if name in self.queues:
            return self.queues[name]
        dlq = self._dlq(_construct_id(name) + "Dlq", f"{name}-dlq")
        queue = sqs.Queue(
            self,
            _construct_id(name) + "Queue",
            queue_name=name,
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            # AWS's advice for Lambda consumers: six times the function's timeout.
            visibility_timeout=QUEUE_VISIBILITY,
            retention_period=Duration.days(4),
            dead_letter_queue=sqs.DeadLetterQueue(max_receive_count=MAX_RECEIVES, queue=dlq),
        )
        self.queues[name] = queue
        return queue

    def topic(self, name: str) -> sns.Topic:
        if name not in self.topics:
            self.topics[name] = sns.Topic(
                self,
                _construct_id(name) + "Topic",
                topic_name=name,
                master_key=self.topic_key,
                enforce_ssl=True,
            )
        return self.topics[name]

    def _dlq(self, construct_id: str, name: str) -> sqs.Queue:
        queue = sqs.Queue(
            self,
            construct_id,
            queue_name=name,
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=DLQ_RETENTION,
        )
        self.dead_letter_queues[name] = queue
        return queue

    # -- SES ----------------------------------------------------------------------------------

    def _sending(self, settings: StageSettings) -> None:
        self.configuration_set = ses.ConfigurationSet(
            self,
            "MailConfiguration",
            configuration_set_name=f"{settings.name_prefix}mail",
            tls_policy=ses.ConfigurationSetTlsPolicy.REQUIRE,
            reputation_metrics=True,
            sending_enabled=True,
        )
        self.configuration_set.add_event_destination(
            "BouncesAndComplaints",
            destination=ses.EventDestination.sns_topic(self.feedback_topic),
            events=[ses.EmailSendingEvent.BOUNCE, ses.EmailSendingEvent.COMPLAINT],
        )
        # Easy DKIM on the domain; the DNS records are stack outputs (docs/deploy.md). The
        # configuration set is the identity's default, so every send reports its feedback.
        self.identity = ses.EmailIdentity(
            self,
            "MailIdentity",
            identity=ses.Identity.domain(settings.mail_domain),
            configuration_set=self.configuration_set,
        )

    def _receiving(self, settings: StageSettings, inbound_bucket: s3.IBucket) -> None:
        self.receipt_rule_set_name = f"{settings.name_prefix}inbound"
        rule_name = f"{settings.name_prefix}store-and-notify"
        # The S3 action's notification is published by SES on behalf of this one rule.
        stack = Stack.of(self)
        self.inbound_topic.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[iam.ServicePrincipal("ses.amazonaws.com")],
                actions=["sns:Publish"],
                resources=[self.inbound_topic.topic_arn],
                conditions={
                    "StringEquals": {"AWS:SourceAccount": stack.account},
                    "ArnLike": {
                        "AWS:SourceArn": f"arn:{stack.partition}:ses:{stack.region}:{stack.account}"
                        f":receipt-rule-set/{self.receipt_rule_set_name}:receipt-rule/{rule_name}"
                    },
                },
            )
        )
        rule_set = ses.ReceiptRuleSet(
            self,
            "InboundRules",
            receipt_rule_set_name=self.receipt_rule_set_name,
            rules=[
                ses.ReceiptRuleOptions(
                    receipt_rule_name=rule_name,
                    recipients=[settings.mail_domain],
                    scan_enabled=True,  # spam and virus verdicts for the handler to honour
                    # Customers' mail servers that cannot do TLS would otherwise bounce.
                    tls_policy=ses.TlsPolicy.OPTIONAL,
                    actions=[
                        ses_actions.S3(
                            bucket=inbound_bucket,
                            object_key_prefix="raw/",
                            topic=self.inbound_topic,
                        )
                    ],
                )
            ],
        )
        # SES checks, when the rule is created, that it may publish to the topic.
        rule_set.node.add_dependency(self.inbound_topic)

    def warn_unfed(self) -> None:
        """A queue or topic an app handler reads that nothing here writes to."""
        fed = {self.settings.inbound_queue_name, self.settings.feedback_topic_name}
        for name in [*self.queues, *self.topics]:
            if name not in fed:
                Annotations.of(self).add_warning_v2(
                    "parley:unfed-source",
                    f"{name}: an app handler reads it but nothing in infra/ writes to it",
                )


def _construct_id(name: str) -> str:
    return "".join(part.capitalize() for part in name.replace("_", "-").split("-") if part)
