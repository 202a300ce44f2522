"""The policies of the vcf-provider pack, importable and testable without the engine."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

from vcf_provider.api import settings

REFRESHED_ACCESS_TOKEN = "pulumi-python:dynamic/vcf:RefreshedAccessToken"  # noqa: S105 - a type token
ACCESS_TOKEN_PAIR = "pulumi-python:dynamic/vcf:AccessTokenPair"  # noqa: S105 - a type token
TOKEN_RESOURCES = (REFRESHED_ACCESS_TOKEN, ACCESS_TOKEN_PAIR)
STACK = "pulumi:pulumi:Stack"

DEFAULT_MIN_RENEW_SECONDS = 60
DEFAULT_MAX_RENEW_SECONDS = 1800
DEFAULT_MAX_TIMEOUT_SECONDS = 120
DEFAULT_MAX_RETRIES = 10
#: A refresh token is reported to live 24 h: rotate well before, but not so often that logins pile up.
DEFAULT_MIN_ROTATE_SECONDS = 3_600
DEFAULT_MAX_ROTATE_SECONDS = 82_800

_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+")
_MISSING = object()


def _known(props: Mapping[str, Any], key: str) -> Any:
    """The property's value; _MISSING when it is unknown during preview (checked at `up` instead)."""
    try:
        return props.get(key)
    except UnknownValueError:
        return _MISSING


def host_name(host: Any) -> str | None:
    """The bare, lower-case host name of a `host` input (FQDN, host:port or URL)."""
    return settings.host_name(host)


def host_matches(name: str, patterns: list[str]) -> bool:
    """True when `name` equals a pattern, or ends with `.domain` for a `*.domain` pattern.

    Patterns are host names, so a scheme or port in them (`https://x:443`, `x:8443`) is ignored, as
    it is in `host`.
    """
    for pattern in (_pattern_name(p) for p in patterns if isinstance(p, str)):
        if not pattern:
            continue
        if pattern.startswith("*."):
            if name.endswith(pattern[1:]) and len(name) > len(pattern) - 1:
                return True
        elif name == pattern:
            return True
    return False


def _pattern_name(pattern: str) -> str | None:
    text = pattern.strip().lower()
    if text.startswith("*."):
        domain = host_name(text[2:])
        return f"*.{domain}" if domain else None
    return host_name(text)


class PolicyConfigError(ValueError):
    """The pack's config contradicts itself; the message names the policy, the keys and the fix."""


def _config_window(
    args: ResourceValidationArgs, policy: str, low_default: float, high_default: float
) -> tuple[float, float]:
    low = _config_number(args, "minSeconds", low_default)
    high = _config_number(args, "maxSeconds", high_default)
    if low > high:
        raise PolicyConfigError(
            f"policy pack config for {policy} contradicts itself: minSeconds ({low:g}) is above "
            f"maxSeconds ({high:g}). Fix the file passed with --policy-pack-config so that "
            "minSeconds <= maxSeconds."
        )
    return low, high


def _config_list(args: ResourceValidationArgs, key: str) -> list[str]:
    value = args.get_config().get(key) or []
    return [str(v) for v in value] if isinstance(value, list) else []


def _config_number(args: ResourceValidationArgs, key: str, default: float) -> float:
    value = args.get_config().get(key)
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else default


def _validate_tls(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type not in TOKEN_RESOURCES:
        return
    allow = _known(args.props, "allow_unverified_tls")
    if allow is not True:
        return
    host = _known(args.props, "host")
    name = host_name(host) if host is not _MISSING else None
    if name and host_matches(name, _config_list(args, "exemptHosts")):
        return
    report_violation(
        f"{args.name} sets allow_unverified_tls=true for {name or 'its host'}: the refresh token would be "
        "sent without checking who receives it. Remove allow_unverified_tls and set ca_bundle to the "
        "CA that signed SDDC Manager's certificate, or list the host in this policy's exemptHosts.",
        None,
    )


def _validate_allowed_hosts(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type not in TOKEN_RESOURCES:
        return
    allowed = _config_list(args, "allowedHosts")
    if not allowed:
        return
    host = _known(args.props, "host")
    if host is _MISSING:
        return
    name = host_name(host)
    if name is None or not host_matches(name, allowed):
        report_violation(
            f"{args.name} targets {name or 'no valid host'}, which is not an allowed SDDC Manager "
            f"({', '.join(allowed)}). Point host at an allowed manager, or add it to this policy's "
            "allowedHosts.",
            None,
        )


def _validate_secret_output(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type not in TOKEN_RESOURCES:
        return
    if "access_token" not in (args.opts.additional_secret_outputs or []):
        report_violation(
            f"{args.name} does not mark access_token as a secret output, so it would be stored and shown "
            "in plain text. Do not override additional_secret_outputs in its ResourceOptions; "
            "vcf-provider adds access_token itself.",
            None,
        )


def _validate_renewal_window(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != REFRESHED_ACCESS_TOKEN:
        return
    low, high = _config_window(
        args, "vcf-renewal-window", DEFAULT_MIN_RENEW_SECONDS, DEFAULT_MAX_RENEW_SECONDS
    )
    window = _known(args.props, "renew_before_seconds")
    if window is _MISSING or not isinstance(window, (int, float)):
        return
    if not low <= window <= high:
        report_violation(
            f"{args.name} renews {window:g} s before expiry; keep renew_before_seconds between {low:g} and "
            f"{high:g}: too short risks using an expired token mid-deployment, too long refreshes on "
            "almost every run.",
            None,
        )


def _validate_pair_rotation(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != ACCESS_TOKEN_PAIR:
        return
    low, high = _config_window(
        args, "vcf-pair-rotation", DEFAULT_MIN_ROTATE_SECONDS, DEFAULT_MAX_ROTATE_SECONDS
    )
    rotate = _known(args.props, "rotate_after_seconds")
    if rotate is _MISSING or not isinstance(rotate, (int, float)) or isinstance(rotate, bool):
        return
    if rotate == 0:
        report_violation(
            f"{args.name} never rotates (rotate_after_seconds=0): its refresh token expires after about "
            f"24 h, and then every renewal fails until someone runs `pulumi up --refresh`. Set "
            f"rotate_after_seconds between {low:g} and {high:g} (default 72000).",
            None,
        )
    elif not low <= rotate <= high:
        report_violation(
            f"{args.name} rotates after {rotate:g} s; keep rotate_after_seconds between {low:g} and "
            f"{high:g}: above the refresh token's reported 24 h life it expires first, and very short "
            "ages log in on almost every run.",
            None,
        )


def _validate_bounded_retries(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type not in TOKEN_RESOURCES:
        return
    timeout = _known(args.props, "timeout_seconds")
    retries = _known(args.props, "max_retries")
    max_timeout = _config_number(args, "maxTimeoutSeconds", DEFAULT_MAX_TIMEOUT_SECONDS)
    max_retries = _config_number(args, "maxRetries", DEFAULT_MAX_RETRIES)
    if isinstance(timeout, (int, float)) and timeout > max_timeout:
        report_violation(
            f"{args.name} waits up to {timeout:g} s per attempt; set timeout_seconds to {max_timeout:g} or "
            "less so a dead SDDC Manager fails the deployment quickly.",
            None,
        )
    if isinstance(retries, (int, float)) and retries > max_retries:
        report_violation(
            f"{args.name} retries {retries:g} times; set max_retries to {max_retries:g} or less so an "
            "outage is reported instead of hammered.",
            None,
        )


def _validate_stack_outputs(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    for resource in args.resources:
        if resource.resource_type != STACK:
            continue
        for key in list(resource.props):
            value = _known(resource.props, key)
            if isinstance(value, str) and _JWT.search(value):
                # Policies see secrets unwrapped, so a secret export is reported too: say so.
                report_violation(
                    f"stack output '{key}' holds an access token (a JWT). Unless it is a secret, anyone "
                    "who can read this stack can call SDDC Manager with it. Export "
                    "RefreshedAccessToken.access_token as it is (it stays secret; never wrap it in "
                    "Output.unsecret or a plain string), or do not export it. The analyzer cannot see "
                    "whether an output is secret: if this one is, disable this advisory policy in the "
                    "pack config.",
                    resource.urn,
                )


def _validate_pair_renewal(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    pairs = [r for r in args.resources if r.resource_type == ACCESS_TOKEN_PAIR]
    for pair in pairs:
        # A RefreshedAccessToken, or downstream code with SddcManagerAuth, renews from the refresh token.
        renewers = [
            r
            for r in args.resources
            if r.resource_type != STACK
            and any(
                "refresh" in prop.lower() and any(d.urn == pair.urn for d in deps)
                for prop, deps in (r.property_dependencies or {}).items()
            )
        ]
        if not renewers:
            report_violation(
                f"AccessTokenPair '{pair.name}' has nothing renewing from its refresh token: its access "
                "token expires about an hour after it was created and is never renewed. Add "
                f"RefreshedAccessToken(..., refresh_token={pair.name}.refresh_token) and use that "
                "resource's access_token downstream, or pass the refresh token to code that uses "
                "SddcManagerAuth.",
                pair.urn,
            )
        for user in args.resources:
            if user.resource_type in (REFRESHED_ACCESS_TOKEN, STACK):
                continue
            uses = [
                prop
                for prop, deps in (user.property_dependencies or {}).items()
                # The refresh token is what a consumer that runs later should take (SddcManagerAuth).
                if "token" in prop.lower()
                and "refresh" not in prop.lower()
                and any(d.urn == pair.urn for d in deps)
            ]
            if uses:
                report_violation(
                    f"'{user.name}' takes {', '.join(uses)} straight from AccessTokenPair '{pair.name}', "
                    "whose access token is never renewed. Pass a RefreshedAccessToken's access_token "
                    "instead.",
                    user.urn,
                )


TLS_VERIFICATION_REQUIRED = ResourceValidationPolicy(
    name="vcf-tls-verification-required",
    description="SDDC Manager tokens are only requested over verified TLS.",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_validate_tls,
    config_schema=PolicyConfigSchema(
        properties={"exemptHosts": {"type": "array", "items": {"type": "string"}, "default": []}}
    ),
)

ALLOWED_HOSTS = ResourceValidationPolicy(
    name="vcf-allowed-hosts",
    description="Tokens may only target the SDDC Managers the pack config lists (exact names or *.domain).",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_validate_allowed_hosts,
    config_schema=PolicyConfigSchema(
        properties={"allowedHosts": {"type": "array", "items": {"type": "string"}, "default": []}}
    ),
)

ACCESS_TOKEN_SECRET = ResourceValidationPolicy(
    name="vcf-access-token-secret",
    description="access_token is always a secret output.",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_validate_secret_output,
)

RENEWAL_WINDOW = ResourceValidationPolicy(
    name="vcf-renewal-window",
    description="renew_before_seconds stays within a sensible window.",
    enforcement_level=EnforcementLevel.ADVISORY,
    validate=_validate_renewal_window,
    config_schema=PolicyConfigSchema(
        properties={
            "minSeconds": {"type": "number", "default": DEFAULT_MIN_RENEW_SECONDS},
            "maxSeconds": {"type": "number", "default": DEFAULT_MAX_RENEW_SECONDS},
        }
    ),
)

BOUNDED_RETRIES = ResourceValidationPolicy(
    name="vcf-bounded-retries",
    description="Timeouts and retries are bounded so an outage fails fast.",
    enforcement_level=EnforcementLevel.ADVISORY,
    validate=_validate_bounded_retries,
    config_schema=PolicyConfigSchema(
        properties={
            "maxTimeoutSeconds": {"type": "number", "default": DEFAULT_MAX_TIMEOUT_SECONDS},
            "maxRetries": {"type": "number", "default": DEFAULT_MAX_RETRIES},
        }
    ),
)

PAIR_ROTATION = ResourceValidationPolicy(
    name="vcf-pair-rotation",
    description="AccessTokenPair rotates before its refresh token expires.",
    enforcement_level=EnforcementLevel.ADVISORY,
    validate=_validate_pair_rotation,
    config_schema=PolicyConfigSchema(
        properties={
            "minSeconds": {"type": "number", "default": DEFAULT_MIN_ROTATE_SECONDS},
            "maxSeconds": {"type": "number", "default": DEFAULT_MAX_ROTATE_SECONDS},
        }
    ),
)

NO_PLAINTEXT_TOKEN_OUTPUTS = StackValidationPolicy(
    name="vcf-no-plaintext-token-outputs",
    description="Stack outputs do not carry an access token in plain text.",
    enforcement_level=EnforcementLevel.ADVISORY,
    validate=_validate_stack_outputs,
)

RENEW_PAIR_TOKENS = StackValidationPolicy(
    name="vcf-renew-pair-tokens",
    description="A stack with an AccessTokenPair renews its token with a RefreshedAccessToken.",
    enforcement_level=EnforcementLevel.ADVISORY,
    validate=_validate_pair_renewal,
)

ALL_POLICIES = [
    TLS_VERIFICATION_REQUIRED,
    ALLOWED_HOSTS,
    ACCESS_TOKEN_SECRET,
    RENEWAL_WINDOW,
    BOUNDED_RETRIES,
    PAIR_ROTATION,
    NO_PLAINTEXT_TOKEN_OUTPUTS,
    RENEW_PAIR_TOKENS,
]
