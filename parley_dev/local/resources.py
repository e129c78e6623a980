"""Create every table, bucket, queue and SES identity the app uses, from the app's own
definitions. Used by the local run and the tests against moto."""

from __future__ import annotations

from chalicelib.adapters.aws import client
from chalicelib.config import get_settings
from chalicelib.data.registry import create_tables


def create_resources() -> None:
    settings = get_settings()
    create_tables()
    s3 = client("s3")
    for bucket in (settings.documents_bucket, settings.inbound_bucket):
        s3.create_bucket(
            Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": settings.region}
        )
        # As infra/ deploys them: private, encrypted at rest.
        s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={
            "BlockPublicAcls": True, "IgnorePublicAcls": True,
            "BlockPublicPolicy": True, "RestrictPublicBuckets": True,
        })
        s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}],
        })
    # The pages POST uploads straight to the documents bucket (presigned POST). A local run on
    # a loopback address is also opened as localhost, where its passkeys work (services/passkeys.py)
    from chalicelib.services.passkeys import relying_party

    origins = sorted({settings.public_url, relying_party(settings.public_url).origin})
    s3.put_bucket_cors(Bucket=settings.documents_bucket, CORSConfiguration={"CORSRules": [{
        "AllowedMethods": ["POST"], "AllowedOrigins": origins,
        "AllowedHeaders": ["content-type"], "ExposeHeaders": ["ETag", "Location"],
    }]})
    # Inbound mail as infra/ wires it: SES notifies a topic, the topic feeds the queue the
    # handler reads (raw delivery: the queue body is SES's notification itself).
    sqs, sns = client("sqs"), client("sns")
    # Account mail the requests hand on (services/account_mail.py).
    sqs.create_queue(QueueName=settings.account_mail_queue)
    queue_url = sqs.create_queue(QueueName=settings.inbound_queue)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    topic_arn = sns.create_topic(Name=settings.inbound_topic)["TopicArn"]
    sns.subscribe(
        TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn,
        Attributes={"RawMessageDelivery": "true"},
    )
    # SES feedback (bounces, complaints) as infra/ wires it: SES publishes to the feedback topic,
    # which Lambda's SNS trigger reads; locally the event pump reads the topic's mirror queue.
    mirror_topic(settings.feedback_topic)
    # SES refuses to send from an unverified identity; the emulator enforces that too.
    client("ses").verify_domain_identity(Domain=settings.mail_domain)
    client("sesv2").create_email_identity(EmailIdentity=settings.mail_domain)


def mirror_queue_name(topic_name: str) -> str:
    return f"{topic_name}-local-pump"


def mirror_topic(topic_name: str) -> tuple[str, str]:
    """The topic, and a queue subscribed to it that stands in for Lambda's SNS trigger (nothing
    in the emulator invokes a function). Not raw delivery: the queue body is SNS's envelope, from
    which the pump rebuilds the record Lambda receives. Idempotent, as the calls it makes are.
    Returns the queue's name and the subscription's ARN."""
    sqs, sns = client("sqs"), client("sns")
    queue_name = mirror_queue_name(topic_name)
    queue_url = sqs.create_queue(QueueName=queue_name)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    topic_arn = sns.create_topic(Name=topic_name)["TopicArn"]
    subscription = sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)
    return queue_name, str(subscription["SubscriptionArn"])
