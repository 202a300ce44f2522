"""One manager's token; fleet.py sets vcf:host, vcf:refreshToken and vcf:caBundle per stack."""

import pulumi

from vcf_provider import RefreshedAccessToken

token = RefreshedAccessToken("sddc-token")
pulumi.export("access_token", token.access_token)
pulumi.export("expires_at", token.expires_at)
pulumi.export("refreshed_at", token.refreshed_at)
