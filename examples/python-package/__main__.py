"""A token pair from an SDDC Manager login, and an access token renewed from it: the `vcf` package in Python.

`pulumi package add <clone>/plugin` generates the SDK (`pulumi_vcf`) this imports; unlike the dynamic
resources (`vcf_provider`), the program needs nothing of vcf-provider installed: the plugin serves it.
"""

import pulumi

# Generated into sdks/vcf by `pulumi package add`; `make lint` checks this file where it is not installed.
import pulumi_vcf as vcf  # type: ignore[import-not-found,unused-ignore]

# Logs in with stack config vcf:host, vcf:caBundle, vcf:username and secret vcf:password (the
# default provider's config); `pulumi destroy` revokes its refresh token.
login = vcf.AccessTokenPair("login")

# Refreshed from the pair's refresh token, and renewed on any `pulumi up` within 300 s of expiry.
token = vcf.RefreshedAccessToken("token", host=login.host, refresh_token=login.refresh_token)

# `token.access_token` is always secret; hand it to other resources rather than exporting it.
pulumi.export("expiresAt", token.expires_at)
