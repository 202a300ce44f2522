"""The control interface: tests in other languages move the clock and read the log over HTTPS."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from tests.support.emulator_cli import start_cli
from tests.support.routes import LOGIN, REFRESH
from vcf_provider.testing import DEFAULT_PASSWORD, DEFAULT_USERNAME, SddcManagerEmulator

HOUR = 3600


def call(emulator: SddcManagerEmulator, method: str, path: str, **options: Any) -> requests.Response:
    return requests.request(method, emulator.url + path, verify=str(emulator.ca_path), timeout=10, **options)


def login(emulator: SddcManagerEmulator) -> requests.Response:
    return call(emulator, *LOGIN, json={"username": DEFAULT_USERNAME, "password": DEFAULT_PASSWORD})


@pytest.fixture
def controlled() -> Any:
    with SddcManagerEmulator(control=True) as emulator:
        yield emulator


def test_the_control_interface_is_off_unless_asked_for(sddc_manager: SddcManagerEmulator) -> None:
    answer = call(sddc_manager, "POST", "/__emulator/clock/advance", json={"seconds": HOUR})
    assert sddc_manager.control_url is None
    assert answer.status_code == 404
    assert answer.json()["errorCode"] == "NOT_FOUND", "the API's own 404, as for any unknown path"
    assert sddc_manager.clock.offset_seconds == 0


def test_advance_moves_the_clock_and_expires_tokens(controlled: SddcManagerEmulator) -> None:
    access = login(controlled).json()["accessToken"]
    before = call(controlled, "GET", "/__emulator/clock").json()

    moved = call(controlled, "POST", "/__emulator/clock/advance", json={"seconds": 2 * HOUR})

    assert moved.status_code == 200
    assert moved.json()["offsetSeconds"] == 2 * HOUR
    assert moved.json()["now"] - before["now"] >= 2 * HOUR
    assert controlled.clock.offset_seconds == 2 * HOUR
    assert not controlled.access_token_is_valid(access), "a 1 h token, 2 h later"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('{"seconds": "soon"}', "The body is not a JSON object with a number of seconds."),
        ("3600", "The body is not a JSON object with a number of seconds."),
        ('{"seconds": -1}', "the clock does not run backwards"),
        ('{"seconds": Infinity}', "advance takes a finite number of seconds"),
        ('{"seconds": 1e18}', "advance takes a finite number of seconds"),
    ],
)
def test_an_advance_that_cannot_work_is_a_400_and_the_clock_stays(
    controlled: SddcManagerEmulator, body: str, message: str
) -> None:
    answer = call(controlled, "POST", "/__emulator/clock/advance", data=body)
    assert answer.status_code == 400
    assert answer.json()["errorCode"] == "EMULATOR_CONTROL_REFUSED"
    assert message in answer.json()["message"]
    assert controlled.clock.offset_seconds == 0


def test_the_log_lists_api_requests_without_secrets_and_not_the_control_calls(
    controlled: SddcManagerEmulator,
) -> None:
    refresh_id = login(controlled).json()["refreshToken"]["id"]
    call(controlled, *REFRESH, data=refresh_id)

    log = call(controlled, "GET", "/__emulator/requests")

    assert log.json() == {
        "count": 2,
        "requests": [{"method": LOGIN[0], "path": LOGIN[1]}, {"method": REFRESH[0], "path": REFRESH[1]}],
    }
    assert DEFAULT_PASSWORD not in log.text
    assert refresh_id not in log.text
    assert call(controlled, "DELETE", "/__emulator/requests").status_code == 204
    assert call(controlled, "GET", "/__emulator/requests").json() == {"count": 0, "requests": []}


def test_refresh_tokens_are_counted_revoked_and_expired_without_showing_an_id(
    controlled: SddcManagerEmulator,
) -> None:
    first, second = (login(controlled).json()["refreshToken"]["id"] for _ in range(2))

    counts = call(controlled, "GET", "/__emulator/refresh-tokens")
    expired = call(controlled, "POST", "/__emulator/refresh-tokens/expire")
    login(controlled)
    revoked = call(controlled, "POST", "/__emulator/refresh-tokens/revoke-all")

    assert counts.json() == {"issued": 2, "live": 2, "revoked": 0}
    assert first not in counts.text
    assert second not in counts.text
    assert expired.json() == {"expired": 2}
    assert revoked.json() == {"revoked": 1}, "only the one issued after the expiry still worked"
    assert controlled.live_refresh_tokens == []


def test_control_calls_are_never_faulted_or_delayed() -> None:
    with SddcManagerEmulator(control=True, failure_rate=1.0) as emulator:
        assert login(emulator).status_code == 503, "every API call fails"
        assert call(emulator, "GET", "/__emulator/clock").status_code == 200


def test_an_unknown_control_path_lists_the_endpoints(controlled: SddcManagerEmulator) -> None:
    answer = call(controlled, "GET", "/__emulator/nothing")
    assert answer.status_code == 404
    assert "POST /__emulator/clock/advance" in answer.json()["remediationMessage"]


def test_the_command_line_serves_the_control_interface_with_control() -> None:
    process, started = start_cli("--control")
    try:
        control, ca = started["control_url"], started["ca_path"]
        advanced = requests.post(control + "clock/advance", json={"seconds": 86_400}, verify=ca, timeout=10)
        refreshed = requests.patch(
            started["url"] + REFRESH[1], data=started["refresh_token"], verify=started["ca_path"], timeout=10
        )
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0
    assert started["control_url"] == started["url"] + "/__emulator/"
    assert advanced.json()["offsetSeconds"] == 86_400
    assert refreshed.status_code == 404, "the printed refresh token reached its 24 h lifetime"
