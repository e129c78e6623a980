"""What the admin's settings routes answer: every portal setting (services/settings.py
PortalSettings holds the rules; a setting added there is added here, or the tests refuse the
answer)."""

from __future__ import annotations

from typing import Literal

from typing_extensions import TypedDict

from chalicelib.shapes.oidc import SettingsSsoProvider


class SettingsBannerLink(TypedDict):
    label: str
    url: str


class SettingsTopic(TypedDict):
    id: str
    name: str
    team_id: str


class SettingsTranslatedTopic(SettingsTopic):
    """A topic as the admin edits it: with its name in other languages."""

    names: dict[str, str]  # language → the name customers reading it see; else `name`


class SettingsTroubleshooterQuestion(TypedDict):
    text: str
    options: list[str]  # none: the answer is free text


class SettingsTroubleshooterWording(TypedDict):
    """A form in another language; empty: the form's own words."""

    name: str
    intro: str
    questions: list[SettingsTroubleshooterQuestion]  # all the form's, in order, or none


class SettingsTroubleshooterForm(TypedDict):
    id: str
    name: str
    topic: str
    intro: str
    questions: list[SettingsTroubleshooterQuestion]
    translations: dict[str, SettingsTroubleshooterWording]  # by language


class SettingsAlertRecipients(TypedDict):
    to: list[str]
    cc: list[str]
    bcc: list[str]


class SettingsMailWording(TypedDict):
    """The admin's wording of one mail in one language; null keeps the built-in text."""

    subject: str | None
    body: str | None


class SettingsValues(TypedDict):
    portal_name: str
    logo_url: str
    primary_color: str
    accent_color: str
    banner_links: list[SettingsBannerLink]
    announcement: str
    default_language: Literal["en", "fr", "pl"]
    self_registration: bool
    magic_link_sign_in: bool
    require_second_factor_staff: bool
    idle_timeout_minutes: int
    absolute_lifetime_hours: int
    topics: list[SettingsTranslatedTopic]
    author_display: Literal["none", "team", "agent_name", "custom"]
    team_display_name: str
    author_custom_text: str
    status_display: Literal["simple", "full"]
    org_view_enabled: bool
    followers_outside_org: bool
    trash_retention_days: int
    reopen_window_days: int
    auto_close_days: int
    troubleshooters: list[SettingsTroubleshooterForm]
    hidden_topics: list[str]
    hidden_channels: list[Literal["portal", "email", "troubleshooter", "agent"]]
    attachment_max_bytes: int
    attachments_per_ticket: int
    attachment_types: list[str]  # MIME types
    inbound_default_topic: str
    inbound_unknown_sender: Literal["create", "reject", "drop"]
    inbound_default_org: str
    acknowledge_customer_messages: bool
    support_address: str
    customer_alert_recipients: SettingsAlertRecipients
    support_alert_recipients: SettingsAlertRecipients
    notification_templates: dict[str, dict[str, SettingsMailWording]]  # per mail, per language
    sso_providers: list[SettingsSsoProvider]  # OpenID sign-in (shapes/oidc.py)


class SettingsAnswer(TypedDict):
    settings: SettingsValues
