"""The pack's stack policies: no token in plain outputs, and every AccessTokenPair renewed."""

from __future__ import annotations

from pulumi_policy import (
    EnforcementLevel,
    PolicyResource,
    ReportViolation,
    StackValidationArgs,
    StackValidationPolicy,
)

from vcf_provider.policy.guarded import GUARDED, MISSING, STACK, carries, holds_jwt, known, strings
from vcf_provider.resources import model

_PAIR_TYPES = (model.ACCESS_TOKEN_PAIR.dynamic_type, model.ACCESS_TOKEN_PAIR.token)
_RENEWER_TYPES = (model.REFRESHED_ACCESS_TOKEN.dynamic_type, model.REFRESHED_ACCESS_TOKEN.token)


def _validate_stack_outputs(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    for resource in args.resources:
        if resource.resource_type != STACK:
            continue
        for key in list(resource.props):
            if any(holds_jwt(text) for text in strings(known(resource.props, key))):
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


def _pair_secret(pair: PolicyResource, name: str) -> str | None:
    """One of the pair's tokens as state holds it; None when it cannot be seen (preview)."""
    value = known(pair.props, GUARDED[pair.resource_type].key(name))
    return value if isinstance(value, str) and value else None


def _takes(user: PolicyResource, prop: str, secret: str | None) -> bool | None:
    """Whether `user`'s input `prop` carries `secret`; None when either value cannot be seen."""
    value = known(user.props, prop)
    if secret is None or value is MISSING:
        return None
    return carries(value, secret)


def _renews_by_model(user: PolicyResource, prop: str) -> bool:
    """True when `prop` is the refresh token input of a RefreshedAccessToken (its model says so)."""
    guarded = GUARDED.get(user.resource_type)
    return (
        user.resource_type in _RENEWER_TYPES and guarded is not None and prop == guarded.key("refresh_token")
    )


def _validate_pair_renewal(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    for pair in (r for r in args.resources if r.resource_type in _PAIR_TYPES):
        refresh = _pair_secret(pair, "refresh_token")
        access = _pair_secret(pair, "access_token")
        renewed = undecided = False
        for user in args.resources:
            if user.resource_type == STACK or user.urn == pair.urn:
                continue
            fed = [
                prop
                for prop, deps in (user.property_dependencies or {}).items()
                if any(d.urn == pair.urn for d in deps)
            ]
            # Decided by the values, not the names: which of the pair's tokens each input holds.
            takes_refresh = {prop: _takes(user, prop, refresh) for prop in fed}
            takes_access = [prop for prop in fed if _takes(user, prop, access)]
            for prop, found in takes_refresh.items():
                if found is None and _renews_by_model(user, prop):
                    found = True
                renewed = renewed or bool(found)
                undecided = undecided or (found is None and prop not in takes_access)
            if takes_access:
                report_violation(
                    f"'{user.name}' takes the access token of AccessTokenPair '{pair.name}' in "
                    f"{', '.join(takes_access)}, and that token is never renewed. Pass a "
                    "RefreshedAccessToken's access_token instead, or the pair's refresh token to "
                    "code that uses SddcManagerAuth.",
                    user.urn,
                )
        if not renewed and not undecided:
            report_violation(
                f"AccessTokenPair '{pair.name}' has nothing renewing from its refresh token: its access "
                "token expires about an hour after it was created and is never renewed. Add "
                f"RefreshedAccessToken(..., refresh_token={pair.name}.refresh_token) and use that "
                "resource's access_token downstream, or pass the refresh token to code that uses "
                "SddcManagerAuth.",
                pair.urn,
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
