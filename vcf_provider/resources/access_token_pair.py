"""The AccessTokenPair resource: a token pair from SDDC Manager credentials, revoked when deleted."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pulumi
from pulumi.dynamic import Resource

from vcf_provider.api import properties as p
from vcf_provider.pair_provider import AccessTokenPairProvider
from vcf_provider.resources import defaults, notices
from vcf_provider.resources.model import ACCESS_TOKEN_PAIR as model


class AccessTokenPair(Resource, module="vcf", name="AccessTokenPair"):
    """A refresh token and a first access token from ``POST /v1/tokens``, revoked on delete.

    Feed ``refresh_token`` to a ``RefreshedAccessToken`` so the access token renews itself::

        pair = AccessTokenPair("login", host="sddc-manager.example.com")   # vcf:username, vcf:password
        token = RefreshedAccessToken("token", host=pair.host, refresh_token=pair.refresh_token)

    - **create** calls ``POST /v1/tokens`` with ``username`` and ``password`` (or ``api_key``, or
      ``id_token``).
    - **delete** calls ``DELETE /v1/tokens/refresh-token`` so no refresh token is left behind on the
      server (one that is already gone is fine).
    - **rotation**: a pair older than ``rotate_after_seconds`` is replaced on the next ``pulumi up``
      (or ``preview`` shows it): the new pair is created first, then the old refresh token is
      revoked. A ``RefreshedAccessToken`` fed by the pair refreshes with the new one in the same run.
    - **read** (``pulumi refresh``, ``pulumi up --refresh``) costs one refresh request: it asks
      SDDC Manager whether the refresh token still works, and reports the pair gone when it does
      not (expired or revoked), so the same ``up --refresh`` logs in again.
    - Changing ``host``, the credentials or ``triggers`` replaces the pair the same way. Other
      inputs (including ``rotate_after_seconds``) update in place with no request.

    Args:
        resource_name: The Pulumi name of the resource.
        opts: Resource options; the tokens and credentials are always secret outputs.
        host: As for ``RefreshedAccessToken``: default ``vcf:host``, then ``VCF_HOST``.
        username: An SDDC Manager user. Default ``vcf:username``, then ``VCF_USERNAME``.
        password: Its password (stored as a secret). Default secret ``vcf:password``, then ``VCF_PASSWORD``.
        api_key: Instead of username and password. Default secret ``vcf:apiKey``, then ``VCF_API_KEY``.
        id_token: Instead of either: an id token from VCF 9's identity broker (secret). Default secret
            ``vcf:idToken``, then ``VCF_ID_TOKEN``. Exactly one way to log in is checked at preview:
            the first place that gives any credential (these arguments, then stack config, then the
            environment) decides how, so ``api_key=...`` here wins over ``vcf:username``.
        ca_bundle, allow_unverified_tls, timeout_seconds, max_retries: As for ``RefreshedAccessToken``.
        triggers: Any values; a change creates a new pair and revokes the old one.
        rotate_after_seconds: Replace the pair once it is this old. Default 72000 (20 h, under the
            24 h a refresh token is reported to live); 0 never rotates.

    Outputs:
        refresh_token: The refresh token id, secret. Pass it to ``RefreshedAccessToken``.
        access_token: The first access token, secret; it is not renewed (use ``RefreshedAccessToken``).
        expires_at: RFC 3339 UTC expiry of that first access token.
        created_at: RFC 3339 UTC time the pair was created (this machine's clock).
        clock_skew_seconds: This machine's clock minus SDDC Manager's at creation (see
            ``RefreshedAccessToken``).

    A login is sent once: when it times out after SDDC Manager may have received it, it is not
    repeated (a second pair would be left behind with nobody to revoke it), and the error says so.
    """

    # Declared for editors and mypy only: at run time the SDK would re-read these annotations
    # (get_type_hints) for every resource it registers, 40% of a 100-token preview.
    if TYPE_CHECKING:
        refresh_token: pulumi.Output[str]
        access_token: pulumi.Output[str]
        expires_at: pulumi.Output[str | None]
        created_at: pulumi.Output[str]
        clock_skew_seconds: pulumi.Output[int | None]
        host: pulumi.Output[str]

    def __init__(
        self,
        resource_name: str,
        opts: pulumi.ResourceOptions | None = None,
        *,
        host: pulumi.Input[str] | None = None,
        username: pulumi.Input[str] | None = None,
        password: pulumi.Input[str] | None = None,
        api_key: pulumi.Input[str] | None = None,
        id_token: pulumi.Input[str] | None = None,
        ca_bundle: pulumi.Input[str] | None = None,
        allow_unverified_tls: pulumi.Input[bool] | None = None,
        timeout_seconds: pulumi.Input[float] | None = None,
        max_retries: pulumi.Input[int] | None = None,
        triggers: pulumi.Input[Mapping[str, Any]] | None = None,
        rotate_after_seconds: pulumi.Input[float] | None = None,
    ) -> None:
        explicit = {
            "host": host,
            "username": username,
            "password": password,
            "api_key": api_key,
            "id_token": id_token,
            "ca_bundle": ca_bundle,
            "allow_unverified_tls": allow_unverified_tls,
            "timeout_seconds": timeout_seconds,
            "max_retries": max_retries,
            "triggers": triggers,
            "rotate_after_seconds": rotate_after_seconds,
        }
        props: dict[str, Any] = defaults.resource_inputs(model, explicit)
        props.update(dict.fromkeys(model.output_names))
        secret_outputs = pulumi.ResourceOptions(additional_secret_outputs=list(model.secret_names))
        super().__init__(
            AccessTokenPairProvider(),
            resource_name,
            props,
            pulumi.ResourceOptions.merge(opts, secret_outputs),
        )
        notices.warn_about_inputs(self, props)
        notices.warn_about_clock(self, p.CREATED_AT.name)
