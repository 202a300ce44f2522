"""A manager clock set after a token arrived: `read` measures the clock again, and renewal follows."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from tests.support.clients import emulator_settings
from vcf_provider.api.client import SddcManagerClient
from vcf_provider.api.jwt import rfc3339
from vcf_provider.provider import CLOCK_SKEW_SECONDS, RefreshedAccessTokenProvider, renewal_due
from vcf_provider.testing import SddcManagerEmulator
from vcf_provider.testing.signing import make_jwt

TWO_HOURS = 7200


def token_state(emulator: SddcManagerEmulator) -> dict[str, Any]:
    """What `create` stores for a token refreshed from `emulator` a moment ago."""
    props = {
        "host": emulator.url,
        "refresh_token": emulator.issue_refresh_token(),
        "ca_bundle": str(emulator.ca_path),
        "timeout_seconds": 5.0,
        "max_retries": 0.0,
        "renew_before_seconds": 300.0,
    }
    outputs = RefreshedAccessTokenProvider().create(props).outs
    assert outputs is not None
    return outputs


def test_server_time_is_the_date_header_of_sddc_managers_clock(sddc_manager: SddcManagerEmulator) -> None:
    sddc_manager.clock_offset_seconds = TWO_HOURS
    with SddcManagerClient(emulator_settings(sddc_manager)) as client:
        measured = client.server_time()
    assert measured is not None
    ahead = (measured - datetime.now(timezone.utc)).total_seconds()
    assert TWO_HOURS - 2 <= ahead <= TWO_HOURS + 1
    assert sddc_manager.count("HEAD", "/") == 1
    assert "Authorization" not in sddc_manager.requests[0].headers, "no credential for the clock"


def test_server_time_is_none_when_nothing_answers_and_is_tried_once(tmp_path: Path) -> None:
    with SddcManagerEmulator(state_dir=tmp_path) as emulator:
        settings = emulator_settings(emulator, max_retries=3)
    with SddcManagerClient(settings) as client:
        assert client.server_time() is None


def test_a_manager_clock_set_two_hours_ahead_makes_a_fresh_looking_token_due(
    sddc_manager: SddcManagerEmulator,
) -> None:
    state = token_state(sddc_manager)
    assert not renewal_due(state, 300), "fresh, by both clocks"

    sddc_manager.clock_offset_seconds = TWO_HOURS  # an administrator fixes the manager's NTP
    read = RefreshedAccessTokenProvider().read("id", state)

    assert read.outs is not None
    assert abs(read.outs[CLOCK_SKEW_SECONDS] + TWO_HOURS) <= 2
    assert not sddc_manager.access_token_is_valid(str(state["access_token"])), "dead on the manager"
    assert renewal_due(read.outs, 300), "so the next diff renews it"


def test_read_keeps_the_state_when_the_clocks_have_not_moved(sddc_manager: SddcManagerEmulator) -> None:
    state = token_state(sddc_manager)
    read = RefreshedAccessTokenProvider().read("id", state)
    assert read.outs == state


def test_read_keeps_the_state_when_sddc_manager_does_not_answer(tmp_path: Path) -> None:
    with SddcManagerEmulator(state_dir=tmp_path) as emulator:
        state = token_state(emulator)
    assert RefreshedAccessTokenProvider().read("id", state).outs == state


def test_read_keeps_the_state_when_the_stored_ca_is_not_on_this_machine() -> None:
    with SddcManagerEmulator() as emulator:  # its CA goes with its temporary dir
        state = token_state(emulator)
    assert RefreshedAccessTokenProvider().read("id", state).outs == state


def test_configure_loads_the_http_stack_before_the_engine_calls_from_many_threads() -> None:
    # Two threads importing requests for the first time at once can get a half-initialized module
    # (seen in the soak as `cannot import name 'parse_dict_header'`); configure runs first, alone.
    program = textwrap.dedent(
        """
        import sys
        from pulumi.dynamic import ConfigureRequest
        from vcf_provider.provider import RefreshedAccessTokenProvider
        assert "requests" not in sys.modules, "loaded before configure: this test proves nothing"
        RefreshedAccessTokenProvider().configure(ConfigureRequest({}))
        print(all(m in sys.modules for m in ("requests", "requests.utils", "vcf_provider.api.client")))
        """
    )
    output = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    assert output.strip() == "True"


def test_a_measured_difference_only_brings_renewal_forward_so_a_wrong_date_header_cannot_delay_it() -> None:
    now = datetime.now(timezone.utc)
    issued = int(now.timestamp()) - 3500
    nearly_expired = {
        "access_token": make_jwt(iat=issued, exp=issued + 3600),
        "refreshed_at": rfc3339(now - timedelta(seconds=3500)),
        CLOCK_SKEW_SECONDS: 10 * 365 * 86_400,  # a Date header from a clock ten years behind
    }
    fresh = {
        "access_token": make_jwt(iat=int(now.timestamp()), exp=int(now.timestamp()) + 3600),
        "refreshed_at": rfc3339(now),
    }

    assert renewal_due(nearly_expired, 300, now), "due by its lifetime, whatever the header said"
    assert not renewal_due({**fresh, CLOCK_SKEW_SECONDS: TWO_HOURS}, 300, now), "manager behind: no hurry"
    assert renewal_due({**fresh, CLOCK_SKEW_SECONDS: -TWO_HOURS}, 300, now), "manager ahead: dead there"
