"""The emulator behaves like SDDC Manager's token API where our tests and demo rely on it."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from vcf_provider.client import ConnectionSettings, SddcManagerClient
from vcf_provider.errors import SddcManagerApiError
from vcf_provider.testing import DEFAULT_PASSWORD, DEFAULT_USERNAME, SddcManagerEmulator


def client_for(emulator: SddcManagerEmulator) -> SddcManagerClient:
    return SddcManagerClient(
        ConnectionSettings(base_url=emulator.url, verify=str(emulator.ca_path), max_retries=0)
    )


def test_a_token_pair_refreshes_reads_and_is_revoked(sddc_manager: SddcManagerEmulator) -> None:
    with client_for(sddc_manager) as client:
        access, refresh = client.create_token_pair(
            {"username": DEFAULT_USERNAME, "password": DEFAULT_PASSWORD}
        )
        assert client.get("/v1/sddc-managers", access_token=access)["elements"][0]["version"] == "9.0.2.0"
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
                client.get("/v1/sddc-managers", access_token=token)


def test_the_command_line_prints_a_usable_url_ca_and_refresh_token() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "vcf_provider.testing", "--json"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        started = json.loads(process.stdout.readline())
        settings = ConnectionSettings(base_url=started["url"], verify=started["ca_path"], max_retries=0)
        with SddcManagerClient(settings) as client:
            assert client.refresh_access_token(started["refresh_token"]).startswith("eyJ")
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0
