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

from vcf_provider._version import __version__
from vcf_provider.errors import (
    InvalidTokenResponseError,
    SddcManagerApiError,
    SddcManagerRedirectError,
    SddcManagerTlsError,
    SddcManagerUnreachableError,
    VcfError,
    VcfProviderError,
)
from vcf_provider.pair import AccessTokenPair
from vcf_provider.resource import RefreshedAccessToken, RefreshedAccessTokenArgs

__all__ = [
    "AccessTokenPair",
    "InvalidTokenResponseError",
    "RefreshedAccessToken",
    "RefreshedAccessTokenArgs",
    "SddcManagerApiError",
    "SddcManagerRedirectError",
    "SddcManagerTlsError",
    "SddcManagerUnreachableError",
    "VcfError",
    "VcfProviderError",
    "__version__",
]
