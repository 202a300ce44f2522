"""The emulator behaves like SDDC Manager's token API where our tests and demo rely on it."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.clients import api_get
from tests.support.emulator_cli import run_cli, start_cli
from vcf_provider.api.client import SddcManagerClient
from vcf_provider.api.errors import SddcManagerApiError
from vcf_provider.api.settings import ConnectionSettings
from vcf_provider.testing import DEFAULT_PASSWORD, DEFAULT_USERNAME, SddcManagerEmulator


def client_for(emulator: SddcManagerEmulator) -> SddcManagerClient:
    return SddcManagerClient(
        ConnectionSettings(base_url=emulator.url, ca_bundle=str(emulator.ca_path), max_retries=0)
    )


def test_a_token_pair_refreshes_reads_and_is_revoked(sddc_manager: SddcManagerEmulator) -> None:
    with client_for(sddc_manager) as client:
        access, refresh = client.create_token_pair(
            {"username": DEFAULT_USERNAME, "password": DEFAULT_PASSWORD}
        )
        assert api_get(client.settings, "/v1/sddc-managers", access)["elements"][0]["version"] == "9.0.2.0"
        refreshed = client.refresh_access_token(refresh)
        assert refreshed != access
        assert client.revoke_refresh_token(refresh) is True
        assert client.revoke_refresh_token(refresh) is False, "a second revoke finds nothing"
        with pytest.raises(SddcManagerApiError, match="HTTP 404"):
            client.refresh_access_token(refresh)
    assert sddc_manager.revoked_refresh_tokens == [refresh]


def test_wrong_credentials_get_a_vcf_error(sddc_manager: SddcManagerEmulator) -> None:
    with client_for(sddc_manager) as client, pytest.raises(SddcManagerApiError) as raised:
        client.create_token_pair({"username": DEFAULT_USERNAME, "password": "wrong-password-1"})
    assert "errorCode: INVALID_CREDENTIALS" in str(raised.value)
    assert "wrong-password-1" not in str(raised.value)


def test_the_api_refuses_expired_or_forged_bearer_tokens(sddc_manager: SddcManagerEmulator) -> None:
    expired = sddc_manager.mint_access_token(lifetime_seconds=-10)
    forged = sddc_manager.mint_access_token()[:-4] + "AAAA"
    with client_for(sddc_manager) as client:
        for token in (expired, forged):
            with pytest.raises(SddcManagerApiError, match="HTTP 401"):
                api_get(client.settings, "/v1/sddc-managers", token)


def test_the_command_line_prints_a_usable_url_ca_and_refresh_token() -> None:
    process, started = start_cli()
    try:
        settings = ConnectionSettings(base_url=started["url"], ca_bundle=started["ca_path"], max_retries=0)
        with SddcManagerClient(settings) as client:
            assert client.refresh_access_token(started["refresh_token"]).startswith("eyJ")
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--latency", "-1"], "argument --latency: -1 must be 0 or more"),
        (["--token-lifetime", "0"], "argument --token-lifetime: 0 must be above 0"),
        (["--token-lifetime", "soon"], "argument --token-lifetime: 'soon' is not a number of seconds"),
        (["--port", "70000"], "argument --port: '70000' is not a port"),
    ],
)
def test_the_command_line_refuses_impossible_settings(args: list[str], message: str) -> None:
    result = run_cli(*args)
    assert result.returncode == 2
    assert message in result.stderr


def test_a_port_in_use_is_one_line_of_error(sddc_manager: SddcManagerEmulator) -> None:
    result = run_cli("--port", str(sddc_manager.port))
    assert result.returncode == 2
    assert result.stderr == (
        f"error: 127.0.0.1 port {sddc_manager.port} is in use: pick another --port, or 0 for any free port\n"
    )


@pytest.mark.parametrize("path", ["/v1/tokens/access-token/refresh", "/v1/tokens/refresh-token"])
def test_refresh_and_revoke_accept_the_id_raw_and_as_a_json_string(
    sddc_manager: SddcManagerEmulator, path: str
) -> None:
    import requests

    method = "PATCH" if path.endswith("refresh") else "DELETE"
    for body in ("{id}", '"{id}"'):
        refresh_token = sddc_manager.issue_refresh_token()
        answer = requests.request(
            method,
            sddc_manager.url + path,
            data=body.format(id=refresh_token),
            headers={"Content-Type": "application/json"},
            verify=str(sddc_manager.ca_path),
            timeout=10,
        )
        assert answer.status_code == (200 if method == "PATCH" else 204), body


def test_an_ipv6_emulator_prints_a_bracketed_url(tmp_path: Path) -> None:
    import socket

    if not socket.has_ipv6:
        pytest.skip("this machine has no IPv6")
    try:
        emulator = SddcManagerEmulator(host="::1", state_dir=tmp_path)
    except OSError:
        pytest.skip("::1 is not configured on this machine")
    with emulator:
        assert emulator.url == f"https://[::1]:{emulator.port}"
        settings = ConnectionSettings(base_url=emulator.url, ca_bundle=str(emulator.ca_path), max_retries=0)
        with SddcManagerClient(settings) as client:
            assert client.refresh_access_token(emulator.issue_refresh_token()).startswith("eyJ")


def test_refresh_tokens_expire_after_their_lifetime_and_can_be_revoked_all_at_once() -> None:
    with SddcManagerEmulator(refresh_token_lifetime_seconds=3600) as emulator, client_for(emulator) as client:
        lasting, revoked = emulator.issue_refresh_token(), emulator.issue_refresh_token()
        short = emulator.issue_refresh_token(lifetime_seconds=0.01)
        time.sleep(0.05)

        with pytest.raises(SddcManagerApiError, match="HTTP 404"):
            client.refresh_access_token(short)
        assert client.revoke_refresh_token(short) is False, "an expired token cannot be revoked"
        assert emulator.revoke(revoked) is True
        assert client.refresh_token_works(lasting) is True
        assert client.refresh_token_works(revoked) is False

        assert emulator.revoke_all() == 1
        assert client.refresh_token_works(lasting) is False
        assert emulator.live_refresh_tokens == []
        assert emulator.issued_refresh_tokens == [lasting, revoked, short]


def test_an_expired_access_token_gets_a_401_with_a_vcf_error() -> None:
    with SddcManagerEmulator(token_lifetime_seconds=1) as emulator, client_for(emulator) as client:
        access = emulator.mint_access_token(lifetime_seconds=-1)
        with pytest.raises(SddcManagerApiError) as raised:
            api_get(client.settings, "/v1/sddc-managers", access)
    assert raised.value.status == 401
    assert raised.value.error is not None
    assert raised.value.error.error_code == "Unauthorized"


def test_the_cli_sets_the_refresh_token_lifetime_and_refuses_a_bad_one() -> None:
    bad = subprocess.run(
        [sys.executable, "-m", "vcf_provider.testing", "--refresh-token-lifetime", "0"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert bad.returncode == 2
    assert "--refresh-token-lifetime" in bad.stderr
