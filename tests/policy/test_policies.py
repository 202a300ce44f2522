"""Each policy called directly: compliant and violating resources, config, and unknown values."""

from __future__ import annotations

import base64
import subprocess
import sys
from typing import Any

import pytest
from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    StackValidationArgs,
)
from pulumi_policy.proxy import unknown_checking_proxy

from vcf_provider.api.jwt import looks_like_jwt
from vcf_provider.policy import PACK_DIRECTORY
from vcf_provider.policy.policies import (
    ACCESS_TOKEN_PAIR,
    ACCESS_TOKEN_SECRET,
    ALLOWED_HOSTS,
    BOUNDED_RETRIES,
    NO_PLAINTEXT_TOKEN_OUTPUTS,
    PAIR_ROTATION,
    REFRESHED_ACCESS_TOKEN,
    RENEWAL_WINDOW,
    STACK,
    TLS_VERIFICATION_REQUIRED,
    PolicyConfigError,
    host_matches,
)
from vcf_provider.resources import model
from vcf_provider.testing.signing import make_jwt

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
COMPLIANT: dict[str, Any] = {
    "host": "sddc-01.vcf.example.test",
    "refresh_token": "5f1d3c1e-0b7a-4a55-9f43-2b9d1c0e7a11",
    "allow_unverified_tls": False,
    "timeout_seconds": 30.0,
    "max_retries": 3.0,
    "renew_before_seconds": 300.0,
}


def options(secret_outputs: list[str] | None = None) -> PolicyResourceOptions:
    outputs = ["access_token", "refresh_token"] if secret_outputs is None else secret_outputs
    return PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), outputs)


def violations(
    policy: Any,
    props: dict[str, Any] | None = None,
    config: dict[str, Any] | None = None,
    secret_outputs: list[str] | None = None,
    resource_type: str = REFRESHED_ACCESS_TOKEN,
) -> list[str]:
    found: list[str] = []
    args = ResourceValidationArgs(
        resource_type,
        unknown_checking_proxy({**COMPLIANT, **(props or {})}),
        "urn:pulumi:test::vcf::" + resource_type + "::tok",
        "tok",
        options(secret_outputs),
        None,
        config,
    )

    def report(message: str, urn: str | None = None) -> None:
        found.append(message)

    policy.validate(args, report)
    return found


@pytest.mark.parametrize(
    "policy", [TLS_VERIFICATION_REQUIRED, ALLOWED_HOSTS, ACCESS_TOKEN_SECRET, RENEWAL_WINDOW, BOUNDED_RETRIES]
)
def test_a_compliant_token_passes_every_policy(policy: Any) -> None:
    assert violations(policy, config={"allowedHosts": ["*.vcf.example.test"]}) == []


def test_other_resource_types_are_ignored() -> None:
    assert (
        violations(
            TLS_VERIFICATION_REQUIRED, {"allow_unverified_tls": True}, resource_type="aws:s3/bucket:Bucket"
        )
        == []
    )


def test_unverified_tls_is_a_violation_that_names_the_fix() -> None:
    (message,) = violations(TLS_VERIFICATION_REQUIRED, {"allow_unverified_tls": True})
    assert "sddc-01.vcf.example.test" in message
    assert "set ca_bundle" in message
    assert COMPLIANT["refresh_token"] not in message


def test_exempt_hosts_may_skip_tls_verification() -> None:
    config = {"exemptHosts": ["*.vcf.example.test"]}
    assert violations(TLS_VERIFICATION_REQUIRED, {"allow_unverified_tls": True}, config) == []


def test_allowed_hosts_pass_with_no_list_and_restrict_with_one() -> None:
    assert violations(ALLOWED_HOSTS, {"host": "anything.example.test"}) == []
    (message,) = violations(
        ALLOWED_HOSTS,
        {"host": "https://rogue.example.test:443"},
        {"allowedHosts": ["sddc-01.vcf.example.test"]},
    )
    assert "rogue.example.test" in message
    assert "allowedHosts" in message


@pytest.mark.parametrize(
    ("name", "patterns", "expected"),
    [
        ("sddc.vcf.test", ["sddc.vcf.test"], True),
        ("SDDC.vcf.test".lower(), ["SDDC.VCF.TEST"], True),
        ("a.vcf.test", ["*.vcf.test"], True),
        ("a.b.vcf.test", ["*.vcf.test"], True),
        ("vcf.test", ["*.vcf.test"], False),
        ("evilvcf.test", ["*.vcf.test"], False),
        ("sddc.vcf.test.evil", ["sddc.vcf.test"], False),
        ("sddc.vcf.test", ["sddc.vcf.test:443"], True),
        ("sddc.vcf.test", ["https://sddc.vcf.test:8443/"], True),
        ("a.vcf.test", ["*.vcf.test:443"], True),
        ("other.test", ["sddc.vcf.test:443"], False),
    ],
)
def test_host_patterns(name: str, patterns: list[str], expected: bool) -> None:
    assert host_matches(name, patterns) is expected


def test_dropping_access_token_from_secret_outputs_is_a_violation() -> None:
    (message,) = violations(ACCESS_TOKEN_SECRET, secret_outputs=["refresh_token"])
    assert "does not mark access_token as secret outputs" in message


def test_a_pair_must_mark_every_secret_its_model_names() -> None:
    marked = ["refresh_token", "access_token"]
    (message,) = violations(ACCESS_TOKEN_SECRET, secret_outputs=marked, resource_type=ACCESS_TOKEN_PAIR)
    unmarked = [name for name in model.ACCESS_TOKEN_PAIR.secret_names if name not in marked]
    assert unmarked, "the model names secrets beyond the two tokens (password, api_key, ...)"
    assert f"does not mark {', '.join(unmarked)} as secret outputs" in message
    every = list(model.ACCESS_TOKEN_PAIR.secret_names)
    assert violations(ACCESS_TOKEN_SECRET, secret_outputs=every, resource_type=ACCESS_TOKEN_PAIR) == []


@pytest.mark.parametrize(("window", "bad"), [(30.0, True), (60.0, False), (1800.0, False), (3600.0, True)])
def test_renewal_window_defaults(window: float, bad: bool) -> None:
    assert bool(violations(RENEWAL_WINDOW, {"renew_before_seconds": window})) is bad


def test_renewal_window_is_configurable() -> None:
    assert violations(RENEWAL_WINDOW, {"renew_before_seconds": 30.0}, {"minSeconds": 10}) == []


def test_bounded_retries_reports_each_excess() -> None:
    found = violations(BOUNDED_RETRIES, {"timeout_seconds": 600.0, "max_retries": 50.0})
    assert len(found) == 2
    assert violations(BOUNDED_RETRIES, {"max_retries": 50.0}, {"maxRetries": 100}) == []


def test_unknown_values_at_preview_do_not_crash_and_the_rest_is_checked() -> None:
    unknown = {"host": UNKNOWN, "allow_unverified_tls": True, "renew_before_seconds": UNKNOWN}
    assert len(violations(TLS_VERIFICATION_REQUIRED, unknown)) == 1
    assert violations(ALLOWED_HOSTS, unknown, {"allowedHosts": ["x.test"]}) == []
    assert violations(RENEWAL_WINDOW, unknown) == []


def output_violations(outputs: dict[str, Any]) -> list[str]:
    stack = PolicyResource(
        STACK,
        unknown_checking_proxy(outputs),
        "urn:pulumi:test::vcf::pulumi:pulumi:Stack::vcf-test",
        "vcf-test",
        options([]),
        None,
        None,
        [],
        {},
    )
    found: list[str] = []

    def report(message: str, urn: str | None = None) -> None:
        found.append(message)

    NO_PLAINTEXT_TOKEN_OUTPUTS.validate(StackValidationArgs([stack], None), report)
    return found


def test_a_jwt_in_stack_outputs_is_reported_by_name_without_its_value() -> None:
    token = make_jwt(exp=1)
    found = output_violations({"token": token, "expires_at": "2026-11-26T00:00:00Z"})
    assert len(found) == 1
    assert "stack output 'token'" in found[0]
    assert token not in found[0]


def spaced_jwt() -> str:
    """A JWT whose JSON has a space after `{`: its header does not begin with `eyJ`."""

    def segment(text: str) -> str:
        return base64.urlsafe_b64encode(text.encode()).rstrip(b"=").decode()

    header, payload = segment('{ "alg": "HS256"}'), segment('{ "exp": 1}')
    return f"{header}.{payload}.c2lnbmF0dXJl"


def test_the_pack_knows_a_jwt_as_the_api_does_nested_or_inside_text() -> None:
    token = spaced_jwt()
    assert looks_like_jwt(token)
    assert not token.startswith("eyJ")
    found = output_violations({"auth": {"headers": [f"Bearer {token}"]}, "host": "sddc.vcf.example.test"})
    assert len(found) == 1
    assert "stack output 'auth'" in found[0]


def test_dotted_names_and_versions_are_not_tokens() -> None:
    outputs = {"host": "sddc-01.vcf.example.test", "version": "9.0.2.0-24513093", "fqdn": "a.b.c"}
    assert output_violations(outputs) == []


@pytest.mark.parametrize(
    ("rotate_after", "config", "reported"),
    [
        (72_000.0, None, None),
        (0.0, None, "never rotates"),
        (90_000.0, None, "rotates after 90000 s"),
        (60.0, None, "rotates after 60 s"),
        (60.0, {"minSeconds": 30}, None),
    ],
)
def test_pair_rotation_is_advised_to_stay_under_the_refresh_token_lifetime(
    rotate_after: float, config: dict[str, Any] | None, reported: str | None
) -> None:
    found = violations(
        PAIR_ROTATION, {"rotate_after_seconds": rotate_after}, config, resource_type=ACCESS_TOKEN_PAIR
    )
    if reported is None:
        assert found == []
    else:
        assert len(found) == 1
        assert reported in found[0]


@pytest.mark.parametrize("host", ["sddc-01.vcf.example.test:8443", "https://SDDC-01.vcf.example.test:443"])
@pytest.mark.parametrize("listed", ["sddc-01.vcf.example.test", "sddc-01.vcf.example.test:443"])
def test_listed_hosts_match_however_either_side_writes_the_port(host: str, listed: str) -> None:
    assert violations(ALLOWED_HOSTS, {"host": host}, {"allowedHosts": [listed]}) == []
    unverified = {"host": host, "allow_unverified_tls": True}
    assert violations(TLS_VERIFICATION_REQUIRED, unverified, {"exemptHosts": [listed]}) == []


@pytest.mark.parametrize(
    ("policy", "resource_type"),
    [(RENEWAL_WINDOW, REFRESHED_ACCESS_TOKEN), (PAIR_ROTATION, ACCESS_TOKEN_PAIR)],
)
def test_a_window_config_with_min_above_max_is_an_error(policy: Any, resource_type: str) -> None:
    with pytest.raises(PolicyConfigError, match=r"minSeconds \(900\) is above maxSeconds \(600\)"):
        violations(policy, {}, {"minSeconds": 900, "maxSeconds": 600}, resource_type=resource_type)


def test_the_module_prints_the_pack_directory() -> None:
    printed = subprocess.run(
        [sys.executable, "-m", "vcf_provider.policy", "--path"], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert printed == str(PACK_DIRECTORY)
    assert (PACK_DIRECTORY / "PulumiPolicy.yaml").is_file()


def test_help_prints_the_usage_and_exits() -> None:
    # Before, --help started the analyzer and served until killed: the timeout stops such a run.
    printed = subprocess.run(
        [sys.executable, "-m", "vcf_provider.policy", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    assert printed.startswith("usage: python -m vcf_provider.policy")
    assert "--policy-pack" in printed
    assert "--path" in printed


def test_an_unknown_option_is_refused_instead_of_serving() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "vcf_provider.policy", "--pth"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert "unrecognized arguments: --pth" in result.stderr
