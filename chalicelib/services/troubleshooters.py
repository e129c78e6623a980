"""Troubleshooter forms: which ones a customer is offered, and checking a filled-in form.

The forms are portal settings (`PortalSettings.troubleshooters`). A ticket started from one
stores the form's own name and question texts with the customer's answers, never the copy the
client sent, so the summary agents read is what the customer was really asked.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from chalicelib.errors import InvalidInput
from chalicelib.services.settings import (
    PortalSettings,
    TroubleshooterForm,
    TroubleshooterQuestion,
)

CHANNEL = "troubleshooter"


def offered(settings: PortalSettings) -> list[TroubleshooterForm]:
    """The forms the portal shows: not those the visibility rules would hide the ticket of (a
    hidden topic, or the troubleshooter channel hidden)."""
    return [form for form in settings.troubleshooters if not settings.hides(form.topic, CHANNEL)]


def customer_shape(form: TroubleshooterForm) -> dict[str, Any]:
    return {
        "id": form.id,
        "name": form.name,
        "topic": form.topic,
        "intro": form.intro,
        "questions": [{"text": q.text, "options": list(q.options)} for q in form.questions],
    }


def answered(
    settings: PortalSettings, form_id: str, topic: str, answers: Sequence[dict[str, str]]
) -> dict[str, Any]:
    """The summary to store for a filled-in form: every question of the form answered once, a
    choice question with one of its choices. Answers are matched to questions by the question's
    text, so a form the admin changed after the page loaded is refused rather than misread."""
    form = next((f for f in offered(settings) if f.id == form_id), None)
    if form is None:
        # A hidden form is refused like a missing one: the customer cannot tell them apart.
        raise InvalidInput("This troubleshooter is not available.", code="unknown_troubleshooter")
    if topic != form.topic:
        raise InvalidInput(
            "A ticket from this troubleshooter has the troubleshooter's topic.",
            code="topic_mismatch", details={"topic": form.topic},
        )
    given: dict[str, str] = {}
    for item in answers:
        asked = item["question"].strip()
        if asked in given or _question(form, asked) is None:
            raise InvalidInput(
                f"“{asked}” is not a question of this troubleshooter, or is answered twice.",
                code="invalid_answer", details={"question": asked},
            )
        given[asked] = item["answer"].strip()
    summary = []
    for question in form.questions:
        answer = given.get(question.text, "")
        if not answer:
            raise InvalidInput(
                f"Answer “{question.text}”.", code="missing_answer",
                details={"question": question.text},
            )
        if question.options and answer not in question.options:
            raise InvalidInput(
                f"The answer to “{question.text}” must be one of its choices.",
                code="invalid_answer",
                details={"question": question.text, "options": list(question.options)},
            )
        summary.append({"question": question.text, "answer": answer})
    return {"id": form.id, "name": form.name, "answers": summary}


def _question(form: TroubleshooterForm, text: str) -> TroubleshooterQuestion | None:
    return next((q for q in form.questions if q.text == text), None)
