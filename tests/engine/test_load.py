"""Load: one stack with 100 RefreshedAccessToken resources against a flaky, slow emulator."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.support.engine import StackFactory
from tests.support.leaks import assert_no_leaks
from tests.support.stacks import emulator_stack
from vcf_provider.testing import SddcManagerEmulator

pytestmark = [pytest.mark.engine, pytest.mark.load]

RESOURCES = 100
PROGRAM = f"""
import pulumi
from vcf_provider import RefreshedAccessToken

config = pulumi.Config("vcf")
tokens = [
    RefreshedAccessToken(f"token-{{n:03d}}", max_retries=5)
    for n in range({RESOURCES})
]
pulumi.export("count", len(tokens))
"""


def test_a_hundred_tokens_are_created_despite_ten_percent_503s(
    new_stack: StackFactory, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with SddcManagerEmulator(
        latency_seconds=0.05, failure_rate=0.10, failure_seed=7, state_dir=tmp_path / "sddc"
    ) as emulator:
        stack = emulator_stack(new_stack, emulator, PROGRAM)

        started = time.monotonic()
        stack.up("--parallel", "16")
        wall = time.monotonic() - started

        created = stack.resources("pulumi-python:dynamic/vcf:RefreshedAccessToken")
        requests = emulator.count("PATCH", "/v1/tokens/access-token/refresh")
        assert len(created) == RESOURCES
        assert requests >= RESOURCES
        assert len(emulator.issued_access_tokens) == RESOURCES
        with capsys.disabled():
            print(
                f"\n[load] {RESOURCES} tokens created in {wall:.1f} s; {requests} refresh requests, "
                f"{requests - RESOURCES} retries after injected 503s (10%, 50 ms latency)"
            )
        assert_no_leaks(stack.artifacts(), [*emulator.live_refresh_tokens, *emulator.issued_access_tokens])
