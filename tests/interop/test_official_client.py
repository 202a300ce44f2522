"""VMware's own Python client (`vmware-sddc-manager`) works against the emulator as it is by default."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests

# The official client, from the dev extra (pinned: the version whose wire format was checked).
from vmware.sddc_manager.model_client import Error, TokenCreationSpec
from vmware.sddc_manager.v1.tokens.access_token_client import Refresh
from vmware.sddc_manager.v1.tokens_client import RefreshToken
from vmware.sddc_manager.v1_client import Tokens
from vmware.vapi.lib.connect import get_requests_connector
from vmware.vapi.stdlib.client.factories import StubConfigurationFactory

from tests.support.leaks import assert_no_leaks
from tests.support.routes import LOGIN, REFRESH, REVOKE
from vcf_provider.testing import DEFAULT_PASSWORD, DEFAULT_USERNAME, SddcManagerEmulator


def official_configuration(emulator: SddcManagerEmulator) -> Any:
    """The stub configuration the official samples build, with TLS verified against the emulator's CA
    (the samples turn verification off; nothing here needs that)."""
    session = requests.Session()
    session.verify = str(emulator.ca_path)
    session.trust_env = False  # else REQUESTS_CA_BUNDLE, where set, overrides `verify`
    connector = get_requests_connector(session=session, msg_protocol="rest", url=emulator.url)
    return StubConfigurationFactory.new_std_configuration(connector)


def test_the_official_client_logs_in_refreshes_revokes_and_is_refused_after_the_revoke(
    sddc_manager: SddcManagerEmulator,
) -> None:
    configuration = official_configuration(sddc_manager)

    pair = Tokens(configuration).create_token(
        token_creation_spec=TokenCreationSpec(username=DEFAULT_USERNAME, password=DEFAULT_PASSWORD)
    )
    refreshed = Refresh(configuration).refresh_access_token(pair.refresh_token.id)
    RefreshToken(configuration).invalidate_refresh_token(pair.refresh_token.id)
    with pytest.raises(Error) as refused:
        Refresh(configuration).refresh_access_token(pair.refresh_token.id)

    assert sddc_manager.access_token_is_valid(pair.access_token)
    assert refreshed == sddc_manager.issued_access_tokens[-1], "the JSON string answer parsed as the token"
    assert sddc_manager.access_token_is_valid(refreshed)
    assert sddc_manager.live_refresh_tokens == []
    assert sddc_manager.revoked_refresh_tokens == [pair.refresh_token.id]
    calls = [(r.method, r.path) for r in sddc_manager.requests]
    assert calls == [LOGIN, REFRESH, REVOKE, REFRESH]
    error = refused.value
    assert error.error_code == "REFRESH_TOKEN_NOT_FOUND", "the client parsed the emulator's VCF Error"
    assert error.remediation_message
    assert_no_leaks({"the client's error": repr(error)}, [DEFAULT_PASSWORD, refreshed])


def test_the_official_client_fails_on_the_raw_answer_which_is_why_json_is_the_default(
    tmp_path: Path,
) -> None:
    with SddcManagerEmulator(refresh_answer="raw", state_dir=tmp_path) as emulator:
        refresh_id = emulator.issue_refresh_token()
        with pytest.raises(json.JSONDecodeError):
            Refresh(official_configuration(emulator)).refresh_access_token(refresh_id)
