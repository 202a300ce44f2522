"""The RefreshedAccessToken resource: its inputs, their defaults from stack config and env, secret wiring."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pulumi
from pulumi.dynamic import Resource

from vcf_provider.api import properties as p
from vcf_provider.provider import RefreshedAccessTokenProvider
from vcf_provider.resources import defaults, notices
from vcf_provider.resources.model import REFRESHED_ACCESS_TOKEN as model


@dataclass
class RefreshedAccessTokenArgs:
    """The inputs of a RefreshedAccessToken; see `RefreshedAccessToken` for each one's meaning."""

    host: pulumi.Input[str] | None = None
    refresh_token: pulumi.Input[str] | None = None
    ca_bundle: pulumi.Input[str] | None = None
    allow_unverified_tls: pulumi.Input[bool] | None = None
    timeout_seconds: pulumi.Input[float] | None = None
    max_retries: pulumi.Input[int] | None = None
    renew_before_seconds: pulumi.Input[float] | None = None
    triggers: pulumi.Input[Mapping[str, Any]] | None = None


class RefreshedAccessToken(Resource, module="vcf", name="RefreshedAccessToken"):
    """An SDDC Manager API access token, refreshed from a refresh token and renewed before it expires.

    - **create / update** call ``PATCH /v1/tokens/access-token/refresh`` on ``host`` with the refresh
      token and store the new access token (always a secret output).
    - **diff** asks for an update when an input changes, when ``triggers`` change, or when the stored
      token expires within ``renew_before_seconds``; a changed ``host`` replaces the resource. It makes
      no request: with a fresh token and unchanged inputs, ``pulumi up`` sends nothing.
    - **read** (``pulumi refresh``) sends one ``HEAD /`` (no credential) to measure SDDC Manager's
      clock again and keeps the stored outputs; **delete** sends nothing, because an
      access token cannot be revoked on its own (it expires at ``expires_at``).

    Args:
        resource_name: The Pulumi name of the resource.
        args: All inputs as one ``RefreshedAccessTokenArgs`` (alternative to the keywords).
        opts: Resource options; ``access_token`` is always added to ``additional_secret_outputs``.
        host: SDDC Manager's FQDN, ``host:port``, or an ``https://`` base URL. Default: stack config
            ``vcf:host``, then ``VCF_HOST``.
        refresh_token: The refresh token id (``refreshToken.id`` from ``POST /v1/tokens``). Stored as
            a secret even when passed as plain text. Default: secret config ``vcf:refreshToken``, then
            ``VCF_REFRESH_TOKEN``.
        ca_bundle: Path of a PEM file with the CAs that signed SDDC Manager's certificate. Default:
            ``vcf:caBundle``, then ``VCF_CA_BUNDLE``, then the system's CAs.
        allow_unverified_tls: Skip TLS verification (prints a warning; for labs only). Default:
            ``vcf:allowUnverifiedTls``, then ``VCF_ALLOW_UNVERIFIED_TLS``, then false.
        timeout_seconds: The deadline of each attempt, covering connecting, the TLS handshake,
            sending and reading the whole answer. Default: ``vcf:timeoutSeconds``, then 30.
        max_retries: Further attempts after connection errors and HTTP 429/500/502/503/504, with
            exponential backoff (0.5 s doubling, at most 10 s) and jitter, honouring a valid
            ``Retry-After`` (at most 30 s). Default 3. One refresh therefore takes at most
            (max_retries + 1) x timeout_seconds plus those waits: 2 min 4 s with the defaults
            and no Retry-After. Default: ``vcf:maxRetries``, then 3.
        renew_before_seconds: Renew when the token expires within this many seconds (0 to 86400).
            Expiry is measured from the token's own ``iat``/``exp`` and its arrival here, so a
            clock that is off SDDC Manager's by hours still renews on time. Default 300.
        triggers: Any values; a change forces a refresh (for example a rotation date).

    Outputs:
        access_token: The access token (a JWT), always secret.
        expires_at: RFC 3339 UTC time from the token's ``exp`` claim, or None without one.
        refreshed_at: RFC 3339 UTC time of the last successful refresh (this machine's clock).
        clock_skew_seconds: This machine's clock minus SDDC Manager's, measured at that refresh
            (network time included). At a minute or more the resource shows a warning: check NTP.
    """

    # Declared for editors and mypy only: at run time the SDK would re-read these annotations
    # (get_type_hints) for every resource it registers, 40% of a 100-token preview.
    if TYPE_CHECKING:
        access_token: pulumi.Output[str]
        expires_at: pulumi.Output[str | None]
        refreshed_at: pulumi.Output[str]
        clock_skew_seconds: pulumi.Output[int | None]
        host: pulumi.Output[str]
        refresh_token: pulumi.Output[str]
        ca_bundle: pulumi.Output[str | None]
        allow_unverified_tls: pulumi.Output[bool | None]
        timeout_seconds: pulumi.Output[float]
        max_retries: pulumi.Output[int]
        renew_before_seconds: pulumi.Output[float]
        triggers: pulumi.Output[Mapping[str, Any] | None]

    def __init__(
        self,
        resource_name: str,
        args: RefreshedAccessTokenArgs | None = None,
        opts: pulumi.ResourceOptions | None = None,
        *,
        host: pulumi.Input[str] | None = None,
        refresh_token: pulumi.Input[str] | None = None,
        ca_bundle: pulumi.Input[str] | None = None,
        allow_unverified_tls: pulumi.Input[bool] | None = None,
        timeout_seconds: pulumi.Input[float] | None = None,
        max_retries: pulumi.Input[int] | None = None,
        renew_before_seconds: pulumi.Input[float] | None = None,
        triggers: pulumi.Input[Mapping[str, Any]] | None = None,
    ) -> None:
        keywords = RefreshedAccessTokenArgs(
            host=host,
            refresh_token=refresh_token,
            ca_bundle=ca_bundle,
            allow_unverified_tls=allow_unverified_tls,
            timeout_seconds=timeout_seconds,
            max_retries=max_retries,
            renew_before_seconds=renew_before_seconds,
            triggers=triggers,
        )
        if args is not None and not isinstance(args, RefreshedAccessTokenArgs):
            raise TypeError(
                f"RefreshedAccessToken({resource_name!r}): the second argument must be a "
                f"RefreshedAccessTokenArgs, not {type(args).__name__}; pass inputs as keywords instead"
            )
        if args is not None and keywords != RefreshedAccessTokenArgs():
            raise TypeError(
                f"RefreshedAccessToken({resource_name!r}): pass inputs either as a "
                "RefreshedAccessTokenArgs or as keywords, not both"
            )
        chosen = args or keywords
        props: dict[str, Any] = defaults.resource_inputs(model, vars(chosen))
        # Empty when unset anywhere, so the provider's check reports it at preview. Secret even when
        # given as plain text: state must never hold it readable.
        if props[p.REFRESH_TOKEN.name] is None:
            props[p.REFRESH_TOKEN.name] = pulumi.Output.secret("")
        props.update(dict.fromkeys(model.output_names))
        secret_outputs = pulumi.ResourceOptions(additional_secret_outputs=list(model.secret_names))
        super().__init__(
            RefreshedAccessTokenProvider(),
            resource_name,
            props,
            pulumi.ResourceOptions.merge(opts, secret_outputs),
        )
        notices.warn_about_inputs(self, props)
        notices.warn_about_clock(self, p.REFRESHED_AT.name)
