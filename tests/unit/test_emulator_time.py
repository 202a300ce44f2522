"""The emulator's clock moves on demand, and everything time-dependent follows it."""

from __future__ import annotations

import base64
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.support.clients import api_get, emulator_settings
from tests.support.emulator_cli import start_cli
from tests.support.routes import LOGIN, MANAGERS, REFRESH
from vcf_provider.api.client import SddcManagerClient
from vcf_provider.api.errors import SddcManagerApiError
from vcf_provider.api.jwt import read_claims
from vcf_provider.testing import DEFAULT_PASSWORD, DEFAULT_USERNAME, SddcManagerEmulator

DAY = 86_400


def test_advance_moves_the_claims_of_new_tokens_and_expires_old_ones(
    sddc_manager: SddcManagerEmulator,
) -> None:
    before = sddc_manager.mint_access_token()
    sddc_manager.advance(30 * DAY)
    after = sddc_manager.mint_access_token()

    issued_before = read_claims(before).issued_at
    issued_after = read_claims(after).issued_at
    assert issued_before is not None
    assert issued_after is not None
    assert 30 * DAY <= (issued_after - issued_before).total_seconds() <= 30 * DAY + 5
    assert abs(read_claims(after).issued_at.timestamp() - sddc_manager.now()) < 2  # type: ignore[union-attr]
    assert not sddc_manager.access_token_is_valid(before), "a 1 h token is long expired 30 days later"
    with SddcManagerClient(emulator_settings(sddc_manager, max_retries=0)) as client:
        with pytest.raises(SddcManagerApiError, match="HTTP 401"):
            api_get(client.settings, MANAGERS, before)
        assert api_get(client.settings, MANAGERS, after)["elements"]


def test_refresh_tokens_reach_their_lifetime_on_the_emulators_clock(
    sddc_manager: SddcManagerEmulator,
) -> None:
    refresh_token = sddc_manager.issue_refresh_token()
    with SddcManagerClient(emulator_settings(sddc_manager, max_retries=0)) as client:
        sddc_manager.advance(DAY - 60)
        assert client.refresh_token_works(refresh_token), "24 h minus a minute: still good"
        sddc_manager.advance(120)
        assert not client.refresh_token_works(refresh_token)
    assert sddc_manager.live_refresh_tokens == []


def test_a_task_with_a_duration_runs_until_the_clock_passes_it(sddc_manager: SddcManagerEmulator) -> None:
    task_id = sddc_manager.add_task("Creating workload domain wld-01", duration_seconds=2 * 3600)
    sddc_manager.advance(3600)
    halfway = sddc_manager.tasks.poll(task_id)
    sddc_manager.advance(3601)
    done = sddc_manager.tasks.poll(task_id)

    assert halfway is not None
    assert done is not None
    assert halfway["status"] == "IN_PROGRESS"
    assert [s["status"] for s in halfway["subTasks"]] == ["SUCCESSFUL", "IN_PROGRESS", "PENDING"]
    assert done["status"] == "SUCCESSFUL"
    created = time.mktime(time.strptime(done["creationTimestamp"][:19], "%Y-%m-%dT%H:%M:%S"))
    completed = time.mktime(time.strptime(done["completionTimestamp"][:19], "%Y-%m-%dT%H:%M:%S"))
    assert 7200 <= completed - created <= 7210, "the timestamps follow the emulator's clock"


def test_the_clock_does_not_run_backwards(sddc_manager: SddcManagerEmulator) -> None:
    with pytest.raises(ValueError, match="does not run backwards"):
        sddc_manager.advance(-1)


def test_the_default_answers_follow_the_spec_a_201_login_and_a_json_string_refresh(
    sddc_manager: SddcManagerEmulator,
) -> None:
    login = requests.post(
        sddc_manager.url + LOGIN[1],
        json={"username": DEFAULT_USERNAME, "password": DEFAULT_PASSWORD},
        verify=str(sddc_manager.ca_path),
        timeout=10,
    )
    refreshed = requests.patch(
        sddc_manager.url + REFRESH[1],
        data=login.json()["refreshToken"]["id"],
        headers={"Content-Type": "application/json"},
        verify=str(sddc_manager.ca_path),
        timeout=10,
    )

    assert login.status_code == 201
    assert refreshed.status_code == 200
    assert refreshed.text.startswith('"eyJ'), "a JSON string, quotes included"
    assert json.loads(refreshed.text) == sddc_manager.issued_access_tokens[-1]


CHILD_CLOCKS = "import time, json; print(json.dumps([time.time(), time.monotonic()]))"


def child_clocks(environment: dict[str, str]) -> tuple[float, float]:
    """(wall clock, monotonic clock) as a new Python process sees them under `environment`."""
    output = subprocess.run(
        [sys.executable, "-c", CHILD_CLOCKS],
        env={**os.environ, **environment},
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout
    wall, monotonic = json.loads(output)
    return float(wall), float(monotonic)


def test_processes_given_the_clocks_environment_see_the_emulators_time_and_real_monotonic_time(
    sddc_manager: SddcManagerEmulator, tmp_path: Path
) -> None:
    # Also the canary for the libfaketime package: if get_reload_information() or its library
    # changes shape upstream, the child sees the real time and this fails here, not in the soak.
    environment = sddc_manager.clock.process_environment(tmp_path / "faketime")
    sddc_manager.advance(400 * DAY)

    wall, monotonic = child_clocks(environment)

    assert abs(wall - sddc_manager.now()) < 3, "the child's wall clock is the emulator's"
    assert abs(monotonic - time.monotonic()) < 10, "its monotonic clock stays real (timeouts, gRPC)"
    sddc_manager.advance(DAY)
    assert abs(child_clocks(environment)[0] - sddc_manager.now()) < 3, "and follows every advance"


def test_a_fractional_token_lifetime_is_kept_not_truncated_to_zero() -> None:
    with SddcManagerEmulator(token_lifetime_seconds=0.5) as emulator:
        claims = json.loads(base64.urlsafe_b64decode(emulator.mint_access_token().split(".")[1] + "=="))
    assert claims["exp"] - claims["iat"] == pytest.approx(0.5)


def test_the_command_line_keeps_a_fractional_token_lifetime(tmp_path: Path) -> None:
    process, started = start_cli("--token-lifetime", "1.5")
    try:
        refreshed = requests.patch(
            started["url"] + REFRESH[1],
            data=started["refresh_token"],
            verify=started["ca_path"],
            timeout=10,
        )
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0
    claims = read_claims(refreshed.json())
    assert claims.expires_at is not None
    assert claims.issued_at is not None
    assert (claims.expires_at - claims.issued_at).total_seconds() == pytest.approx(1.5)


@pytest.mark.parametrize("seconds", [math.inf, math.nan, 1e18])
def test_advance_refuses_a_time_the_clock_cannot_reach(
    sddc_manager: SddcManagerEmulator, seconds: float
) -> None:
    before = sddc_manager.clock.offset_seconds
    with pytest.raises(ValueError, match="advance takes a finite number of seconds") as refused:
        sddc_manager.advance(seconds)
    assert "9000-01-01" in str(refused.value)
    assert sddc_manager.clock.offset_seconds == before, "the clock did not move"
    assert sddc_manager.access_token_is_valid(sddc_manager.mint_access_token()), "and still serves"


@pytest.mark.parametrize("offset", ["inf", "-inf", "nan", "1e18"])
def test_the_command_line_refuses_a_clock_offset_that_cannot_work(offset: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "vcf_provider.testing", f"--clock-offset={offset}"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert f"argument --clock-offset: {offset} must be a finite number of seconds" in result.stderr


@pytest.mark.parametrize("offset", [math.inf, 1e18])
def test_the_emulator_refuses_a_clock_offset_that_cannot_work(offset: float) -> None:
    with pytest.raises(ValueError, match="clock_offset_seconds must be a finite number of seconds"):
        SddcManagerEmulator(clock_offset_seconds=offset)
