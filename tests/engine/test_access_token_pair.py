"""AccessTokenPair on the real engine: login, revoke on delete, rotation order, and the full chain."""

from __future__ import annotations

import json

import pytest

from tests.support.engine import StackFactory
from tests.support.leaks import audit_stack
from tests.support.routes import LOGIN, REFRESH, REVOKE
from tests.support.routes import TYPE_PAIR as PAIR
from tests.support.stacks import PAIR_PROGRAM, emulator_stack
from vcf_provider.testing import DEFAULT_PASSWORD, SddcManagerEmulator

pytestmark = pytest.mark.engine


CHAIN_PROGRAM = """
import pulumi
from vcf_provider import AccessTokenPair, RefreshedAccessToken
from examples.downstream.sddc_info import SddcManagers

config = pulumi.Config("vcf")
pair = AccessTokenPair("login")
token = RefreshedAccessToken("token", host=pair.host, refresh_token=pair.refresh_token)
managers = SddcManagers(
    "managers", host=pair.host, refresh_token=pair.refresh_token, ca_bundle=config.require("caBundle")
)
pulumi.export("managers", managers.managers)
"""


def test_a_pair_is_created_from_credentials_and_revoked_on_destroy(
    new_stack: StackFactory, sddc_manager: SddcManagerEmulator
) -> None:
    stack = emulator_stack(new_stack, sddc_manager, PAIR_PROGRAM, login=True)

    stack.up()

    assert sddc_manager.count(*LOGIN) == 1
    (live,) = sddc_manager.live_refresh_tokens
    (pair,) = stack.resources(PAIR)
    for secret_output in ("refresh_token", "access_token", "password"):
        assert "ciphertext" in pair["outputs"][secret_output], f"{secret_output} is not encrypted"

    stack.destroy()

    assert sddc_manager.count(*REVOKE) == 1
    assert sddc_manager.revoked_refresh_tokens == [live]
    assert sddc_manager.live_refresh_tokens == []
    audit_stack(stack, sddc_manager, extra=[DEFAULT_PASSWORD])


def test_rotation_creates_the_new_pair_before_revoking_the_old(
    new_stack: StackFactory, sddc_manager: SddcManagerEmulator
) -> None:
    stack = emulator_stack(new_stack, sddc_manager, PAIR_PROGRAM, login=True)
    stack.up()
    (first,) = sddc_manager.live_refresh_tokens

    stack.set_config("test:rotation", "2")
    stack.up()

    calls = [(r.method, r.path) for r in sddc_manager.requests]
    assert calls == [LOGIN, LOGIN, REVOKE], "create the replacement, then revoke the old pair"
    assert sddc_manager.revoked_refresh_tokens == [first]
    assert len(sddc_manager.live_refresh_tokens) == 1
    audit_stack(stack, sddc_manager, extra=[DEFAULT_PASSWORD])


def test_a_wrong_password_is_a_clear_error_and_leaves_nothing(
    new_stack: StackFactory, sddc_manager: SddcManagerEmulator
) -> None:
    wrong = "Not-The-Password-42!"
    stack = emulator_stack(new_stack, sddc_manager, PAIR_PROGRAM, login=True, password=wrong)

    result = stack.up(check=False)

    assert result.returncode != 0
    out = result.stdout
    assert "creating a token pair failed: HTTP 400 Bad Request from POST" in out
    assert "errorCode: INVALID_CREDENTIALS" in out
    assert "hint: check the credentials: vcf:username and vcf:password" in out
    assert stack.resources(PAIR) == []
    audit_stack(stack, sddc_manager, extra=[DEFAULT_PASSWORD, wrong])


def test_missing_credentials_fail_at_preview(
    new_stack: StackFactory, sddc_manager: SddcManagerEmulator
) -> None:
    stack = new_stack(PAIR_PROGRAM)
    stack.set_config("vcf:host", sddc_manager.url)

    result = stack.preview(check=False)

    assert result.returncode != 0
    assert "no credentials: set one way to log in: username and password" in result.stdout
    assert sddc_manager.count() == 0


def test_the_full_chain_feeds_a_downstream_resource(
    new_stack: StackFactory, sddc_manager: SddcManagerEmulator
) -> None:
    stack = emulator_stack(new_stack, sddc_manager, CHAIN_PROGRAM, login=True)

    preview = stack.preview()
    assert sddc_manager.count() == 0, "preview with an unknown refresh token makes no request"
    assert "create" in preview.stdout

    stack.up()

    assert stack.outputs()["managers"] == [{"fqdn": "sddc-manager.vcf.test", "version": "9.0.2.0"}]
    calls = [(r.method, r.path) for r in sddc_manager.requests]
    assert calls[0] == LOGIN
    # The token and the downstream resource each refresh once; the downstream one then reads.
    assert sorted(calls[1:]) == [("GET", "/v1/sddc-managers"), REFRESH, REFRESH]
    stack.destroy()
    assert sddc_manager.count(*REVOKE) == 1
    audit_stack(stack, sddc_manager, extra=[DEFAULT_PASSWORD])


def test_a_vcf_9_identity_broker_id_token_logs_in(new_stack: StackFactory) -> None:
    id_token = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhdXRvbWF0aW9uIn0.c2lnbmF0dXJlLW9mLXRoZS1icm9rZXI"
    with SddcManagerEmulator(id_tokens=[id_token]) as sddc_manager:
        stack = new_stack(PAIR_PROGRAM)
        stack.set_config("vcf:host", sddc_manager.url)
        stack.set_config("vcf:caBundle", str(sddc_manager.ca_path))
        stack.set_config("vcf:idToken", id_token, secret=True)

        stack.up()

        (login,) = [r for r in sddc_manager.requests if (r.method, r.path) == LOGIN]
        assert json.loads(login.body) == {"idToken": id_token}
        (pair,) = stack.resources(PAIR)
        assert "ciphertext" in pair["outputs"]["id_token"]
        stack.destroy()
        assert sddc_manager.live_refresh_tokens == []
        audit_stack(stack, sddc_manager, extra=[id_token])
