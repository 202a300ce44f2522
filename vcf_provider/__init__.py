"""SDDC Manager (VMware Cloud Foundation) API access tokens as Pulumi resources.

Use it in a Pulumi program::

    import pulumi
    from vcf_provider import RefreshedAccessToken

    token = RefreshedAccessToken(
        "sddc-token",
        host="sddc-manager.example.com",
        refresh_token=pulumi.Config().require_secret("refreshToken"),
    )
    pulumi.export("expires_at", token.expires_at)  # token.access_token is always secret
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from vcf_provider._version import __version__
from vcf_provider.imports import import_serially

if TYPE_CHECKING:
    from vcf_provider.api.errors import (
        InvalidTokenResponseError,
        OperationCancelled,
        SddcManagerApiError,
        SddcManagerRedirectError,
        SddcManagerTaskFailed,
        SddcManagerTaskTimeout,
        SddcManagerTaskWaitError,
        SddcManagerTlsError,
        SddcManagerUnreachableError,
        VcfProviderError,
    )
    from vcf_provider.api.payload import VcfError
    from vcf_provider.downstream.auth import SddcManagerAuth
    from vcf_provider.downstream.tasks import wait_for_task
    from vcf_provider.resources.access_token_pair import AccessTokenPair
    from vcf_provider.resources.refreshed_access_token import RefreshedAccessToken, RefreshedAccessTokenArgs

# Loaded on first use: a program that only declares a RefreshedAccessToken never pays for the
# error types, and a `pulumi preview` starts faster.
_PUBLIC = {
    "AccessTokenPair": "vcf_provider.resources.access_token_pair",
    "RefreshedAccessToken": "vcf_provider.resources.refreshed_access_token",
    "RefreshedAccessTokenArgs": "vcf_provider.resources.refreshed_access_token",
    "SddcManagerAuth": "vcf_provider.downstream.auth",
    "InvalidTokenResponseError": "vcf_provider.api.errors",
    "OperationCancelled": "vcf_provider.api.errors",
    "SddcManagerApiError": "vcf_provider.api.errors",
    "SddcManagerRedirectError": "vcf_provider.api.errors",
    "SddcManagerTaskFailed": "vcf_provider.api.errors",
    "SddcManagerTaskTimeout": "vcf_provider.api.errors",
    "SddcManagerTaskWaitError": "vcf_provider.api.errors",
    "SddcManagerTlsError": "vcf_provider.api.errors",
    "SddcManagerUnreachableError": "vcf_provider.api.errors",
    "VcfError": "vcf_provider.api.payload",
    "VcfProviderError": "vcf_provider.api.errors",
    "wait_for_task": "vcf_provider.downstream.tasks",
}

__all__ = [
    "AccessTokenPair",
    "InvalidTokenResponseError",
    "OperationCancelled",
    "RefreshedAccessToken",
    "RefreshedAccessTokenArgs",
    "SddcManagerApiError",
    "SddcManagerAuth",
    "SddcManagerRedirectError",
    "SddcManagerTaskFailed",
    "SddcManagerTaskTimeout",
    "SddcManagerTaskWaitError",
    "SddcManagerTlsError",
    "SddcManagerUnreachableError",
    "VcfError",
    "VcfProviderError",
    "__version__",
    "wait_for_task",
]


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'vcf_provider' has no attribute {name!r}")
    # Through the shared lock: a user's provider may import SddcManagerAuth in one thread while
    # ours load the client in another (see vcf_provider.imports).
    value = getattr(import_serially(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
