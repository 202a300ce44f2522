"""The pack guards the package's `vcf:index:*` types as it guards the dynamic ones, from one model."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyProviderResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
)
from pulumi_policy.proxy import unknown_checking_proxy

from vcf_provider.policy.policies import (
    ACCESS_TOKEN_SECRET,
    ALLOWED_HOSTS,
    BOUNDED_RETRIES,
    PAIR_ROTATION,
    RENEWAL_WINDOW,
    TLS_VERIFICATION_REQUIRED,
    TOKEN_RESOURCES,
)
from vcf_provider.resources import model

TOKEN = model.REFRESHED_ACCESS_TOKEN.token
PAIR = model.ACCESS_TOKEN_PAIR.token
COMPLIANT: dict[str, Any] = {
    "host": "sddc-01.vcf.example.test",
    "refreshToken": "5f1d3c1e-0b7a-4a55-9f43-2b9d1c0e7a11",
    "allowUnverifiedTls": False,
    "timeoutSeconds": 30.0,
    "maxRetries": 3.0,
    "renewBeforeSeconds": 300.0,
}


def violations(
    policy: Any,
    props: dict[str, Any] | None = None,
    resource_type: str = TOKEN,
    provider: dict[str, Any] | None = None,
    config: dict[str, Any] | None = None,
    unset: tuple[str, ...] = (),
) -> list[str]:
    """What `policy` reports for a package resource (no additional_secret_outputs: its schema marks them)."""
    found: list[str] = []
    provider_resource = (
        PolicyProviderResource(
            "pulumi:providers:vcf", unknown_checking_proxy(provider), "urn:pulumi:test::vcf::p::lab", "lab"
        )
        if provider is not None
        else None
    )
    args = ResourceValidationArgs(
        resource_type,
        unknown_checking_proxy({k: v for k, v in {**COMPLIANT, **(props or {})}.items() if k not in unset}),
        f"urn:pulumi:test::vcf::{resource_type}::tok",
        "tok",
        PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), []),
        provider_resource,
        config,
    )

    def report(message: str, urn: str | None = None) -> None:
        found.append(message)

    policy.validate(args, report)
    return found


def test_the_guarded_types_are_the_models_dynamic_and_package_types() -> None:
    expected = {t for r in model.RESOURCES for t in (r.dynamic_type, r.token)}
    assert set(TOKEN_RESOURCES) == expected


@pytest.mark.parametrize(
    "policy", [TLS_VERIFICATION_REQUIRED, ALLOWED_HOSTS, ACCESS_TOKEN_SECRET, RENEWAL_WINDOW, BOUNDED_RETRIES]
)
def test_a_compliant_package_token_passes_every_policy(policy: Any) -> None:
    assert violations(policy, config={"allowedHosts": ["*.vcf.example.test"]}) == []


def test_unverified_tls_on_a_package_token_names_its_camel_case_property() -> None:
    (message,) = violations(TLS_VERIFICATION_REQUIRED, {"allowUnverifiedTls": True})
    assert "sets allowUnverifiedTls=true for sddc-01.vcf.example.test" in message
    assert "set caBundle" in message
    assert COMPLIANT["refreshToken"] not in message


def test_unverified_tls_set_on_the_provider_is_a_violation_too() -> None:
    # Stack config reaches a default provider as text.
    provider = {"host": "lab.vcf.example.test", "allowUnverifiedTls": "true"}
    found = violations(TLS_VERIFICATION_REQUIRED, provider=provider, unset=("host", "allowUnverifiedTls"))
    assert len(found) == 1
    assert "for lab.vcf.example.test" in found[0]


def test_a_host_from_the_provider_is_checked_against_the_allowed_list() -> None:
    (message,) = violations(
        ALLOWED_HOSTS,
        provider={"host": "rogue.example.test"},
        config={"allowedHosts": ["*.vcf.test"]},
        unset=("host",),
    )
    assert "targets rogue.example.test" in message


def test_windows_and_bounds_read_the_package_names() -> None:
    (renewal,) = violations(RENEWAL_WINDOW, {"renewBeforeSeconds": 30.0})
    assert "keep renewBeforeSeconds between 60 and 1800" in renewal
    (rotation,) = violations(PAIR_ROTATION, {"rotateAfterSeconds": 0.0}, resource_type=PAIR)
    assert "never rotates (rotateAfterSeconds=0)" in rotation
    assert len(violations(BOUNDED_RETRIES, {"timeoutSeconds": 600.0, "maxRetries": 50.0})) == 2


def test_package_secrets_come_from_the_schema_not_from_resource_options() -> None:
    assert violations(ACCESS_TOKEN_SECRET, resource_type=PAIR) == []
