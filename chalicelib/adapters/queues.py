"""The app's own SQS queues: work a request hands on, to be done after it has answered."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from chalicelib.adapters.aws import client


@lru_cache(maxsize=8)
def _url(queue: str) -> str:
    # Looked up once per container: the URL of a queue never changes.
    return str(client("sqs").get_queue_url(QueueName=queue)["QueueUrl"])


def send(queue: str, body: dict[str, Any]) -> None:
    client("sqs").send_message(QueueUrl=_url(queue),
                               MessageBody=json.dumps(body, separators=(",", ":")))
