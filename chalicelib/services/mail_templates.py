"""The admin's wording of the portal's mails: the catalog the settings page edits, the check
made when a wording is saved, its preview, and its use when a mail is sent.

A wording is checked when saved by rendering it, in its language, with sample data and under
the limits of services/mail_sandbox.py; at send time whatever still fails (a wording stored
before these checks, data the samples did not foresee) gives way to the built-in text with a
log line and a metric, never an error: a reset must answer the same for every address, and a
notification must go out.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from chalicelib.config import get_settings
from chalicelib.errors import InvalidInput
from chalicelib.mail import outbound
from chalicelib.observability import count, get_logger
from chalicelib.shapes.mail_templates import MailPreview, MailTemplateEntry, MailWordingText

if TYPE_CHECKING:
    from chalicelib.services.mail_sandbox import TemplateProblem

PARTS = ("subject", "body")
# What each variable holds, for the admin choosing among them.
VARIABLES: dict[str, str] = {
    "portal_name": "The portal's name.",
    "login_link": "The address of the sign-in page.",
    "name": "The name of the person the mail is for.",
    "ticket_number": "The ticket's number.",
    "ticket_title": "The ticket's subject.",
    "topic_name": "The ticket's topic, named in the recipient's language.",
    "link": "The link the mail is for (the ticket, or the page that sets a password).",
    "requester_name": "The name of the customer who wrote.",
    "count": "How many updates the digest gathers.",
    "password": "The temporary password.",
    "remaining": "How many recovery codes are left.",
}
# Sample data a wording is rendered with when checked and previewed. `name` and `ticket_title`
# are user data: long and accented, as real ones can be.
_SAMPLES: dict[str, Any] = {
    "name": "Zoë Łukasiewicz-Fontaine",
    "ticket_number": 1042,
    "ticket_title": "Invoice 2026-118 does not match the order (VAT counted twice)",
    "topic_name": "Facturation et paiements",
    "requester_name": "Bartosz Kowalski",
    "count": 3,
    "password": "Tq4-mV9x-Lb2",
    "remaining": 7,
}
_SAMPLE_LINKS = {
    "invite": "/reset-password?token=SAMPLE-TOKEN",
    "password_reset": "/reset-password?token=SAMPLE-TOKEN",
    "verify_email": "/verify?token=SAMPLE-TOKEN",
    "already_registered": "/login",
    "magic_link": "/sign-in/link?token=SAMPLE-TOKEN",
    "second_factor_removed": "/profile",
    "recovery_code_used": "/profile",
    "second_factor_reset": "/profile",
}
LANGUAGE_NAMES = {"en": "English", "fr": "French", "pl": "Polish"}


@dataclass(frozen=True)
class Refusal:
    """Why one part of one wording cannot be saved."""

    template: str
    language: str
    part: str
    code: str
    reason: str

    def detail(self) -> dict[str, str]:
        return {
            "field": f"notification_templates.{self.template}.{self.language}.{self.part}",
            "message": (
                f"The {LANGUAGE_NAMES.get(self.language, self.language)} {self.part} of the "
                f"mail '{self.template}' cannot be used: {self.reason}"
            ),
            "code": self.code,
            "template": self.template,
            "language": self.language,
            "part": self.part,
            "reason": self.reason,
        }


@lru_cache(maxsize=64)
def builtin(template: str, language: str) -> MailWordingText:
    """The built-in subject and body of a mail, as the admin starts editing them."""
    source = (outbound.TEMPLATES / language / f"{template}.txt").read_text(encoding="utf-8")
    first, _, body = source.partition("\n")
    return {"subject": first[len(outbound.SUBJECT_PREFIX):].strip(), "body": body.strip("\n")}


def list_mail_templates() -> list[MailTemplateEntry]:
    """Every mail the portal sends, with its built-in text per language and its variables."""
    return [
        {
            "name": template,
            "variables": [
                {"name": name, "description": VARIABLES[name]} for name in sorted(allowed)
            ],
            "required": sorted(outbound.REQUIRED_IN_BODY.get(template, frozenset())),
            "builtin": {language: builtin(template, language) for language in outbound.LANGUAGES},
            "subject_fixed": template in outbound.THREADED_TEMPLATES,
        }
        for template, allowed in outbound.MAIL_TEMPLATES.items()
    ]


def sample_context(template: str, portal_name: str) -> dict[str, Any]:
    public_url = get_settings().public_url
    every = {
        **_SAMPLES,
        "portal_name": portal_name,
        "login_link": f"{public_url}/login",
        "link": public_url + _SAMPLE_LINKS.get(template, "/tickets/0123456789abcdef"),
    }
    return {name: every[name] for name in outbound.MAIL_TEMPLATES[template]}


def check_part(template: str, language: str, part: str, source: str, portal_name: str) -> None:
    """Raise TemplateProblem when one part of a wording cannot be used: syntax, variables, what
    the body must say, then a render with sample data under every limit."""
    from chalicelib.services.mail_sandbox import TemplateProblem, render_bounded

    if part == "subject" and template in outbound.THREADED_TEMPLATES:
        raise TemplateProblem(
            "subject_fixed",
            "A mail about a ticket keeps the ticket's subject, so that mail programs show the "
            "ticket's mails as one conversation.",
        )
    try:
        outbound.check_override(template, source, body=part == "body")
    except ValueError as exc:
        # A wording that does not parse is a syntax problem, not one of variables.
        syntax = str(exc).startswith("template syntax error")
        raise TemplateProblem("template_syntax" if syntax else "template_variables",
                              str(exc)) from exc
    render_bounded(source, sample_context(template, portal_name))


def refusals(templates: Any, portal_name: str) -> list[Refusal]:
    """Every part of these wordings that cannot be used (a shape that is not a wording at all is
    left to the settings' own validation, which says what is wrong with it)."""
    from chalicelib.services.mail_sandbox import TemplateProblem

    found: list[Refusal] = []
    if not isinstance(templates, dict):
        return found
    for template, languages in templates.items():
        if template not in outbound.MAIL_TEMPLATES or not isinstance(languages, dict):
            continue
        for language, wording in languages.items():
            if language not in outbound.LANGUAGES or not isinstance(wording, dict):
                continue
            for part in PARTS:
                source = wording.get(part)
                if not isinstance(source, str) or not source.strip():
                    continue  # a blank part keeps the built-in text
                try:
                    check_part(template, language, part, source, portal_name)
                except TemplateProblem as problem:
                    found.append(Refusal(template, language, part, problem.code, problem.reason))
    return found


def refuse_broken(templates: Any, portal_name: str) -> None:
    """Called when settings are saved: a wording that would fail when sent is refused now."""
    found = refusals(templates, portal_name)
    if found:
        first = found[0].detail()["message"]
        raise InvalidInput(
            first if len(found) == 1 else f"{first} (and {len(found) - 1} more)",
            code="mail_template_refused",
            details=[refusal.detail() for refusal in found],
        )


def preview(
    template: str, language: str, subject: str | None, body: str | None, portal_name: str
) -> MailPreview:
    """A mail as it would be sent with this (unsaved) wording and sample data; a wording that
    cannot be used is refused exactly as a save would refuse it."""
    wording = {"subject": subject, "body": body}
    refuse_broken({template: {language: wording}}, portal_name)
    rendered = render_mail(
        template, language, sample_context(template, portal_name),
        outbound.Override(subject=subject, body=body),
    )
    return {"subject": rendered.subject, "text": rendered.text}


def render_mail(
    template: str, language: str, context: dict[str, Any], override: outbound.Override | None
) -> outbound.Rendered:
    """The mail with the admin's wording, or with the built-in text when the wording fails."""
    if override is not None and template in outbound.THREADED_TEMPLATES:
        # A subject saved before ticket mails kept the ticket's subject is not used.
        override = outbound.Override(subject=None, body=override.body)
    if override is None or (override.subject is None and override.body is None):
        return outbound.render(template, language, context)
    from chalicelib.services.mail_sandbox import TemplateProblem

    try:
        subject = _render_part(override.subject, context)
        body = _render_part(override.body, context)
    except TemplateProblem as problem:
        _fell_back(template, language, problem)
        return outbound.render(template, language, context)
    # outbound.render lays out a wording's result exactly as it lays out the built-in text; it
    # is handed the already rendered text as a variable, so nothing is rendered twice.
    literal = outbound.Override(
        subject="{{ parley_rendered_subject }}" if subject else None,
        body="{{ parley_rendered_body }}" if body else None,
    )
    return outbound.render(
        template, language,
        {**context, "parley_rendered_subject": subject, "parley_rendered_body": body},
        literal,
    )


def _render_part(source: str | None, context: dict[str, Any]) -> str:
    if not source or not source.strip():
        return ""
    from chalicelib.services.mail_sandbox import render_bounded

    return render_bounded(source, context).strip("\n")


def _fell_back(template: str, language: str, problem: TemplateProblem) -> None:
    count("MailTemplateFallback")
    get_logger().warning(
        "mail template override failed; the built-in text was sent",
        extra={"template": template, "language": language, "problem": problem.code,
               "reason": problem.reason},
    )
