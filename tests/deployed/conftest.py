"""The deployed tier: the synthesised stack created in moto's CloudFormation on moto's server,
its packaged functions run as Lambda runs them. See tests/deployed/account.py (the stack and
what is stubbed), runtime.py (the functions), gateway.py (API Gateway and CloudFront) and
sources.py (streams, queues, schedules, SNS and SES receiving)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.deployed.stack import Stack, start_stack
from tests.infra.conftest import STACK, Synthesis, host_synthesis  # noqa: F401 - the shared synth


@pytest.fixture(scope="module")
def stack(host_synthesis: Synthesis,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The stack built for this machine's architecture, so its functions run here; the
    deployer's synthesis (arm64) is checked by tests/infra."""
    synthesis = host_synthesis
    started = start_stack(synthesis.outdir, synthesis.template_path, STACK,
                          tmp_path_factory.mktemp("deployed"))
    try:
        yield started
    finally:
        started.stop()
