"""The client against a slow, careless or overloaded server: one deadline per attempt, logins never
sent twice, Retry-After that does not parse, and connections reused across clients."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.support.clients import emulator_settings
from tests.support.routes import LOGIN, REFRESH
from vcf_provider.api import retry
from vcf_provider.api.client import SddcManagerClient
from vcf_provider.api.errors import SddcManagerApiError, SddcManagerUnreachableError
from vcf_provider.api.settings import ConnectionSettings
from vcf_provider.testing import DEFAULT_PASSWORD, DEFAULT_USERNAME, Fault, SddcManagerEmulator, vcf_error

CREDENTIALS = {"username": DEFAULT_USERNAME, "password": DEFAULT_PASSWORD}
#: Scheduling slack on top of a computed worst case (thread start, TLS, a loaded CI machine).
SLACK_SECONDS = 1.5


def settings_for(emulator: SddcManagerEmulator, **overrides: object) -> ConnectionSettings:
    """Short deadlines: these tests measure how long failures take."""
    return emulator_settings(emulator, **{"timeout_seconds": 1.0, "max_retries": 1, **overrides})


def worst_case(settings: ConnectionSettings) -> float:
    return retry.worst_case_seconds(
        settings.timeout_seconds, settings.max_retries, settings.backoff_seconds, retry_after=False
    )


def test_a_trickled_answer_ends_at_the_deadline_of_each_attempt(sddc_manager: SddcManagerEmulator) -> None:
    settings = settings_for(sddc_manager)
    # 5 bytes a second: the answer (~1 KB) would take minutes; each attempt gets 1 s.
    sddc_manager.script(*REFRESH, Fault.trickled(0.2), Fault.trickled(0.2))
    started = time.monotonic()

    with pytest.raises(SddcManagerUnreachableError) as raised:
        SddcManagerClient(settings).refresh_access_token(sddc_manager.issue_refresh_token())

    assert time.monotonic() - started <= worst_case(settings) + SLACK_SECONDS
    assert "after 2 attempts: no complete answer within 1 s" in str(raised.value)
    assert sddc_manager.count(*REFRESH) == 2


def test_a_trickled_error_body_is_also_cut_at_the_deadline(sddc_manager: SddcManagerEmulator) -> None:
    settings = settings_for(sddc_manager, max_retries=0)
    slow_error = Fault.trickled(0.1, Fault.error(500, vcf_error("SLOW", "Slow.", "Wait." * 50)))
    sddc_manager.script(*REFRESH, slow_error)
    started = time.monotonic()

    with pytest.raises(SddcManagerUnreachableError):
        SddcManagerClient(settings).refresh_access_token(sddc_manager.issue_refresh_token())

    assert time.monotonic() - started <= worst_case(settings) + SLACK_SECONDS


def test_a_login_that_times_out_after_reaching_the_server_is_not_sent_again(
    sddc_manager: SddcManagerEmulator,
) -> None:
    settings = settings_for(sddc_manager, max_retries=3)
    sddc_manager.script(*LOGIN, Fault.late(3))

    with pytest.raises(SddcManagerUnreachableError) as raised:
        SddcManagerClient(settings).create_token_pair(CREDENTIALS)

    assert sddc_manager.count(*LOGIN) == 1
    assert len(sddc_manager.live_refresh_tokens) == 1, "one pair at most is left behind, never four"
    assert "never sent twice" in str(raised.value)


def test_a_login_the_server_asks_to_repeat_is_repeated(sddc_manager: SddcManagerEmulator) -> None:
    busy = Fault.error(503, vcf_error("BUSY", "Busy.", "Retry."))
    sddc_manager.script(*LOGIN, busy, Fault.error(429, None))

    access, refresh = SddcManagerClient(settings_for(sddc_manager, max_retries=2)).create_token_pair(
        CREDENTIALS
    )

    assert refresh in sddc_manager.live_refresh_tokens
    assert access == sddc_manager.issued_access_tokens[-1]
    assert sddc_manager.count(*LOGIN) == 3


def test_a_login_after_a_500_is_not_repeated(sddc_manager: SddcManagerEmulator) -> None:
    sddc_manager.script(*LOGIN, Fault.error(500, vcf_error("BROKEN", "Broken.", "Call support.")))

    with pytest.raises(SddcManagerApiError, match="errorCode: BROKEN"):
        SddcManagerClient(settings_for(sddc_manager, max_retries=3)).create_token_pair(CREDENTIALS)

    assert sddc_manager.count(*LOGIN) == 1


def test_a_login_to_a_closed_port_is_retried(tmp_path: Path) -> None:
    with SddcManagerEmulator(state_dir=tmp_path) as emulator:
        url, ca = emulator.url, emulator.ca_path.read_text()
    settings = ConnectionSettings(url, ca_bundle=ca, timeout_seconds=1, max_retries=2, backoff_seconds=0.01)

    with pytest.raises(SddcManagerUnreachableError) as raised:
        SddcManagerClient(settings).create_token_pair(CREDENTIALS)

    assert "after 3 attempts" in str(raised.value)
    assert "never sent twice" not in str(raised.value)


@pytest.mark.parametrize("retry_after", ["soon", "-5", "Tuesday"])
def test_a_malformed_retry_after_falls_back_to_the_backoff_and_keeps_the_payload(
    sddc_manager: SddcManagerEmulator, retry_after: str
) -> None:
    unavailable = Fault.error(
        503,
        vcf_error("MAINTENANCE", "Down for maintenance.", "Try after 18:00."),
        **{"Retry-After": retry_after},
    )
    sddc_manager.script(*REFRESH, unavailable, unavailable, unavailable)

    with pytest.raises(SddcManagerApiError) as raised:
        SddcManagerClient(settings_for(sddc_manager, max_retries=2)).refresh_access_token(
            sddc_manager.issue_refresh_token()
        )

    assert sddc_manager.count(*REFRESH) == 3
    assert raised.value.status == 503
    assert "errorCode: MAINTENANCE" in str(raised.value)
    assert "remediationMessage: Try after 18:00." in str(raised.value)
