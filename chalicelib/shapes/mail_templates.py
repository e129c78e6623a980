"""What the mail template editor's routes answer."""

from __future__ import annotations

from typing_extensions import TypedDict


class MailTemplateVariable(TypedDict):
    name: str
    description: str


class MailWordingText(TypedDict):
    subject: str
    body: str


class MailTemplateEntry(TypedDict):
    name: str
    variables: list[MailTemplateVariable]
    required: list[str]  # the variables the body must use
    builtin: dict[str, MailWordingText]  # per language
    subject_fixed: bool  # a mail about a ticket: its subject is the ticket's, not reworded


class MailTemplateList(TypedDict):
    templates: list[MailTemplateEntry]


class MailPreview(TypedDict):
    subject: str
    text: str


class MailPreviewAnswer(TypedDict):
    preview: MailPreview
