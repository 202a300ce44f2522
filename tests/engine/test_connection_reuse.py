"""Connection reuse on the real engine: N tokens for one manager cost at most one TLS connection
per concurrent provider call (the engine runs four), counted by the emulator, never timed."""

from __future__ import annotations

import pytest

from tests.support.engine import StackFactory
from tests.support.leaks import audit_stack
from tests.support.stacks import emulator_stack
from vcf_provider.api.transport import POOL_SIZE
from vcf_provider.testing import SddcManagerEmulator

pytestmark = pytest.mark.engine

TOKENS = 24
PROGRAM = f"""
from vcf_provider import RefreshedAccessToken
for n in range({TOKENS}):
    RefreshedAccessToken(f"token-{{n:02d}}")
"""


def test_many_creates_in_one_up_share_a_few_connections(
    new_stack: StackFactory, sddc_manager: SddcManagerEmulator
) -> None:
    stack = emulator_stack(new_stack, sddc_manager, PROGRAM)

    stack.up()

    assert sddc_manager.count("PATCH", "/v1/tokens/access-token/refresh") == TOKENS
    assert 1 <= sddc_manager.connections_accepted <= POOL_SIZE
    audit_stack(stack, sddc_manager)
