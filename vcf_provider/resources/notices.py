"""Warnings raised from the program, attached to the resource they are about.

A dynamic provider can only print to its stderr, which the engine shows under the stack and only
during `up`. From the program, `pulumi.log.warn(..., resource=...)` lands on the resource, and a
warning the inputs alone reveal shows at `pulumi preview` already.
"""

from __future__ import annotations

from typing import Any, TypeGuard

import pulumi

from vcf_provider.api import properties as p
from vcf_provider.api import settings
from vcf_provider.api.jwt import parse_rfc3339
from vcf_provider.api.settings import unverified_tls_warning

#: How long SDDC Manager's access tokens live (1 h); a renewal window this long renews on every run.
ACCESS_TOKEN_LIFETIME_SECONDS = 3600
#: A worst case past this (a dead manager) holds a deployment for longer than anyone would wait.
LONG_WORST_CASE_SECONDS = 900


def input_warnings(props: dict[str, Any]) -> list[str]:
    """What the (known) inputs alone justify warning about, each naming the input and the fix."""
    from vcf_provider.api import retry

    found = []
    if props.get(p.ALLOW_UNVERIFIED_TLS.name) is True:
        host = props.get(p.HOST.name)
        try:
            shown = settings.base_url(str(host))
        except ValueError:
            shown = settings.shown_host(str(host))
        found.append(unverified_tls_warning(shown))
    renew = props.get(p.RENEW_BEFORE_SECONDS.name)
    if _number(renew) and renew >= ACCESS_TOKEN_LIFETIME_SECONDS:
        found.append(
            f"renew_before_seconds={renew:g} is not shorter than an SDDC Manager access token lives "
            f"({ACCESS_TOKEN_LIFETIME_SECONDS} s), so every `pulumi up` refreshes it. Use a window "
            "well under the lifetime, e.g. 300."
        )
    timeout, retries = props.get(p.TIMEOUT_SECONDS.name), props.get(p.MAX_RETRIES.name)
    if _number(timeout) and _number(retries) and timeout > 0 and retries >= 0:
        worst = retry.worst_case_seconds(float(timeout), int(retries), 0.5)
        if worst > LONG_WORST_CASE_SECONDS:
            found.append(
                f"timeout_seconds={timeout:g} with max_retries={retries:g} lets an SDDC Manager that "
                f"does not answer hold this deployment for up to {worst / 60:.0f} min. Lower either, "
                "e.g. timeout_seconds=30 and max_retries=3 (2 min)."
            )
    return found


def _number(value: Any) -> TypeGuard[float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def warn_about_inputs(resource: pulumi.Resource, props: dict[str, Any]) -> None:
    """Warnings that the inputs alone justify; they show at preview when the inputs are known."""
    keys = (
        p.HOST.name,
        p.ALLOW_UNVERIFIED_TLS.name,
        p.RENEW_BEFORE_SECONDS.name,
        p.TIMEOUT_SECONDS.name,
        p.MAX_RETRIES.name,
    )

    def check(values: list[Any]) -> None:
        for message in input_warnings(dict(zip(keys, values, strict=True))):
            pulumi.log.warn(message, resource=resource)

    pulumi.Output.all(*(props.get(key) for key in keys)).apply(check)


def warn_about_clock(resource: pulumi.Resource, received_key: str) -> None:
    """Once a token has arrived: a warning when this machine's clock is far from SDDC Manager's."""

    def check(values: list[Any]) -> None:
        message = clock_warning(*values)
        if message:
            pulumi.log.warn(message, resource=resource)

    outputs = (getattr(resource, name) for name in ("clock_skew_seconds", "expires_at", received_key))
    pulumi.Output.all(*outputs).apply(check)


def clock_warning(skew: Any, expires_at: Any, received_at: Any) -> str | None:
    """The warning for a token's stored `clock_skew_seconds`, `expires_at` and arrival time, if the
    clocks are far apart; the package's provider shares it."""
    from vcf_provider.resources import timing as clock  # the program needs it only once outputs are known

    received = parse_rfc3339(received_at) if isinstance(received_at, str) else None
    if not isinstance(skew, (int, float)) or isinstance(skew, bool) or received is None:
        return None
    expiry = parse_rfc3339(expires_at) if isinstance(expires_at, str) else None
    return clock.skew_warning(float(skew), expiry, received)
