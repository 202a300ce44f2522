"""RefreshedAccessToken on the real engine against the emulator: what a user sees in preview and up."""

from __future__ import annotations

import json

import pytest

from tests.support.engine import StackFactory
from tests.support.leaks import assert_no_leaks, audit_stack
from tests.support.routes import REFRESH, TYPE_TOKEN
from tests.support.stacks import emulator_stack
from vcf_provider.testing import Fault, SddcManagerEmulator, vcf_error

pytestmark = pytest.mark.engine


PROGRAM = """
import pulumi
from vcf_provider import RefreshedAccessToken

config = pulumi.Config("test")
token = RefreshedAccessToken(
    "sddc-token",
    renew_before_seconds=config.get_float("renewBefore") or 300,
    triggers={"rotation": config.get("rotation") or "first"},
)
pulumi.export("access_token", token.access_token)
pulumi.export("expires_at", token.expires_at)
pulumi.export("refreshed_at", token.refreshed_at)
"""


def test_preview_makes_no_request(new_stack: StackFactory, sddc_manager: SddcManagerEmulator) -> None:
    stack = emulator_stack(new_stack, sddc_manager, PROGRAM)

    result = stack.preview()

    assert f"+  {TYPE_TOKEN} sddc-token create" in result.stdout
    assert sddc_manager.count() == 0
    audit_stack(stack, sddc_manager)


def test_up_creates_a_secret_token_the_emulator_issued(
    new_stack: StackFactory, sddc_manager: SddcManagerEmulator
) -> None:
    stack = emulator_stack(new_stack, sddc_manager, PROGRAM)

    stack.up()

    assert sddc_manager.count(*REFRESH) == 1
    outputs = stack.outputs()
    assert outputs["access_token"] == "[secret]"
    assert outputs["expires_at"].endswith("Z")
    revealed = stack.outputs(show_secrets=True)
    assert revealed["access_token"] == sddc_manager.issued_access_tokens[-1]
    assert sddc_manager.access_token_is_valid(revealed["access_token"])
    audit_stack(stack, sddc_manager)


def test_second_up_with_a_fresh_token_makes_no_request(
    new_stack: StackFactory, sddc_manager: SddcManagerEmulator
) -> None:
    stack = emulator_stack(new_stack, sddc_manager, PROGRAM)
    stack.up()
    first = stack.outputs()

    second = stack.up()

    assert sddc_manager.count() == 1
    assert "2 unchanged" in second.stdout
    assert stack.outputs()["refreshed_at"] == first["refreshed_at"]
    audit_stack(stack, sddc_manager)


def test_a_token_inside_the_renewal_window_is_renewed_by_the_next_up(
    new_stack: StackFactory, tmp_path_factory: pytest.TempPathFactory
) -> None:
    with SddcManagerEmulator(
        token_lifetime_seconds=120, state_dir=tmp_path_factory.mktemp("short")
    ) as emulator:
        stack = emulator_stack(new_stack, emulator, PROGRAM)
        stack.set_config("test:renewBefore", "300")
        stack.up()
        first_expiry = stack.outputs()["expires_at"]
        emulator.advance(5)  # expiry has one-second resolution: the next token's differs

        preview = stack.preview()
        assert "~  " + TYPE_TOKEN in preview.stdout
        assert emulator.count(*REFRESH) == 1, "preview must not refresh"

        stack.up()

        assert emulator.count(*REFRESH) == 2
        assert stack.outputs()["expires_at"] > first_expiry
        audit_stack(stack, emulator)


def test_changed_triggers_force_a_refresh(new_stack: StackFactory, sddc_manager: SddcManagerEmulator) -> None:
    stack = emulator_stack(new_stack, sddc_manager, PROGRAM)
    stack.up()

    stack.set_config("test:rotation", "2026-12")
    stack.up()

    assert sddc_manager.count(*REFRESH) == 2
    assert len(stack.resources(TYPE_TOKEN)) == 1, "triggers update the token in place"
    audit_stack(stack, sddc_manager)


def test_changed_host_replaces_the_resource(
    new_stack: StackFactory, sddc_manager: SddcManagerEmulator
) -> None:
    stack = emulator_stack(new_stack, sddc_manager, PROGRAM)
    stack.up()
    first_id = stack.resources(TYPE_TOKEN)[0]["id"]

    stack.set_config("vcf:host", sddc_manager.url.replace("127.0.0.1", "localhost"))
    result = stack.up()

    assert "1 replaced" in result.stdout
    assert stack.resources(TYPE_TOKEN)[0]["id"] != first_id
    audit_stack(stack, sddc_manager)


FULL_ERROR = vcf_error(
    "VCF_TOKEN_FAILURE",
    "The token service failed.",
    "Restart the token service.",
    arguments=["token-service", "7"],
    context={"component": "vcf-auth"},
    causes=[{"type": "java.lang.IllegalStateException", "message": "store offline"}],
    nestedErrors=[vcf_error("NESTED_CODE", "The nested failure.", "Fix the nested part.")],
    label="Token failure",
    remediationUrl="https://docs.example.test/kb/1",
)


@pytest.mark.parametrize(
    ("status", "reason"), [(400, "Bad Request"), (404, "Not Found"), (500, "Internal Server Error")]
)
def test_error_payload_fields_all_reach_the_up_output(
    new_stack: StackFactory, sddc_manager: SddcManagerEmulator, status: int, reason: str
) -> None:
    stack = emulator_stack(new_stack, sddc_manager, PROGRAM)
    # Four answers: the first attempt and the default three retries (400 and 404 are not retried).
    sddc_manager.script(*REFRESH, *[Fault.error(status, FULL_ERROR)] * 4)

    result = stack.up(check=False)

    assert result.returncode != 0
    out = result.stdout
    assert f"refreshing the access token failed: HTTP {status} {reason} from PATCH {sddc_manager.url}" in out
    for expected in (
        "errorCode: VCF_TOKEN_FAILURE",
        "errorType: ERROR",
        "message: The token service failed.",
        "remediationMessage: Restart the token service.",
        f"referenceToken: {FULL_ERROR['referenceToken']} (quote it to VMware support",
        "arguments: token-service, 7",
        "context: component=vcf-auth",
        "- java.lang.IllegalStateException: store offline",
        "- errorCode: NESTED_CODE",
        "message: The nested failure.",
        "label: Token failure",
        "remediationUrl: https://docs.example.test/kb/1",
    ):
        assert expected in out, f"{expected!r} missing from the output"
    # Only the 404 says the token is gone; this 400 names no token problem, so it is about the request.
    assert ("hint: SDDC Manager no longer accepts this refresh token" in out) == (status == 404)
    assert ("hint: SDDC Manager refused the request itself, not the refresh token" in out) == (status == 400)
    assert sddc_manager.count(*REFRESH) == (4 if status == 500 else 1)
    assert out.count("errorCode: VCF_TOKEN_FAILURE") == 1, "the payload is shown once, not per attempt"
    assert stack.resources(TYPE_TOKEN) == [], "a failed create leaves nothing in state"
    audit_stack(stack, sddc_manager)


BAD_INPUTS = """
import pulumi
from vcf_provider import RefreshedAccessToken

RefreshedAccessToken(
    "bad",
    host="http://sddc-manager.example.com",
    refresh_token="",
    ca_bundle="/nonexistent/ca.pem",
    timeout_seconds=0,
    max_retries=-1,
    renew_before_seconds=90000,
)
"""


def test_check_failures_show_at_preview_with_no_request(
    new_stack: StackFactory, sddc_manager: SddcManagerEmulator
) -> None:
    stack = new_stack(BAD_INPUTS)

    result = stack.preview(check=False)

    assert result.returncode != 0
    out = result.stdout + result.stderr
    for expected in (
        "only https:// is allowed",
        "refresh_token is empty",
        "ca_bundle file '/nonexistent/ca.pem' does not exist",
        "timeout_seconds must be above 0",
        "max_retries must not be below 0",
        "renew_before_seconds must not be above 86400",
    ):
        assert expected in out, f"{expected!r} missing from the preview output"
    assert sddc_manager.count() == 0


def test_a_rejected_refresh_token_value_is_never_printed(
    new_stack: StackFactory, sddc_manager: SddcManagerEmulator
) -> None:
    planted = "  leading-space-refresh-token-4f1c  "
    stack = new_stack(
        f"""
import pulumi
from vcf_provider import RefreshedAccessToken
RefreshedAccessToken("bad", host="sddc.example.com", refresh_token={planted!r})
"""
    )

    result = stack.preview(check=False)

    assert result.returncode != 0
    assert "refresh_token has leading or trailing white space" in result.stdout
    # The program's source holds the value by design; every other artifact must not.
    artifacts = {k: v for k, v in stack.artifacts().items() if not k.endswith("__main__.py")}
    assert_no_leaks(artifacts, [planted.strip()])


DOWNSTREAM = """
import pulumi
from vcf_provider import RefreshedAccessToken, RefreshedAccessTokenArgs
from tests.support.read_once import ManagersReadOnce

config = pulumi.Config("vcf")
token = RefreshedAccessToken("sddc-token", RefreshedAccessTokenArgs(host=config.require("host")))
managers = ManagersReadOnce(
    "managers", host=token.host, access_token=token.access_token, ca_bundle=config.require("caBundle")
)
pulumi.export("managers", managers.managers)
"""


def test_a_downstream_resource_uses_the_token_and_keeps_it_secret(
    new_stack: StackFactory, sddc_manager: SddcManagerEmulator
) -> None:
    stack = emulator_stack(new_stack, sddc_manager, DOWNSTREAM)

    stack.up()

    assert stack.outputs()["managers"] == [{"fqdn": "sddc-manager.vcf.test", "version": "9.0.2.0"}]
    calls = [r for r in sddc_manager.requests if r.path == "/v1/sddc-managers"]
    assert len(calls) == 1
    assert calls[0].headers["Authorization"] == f"Bearer {sddc_manager.issued_access_tokens[-1]}"
    (downstream,) = stack.resources("pulumi-python:dynamic/test:ManagersReadOnce")
    for side in ("inputs", "outputs"):
        stored = downstream[side]["access_token"]
        assert isinstance(stored, dict), f"{side}.access_token is stored in plain text"
        assert stored.get("4dabf18193072939515e22adb298388d") == "1b47061264138c4ac30d75fd1eb44270"
        assert "ciphertext" in stored
    assert json.dumps(downstream).count("eyJ") == 0
    audit_stack(stack, sddc_manager)
