"""Issue 11 on the real engine: per-attempt deadlines, logins sent once, redaction of echoed
secrets, malformed Retry-After, clock skew, and `host` spellings. Each case ends with the leak audit."""

from __future__ import annotations

import json
import re
import time

import pytest

from tests.support.engine import StackFactory
from tests.support.leaks import audit_stack
from tests.support.routes import LOGIN, REFRESH, TYPE_TOKEN
from tests.support.routes import TYPE_PAIR as PAIR
from tests.support.stacks import emulator_stack, first_error_line, token_stack
from vcf_provider.api import retry
from vcf_provider.testing import DEFAULT_PASSWORD, DEFAULT_USERNAME, Fault, SddcManagerEmulator, vcf_error

pytestmark = pytest.mark.engine

#: What a `pulumi up` costs beyond the provider's own time: starting the CLI, program and plugin.
ENGINE_OVERHEAD_SECONDS = 20.0


def pair_program(**arguments: object) -> str:
    rendered = ", ".join(f"{name}={value!r}" for name, value in arguments.items())
    return f"""
import pulumi
from vcf_provider import AccessTokenPair
pair = AccessTokenPair("login", {rendered})
pulumi.export("created_at", pair.created_at)
"""


def test_a_trickling_server_fails_the_refresh_within_the_deadline_rule(
    new_stack: StackFactory, sddc_manager: SddcManagerEmulator
) -> None:
    stack = token_stack(new_stack, sddc_manager, timeout_seconds=2, max_retries=1)
    sddc_manager.script(*REFRESH, Fault.trickled(0.5), Fault.trickled(0.5))
    started = time.monotonic()

    result = stack.up(check=False)

    elapsed = time.monotonic() - started
    assert result.returncode != 0
    assert elapsed <= retry.worst_case_seconds(2, 1, 0.5, retry_after=False) + ENGINE_OVERHEAD_SECONDS
    assert first_error_line(result).endswith("after 2 attempts: no complete answer within 2 s.")
    assert sddc_manager.count(*REFRESH) == 2
    assert stack.resources(TYPE_TOKEN) == []
    audit_stack(stack, sddc_manager)


def test_a_slow_login_is_sent_once_and_says_why(
    new_stack: StackFactory, sddc_manager: SddcManagerEmulator
) -> None:
    stack = emulator_stack(
        new_stack, sddc_manager, pair_program(timeout_seconds=2, max_retries=3), login=True
    )
    sddc_manager.script(*LOGIN, Fault.late(4))
    started = time.monotonic()

    result = stack.up(check=False)

    assert result.returncode != 0
    assert time.monotonic() - started <= 2 + ENGINE_OVERHEAD_SECONDS
    assert sddc_manager.count(*LOGIN) == 1
    assert len(sddc_manager.live_refresh_tokens) == 1, "one orphan at most, never one per retry"
    assert first_error_line(result, PAIR) == (
        f"creating a token pair failed: no answer from POST {sddc_manager.url}/v1/tokens after 1 attempt: "
        "no complete answer within 2 s."
    )
    assert "is never sent twice once it may have reached SDDC Manager" in result.stdout
    audit_stack(stack, sddc_manager, extra=[DEFAULT_PASSWORD])


def test_a_password_echoed_back_escaped_never_shows(
    new_stack: StackFactory, sddc_manager: SddcManagerEmulator
) -> None:
    password = 'N€w"Pass\\wörd%2F'
    stack = emulator_stack(
        new_stack, sddc_manager, pair_program(max_retries=0), login=True, password=password
    )
    echo = json.dumps({"username": DEFAULT_USERNAME, "password": password})
    sddc_manager.script(
        *LOGIN, Fault.error(400, vcf_error("BAD_SPEC", f"Cannot read {echo}", "Fix the body."))
    )

    result = stack.up(check=False)

    assert result.returncode != 0
    assert first_error_line(result, PAIR).startswith("creating a token pair failed: HTTP 400 Bad Request")
    assert "errorCode: BAD_SPEC" in result.stdout
    audit_stack(stack, sddc_manager, extra=[password])


def test_a_malformed_retry_after_is_retried_and_the_last_payload_is_shown(
    new_stack: StackFactory, sddc_manager: SddcManagerEmulator
) -> None:
    stack = token_stack(new_stack, sddc_manager, max_retries=2)
    unavailable = Fault.error(
        503,
        vcf_error("UPGRADE_IN_PROGRESS", "An upgrade is running.", "Retry after it ends."),
        **{"Retry-After": "soon"},
    )
    sddc_manager.script(*REFRESH, unavailable, unavailable, unavailable)

    result = stack.up(check=False)

    assert result.returncode != 0
    assert sddc_manager.count(*REFRESH) == 3
    assert first_error_line(result).startswith(
        "refreshing the access token failed: HTTP 503 Service Unavailable"
    )
    assert "errorCode: UPGRADE_IN_PROGRESS" in result.stdout
    assert "Invalid Retry-After" not in result.stdout
    audit_stack(stack, sddc_manager)


@pytest.mark.parametrize("offset", [-7200, 7200])
def test_a_skewed_manager_clock_is_reported_on_the_resource_and_renewal_stays_calm(
    new_stack: StackFactory, sddc_manager: SddcManagerEmulator, offset: int
) -> None:
    stack = token_stack(new_stack, sddc_manager)
    sddc_manager.clock_offset_seconds = offset

    created = stack.up()

    section = created.stdout.split("Diagnostics:", 1)[1].split(f"  {TYPE_TOKEN} (sddc-token):", 1)[1]
    reported = re.search(r"warning: this machine's clock and SDDC Manager's differ by about (\d+) s", section)
    assert reported is not None
    assert abs(int(reported.group(1)) - abs(offset)) <= 2, "the difference, give or take the network time"
    assert "Check NTP on both" in section
    if offset < 0:
        assert "arrived already expired by this machine's clock" in section
    # Renewal follows the token's own lifetime: no refresh on the next runs, either way.
    stack.up()
    assert stack.preview().stdout.count("~ ") == 0
    assert sddc_manager.count(*REFRESH) == 1
    audit_stack(stack, sddc_manager)


def test_the_same_host_spelled_differently_is_no_change(
    new_stack: StackFactory, sddc_manager: SddcManagerEmulator
) -> None:
    port = sddc_manager.port
    stack = token_stack(new_stack, sddc_manager, host=f"127.0.0.1:{port}")
    stack.up()
    program = (stack.work_dir / "__main__.py").read_text()

    for spelling in (f"https://127.0.0.1:{port}/", f"HTTPS://127.0.0.1:{port}", f"127.0.0.1:{port}/"):
        (stack.work_dir / "__main__.py").write_text(program.replace(f"'127.0.0.1:{port}'", repr(spelling)))
        preview = stack.preview("--diff")
        assert "replace" not in preview.stdout
        assert "to update" not in preview.stdout
    stack.up()  # the last spelling: stored, and still no refresh

    assert sddc_manager.count(*REFRESH) == 1
    audit_stack(stack, sddc_manager)


@pytest.mark.parametrize("suffix", ["", ":99999"])
def test_a_host_holding_a_password_fails_preview_without_printing_it(
    new_stack: StackFactory, sddc_manager: SddcManagerEmulator, suffix: str
) -> None:
    password = "Hunter2Secret"
    host = f"https://admin:{password}@127.0.0.1{suffix or f':{sddc_manager.port}'}"
    stack = token_stack(new_stack, sddc_manager, host=host)

    preview = stack.preview(check=False)

    assert preview.returncode != 0
    assert "host must not hold credentials" in preview.output
    assert password not in preview.output
    assert sddc_manager.count() == 0
