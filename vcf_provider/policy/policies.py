"""The policies of the vcf-provider pack, importable and testable without the engine."""

from __future__ import annotations

from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)

from vcf_provider.api import settings
from vcf_provider.policy.guarded import GUARDED, MISSING, Guarded, setting
from vcf_provider.policy.guarded import STACK as STACK
from vcf_provider.policy.stack_policies import NO_PLAINTEXT_TOKEN_OUTPUTS as NO_PLAINTEXT_TOKEN_OUTPUTS
from vcf_provider.policy.stack_policies import RENEW_PAIR_TOKENS as RENEW_PAIR_TOKENS
from vcf_provider.resources import model

#: The dynamic resources' types, as the engine reports them (the package's are `model.*.token`).
REFRESHED_ACCESS_TOKEN = model.REFRESHED_ACCESS_TOKEN.dynamic_type
ACCESS_TOKEN_PAIR = model.ACCESS_TOKEN_PAIR.dynamic_type
TOKEN_RESOURCES = tuple(GUARDED)
"""Every type the resource policies check: both models, dynamic and package."""

DEFAULT_MIN_RENEW_SECONDS = 60
DEFAULT_MAX_RENEW_SECONDS = 1800
DEFAULT_MAX_TIMEOUT_SECONDS = 120
DEFAULT_MAX_RETRIES = 10
#: A refresh token is reported to live 24 h: rotate well before, but not so often that logins pile up.
DEFAULT_MIN_ROTATE_SECONDS = 3_600
DEFAULT_MAX_ROTATE_SECONDS = 82_800


def _guarded(args: ResourceValidationArgs, *models: model.ResourceModel) -> Guarded | None:
    """The guarded type of the resource under validation, if it is one of `models` (default: any)."""
    guarded = GUARDED.get(args.resource_type)
    return guarded if guarded is not None and (not models or guarded.model in models) else None


def _input(args: ResourceValidationArgs, guarded: Guarded, name: str) -> Any:
    """An input as the resource's kind spells it; MISSING when it cannot be seen."""
    provider = args.provider.props if args.provider is not None else None
    return setting(guarded, args.props, provider, name)


def host_name(host: Any) -> str | None:
    """The bare, lower-case host name of a `host` input (FQDN, host:port or URL)."""
    return settings.host_name(host)


def host_matches(name: str, patterns: list[str]) -> bool:
    """True when `name` equals a pattern, or ends with `.domain` for a `*.domain` pattern."""
    # Patterns are host names, so a scheme or port in them (`https://x:443`, `x:8443`) is ignored,
    # as it is in `host`.
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
    guarded = _guarded(args)
    if guarded is None or _input(args, guarded, "allow_unverified_tls") is not True:
        return
    host = _input(args, guarded, "host")
    name = host_name(host) if host is not MISSING else None
    if name and host_matches(name, _config_list(args, "exemptHosts")):
        return
    allow, ca_bundle = guarded.key("allow_unverified_tls"), guarded.key("ca_bundle")
    report_violation(
        f"{args.name} sets {allow}=true for {name or 'its host'}: the refresh token would be sent "
        f"without checking who receives it. Remove {allow} and set {ca_bundle} to the CA that signed "
        "SDDC Manager's certificate, or list the host in this policy's exemptHosts.",
        None,
    )


def _validate_allowed_hosts(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    guarded = _guarded(args)
    allowed = _config_list(args, "allowedHosts")
    if guarded is None or not allowed:
        return
    host = _input(args, guarded, "host")
    if host is MISSING:
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
    guarded = _guarded(args)
    # The package's schema makes its secrets secret; a dynamic resource lists them in its options.
    if guarded is None or guarded.package:
        return
    marked = set(args.opts.additional_secret_outputs or [])
    unmarked = [name for name in guarded.model.secret_names if name not in marked]
    if unmarked:
        names = ", ".join(unmarked)
        report_violation(
            f"{args.name} does not mark {names} as secret outputs, so they would be stored and shown "
            "in plain text. Do not override additional_secret_outputs in its ResourceOptions; "
            "vcf-provider adds them itself.",
            None,
        )


def _validate_renewal_window(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    guarded = _guarded(args, model.REFRESHED_ACCESS_TOKEN)
    if guarded is None:
        return
    low, high = _config_window(
        args, "vcf-renewal-window", DEFAULT_MIN_RENEW_SECONDS, DEFAULT_MAX_RENEW_SECONDS
    )
    window = _input(args, guarded, "renew_before_seconds")
    if not isinstance(window, (int, float)) or isinstance(window, bool):
        return
    if not low <= window <= high:
        key = guarded.key("renew_before_seconds")
        report_violation(
            f"{args.name} renews {window:g} s before expiry; keep {key} between {low:g} and "
            f"{high:g}: too short risks using an expired token mid-deployment, too long refreshes on "
            "almost every run.",
            None,
        )


def _validate_pair_rotation(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    guarded = _guarded(args, model.ACCESS_TOKEN_PAIR)
    if guarded is None:
        return
    low, high = _config_window(
        args, "vcf-pair-rotation", DEFAULT_MIN_ROTATE_SECONDS, DEFAULT_MAX_ROTATE_SECONDS
    )
    rotate = _input(args, guarded, "rotate_after_seconds")
    if not isinstance(rotate, (int, float)) or isinstance(rotate, bool):
        return
    key = guarded.key("rotate_after_seconds")
    if rotate == 0:
        report_violation(
            f"{args.name} never rotates ({key}=0): its refresh token expires after about "
            f"24 h, and then every renewal fails until someone runs `pulumi up --refresh`. Set "
            f"{key} between {low:g} and {high:g} (default 72000).",
            None,
        )
    elif not low <= rotate <= high:
        report_violation(
            f"{args.name} rotates after {rotate:g} s; keep {key} between {low:g} and "
            f"{high:g}: above the refresh token's reported 24 h life it expires first, and very short "
            "ages log in on almost every run.",
            None,
        )


def _validate_bounded_retries(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    guarded = _guarded(args)
    if guarded is None:
        return
    timeout = _input(args, guarded, "timeout_seconds")
    retries = _input(args, guarded, "max_retries")
    max_timeout = _config_number(args, "maxTimeoutSeconds", DEFAULT_MAX_TIMEOUT_SECONDS)
    max_retries = _config_number(args, "maxRetries", DEFAULT_MAX_RETRIES)
    if isinstance(timeout, (int, float)) and timeout > max_timeout:
        report_violation(
            f"{args.name} waits up to {timeout:g} s per attempt; set {guarded.key('timeout_seconds')} to "
            f"{max_timeout:g} or "
            "less so a dead SDDC Manager fails the deployment quickly.",
            None,
        )
    if isinstance(retries, (int, float)) and retries > max_retries:
        report_violation(
            f"{args.name} retries {retries:g} times; set {guarded.key('max_retries')} to {max_retries:g} "
            "or less so an "
            "outage is reported instead of hammered.",
            None,
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
    description="Every secret of a dynamic token resource is a secret output (the model's secret names).",
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
