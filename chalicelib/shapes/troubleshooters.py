"""What the portal says about troubleshooter forms: those a customer is offered, and the
summary a ticket started from one keeps (services/troubleshooters.py)."""

from __future__ import annotations

from typing import NotRequired

from typing_extensions import TypedDict


class OfferedQuestion(TypedDict):
    text: str
    options: list[str]  # none: the answer is free text


class OfferedTroubleshooter(TypedDict):
    """A form as the portal's new-ticket page shows it."""

    id: str
    name: str
    topic: str
    intro: str
    questions: list[OfferedQuestion]


class TroubleshooterAnswer(TypedDict):
    question: str
    answer: str


class TroubleshooterSummary(TypedDict):
    """The questions asked and the customer's answers, stored with the ticket."""

    id: NotRequired[str]  # a configured form's; absent for an API client's own form
    name: str
    answers: list[TroubleshooterAnswer]
