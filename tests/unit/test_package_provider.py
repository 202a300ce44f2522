"""The package's provider in-process: names and secrets mapped, provider config filling inputs, the
dynamic providers' checks and diff reported in the engine's terms. No network: nothing here is created."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from pulumi.provider.experimental import provider as rpc
from pulumi.provider.experimental.property_value import PropertyValue
from pulumi.runtime.rpc import UNKNOWN

from vcf_provider.api import deadline
from vcf_provider.api.errors import VcfProviderError
from vcf_provider.package.provider import VcfProvider
from vcf_provider.resources.model import ACCESS_TOKEN_PAIR, REFRESHED_ACCESS_TOKEN

TOKEN_URN = f"urn:pulumi:s::p::{REFRESHED_ACCESS_TOKEN.token}::t"
PAIR_URN = f"urn:pulumi:s::p::{ACCESS_TOKEN_PAIR.token}::pair"


def values(**given: Any) -> dict[str, PropertyValue]:
    return {
        key: value if isinstance(value, PropertyValue) else PropertyValue(value)
        for key, value in given.items()
    }


@pytest.fixture(autouse=True)
def no_vcf_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "VCF_HOST",
        "VCF_CA_BUNDLE",
        "VCF_REFRESH_TOKEN",
        "VCF_USERNAME",
        "VCF_PASSWORD",
        "VCF_API_KEY",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def warnings() -> list[tuple[str, str]]:
    return []


@pytest.fixture
def provider(warnings: list[tuple[str, str]]) -> VcfProvider:
    return VcfProvider(lambda urn, message: warnings.append((urn, message)))


def configure(provider: VcfProvider, **config: Any) -> None:
    request = rpc.ConfigureRequest({}, values(**config), accept_secrets=True, accept_resources=False)
    asyncio.run(provider.configure(request))


def check(provider: VcfProvider, urn: str, **given: Any) -> rpc.CheckResponse:
    return asyncio.run(provider.check(rpc.CheckRequest(urn, {}, values(**given), b"")))


def test_stack_config_text_is_read_as_each_settings_kind_and_secrets_are_marked(
    provider: VcfProvider,
) -> None:
    checked = asyncio.run(
        provider.check_config(
            rpc.CheckRequest(
                "urn",
                {},
                values(host="m.example.com", allowUnverifiedTls="true", maxRetries="5", password="pw"),
                b"",
            )
        )
    )

    assert checked.failures == []
    assert checked.inputs is not None
    assert (checked.inputs["allowUnverifiedTls"].value, checked.inputs["maxRetries"].value) == (True, 5.0)
    assert checked.inputs["password"].is_secret
    assert not checked.inputs["host"].is_secret


def test_a_bad_provider_setting_is_named_by_its_config_key(provider: VcfProvider) -> None:
    checked = asyncio.run(provider.check_config(rpc.CheckRequest("urn", {}, values(timeoutSeconds="0"), b"")))

    assert [(f.property, f.reason.split(":")[0]) for f in checked.failures or []] == [
        ("timeoutSeconds", "timeoutSeconds must be above 0")
    ]


def test_the_provider_config_fills_what_a_resource_leaves_unset_and_an_input_wins(
    provider: VcfProvider,
) -> None:
    configure(
        provider,
        host="config.example.com",
        refreshToken=PropertyValue("rt", is_secret=True),
        timeoutSeconds=10.0,
    )

    checked = check(provider, TOKEN_URN, host="given.example.com")

    assert checked.failures == []
    assert checked.inputs is not None
    assert checked.inputs["host"].value == "given.example.com"
    assert checked.inputs["refreshToken"] == PropertyValue("rt", is_secret=True)
    assert (checked.inputs["timeoutSeconds"].value, checked.inputs["renewBeforeSeconds"].value) == (
        10.0,
        300.0,
    )


def test_credentials_follow_the_dynamic_rule_the_first_source_with_any_decides(provider: VcfProvider) -> None:
    configure(provider, host="m.example.com", username="admin", password="from-config")

    checked = check(provider, PAIR_URN, apiKey="key")

    assert checked.failures == []
    assert checked.inputs is not None
    assert "username" not in checked.inputs
    assert "password" not in checked.inputs
    assert checked.inputs["apiKey"] == PropertyValue("key", is_secret=True)


def test_a_failure_about_a_secret_names_it_only_in_camel_case_text_and_never_shows_its_value(
    provider: VcfProvider,
) -> None:
    secret = " secret-refresh-token "
    checked = check(
        provider, TOKEN_URN, host="m.example.com", refreshToken=PropertyValue(secret, is_secret=True)
    )

    (failure,) = checked.failures or []
    assert failure.property == ""  # the engine would print a named property's value
    assert failure.reason.startswith("refreshToken has leading or trailing white space")
    assert secret.strip() not in failure.reason


def test_a_missing_host_is_reported_at_preview_and_unknown_values_pass(provider: VcfProvider) -> None:
    missing = check(provider, TOKEN_URN, refreshToken="rt")
    unknown = check(provider, TOKEN_URN, host=UNKNOWN, refreshToken=PropertyValue(UNKNOWN, is_secret=True))

    # `host` may carry `user:password@`, so the failure names it only in its text.
    assert [(f.property, f.reason.split(":")[0]) for f in missing.failures or []] == [("", "host is missing")]
    assert unknown.failures == []


def test_warnings_the_dynamic_resources_give_at_preview_go_to_the_resource(
    provider: VcfProvider, warnings: list[tuple[str, str]]
) -> None:
    check(
        provider,
        TOKEN_URN,
        host="m.example.com",
        refreshToken="rt",
        allowUnverifiedTls=True,
        renewBeforeSeconds=3600.0,
    )

    assert [urn for urn, _ in warnings] == [TOKEN_URN, TOKEN_URN]
    assert warnings[0][1].startswith(
        "TLS verification is off for https://m.example.com (allowUnverifiedTls=true)"
    )
    assert warnings[1][1].startswith("renewBeforeSeconds=3600 is not shorter")


STORED = {
    "host": "m.example.com",
    "refreshToken": PropertyValue("rt", is_secret=True),
    "renewBeforeSeconds": 300.0,
    "timeoutSeconds": 30.0,
    "maxRetries": 3.0,
}


def diff(provider: VcfProvider, olds: dict[str, Any], news: dict[str, Any]) -> rpc.DiffResponse:
    return asyncio.run(provider.diff(rpc.DiffRequest(TOKEN_URN, "id", values(**olds), values(**news), [])))


def test_diff_respelled_host_is_no_change_another_host_replaces_a_setting_updates(
    provider: VcfProvider,
) -> None:
    # No stored token, so renewal is not due: only the inputs decide.
    same = diff(provider, STORED, {**STORED, "host": "https://M.example.com:443/"})
    moved = diff(provider, STORED, {**STORED, "host": "other.example.com"})
    slower = diff(provider, STORED, {**STORED, "timeoutSeconds": 60.0})

    assert same.changes is False
    assert (moved.changes, moved.replaces) == (True, ["host"])
    assert moved.detailed_diff["host"].kind is rpc.PropertyDiffKind.UPDATE_REPLACE
    assert (slower.changes, slower.replaces, list(slower.detailed_diff)) == (True, [], ["timeoutSeconds"])
    assert slower.delete_before_replace is False


def test_a_create_at_preview_sends_nothing_and_shows_secret_unknown_outputs(provider: VcfProvider) -> None:
    request = rpc.CreateRequest(TOKEN_URN, values(**STORED), timeout=0, preview=True)

    created = asyncio.run(provider.create(request))

    assert created.properties["accessToken"] == PropertyValue(UNKNOWN, is_secret=True)
    assert created.properties["host"].value == "m.example.com"


def test_a_refreshed_access_token_cannot_be_imported(provider: VcfProvider) -> None:
    with pytest.raises(VcfProviderError, match="cannot be imported: there is nothing on SDDC Manager"):
        asyncio.run(provider.read(rpc.ReadRequest(TOKEN_URN, "anything", {}, {})))


def test_importing_from_config_without_a_refresh_token_says_how_to_give_one(provider: VcfProvider) -> None:
    configure(provider, host="m.example.com")

    with pytest.raises(
        VcfProviderError, match=r"pulumi config set --secret vcf:refreshToken <refresh-token-id>"
    ):
        asyncio.run(provider.read(rpc.ReadRequest(PAIR_URN, "vcf:refreshToken", {}, {})))


@pytest.fixture
def cancel_reset() -> Iterator[None]:
    yield
    deadline._reset_for_tests()


@pytest.mark.usefixtures("cancel_reset")
def test_cancel_sets_the_process_cancel_every_wait_looks_at(provider: VcfProvider) -> None:
    asyncio.run(provider.cancel())

    assert deadline.cancelled()


def test_a_token_from_a_manager_whose_clock_is_far_off_warns_on_the_resource(
    provider: VcfProvider, warnings: list[tuple[str, str]]
) -> None:
    outs = {
        "clock_skew_seconds": 7200,
        "expires_at": "2030-01-01T01:00:00Z",
        "refreshed_at": "2030-01-01T02:00:00Z",
    }

    provider._warn_about_clock(TOKEN_URN, outs)

    (warning,) = warnings
    assert warning[0] == TOKEN_URN
    assert "NTP" in warning[1]


def test_provider_settings_made_secret_stay_secret_in_the_inputs_they_fill(provider: VcfProvider) -> None:
    configure(
        provider,
        host=PropertyValue("m.example.com", is_secret=True),
        username=PropertyValue("svc-admin@corp", is_secret=True),
        password=PropertyValue("pw", is_secret=True),
    )

    checked = check(provider, PAIR_URN)

    assert checked.inputs is not None
    assert [name for name in ("host", "username", "password") if not checked.inputs[name].is_secret] == []
    assert not check(provider, PAIR_URN, host="given.example.com").inputs["host"].is_secret  # type: ignore[index]
