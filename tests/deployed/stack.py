"""The emulated account with the stack deployed, and the parts that stand in for AWS around the
functions: API Gateway and CloudFront (gateway.py), the event sources (sources.py)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.deployed.account import Account, Deployed, MotoServer, deploy, publish_assets
from tests.deployed.gateway import RestApi, WebSocketApi
from tests.deployed.runtime import LambdaService
from tests.deployed.sources import Sources


@dataclass
class Stack:
    server: MotoServer
    account: Account
    deployed: Deployed
    functions: LambdaService
    api: RestApi
    websocket: WebSocketApi
    sources: Sources

    def sent_mails(self) -> list[dict[str, Any]]:
        return self.server.sent_mails()

    def stop(self) -> None:
        self.functions.stop()
        self.server.stop()


def start_stack(cdk_out: Path, template_path: Path, stack_name: str, workdir: Path) -> Stack:
    """moto's server, the assets published, the stack created: what `cdk deploy` leaves."""
    server = MotoServer(workdir / "moto.log")
    try:
        account = Account(server.endpoint)
        publish_assets(account, cdk_out)
        deployed = deploy(account, json.loads(template_path.read_text()), stack_name)
    except BaseException:
        server.stop()
        raise
    functions = LambdaService(account, deployed.template, workdir)
    return Stack(server, account, deployed, functions, RestApi(account, deployed, functions),
                 WebSocketApi(deployed, functions), Sources(account, deployed, functions))
