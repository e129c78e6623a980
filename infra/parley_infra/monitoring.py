"""Alarms that page a person: anything in a dead-letter queue, and an API 5xx rate."""

from __future__ import annotations

from aws_cdk import Duration
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
        self.topic = sns.Topic(
            self,
            "AlarmTopic",
            topic_name=f"{settings.name_prefix}alarms",
            master_key=topic_key,
            enforce_ssl=True,
        )
        if settings.alarm_email:
            self.topic.add_subscription(subscriptions.EmailSubscription(settings.alarm_email))
        self._action = actions.SnsAction(self.topic)

    def _notify(self, alarm: cloudwatch.Alarm) -> None:
        alarm.add_alarm_action(self._action)
        alarm.add_ok_action(self._action)

    def dead_letters(self, queues: dict[str, sqs.IQueue]) -> None:
        for name, queue in sorted(queues.items()):
            alarm = cloudwatch.Alarm(
                self,
                f"{name}-depth",
                alarm_name=f"{name}-not-empty",
                alarm_description=f"Messages are waiting in the dead-letter queue {name}.",
                metric=queue.metric_approximate_number_of_messages_visible(
                    period=Duration.minutes(5), statistic="Maximum"
                ),
                threshold=1,
                evaluation_periods=1,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
            self._notify(alarm)

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
        alarm = cloudwatch.Alarm(
            self,
            "Api5xxRate",
            alarm_name=f"{api_name}-5xx-rate",
            alarm_description=f"More than {API_5XX_RATE:.0%} of API requests failed with a 5xx.",
            metric=rate,
            threshold=API_5XX_RATE,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        self._notify(alarm)
