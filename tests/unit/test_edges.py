"""Edges that used to break quietly: odd 400s, expired certificates, a BOM, tiny timeouts, IDN hosts,
NaN, flags spelled `yes`, a revoke that keeps failing, the emulator without its extra."""

from __future__ import annotations

import datetime
import subprocess
import sys
from pathlib import Path

import pulumi
import pytest

from tests.support.clients import emulator_settings
from tests.support.routes import REFRESH, REVOKE
from vcf_provider import SddcManagerApiError, SddcManagerTlsError, SddcManagerUnreachableError
from vcf_provider.api import properties, redaction, settings
from vcf_provider.api.client import SddcManagerClient
from vcf_provider.pair_provider import AccessTokenPairProvider
from vcf_provider.resources import defaults, inputs
from vcf_provider.testing import Fault, SddcManagerEmulator, vcf_error

MALFORMED = Fault.error(400, vcf_error("BAD_REQUEST", "Request body is malformed", "Send the id."))


def test_a_malformed_body_400_is_about_the_request_not_the_token(sddc_manager: SddcManagerEmulator) -> None:
    refresh_token = sddc_manager.issue_refresh_token()
    sddc_manager.script(*REFRESH, MALFORMED, MALFORMED)

    with SddcManagerClient(emulator_settings(sddc_manager)) as client:
        with pytest.raises(SddcManagerApiError) as checked:
            client.refresh_token_works(refresh_token)  # what `pulumi refresh` of a pair asks
        with pytest.raises(SddcManagerApiError) as refreshed:
            client.refresh_access_token(refresh_token)

    for error in (checked.value, refreshed.value):
        assert "hint: SDDC Manager refused the request itself, not the refresh token" in str(error)
        assert "no longer accepts this refresh token" not in str(error)
        assert error.refresh_token_unknown is False
    assert sddc_manager.live_refresh_tokens == [refresh_token]


def test_a_400_that_says_the_token_is_invalid_counts_as_gone_for_read_and_revoke(
    sddc_manager: SddcManagerEmulator,
) -> None:
    invalid = Fault.error(400, vcf_error("INVALID_REFRESH_TOKEN", "Refresh token is invalid or expired", ""))
    sddc_manager.script(*REFRESH, invalid)
    sddc_manager.script(*REVOKE, invalid)

    with SddcManagerClient(emulator_settings(sddc_manager)) as client:
        assert client.refresh_token_works("some-refresh-token") is False
        assert client.revoke_refresh_token("some-refresh-token") is False, "already unknown: done"


def test_a_revoke_that_keeps_failing_names_the_state_delete_way_out(
    sddc_manager: SddcManagerEmulator,
) -> None:
    failing = Fault.error(500, vcf_error("INTERNAL_ERROR", "Database unavailable.", ""))
    sddc_manager.script(*REVOKE, *[failing] * 4)
    props = {
        "host": sddc_manager.url,
        "ca_bundle": str(sddc_manager.ca_path),
        "refresh_token": sddc_manager.issue_refresh_token(),
        "max_retries": 3,
    }

    with pytest.raises(SddcManagerApiError) as caught:
        AccessTokenPairProvider().delete("id", props)

    message = str(caught.value)
    assert message.startswith("revoking the refresh token failed: HTTP 500")
    assert "note: the revoke kept failing on SDDC Manager's side" in message
    assert "`pulumi state delete` with the pair's URN (`pulumi stack --show-urns` lists the URNs)" in message
    assert "<urn>" not in message
    assert sddc_manager.count(*REVOKE) == 4


def test_an_expired_server_certificate_says_renew_it_or_check_the_clock(tmp_path: Path) -> None:
    with SddcManagerEmulator() as emulator:
        yesterday = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=1)
        expired = emulator.ca.issue_cert(
            "127.0.0.1", not_before=yesterday - datetime.timedelta(days=30), not_after=yesterday
        )
        expired.configure_cert(emulator.tls_context)
        with (
            SddcManagerClient(emulator_settings(emulator)) as client,
            pytest.raises(SddcManagerTlsError) as caught,
        ):
            client.refresh_access_token(emulator.issue_refresh_token())

    message = str(caught.value)
    assert "certificate verify failed: certificate has expired.\n" in message, "one full stop, not two"
    assert "renew the manager's certificate" in message
    assert "correct this machine's clock" in message
    assert "Set ca_bundle" not in message
    assert emulator.count() == 0


def test_a_refresh_answer_with_a_byte_order_mark_is_accepted(sddc_manager: SddcManagerEmulator) -> None:
    token = sddc_manager.mint_access_token()
    sddc_manager.script(*REFRESH, Fault.raw(200, "\ufeff" + token), Fault.raw(200, '\ufeff"' + token + '"'))

    with SddcManagerClient(emulator_settings(sddc_manager)) as client:
        raw = client.refresh_access_token(sddc_manager.issue_refresh_token())
        quoted = client.refresh_access_token(sddc_manager.issue_refresh_token())

    assert (raw == token, quoted == token) == (True, True)


def test_a_tiny_timeout_gets_the_timeout_hint_every_time() -> None:
    with SddcManagerEmulator() as emulator:
        settings = emulator_settings(emulator, timeout_seconds=0.001, max_retries=0)
        hints = set()
        for _ in range(20):
            with SddcManagerClient(settings) as client, pytest.raises(SddcManagerUnreachableError) as caught:
                client.refresh_access_token(emulator.issue_refresh_token())
            hints.add(str(caught.value).split("hint: ", 1)[1])

    assert hints == {
        "check that SDDC Manager is up and reachable from this machine (proxies, load balancers), or raise "
        "timeout_seconds (stack config vcf:timeoutSeconds)."
    }


def test_an_internationalized_host_is_accepted_in_its_punycode_form() -> None:
    assert settings.base_url("sddc-mänager.example.com") == "https://xn--sddc-mnager-q8a.example.com"
    assert settings.same_host("SDDC-MÄNAGER.example.com:443", "xn--sddc-mnager-q8a.example.com")
    assert inputs.check_connection({"host": "sddc-mänager.example.com"}) == []


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_nan_and_infinity_must_be_finite_numbers(value: float) -> None:
    (failure,) = inputs.check_connection({"host": "h.example.com", "timeout_seconds": value})

    assert failure.property == "timeout_seconds"
    assert f"timeout_seconds is {value}: it must be a finite number" in failure.reason


@pytest.mark.parametrize(
    ("text", "flag"),
    [("yes", True), ("On", True), ("1", True), ("no", False), ("FALSE", False), ("maybe", "maybe")],
)
def test_one_flag_rule_for_stack_config_and_environment(
    monkeypatch: pytest.MonkeyPatch, text: str, flag: bool | str
) -> None:
    monkeypatch.delenv("VCF_ALLOW_UNVERIFIED_TLS", raising=False)
    pulumi.runtime.set_config("vcf:allowUnverifiedTls", text)
    try:
        from_config = defaults.one(properties.ALLOW_UNVERIFIED_TLS, None)
    finally:
        pulumi.runtime.set_all_config({})
    monkeypatch.setenv("VCF_ALLOW_UNVERIFIED_TLS", text)
    from_environment = defaults.one(properties.ALLOW_UNVERIFIED_TLS, None)

    assert from_config == from_environment == flag


def test_redaction_keeps_no_secret_after_the_call() -> None:
    redaction.redact("the token is s3cr3t-value-123", ["s3cr3t-value-123"])

    assert not hasattr(redaction.secret_forms, "cache_info"), (
        "a cache would hold every secret for the process"
    )


def test_the_emulator_without_its_extra_says_what_to_install() -> None:
    blocked = (
        "import sys, runpy; sys.modules['trustme'] = None; "
        "runpy.run_module('vcf_provider.testing', run_name='__main__')"
    )
    result = subprocess.run(
        [sys.executable, "-c", blocked], capture_output=True, text=True, timeout=60, check=False
    )

    assert result.returncode == 2
    assert result.stderr.strip() == (
        "error: the SDDC Manager emulator makes its own CA with trustme, which is not installed: "
        "pip install 'vcf-provider[testing]'"
    )
