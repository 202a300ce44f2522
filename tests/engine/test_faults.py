"""The fault matrix on the real engine: what `pulumi up` shows, how many requests, what state remains.

Cases that are pure client logic (Retry-After, 429, hangs, huge or undecodable bodies, hostname
mismatch) are in tests/unit/test_client.py; every engine case here ends with the leak audit.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

from tests.support.engine import PulumiStack, StackFactory
from tests.support.leaks import audit_stack
from tests.support.routes import LOGIN, REFRESH, TYPE_PAIR, TYPE_TOKEN
from tests.support.stacks import PAIR_PROGRAM, emulator_stack, first_error_line, token_program, token_stack
from tests.support.waiting import wait_until
from vcf_provider.testing import Fault, SddcManagerEmulator, vcf_error
from vcf_provider.testing.signing import make_jwt

pytestmark = pytest.mark.engine

#: How soon after the CLI terminates an in-flight request must end ("about two seconds").
SIGINT_GRACE_SECONDS = 2.5


def test_two_503s_then_200_succeeds_with_three_requests(
    new_stack: StackFactory, sddc_manager: SddcManagerEmulator
) -> None:
    stack = token_stack(new_stack, sddc_manager)
    busy = Fault.error(503, vcf_error("BUSY", "Busy.", "Retry later."))
    sddc_manager.script(*REFRESH, busy, busy)

    stack.up()

    assert sddc_manager.count(*REFRESH) == 3
    assert len(stack.resources(TYPE_TOKEN)) == 1
    audit_stack(stack, sddc_manager)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_connection_refused_fails_the_create_and_leaves_nothing(
    new_stack: StackFactory, sddc_manager: SddcManagerEmulator
) -> None:
    closed_port = free_port()
    stack = token_stack(new_stack, sddc_manager, host=f"127.0.0.1:{closed_port}", max_retries=1)

    result = stack.up(check=False)

    assert result.returncode != 0
    assert first_error_line(result) == (
        f"refreshing the access token failed: no answer from PATCH https://127.0.0.1:{closed_port}"
        "/v1/tokens/access-token/refresh after 2 attempts: Connection refused."
    )
    assert "Traceback" not in result.stdout
    assert stack.resources(TYPE_TOKEN) == []
    audit_stack(stack, sddc_manager)


def test_a_redirect_fails_and_the_other_port_receives_nothing(
    new_stack: StackFactory, sddc_manager: SddcManagerEmulator, tmp_path: Path
) -> None:
    with SddcManagerEmulator(state_dir=tmp_path / "elsewhere") as elsewhere:
        stack = token_stack(new_stack, sddc_manager)
        sddc_manager.script(*REFRESH, Fault.redirect(elsewhere.url + REFRESH[1]))

        result = stack.up(check=False)

        assert result.returncode != 0
        assert f"a redirect to 127.0.0.1:{elsewhere.port}. Redirects are never followed" in result.stdout
        assert elsewhere.count() == 0
        assert sddc_manager.count(*REFRESH) == 1
        audit_stack(stack, sddc_manager, elsewhere)


def test_a_200_that_is_not_a_token_is_reported_without_its_body(
    new_stack: StackFactory, sddc_manager: SddcManagerEmulator
) -> None:
    stack = token_stack(new_stack, sddc_manager)
    sddc_manager.script(*REFRESH, Fault.raw(200, "opaque-value-that-could-be-a-credential-0123456789"))

    result = stack.up(check=False)

    assert result.returncode != 0
    assert first_error_line(result).startswith(
        "refreshing the access token: SDDC Manager answered 2xx with a "
    )
    assert "not shown: it may be a credential" in result.stdout
    assert "opaque-value-that-could-be" not in result.stdout
    assert stack.resources(TYPE_TOKEN) == []


def test_a_token_without_exp_works_and_renews_only_on_triggers(
    new_stack: StackFactory, sddc_manager: SddcManagerEmulator
) -> None:
    stack = token_stack(new_stack, sddc_manager)
    sddc_manager.script(*REFRESH, Fault.raw(200, make_jwt(sub="admin", iat=int(time.time()))))

    stack.up()
    assert stack.outputs().get("expires_at") is None
    assert stack.resources(TYPE_TOKEN)[0]["outputs"].get("expires_at") is None
    stack.up()
    assert sddc_manager.count(*REFRESH) == 1, "no exp: nothing to renew"

    stack.set_config("test:rotation", "2")
    stack.up()
    assert sddc_manager.count(*REFRESH) == 2
    assert stack.outputs()["expires_at"] is not None


def test_an_unknown_ca_points_at_ca_bundle(
    new_stack: StackFactory, sddc_manager: SddcManagerEmulator
) -> None:
    # No CA anywhere: the program names none, and the stack config has none.
    stack = emulator_stack(new_stack, sddc_manager, token_program(host=sddc_manager.url), connection=False)

    result = stack.up(check=False)

    assert result.returncode != 0
    assert first_error_line(result).startswith(
        f"refreshing the access token failed: TLS with {sddc_manager.url}/v1/tokens/access-token/refresh "
        "failed: certificate verify failed: unable to get local issuer certificate"
    )
    assert "Set ca_bundle (stack config vcf:caBundle or VCF_CA_BUNDLE)" in result.stdout
    assert sddc_manager.count() == 0
    audit_stack(stack, sddc_manager)


def test_unverified_tls_works_against_an_unknown_ca_with_one_warning(
    new_stack: StackFactory, sddc_manager: SddcManagerEmulator
) -> None:
    stack = token_stack(new_stack, sddc_manager, ca_bundle=None, allow_unverified_tls=True)

    result = stack.up()

    diagnostics = result.stdout.split("Diagnostics:", 1)[1]
    assert diagnostics.count("warning: TLS verification is off for https://127.0.0.1") == 1
    assert sddc_manager.count(*REFRESH) == 1
    audit_stack(stack, sddc_manager)


def test_a_failed_update_keeps_the_previous_outputs_and_the_next_up_recovers(
    new_stack: StackFactory, sddc_manager: SddcManagerEmulator
) -> None:
    stack = token_stack(new_stack, sddc_manager)
    stack.up()
    before = stack.resources(TYPE_TOKEN, show_secrets=True)[0]["outputs"]
    sddc_manager.script(*REFRESH, *[Fault.error(500, vcf_error("DOWN", "Down.", "Wait."))] * 4)
    stack.set_config("test:rotation", "2")

    failed = stack.up(check=False)

    assert failed.returncode != 0
    after_failure = stack.resources(TYPE_TOKEN, show_secrets=True)[0]["outputs"]
    assert after_failure["refreshed_at"] == before["refreshed_at"]
    assert after_failure["access_token"] == before["access_token"], "the stored token is kept"

    stack.up()

    assert stack.resources(TYPE_TOKEN)[0]["outputs"]["refreshed_at"] >= before["refreshed_at"]
    assert sddc_manager.count(*REFRESH) == 1 + 4 + 1
    audit_stack(stack, sddc_manager)


@pytest.mark.parametrize("signal_number", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_one_signal_during_a_hanging_refresh_ends_the_request_at_once_and_the_stack_recovers(
    new_stack: StackFactory, sddc_manager: SddcManagerEmulator, signal_number: signal.Signals
) -> None:
    # The first ^C (or a CI runner's SIGTERM) asks for a graceful stop: the engine sends the
    # provider Cancel, which ends the request in flight instead of waiting out its 120 s deadline.
    stack = token_stack(new_stack, sddc_manager, timeout_seconds=120, max_retries=0)
    sddc_manager.script(*REFRESH, Fault.hung())
    process = _up_in_background(stack)
    wait_until(lambda: sddc_manager.count(*REFRESH) == 1, timeout=60)

    process.send_signal(signal_number)
    signalled_at = time.monotonic()
    output, _ = process.communicate(timeout=60)
    exited_after = time.monotonic() - signalled_at

    assert process.returncode != 0
    wait_until(lambda: bool(sddc_manager.hung_requests_closed), timeout=10)
    closed_after = sddc_manager.hung_requests_closed[0] - signalled_at
    assert closed_after <= SIGINT_GRACE_SECONDS, f"the request ended {closed_after:.1f} s after the signal"
    assert exited_after <= 10, f"the CLI took {exited_after:.1f} s to exit"
    name = signal_number.name
    print(f"[signal] request ended {closed_after:.2f} s and the CLI {exited_after:.2f} s after {name}")
    assert "the provider was stopped (the CLI was interrupted)" in output

    # The create failed cleanly (no create left pending), so the next `up` simply creates the token.
    stack.up()
    deployment = stack.export()["deployment"]
    assert not deployment.get("pending_operations")
    assert len(stack.resources(TYPE_TOKEN)) == 1
    assert stack.outputs()["expires_at"] is not None
    audit_stack(stack, sddc_manager)


def _up_in_background(stack: PulumiStack) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [stack.pulumi, "--non-interactive", "up", "--yes", "--skip-preview"],
        cwd=stack.work_dir,
        env=stack.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_sigterm_during_a_retry_after_pause_ends_it_at_once(
    new_stack: StackFactory, sddc_manager: SddcManagerEmulator
) -> None:
    stack = token_stack(new_stack, sddc_manager)
    sddc_manager.script(*REFRESH, Fault.error(503, None, **{"Retry-After": "30"}))
    process = _up_in_background(stack)
    wait_until(lambda: sddc_manager.count(*REFRESH) == 1, timeout=60)

    process.send_signal(signal.SIGTERM)
    signalled_at = time.monotonic()
    output, _ = process.communicate(timeout=60)
    exited_after = time.monotonic() - signalled_at

    print(f"[signal] the CLI exited {exited_after:.2f} s after SIGTERM in a 30 s Retry-After pause")
    assert process.returncode != 0
    assert exited_after < 20, "the 30 s pause ran out instead of ending at the cancel"
    assert "refreshing the access token was cancelled" in output
    assert sddc_manager.count(*REFRESH) == 1, "no attempt after the cancel"


def test_sigterm_during_a_login_the_manager_carries_out_leaves_no_live_refresh_token(
    new_stack: StackFactory, sddc_manager: SddcManagerEmulator
) -> None:
    release = threading.Event()
    stack = emulator_stack(new_stack, sddc_manager, PAIR_PROGRAM, login=True)
    sddc_manager.script(*LOGIN, Fault.held_until(release))
    process = _up_in_background(stack)
    wait_until(lambda: sddc_manager.count(*LOGIN) == 1, timeout=60)

    process.send_signal(signal.SIGTERM)
    # The manager finishes the login a second later, when the engine's Cancel has long reached the
    # provider (nothing outside the provider shows that moment, so this is ordered by time).
    threading.Timer(1.0, release.set).start()
    output, _ = process.communicate(timeout=60)

    assert process.returncode != 0
    assert len(sddc_manager.issued_refresh_tokens) == 1, "the manager did create a pair"
    # The rule: every refresh token the manager issued is revoked or held by state for destroy.
    held = [pair["outputs"].get("refresh_token") for pair in stack.resources(TYPE_PAIR, show_secrets=True)]
    assert [token for token in sddc_manager.live_refresh_tokens if token not in held] == []
    assert held == [], "the cancel reached the provider first here"
    assert "its refresh token was revoked" in output
