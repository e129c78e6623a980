"""Every table the app uses, in one list: the local run, the tests and infra/ create them from
it."""

from __future__ import annotations

from pynamodb.models import Model

from chalicelib.data.attachments import AttachmentModel
from chalicelib.data.audit import AuditModel
from chalicelib.data.canned import CannedModel
from chalicelib.data.counters import CounterModel
from chalicelib.data.customers import CustomerTermModel
from chalicelib.data.followers import FollowerModel
from chalicelib.data.inbound import InboundModel
from chalicelib.data.live import ConnectionModel
from chalicelib.data.mail_threads import MailThreadModel
from chalicelib.data.mail_windows import MailWindowModel
from chalicelib.data.mailbox import MailboxModel
from chalicelib.data.messages import MessageModel
from chalicelib.data.notifications import NotificationModel
from chalicelib.data.orgs import OrgModel
from chalicelib.data.outbox import OutboxModel
from chalicelib.data.passkeys import ChallengeModel, PasskeyModel
from chalicelib.data.presence import PresenceModel
from chalicelib.data.reads import ReadModel
from chalicelib.data.search import PostingModel
from chalicelib.data.second_factor import SecondFactorModel
from chalicelib.data.sessions import SessionModel
from chalicelib.data.settings import SettingsModel
from chalicelib.data.suppressions import SuppressionModel
from chalicelib.data.teams import TeamModel
from chalicelib.data.throttles import ThrottleModel
from chalicelib.data.tickets import TicketModel
from chalicelib.data.tokens import TokenModel
from chalicelib.data.users import UserEmailModel, UserModel

MODELS: list[type[Model]] = [
    UserModel,
    UserEmailModel,
    SessionModel,
    ThrottleModel,
    TokenModel,
    AuditModel,
    OrgModel,
    SettingsModel,
    TeamModel,
    CounterModel,
    TicketModel,
    MessageModel,
    MailboxModel,
    ReadModel,
    NotificationModel, OutboxModel, MailThreadModel, MailWindowModel, SuppressionModel,
    ConnectionModel,
    InboundModel,
    AttachmentModel,
    FollowerModel,
    PostingModel,
    CannedModel,
    CustomerTermModel,
    PresenceModel,
    PasskeyModel,
    ChallengeModel,
    SecondFactorModel,
]


def create_tables() -> None:
    for model in MODELS:
        if model.exists():
            continue
        # Streams, where a handler reads one, are declared on the model (Meta.stream_view_type).
        model.create_table(billing_mode="PAY_PER_REQUEST", wait=True)
