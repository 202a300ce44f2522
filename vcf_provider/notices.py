"""Warnings raised from the program, attached to the resource they are about.

A dynamic provider can only print to its stderr, which the engine shows under the stack and only
during `up`. From the program, `pulumi.log.warn(..., resource=...)` lands on the resource, and a
warning the inputs alone reveal shows at `pulumi preview` already.
"""

from __future__ import annotations

from typing import Any

import pulumi

from vcf_provider import inputs
from vcf_provider.jwt import parse_rfc3339


def unverified_tls_warning(base_url: str) -> str:
    """The warning for `allow_unverified_tls=true`."""
    return (
        f"TLS verification is off for {base_url} (allow_unverified_tls=true): anyone on the network path "
        "can read the refresh token. Use ca_bundle instead."
    )


def warn_about_inputs(resource: pulumi.Resource, props: dict[str, Any]) -> None:
    """Warnings that the inputs alone justify; they show at preview when the inputs are known."""

    def check(values: list[Any]) -> None:
        host, allow = values
        if allow is True:
            try:
                shown = inputs.base_url(str(host))
            except ValueError:
                shown = str(host)
            pulumi.log.warn(unverified_tls_warning(shown), resource=resource)

    pulumi.Output.all(props.get(inputs.HOST), props.get(inputs.ALLOW_UNVERIFIED_TLS)).apply(check)


def warn_about_clock(resource: pulumi.Resource, received_key: str) -> None:
    """Once a token has arrived: a warning when this machine's clock is far from SDDC Manager's."""
    from vcf_provider import clock  # the program needs it only once outputs are known

    def check(values: list[Any]) -> None:
        skew, expires_at, received_at = values
        received = parse_rfc3339(received_at) if isinstance(received_at, str) else None
        if not isinstance(skew, (int, float)) or received is None:
            return
        expiry = parse_rfc3339(expires_at) if isinstance(expires_at, str) else None
        message = clock.skew_warning(float(skew), expiry, received)
        if message:
            pulumi.log.warn(message, resource=resource)

    outputs = (getattr(resource, name) for name in ("clock_skew_seconds", "expires_at", received_key))
    pulumi.Output.all(*outputs).apply(check)
