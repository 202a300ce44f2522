"""The stack that owns the token: one refresh for every stack that reads it."""

import pulumi

from vcf_provider import RefreshedAccessToken

token = RefreshedAccessToken("sddc-token")  # vcf:host, vcf:refreshToken, vcf:caBundle
pulumi.export("host", token.host)
pulumi.export("access_token", token.access_token)  # stays a secret in the export
pulumi.export("expires_at", token.expires_at)
