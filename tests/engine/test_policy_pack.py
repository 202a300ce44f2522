"""The shipped policy pack on the real engine: `pulumi preview --policy-pack` against the emulator."""

from __future__ import annotations

import pytest

from tests.support.engine import StackFactory
from tests.support.leaks import assert_no_leaks
from tests.support.stacks import preview_with_pack, token_stack
from vcf_provider.policy import PACK_DIRECTORY
from vcf_provider.testing import SddcManagerEmulator

pytestmark = pytest.mark.engine


def test_a_compliant_stack_passes(new_stack: StackFactory, sddc_manager: SddcManagerEmulator) -> None:
    stack = token_stack(new_stack, sddc_manager, ca_bundle=str(sddc_manager.ca_path))

    code, out = preview_with_pack(stack)

    assert code == 0, out
    assert "vcf-provider-policies" in out
    assert "[mandatory]" not in out
    assert "[advisory]" not in out
    assert sddc_manager.count() == 0


def test_unverified_tls_fails_the_preview_naming_the_policy(
    new_stack: StackFactory, sddc_manager: SddcManagerEmulator
) -> None:
    stack = token_stack(new_stack, sddc_manager, ca_bundle=None, allow_unverified_tls=True)

    code, out = preview_with_pack(stack)

    assert code != 0
    assert "[mandatory]  vcf-tls-verification-required" in out
    assert "sets allow_unverified_tls=true for 127.0.0.1" in out
    assert_no_leaks(stack.artifacts(), sddc_manager.live_refresh_tokens)


def test_an_exempt_host_may_skip_verification(
    new_stack: StackFactory, sddc_manager: SddcManagerEmulator
) -> None:
    stack = token_stack(new_stack, sddc_manager, ca_bundle=None, allow_unverified_tls=True)

    code, out = preview_with_pack(stack, {"vcf-tls-verification-required": {"exemptHosts": ["127.0.0.1"]}})

    assert code == 0, out
    assert "vcf-tls-verification-required" not in out


def test_a_host_outside_the_allowed_list_fails_the_preview(
    new_stack: StackFactory, sddc_manager: SddcManagerEmulator
) -> None:
    stack = token_stack(new_stack, sddc_manager, ca_bundle=str(sddc_manager.ca_path))

    code, out = preview_with_pack(stack, {"vcf-allowed-hosts": {"allowedHosts": ["*.vcf.example.test"]}})

    assert code != 0
    assert "[mandatory]  vcf-allowed-hosts" in out
    assert "targets 127.0.0.1, which is not an allowed SDDC Manager (*.vcf.example.test)" in out


def test_dropping_the_secret_output_fails_the_preview(
    new_stack: StackFactory, sddc_manager: SddcManagerEmulator
) -> None:
    stack = new_stack(
        f"""
import pulumi
from pulumi.dynamic import Resource
from vcf_provider.provider import RefreshedAccessTokenProvider

class RefreshedAccessToken(Resource, module="vcf", name="RefreshedAccessToken"):
    pass

# A hand-made resource of the same type that forgets additional_secret_outputs.
RefreshedAccessToken(RefreshedAccessTokenProvider(), "sddc-token", {{
    "host": {sddc_manager.url!r}, "refresh_token": pulumi.Output.secret("x" * 36),
    "ca_bundle": {str(sddc_manager.ca_path)!r}, "timeout_seconds": 30, "max_retries": 3,
    "renew_before_seconds": 300, "access_token": None,
}})
"""
    )

    code, out = preview_with_pack(stack)

    assert code != 0
    assert "[mandatory]  vcf-access-token-secret" in out


def test_an_advisory_violation_passes_with_a_warning(
    new_stack: StackFactory, sddc_manager: SddcManagerEmulator
) -> None:
    stack = token_stack(new_stack, sddc_manager, ca_bundle=str(sddc_manager.ca_path), max_retries=50)

    code, out = preview_with_pack(stack)

    assert code == 0, out
    assert "[advisory]  vcf-bounded-retries" in out
    assert "set max_retries to 10 or less" in out


def test_a_pair_without_renewal_gets_the_advisory_and_a_renewed_one_does_not(
    new_stack: StackFactory, sddc_manager: SddcManagerEmulator
) -> None:
    source = """
import pulumi
from vcf_provider import AccessTokenPair, RefreshedAccessToken
pair = AccessTokenPair("login")
if pulumi.Config("test").get_bool("renew"):
    RefreshedAccessToken("token", host=pair.host, refresh_token=pair.refresh_token)
"""
    stack = new_stack(source)
    for key, value in (("vcf:host", sddc_manager.url), ("vcf:caBundle", str(sddc_manager.ca_path))):
        stack.set_config(key, value)
    stack.set_config("vcf:username", "administrator@vsphere.local")
    stack.set_config("vcf:password", "VMware123!VMware123!", secret=True)

    unrenewed = stack.run("up", "--yes", "--policy-pack", str(PACK_DIRECTORY), check=False)
    assert unrenewed.returncode == 0, unrenewed.output
    assert "[advisory]  vcf-renew-pair-tokens" in unrenewed.stdout

    stack.set_config("test:renew", "true")
    renewed = stack.run("up", "--yes", "--policy-pack", str(PACK_DIRECTORY), check=False)
    assert renewed.returncode == 0, renewed.output
    assert "vcf-renew-pair-tokens" not in renewed.stdout
    stack.destroy()
    assert_no_leaks(stack.artifacts(), ["VMware123!VMware123!", *sddc_manager.issued_access_tokens])
