"""A token request with TLS verification off: the policy pack stops it at preview."""

import pulumi

from vcf_provider import RefreshedAccessToken

token = RefreshedAccessToken(
    "lab-token",
    allow_unverified_tls=True,  # the deliberate violation: vcf-tls-verification-required
    renew_before_seconds=600,
)
pulumi.export("expires_at", token.expires_at)
