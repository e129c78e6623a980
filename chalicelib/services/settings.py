"""Portal settings an admin changes at run time (typed, validated, audited)."""

from __future__ import annotations

from typing import Annotated, Any, Literal, cast

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from chalicelib import clock
from chalicelib.data import settings as store
from chalicelib.errors import InvalidInput
from chalicelib.mail import outbound
from chalicelib.services import audit, files
from chalicelib.services.fields import EmailAddress, Language, MailTemplate, TemplateOverride
from chalicelib.services.oidc_config import OidcProviders, refuse_unusable
from chalicelib.services.principal import Principal
from chalicelib.shapes.settings import SettingsValues

LANGUAGES = ("en", "fr", "pl")
ANNOUNCEMENT_MAX_LENGTH = 2000
_CACHE_SECONDS = 30.0
MAX_ATTACHMENTS_PER_TICKET = 500  # the documents list reads a ticket's files in one bounded page


SLUG = r"^[a-z0-9][a-z0-9_-]*$"


def _given(value: dict[str, Any]) -> dict[str, Any]:
    """Translations without the blank ones: a language left empty reads as the default."""
    return {
        language: text for language, text in value.items()
        if not (isinstance(text, str) and not text.strip())
    }


class Topic(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=40, pattern=SLUG)
    name: str = Field(min_length=1, max_length=80)
    team_id: str = Field("support", min_length=1, max_length=40)
    # What customers reading another language see instead of `name` (name_in); a language
    # without one sees `name`.
    names: dict[Language, Annotated[str, Field(max_length=80)]] = Field(default_factory=dict)

    @field_validator("names", mode="before")
    @classmethod
    def _drop_blank_names(cls, value: Any) -> Any:
        return _given(value) if isinstance(value, dict) else value

    def name_in(self, language: str) -> str:
        return str(self.names.get(language, self.name))  # type: ignore[call-overload]


class AlertRecipients(BaseModel):
    """Extra recipients of a kind of alert, beside the person it is for."""

    model_config = ConfigDict(extra="forbid")

    to: list[EmailAddress] = Field(default_factory=list, max_length=10)
    cc: list[EmailAddress] = Field(default_factory=list, max_length=10)
    bcc: list[EmailAddress] = Field(default_factory=list, max_length=10)


# Branding. Colours are checked here; the pages pick readable text colours for them.
Colour = Annotated[str, Field(pattern=r"^#[0-9a-fA-F]{6}$")]
# An https address, or an image carried in a data: URL (the page shows it in an <img>, where an
# SVG cannot run script).
LOGO_URL = r"^(https://[^\s\"'<>]+|data:image/(png|jpeg|gif|webp|svg\+xml);base64,[A-Za-z0-9+/=]+)$"


class BannerLink(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: str = Field(min_length=1, max_length=60)
    url: str = Field(max_length=500, pattern=r"^(https?://[^\s\"'<>]+|mailto:[^\s\"'<>]+)$")


class TroubleshooterQuestion(BaseModel):
    """One question of a troubleshooter form: a choice among `options`, or free text when there
    are none."""

    # Stripped so that a blank text or choice cannot pass the length checks.
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    # One line each, without `|`: the settings page edits a question as one line with its
    # choices after `|`, and must read back exactly what it shows.
    text: str = Field(min_length=1, max_length=300, pattern=r"^[^|\r\n]*$")
    options: list[Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[^|\r\n]*$")]] = (
        Field(default_factory=list, max_length=10)
    )

    @field_validator("options")
    @classmethod
    def _distinct_options(cls, value: list[str]) -> list[str]:
        # A customer's answer is matched to a choice by its text.
        if len(set(value)) != len(value):
            raise ValueError("each choice may appear only once")
        return value


def _unique_questions(value: list[TroubleshooterQuestion]) -> list[TroubleshooterQuestion]:
    # Answers name the question they answer, so two questions may not read the same.
    texts = [q.text for q in value]
    if len(set(texts)) != len(texts):
        raise ValueError("each question may appear only once")
    return value


class TroubleshooterWording(BaseModel):
    """A form in another language. What is left empty reads as the form's own words; the
    questions, when given, are all of them, in the form's order, each with as many choices."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field("", max_length=80)
    intro: str = Field("", max_length=1000)
    questions: list[TroubleshooterQuestion] = Field(default_factory=list, max_length=20)

    @field_validator("questions")
    @classmethod
    def _distinct_questions(
        cls, value: list[TroubleshooterQuestion]
    ) -> list[TroubleshooterQuestion]:
        return _unique_questions(value)


class TroubleshooterForm(BaseModel):
    """A guided form a customer can start a ticket from; its questions and answers become the
    ticket's troubleshooter summary (services/troubleshooters.py)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    id: str = Field(min_length=1, max_length=40, pattern=SLUG)
    name: str = Field(min_length=1, max_length=80)
    topic: str = Field(min_length=1, max_length=40)
    intro: str = Field("", max_length=1000)
    questions: list[TroubleshooterQuestion] = Field(min_length=1, max_length=20)
    # The form as customers reading another language see it (in_language), and so the
    # questions their answers are checked against.
    translations: dict[Language, TroubleshooterWording] = Field(default_factory=dict)

    @field_validator("questions")
    @classmethod
    def _distinct_questions(
        cls, value: list[TroubleshooterQuestion]
    ) -> list[TroubleshooterQuestion]:
        return _unique_questions(value)

    @field_validator("translations")
    @classmethod
    def _translations_fit(
        cls, value: dict[str, TroubleshooterWording], info: ValidationInfo
    ) -> dict[str, TroubleshooterWording]:
        # A translated question stands for the form's question at the same place, and a choice
        # for the choice at the same place: the answers are checked against the form in the
        # customer's language, so each must say the same thing.
        questions: list[TroubleshooterQuestion] | None = info.data.get("questions")
        for language, wording in value.items():
            if questions is None or not wording.questions:
                continue
            shape = [len(q.options) for q in questions]
            if [len(q.options) for q in wording.questions] != shape:
                raise ValueError(
                    f"the questions in '{language}' must be as many as the form's "
                    f"({len(shape)}), in its order, each with as many choices"
                )
        return {language: w for language, w in value.items() if w != TroubleshooterWording()}

    def in_language(self, language: str) -> TroubleshooterForm:
        """The form as a customer reading `language` sees it: its translation where there is
        one, the form's own words elsewhere."""
        wording = self.translations.get(language)  # type: ignore[call-overload]
        if wording is None:
            return self
        return self.model_copy(update={
            "name": wording.name or self.name,
            "intro": wording.intro or self.intro,
            "questions": wording.questions or self.questions,
            "translations": {},
        })


DEFAULT_TOPICS = [
    Topic(id="general", name="General question"),
    Topic(id="billing", name="Billing"),
    Topic(id="technical", name="Technical problem"),
]


class PortalSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    portal_name: str = Field("Parley", min_length=1, max_length=80)
    logo_url: Literal[""] | Annotated[str, Field(max_length=60_000, pattern=LOGO_URL)] = ""
    primary_color: Colour = "#1d4ed8"
    accent_color: Colour = "#0f766e"
    banner_links: list[BannerLink] = Field(default_factory=list, max_length=10)
    # In the small markup of services/markup.py; its links are checked when saved.
    announcement: str = Field("", max_length=ANNOUNCEMENT_MAX_LENGTH)
    default_language: Literal["en", "fr", "pl"] = "en"
    self_registration: bool = False
    # Sign-in by a single-use link mailed to the address (services/magic_links.py).
    magic_link_sign_in: bool = False
    # Agents and admins sign in with a second factor (services/second_factor.py); customers
    # when their organization requires it.
    require_second_factor_staff: bool = False
    idle_timeout_minutes: int = Field(30, ge=5, le=24 * 60)
    absolute_lifetime_hours: int = Field(12, ge=1, le=24 * 30)
    # Conversations
    topics: list[Topic] = Field(
        default_factory=lambda: list(DEFAULT_TOPICS), min_length=1, max_length=100
    )
    # How an agent's message is signed for the customer: nothing, the team's display name,
    # the agent's full name, or a custom text.
    author_display: Literal["none", "team", "agent_name", "custom"] = "agent_name"
    team_display_name: str = Field("Support team", min_length=1, max_length=80)
    author_custom_text: str = Field("", max_length=80)
    # "simple": customers see Open / Closed; "full": new, open, pending, resolved, closed.
    status_display: Literal["simple", "full"] = "simple"
    org_view_enabled: bool = True
    # Followers of a ticket (services/followers.py) from outside its organization: customers of
    # another one, and addresses without an account (mail only). Off: colleagues only.
    followers_outside_org: bool = False
    trash_retention_days: int = Field(30, ge=1, le=3650)
    reopen_window_days: int = Field(30, ge=0, le=3650)
    auto_close_days: int = Field(7, ge=1, le=365)
    # Troubleshooter forms offered on the portal's compose page (declared after `topics`, which
    # their validator reads). A form whose topic is hidden is not offered.
    troubleshooters: list[TroubleshooterForm] = Field(default_factory=list, max_length=20)
    # Visibility rules: tickets of these topics or channels never appear in the portal.
    hidden_topics: list[Annotated[str, Field(max_length=40)]] = Field(
        default_factory=list, max_length=50
    )
    hidden_channels: list[Literal["portal", "email", "troubleshooter", "agent"]] = Field(
        default_factory=list
    )
    # Documents (chalicelib/services/files.py checks each type from the file's content).
    attachment_max_bytes: int = Field(25 * files.MiB, ge=1, le=100 * files.MiB)
    attachments_per_ticket: int = Field(50, ge=1, le=MAX_ATTACHMENTS_PER_TICKET)
    attachment_types: list[files.AllowedType] = Field(
        default_factory=lambda: list(files.DEFAULT_ALLOWED_TYPES), max_length=len(files.CATALOG)
    )
    # Inbound mail (services/inbound/): the topic of tickets opened by mail ("" = the first
    # topic); what becomes of mail from an address without an account: "create" an unverified
    # customer invited to set a password, "reject" with one polite answer a day, or "drop";
    # the organization created customers join ("" = an organization of their own each, so a
    # stranger never shares tickets with other strangers of the same mail provider).
    inbound_default_topic: str = Field("", max_length=40)
    inbound_unknown_sender: Literal["create", "reject", "drop"] = "create"
    inbound_default_org: str = Field("", max_length=64)
    # Notifications. Customer alerts: the secure notification and the acknowledgement; support
    # alerts: a customer wrote. Support alerts go to the assignee, else the team's address,
    # else `support_address` (empty: nobody by mail; the console still shows the ticket).
    acknowledge_customer_messages: bool = True
    support_address: Literal[""] | EmailAddress = ""
    customer_alert_recipients: AlertRecipients = Field(default_factory=AlertRecipients)
    support_alert_recipients: AlertRecipients = Field(default_factory=AlertRecipients)
    # The admin's wording of any mail the portal sends, per template and language. Each is
    # rendered when saved (update_portal_settings), not when loaded: a wording stored before a
    # check existed must not stop the settings from loading, and the mail path falls back to
    # the built-in text for it (services/mail_templates.py).
    notification_templates: dict[MailTemplate, dict[Language, TemplateOverride]] = Field(
        default_factory=dict
    )
    # Sign-in with OpenID providers (services/oidc_config.py: references to secrets only).
    sso_providers: OidcProviders = Field(default_factory=list)

    @field_validator("troubleshooters")
    @classmethod
    def _troubleshooters_fit_topics(
        cls, value: list[TroubleshooterForm], info: ValidationInfo
    ) -> list[TroubleshooterForm]:
        ids = [form.id for form in value]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"troubleshooter ids must be unique: {', '.join(duplicates)}")
        # Only when the topics themselves are valid (else their own error says what is wrong).
        topics = info.data.get("topics")
        if topics is not None:
            known = {t.id for t in topics}
            for form in value:
                if form.topic not in known:
                    # Checked here rather than when a ticket is opened: a form nobody can send
                    # would only fail in front of the customer.
                    raise ValueError(
                        f"troubleshooter '{form.id}' uses the topic '{form.topic}', "
                        "which is not one of the configured topics"
                    )
        return value

    def topic(self, topic_id: str) -> Topic | None:
        return next((t for t in self.topics if t.id == topic_id), None)

    def topic_name(self, topic_id: str, language: str) -> str:
        """A topic as customers reading `language` see it named (a topic since removed: its
        id)."""
        topic = self.topic(topic_id)
        return topic.name_in(language) if topic else topic_id

    def troubleshooter(self, form_id: str) -> TroubleshooterForm | None:
        return next((f for f in self.troubleshooters if f.id == form_id), None)

    def customer_topics(self) -> list[Topic]:
        """The topics a customer may see and choose: all but the hidden ones."""
        return [t for t in self.topics if t.id not in self.hidden_topics]

    def hides(self, topic: str | None, channel: str | None) -> bool:
        """The visibility rules: a ticket of a hidden topic or channel is not the customer's to
        see by any path (lists, detail, folders, feed, mail, live updates)."""
        return topic in self.hidden_topics or channel in self.hidden_channels


_cache: tuple[float, PortalSettings] | None = None


def get_portal_settings() -> PortalSettings:
    """Read on every request by the authorizer, so cached per warm Lambda for a few seconds."""
    global _cache
    now = clock.now()
    if _cache and now - _cache[0] < _CACHE_SECONDS:
        return _cache[1]
    item = store.get_settings_item()
    settings = PortalSettings.model_validate({**PortalSettings().model_dump(), **item.data})
    _cache = (now, settings)
    return settings


def public_settings(settings: PortalSettings) -> SettingsValues:
    """Every setting, as the admin's page reads and sends them back (the shape lists each one;
    the tests compare every answer with it)."""
    return cast("SettingsValues", settings.model_dump())


def forget_cached_settings() -> None:
    global _cache
    _cache = None


def update_portal_settings(actor: Principal, changes: dict[str, Any]) -> PortalSettings:
    """PATCH semantics: a setting absent from `changes` keeps its value, and a map (the mail
    template overrides, the alert recipients) is merged key by key, a key going only when it is
    explicitly null. A page that shows part of a map, or an older page, cannot drop the rest."""
    _refuse_unsafe_portal_name(changes)
    _refuse_unshown_links(changes)
    _refuse_broken_templates(changes)
    refuse_unusable(actor, changes)
    item = store.get_settings_item()
    current = {**PortalSettings().model_dump(), **item.data}
    merged = {
        key: _translations_kept(key, current.get(key), _merged(current.get(key), value))
        for key, value in changes.items()
    }
    try:
        updated = PortalSettings.model_validate({**current, **merged})
    except ValidationError as exc:
        raise InvalidInput("Some settings are not valid.", details=_errors(exc)) from exc
    saved = updated.model_dump()
    store.save_settings_item(item, saved, clock.now())
    forget_cached_settings()
    changed = sorted(k for k in changes if current.get(k) != saved.get(k))
    audit.record("settings.update", actor=actor, target="portal", details={
        "changed": changed,
        "changes": audit.differences(
            {k: current.get(k) for k in changed}, {k: saved.get(k) for k in changed}
        ),
    })
    return updated


def _merged(current: Any, change: Any) -> Any:
    """`change` laid over `current`: maps key by key (null removes a key), anything else
    replaced whole (a list of topics is the new list)."""
    if not (isinstance(change, dict) and isinstance(current, dict)):
        return change
    result = dict(current)
    for key, value in change.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = _merged(current.get(key), value)
    return result


# A list whose items carry translations, and the key they are under.
_TRANSLATED_LISTS = {"topics": "names", "troubleshooters": "translations"}


def _translations_kept(key: str, current: Any, change: Any) -> Any:
    """A topic or form sent without its translations keeps those it had (matched by id): a
    client that does not edit them (an older page, an API script) must not drop them. Sent,
    even empty, they are replaced."""
    translated = _TRANSLATED_LISTS.get(key)
    if translated is None or not isinstance(change, list) or not isinstance(current, list):
        return change
    before = {
        item.get("id"): item[translated] for item in current
        if isinstance(item, dict) and translated in item
    }
    return [
        {**item, translated: before[item.get("id")]}
        if isinstance(item, dict) and translated not in item and item.get("id") in before
        else item
        for item in change
    ]


def _refuse_broken_templates(changes: dict[str, Any]) -> None:
    """Each mail wording being saved is rendered in its language with sample data, under the
    sandbox's limits: one that would fail when sent is refused now, naming the mail, the
    language and the reason. Checked here, not in PortalSettings, so wordings stored before
    the check still load (the mail path falls back to the built-in text for them)."""
    if "notification_templates" not in changes:
        return
    from chalicelib.services import mail_templates

    name = changes.get("portal_name")
    portal_name = name if isinstance(name, str) and name else get_portal_settings().portal_name
    mail_templates.refuse_broken(changes["notification_templates"], portal_name)


def _refuse_unsafe_portal_name(changes: dict[str, Any]) -> None:
    """The portal name is the display name of every mail's From: a line break or a control
    character in it is refused when saved. Checked here, not in PortalSettings, so a name stored
    before the check still loads; the mail path cleans what it sends whatever is stored."""
    name = changes.get("portal_name")
    if isinstance(name, str) and not outbound.fits_in_header(name):
        raise InvalidInput(
            "Some settings are not valid.",
            details=[{
                "field": "portal_name",
                "message": "The portal name may not contain line breaks or control characters.",
            }],
        )


def _refuse_unshown_links(changes: dict[str, Any]) -> None:
    """A link in the announcement that the pages would not show as one (javascript:, data:,
    http:, a relative or malformed address) is refused when saved, quoting it, rather than left
    for the admin to discover on the portal. Checked here, not in PortalSettings, so an
    announcement stored before the check still loads: the pages show such a link as the text
    typed. Too long is the model's to say."""
    text = changes.get("announcement")
    if not isinstance(text, str) or len(text) > ANNOUNCEMENT_MAX_LENGTH:
        return
    from chalicelib.services import markup

    refused = markup.parse(text).refused
    if refused:
        raise InvalidInput(
            "Some settings are not valid.",
            details=[{
                "field": "announcement",
                "code": "invalid_format",
                "message": f"Announcement: {refused[0]} is not a link the portal can show. "
                "Write [text](https://...) or [text](mailto:...), or put a \\ before the [ "
                "to show the brackets as they are.",
            }],
        )


def _errors(exc: ValidationError) -> list[dict[str, str]]:
    return [
        {"field": ".".join(str(p) for p in err["loc"]), "message": err["msg"]}
        for err in exc.errors()
    ]
