"""Troubleshooter forms: which ones a customer is offered, and checking a filled-in form.

The forms are portal settings (`PortalSettings.troubleshooters`), each with its translations.
A customer is shown the form in their language, and a ticket started from one stores that
wording's name and question texts with the customer's answers, never the copy the client sent,
so the summary agents read is what the customer was really asked.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from typing import Any

from chalicelib.errors import InvalidInput
from chalicelib.services.settings import PortalSettings, TroubleshooterForm
from chalicelib.shapes.troubleshooters import (
    OfferedTroubleshooter,
    TroubleshooterAnswer,
    TroubleshooterSummary,
)

CHANNEL = "troubleshooter"
# The questions and answers of one summary together: as much as one message may hold, since
# the summary becomes the ticket's first message when the customer types nothing else.
MAX_SUMMARY_CHARS = 10_000


def offered(settings: PortalSettings) -> list[TroubleshooterForm]:
    """The forms the portal shows: not those the visibility rules would hide the ticket of (a
    hidden topic, or the troubleshooter channel hidden)."""
    return [form for form in settings.troubleshooters if not settings.hides(form.topic, CHANNEL)]


def customer_shape(form: TroubleshooterForm, language: str) -> OfferedTroubleshooter:
    """The form as a customer reading `language` is shown it."""
    form = form.in_language(language)
    return {
        "id": form.id,
        "name": form.name,
        "topic": form.topic,
        "intro": form.intro,
        "questions": [{"text": q.text, "options": list(q.options)} for q in form.questions],
    }


def checked(
    settings: PortalSettings, troubleshooter: dict[str, Any], topic: str, language: str
) -> TroubleshooterSummary:
    """The summary to store for a ticket started from a troubleshooter. With the `id` of a
    configured form: checked against it as the customer, reading `language`, was shown it
    (`answered`). Without one (an API client's own form): stored as sent, but it may not pass
    itself off as a configured form by taking its name, in any language."""
    answers: list[TroubleshooterAnswer] = [
        {"question": _clean(item["question"]), "answer": _clean(item["answer"])}
        for item in troubleshooter.get("answers", [])
    ]
    if sum(len(a["question"]) + len(a["answer"]) for a in answers) > MAX_SUMMARY_CHARS:
        raise InvalidInput(
            f"The answers are longer than {MAX_SUMMARY_CHARS} characters in all.",
            code="answers_too_long", details={"max": MAX_SUMMARY_CHARS},
        )
    form_id = troubleshooter.get("id")
    if form_id:
        return _answered(settings, form_id, topic, answers, language)
    name = _clean(troubleshooter.get("name", ""))
    if any(name.casefold() in _names(form) for form in settings.troubleshooters):
        raise InvalidInput(
            "A summary named after a configured troubleshooter must give its id.",
            code="troubleshooter_id_required",
        )
    for item in answers:
        if not item["question"] or not item["answer"]:
            raise InvalidInput("Every question needs its question and answer.",
                               code="missing_answer")
    return {"name": name, "answers": answers}


def _clean(text: str) -> str:
    """NFC, without invisible format characters (zero-width spaces and the like), stripped: an
    answer made only of them is no answer."""
    normalized = unicodedata.normalize("NFC", text)
    return "".join(c for c in normalized if unicodedata.category(c) != "Cf").strip()


def _names(form: TroubleshooterForm) -> set[str]:
    """A form's name in every language it has one, to compare with a summary's."""
    names = [form.name] + [wording.name for wording in form.translations.values()]
    return {name.casefold() for name in names if name}


def _answered(
    settings: PortalSettings, form_id: str, topic: str, answers: Sequence[TroubleshooterAnswer],
    language: str,
) -> TroubleshooterSummary:
    """The summary to store for a filled-in form (`answers` already cleaned): every question of
    the form, as worded in `language`, answered once, a choice question with one of its
    choices. Answers are matched to questions by the question's text, so a form the admin
    changed after the page loaded is refused rather than misread."""
    configured = settings.troubleshooter(form_id)
    if configured is None or settings.hides(configured.topic, CHANNEL):
        # A hidden form is refused like a missing one: the customer cannot tell them apart.
        raise InvalidInput("This troubleshooter is not available.", code="unknown_troubleshooter")
    form = configured.in_language(language)
    if topic != form.topic:
        raise InvalidInput(
            "A ticket from this troubleshooter has the troubleshooter's topic.",
            code="topic_mismatch", details={"topic": form.topic},
        )
    asked_in_form = {q.text for q in form.questions}
    given: dict[str, str] = {}
    for item in answers:
        asked = item["question"]
        if asked in given or asked not in asked_in_form:
            raise InvalidInput(
                f"“{asked}” is not a question of this troubleshooter, or is answered twice.",
                code="invalid_answer", details={"question": asked},
            )
        given[asked] = item["answer"]
    summary: list[TroubleshooterAnswer] = []
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
