"""The functional tier's shared cast, defined once: who is in the office and how a test reaches
them. The moto account, the client and the factories come from tests/conftest.py.

- `cast`: people made on first mention (conversation_support.Cast), for conversations;
- `office`: Acme's Alice and Bob, Globex's Carol and the agent Sam, with their mail addresses
  (inbound_support.Office), for mail in and out;
- `desk`: Alice and Sam with the notification helpers (notification_support.Desk);
- `stream`: the messages table's stream, read and handed to the stream handler as Lambda would.
"""

from __future__ import annotations

import pytest

from tests.functional.conversation_support import Cast
from tests.functional.inbound_support import Office
from tests.functional.notification_support import Desk, Stream


@pytest.fixture
def cast(api, make_org, make_user, fake_clock) -> Cast:
    return Cast(api, make_org, make_user)


@pytest.fixture
def office(api, make_org, make_user, fake_clock) -> Office:
    return Office(api, make_org, make_user)


@pytest.fixture
def desk(api, make_org, make_user) -> Desk:
    return Desk(api, make_org, make_user)


@pytest.fixture
def stream(aws) -> Stream:
    return Stream()
