"""Alarms that page a person: anything in a dead-letter queue, an API 5xx rate, a function that
fails or is throttled, a stream or queue falling behind, and the SES sending reputation nearing
what AWS reviews the account at. Every alarm (and its return to OK) goes to the alarm topic."""

from __future__ import annotations

from aws_cdk import Annotations, Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from parley_infra.settings import StageSettings

API_5XX_RATE = 0.05  # of requests, over five minutes
API_5XX_MIN_REQUESTS = 20  # below this a single error is not a rate
# Lambda Errors counts invocations that failed (an exception the handler let out, a timeout, out
# of memory); a queue or stream batch whose handler reported item failures is no error. Any of
# them, and any throttle, is worth a look.
FUNCTION_ERRORS = 1  # per five minutes
FUNCTION_THROTTLES = 1  # per five minutes
# How far behind the stream's function is (IteratorAge of its newest batch, in ms), for three
# five-minute periods in a row: notifications and their mail that late are noticed by people.
STREAM_ITERATOR_AGE_MS = 5 * 60 * 1000
STREAM_AGE_PERIODS = 3
# The oldest message waiting in an app queue (inbound mail, account mail): mail a quarter of an
# hour late, or a message failing its receives (each waits out the visibility timeout).
QUEUE_OLDEST_S = 15 * 60
# SES sending reputation (account-wide, AWS/SES). AWS reviews an account at a 5 % bounce rate or
# 0.1 % complaint rate and may pause its sending at 10 % / 0.5 %: alarm well before the review.
SES_BOUNCE_RATE = 0.04
SES_COMPLAINT_RATE = 0.0008


class Alarms(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: StageSettings,
        topic_key: kms.IKey,
    ) -> None:
        super().__init__(scope, construct_id)
        self._prefix = settings.name_prefix
        self.topic = sns.Topic(
            self,
            "AlarmTopic",
            topic_name=f"{settings.name_prefix}alarms",
            master_key=topic_key,
            enforce_ssl=True,
        )
        if settings.alarm_email:
            self.topic.add_subscription(subscriptions.EmailSubscription(settings.alarm_email))
        else:
            Annotations.of(self).add_warning_v2(
                "parley:no-alarm-subscriber",
                "No alarmEmail: the alarm topic has no subscriber, so no alarm reaches anyone. "
                "Deploy with -c alarmEmail=ops@example.com (or subscribe to the AlarmTopic "
                "output yourself).",
            )
        self._action = actions.SnsAction(self.topic)

    def _alarm(
        self,
        construct_id: str,
        *,
        name: str,
        description: str,
        metric: cloudwatch.IMetric,
        threshold: float,
        periods: int = 1,
        at_least: bool = False,
    ) -> None:
        """An alarm on `metric` past `threshold` (or at it, `at_least`) for `periods` periods;
        no data is no alarm; the alarm and its return to OK go to the alarm topic."""
        operator = cloudwatch.ComparisonOperator
        alarm = cloudwatch.Alarm(
            self,
            construct_id,
            alarm_name=name,
            alarm_description=description,
            metric=metric,
            threshold=threshold,
            evaluation_periods=periods,
            comparison_operator=(operator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD if at_least
                                 else operator.GREATER_THAN_THRESHOLD),
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        alarm.add_alarm_action(self._action)
        alarm.add_ok_action(self._action)

    def dead_letters(self, queues: dict[str, sqs.IQueue]) -> None:
        for name, queue in sorted(queues.items()):
            self._alarm(
                f"{name}-depth",
                name=f"{name}-not-empty",
                description=f"Messages are waiting in the dead-letter queue {name}.",
                metric=queue.metric_approximate_number_of_messages_visible(
                    period=Duration.minutes(5), statistic="Maximum"
                ),
                threshold=1,
                at_least=True,
            )

    def api_errors(self, api_name: str, stage: str) -> None:
        def metric(name: str) -> cloudwatch.Metric:
            return cloudwatch.Metric(
                namespace="AWS/ApiGateway",
                metric_name=name,
                dimensions_map={"ApiName": api_name, "Stage": stage},
                statistic="Sum",
                period=Duration.minutes(5),
            )

        rate = cloudwatch.MathExpression(
            expression=f"IF(requests >= {API_5XX_MIN_REQUESTS}, errors / requests, 0)",
            using_metrics={"errors": metric("5XXError"), "requests": metric("Count")},
            label="5xx rate",
            period=Duration.minutes(5),
        )
        self._alarm(
            "Api5xxRate",
            name=f"{api_name}-5xx-rate",
            description=f"More than {API_5XX_RATE:.0%} of API requests failed with a 5xx.",
            metric=rate,
            threshold=API_5XX_RATE,
        )

    def functions(self, function_names: dict[str, str]) -> None:
        """Errors and throttles of every function, by its deployed name."""
        for handler, function_name in sorted(function_names.items()):
            for metric_name, threshold, what in (
                ("Errors", FUNCTION_ERRORS, "failed (an exception it let out, a timeout)"),
                ("Throttles", FUNCTION_THROTTLES, "were throttled (account concurrency)"),
            ):
                self._alarm(
                    f"{handler}-{metric_name.lower()}",
                    name=f"{function_name}-{metric_name.lower()}",
                    description=f"Invocations of {function_name} {what}.",
                    metric=_lambda_metric(function_name, metric_name, "Sum"),
                    threshold=threshold,
                    at_least=True,
                )

    def stream_ages(self, function_names: dict[str, str]) -> None:
        """How far behind each DynamoDB stream function reads its stream."""
        for handler, function_name in sorted(function_names.items()):
            self._alarm(
                f"{handler}-iterator-age",
                name=f"{function_name}-iterator-age",
                description=(
                    f"{function_name} is more than {STREAM_ITERATOR_AGE_MS // 60000} minutes "
                    "behind its DynamoDB stream (records expire from the stream after 24 hours)."
                ),
                metric=_lambda_metric(function_name, "IteratorAge", "Maximum"),
                threshold=STREAM_ITERATOR_AGE_MS,
                periods=STREAM_AGE_PERIODS,
            )

    def queue_ages(self, queues: dict[str, sqs.IQueue]) -> None:
        """The oldest message waiting in each queue a function consumes (not the dead letters)."""
        for name, queue in sorted(queues.items()):
            self._alarm(
                f"{name}-oldest",
                name=f"{name}-oldest-message",
                description=(
                    f"A message has waited more than {QUEUE_OLDEST_S // 60} minutes in {name}."
                ),
                metric=queue.metric_approximate_age_of_oldest_message(
                    period=Duration.minutes(5), statistic="Maximum"
                ),
                threshold=QUEUE_OLDEST_S,
            )

    def mail_reputation(self) -> None:
        """The account's SES bounce and complaint rates (what AWS's review looks at)."""
        for construct_id, metric_name, threshold, what in (
            ("SesBounceRate", "Reputation.BounceRate", SES_BOUNCE_RATE, "bounce"),
            ("SesComplaintRate", "Reputation.ComplaintRate", SES_COMPLAINT_RATE, "complaint"),
        ):
            self._alarm(
                construct_id,
                name=f"{self._prefix}ses-{what}-rate",
                description=(
                    f"The account's SES {what} rate is over {threshold:.2%}; AWS reviews sending "
                    f"at {'5%' if what == 'bounce' else '0.1%'} and may pause it at "
                    f"{'10%' if what == 'bounce' else '0.5%'}."
                ),
                metric=cloudwatch.Metric(
                    namespace="AWS/SES",
                    metric_name=metric_name,
                    statistic="Maximum",
                    period=Duration.hours(1),
                ),
                threshold=threshold,
            )


def _lambda_metric(function_name: str, metric_name: str, statistic: str) -> cloudwatch.Metric:
    return cloudwatch.Metric(
        namespace="AWS/Lambda",
        metric_name=metric_name,
        dimensions_map={"FunctionName": function_name},
        statistic=statistic,
        period=Duration.minutes(5),
    )
