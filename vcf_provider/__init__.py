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
    from vcf_provider.auth import SddcManagerAuth
    from vcf_provider.errors import (
        InvalidTokenResponseError,
        SddcManagerApiError,
        SddcManagerRedirectError,
        SddcManagerTaskFailed,
        SddcManagerTaskTimeout,
        SddcManagerTaskWaitError,
        SddcManagerTlsError,
        SddcManagerUnreachableError,
        VcfError,
        VcfProviderError,
    )
    from vcf_provider.pair import AccessTokenPair
    from vcf_provider.resource import RefreshedAccessToken, RefreshedAccessTokenArgs
    from vcf_provider.tasks import wait_for_task

# Loaded on first use: a program that only declares a RefreshedAccessToken never pays for the
# error types, and a `pulumi preview` starts faster.
_PUBLIC = {
    "AccessTokenPair": "vcf_provider.pair",
    "RefreshedAccessToken": "vcf_provider.resource",
    "RefreshedAccessTokenArgs": "vcf_provider.resource",
    "SddcManagerAuth": "vcf_provider.auth",
    "InvalidTokenResponseError": "vcf_provider.errors",
    "SddcManagerApiError": "vcf_provider.errors",
    "SddcManagerRedirectError": "vcf_provider.errors",
    "SddcManagerTaskFailed": "vcf_provider.errors",
    "SddcManagerTaskTimeout": "vcf_provider.errors",
    "SddcManagerTaskWaitError": "vcf_provider.errors",
    "SddcManagerTlsError": "vcf_provider.errors",
    "SddcManagerUnreachableError": "vcf_provider.errors",
    "VcfError": "vcf_provider.errors",
    "VcfProviderError": "vcf_provider.errors",
    "wait_for_task": "vcf_provider.tasks",
}

__all__ = [
    "AccessTokenPair",
    "InvalidTokenResponseError",
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
