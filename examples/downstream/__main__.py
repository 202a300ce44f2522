"""A login pair feeding both kinds of consumer: a token read once now, and a resource that calls later."""

import pulumi
from sddc_info import SddcManagers

from vcf_provider import AccessTokenPair, RefreshedAccessToken

config = pulumi.Config("vcf")
# vcf:host, vcf:username, secret vcf:password, vcf:caBundle. Rotates every 20 h by default.
pair = AccessTokenPair("login")

# Read once, now (exported, or handed to a resource that only uses it during this `pulumi up`).
token = RefreshedAccessToken("sddc-token", host=pair.host, refresh_token=pair.refresh_token)
pulumi.export("expires_at", token.expires_at)

# Calls SDDC Manager again in later updates and in its delete: give it the refresh token.
managers = SddcManagers(
    "sddc-managers",
    host=pair.host,
    refresh_token=pair.refresh_token,  # secret in, secret in this resource's state too
    ca_bundle=config.get("caBundle"),
)
pulumi.export("managers", managers.managers)
