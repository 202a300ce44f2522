"""What a user reads first when something fails: one summary line, then what to do; never a secret."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.support.engine import StackFactory
from tests.support.leaks import audit_stack
from tests.support.routes import TYPE_PAIR as PAIR
from tests.support.routes import TYPE_TOKEN
from tests.support.stacks import (
    PAIR_PROGRAM,
    emulator_stack,
    first_error_line,
    preview_with_pack,
    token_stack,
)
from vcf_provider.testing import DEFAULT_PASSWORD, SddcManagerEmulator

pytestmark = pytest.mark.engine

BUGGY_PROGRAM = """
import pulumi
from pulumi.dynamic import Resource
from vcf_provider.provider import RefreshedAccessTokenProvider

class Buggy(RefreshedAccessTokenProvider):
    def create(self, props):
        return {}["a bug in the provider"]

class BuggyToken(Resource, module="test", name="BuggyToken"):
    def __init__(self, name):
        super().__init__(Buggy(), name, {"host": "sddc.example.test", "refresh_token": "x"})

BuggyToken("buggy")
"""


def progress_lines(stdout: str, name: str) -> list[str]:
    """The resource's lines in the live progress view (above Diagnostics)."""
    return [line for line in stdout.split("Diagnostics:", 1)[0].splitlines() if f" {name} " in line]


def test_an_unknown_refresh_token_reads_as_one_summary_line_then_the_payload_and_hint(
    new_stack: StackFactory, sddc_manager: SddcManagerEmulator
) -> None:
    stack = token_stack(new_stack, sddc_manager)
    sddc_manager.revoke_all()

    result = stack.up(check=False)

    assert result.returncode != 0
    first = first_error_line(result)
    assert first.startswith("refreshing the access token failed: HTTP 404 Not Found from PATCH https://")
    failed = [line for line in progress_lines(result.stdout, "sddc-token") if "failed" in line]
    assert failed
    assert "error: refreshing the access token failed: HTTP 404" in failed[-1]
    assert "errorCode: REFRESH_TOKEN_NOT_FOUND" in result.stdout
    assert "hint: SDDC Manager no longer accepts this refresh token" in result.stdout
    assert "Traceback" not in result.stdout
    audit_stack(stack, sddc_manager)


def test_a_bug_keeps_its_traceback(new_stack: StackFactory) -> None:
    stack = new_stack(BUGGY_PROGRAM)

    result = stack.up(check=False)

    assert result.returncode != 0
    assert "Traceback (most recent call last):" in result.stdout
    assert "KeyError: 'a bug in the provider'" in result.stdout


def test_a_host_with_a_wrong_path_prefix_is_not_called_an_unknown_refresh_token(
    new_stack: StackFactory, sddc_manager: SddcManagerEmulator
) -> None:
    stack = token_stack(new_stack, sddc_manager, host=sddc_manager.url + "/api")

    result = stack.up(check=False)

    assert result.returncode != 0
    assert first_error_line(result).startswith(
        "refreshing the access token failed: HTTP 404 Not Found from PATCH "
        f"{sddc_manager.url}/api/v1/tokens/access-token/refresh"
    )
    assert "hint: there is no token API at this URL" in result.stdout
    assert "no longer accepts this refresh token" not in result.stdout
    audit_stack(stack, sddc_manager)


def test_a_manager_gone_at_delete_names_pulumi_state_delete_with_the_urn(
    new_stack: StackFactory, tmp_path: Path
) -> None:
    with SddcManagerEmulator() as doomed:
        stack = emulator_stack(new_stack, doomed, PAIR_PROGRAM, login=True)
        kept_ca = tmp_path / "ca.pem"
        shutil.copy(doomed.ca_path, kept_ca)
        stack.set_config("vcf:caBundle", str(kept_ca))
        stack.up()
        (pair,) = stack.resources(PAIR)
    # The manager is gone for good: nothing listens on its port any more.

    result = stack.destroy(check=False)

    assert result.returncode != 0
    first = first_error_line(result, PAIR)
    assert first.startswith("revoking the refresh token failed: no answer from DELETE https://127.0.0.1:")
    assert f"`pulumi state delete '{pair['urn']}'`" in result.stdout
    assert "HTTPSConnection" not in result.stdout
    assert "Traceback" not in result.stdout
    stack.run("state", "delete", pair["urn"], "--yes")
    assert stack.resources(PAIR) == []
    audit_stack(stack, doomed, extra=[DEFAULT_PASSWORD])


def test_input_warnings_attach_to_the_resource_at_preview(
    new_stack: StackFactory, sddc_manager: SddcManagerEmulator
) -> None:
    stack = token_stack(
        new_stack, sddc_manager, renew_before_seconds=3600, timeout_seconds=600, max_retries=3
    )

    result = stack.preview()

    warnings = result.stdout.split("Diagnostics:", 1)[1]
    section = warnings.split(f"  {TYPE_TOKEN} (sddc-token):", 1)[1]
    assert "warning: renew_before_seconds=3600 is not shorter than an SDDC Manager access token" in section
    assert "warning: timeout_seconds=600 with max_retries=3 lets an SDDC Manager" in section
    assert "refreshing it" not in result.stdout
    assert sddc_manager.count() == 0


def test_a_policy_config_that_contradicts_itself_fails_the_preview(
    new_stack: StackFactory, sddc_manager: SddcManagerEmulator
) -> None:
    stack = token_stack(new_stack, sddc_manager, ca_bundle=str(sddc_manager.ca_path))

    code, out = preview_with_pack(stack, {"vcf-renewal-window": {"minSeconds": 900, "maxSeconds": 600}})

    assert code != 0
    assert "vcf-renewal-window contradicts itself: minSeconds (900) is above maxSeconds (600)" in out
