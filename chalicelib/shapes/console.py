"""What the console's pages read before anything else: every topic and team."""

from __future__ import annotations

from typing_extensions import TypedDict

from chalicelib.shapes.attachments import AttachmentLimits
from chalicelib.shapes.settings import SettingsTopic


class ConsoleConfig(TypedDict):
    topics: list[SettingsTopic]  # hidden ones too
    teams: list[str]  # the ids of the teams the topics go to, sorted
    team_names: dict[str, str]  # team id → name (a team without a record: its id)
    max_message_length: int
    attachments: AttachmentLimits  # what the drop zones say and check first
