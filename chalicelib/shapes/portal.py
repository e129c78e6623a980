"""What the portal's pages read before anything else: the branding every page shows (signed in
or not) and what the ticket pages need."""

from __future__ import annotations

from typing import Literal

from typing_extensions import TypedDict

from chalicelib.shapes.attachments import AttachmentLimits
from chalicelib.shapes.settings import SettingsBannerLink
from chalicelib.shapes.troubleshooters import OfferedTroubleshooter


class PortalBranding(TypedDict):
    portal_name: str
    logo_url: str | None
    primary_color: str
    accent_color: str
    banner_links: list[SettingsBannerLink]
    announcement: str
    self_registration: bool
    magic_link_sign_in: bool  # the sign-in page offers "Email me a sign-in link"
    default_language: Literal["en", "fr", "pl"]


class PortalTopic(TypedDict):
    id: str
    name: str


class PortalConfig(TypedDict):
    portal_name: str
    topics: list[PortalTopic]  # those customers may open tickets in
    status_display: Literal["simple", "full"]
    org_view: bool  # the caller may list the organization's tickets
    max_message_length: int
    troubleshooters: list[OfferedTroubleshooter]
    attachments: AttachmentLimits  # what the drop zones say and check first
